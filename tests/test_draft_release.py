"""bin/deploy-github-release and scripts/draft_release.py against the GitHub API stand-in."""

from __future__ import annotations

import hashlib
import re
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from tests.conftest import run_bin, run_script
from tests.peers.github_api import GitHubStandIn
from tests.peers.pypi import make_sdist, make_wheel

TAG = "v1.2.0"
CHANGES = """\
Changelog
=========

1.2.0 (2026-11-20)
------------------

- Add ``make deploy``: it publishes to `PyPI <https://pypi.org>`_ and the registries.
- Fix the `title` of the draft; see https://example.org/issue/7.

  - nested: re-runs keep ``--skip-existing`` off

.. note::

   The wheel is built once.

1.1.0 (2026-10-01)
------------------

- Older entry.
"""
ASSET_NAMES = sorted(
    ["rk_demo-1.2.0-py3-none-any.whl", "rk_demo-1.2.0.tar.gz", "SHA256SUMS", "CHANGES.rst"]
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A checkout after `make build`: CHANGES.rst and dist/ with a wheel, sdist, SHA256SUMS."""
    root = tmp_path / "project"
    dist = root / "dist"
    files = [make_wheel(dist, "rk-demo", "1.2.0"), make_sdist(dist, "rk-demo", "1.2.0")]
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in files]
    (dist / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")
    (root / "CHANGES.rst").write_text(CHANGES, encoding="utf-8")
    return root


def markdown_notes(project: Path) -> str:
    done = run_script("changes", "notes", "1.2.0", "--format", "md", cwd=project, check=True)
    return done.stdout


@dataclass
class Run:
    result: subprocess.CompletedProcess[str]

    @property
    def out(self) -> str:
        return self.result.stdout + self.result.stderr


def deploy(
    gh: GitHubStandIn,
    project: Path,
    *script_args: str,
    env: dict[str, str] | None = None,
    token: str | None = None,
) -> Run:
    """bin/deploy-github-release (or draft_release.py with `script_args`), as CI runs it; then
    no byte printed or written may hold the token."""
    summary, outputs = project / "summary.md", project / "outputs"
    full_env = {
        **gh.env(),
        "GITHUB_REF": f"refs/tags/{TAG}",
        "GITHUB_REF_NAME": TAG,
        "GITHUB_REF_TYPE": "tag",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
        **({"GITHUB_TOKEN": token} if token else {}),
        **(env or {}),
    }
    outputs.touch()
    if script_args:
        result = run_script("draft_release", *script_args, cwd=project, env=full_env)
    else:
        result = run_bin("deploy-github-release", cwd=project, env=full_env)
    written = [summary, outputs, project / "build" / "release-notes.md"]
    for text in [result.stdout, result.stderr, *(p.read_text() for p in written if p.exists())]:
        assert gh.token not in text
        if token:
            assert token not in text
    assert "Traceback" not in result.stderr
    return Run(result)


def the_release(gh: GitHubStandIn) -> dict[str, object]:
    mine = [r for r in gh.releases() if r["tag_name"] == TAG]
    assert len(mine) == 1, mine  # never a second release
    return mine[0]


def asset_names(gh: GitHubStandIn) -> list[str]:
    return sorted(a["name"] for a in gh.assets(int(str(the_release(gh)["id"]))))


def writes(gh: GitHubStandIn) -> list[str]:
    return [f"{r.method} {r.path}" for r in gh.requests if r.method not in ("GET", "HEAD")]


# ---- one table: the stand-in before, what a run does, then a plain re-run ------------------


@dataclass(frozen=True)
class Case:
    name: str
    prepare: Callable[[GitHubStandIn, Path], None] = lambda gh, project: None
    args: tuple[str, ...] = ()  # empty: the bin/ step
    env: dict[str, str] = field(default_factory=dict)
    token: str | None = None
    status: int = 0
    says: str = ""
    waits: int = 0  # lines announcing a retry
    requests: int | None = None  # requests the stand-in saw, when the row counts them
    body: str | None = None  # None: the Markdown notes
    rerun: bool = True


def _edited(gh: GitHubStandIn, project: Path) -> None:
    gh.add_release(TAG, name="Hand-made title", body="Edited by a maintainer.", draft=True)


def _many_releases(gh: GitHubStandIn, project: Path) -> None:
    gh.add_release(TAG, name=TAG, body=markdown_notes(project).strip() + "\n", draft=True)
    for n in range(35):  # newer ones push the draft to the second page
        gh.add_release(f"v0.0.{n}", draft=n % 2 == 0)


def _stale_asset(gh: GitHubStandIn, project: Path) -> None:
    release = gh.add_release(TAG, name=TAG, body="notes", draft=True)
    gh.add_asset(int(release["id"]), "SHA256SUMS", b"stale\n")


def _upload_502(gh: GitHubStandIn, project: Path) -> None:
    gh.fail(502, times=1, method="POST", path_regex=r"/assets$")


def _upload_landed_then_502(gh: GitHubStandIn, project: Path) -> None:
    gh.fail(502, times=1, method="POST", path_regex=r"/assets$", after=True)


def _upload_dropped(gh: GitHubStandIn, project: Path) -> None:
    gh.drop(times=1, method="POST", path_regex=r"/assets$")


def _secondary_limit(gh: GitHubStandIn, project: Path) -> None:
    gh.rate_limit("secondary", status=403, retry_after=1, method="POST", path_regex="/releases$")


def _primary_limit(gh: GitHubStandIn, project: Path) -> None:
    gh.rate_limit("primary", status=403, reset_in=1, method="GET")


def _listing_502s(gh: GitHubStandIn, project: Path) -> None:
    gh.fail(502, times=3, method="GET")  # 0.5 s, 1 s, then 2 s more would pass --max-wait 2.4


def _listing_stalls(gh: GitHubStandIn, project: Path) -> None:
    gh.delay(3, times=2, method="GET")  # each past --timeout; the third would be answered


def _listing_stalls_once(gh: GitHubStandIn, project: Path) -> None:
    gh.delay(3, times=1, method="GET")  # within --timeout 30, past --max-wait 1


CASES = [
    Case("new-draft", says="created draft release v1.2.0"),
    Case(
        "maintainer-edit-survives",
        prepare=_edited,
        says="notes: kept",
        body="Edited by a maintainer.",
    ),
    Case(
        "update-notes-replaces",
        prepare=_edited,
        args=("publish", "--notes", "notes.md", "--update-notes"),
        says="notes: replaced",
    ),
    Case("draft-on-page-two-is-found", prepare=_many_releases, says="found draft release"),
    Case(
        "same-name-other-bytes-replaced",
        prepare=_stale_asset,
        says="asset SHA256SUMS: replaced",
        body="notes",
    ),
    Case("upload-502-then-ok", prepare=_upload_502, says="server error 502", waits=1),
    Case(
        "upload-landed-but-502",
        prepare=_upload_landed_then_502,
        says="server error 502",
        waits=1,
    ),
    Case("upload-dropped-connection", prepare=_upload_dropped, says="connection failed", waits=1),
    Case("secondary-rate-limit", prepare=_secondary_limit, says="secondary rate limit", waits=1),
    Case("primary-rate-limit", prepare=_primary_limit, says="primary rate limit", waits=1),
    Case(
        "bad-token-stops",
        token="ghs_wrongwrongwrong",
        status=1,
        says="401 bad credentials: check GITHUB_TOKEN",
    ),
    Case(
        "unknown-repository-stops",
        env={"GITHUB_REPOSITORY": "octo-org/nothing-here"},
        status=1,
        says="404 not found",
    ),
    Case(
        "retries-are-bounded",
        prepare=_listing_502s,
        args=("--max-wait", "2.4", "publish", "--notes", "notes.md"),
        status=1,
        says="; waiting 2.0 s more would pass --max-wait 2.4 s",
        waits=2,
        requests=3,
    ),
    # Time-outs spend the one deadline too: 0.5 s, a 0.5 s wait, 0.5 s, then 1 s more would
    # pass it. Adding up the waits alone would try a third time, and be answered. The 0.9 s
    # the deadline has to spare is for a loaded machine: the second time-out stays 0.5 s.
    Case(
        "stalled-answers-stop-at-the-deadline",
        prepare=_listing_stalls,
        args=("--timeout", "0.5", "--max-wait", "2.4", "publish", "--notes", "notes.md"),
        status=1,
        says="no answer within 0.5 s; waiting 1.0 s more would pass --max-wait 2.4 s",
        waits=1,
        requests=2,
    ),
    # --timeout 30 would see the answer after 3 s: the time-out is cut to the 1 s left.
    Case(
        "a-time-out-shrinks-to-what-is-left",
        prepare=_listing_stalls_once,
        args=("--timeout", "30", "--max-wait", "1", "publish", "--notes", "notes.md"),
        status=1,
        says="; waiting 0.5 s more would pass --max-wait 1 s",
        requests=1,
    ),
    Case(
        "notes-outside-the-work-tree",
        args=("publish", "--notes", "/etc/hostname"),
        status=2,
        says="outside the work tree",
        rerun=False,
    ),
    Case(
        "plan-row-asks-nothing",
        args=("plan",),
        says="deploy-github-release\t",
        rerun=False,
    ),
    Case(
        "branch-push-skips",
        env={"GITHUB_REF": "refs/heads/main", "GITHUB_REF_NAME": "main"},
        says="deploy-github-release: skipped (not a release tag: refs/heads/main)",
        rerun=False,
    ),
    Case("dry-run-writes-nothing", env={"DRY_RUN": "1"}, says="DRY_RUN: would create", rerun=False),
]


# why; how long; which attempt (and what is left of --max-wait)
WAIT_LINE = re.compile(
    r"draft_release\.py: .+; waiting \d+\.\d s before attempt [2-5] of 5 "
    r"\(\d+\.\d s of --max-wait left\)"
)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_deploy_github_release(case: Case, github_api: GitHubStandIn, project: Path) -> None:
    notes = markdown_notes(project)
    (project / "notes.md").write_text(notes, encoding="utf-8")
    case.prepare(github_api, project)
    run = deploy(github_api, project, *case.args, env=case.env, token=case.token)
    assert run.result.returncode == case.status, run.out
    assert case.says in run.out
    lines = run.result.stderr.strip().splitlines()
    waits = [line for line in lines if WAIT_LINE.fullmatch(line)]
    assert len(waits) == case.waits, run.out
    if case.requests is not None:
        assert len(github_api.requests) == case.requests, run.out
    if case.status:
        assert lines[-1].startswith("draft_release.py: error: ")
        assert case.says in lines[-1]
        if case.waits:
            assert lines[:-1] == waits, run.out
    if not case.rerun:
        assert writes(github_api) == []
        if case.args == ("plan",):
            assert github_api.requests == []
            assert run.result.stdout.endswith("\tv1.2.0\n")
        return
    # A plain re-run completes the release, with no duplicate release or asset.
    again = deploy(github_api, project, "publish", "--notes", "notes.md")
    assert again.result.returncode == 0, again.out
    release = the_release(github_api)
    assert release["draft"] is True
    assert release["prerelease"] is False
    assert str(release["body"] or "").strip() == (case.body or notes).strip()
    assert asset_names(github_api) == ASSET_NAMES
    for asset in github_api.assets(int(str(release["id"]))):
        local = project / ("CHANGES.rst" if asset["name"] == "CHANGES.rst" else "dist")
        local = local if local.is_file() else local / asset["name"]
        assert github_api.asset_bytes(int(asset["id"])) == local.read_bytes()
    if case.name == "new-draft":
        assert again.out.count("identical, skipped") == len(ASSET_NAMES)
        assert [w for w in writes(github_api) if "assets" in w] == [
            f"POST /repos/octo-org/project/releases/{release['id']}/assets"
        ] * len(ASSET_NAMES)


def test_markdown_body_and_summary_read_back(github_api: GitHubStandIn, project: Path) -> None:
    run = deploy(github_api, project)
    assert run.result.returncode == 0, run.out
    body = str(the_release(github_api)["body"])
    assert "`make deploy`" in body
    assert "[PyPI](https://pypi.org)" in body
    assert "  - nested: re-runs keep `--skip-existing` off" in body
    summary = (project / "summary.md").read_text(encoding="utf-8")
    assert "GitHub Release: v1.2.0" in summary
    assert hashlib.sha256((project / "CHANGES.rst").read_bytes()).hexdigest() in summary
    assert "release-url=" in (project / "outputs").read_text(encoding="utf-8")


def test_prerelease_tag_makes_a_prerelease_draft(github_api: GitHubStandIn, project: Path) -> None:
    changes = project / "CHANGES.rst"
    changes.write_text(CHANGES.replace("1.2.0 (2026", "1.2.0rc1 (2026"), encoding="utf-8")
    env = {"GITHUB_REF": "refs/tags/v1.2.0rc1", "GITHUB_REF_NAME": "v1.2.0rc1"}
    run = deploy(github_api, project, env=env)
    assert run.result.returncode == 0, run.out
    (release,) = github_api.releases()
    assert release["tag_name"] == "v1.2.0rc1"
    assert release["prerelease"] is True


def test_verify_names_a_replaced_asset(github_api: GitHubStandIn, project: Path) -> None:
    assert deploy(github_api, project).result.returncode == 0
    release = the_release(github_api)
    wheel = next(
        a for a in github_api.assets(int(str(release["id"]))) if a["name"].endswith(".whl")
    )
    replace_by_hand(github_api, release, wheel, b"not the wheel we built")
    github_api.requests.clear()
    checked = deploy(github_api, project, "verify")
    assert checked.result.returncode == 1, checked.out
    assert f"{wheel['name']}: the release asset differs from the local file" in checked.out
    assert writes(github_api) == []


def replace_by_hand(
    gh: GitHubStandIn, release: dict[str, object], asset: dict[str, object], data: bytes
) -> None:
    """What a maintainer does on the release page: delete an asset, upload another file."""
    headers = {"Authorization": f"Bearer {gh.token}", "User-Agent": "a-maintainer"}
    requests.delete(str(asset["url"]), headers=headers, timeout=10).raise_for_status()
    requests.post(
        str(release["upload_url"]).split("{", 1)[0],
        params={"name": str(asset["name"])},
        data=data,
        headers={**headers, "Content-Type": "application/octet-stream"},
        timeout=10,
    ).raise_for_status()


# ---- one release per tag, and names as GitHub stores them ----------------------------------


def test_two_runs_at_once_leave_one_release(github_api: GitHubStandIn, project: Path) -> None:
    """Both look, find nothing, and create (the API is slow to answer the POST): the later
    draft is deleted and both runs complete the one that stays."""
    github_api.delay(1.0, times=2, method="POST", path_regex=r"/releases$")
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda _: deploy(github_api, project), range(2)))
    assert [r.result.returncode for r in runs] == [0, 0], runs[0].out + runs[1].out
    assert sum("deleted the second draft" in r.out for r in runs) >= 1
    assert asset_names(github_api) == ASSET_NAMES  # the_release: exactly one
    again = deploy(github_api, project)
    assert again.result.returncode == 0 and "several releases" not in again.out


def test_a_second_draft_a_person_edited_is_left_alone(
    github_api: GitHubStandIn, project: Path
) -> None:
    first = deploy(github_api, project)
    assert first.result.returncode == 0, first.out
    github_api.add_release(TAG, name="Hand-made", body="Someone's own words.", draft=True)
    again = deploy(github_api, project)
    assert again.result.returncode == 0, again.out
    assert "edited by a person: left alone" in again.out
    assert len([r for r in github_api.releases() if r["tag_name"] == TAG]) == 2


def test_an_asset_name_github_rewrites_is_found_again(
    github_api: GitHubStandIn, project: Path
) -> None:
    (project / "read me.txt").write_text("Notes.\n", encoding="utf-8")
    args = ("publish", "--changes", "read me.txt")
    first = deploy(github_api, project, *args)
    assert first.result.returncode == 0, first.out
    again = deploy(github_api, project, *args)
    assert again.result.returncode == 0, again.out
    assert "asset read me.txt: identical, skipped" in again.out
    assert "read.me.txt" in asset_names(github_api)
