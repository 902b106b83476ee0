"""`releasekit init` adopts the train into projects shaped like real ones, and upgrades it there.

Each project row is adopted, then released for real against the stand-ins: `make rc` opens
the draft PR on the GitHub stand-in, a maintainer edits and merges the notes, and
`make release-tag` pushes the tag to the bare origin. No file of the project's is rewritten.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.peers.git_repos import GitRepo, run_git
from tests.peers.github_api import GitHubStandIn

INIT = ROOT / "src" / "releasekit" / "init.py"
RC_DAY = "2026-11-01"
NOTES = "Changelog\n=========\n\n{version} (2026-10-01)\n------------------\n\n- First release.\n"


@dataclass(frozen=True)
class Project:
    name: str
    files: dict[str, str]
    version: str
    package_dir: str = "."
    tag_pattern: str = "v*"
    kept: tuple[str, ...] = ()  # the project's own files init leaves, and reports
    appended: tuple[str, ...] = ()  # files init only appends a table to
    version_files: tuple[str, ...] = ()
    init_args: tuple[str, ...] = field(default=())


APP = Project(
    name="app with its own Makefile, bin/, workflows and tests",
    files={
        "pyproject.toml": (
            '[build-system]\nrequires = ["setuptools>=61"]\n'
            'build-backend = "setuptools.build_meta"\n\n'
            '[project]\nname = "acme-app"\nversion = "1.4.0"\n'
        ),
        "acme_app/__init__.py": '"""Acme."""\n\n__version__ = "1.4.0"\n',
        "Makefile": ".PHONY: lint\nlint:\n\tbin/lint\n",
        "bin/lint": "#!/bin/sh\nexit 0\n",
        ".github/workflows/ci.yml": "name: ci\non: [push]\njobs: {}\n",
        "tests/test_app.py": "def test_app() -> None:\n    assert True\n",
        "CHANGES.rst": NOTES.format(version="1.4.0"),
    },
    version="1.4.0",
    kept=(".github/workflows/ci.yml",),
    appended=("pyproject.toml", "Makefile"),
    version_files=("pyproject.toml", "acme_app/__init__.py"),
)
SETUP_PY = Project(
    name="setup.py only",
    files={
        "setup.py": (
            "from setuptools import setup\n\nsetup(name='acme-legacy', version='0.9.1', "
            "packages=['acme_legacy'])\n"
        ),
        "acme_legacy/__init__.py": "",
        "CHANGES.rst": NOTES.format(version="0.9.1"),
    },
    version="0.9.1",
    version_files=("setup.py",),
)
MONOREPO = Project(
    name="a package of a monorepo",
    files={
        "README.md": "# acme monorepo\n",
        "packages/core/pyproject.toml": '[project]\nname = "acme-core"\nversion = "2.0.0"\n',
        "packages/core/acme_core/__init__.py": '__version__ = "2.0.0"\n',
        "packages/web/pyproject.toml": '[project]\nname = "acme-web"\nversion = "0.1.0"\n',
        "packages/core/CHANGES.rst": NOTES.format(version="2.0.0"),
    },
    version="2.0.0",
    package_dir="packages/core",
    tag_pattern="core-v*",
    appended=("packages/core/pyproject.toml",),
    version_files=("packages/core/pyproject.toml", "packages/core/acme_core/__init__.py"),
    init_args=("--package-dir", "packages/core", "--tag-pattern", "core-v*"),
)
PROJECTS = [APP, SETUP_PY, MONOREPO]


def hashes(root: Path) -> dict[str, str]:
    files = run_git(root, "ls-files").splitlines()
    return {f: hashlib.sha256((root / f).read_bytes()).hexdigest() for f in files}


def tool_env() -> dict[str, str]:
    """The kit's venv first on PATH: its python3 has what the scripts need."""
    venv_bin = str(Path(sys.executable).parent)
    return {**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"}


def init(project: Path, *args: str, script: Path = INIT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), "init", str(project), *args],
        capture_output=True,
        text=True,
        check=False,
        env=tool_env(),
    )


def make(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={**tool_env(), **env},
    )


def seed(repo: GitRepo, row: Project) -> None:
    """The project with its own history and a first release."""
    repo.commit("chore: the project as it was", files=row.files)
    repo.tag(row.tag_pattern.replace("*", row.version), message=f"Release {row.version}")
    repo.commit("feat: add a widget", files={f"{row.package_dir}/widget.txt": "widget\n"})
    repo.commit("fix: mend the gadget (#7)", files={f"{row.package_dir}/gadget.txt": "ok\n"})
    repo.push("main", "--tags")


@pytest.mark.parametrize("row", PROJECTS, ids=[p.name for p in PROJECTS])
def test_init_adopts_then_rc_and_release_tag_run_there(
    row: Project, git_factory: Callable[..., GitRepo], github_api: GitHubStandIn
) -> None:
    repo = git_factory("acme")
    seed(repo, row)
    before = hashes(repo.path)
    result = init(repo.path, *row.init_args)
    assert result.returncode == 0, result.stderr
    for path in row.kept:
        assert f"kept      {path}" in result.stdout
    for path, digest in before.items():
        data = (repo.path / path).read_bytes()
        if path in row.appended:
            assert data.startswith(row.files[path].encode()), path
        else:
            assert hashlib.sha256(data).hexdigest() == digest, f"init rewrote the project's {path}"
    for name in ("releasekit.mk", "bin/release-tag", "scripts/changes.py", ".releasekit.json"):
        assert (repo.path / name).is_file(), name
    if "Makefile" in row.appended:  # init added the include line at the end, and only it
        assert (repo.path / "Makefile").read_text(encoding="utf-8") == (
            row.files["Makefile"] + "include releasekit.mk\n"
        )
    repo.git("add", "--all")
    repo.git("commit", "--quiet", "-m", "chore: adopt the release train")
    repo.push("main")

    rc = make(repo.path, "rc", RC_DATE=RC_DAY, **github_api.env())
    assert rc.returncode == 0, rc.stderr
    [pull] = github_api.pulls("open")
    branch = f"auto-release-candidate-{RC_DAY}"
    assert pull["head"]["ref"] == branch and pull["draft"] is True
    # Every link the kit writes points at the kit's published docs; files it names exist here.
    for link in re.findall(r"\]\((\S+?)\)", pull["body"]):
        assert link.startswith("https://github.com/releasekit/releasekit/"), link
    assert "rt.yml" in pull["body"] and (repo.path / ".github/workflows/rt.yml").is_file()

    # The maintainer sets the version and the date, and merges the pull request.
    new = bump_minor(row.version)
    changes = f"{row.package_dir}/CHANGES.rst" if row.package_dir != "." else "CHANGES.rst"
    repo.git("fetch", "--quiet", "origin")
    repo.git("checkout", "--quiet", "-b", branch, f"origin/{branch}")
    text = (repo.path / changes).read_text(encoding="utf-8")
    draft_title = next(line for line in text.splitlines() if "(unreleased)" in line)
    title = f"{new} (2026-11-02)"
    text = text.replace(f"{draft_title}\n{'-' * len(draft_title)}", f"{title}\n{'-' * len(title)}")
    repo.commit("docs: notes for the release", files={changes: text})
    repo.git("push", "--quiet", "origin", branch)
    repo.checkout("main")
    repo.merge(branch, f"Merge pull request #{pull['number']} from {branch}")
    repo.push("main")

    tag = make(repo.path, "release-tag")
    assert tag.returncode == 0, tag.stderr
    tag_name = row.tag_pattern.replace("*", new)
    assert repo.remote_ref(f"refs/tags/{tag_name}") is not None
    for path in row.version_files:
        assert new in (repo.path / path).read_text(encoding="utf-8"), path


def bump_minor(version: str) -> str:
    major, minor, _ = (int(part) for part in version.split("."))
    return f"{major}.{minor + 1}.0"


# ---- a second init, after the kit was upgraded --------------------------------------------


def newer_kit(tmp_path: Path) -> Path:
    """A copy of the kit whose next release changed two workflows and the Make fragment."""
    kit = tmp_path / "kit"
    for name in ("bin", "scripts", ".github/workflows", "src/releasekit", "requirements"):
        shutil.copytree(ROOT / name, kit / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "releasekit.mk", kit / "releasekit.mk")
    for name in (".github/workflows/rc.yml", ".github/workflows/rt.yml", "releasekit.mk"):
        with (kit / name).open("a", encoding="utf-8") as upgraded:
            upgraded.write("# a line the next release of the kit adds\n")
    return kit


@dataclass(frozen=True)
class Upgrade:
    name: str
    path: str
    edit: str | None  # what the project does to the file between the two inits
    action: str  # what the second init reports
    keeps_project_text: bool


UPGRADES = [
    Upgrade("an unedited file is upgraded", "releasekit.mk", None, "upgraded", False),
    Upgrade(
        "an edited workflow is kept and reported",
        ".github/workflows/rc.yml",
        "append",
        "kept",
        True,
    ),
    Upgrade("an unchanged kit file stays", ".github/workflows/ci.yml", None, "same", False),
    Upgrade("a deleted kit file stays deleted", ".github/workflows/rt.yml", "delete", "kept", True),
]


@pytest.mark.parametrize("row", UPGRADES, ids=[u.name for u in UPGRADES])
def test_a_second_init_after_a_kit_upgrade(
    row: Upgrade, git_factory: Callable[..., GitRepo], tmp_path: Path
) -> None:
    repo = git_factory("acme")
    repo.commit(
        "chore: project", files={"pyproject.toml": '[project]\nname = "a"\nversion = "1.0.0"\n'}
    )
    first = init(repo.path)
    assert first.returncode == 0, first.stderr
    target = repo.path / row.path
    if row.edit == "append":
        with target.open("a", encoding="utf-8") as edited:
            edited.write("# the project's own line\n")
    elif row.edit == "delete":
        target.unlink()
    project_text = target.read_bytes() if target.exists() else None

    second = init(repo.path, script=newer_kit(tmp_path) / "src" / "releasekit" / "init.py")
    assert second.returncode == 0, second.stderr
    lines = [line for line in second.stdout.splitlines() if line.split()[1:2] == [row.path]]
    if row.action == "same":
        assert lines == [], second.stdout
    else:
        [line] = lines
        assert line.startswith(row.action), line
    now = target.read_bytes() if target.exists() else None
    if row.keeps_project_text:
        assert now == project_text
        if now is not None:
            beside = Path(f"{target}.releasekit-new").read_text(encoding="utf-8")
            assert beside.endswith("# a line the next release of the kit adds\n")
            assert row.path in second.stdout.splitlines()[-2]
    elif row.action == "upgraded":
        assert now is not None and now.endswith(b"# a line the next release of the kit adds\n")
    # A third run with the same kit still reports the project's edit.
    third = init(repo.path, script=newer_kit(tmp_path / "again") / "src" / "releasekit" / "init.py")
    if row.action == "kept":
        assert f"kept      {row.path}" in third.stdout
