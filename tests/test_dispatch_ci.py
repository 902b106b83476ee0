"""scripts/dispatch_ci.py against the GitHub API stand-in: a tag pushed with GITHUB_TOKEN
starts ci.yml only through a workflow_dispatch; a push with another token is left alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import run_script
from tests.peers.git_repos import GitRepo
from tests.peers.github_api import GitHubStandIn


@dataclass(frozen=True)
class Row:
    name: str
    env: dict[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()
    workflows: dict[str, bool] = field(default_factory=lambda: {"ci.yml": True})
    no_token: bool = False
    status: int = 0
    dispatched: list[tuple[str, str]] = field(default_factory=list)
    says: str = ""  # in the one line on stderr


TAG_REF = "refs/tags/v1.2.3"
ROWS = [
    Row(
        "pushed with GITHUB_TOKEN: ci.yml is started on the tag",
        env={"PUSHED_WITH": "github-token"},
        dispatched=[("ci.yml", TAG_REF)],
        says="started ci.yml on refs/tags/v1.2.3",
    ),
    Row(
        "pushed with RELEASE_TOKEN: the push started it",
        env={"PUSHED_WITH": "release-token"},
        says="nothing to dispatch",
    ),
    Row(
        "pushed with an App token: the push started it",
        args=("--pushed-with", "app-token"),
        says="nothing to dispatch",
    ),
    Row("a dry run starts nothing", env={"DRY_RUN": "1"}, says="dry run: would start ci.yml"),
    Row(
        "a tag that is not on origin: GitHub's 422, one line",
        args=("--tag", "v9.9.9"),
        status=1,
        says="No ref found for: refs/tags/v9.9.9",
    ),
    Row(
        "a workflow without workflow_dispatch",
        workflows={"ci.yml": False},
        status=1,
        says="Workflow does not have 'workflow_dispatch' trigger",
    ),
    Row(
        "a workflow the repository lacks",
        args=("--workflow", "deploy.yml"),
        status=1,
        says="404 not found",
    ),
    Row("no token", no_token=True, status=2, says="GITHUB_TOKEN is not set"),
    Row("an unknown PUSHED_WITH", env={"PUSHED_WITH": "pat"}, status=2, says="PUSHED_WITH="),
    Row("a typo in DRY_RUN", env={"DRY_RUN": "maybe"}, status=2, says="DRY_RUN='maybe'"),
    Row("a tag outside TAG_PATTERN", args=("--tag", "nightly"), status=2, says="not a version tag"),
    Row("a workflow path", args=("--workflow", "../ci.yml"), status=2, says="--workflow"),
]


@pytest.fixture
def tagged(repo: GitRepo) -> GitRepo:
    repo.commit("feat: the release")
    repo.git("tag", "-a", "v1.2.3", "-m", "v1.2.3")
    repo.git("push", "--quiet", "origin", "main", "v1.2.3")
    return repo


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.name)
def test_dispatch(row: Row, tagged: GitRepo, github_api: GitHubStandIn, tmp_path: Path) -> None:
    github_api.workflows = dict(row.workflows)
    github_api.origin = tagged.origin
    output = tmp_path / "github_output"
    output.touch()
    env = {**github_api.env(), "GITHUB_OUTPUT": str(output), **row.env}
    if row.no_token:
        env["GITHUB_TOKEN"] = ""
    done = run_script("dispatch_ci", *row.args, cwd=tagged.path, env=env)
    assert done.returncode == row.status, done.stderr
    assert github_api.dispatches == row.dispatched
    assert row.says in done.stderr
    assert github_api.token not in done.stderr + done.stdout
    if row.status:
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    else:
        started = "true" if row.dispatched else "false"
        assert f"dispatched={started}" in output.read_text(encoding="utf-8")
