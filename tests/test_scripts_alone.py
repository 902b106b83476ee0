"""Every script in scripts/ works alone: copied by itself into a folder and run with a bare
interpreter that has none of its PEP 723 dependencies, `--help` works, and a command that
needs a missing package says so in one line (exit 1) that names it and the header's list.

One row per script; a script in scripts/ without a row fails here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.conftest import SCRIPTS, declared_dependencies
from tests.peers.git_repos import make_repo
from tests.peers.pypi import make_wheel

CHANGES = "Changelog\n=========\n\n1.0.0 (2026-01-01)\n------------------\n\n- First.\n"
PYPROJECT = '[project]\nname = "demo"\nversion = "1.0.0"\n'
GITHUB = {"GITHUB_REPOSITORY": "owner/demo", "GITHUB_TOKEN": "not-a-token"}
TAG = {"REF": "refs/tags/v1.0.0"}
SUMS = f"{'0' * 64}  demo-1.0.0-py3-none-any.whl\n"
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
# The one form every script says it in (its missing_dependency() copy, after "PROG: error: ").
ONE_LINE = re.compile(
    r"(?P<prog>\S+): error: needs the '(?P<package>[^']+)' package: pip install "
    r"(?P<listed>[^()]+) \(or run it with uv run, which reads the script's header\)"
)


@dataclass(frozen=True)
class Alone:
    script: str
    command: tuple[str, ...]  # a run that needs the packages the header declares, if any
    env: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)  # written where the command runs
    repo: bool = False  # run in a git checkout (one commit, a bare origin) instead
    beside: tuple[str, ...] = ()  # sibling scripts it runs, copied beside it
    said_by: str = ""  # the script whose line the user sees (default: this one)
    licensed_wheel: bool = False  # dist/ holds a wheel whose METADATA names a license
    tag: str = ""  # a tag made at HEAD of the checkout (a REF naming a version tag needs it)


ROWS = [
    Alone("base_image.py", ("--engine", "no-such-engine", "--cache-dir", "cache")),
    Alone("build_dist.py", (), files={"pyproject.toml": PYPROJECT}, repo=True),
    # The licenses label is read from the wheel with packaging's SPDX parser.
    Alone(
        "build_image.py",
        ("build",),
        env={"DRY_RUN": "1"},
        files={"Dockerfile": "FROM scratch\n"},
        licensed_wheel=True,
    ),
    Alone("changes.py", ("check",), files={"CHANGES.rst": CHANGES}, repo=True),
    Alone("docker_tags.py", (), env={"IMAGES_EVERY_BUILD": "docker.io/owner/demo"}, repo=True),
    Alone(
        "draft_release.py",
        ("verify",),
        env={**TAG, **GITHUB},
        files={
            "CHANGES.rst": CHANGES,
            "dist/SHA256SUMS": f"{EMPTY_SHA256}  demo-1.0.0-py3-none-any.whl\n",
            "dist/demo-1.0.0-py3-none-any.whl": "",
        },
        repo=True,
        tag="v1.0.0",
    ),
    # A draft needs no package of its own; a project's gitchangelog rules need gitchangelog.
    Alone(
        "make_rc_changes.py",
        ("--dry-run",),
        files={".gitchangelog.rc": "section_regexps = []\n"},
        repo=True,
    ),
    Alone("dispatch_ci.py", ("--tag", "v1.2.3"), env=GITHUB, repo=True),
    Alone("project_config.py", ("show",), files={"pyproject.toml": PYPROJECT}),
    Alone("push_image.py", ("--target", "dockerhub", "--tags", "tags.json")),
    # `plan` needs no package: the project's name is read from the files' names (packaging).
    Alone(
        "pypi_publish.py",
        ("verify",),
        env=TAG,
        files={"dist/SHA256SUMS": SUMS},
        repo=True,
        tag="v1.0.0",
    ),
    Alone("rc_pull_request.py", ("find",), env=GITHUB),
    # It runs its siblings with its own interpreter: their one line is the user's.
    Alone(
        "release_candidate.py",
        (),
        env=GITHUB,
        repo=True,
        beside=("make_rc_changes.py", "rc_pull_request.py"),
        said_by="rc_pull_request.py",
    ),
    Alone("release_tag.py", (), env={"DRY_RUN": "1"}, files={"CHANGES.rst": CHANGES}, repo=True),
]


def names(script: str) -> list[str]:
    return [requirement.name for requirement in declared_dependencies(SCRIPTS / script)]


def needed(script: str) -> list[Requirement]:
    """The declared packages this interpreter needs (a marker may leave one out)."""
    declared = declared_dependencies(SCRIPTS / script)
    return [r for r in declared if r.marker is None or r.marker.evaluate()]


@pytest.fixture(scope="session")
def bare_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv without pip or any package: what a user's plain python3 may be."""
    venv = tmp_path_factory.mktemp("bare") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    has = subprocess.run([python, "-c", "import packaging"], capture_output=True, check=False)
    assert has.returncode != 0, "the bare venv sees the test venv's packages"
    return python


def bare_env(extra: dict[str, str]) -> dict[str, str]:
    """This environment without anything that would lend the run the test venv's packages."""
    venv_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    return {**env, "PATH": path, **extra}


def run_alone(
    row: Alone, python: Path, tmp_path: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    alone = tmp_path / "alone"
    alone.mkdir(exist_ok=True)
    for script in (row.script, *row.beside):
        shutil.copy(SCRIPTS / script, alone / script)
    repo = make_repo(tmp_path) if row.repo else None
    if repo is not None and row.tag:
        repo.tag(row.tag)
    where = repo.path if repo is not None else alone
    for name, text in row.files.items():
        (where / name).parent.mkdir(parents=True, exist_ok=True)
        (where / name).write_text(text, encoding="utf-8")
    if row.licensed_wheel:
        make_wheel(where / "dist", "tiny-thing", "1.0.0", headers="License: MIT\n")
    return subprocess.run(
        [str(python), str(alone / row.script), *args],
        cwd=where,
        env=bare_env(row.env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_every_script_has_a_row() -> None:
    rows = sorted(row.script for row in ROWS)
    assert rows == sorted(path.name for path in SCRIPTS.glob("*.py"))


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.script)
def test_help_runs_without_the_dependencies(row: Alone, bare_python: Path, tmp_path: Path) -> None:
    proc = run_alone(row, bare_python, tmp_path, "--help")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout.startswith("usage:")


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.script)
def test_a_missing_package_is_one_line(row: Alone, bare_python: Path, tmp_path: Path) -> None:
    proc = run_alone(row, bare_python, tmp_path, *row.command)
    assert "Traceback" not in proc.stderr
    if not needed(row.script):
        assert "needs the" not in proc.stderr
        return
    assert proc.returncode == 1, proc.stderr
    [line] = proc.stderr.splitlines()
    said = ONE_LINE.fullmatch(line)
    assert said, line
    # The list is the header of the script that said it, and names the missing package.
    listed = said["listed"].split()
    assert listed == names(row.said_by or row.script)
    assert said["package"] in listed
    assert said["package"] in names(row.script)
