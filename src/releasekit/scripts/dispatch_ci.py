#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = ["requests>=2.28"]
# ///
"""Start ci.yml on a version tag that a push with the job's own GITHUB_TOKEN left idle.

GitHub starts no workflow for events that GITHUB_TOKEN causes, except workflow_dispatch and
repository_dispatch (docs.github.com, "Triggering a workflow from a workflow"). rt.yml pushes
the tag; when it pushed with GITHUB_TOKEN, this asks GitHub for ci.yml's run on the tag
(POST /repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches, `actions: write`).
When the push was made with RELEASE_TOKEN or an App token, the push started ci.yml already
and this says so and does nothing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from releasekit.rules.actions import actions_files_problem, write_outputs, write_summary
from releasekit.rules.cli import PROG, Parser, fail, info, missing_dependency, yes_no
from releasekit.rules.github import Client, add_repository_options, repository_from_remote
from releasekit.rules.refs import checkout_head, version_of_tag
from releasekit.rules.repository import valid_repository
from releasekit.rules.retries import FatalError, add_deadline_options
from releasekit.rules.secrets import redact

# Who pushed the tag, as rt.yml says it (PUSHED_WITH), and whether GitHub starts the tag's
# workflows for that push (the GITHUB_TOKEN rule above).
PUSH_STARTS_WORKFLOWS = {"github-token": False, "release-token": True, "app-token": True}


@dataclass(frozen=True)
class Settings:
    api_url: str
    repository: str
    token: str = field(repr=False)  # never shown, not even in a repr
    workflow: str
    tag: str
    pushed_with: str
    dry_run: bool
    timeout: float
    max_wait: float


def tag_at_head(pattern: str) -> str:
    """The highest version tag at HEAD: the one release-tag just made."""
    tags, _ = checkout_head(pattern)
    versions = [(v, tag) for tag in tags if (v := version_of_tag(tag, pattern)) is not None]
    if not versions:
        raise FatalError(f"no tag matching {pattern} at HEAD: give --tag", 2)
    return max(versions)[1]


def parse_args(argv: Sequence[str] | None, env: Mapping[str, str]) -> Settings:
    try:  # refused before any work: a typo must not decide whether anything is started
        dry_run = yes_no("DRY_RUN", env.get("DRY_RUN"))
    except ValueError as bad:
        raise FatalError(str(bad), 2) from None
    parser = Parser(
        prog=PROG,
        description=(
            "Start WORKFLOW on a version tag when the tag was pushed with GITHUB_TOKEN "
            "(such a push starts no workflow run). Reads GITHUB_API_URL, GITHUB_REPOSITORY, "
            "GITHUB_TOKEN, PUSHED_WITH and TAG_PATTERN; flags override them. The token is "
            "never printed."
        ),
        epilog="exit status: 0 ok (started, or nothing to start), 1 failed, 2 bad input. "
        "In GitHub Actions it writes dispatched=true|false to GITHUB_OUTPUT and one line to "
        "GITHUB_STEP_SUMMARY.",
    )
    add_repository_options(parser, env)
    parser.add_argument(
        "--workflow",
        default=env.get("CI_WORKFLOW") or "ci.yml",
        help="the workflow file to start (default: $CI_WORKFLOW or %(default)s)",
    )
    parser.add_argument(
        "--tag", default=env.get("TAG"), help="the tag (default: $TAG, else the tag at HEAD)"
    )
    parser.add_argument(
        "--pushed-with",
        choices=sorted(PUSH_STARTS_WORKFLOWS),
        default=env.get("PUSHED_WITH") or "github-token",
        help="the token the tag was pushed with (default: $PUSHED_WITH or %(default)s)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        default=dry_run,
        help="start nothing; say what would be started (default: on when $DRY_RUN is yes)",
    )
    add_deadline_options(parser, env, timeout=30.0, max_wait=120)
    args = parser.parse_args(argv)
    if args.pushed_with not in PUSH_STARTS_WORKFLOWS:  # from the environment
        raise FatalError(f"PUSHED_WITH={args.pushed_with!r}: use one of --pushed-with's", 2)
    if not args.workflow or "/" in args.workflow or args.workflow.strip() != args.workflow:
        raise FatalError(
            f"--workflow must be a file name in .github/workflows: {args.workflow!r}", 2
        )
    parts = urlsplit(args.api_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FatalError("--api-url (GITHUB_API_URL) must be an http(s) URL", 2)
    token = env.get("GITHUB_TOKEN", "").strip()
    needs_api = not args.dry_run and not PUSH_STARTS_WORKFLOWS[args.pushed_with]
    if needs_api and not token:
        raise FatalError("GITHUB_TOKEN is not set", 2)
    repository = args.repository or repository_from_remote(args.remote)
    if not valid_repository(repository):
        raise FatalError(f"GITHUB_REPOSITORY must be OWNER/REPO, got {repository!r}", 2)
    pattern = env.get("TAG_PATTERN") or "v*"
    tag = args.tag or tag_at_head(pattern)
    if version_of_tag(tag, pattern) is None:
        raise FatalError(f"{tag!r} is not a version tag under TAG_PATTERN={pattern}", 2)
    return Settings(
        api_url=args.api_url,
        repository=repository,
        token=token,
        workflow=args.workflow,
        tag=tag,
        pushed_with=args.pushed_with,
        dry_run=args.dry_run,
        timeout=args.timeout,
        max_wait=args.max_wait,
    )


def dispatch(settings: Settings) -> bool:
    """Start the workflow on the tag unless the push did; whether this started it."""
    ref = f"refs/tags/{settings.tag}"
    if PUSH_STARTS_WORKFLOWS[settings.pushed_with]:
        info(
            f"{settings.tag} was pushed with the {settings.pushed_with}: that push started "
            f"{settings.workflow}; nothing to dispatch"
        )
        return False
    if settings.dry_run:
        info(f"dry run: would start {settings.workflow} on {ref} (pushed with GITHUB_TOKEN)")
        return False
    client = Client(settings)
    url = client.url(f"/actions/workflows/{quote(settings.workflow, safe='')}/dispatches")
    # Not idempotent, but a second run of ci.yml on the tag publishes nothing twice (every
    # deploy target checks what is already there), so a retry after a lost answer is safe.
    client.call("POST", url, json={"ref": ref})
    info(f"started {settings.workflow} on {ref}: a push with GITHUB_TOKEN starts no workflow")
    return True


def main(argv: Sequence[str] | None = None) -> int:
    env = os.environ
    token = env.get("GITHUB_TOKEN", "").strip()
    try:
        problem = actions_files_problem(env)
        if problem:
            raise FatalError(problem, 2)
        settings = parse_args(argv, env)
        started = dispatch(settings)
        write_outputs({"dispatched": "true" if started else "false", "tag": settings.tag})
        if started:
            write_summary(f"Started `{settings.workflow}` on `{settings.tag}`.\n")
        return 0
    except FatalError as failure:
        fail(redact(str(failure), [token]), failure.status)
    except ModuleNotFoundError as missing:  # run without its PEP 723 dependencies
        fail(missing_dependency(missing), 1)
    except KeyboardInterrupt:
        fail("interrupted", 130)


if __name__ == "__main__":
    sys.exit(main())
