"""Fixtures shared by the whole suite. Each real peer lives in tests/peers/."""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
from packaging.requirements import Requirement

from tests.peers.git_repos import GitRepo, make_repo

# Each real peer's fixtures live in its own module.
pytest_plugins = [
    "tests.peers.github_api",
    "tests.peers.pypi",
    "tests.peers.registry",
    "tests.peers.engines",
    "tests.peers.base_image",
]

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
BIN = ROOT / "bin"

# Variables of the developer's shell or of Actions that would leak into what a test runs.
_LEAKY = (
    "GITHUB_ACTIONS",
    "GITHUB_OUTPUT",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_REF",
    "GITHUB_REF_NAME",
    "GITHUB_REF_TYPE",
    "GITHUB_EVENT_NAME",
    "GITHUB_REPOSITORY",
    "GITHUB_TOKEN",
    "GITHUB_API_URL",
    "GITHUB_SERVER_URL",
    "GITHUB_SHA",
    "GITHUB_HEAD_REF",
    "GITHUB_BASE_REF",
    "DRY_RUN",
    "VERSION",
    "SIGN",
    "BASE_BRANCH",
    "REMOTE",
    "CHANGES",
    "TAG_PATTERN",
    "DOCKER_HOST",
    "DOCKER_CONFIG",
    "CI",
)
# What an outer `make test` exports (its variables, MAKEFLAGS) would reach the child makes
# and scripts the tests run: the suite runs the same from `make test` and from pytest.
_MAKE_CONTROL = (
    "MAKEFLAGS",
    "MFLAGS",
    "MAKELEVEL",
    "MAKEOVERRIDES",
    "MAKE_TERMOUT",
    "MAKE_TERMERR",
)
_MAKE_VARIABLE = re.compile(r"^(?:export\s+)?([A-Z][A-Z0-9_]*)\s*[?:]?=", re.MULTILINE)
_MAKE_EXPORT = re.compile(r"^export\s+([A-Z][A-Z0-9_ ]*)$", re.MULTILINE)


def _make_variables() -> set[str]:
    names: set[str] = set(_MAKE_CONTROL)
    for makefile in (ROOT / "Makefile", ROOT / "releasekit.mk"):
        if makefile.is_file():
            text = makefile.read_text(encoding="utf-8")
            names.update(_MAKE_VARIABLE.findall(text))
            for line in _MAKE_EXPORT.findall(text):
                names.update(line.split())
    names.discard("PATH")
    return names


@pytest.fixture(scope="session", autouse=True)
def isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A private HOME and git identity, so no test reads or writes the user's own config."""
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Ada Lovelace\n\temail = ada@example.org\n"
        "[init]\n\tdefaultBranch = main\n"
        "[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n"
        "[advice]\n\tdetachedHead = false\n",
        encoding="utf-8",
    )
    saved = dict(os.environ)
    for name in (*_LEAKY, *_make_variables()):
        os.environ.pop(name, None)
    os.environ.update(
        HOME=str(home),
        GIT_CONFIG_GLOBAL=str(gitconfig),
        GIT_CONFIG_NOSYSTEM="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """A fresh repository on `main` with a bare `origin`."""
    return make_repo(tmp_path)


@pytest.fixture
def git_factory(tmp_path: Path) -> Callable[..., GitRepo]:
    """Make more repositories in this test's temp dir: git_factory("name", with_origin=True)."""

    def factory(name: str = "project", with_origin: bool = True) -> GitRepo:
        return make_repo(tmp_path, name, with_origin)

    return factory


def load_script(name: str) -> ModuleType:
    """Import scripts/<name>.py as a module, the way a user who copied it would run it."""
    path = SCRIPTS / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@functools.cache
def release_requirements_tool() -> ModuleType:
    """tools/release_requirements.py, which pins the scripts' dependencies and reads their
    PEP 723 headers."""
    spec = importlib.util.spec_from_file_location(
        "release_requirements", ROOT / "tools" / "release_requirements.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def declared_dependencies(script: Path) -> list[Requirement]:
    """What a script's PEP 723 header declares, read as the PEP specifies (with tomllib)."""
    specs: list[str] = release_requirements_tool().script_dependencies(script)
    return [Requirement(spec) for spec in specs]


def run_script(
    name: str, *args: str, cwd: Path, env: dict[str, str] | None = None, check: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run scripts/<name>.py as a process with this interpreter (the venv that has its deps)."""
    return subprocess.run(
        [sys.executable, str(SCRIPTS / f"{name}.py"), *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        check=check,
    )


def run_bin(
    name: str, *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run bin/<name> (a bash step) in `cwd`, with the venv's tools first on PATH."""
    venv_bin = str(Path(sys.executable).parent)
    path = f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"
    return subprocess.run(
        [str(BIN / name), *args],
        cwd=cwd,
        env={**os.environ, "PATH": path, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )
