"""A project with the kit copied in (Makefile, releasekit.mk, bin/, scripts/), as
`releasekit init` leaves one: v1.2.0 released and tagged, dated notes for 1.3.0, a bare origin.

Fixtures: `kit_project_template` (built once per worker) and `kit_project` (a fresh copy per
test, with the GitHub API stand-in and two empty folders beside the checkout: `outside/` for
files that are not the project's and `scratch/` for TMPDIR)."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.peers.git_repos import GitRepo, make_repo
from tests.peers.github_api import GitHubStandIn

ROOT = Path(__file__).resolve().parent.parent.parent
KIT_FILES = ("Makefile", "releasekit.mk", "bin", "scripts")


@dataclass
class Project:
    """The checkout a row runs in, with its origin and the stand-in."""

    repo: GitRepo
    tmp: Path
    gh: GitHubStandIn

    @property
    def path(self) -> Path:
        return self.repo.path

    @property
    def outside(self) -> Path:
        """A folder beside the checkout, for files that are not the project's."""
        return self.tmp / "outside"

    def commit(self, subject: str, files: Mapping[str, str]) -> None:
        self.repo.commit(subject, files=dict(files))
        self.repo.push("main")


def pyproject(version: str) -> str:
    return (
        f'[project]\nname = "demo"\nversion = "{version}"\n\n'
        f'[tool.bumpver]\ncurrent_version = "{version}"\n'
        'version_pattern = "MAJOR.MINOR.PATCH[PYTAGNUM][.postBUILD]"\n\n'
        "[tool.bumpver.file_patterns]\n"
        '"pyproject.toml" = [\'^version = "{pep440_version}"\', '
        "'^current_version = \"{version}\"']\n"
    )


CHANGES = """\
Changelog
=========

1.3.0 (2026-11-01)
------------------

- 1234abc ENH: Work for 1.3.0

1.2.0 (2025-06-01)
------------------

- 1234abc ENH: Work for 1.2.0
"""


@pytest.fixture(scope="module")
def kit_project_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once per worker: a released 1.2.0 with notes for 1.3.0 and the kit committed."""
    root = tmp_path_factory.mktemp("bad-inputs")
    repo = make_repo(root, "project")
    for name in KIT_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, repo.path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, repo.path / name)
    repo.commit("feat: the project at 1.2.0", files={"pyproject.toml": pyproject("1.2.0")})
    repo.tag("v1.2.0", message="Release 1.2.0")
    repo.commit("docs: notes for 1.3.0", files={"CHANGES.rst": CHANGES})
    repo.push("main", "v1.2.0")
    return root


@pytest.fixture
def kit_project(kit_project_template: Path, tmp_path: Path, github_api: GitHubStandIn) -> Project:
    shutil.copytree(kit_project_template / "project", tmp_path / "project", symlinks=True)
    shutil.copytree(
        kit_project_template / "project-origin.git", tmp_path / "origin.git", symlinks=True
    )
    repo = GitRepo(path=tmp_path / "project", origin=tmp_path / "origin.git")
    repo.git("remote", "set-url", "origin", str(repo.origin))
    for folder in ("outside", "scratch"):
        (tmp_path / folder).mkdir()
    return Project(repo, tmp_path, github_api)
