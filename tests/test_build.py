"""`make build`: the sdist and wheel built once, checked, summed; refused on a tag mismatch."""

from __future__ import annotations

import configparser
import hashlib
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT, load_script, run_bin
from tests.kit_checkout import copy_checkout, make
from tests.peers.git_repos import GitRepo, run_git
from tests.peers.pypi import PypiServer, make_wheel

# ---- the kit's own distributions --------------------------------------------------------------

QUICK = {"BUILD_NO_ISOLATION": "1"}
VERSION = re.findall(r'^version = "(.+)"', (ROOT / "pyproject.toml").read_text(), re.M)[0]
SDIST, WHEEL = f"releasekit-{VERSION}.tar.gz", f"releasekit-{VERSION}-py3-none-any.whl"


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh copy of the kit, built once with `make build`.

    With the build backend this venv has: an isolated build would fetch it again, and
    that is python -m build's own business, not the kit's.
    """
    checkout = copy_checkout(tmp_path_factory.mktemp("kit"))
    result = make(checkout, "build", env=QUICK)
    assert result.returncode == 0, result.stdout + result.stderr
    return checkout


def dist_files(checkout: Path) -> dict[str, int]:
    """Each file in dist/ with its modification time in nanoseconds."""
    return {p.name: p.stat().st_mtime_ns for p in sorted((checkout / "dist").iterdir())}


def test_the_kit_builds_an_sdist_a_wheel_and_their_sums(kit: Path) -> None:
    dist = kit / "dist"
    names = sorted(p.name for p in dist.iterdir())
    assert names == [".SHA256SUMS.inputs", "SHA256SUMS", WHEEL, SDIST]
    expected = "".join(
        f"{hashlib.sha256((dist / name).read_bytes()).hexdigest()}  {name}\n"
        for name in (SDIST, WHEEL)
    )
    assert (dist / "SHA256SUMS").read_text(encoding="utf-8") == expected
    with tarfile.open(dist / SDIST) as sdist:
        members = set(sdist.getnames())
    top = f"releasekit-{VERSION}"
    assert {f"{top}/pyproject.toml", f"{top}/scripts/build_dist.py"} <= members
    check = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, dist.glob("r*"))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout


def test_every_command_runs_from_the_wheel_installed_in_a_fresh_venv(
    kit: Path, tmp_path: Path
) -> None:
    """pip installs the wheel itself; its dependencies are this venv's, seen through a .pth file
    (resolving them from an index again would test the index, not the wheel)."""
    [wheel] = (kit / "dist").glob("*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = sysconfig.get_path("purelib")
    (Path(site) / "dependencies.pth").write_text(f"{ours}\n", encoding="utf-8")
    install = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps", str(wheel)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    assert (Path(site) / f"releasekit-{VERSION}.dist-info").is_dir()
    with zipfile.ZipFile(wheel) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
        parser = configparser.ConfigParser()
        parser.read_string(archive.read(name).decode())
    commands = sorted(parser["console_scripts"])
    assert "releasekit-build" in commands
    for command in commands:
        result = subprocess.run(
            [str(venv / "bin" / command), "--help"], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"{command}: {result.stderr}"
        assert result.stdout.startswith("usage: "), command
    version = subprocess.run(
        [str(venv / "bin" / "releasekit-build"), "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.split() == ["build_dist.py", VERSION]


SCRIPT = "scripts/build_dist.py"


def touch(kit: Path) -> None:
    newer = (kit / SCRIPT).stat().st_mtime + 2
    os.utime(kit / SCRIPT, (newer, newer))


def append_comment(kit: Path) -> None:
    with (kit / SCRIPT).open("a", encoding="utf-8") as edited:
        edited.write("# an edit\n")


def tag_head(kit: Path) -> None:
    """A version tag at the built commit: setuptools_scm would now build another version."""
    run_git(kit, "tag", f"v{VERSION}")


@dataclass(frozen=True)
class Rerun:
    name: str
    change: Callable[[Path], None] | None  # what happens to the checkout in between
    rebuilds: bool


RERUNS = [
    Rerun("nothing changed", None, rebuilds=False),
    Rerun("a file touched, its content the same", touch, rebuilds=False),
    Rerun("a script's content changed", append_comment, rebuilds=True),
    Rerun("a version tag at the commit", tag_head, rebuilds=True),
]


@pytest.mark.parametrize("row", RERUNS, ids=[r.name for r in RERUNS])
def test_make_build_rebuilds_only_when_an_input_changed(kit: Path, row: Rerun) -> None:
    """build_dist.py decides from the inputs' content, recorded beside SHA256SUMS: make
    always runs the step and depends on no file of the project's."""
    assert make(kit, "build", env=QUICK).returncode == 0  # up to date after any earlier row
    before = dist_files(kit)
    if row.change:
        row.change(kit)
    result = make(kit, "build", env=QUICK)
    assert result.returncode == 0, result.stderr
    after = dist_files(kit)
    assert after.keys() == before.keys()
    assert ".SHA256SUMS.inputs" in after
    if row.rebuilds:
        assert all(after[name] > before[name] for name in before), (before, after)
    else:
        assert after == before
        assert "is built from these very inputs: nothing to build" in result.stdout


# ---- the tag / version check on a small project -----------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    project_version: str  # [project].version: what the built files carry
    bumpver_version: str | None  # [tool.bumpver] current_version
    tag: str | None  # a tag at HEAD
    env: dict[str, str] = field(default_factory=dict)
    package_dir: str = "."
    pattern: str = "v*"
    refused: bool = False


CASES = [
    Case("tag, bumpver and files agree", "1.2.0", "1.2.0", "v1.2.0"),
    Case("built files disagree", "1.2.1", "1.2.0", "v1.2.0", refused=True),
    Case(
        "tag from Actions' GITHUB_REF",
        "1.2.0",
        "1.2.0",
        None,
        env={"GITHUB_REF": "refs/tags/v2.0.0", "GITHUB_REF_NAME": "v2.0.0"},
        refused=True,
    ),
    Case(
        "monorepo package and prefix disagree",
        "3.0.0",
        "3.0.0",
        "pkg-v3.0.1",
        {},
        "pkg",
        "pkg-v*",
        refused=True,
    ),
]


@dataclass(frozen=True)
class Versions:
    name: str
    tag: str | None
    bumpver: str | None
    built: str
    pattern: str = "v*"
    refused: bool = False


VERSIONS = [
    Versions("no tag: no check", None, "1.1.0", "1.2.0"),
    Versions("tag, bumpver and files agree", "v1.2.0", "1.2.0", "1.2.0"),
    Versions("no bumpver section: tag and files agree", "v1.2.0", None, "1.2.0"),
    Versions("pre-release spelled three ways", "v1.2.0.rc1", "1.2.0-rc1", "1.2.0rc1"),
    Versions("post-release", "v1.2.0.post1", "1.2.0.post1", "1.2.0.post1"),
    Versions("monorepo prefix", "pkg-v3.0.0", "3.0.0", "3.0.0", pattern="pkg-v*"),
    Versions("tag names another version", "v1.3.0", "1.2.0", "1.2.0", refused=True),
    Versions("bumpver disagrees", "v1.2.0", "1.1.0", "1.2.0", refused=True),
    Versions("built files disagree", "v1.2.0", "1.2.0", "1.2.1", refused=True),
    Versions("all three differ", "v3.0.0", "2.0.0", "1.0.0", refused=True),
    Versions("release vs its pre-release", "v1.2.0", "1.2.0", "1.2.0rc1", refused=True),
]


@pytest.mark.parametrize("row", VERSIONS, ids=[r.name for r in VERSIONS])
def test_the_tag_the_bumpver_version_and_the_built_version_agree(row: Versions) -> None:
    build_dist = load_script("build_dist")
    if not row.refused:
        build_dist.check_release_versions(row.tag, row.pattern, row.bumpver, row.built)
        return
    with pytest.raises(build_dist.RefusalError) as refusal:
        build_dist.check_release_versions(row.tag, row.pattern, row.bumpver, row.built)
    message = str(refusal.value)
    assert f"tag {row.tag}" in message
    assert f"current_version is {row.bumpver}" in message
    assert f"built files are version {row.built}" in message


@dataclass(frozen=True)
class Ref:
    name: str
    tags_at_head: list[str]
    env: dict[str, str]
    expected: str | None
    pattern: str = "v*"


REFS = [
    Ref("a version tag at HEAD", ["v1.0.0"], {}, "v1.0.0"),
    Ref("no tag at HEAD", [], {}, None),
    Ref("a tag that is no version", ["v-next"], {}, None),
    Ref("another prefix's tag", ["w1.0.0"], {}, None),
    Ref("the version tag among others", ["latest", "v1.0.0"], {}, "v1.0.0"),
    Ref("monorepo prefix", ["pkg-v1.0.0", "v2.0.0"], {}, "pkg-v1.0.0", "pkg-v*"),
    Ref("Actions tag ref", [], {"GITHUB_REF": "refs/tags/v2.0.0"}, "v2.0.0"),
    Ref(
        "Actions ref name and type",
        [],
        {"GITHUB_REF_TYPE": "tag", "GITHUB_REF_NAME": "v2.1.0"},
        "v2.1.0",
    ),
    Ref(
        "Actions branch: local tags do not count",
        ["v9.9.9"],
        {"GITHUB_REF": "refs/heads/main", "GITHUB_REF_NAME": "main"},
        None,
    ),
    Ref("Actions pull request", [], {"GITHUB_REF": "refs/pull/7/merge"}, None),
]


@pytest.mark.parametrize("row", REFS, ids=[r.name for r in REFS])
def test_the_release_tag_comes_from_actions_else_from_git(repo: GitRepo, row: Ref) -> None:
    build_dist = load_script("build_dist")
    repo.commit("feat: something")
    for tag in row.tags_at_head:
        repo.tag(tag, message=tag)
    settings = build_dist.Settings(
        root=repo.path,
        package_dir=Path(),
        dist=Path("dist"),
        tag_pattern=row.pattern,
        isolation=False,
        env=row.env,
    )
    assert build_dist.release_tag(settings) == row.expected


PYPROJECT = """\
[build-system]
requires = ["hatchling>=1.24"]
build-backend = "hatchling.build"

[project]
name = "tiny-thing"
version = "{version}"
description = "A tiny package to build."
readme = "README.md"
license = "MIT"
requires-python = ">=3.10"

[tool.hatch.build.targets.wheel]
packages = ["tiny_thing"]
"""


def tiny_project(repo: GitRepo, case: Case) -> Path:
    pyproject = PYPROJECT.format(version=case.project_version)
    if case.bumpver_version is not None:
        pyproject += f'\n[tool.bumpver]\ncurrent_version = "{case.bumpver_version}"\n'
    prefix = "" if case.package_dir == "." else f"{case.package_dir}/"
    repo.commit(
        "feat: tiny",
        files={
            f"{prefix}pyproject.toml": pyproject,
            f"{prefix}README.md": "# tiny-thing\n\nA tiny package.\n",
            f"{prefix}tiny_thing/__init__.py": '"""Tiny."""\n',
            ".gitignore": "dist/\nbuild/\n",
        },
    )
    if case.tag:
        repo.tag(case.tag, message=f"release {case.tag}")
    return repo.path


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_make_build_on_a_release_tag_refuses_a_mismatch_and_leaves_dist_alone(
    repo: GitRepo, case: Case
) -> None:
    path = tiny_project(repo, case)
    dist = path / "dist"
    dist.mkdir()
    (dist / "tiny_thing-0.9.0-py3-none-any.whl").write_bytes(b"the previous build")
    (dist / "SHA256SUMS").write_text("0" * 64 + "  tiny_thing-0.9.0-py3-none-any.whl\n")
    before = snapshot(dist)
    env = {
        "BUILD_NO_ISOLATION": "1",
        "PACKAGE_DIR": case.package_dir,
        "TAG_PATTERN": case.pattern,
        **case.env,
    }
    result = run_bin("build", cwd=path, env=env)
    if case.refused:
        assert result.returncode == 1, result.stderr
        [line] = result.stderr.strip().splitlines()
        tagged = case.env.get("GITHUB_REF_NAME") or case.tag
        assert f"tag {tagged}" in line
        assert f"current_version is {case.bumpver_version}" in line
        assert f"built files are version {case.project_version}" in line
        assert snapshot(dist) == before
        assert list((path / "build").iterdir()) == []  # no staging folder left behind
    else:
        assert result.returncode == 0, result.stderr
        assert sorted(p.name for p in dist.iterdir()) == [
            ".SHA256SUMS.inputs",
            "SHA256SUMS",
            f"tiny_thing-{case.project_version}-py3-none-any.whl",
            f"tiny_thing-{case.project_version}.tar.gz",
        ]


@dataclass(frozen=True)
class BadInput:
    name: str
    env: dict[str, str]
    prepare: Callable[[Path], None] = lambda path: None
    message: str = ""


def _dist_symlink(path: Path) -> None:
    (path / "elsewhere").mkdir()
    (path / "dist").symlink_to(path / "elsewhere")


BAD_INPUTS = [
    BadInput("no pyproject in PACKAGE_DIR", {"PACKAGE_DIR": "nowhere"}, message="no pyproject"),
    BadInput("DIST outside the work tree", {"DIST": "/tmp/dist"}, message="outside the work tree"),
    BadInput("DIST is a symlink", {}, _dist_symlink, message="is a symlink"),
    BadInput("TAG_PATTERN without a star", {"TAG_PATTERN": "v"}, message="has no '*'"),
]


@pytest.mark.parametrize("row", BAD_INPUTS, ids=[r.name for r in BAD_INPUTS])
def test_bad_input_is_refused_in_one_line(repo: GitRepo, row: BadInput) -> None:
    path = tiny_project(repo, Case("", "1.0.0", "1.0.0", None))
    row.prepare(path)
    result = run_bin("build", cwd=path, env={"BUILD_NO_ISOLATION": "1", **row.env})
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert row.message in line
    assert not (path / "dist").exists() or not any((path / "dist").iterdir())


# ---- reproducible builds: SOURCE_DATE_EPOCH from the commit ---------------------------------

BACKENDS = {
    "hatchling": ('requires = ["hatchling>=1.24"]', "hatchling.build"),
    "flit_core": ('requires = ["flit_core>=3.11,<4"]', "flit_core.buildapi"),
    "setuptools": ('requires = ["setuptools>=70"]', "setuptools.build_meta"),
}
# backend -> (the wheel's bytes the same, the sdist's bytes the same), for two builds of one
# commit made at other times, from files with other modification times.
REPRODUCIBLE = [
    ("hatchling", True, True),
    ("flit_core", True, True),
    ("setuptools", True, False),  # its sdist keeps each file's own modification time
]


@pytest.mark.parametrize(("backend", "wheel_same", "sdist_same"), REPRODUCIBLE)
def test_two_builds_of_one_commit(
    repo: GitRepo, backend: str, wheel_same: bool, sdist_same: bool
) -> None:
    requires, api = BACKENDS[backend]
    pyproject = (
        f'[build-system]\n{requires}\nbuild-backend = "{api}"\n\n'
        '[project]\nname = "tiny-repro"\nversion = "1.0.0"\ndescription = "Tiny."\n'
        'license = "MIT"\nreadme = "README.md"\nrequires-python = ">=3.10"\n'
    )
    repo.commit(
        "feat: tiny",
        files={
            "pyproject.toml": pyproject,
            "tiny_repro/__init__.py": '"""Tiny."""\n',
            "README.md": "# tiny-repro\n",
            ".gitignore": "dist/\nbuild/\n",
        },
    )
    built = []
    for later in (0, 1000):
        for path in (repo.path / "tiny_repro" / "__init__.py", repo.path / "pyproject.toml"):
            stat = path.stat()
            os.utime(path, (stat.st_atime + later, stat.st_mtime + later))
        result = run_bin("build", cwd=repo.path, env=QUICK)
        assert result.returncode == 0, result.stdout + result.stderr
        dist = repo.path / "dist"
        built.append(
            {p.suffix: p.read_bytes() for p in dist.iterdir() if p.suffix in (".whl", ".gz")}
        )
        subprocess.run(["rm", "-rf", str(dist), str(repo.path / "build")], check=True)
    first, second = built
    assert (first[".whl"] == second[".whl"], first[".gz"] == second[".gz"]) == (
        wheel_same,
        sdist_same,
    )


# ---- a published dist is final ------------------------------------------------------------


def backend_project(repo: GitRepo, backend: str) -> Path:
    requires, module, *extra = {
        "hatchling": ("hatchling>=1.24", "hatchling.build"),
        "setuptools": ("setuptools>=61", "setuptools.build_meta"),
        "flit-core": ("flit_core>=3.9", "flit_core.buildapi"),
        "setuptools-scm": ('setuptools>=61", "setuptools_scm>=8', "setuptools.build_meta", "scm"),
    }[backend]
    version = 'dynamic = ["version"]' if extra else 'version = "1.2.0"'
    pyproject = (
        f'[build-system]\nrequires = ["{requires}"]\nbuild-backend = "{module}"\n\n'
        f'[project]\nname = "tiny-thing"\n{version}\ndescription = "A tiny package to build."\n'
        'readme = "README.md"\nrequires-python = ">=3.10"\n'
    )
    if extra:
        pyproject += "\n[tool.setuptools_scm]\n"
    if backend.startswith("setuptools"):
        pyproject += '\n[tool.setuptools]\npackages = ["tiny_thing"]\n'
    repo.commit(
        "feat: tiny",
        files={
            "pyproject.toml": pyproject,
            "README.md": "# tiny-thing\n\nA tiny package.\n",
            "tiny_thing/__init__.py": '"""Tiny."""\n\n__version__ = "1.2.0"\n',
            ".gitignore": "dist/\nbuild/\n*.egg-info/\n",
        },
    )
    repo.tag("v1.2.0", message="release v1.2.0")
    return repo.path


def built_bytes(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((path / "dist").iterdir())}


@pytest.mark.parametrize("published", ["other bytes", "the same bytes", "nothing"])
def test_a_rebuild_that_differs_from_the_published_files_is_refused(
    repo: GitRepo, pypi: PypiServer, published: str, tmp_path: Path
) -> None:
    path = backend_project(repo, "hatchling")
    env = {"BUILD_NO_ISOLATION": "1", "PYPI_SIMPLE_URL": pypi.simple_url}
    first = run_bin("build", cwd=path, env=env)
    assert first.returncode == 0, first.stderr
    [wheel] = (path / "dist").glob("*.whl")
    if published == "other bytes":
        make_wheel(pypi.packages_dir, "tiny-thing", "1.2.0")
        assert (pypi.packages_dir / wheel.name).exists()
    elif published == "the same bytes":
        shutil.copy(wheel, pypi.packages_dir / wheel.name)
    previous = snapshot(path / "dist")
    (path / "dist" / ".SHA256SUMS.inputs").write_text("stale\n")  # so that it rebuilds
    result = run_bin("build", cwd=path, env=env)
    if published == "other bytes":
        assert result.returncode == 1, result.stderr
        [line] = result.stderr.strip().splitlines()
        assert f"{wheel.name} is published with another sha256" in line
        assert built_bytes(path)[wheel.name] == previous[wheel.name][0]
    else:
        assert result.returncode == 0, result.stderr
        assert built_bytes(path)[wheel.name] == previous[wheel.name][0]


def test_make_image_never_rebuilds_dist(kit: Path) -> None:
    """`make image` reads DIST as it is: no `build` step runs for it."""
    result = make(kit, "-n", "image")
    assert result.returncode == 0, result.stderr
    assert "RELEASEKIT_BIN/image" in result.stdout
    assert "RELEASEKIT_BIN/build" not in result.stdout
