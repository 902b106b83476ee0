#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = ["requests>=2.28"]
# ///
"""Find, open or update the one release-candidate draft pull request on GitHub."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from releasekit.rules.actions import (
    actions_files_problem,
    write_outputs,
    write_summary,
)
from releasekit.rules.cli import PROG, fail, info, missing_dependency, warn, yes_no
from releasekit.rules.endpoints import is_http_url
from releasekit.rules.github import Client, add_repository_options, repository_from_remote
from releasekit.rules.rc import RC_BRANCH_PREFIX, is_rc_branch, rc_branch
from releasekit.rules.repository import (
    valid_repository,
)
from releasekit.rules.retries import FatalError, add_deadline_options, seconds
from releasekit.rules.secrets import redact

if TYPE_CHECKING:  # requests is imported lazily: --help must work without it.
    pass

KIT_DOCS_URL = "https://github.com/releasekit/releasekit/blob/main/docs/release-candidate.md"
MARKER_RE = re.compile(r"\n?<!-- releasekit:rc-body sha256=([0-9a-f]{64}) -->\s*\Z")

Pull = dict[str, Any]


@dataclass
class Config:
    api_url: str
    repository: str
    base: str
    token: str = field(repr=False)  # never shown, not even in a repr
    timeout: float
    max_wait: float
    rate_limit_wait: float = 60.0

    @property
    def owner(self) -> str:
        return self.repository.split("/", 1)[0]


# ---- checklist body ----------------------------------------------------------


def checklist(head: str, base: str, changes: str, docs_url: str) -> str:
    """The maintainer's checklist: what a person does between this PR and the tag."""
    return (
        f"This draft is the next release candidate. Branch `{head}` adds a draft section "
        f"at the top of `{changes}`, written from the commits merged into `{base}` since "
        "the last release.\n\n"
        "To release it:\n\n"
        f"- [ ] Adjust the entries in `{changes}`: reword, regroup or drop them "
        "for the people who read the notes.\n"
        "- [ ] Set the version in the section title (`X.Y.Z (unreleased)`): "
        "the next PEP 440 version, without a `v`.\n"
        "- [ ] Set the date in the section title (`unreleased` -> `YYYY-MM-DD`), "
        "the day you release.\n"
        "- [ ] Commit and push those edits to this branch, then mark the pull request "
        "ready for review.\n"
        "- [ ] Approve and merge this pull request.\n"
        "- [ ] Run the `rt.yml` workflow (or `make release-tag`) to tag `vX.Y.Z`; "
        "CI then builds and publishes that tag.\n\n"
        "Running `make release-candidate` again adds newer commits to this branch and "
        "keeps your edits and commits. Edit this description freely: once you do, "
        "it is left alone.\n\n"
        f"How it works: [release candidate]({docs_url})\n"
    )


def sign(text: str) -> str:
    """The body with a hidden marker that tells later runs the text is still the kit's."""
    return f"{text}\n<!-- releasekit:rc-body sha256={digest(text)} -->\n"


def digest(text: str) -> str:
    return hashlib.sha256(text.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def is_kits_own(body: str | None) -> bool:
    """True when the body still hashes to its marker, i.e. no person has edited it."""
    normal = (body or "").replace("\r\n", "\n")
    match = MARKER_RE.search(normal)
    if match is None:
        return False
    return digest(normal[: match.start()]) == match.group(1)


# ---- pull requests -----------------------------------------------------------


def find_rc_pull(client: Client[Config]) -> Pull | None:
    """The open release-candidate PR to the base branch, whatever day it was opened."""
    base = client.settings.base
    found = [
        pull
        for pull in client.pages(client.url("/pulls"), {"state": "open", "base": base})
        if is_rc_branch(pull["head"]["ref"])
        and pull["base"]["ref"] == base
        and same_repository(pull, client.settings.repository)
    ]
    if len(found) > 1:
        numbers = ", ".join(f"#{p['number']}" for p in found)
        warn(f"several open release-candidate PRs ({numbers}); using the oldest")
    return min(found, key=lambda p: int(p["number"])) if found else None


def same_repository(pull: Pull, repository: str) -> bool:
    """A fork's branch is no release candidate of ours, whatever it is called."""
    repo = pull["head"].get("repo")
    return not repo or str(repo.get("full_name", repository)).lower() == repository.lower()


def find_by_head(client: Client[Config], head: str) -> Pull | None:
    params = {"head": f"{client.settings.owner}:{head}", "state": "open"}
    pulls = [p for p in client.pages(client.url("/pulls"), params) if p["head"]["ref"] == head]
    return pulls[0] if pulls else None


# GitHub's 422 where a plan has no draft pull requests (docs.github.com: create a pull request).
NO_DRAFTS = "Draft pull requests are not supported in this repository."


def create_pull(client: Client[Config], head: str, title: str, body: str) -> tuple[Pull, bool]:
    """POST a draft PR. A POST is retried only once a GET shows it did not land."""
    payload: dict[str, Any] = {
        "title": title,
        "head": head,
        "base": client.settings.base,
        "body": body,
        "draft": True,
    }

    def attempt(n: int) -> tuple[Pull, bool]:
        landed = find_by_head(client, head) if n else None  # did the failed POST land?
        if landed:
            return landed, True
        try:
            return client.send_once("POST", client.url("/pulls"), json=payload).json(), True
        except FatalError as failure:
            if payload["draft"] and NO_DRAFTS in str(failure):
                # Private repositories on GitHub Free and Pro have no draft pull requests.
                warn(f"{NO_DRAFTS.rstrip('.')}: opening a normal pull request titled 'Draft: ...'")
                payload.update(draft=False, title=f"Draft: {title}")
                return attempt(n)
            if "already exists" not in str(failure):
                raise
            # Another run won the race: update that PR instead of opening a second.
            existing = find_by_head(client, head)
            if existing:
                return existing, False
            raise

    return client.deadline.retried(attempt)


def update_body(client: Client[Config], pull: Pull, body: str) -> bool:
    """Refresh the kit's own text; a body a person edited stays as they left it."""
    if pull.get("body") == body:
        return False
    if not is_kits_own(pull.get("body")):
        warn(f"PR #{pull['number']} has a description a person edited; leaving it")
        return False
    client.call("PATCH", client.url(f"/pulls/{pull['number']}"), json={"body": body})
    return True


# ---- commands ----------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """What the command line and the environment asked for, checked."""

    command: str  # "find" or "open"
    base: str
    repository: str
    dry_run: bool
    head: str = ""
    title: str = ""
    changes: str = "CHANGES.rst"
    docs_url: str = ""
    extra: str = ""  # Markdown list of the commits without a news fragment


def default_title(head: str) -> str:
    """A new PR's title; make_rc_changes.py leaves a squash-merge of it out of the notes."""
    return f"chore({head})"


def cmd_find(settings: Settings, config: Config | None) -> int:
    if config is None:
        warn("no GITHUB_TOKEN: cannot look up the release-candidate PR (dry run)")
        return 0
    pull = find_rc_pull(Client(config, secondary_wait=config.rate_limit_wait))
    if pull:
        print(pull["head"]["ref"])
        write_outputs({"head": pull["head"]["ref"]})
    return 0


def cmd_open(settings: Settings, config: Config | None) -> int:
    title = settings.title or default_title(settings.head)
    body = checklist(settings.head, settings.base, settings.changes, docs_url(settings))
    if settings.extra.strip():
        body += (
            "\nThese commits since the last release add no news fragment, so the draft does "
            f"not list them; add a fragment for any that belongs in the notes:\n\n{settings.extra}"
        )
    body = sign(body)
    if settings.dry_run:
        return dry_run_open(settings, config, title, body)
    assert config is not None
    client = Client(config, secondary_wait=config.rate_limit_wait)
    pull = find_by_head(client, settings.head)
    created = False
    if pull is None:
        pull, created = create_pull(client, settings.head, title, body)
    refreshed = not created and update_body(client, pull, body)
    action = "opened" if created else "updated" if refreshed else "unchanged"
    report(pull, created, action)
    return 0


def dry_run_open(settings: Settings, config: Config | None, title: str, body: str) -> int:
    if config is None:
        action = "no GITHUB_TOKEN, cannot look up an existing PR; would create a draft PR"
    else:
        pull = find_by_head(Client(config, secondary_wait=config.rate_limit_wait), settings.head)
        action = dry_run_action(pull, body)
    print(f"DRY_RUN: {action} {settings.base} <- {settings.head}")
    print(f"DRY_RUN: title: {title}")
    print("DRY_RUN: body:")
    print(body, end="")
    return 0


def dry_run_action(pull: Pull | None, body: str) -> str:
    if pull is None:
        return "would create a draft PR"
    number = pull["number"]
    if pull.get("body") == body:
        return f"PR #{number} is up to date, would change nothing"
    if is_kits_own(pull.get("body")):
        return f"would update the description of PR #{number}"
    return f"PR #{number} has a description a person edited, would leave it"


def report(pull: Pull, created: bool, action: str) -> None:
    url = pull.get("html_url") or pull.get("url", "")
    print(url)
    info(f"{action} PR #{pull['number']}: {pull.get('title', '')}")
    write_outputs({"number": str(pull["number"]), "url": url, "created": str(created).lower()})
    write_summary(
        f"### Release candidate\n\nPull request [#{pull['number']} {pull.get('title', '')}]"
        f"({url}): {action}.\n"
    )


def docs_url(settings: Settings) -> str:
    """The checklist's link: --docs-url, else the kit's published page (a project that adopted
    the kit has no docs/release-candidate.md of its own)."""
    return settings.docs_url or os.environ.get("RELEASEKIT_DOCS_URL") or KIT_DOCS_URL


# ---- Actions outputs and messages ---------------------------------------------


def check_actions_files() -> None:
    """Refuse (exit 2) an Actions file that cannot be appended to, before any change."""
    problem = actions_files_problem(os.environ)
    if problem:
        raise FatalError(problem, status=2)


# ---- command line ------------------------------------------------------------

# A branch name git accepts (git check-ref-format), in the characters people use.
BRANCH_RE = re.compile(r"[A-Za-z0-9._/+@-]+")
BRANCH_FORBIDDEN = re.compile(r"\.\.|//|@\{|\.lock(?:/|$)|(?:^|/)[.-]|[./]$")


def valid_branch(value: str) -> bool:
    return bool(BRANCH_RE.fullmatch(value)) and not BRANCH_FORBIDDEN.search(value)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad command line is one line and exit 2, never a usage block."""

    def error(self, message: str) -> NoReturn:
        fail(f"{message} (see --help)", 2)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    env = os.environ
    try:  # refused before any work: a typo must not decide whether anything is pushed
        dry_run = yes_no("DRY_RUN", env.get("DRY_RUN"))
    except ValueError as bad:
        raise FatalError(str(bad), status=2) from None
    parser = OneLineParser(
        prog=PROG,
        description=(
            "Find, open or update the one release-candidate draft pull request "
            f"(head branch {RC_BRANCH_PREFIX}YYYY-MM-DD). Reads GITHUB_API_URL, "
            "GITHUB_REPOSITORY and GITHUB_TOKEN; flags override them. The token is "
            "never printed."
        ),
        epilog=(
            "exit status: 0 ok, 1 failed (API error, bad credentials, retries or --max-wait "
            "spent), 2 bad input. Each wait before a retry prints one line. In GitHub Actions, "
            "'find' writes head= and 'open' writes number=, url=, created= to GITHUB_OUTPUT, "
            "and 'open' a line to GITHUB_STEP_SUMMARY; both files are checked writable first."
        ),
    )
    add_repository_options(parser, env)
    parser.add_argument(
        "--base",
        default=env.get("BASE_BRANCH") or "main",
        help="base branch of the PR (default: $BASE_BRANCH or %(default)s)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        default=dry_run,
        help="change nothing on GitHub; show what would be done "
        "(default: on when $DRY_RUN is 1/true/yes/on)",
    )
    add_deadline_options(parser, env, timeout=30.0, max_wait=60)
    parser.add_argument(
        "--rate-limit-wait",
        type=seconds(0, 3600),
        default=60.0,
        help="seconds to wait on a secondary rate limit that says no retry-after; GitHub "
        "asks for at least a minute (default: %(default)s)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser(
        "find",
        help="print the head branch of the open release-candidate PR, "
        "or nothing when there is none",
    )
    opener = sub.add_parser(
        "open", help="update the open PR for --head, or open a draft one; print its URL"
    )
    opener.add_argument(
        "--head", required=True, help=f"head branch, e.g. {rc_branch(dt.date(2026, 11, 1))}"
    )
    opener.add_argument(
        "--title", help="title of a new PR (default: chore(HEAD)); an existing PR keeps its title"
    )
    opener.add_argument(
        "--changes",
        default=env.get("CHANGES") or "CHANGES.rst",
        help="the notes file the checklist names (default: $CHANGES or %(default)s)",
    )
    opener.add_argument(
        "--docs-url",
        help="link in the checklist (default: "
        "$RELEASEKIT_DOCS_URL, else the kit's published page on the release candidate)",
    )
    opener.add_argument(
        "--extra",
        metavar="PATH",
        help="a Markdown list of the commits that add no news fragment, for the body",
    )
    return parser.parse_args(argv)


def make_settings(args: argparse.Namespace) -> Settings:
    """The checked settings; FatalError(status=2) names the first bad one."""
    repository = (args.repository or "").strip()
    if repository and not valid_repository(repository):
        raise FatalError(
            f"GITHUB_REPOSITORY/--repository must be OWNER/REPO, got {repository!r}", status=2
        )
    if not valid_branch(args.base):
        raise FatalError(f"--base/BASE_BRANCH is no branch name: {args.base!r}", status=2)
    head = getattr(args, "head", None) or ""
    if args.command == "open" and not valid_branch(head):
        raise FatalError(f"--head is no branch name: {head!r}", status=2)
    title = getattr(args, "title", None) or ""
    if "\n" in title or "\r" in title:
        raise FatalError("--title must be one line", status=2)
    return Settings(
        command=args.command,
        base=args.base,
        repository=repository,
        dry_run=bool(args.dry_run),
        head=head,
        title=title,
        changes=getattr(args, "changes", None) or "CHANGES.rst",
        docs_url=getattr(args, "docs_url", None) or "",
        extra=read_extra(getattr(args, "extra", None)),
    )


def read_extra(path: str | None) -> str:
    if not path:
        return ""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise FatalError(f"--extra {path}: cannot be read ({error})", status=2) from None


def make_config(args: argparse.Namespace, settings: Settings) -> Config | None:
    """The API settings; None in a dry run without a token (nothing can be looked up)."""
    token = os.environ.get("GITHUB_TOKEN", "").strip()
    if not token and settings.dry_run:
        return None
    if not token:
        raise FatalError("GITHUB_TOKEN is not set", status=2)
    repository = settings.repository or repository_from_remote(args.remote)
    if not is_http_url(args.api_url):
        raise FatalError(f"--api-url must be an http(s) URL, got {args.api_url!r}", status=2)
    return Config(
        args.api_url,
        repository,
        settings.base,
        token,
        args.timeout,
        args.max_wait,
        args.rate_limit_wait,
    )


def main(argv: Sequence[str] | None = None) -> int:
    token = os.environ.get("GITHUB_TOKEN", "").strip()
    try:
        args = parse_args(argv)
        settings = make_settings(args)
        config = make_config(args, settings)
        check_actions_files()
        command = cmd_find if settings.command == "find" else cmd_open
        return command(settings, config)
    except FatalError as failure:
        fail(redact(str(failure), [token]), failure.status)
    except ModuleNotFoundError as missing:  # run without its PEP 723 dependencies
        fail(missing_dependency(missing), 1)
    except KeyboardInterrupt:
        fail("interrupted", 1)


if __name__ == "__main__":
    sys.exit(main())
