"""rc.yml and rt.yml: pinned, hash-checked installs, and the token only where it pushes.

Rows per workflow. The push step's own `run:` script is run with bash in a scratch clone, with
a stand-in `make` on PATH that records what git would send and what the step's environment
holds: git gets the token as an environment-only extra header, and .git/config never holds it.
"""

from __future__ import annotations

import base64
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT
from tests.peers.git_repos import GitRepo

WORKFLOWS = ROOT / ".github" / "workflows"


@dataclass(frozen=True)
class Workflow:
    file: str
    target: str  # the make target of the step that pushes
    token_env: str  # the step's variable that holds the token
    # Other steps that hold a credential, none of which reaches git: the step that mints the
    # release App's token, the step that starts ci.yml on the tag (the API, not git).
    also_holding: tuple[str, ...] = ()

    def steps(self) -> list[dict[str, Any]]:
        text = (WORKFLOWS / self.file).read_text(encoding="utf-8")
        jobs = yaml.safe_load(text)["jobs"]
        return [step for job in jobs.values() for step in job["steps"]]

    def push_step(self) -> dict[str, Any]:
        [step] = [s for s in self.steps() if f"make {self.target}" in s.get("run", "")]
        return step


ROWS = [
    Workflow("rc.yml", "release-candidate", "GITHUB_TOKEN"),
    Workflow(
        "rt.yml",
        "release-tag",
        "PUSH_TOKEN",
        (
            "Mint the release App's token",
            "Start ci.yml on the tag (a push with GITHUB_TOKEN starts no workflow)",
        ),
    ),
]


@pytest.mark.parametrize("workflow", ROWS, ids=lambda w: w.file)
def test_checkouts_keep_no_credentials(workflow: Workflow) -> None:
    checkouts = [
        s for s in workflow.steps() if str(s.get("uses", "")).startswith("actions/checkout@")
    ]
    assert checkouts
    for step in checkouts:
        assert step["with"]["persist-credentials"] is False, step


@pytest.mark.parametrize("workflow", ROWS, ids=lambda w: w.file)
def test_installs_are_pinned_and_hash_checked(workflow: Workflow) -> None:
    installs = [s["run"] for s in workflow.steps() if "pip install" in s.get("run", "")]
    assert installs
    for run in installs:
        assert "--require-hashes" in run and "-r requirements/release.txt" in run, run
        assert "--only-binary :all:" in run, run


@pytest.mark.parametrize("workflow", ROWS, ids=lambda w: w.file)
def test_only_the_push_step_sees_a_token(workflow: Workflow) -> None:
    push = workflow.push_step()
    for step in workflow.steps():
        text = yaml.safe_dump(step)
        holds = "secrets." in text or "github.token" in text
        assert holds == (step["name"] in (push["name"], *workflow.also_holding)), step


@pytest.mark.parametrize("workflow", ROWS, ids=lambda w: w.file)
def test_the_push_step_gives_git_the_token_in_its_environment_only(
    workflow: Workflow, repo: GitRepo, tmp_path: Path
) -> None:
    token = "ghs_FakeTokenForTheWorkflowTest0123456789"
    fake_bin = tmp_path / "fake-bin"
    fake_bin.mkdir()
    record = tmp_path / "record"
    (fake_bin / "make").write_text(
        "#!/usr/bin/env bash\n"
        f'{{ printf "%s\\n" "$*"; git config --get "http.$GITHUB_SERVER_URL/.extraheader";'
        f' printf "token-env=%s\\n" "${{{workflow.token_env}:-}}"; }} > {str(record)!r}\n',
        encoding="utf-8",
    )
    (fake_bin / "make").chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{fake_bin}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_SERVER_URL": "https://github.com",
        workflow.token_env: token,
    }
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", workflow.push_step()["run"]],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
    args, header, token_env = record.read_text(encoding="utf-8").splitlines()
    assert args == workflow.target
    assert header == f"AUTHORIZATION: basic {basic}"
    assert result.stdout.splitlines() == [f"::add-mask::{basic}"]
    config = (repo.path / ".git" / "config").read_text(encoding="utf-8")
    assert token not in config and basic not in config
    if workflow.token_env == "PUSH_TOKEN":  # only git needs it: make and the scripts don't
        assert token_env == "token-env="
