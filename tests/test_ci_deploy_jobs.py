"""ci.yml's deploy jobs: after the build, version tags only, each with only what it needs."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
# A tag's push, or a dispatch on the tag (rt.yml's, or a maintainer's re-run from the Actions tab).
TAG_ONLY = (
    "(github.event_name == 'push' || github.event_name == 'workflow_dispatch')"
    " && github.ref_type == 'tag'"
)


def jobs() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return dict(loaded["jobs"])


# job -> (its permissions, the make target it runs, the environment whose secrets it reads)
DEPLOY_JOBS = [
    (
        "deploy-pypi",
        {"contents": "read", "id-token": "write", "attestations": "write"},
        "make deploy-pypi",
        "pypi",
    ),
    (
        "deploy-github-release",
        {"contents": "write"},
        "make deploy-github-release",
        "github-release",
    ),
]


@pytest.mark.parametrize(
    ("name", "permissions", "command", "environment"), DEPLOY_JOBS, ids=[j[0] for j in DEPLOY_JOBS]
)
def test_deploy_job(name: str, permissions: dict[str, str], command: str, environment: str) -> None:
    job = jobs()[name]
    assert job["permissions"] == permissions
    assert job["environment"] == environment
    assert job["needs"] == ["build"]
    assert job["if"] == TAG_ONLY
    steps = job["steps"]
    assert steps[-1]["run"] == command
    for step in steps:
        if "actions/checkout@" in step.get("uses", ""):
            assert step["with"]["persist-credentials"] is False
        if "actions/download-artifact@" in step.get("uses", ""):
            assert step["with"] == {"name": "dist", "path": "dist/"}


def test_only_the_deploy_jobs_may_write_or_sign() -> None:
    for name, job in jobs().items():
        granted = {k for k, v in job.get("permissions", {}).items() if v == "write"}
        allowed = {
            "deploy-pypi": {"id-token", "attestations"},
            "deploy-github-release": {"contents"},
        }.get(name, set())
        # Other sides of the train (images) declare their own jobs; they never get these.
        if name.startswith("deploy-") and name not in allowed:
            continue
        assert granted <= allowed, name
        uses = [s.get("uses", "") for s in job.get("steps", [])]
        if any("attest-build-provenance" in u for u in uses):
            assert {"id-token", "attestations"} <= granted, name


def test_secrets_reach_steps_only_through_env() -> None:
    for name, job in jobs().items():
        for step in job.get("steps", []):
            for key in ("run", "with"):
                text = str(step.get(key, ""))
                assert not re.search(r"\$\{\{\s*secrets\.", text), (name, step.get("name"))


def test_the_build_job_hands_dist_on_once() -> None:
    build = jobs()["build"]
    uploads = [s for s in build["steps"] if "actions/upload-artifact@" in s.get("uses", "")]
    assert [u["with"]["name"] for u in uploads] == ["dist"]
    assert any(s.get("run") == "make build" for s in build["steps"])


# Every job that reads a deploy secret names the environment that holds it.
ENVIRONMENTS = {
    "deploy-pypi": "pypi",
    "deploy-github-release": "github-release",
    "deploy-dockerhub": "dockerhub",
    "deploy-ghcr": "ghcr",
}


def test_each_deploy_job_names_its_environment() -> None:
    named = {k: j.get("environment") for k, j in jobs().items() if k.startswith("deploy-")}
    assert named == ENVIRONMENTS


def test_ci_can_be_started_on_a_tag_by_hand_or_by_rt_yml() -> None:
    loaded = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert "workflow_dispatch" in loaded[True]  # YAML 1.1 reads the key `on` as true
