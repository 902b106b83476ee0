"""Small real git repositories shaped like four real projects, before they adopt the train.

Each is what its maintainers keep, cut down to what the train reads: the tag style, the
changelog and its headings, the build backend and where the version comes from, the Makefile
and its rules, towncrier, tox/pre-commit/pytest configuration and `.gitignore`. Built from the
projects' own files as published (pypiserver/pypiserver, pallets/click, jazzband/pip-tools,
pytest-dev/pytest-xdist on GitHub), with commands that run offline.

    pypiserver   tags v2.4.0, v2.4.1; static [project] version and `version = __version__ =`
                 in pypiserver/__init__.py; CHANGES.rst with a `3.0.0 (tbd)` planning section on
                 top; its own Makefile: a `test-%` pattern rule, `format` reading undefined
                 CHECK/DIFF, `SHELL = /bin/sh`; tests/test-ignorelist (which `test-%` matches).
    click        tags 8.1.6, 8.1.7 (no `v`), and 8.2.0 on a branch main never merged;
                 CHANGES.md with `## Version X.Y.Z` and a `Released DATE` line; flit_core with
                 the version read from src/click/__init__.py; a [tool.tox] whose inline tables
                 bumpver's TOML reader cannot parse; pre-commit, ruff, pytest; no Makefile.
    pip-tools    tags v7.6.1, v7.6.2; setuptools_scm; towncrier.toml writing CHANGELOG.md
                 (`## vX.Y.Z` + `*DATE*`) from changelog.d/; `.gitignore` with `build` (any
                 file of that name, bin/build included); tox, pre-commit, pytest.
    pytest-xdist base branch master (origin's HEAD); tags v3.7.0, v3.8.0; setuptools_scm;
                 towncrier in pyproject.toml writing CHANGELOG.rst (`pytest-xdist 3.8.0
                 (2025-06-30)`) from changelog/; `.gitignore` with `bin/`; a format string
                 `"{}.{}.{}"` assigned to `version` in src/xdist/workermanage.py; tox.

Use: `real_project_template` builds all four once per test module (a checkout and its bare
origin each); `real_project(name, dest)` copies one for a test, which may change it freely.
A project's `Shape` says what the repository holds, for the tests that drive the train on it.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.peers.git_repos import GitRepo, run_git

NAMES = ("pypiserver", "click", "pip-tools", "pytest-xdist")


@dataclass(frozen=True)
class Release:
    version: str
    files: dict[str, str]  # what the release commit changes (changelog, version files)


@dataclass(frozen=True)
class Shape:
    name: str
    base_branch: str
    tag_prefix: str
    files: dict[str, str]  # the tree before the first release below
    releases: tuple[Release, ...]
    after: tuple[tuple[str, dict[str, str]], ...]  # commits since the last release
    changelog: str

    @property
    def last_release(self) -> str:
        return self.releases[-1].version

    def tag(self, version: str) -> str:
        return f"{self.tag_prefix}{version}"


# ---- pypiserver ------------------------------------------------------------------------------

PYPISERVER_MAKEFILE = """\
# pypi-server Makefile
# ********************
#
# This Makefile contains various developer-oriented scripts

# Cleanups
# --------

.PHONY: clean-build
clean-build:
\t@echo ">>> Cleaning build artifacts..."
\trm -rf build/ dist/ *.egg-info .pytest_cache .config.cache

# Code style
# ----------

.PHONY: format
format: pyproject.toml ./pypiserver
\t@echo ">>> Cleaning and formatting the source code"
\t@echo isort $(CHECK) pypiserver
\t@echo black $(CHECK) $(DIFF) pypiserver

# Testing
# -------

.PHONY: test
test test-3.x: pyproject.toml ./tests ./pypiserver
\t@echo ">>> Running tests for Current Python ..."
\t@echo "pytest tests: 2 passed"

.PHONY: test-%
test-%: pyproject.toml ./tests ./pypiserver
\t@$(MAKE) clean-build
\t@echo ">>> Running tests for Python $* ..."

SHELL = /bin/sh
"""


def pypiserver_pyproject(version: str) -> str:
    return (
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
        '\n[project]\nname = "pypiserver"\n'
        f'version = "{version}"\n'
        'description = "A minimal PyPI server for use with pip/easy_install."\n'
        'readme = "README.md"\n'
        'requires-python = ">=3.9"\n\n[tool.setuptools]\npackages = ["pypiserver"]\n'
    )


def pypiserver_init(version: str) -> str:
    return (
        'import re as _re\n\nversion = __version__ = "' + version + '"\n'
        "__version_info__ = tuple(_re.split('[.-]', __version__))\n"
        '__title__ = "pypiserver"\n'
    )


def pypiserver_changes(*versions: tuple[str, str]) -> str:
    lines = [
        "Changelog",
        "=========",
        "",
        "3.0.0 (tbd)",
        "-----------",
        "",
        "- Planned: drop the bottle backend.",
        "",
    ]
    for version, date in versions:
        title = f"{version} ({date})"
        lines += [title, "-" * len(title), "", f"- FIX: work for {version} (#6{version[-1]})", ""]
    return "\n".join(lines)


PYPISERVER = Shape(
    name="pypiserver",
    base_branch="main",
    tag_prefix="v",
    files={
        "pyproject.toml": pypiserver_pyproject("2.4.0"),
        "pypiserver/__init__.py": pypiserver_init("2.4.0"),
        "Makefile": PYPISERVER_MAKEFILE,
        "tests/test-ignorelist": "package-to-ignore\n",
        "tests/test_core.py": "def test_core() -> None:\n    assert True\n",
        "README.md": "# pypiserver\n",
        ".gitignore": "build/\ndist/\n*.egg-info\n.venv/\n__pycache__/\n",
    },
    releases=(
        Release(
            "2.4.0",
            {"CHANGES.rst": pypiserver_changes(("2.4.0", "2025-01-28"))},
        ),
        Release(
            "2.4.1",
            {
                "CHANGES.rst": pypiserver_changes(("2.4.1", "2025-03-02"), ("2.4.0", "2025-01-28")),
                "pyproject.toml": pypiserver_pyproject("2.4.1"),
                "pypiserver/__init__.py": pypiserver_init("2.4.1"),
            },
        ),
    ),
    after=(
        ("fix: serve the fallback page again (#701)", {"pypiserver/_app.py": "# app\n"}),
        ("feat: a health endpoint (#702)", {"pypiserver/health.py": "# health\n"}),
    ),
    changelog="CHANGES.rst",
)

# ---- click -----------------------------------------------------------------------------------

CLICK_PYPROJECT = """\
[project]
name = "click"
dynamic = ["version", "description"]
readme = "README.md"
license = "BSD-3-Clause"
requires-python = ">=3.10"

[build-system]
requires = ["flit_core>=3.11,<4"]
build-backend = "flit_core.buildapi"

[tool.flit.module]
name = "click"

[tool.pytest.ini_options]
testpaths = ["tests"]
filterwarnings = ["error"]

[tool.ruff]
src = ["src"]
fix = true

[tool.tox]
env_list = ["py3.13", "py3.12", "style", "typing", "docs"]

[tool.tox.env_run_base]
description = "pytest on latest dependency versions"
package = "wheel"
dependency_groups = ["tests"]
commands = [[
    "pytest", "-v", "--tb=short", "--basetemp={env_tmp_dir}",
    {replace = "posargs", default = [], extend = true},
]]

[dependency-groups]
tests = ["pytest"]
"""


def click_init(version: str) -> str:
    return f'"""Composable command line interface toolkit."""\n\n__version__ = "{version}"\n'


def click_changes(*versions: tuple[str, str]) -> str:
    lines = ["# Changes", "", "## Version 8.1.8", "", "Unreleased", "", "- Work in progress.", ""]
    for version, date in versions:
        lines += [
            f"## Version {version}",
            "",
            f"Released {date}",
            "",
            f"- A fix of {version}. {{issue}}`25{version[-1]}`",
            "",
        ]
    return "\n".join(lines)


CLICK = Shape(
    name="click",
    base_branch="main",
    tag_prefix="",
    files={
        "pyproject.toml": CLICK_PYPROJECT,
        "src/click/__init__.py": click_init("8.1.6"),
        "src/click/core.py": "# core\n",
        "tests/test_basic.py": "def test_basic() -> None:\n    assert True\n",
        ".pre-commit-config.yaml": "repos: []\n",
        "README.md": "# click\n",
        ".gitignore": ".venv*/\n__pycache__/\ndist/\nbuild/\n*.egg-info\n",
    },
    releases=(
        Release(
            "8.1.6",
            {"CHANGES.md": click_changes(("8.1.6", "2023-07-18"))},
        ),
        Release(
            "8.1.7",
            {
                "CHANGES.md": click_changes(("8.1.7", "2023-08-17"), ("8.1.6", "2023-07-18")),
                "src/click/__init__.py": click_init("8.1.7"),
            },
        ),
    ),
    after=(
        ("Fix shell completion for nested groups (#2600)", {"src/click/shell.py": "# sh\n"}),
        ("Merge pull request #2601 from pallets/docs", {"docs/index.md": "# docs\n"}),
    ),
    changelog="CHANGES.md",
)
# A release branch main never merged, tagged higher than anything on main.
CLICK_SIDE_BRANCH = ("stable", "8.2.0")

# ---- pip-tools -------------------------------------------------------------------------------

PIP_TOOLS_PYPROJECT = """\
[build-system]
requires = ["setuptools>=63", "setuptools_scm[toml]>=7"]
build-backend = "setuptools.build_meta"

[project]
requires-python = ">= 3.9"
dynamic = ["version"]
name = "pip-tools"
description = "pip-tools keeps your pinned dependencies fresh."
readme = "README.md"
dependencies = ["build >= 1.0.0", "click >= 8", "pip >= 22.2"]

[project.optional-dependencies]
testing = ["pytest >= 7.2.0", "pytest-xdist"]

[project.scripts]
pip-compile = "piptools.scripts.compile:cli"

[tool.pytest.ini_options]
addopts = ["--numprocesses=auto"]
testpaths = "tests piptools"

[tool.setuptools.packages.find]
include = ["piptools*"]

[tool.setuptools_scm]
local_scheme = "dirty-tag"
"""

PIP_TOOLS_TOWNCRIER = """\
[tool.towncrier]
  package = "piptools"
  filename = "CHANGELOG.md"
  start_string = "<!-- towncrier release notes start -->\\n"
  directory = "changelog.d/"
  title_format = "## v{version}"
  issue_format = "{issue}"
  underlines = ["", "", ""]

  [[tool.towncrier.type]]
    directory = "bugfix"
    name = "Bug fixes"
    showcontent = true

  [[tool.towncrier.type]]
    directory = "feature"
    name = "Features"
    showcontent = true
"""


def pip_tools_changelog(*versions: tuple[str, str]) -> str:
    lines = ["<!-- towncrier release notes start -->", ""]
    for version, date in versions:
        lines += [
            f"## v{version}",
            "",
            f"*{date}*",
            "",
            "### Bug fixes",
            "",
            f"- Fixed the work of {version} -- by {{user}}`ada` (#22{version[-1]})",
            "",
        ]
    return "\n".join(lines)


PIP_TOOLS = Shape(
    name="pip-tools",
    base_branch="main",
    tag_prefix="v",
    files={
        "pyproject.toml": PIP_TOOLS_PYPROJECT,
        "towncrier.toml": PIP_TOOLS_TOWNCRIER,
        "piptools/__init__.py": "from __future__ import annotations\n",
        "piptools/scripts/compile.py": "def cli() -> None:\n    pass\n",
        "changelog.d/.gitignore": "!.gitignore\n",
        "tox.ini": "[tox]\nenvlist = py{39,310,311,312,313}\n\n[testenv]\nextras = testing\n"
        "commands = pytest {posargs}\n",
        ".pre-commit-config.yaml": "repos: []\n",
        "tests/test_cli.py": "def test_cli() -> None:\n    assert True\n",
        "README.md": "# pip-tools\n",
        # jazzband/pip-tools' own .gitignore
        ".gitignore": "# Ignore cram test output\n*.t.err\n\n# Python cruft\n*.pyc\n\n"
        "# Virtualenvs\n.envrc\n.direnv\n\n# Testing\n.tox\nhtmlcov\n\n"
        "# Build output\nbuild\ndist\n*.egg-info\n.cache/\n",
    },
    releases=(
        Release("7.6.1", {"CHANGELOG.md": pip_tools_changelog(("7.6.1", "2025-10-02"))}),
        Release(
            "7.6.2",
            {"CHANGELOG.md": pip_tools_changelog(("7.6.2", "2025-11-19"), ("7.6.1", "2025-10-02"))},
        ),
    ),
    after=(
        (
            "Fix the --upgrade-package of a pinned extra (#2260)",
            {"piptools/resolver.py": "# resolver\n", "changelog.d/2260.bugfix.md": "Fixed it.\n"},
        ),
        ("Bump the pre-commit hooks (#2261)", {".pre-commit-config.yaml": "repos: [] # 2\n"}),
    ),
    changelog="CHANGELOG.md",
)

# ---- pytest-xdist ----------------------------------------------------------------------------

XDIST_PYPROJECT = """\
[build-system]
requires = [
  "setuptools>=61.2",
  "setuptools-scm[toml]>=6.2.3",
]
build-backend = "setuptools.build_meta"

[project]
name = "pytest-xdist"
description = "pytest xdist plugin for distributed testing, most importantly across multiple CPUs"
readme = "README.rst"
requires-python = ">=3.9"
dependencies = ["execnet>=2.1", "pytest>=7.0.0"]
dynamic = ["version"]

[tool.setuptools_scm]
write_to = "src/xdist/_version.py"

[tool.towncrier]
package = "xdist"
filename = "CHANGELOG.rst"
directory = "changelog/"
title_format = "pytest-xdist {version} ({project_date})"

  [[tool.towncrier.type]]
  directory = "feature"
  name = "Features"
  showcontent = true

  [[tool.towncrier.type]]
  directory = "bugfix"
  name = "Bug Fixes"
  showcontent = true
"""


def xdist_changelog(*versions: tuple[str, str]) -> str:
    lines: list[str] = []
    for version, date in versions:
        title = f"pytest-xdist {version} ({date})"
        lines += [
            title,
            "=" * len(title),
            "",
            "Features",
            "--------",
            "",
            f"- `#12{version[-1]} <https://github.com/pytest-dev/pytest-xdist/issues/12>`_:"
            f" Work of {version}.",
            "",
        ]
    return "\n".join(lines)


XDIST = Shape(
    name="pytest-xdist",
    base_branch="master",
    tag_prefix="v",
    files={
        "pyproject.toml": XDIST_PYPROJECT,
        "src/xdist/__init__.py": "from xdist._version import version as __version__\n",
        "src/xdist/workermanage.py": (
            "import sys\n\n\ndef python_version() -> str:\n"
            '    version = "{}.{}.{}".format(*sys.version_info[:3])\n    return version\n'
        ),
        "changelog/_template.rst": "{% for section in sections %}{% endfor %}\n",
        "tox.ini": "[tox]\nenvlist = linting, py39, py310\n\n[testenv]\ncommands = pytest\n\n"
        "[pytest]\naddopts = -ra\n",
        ".pre-commit-config.yaml": "repos: []\n",
        "testing/test_remote.py": "def test_remote() -> None:\n    assert True\n",
        "README.rst": "pytest-xdist\n============\n",
        # pytest-dev/pytest-xdist's own .gitignore, the hg leftovers included
        ".gitignore": "\n# Automatically generated by `hgimportsvn`\nsyntax:glob\n.svn\n.hgsvn\n\n"
        "syntax:glob\n*.pyc\n*.pyo\n*.swp\n*.html\n*.class\n*.orig\n\n*.sublime-*\n.Python\n\n"
        "build/\ndist/\ninclude/\nlib/\nbin/\nenv/\nsrc/xdist/_version.py*\n"
        "pytest_xdist.egg-info\nissue/\n3rdparty/\npytestdebug.log\n.tox/\n.cache/\n"
        ".pytest_cache/\n.eggs/\n.idea/\nvenv/\n",
    },
    releases=(
        Release("3.7.0", {"CHANGELOG.rst": xdist_changelog(("3.7.0", "2025-05-26"))}),
        Release(
            "3.8.0",
            {"CHANGELOG.rst": xdist_changelog(("3.8.0", "2025-06-30"), ("3.7.0", "2025-05-26"))},
        ),
    ),
    after=(
        ("Merge pull request #1227 from pytest-dev/fix-loadgroup", {"src/xdist/scheduler.py": ""}),
        (
            "Fix --dist=loadgroup with parametrized tests",
            {"src/xdist/dsession.py": "# d\n", "changelog/1227.bugfix.rst": "Fixed it.\n"},
        ),
    ),
    changelog="CHANGELOG.rst",
)

SHAPES = {shape.name: shape for shape in (PYPISERVER, CLICK, PIP_TOOLS, XDIST)}


# ---- building them ---------------------------------------------------------------------------


def commit(path: Path, tick: int, subject: str, files: dict[str, str]) -> None:
    for relpath, text in files.items():
        target = path / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    run_git(path, "add", "--all")
    date = f"{1750000000 + tick * 3600} +0000"
    env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    run_git(path, "commit", "--quiet", "--allow-empty", "-m", subject, env=env)


def build(root: Path, shape: Shape) -> GitRepo:
    """The project's checkout (root/NAME) and its bare origin (root/NAME-origin.git), with
    origin's HEAD set as a clone's is."""
    path, origin = root / shape.name, root / f"{shape.name}-origin.git"
    path.mkdir(parents=True)
    run_git(path, "init", "--quiet", f"--initial-branch={shape.base_branch}")
    commit(path, 0, "Initial import", shape.files)
    tick = 1
    for release in shape.releases:
        commit(path, tick, f"Release {release.version}", release.files)
        run_git(path, "tag", "-a", shape.tag(release.version), "-m", f"Release {release.version}")
        tick += 1
    if shape is CLICK:
        branch, version = CLICK_SIDE_BRANCH
        run_git(path, "switch", "--quiet", "-c", branch)
        commit(path, tick, f"Release {version}", {"src/click/__init__.py": click_init(version)})
        run_git(path, "tag", "-a", shape.tag(version), "-m", f"Release {version}")
        run_git(path, "switch", "--quiet", shape.base_branch)
        tick += 1
    for subject, files in shape.after:
        commit(path, tick, subject, files)
        tick += 1
    run_git(root, "init", "--quiet", "--bare", f"--initial-branch={shape.base_branch}", str(origin))
    run_git(path, "remote", "add", "origin", str(origin))
    run_git(path, "push", "--quiet", "--all", "origin")
    run_git(path, "push", "--quiet", "--tags", "origin")
    run_git(path, "fetch", "--quiet", "origin")
    run_git(path, "remote", "set-head", "origin", shape.base_branch)
    run_git(path, "branch", "--quiet", f"--set-upstream-to=origin/{shape.base_branch}")
    return GitRepo(path=path, origin=origin)


@pytest.fixture(scope="module")
def real_project_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All four, built once per test module: NAME/ and NAME-origin.git/ under the folder."""
    root = tmp_path_factory.mktemp("real-projects")
    for shape in SHAPES.values():
        build(root, shape)
    return root


def real_project(template: Path, name: str, dest: Path) -> GitRepo:
    """A fresh copy of one project (and its origin) under `dest`, for one test."""
    path, origin = dest / name, dest / f"{name}-origin.git"
    shutil.copytree(template / name, path, symlinks=True)
    shutil.copytree(template / f"{name}-origin.git", origin, symlinks=True)
    run_git(path, "remote", "set-url", "origin", str(origin))
    return GitRepo(path=path, origin=origin)
