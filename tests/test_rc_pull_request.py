"""scripts/rc_pull_request.py alone, against the GitHub API stand-in."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import SCRIPTS, load_script, run_script
from tests.peers.github_api import GitHubStandIn

HEAD = "auto-release-candidate-2026-11-01"
RC = load_script("rc_pull_request")


def rc(
    gh: GitHubStandIn, *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_script("rc_pull_request", *args, cwd=cwd, env={**gh.env(), **(env or {})})


def writes(gh: GitHubStandIn) -> list[str]:
    return [f"{r.method} {r.path}" for r in gh.requests if r.method not in ("GET", "HEAD")]


def outputs(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return {name: value for name, _, value in (line.partition("=") for line in lines)}


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("rc_pull_request.py: error: ")
    assert "Traceback" not in result.stderr
    return lines[0]


# ---- find ----------------------------------------------------------------------


def test_a_copied_script_runs_help_and_find_on_its_own(
    github_api: GitHubStandIn, tmp_path: Path
) -> None:
    alone = tmp_path / "elsewhere"
    alone.mkdir()
    shutil.copy(SCRIPTS / "rc_pull_request.py", alone)
    env = {**os.environ, **github_api.env()}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-I", str(alone / "rc_pull_request.py"), *args]
        return subprocess.run(command, cwd=alone, env=env, capture_output=True, text=True)

    helped = run("--help")
    assert helped.returncode == 0
    assert "find" in helped.stdout and "open" in helped.stdout
    assert "GITHUB_TOKEN" in helped.stdout

    nothing = run("find")
    assert (nothing.returncode, nothing.stdout) == (0, "")

    github_api.add_pull(HEAD, title=f"chore({HEAD})")
    found = run("find")
    assert (found.returncode, found.stdout) == (0, f"{HEAD}\n")


def test_find_picks_the_open_rc_pr_to_the_base_whatever_its_day(
    github_api: GitHubStandIn, tmp_path: Path
) -> None:
    github_api.add_pull("auto-release-candidate-2026-01-01", state="closed")
    github_api.add_pull("auto-release-candidate-2026-02-01", base="maint-1.x")
    github_api.add_pull("someone:auto-release-candidate-2026-03-01")  # a fork's branch
    github_api.add_pull("feature/auto-release-candidate-notes")
    github_api.add_pull("auto-release-candidate-2025-12-31")
    result = rc(github_api, "find", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "auto-release-candidate-2025-12-31\n")
    other_base = rc(github_api, "--base", "maint-1.x", "find", cwd=tmp_path)
    assert other_base.stdout == "auto-release-candidate-2026-02-01\n"


def test_find_follows_the_link_header_to_page_two(
    github_api: GitHubStandIn, tmp_path: Path
) -> None:
    github_api.add_pull(HEAD)  # the oldest: listed last, newest first
    for n in range(100):  # the client asks for 100 a page
        github_api.add_pull(f"feature-{n}")
    result = rc(github_api, "find", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, f"{HEAD}\n")
    pages = [r.query.get("page", ["1"])[0] for r in github_api.requests]
    assert pages == ["1", "2"]


# ---- open ----------------------------------------------------------------------


def test_open_creates_one_draft_pr_with_the_checklist(
    github_api: GitHubStandIn, tmp_path: Path
) -> None:
    out, summary = tmp_path / "out", tmp_path / "summary"
    env = {"GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(summary)}
    result = rc(github_api, "open", "--head", HEAD, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    [pull] = github_api.pulls()
    assert result.stdout == f"{pull['html_url']}\n"
    assert (pull["title"], pull["draft"], pull["base"]["ref"]) == (f"chore({HEAD})", True, "main")
    assert pull["head"]["ref"] == HEAD
    body = pull["body"]
    for duty in ("Adjust the entries", "Set the version", "Set the date", "Approve and merge"):
        assert duty in body
    assert "rt.yml" in body and "make release-tag" in body and "release-candidate.md" in body
    assert RC.is_kits_own(body)
    assert outputs(out) == {
        "number": str(pull["number"]),
        "url": pull["html_url"],
        "created": "true",
    }
    assert pull["html_url"] in summary.read_text(encoding="utf-8")
    post = next(r for r in github_api.requests if r.method == "POST")
    assert post.headers["Accept"] == "application/vnd.github+json"
    assert post.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert post.headers["Authorization"] == f"Bearer {github_api.token}"
    assert post.headers["User-Agent"]


def test_without_draft_pull_requests_a_normal_one_is_titled_draft(
    github_api: GitHubStandIn, tmp_path: Path
) -> None:
    """A private repository on GitHub Free answers 422 to a draft: one line, a normal PR
    titled `Draft: ...`, and a re-run finds it and opens no second one."""
    github_api.drafts_supported = False
    result = rc(github_api, "open", "--head", HEAD, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [pull] = github_api.pulls()
    assert (pull["title"], pull["draft"]) == (f"Draft: chore({HEAD})", False)
    said = [line for line in result.stderr.splitlines() if "warning" in line]
    assert said == [
        "rc_pull_request.py: warning: Draft pull requests are not supported in this "
        "repository: opening a normal pull request titled 'Draft: ...'"
    ]
    again = rc(github_api, "open", "--head", HEAD, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert [p["number"] for p in github_api.pulls()] == [pull["number"]]


def test_open_again_changes_nothing(github_api: GitHubStandIn, tmp_path: Path) -> None:
    assert rc(github_api, "open", "--head", HEAD, cwd=tmp_path).returncode == 0
    before = github_api.pulls()
    github_api.requests.clear()
    out = tmp_path / "out"
    again = rc(github_api, "open", "--head", HEAD, cwd=tmp_path, env={"GITHUB_OUTPUT": str(out)})
    assert again.returncode == 0, again.stderr
    assert github_api.pulls() == before
    assert writes(github_api) == []
    assert outputs(out)["created"] == "false"


def test_open_refreshes_the_kits_own_stale_text_but_keeps_the_title(
    github_api: GitHubStandIn, tmp_path: Path
) -> None:
    pull = github_api.add_pull(
        HEAD, title="chore: release 2.0", body=RC.sign("An older checklist.\n")
    )
    result = rc(github_api, "open", "--head", HEAD, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    [updated] = github_api.pulls()
    assert updated["title"] == "chore: release 2.0"
    assert "Approve and merge" in updated["body"] and RC.is_kits_own(updated["body"])
    assert writes(github_api) == [f"PATCH /repos/octo-org/project/pulls/{pull['number']}"]


def test_open_leaves_a_description_a_person_edited(
    github_api: GitHubStandIn, tmp_path: Path
) -> None:
    assert rc(github_api, "open", "--head", HEAD, cwd=tmp_path).returncode == 0
    [pull] = github_api.pulls()
    edited = pull["body"].replace("To release it:", "To release it (ask Ada first):")
    github_api.reset()
    github_api.add_pull(HEAD, title=pull["title"], body=edited.replace("\n", "\r\n"))
    result = rc(github_api, "open", "--head", HEAD, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert github_api.pulls()[0]["body"] == edited.replace("\n", "\r\n")
    assert writes(github_api) == []
    assert "edited" in result.stderr


def test_two_runs_racing_end_with_one_pr(github_api: GitHubStandIn, tmp_path: Path) -> None:
    # Hold both POSTs back so that both runs are likely to find no PR first; the loser's
    # 422 "already exists" must turn into an update of the winner's PR.
    github_api.delay(1.0, times=2, method="POST")
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: rc(github_api, "open", "--head", HEAD, cwd=tmp_path), "ab"))
    assert [r.returncode for r in runs] == [0, 0], [r.stderr for r in runs]
    [pull] = github_api.pulls()
    assert [r.stdout for r in runs] == [f"{pull['html_url']}\n"] * 2


def test_a_422_already_exists_without_a_pr_to_update_fails_in_one_line(
    github_api: GitHubStandIn, tmp_path: Path
) -> None:
    message = f"A pull request already exists for octo-org:{HEAD}."
    github_api.fail(
        422, method="POST", body={"message": "Validation Failed", "errors": [{"message": message}]}
    )
    result = rc(github_api, "open", "--head", HEAD, cwd=tmp_path)
    assert result.returncode == 1
    assert "already exists" in one_error_line(result)


# ---- retries ---------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["500", "drop"])
def test_a_failed_post_is_repeated_only_after_checking_it_did_not_land(
    github_api: GitHubStandIn, tmp_path: Path, fault: str
) -> None:
    if fault == "drop":
        github_api.drop(method="POST")
    else:
        github_api.fail(500, method="POST")
    result = rc(github_api, "open", "--head", HEAD, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(github_api.pulls()) == 1
    calls = [r.method for r in github_api.requests]
    assert calls == ["GET", "POST", "GET", "POST"]


@dataclass(frozen=True)
class Retry:
    """One fault row: what the stand-in does, the command, and what the run must show."""

    id: str
    fault: Callable[[GitHubStandIn], None]
    args: tuple[str, ...]
    status: int  # exit status
    waits: int  # "waiting N s before attempt K of 5" lines on stderr
    requests: int  # requests the stand-in received
    last_line: str = ""  # part of the last stderr line (the error line when status != 0)


RETRIES = [
    Retry(
        "5xx-on-reads-retried",
        lambda gh: gh.fail(502, times=2, method="GET"),
        ("find",),
        0,
        waits=2,
        requests=3,
    ),
    *(
        Retry(
            f"{kind}-{status}-waited-out",
            lambda gh, kind=kind, status=status: gh.rate_limit(  # type: ignore[misc]
                kind, status=status, reset_in=1, retry_after=1, method="POST"
            ),
            ("open", "--head", HEAD),
            0,
            waits=1,
            requests=4,
        )
        for kind in ("primary", "secondary")
        for status in (403, 429)
    ),
    Retry(
        "secondary-without-retry-after-waits-the-printed-default",
        lambda gh: gh.rate_limit("secondary", retry_after=None),
        ("--rate-limit-wait", "0.2", "find"),
        0,
        waits=1,
        requests=2,
    ),
    Retry(
        "secondary-without-retry-after-beyond-max-wait-gives-up-at-once",
        lambda gh: gh.rate_limit("secondary", retry_after=None),
        ("--max-wait", "5", "find"),
        1,
        waits=0,
        requests=1,
        last_line="secondary rate limit (403, no retry-after); waiting 60.0 s more would "
        "pass --max-wait 5 s",
    ),
    # A secondary limit hit with the primary one spent: GitHub's message names it, so the line
    # does too, and the wait is until x-ratelimit-reset.
    Retry(
        "secondary-with-the-primary-spent-is-named-secondary",
        lambda gh: gh.rate_limit("secondary", retry_after=None, exhausted=True, reset_in=3600),
        ("--max-wait", "5", "find"),
        1,
        waits=0,
        requests=1,
        last_line="secondary rate limit (403, until its reset); waiting 3",
    ),
    Retry(
        "attempts-are-bounded",
        lambda gh: gh.rate_limit("secondary", times=50, retry_after=0),
        ("find",),
        1,
        waits=4,
        requests=5,
        last_line="gave up after 5 attempts",
    ),
    Retry(
        "primary-reset-beyond-max-wait-gives-up-at-once",
        lambda gh: gh.rate_limit("primary", reset_in=3600),
        ("find",),
        1,
        waits=0,
        requests=1,
        last_line="try again later",
    ),
    Retry(
        # Each read times out: the time-outs and the waits together stay within --max-wait.
        "time-outs-count-against-max-wait",
        lambda gh: gh.delay(5, times=5),
        ("--timeout", "0.5", "--max-wait", "2", "find"),
        1,
        waits=1,
        requests=2,
        last_line="try again later",
    ),
    Retry(
        "the-token-is-not-printed-when-retries-run-out",
        lambda gh: gh.fail(503, times=50),
        ("--max-wait", "1", "open", "--head", HEAD),
        1,
        waits=1,
        requests=2,
        last_line="503",
    ),
]


@pytest.mark.parametrize("row", RETRIES, ids=lambda row: row.id)
def test_retries_print_each_wait_and_stay_within_max_wait(
    github_api: GitHubStandIn, tmp_path: Path, row: Retry
) -> None:
    row.fault(github_api)
    result = rc(github_api, *row.args, cwd=tmp_path)
    lines = result.stderr.strip().splitlines()
    waits = [line for line in lines if WAIT_LINE.fullmatch(line)]
    assert result.returncode == row.status, result.stderr
    assert len(waits) == row.waits, result.stderr
    assert len(github_api.requests) == row.requests, result.stderr
    assert "Traceback" not in result.stderr
    assert github_api.token not in result.stdout + result.stderr
    if row.status:
        assert lines[-1].startswith("rc_pull_request.py: error: ")
        assert lines[:-1] == waits, result.stderr
    assert row.last_line in (lines[-1] if lines else "")
    assert len(github_api.pulls()) <= 1


# why; how long; which attempt (and what is left of the budget)
WAIT_LINE = re.compile(
    r"rc_pull_request\.py: .+; waiting \d+\.\d s before attempt [2-5] of 5 "
    r"\(\d+\.\d s of --max-wait left\)"
)


def test_a_request_time_out_shrinks_to_what_is_left_of_max_wait(
    github_api: GitHubStandIn, tmp_path: Path
) -> None:
    github_api.delay(3, times=1)
    result = rc(github_api, "--timeout", "30", "--max-wait", "1", "find", cwd=tmp_path)
    assert result.returncode == 1
    assert "no answer within 1.0 s" in result.stderr
    assert len(github_api.requests) == 1


# ---- credentials and bad input -------------------------------------------------------


def test_bad_credentials_fail_at_once_in_one_line_without_the_token(
    github_api: GitHubStandIn, tmp_path: Path
) -> None:
    token = "ghp_Wr0ngT0kenNobodyShouldSee1234567890"
    for command in (["find"], ["open", "--head", HEAD], ["--dry-run", "open", "--head", HEAD]):
        github_api.requests.clear()
        result = rc(github_api, *command, cwd=tmp_path, env={"GITHUB_TOKEN": token})
        assert result.returncode == 1
        assert re.fullmatch(
            r"rc_pull_request\.py: error: \S+ \S+: 401 bad credentials: check GITHUB_TOKEN",
            one_error_line(result),
        )
        assert token not in result.stdout + result.stderr
        assert len(github_api.requests) == 1
    assert github_api.pulls() == []


def test_the_token_stays_out_of_reprs() -> None:
    config = RC.Config("http://127.0.0.1:1", "o/r", "main", "ghs_secret_value", 1.0, 1.0)
    assert "ghs_secret_value" not in repr(config)


# Bad input (exit 2, one line) is a row in tests/test_bad_inputs.py.


# ---- dry run -------------------------------------------------------------------------


def test_dry_run_shows_the_pr_it_would_create_and_writes_nothing(
    github_api: GitHubStandIn, tmp_path: Path
) -> None:
    result = rc(github_api, "--dry-run", "open", "--head", HEAD, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "would create a draft PR" in result.stdout
    assert f"title: chore({HEAD})" in result.stdout
    assert "Approve and merge" in result.stdout
    assert github_api.pulls() == [] and writes(github_api) == []


def test_dry_run_names_the_pr_it_would_update(github_api: GitHubStandIn, tmp_path: Path) -> None:
    pull = github_api.add_pull(HEAD, body=RC.sign("An older checklist.\n"))
    result = rc(github_api, "open", "--head", HEAD, cwd=tmp_path, env={"DRY_RUN": "1"})
    assert result.returncode == 0, result.stderr
    assert f"would update the description of PR #{pull['number']}" in result.stdout
    assert writes(github_api) == []
    assert github_api.pulls()[0]["body"] == pull["body"]


def test_dry_run_without_a_token_says_it_cannot_look_up(
    github_api: GitHubStandIn, tmp_path: Path
) -> None:
    no_token = {"GITHUB_TOKEN": ""}
    opened = rc(github_api, "--dry-run", "open", "--head", HEAD, cwd=tmp_path, env=no_token)
    assert opened.returncode == 0, opened.stderr
    assert "cannot look up" in opened.stdout and "would create a draft PR" in opened.stdout
    found = rc(github_api, "--dry-run", "find", cwd=tmp_path, env=no_token)
    assert (found.returncode, found.stdout) == (0, "")
    assert "cannot look up" in found.stderr
    assert github_api.requests == []


# ---- the body marker -------------------------------------------------------------------


def test_the_marker_tells_the_kits_text_from_a_persons() -> None:
    body = RC.sign("Some checklist.\n")
    assert RC.is_kits_own(body)
    assert RC.is_kits_own(body.replace("\n", "\r\n"))  # the web editor's line ends
    assert not RC.is_kits_own(body.replace("Some", "My"))
    assert not RC.is_kits_own("Some checklist.\n")
    assert not RC.is_kits_own(None)
