"""`make deploy` and `make verify` from a project folder, against pypiserver and the GitHub
stand-in: side by side under make -j, DRY_RUN, and verify naming each mismatch. A ref a
target does not publish: tests/test_deploy_targets.py."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.peers.github_api import GitHubStandIn
from tests.peers.pypi import PypiServer
from tests.test_draft_release import project, replace_by_hand

__all__ = ["project"]  # the fixture: a checkout after `make build`

TAG = "v1.2.0"
WHEEL = "rk_demo-1.2.0-py3-none-any.whl"
# The targets of this side of the train; deploy-dockerhub/deploy-ghcr are tested with images.
OURS = ("deploy-pypi", "deploy-github-release")


def make(
    project: Path, pypi: PypiServer, gh: GitHubStandIn, *args: str, ref: str = f"refs/tags/{TAG}"
) -> subprocess.CompletedProcess[str]:
    """make -f <kit>/releasekit.mk in the project, as a CI job runs it; no secret may leak."""
    summary = project / "summary.md"
    env = {
        **os.environ,
        **gh.env(),
        "PY": sys.executable,
        "GITHUB_REF": ref,
        "GITHUB_REF_NAME": ref.rsplit("/", 1)[-1],
        "GITHUB_STEP_SUMMARY": str(summary),
        "PYPI_REPOSITORY_URL": pypi.url,
        "TWINE_USERNAME": pypi.username,
        "TWINE_PASSWORD": pypi.password,
    }
    done = subprocess.run(
        ["make", "--no-print-directory", "-f", str(ROOT / "releasekit.mk"), *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    written = summary.read_text(encoding="utf-8") if summary.exists() else ""
    for text in (done.stdout, done.stderr, written):
        assert pypi.password not in text
        assert gh.token not in text
    return done


def test_parallel_deploy_publishes_both_then_verify_passes(
    project: Path, pypi: PypiServer, github_api: GitHubStandIn
) -> None:
    done = make(project, pypi, github_api, "-j4", *OURS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "deploy-pypi: rk-demo 1.2.0: uploaded 2 file(s)" in done.stdout
    assert "deploy-github-release: v1.2.0: " in done.stdout
    assert "verify-pypi: 2 file(s)" in done.stdout
    assert "verify-github-release: 4 asset(s) match" in done.stdout
    summary = (project / "summary.md").read_text(encoding="utf-8")
    assert "### PyPI: rk-demo 1.2.0" in summary
    assert "### GitHub Release: v1.2.0" in summary
    again = make(project, pypi, github_api, "-j4", *OURS)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "every file is on the index already" in again.stdout
    assert again.stdout.count("identical, skipped") == 4
    assert len(github_api.releases()) == 1
    checked = make(project, pypi, github_api, "verify-pypi", "verify-github-release")
    assert checked.returncode == 0, checked.stdout + checked.stderr


@dataclass(frozen=True)
class Spoiled:
    name: str
    spoil: Callable[[PypiServer, GitHubStandIn], None]
    says: str


def _file_gone(pypi: PypiServer, gh: GitHubStandIn) -> None:
    (pypi.packages_dir / WHEEL).unlink()


def _asset_replaced(pypi: PypiServer, gh: GitHubStandIn) -> None:
    (release,) = gh.releases()
    asset = next(a for a in gh.assets(int(release["id"])) if a["name"] == "SHA256SUMS")
    replace_by_hand(gh, release, asset, b"0" * 64 + b"  other.whl\n")


SPOILED = [
    Spoiled("file-missing-from-the-index", _file_gone, f"{WHEEL}: missing from the index"),
    Spoiled(
        "release-asset-replaced",
        _asset_replaced,
        "SHA256SUMS: the release asset differs from the local file",
    ),
]


@pytest.mark.parametrize("case", SPOILED, ids=[c.name for c in SPOILED])
def test_verify_names_each_mismatch(
    case: Spoiled, project: Path, pypi: PypiServer, github_api: GitHubStandIn
) -> None:
    assert make(project, pypi, github_api, "-j2", *OURS).returncode == 0
    case.spoil(pypi, github_api)
    checked = make(project, pypi, github_api, "-k", "verify-pypi", "verify-github-release")
    assert checked.returncode != 0
    assert case.says in checked.stderr


def test_dry_run_changes_nothing(
    project: Path, pypi: PypiServer, github_api: GitHubStandIn
) -> None:
    done = make(project, pypi, github_api, "-s", "DRY_RUN=1", *OURS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "DRY_RUN: would upload rk_demo-1.2.0-py3-none-any.whl" in done.stdout
    assert "DRY_RUN: would create a draft release v1.2.0" in done.stdout
    assert github_api.releases() == []
    assert list(pypi.packages_dir.iterdir()) == []


def test_make_verify_runs_every_verify_target_and_names_every_mismatch(
    project: Path, pypi: PypiServer, github_api: GitHubStandIn
) -> None:
    assert make(project, pypi, github_api, "-j2", *OURS).returncode == 0
    for case in SPOILED:
        case.spoil(pypi, github_api)
    no_images = ("IMAGES_EVERY_BUILD=none", "IMAGES_RELEASE_ONLY=none")
    checked = make(project, pypi, github_api, *no_images, "verify")
    assert checked.returncode != 0
    for case in SPOILED:  # the first failure stops nothing: both are named
        assert case.says in checked.stderr, checked.stderr
