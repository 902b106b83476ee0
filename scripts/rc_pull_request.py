#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = ["requests>=2.28"]
# ///
"""Find, open or update the one release-candidate draft pull request on GitHub."""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:  # requests is imported lazily: --help must work without it.
    import requests

PROG = "rc_pull_request.py"
HEAD_PREFIX = "auto-release-candidate-"
DEFAULT_API_URL = "https://api.github.com"
USER_AGENT = "releasekit-rc-pull-request"
MARKER_RE = re.compile(r"\n?<!-- releasekit:rc-body sha256=([0-9a-f]{64}) -->\s*\Z")
MAX_ATTEMPTS = 5
FIRST_BACKOFF = 0.5  # seconds; doubles after each failed attempt

Pull = dict[str, Any]


class FatalError(Exception):
    """A failure to report in one line; exit status 1 (or 2 for bad input)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


class TransientError(Exception):
    """A failure worth retrying: 5xx, a dropped connection, a rate limit."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait  # what the server asked for; None means "use the backoff"


@dataclass
class Config:
    api_url: str
    repository: str
    base: str
    token: str = field(repr=False)  # never shown, not even in a repr
    timeout: float
    max_wait: float

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


# ---- HTTP with retries -------------------------------------------------------


class Client:
    """GitHub REST calls with the headers GitHub asks for and bounded retries."""

    def __init__(self, config: Config, sleep: Callable[[float], None] = time.sleep) -> None:
        import requests

        self.config = config
        self.sleep = sleep
        self.waited = 0.0
        self.session = requests.Session()
        self.session.headers.update(
            {
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": USER_AGENT,
                "Authorization": f"Bearer {config.token}",
            }
        )

    def url(self, path: str) -> str:
        return f"{self.config.api_url.rstrip('/')}/repos/{self.config.repository}{path}"

    def send_once(
        self, method: str, url: str, *, params: dict[str, str] | None = None, json: Any = None
    ) -> requests.Response:
        """One request; raise TransientError for what a retry may cure, FatalError for the rest."""
        import requests
        from requests.exceptions import ChunkedEncodingError

        try:
            response = self.session.request(
                method, url, params=params, json=json, timeout=self.config.timeout
            )
        except (requests.ConnectionError, requests.Timeout, ChunkedEncodingError) as exc:
            raise TransientError(
                f"{method} {url}: connection failed ({type(exc).__name__})"
            ) from None
        except requests.RequestException as exc:
            raise FatalError(f"{method} {url}: {type(exc).__name__}") from None
        check_response(response)
        return response

    def backoff(self, attempt: int, problem: TransientError) -> None:
        """Sleep before attempt `attempt + 1`, or give up when the budget is spent."""
        wait = problem.wait if problem.wait is not None else FIRST_BACKOFF * 2**attempt
        if attempt + 1 >= MAX_ATTEMPTS:
            raise FatalError(f"{problem.reason}; gave up after {MAX_ATTEMPTS} attempts")
        if self.waited + wait > self.config.max_wait:
            raise FatalError(
                f"{problem.reason}; the wait ({wait:.0f} s) would exceed "
                f"--max-wait {self.config.max_wait:.0f} s, try again later"
            )
        self.waited += wait
        self.sleep(wait)

    def call(
        self, method: str, url: str, *, params: dict[str, str] | None = None, json: Any = None
    ) -> requests.Response:
        """An idempotent request (GET, PATCH with fixed values): retried as is."""
        for attempt in range(MAX_ATTEMPTS):
            try:
                return self.send_once(method, url, params=params, json=json)
            except TransientError as problem:
                self.backoff(attempt, problem)
        raise AssertionError("unreachable")  # pragma: no cover

    def pages(self, path: str, params: dict[str, str]) -> Iterator[Pull]:
        """Every item of a listing, following the Link rel="next" header."""
        response = self.call("GET", self.url(path), params=params)
        while True:
            yield from response.json()
            next_url = response.links.get("next", {}).get("url")
            if not next_url:
                return
            response = self.call("GET", next_url)


def check_response(response: requests.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    if status == 401:
        raise FatalError("bad credentials: check GITHUB_TOKEN")
    if status in (403, 429):
        limited = rate_limit_wait(response)
        if limited is not None:
            raise TransientError(f"rate limited ({status})", wait=limited)
    if status >= 500:
        raise TransientError(f"server error {status} on {response.request.method} {response.url}")
    raise FatalError(f"{response.request.method} {response.url}: {status} {api_message(response)}")


def rate_limit_wait(response: requests.Response) -> float | None:
    """Seconds to wait for a rate limit, or None when the response is no rate limit."""
    headers = response.headers
    retry_after = headers.get("retry-after")
    if retry_after and retry_after.isdigit():  # secondary limit: GitHub says how long
        return float(retry_after)
    if headers.get("x-ratelimit-remaining") == "0":  # primary limit: wait for the reset
        reset = headers.get("x-ratelimit-reset", "")
        until = float(reset) - time.time() if reset.isdigit() else 60.0
        return max(until, 1.0)
    if "rate limit" in api_message(response).lower():  # secondary without a hint
        return 60.0
    return None


def api_message(response: requests.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return response.reason or ""
    if not isinstance(payload, dict):
        return ""
    details = [str(e.get("message", "")) for e in payload.get("errors", []) if isinstance(e, dict)]
    return "; ".join(m for m in [str(payload.get("message", "")), *details] if m)


# ---- pull requests -----------------------------------------------------------


def find_rc_pull(client: Client) -> Pull | None:
    """The open release-candidate PR to the base branch, whatever day it was opened."""
    base = client.config.base
    found = [
        pull
        for pull in client.pages("/pulls", {"state": "open", "base": base})
        if pull["head"]["ref"].startswith(HEAD_PREFIX)
        and pull["base"]["ref"] == base
        and same_repository(pull, client.config.repository)
    ]
    if len(found) > 1:
        numbers = ", ".join(f"#{p['number']}" for p in found)
        warn(f"several open release-candidate PRs ({numbers}); using the oldest")
    return min(found, key=lambda p: int(p["number"])) if found else None


def same_repository(pull: Pull, repository: str) -> bool:
    """A fork's branch is no release candidate of ours, whatever it is called."""
    repo = pull["head"].get("repo")
    return not repo or str(repo.get("full_name", repository)).lower() == repository.lower()


def find_by_head(client: Client, head: str) -> Pull | None:
    params = {"head": f"{client.config.owner}:{head}", "state": "open"}
    pulls = [p for p in client.pages("/pulls", params) if p["head"]["ref"] == head]
    return pulls[0] if pulls else None


def create_pull(client: Client, head: str, title: str, body: str) -> tuple[Pull, bool]:
    """POST a draft PR. A POST is retried only once a GET shows it did not land."""
    payload: dict[str, Any] = {
        "title": title,
        "head": head,
        "base": client.config.base,
        "body": body,
        "draft": True,
    }
    for attempt in range(MAX_ATTEMPTS):
        try:
            response = client.send_once("POST", client.url("/pulls"), json=payload)
            return response.json(), True
        except TransientError as problem:
            client.backoff(attempt, problem)
        except FatalError as failure:
            if "already exists" not in str(failure):
                raise
            # Another run won the race: update that PR instead of opening a second.
            existing = find_by_head(client, head)
            if existing:
                return existing, False
            raise
        landed = find_by_head(client, head)
        if landed:
            return landed, True
    raise AssertionError("unreachable")  # pragma: no cover


def update_body(client: Client, pull: Pull, body: str) -> bool:
    """Refresh the kit's own text; a body a person edited stays as they left it."""
    if pull.get("body") == body:
        return False
    if not is_kits_own(pull.get("body")):
        warn(f"PR #{pull['number']} has a description a person edited; leaving it")
        return False
    client.call("PATCH", client.url(f"/pulls/{pull['number']}"), json={"body": body})
    return True


# ---- commands ----------------------------------------------------------------


def cmd_find(args: argparse.Namespace, config: Config | None) -> int:
    if config is None:
        warn("no GITHUB_TOKEN: cannot look up the release-candidate PR (dry run)")
        return 0
    pull = find_rc_pull(Client(config))
    if pull:
        print(pull["head"]["ref"])
        write_outputs({"head": pull["head"]["ref"]})
    return 0


def cmd_open(args: argparse.Namespace, config: Config | None) -> int:
    title = args.title or f"chore({args.head})"
    body = sign(checklist(args.head, args.base, args.changes, docs_url(args)))
    if args.dry_run:
        return dry_run_open(args, config, title, body)
    assert config is not None
    client = Client(config)
    pull = find_by_head(client, args.head)
    created = False
    if pull is None:
        pull, created = create_pull(client, args.head, title, body)
    refreshed = not created and update_body(client, pull, body)
    action = "opened" if created else "updated" if refreshed else "unchanged"
    report(pull, created, action)
    return 0


def dry_run_open(args: argparse.Namespace, config: Config | None, title: str, body: str) -> int:
    if config is None:
        action = "no GITHUB_TOKEN, cannot look up an existing PR; would create a draft PR"
    else:
        pull = find_by_head(Client(config), args.head)
        action = dry_run_action(pull, body)
    print(f"DRY_RUN: {action} {args.base} <- {args.head}")
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


def docs_url(args: argparse.Namespace) -> str:
    if args.docs_url:
        return str(args.docs_url)
    server = os.environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    return f"{server}/{args.repository or 'OWNER/REPO'}/blob/{args.base}/docs/release-candidate.md"


# ---- Actions outputs and messages ---------------------------------------------


def write_outputs(values: dict[str, str]) -> None:
    path = os.environ.get("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as out:  # noqa: PTH123
            out.writelines(f"{k}={v}\n" for k, v in values.items())


def write_summary(markdown: str) -> None:
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as out:  # noqa: PTH123
            out.write(markdown)


def info(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


def warn(message: str) -> None:
    print(f"{PROG}: warning: {message}", file=sys.stderr)


def fail(message: str, status: int) -> NoReturn:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    raise SystemExit(status)


# ---- command line ------------------------------------------------------------


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    env = os.environ
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Find, open or update the one release-candidate draft pull request "
            f"(head branch {HEAD_PREFIX}YYYY-MM-DD). Reads GITHUB_API_URL, "
            "GITHUB_REPOSITORY and GITHUB_TOKEN; flags override them. The token is "
            "never printed."
        ),
        epilog=(
            "exit status: 0 ok, 1 failed (API error, bad credentials, retries spent), "
            "2 bad input. In GitHub Actions, 'find' writes head= and 'open' writes number=, "
            "url=, created= to GITHUB_OUTPUT, and 'open' a line to GITHUB_STEP_SUMMARY."
        ),
    )
    parser.add_argument(
        "--api-url",
        default=env.get("GITHUB_API_URL") or DEFAULT_API_URL,
        help="REST API root (default: $GITHUB_API_URL or %(default)s)",
    )
    parser.add_argument(
        "--repository",
        default=env.get("GITHUB_REPOSITORY"),
        help="OWNER/REPO (default: $GITHUB_REPOSITORY)",
    )
    parser.add_argument(
        "--base",
        default=env.get("BASE_BRANCH") or "main",
        help="base branch of the PR (default: $BASE_BRANCH or %(default)s)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        default=truthy(env.get("DRY_RUN")),
        help="change nothing on GitHub; show what would be done "
        "(default: on when $DRY_RUN is 1/true/yes/on)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds to wait for one HTTP response (default: %(default)s)",
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        default=60.0,
        help="most seconds to spend waiting between retries, rate limits "
        "included (default: %(default)s)",
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
    opener.add_argument("--head", required=True, help=f"head branch, e.g. {HEAD_PREFIX}2026-11-01")
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
        "docs/release-candidate.md on the base branch of the repository)",
    )
    return parser.parse_args(argv)


def make_config(args: argparse.Namespace) -> Config | None:
    """The API settings; None in a dry run without a token (nothing can be looked up)."""
    token = os.environ.get("GITHUB_TOKEN", "").strip()
    if not token and args.dry_run:
        return None
    if not token:
        raise FatalError("GITHUB_TOKEN is not set", status=2)
    repository = (args.repository or "").strip()
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repository):
        raise FatalError("set GITHUB_REPOSITORY or --repository to OWNER/REPO", status=2)
    if not args.api_url.startswith(("http://", "https://")):
        raise FatalError(f"--api-url must be an http(s) URL, got {args.api_url!r}", status=2)
    if args.command == "open" and not args.head.strip():
        raise FatalError("--head must name a branch", status=2)
    return Config(args.api_url, repository, args.base, token, args.timeout, args.max_wait)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    token = os.environ.get("GITHUB_TOKEN", "").strip()
    try:
        config = make_config(args)
        command = cmd_find if args.command == "find" else cmd_open
        return command(args, config)
    except FatalError as failure:
        fail(redact(str(failure), token), failure.status)
    except ModuleNotFoundError as missing:  # run without its PEP 723 dependencies
        fail(f"needs the {missing.name!r} package: pip install requests", 1)
    except KeyboardInterrupt:
        fail("interrupted", 1)


def redact(text: str, token: str) -> str:
    return text.replace(token, "***") if token else text


if __name__ == "__main__":
    sys.exit(main())
