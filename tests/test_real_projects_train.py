"""The whole train on repositories shaped like pypiserver, click, pip-tools and pytest-xdist,
as a maintainer runs it: adopt with `releasekit init`, `make rc` twice, merge the RC branch
and date the notes, `make release-tag`, `make build` twice, `make deploy-pypi` and
`make verify-pypi`, against the GitHub API stand-in and a real pypiserver.

Each project keeps its own conventions (tags without `v`, Markdown changelogs, news
fragments, versions from tags, its own Makefile), and the train fits them as they are.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.peers.git_repos import GitRepo
from tests.peers.github_api import GitHubStandIn
from tests.peers.pypi import PypiServer
from tests.peers.real_projects import SHAPES, real_project, real_project_template

__all__ = ["real_project_template"]  # the fixture this module uses

ROOT = Path(__file__).resolve().parent.parent
INIT = ROOT / "src" / "releasekit" / "init.py"
TODAY = dt.datetime.now(dt.timezone.utc).date().isoformat()
# What each project gets for its next release; the fix below makes it a patch.
NEXT = {"pypiserver": "2.5.0", "click": "8.1.8", "pip-tools": "7.6.3", "pytest-xdist": "3.8.1"}
# A change on the base branch: with a news fragment where the project keeps them.
FRAGMENT = {
    "pip-tools": "changelog.d/2270.bugfix.md",
    "pytest-xdist": "changelog/1300.bugfix.rst",
}


def tool_env(extra: dict[str, str]) -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    return {**env, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}", **extra}


def run(repo: GitRepo, *command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command, cwd=repo.path, capture_output=True, text=True, check=False, env=tool_env(env)
    )
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}\n{done.stderr}"
    return done


def changelog(repo: GitRepo, name: str, ref: str) -> str:
    return repo.git("show", f"{ref}:{SHAPES[name].changelog}")


@pytest.mark.parametrize("name", list(SHAPES))
def test_the_train_on_a_project_as_it_is(
    name: str,
    real_project_template: Path,
    tmp_path: Path,
    github_api: GitHubStandIn,
    pypi: PypiServer,
) -> None:
    shape = SHAPES[name]
    repo = real_project(real_project_template, name, tmp_path)
    base = shape.base_branch
    env = {
        **github_api.env(),
        "PYPI_REPOSITORY_URL": pypi.url,
        "PYPI_SIMPLE_URL": pypi.simple_url,
        "TWINE_USERNAME": pypi.username,
        "TWINE_PASSWORD": pypi.password,
        "BUILD_NO_ISOLATION": "1",  # the backends are in this venv; nothing is downloaded
        "PYTHON": sys.executable,
    }

    # Adopt: init writes the kit and the settings it read from the project.
    run(repo, sys.executable, str(INIT), "init", str(repo.path), env=env)
    repo.git("add", "--all")
    repo.git("commit", "--quiet", "-m", "chore: adopt releasekit")
    fix = {"fix.txt": "fixed\n"}
    if name in FRAGMENT:
        fix[FRAGMENT[name]] = "Fixed the reported crash.\n"
    repo.commit("fix: the reported crash (#900)", files=fix)
    repo.push(base)

    # make rc, then again after one more change: one draft, one pull request.
    run(repo, "make", "rc", env={**env, "RC_DATE": "2026-11-02"})
    repo.commit("fix: one more (#901)", files={"more.txt": "more\n"})
    repo.push(base)
    run(repo, "make", "rc", env={**env, "RC_DATE": "2026-11-03"})
    branch = "auto-release-candidate-2026-11-02"
    repo.git("fetch", "--quiet", "origin")
    draft = changelog(repo, name, f"origin/{branch}")
    version = re.compile(rf"(?<![\d.]){re.escape(NEXT[name])}(?![\d.])")
    headings = [line for line in draft.splitlines() if version.search(line)]
    assert len(headings) == 1, draft
    assert "releasekit-draft" in draft
    if shape.changelog.endswith(".md"):
        assert ".. releasekit-draft" not in draft  # a Markdown file never gets reST
    assert [p["head"]["ref"] for p in github_api.pulls()] == [branch]

    # The maintainer merges the pull request and dates the notes.
    repo.git("merge", "--quiet", "--no-edit", f"origin/{branch}")
    notes = repo.path / shape.changelog
    text = notes.read_text(encoding="utf-8")
    notes.write_text(re.sub(r"(?i)unreleased", TODAY, text, count=1), encoding="utf-8")
    repo.git("commit", "--quiet", "--all", "-m", "docs: date the notes")
    repo.push(base)

    run(repo, "make", "release-tag", env=env)
    tag = shape.tag(NEXT[name])
    assert repo.remote_ref(f"refs/tags/{tag}") is not None
    if name in FRAGMENT:  # the release commit took the fragment; the notes stayed as dated
        assert not (repo.path / FRAGMENT[name]).exists()
        assert notes.read_text(encoding="utf-8").count(NEXT[name]) >= 1

    # Build twice: the second finds nothing to build and leaves the very same files.
    run(repo, "make", "build", env=env)
    sums = (repo.path / "dist" / "SHA256SUMS").read_bytes()
    again = run(repo, "make", "build", env=env)
    assert "nothing to build" in again.stdout + again.stderr
    assert (repo.path / "dist" / "SHA256SUMS").read_bytes() == sums

    deploy = {**env, "REF": f"refs/tags/{tag}"}
    run(repo, "make", "deploy-pypi", env=deploy)
    run(repo, "make", "verify-pypi", env=deploy)
    listed = {line.split()[-1] for line in sums.decode().splitlines()}
    page = pypi.simple_page(re.sub(r"[-_.]+", "-", listed.pop().split("-")[0]).lower())
    assert NEXT[name] in page
