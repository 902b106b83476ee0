"""The demo's sample project: a small package with a realistic history and one earlier release."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

NAME = "rk-demo"
MODULE = "rk_demo"
OWNER = "demo-org"
REPOSITORY = f"{OWNER}/{NAME}"
FIRST = "0.1.0"

PYPROJECT = f"""\
[build-system]
requires = ["hatchling>=1.24"]
build-backend = "hatchling.build"

[project]
name = "{NAME}"
version = "{FIRST}"
description = "The sample project of releasekit's demo: it prints its own version."
readme = "README.md"
requires-python = ">=3.9"
license = "MIT"

[project.scripts]
{NAME} = "{MODULE}:main"
"""

MODULE_TEXT = f'''\
"""{NAME}: prints its version."""

__version__ = "{FIRST}"


def main() -> None:
    print(f"{NAME} {{__version__}}")
'''

# The project's own Makefile: its checks and tests. `releasekit init` prints the line to add.
MAKEFILE = """\
.PHONY: check test
check: ## The project's own checks
\tpython3 -m compileall -q rk_demo

test: ## The project's own tests
\tpython3 -m unittest discover -s tests -q
"""

TEST = f"""\
import unittest

import {MODULE}


class VersionTest(unittest.TestCase):
    def test_version(self) -> None:
        self.assertTrue({MODULE}.__version__)
"""

CHANGES = f"""\
Changelog
=========

{FIRST} (2026-10-01)
------------------

- First release: ``{NAME}`` prints its version.
"""

# (branch or None, subject, files): a branch is merged like a pull request's button does.
HISTORY: list[tuple[str | None, str, dict[str, str]]] = [
    ("feature/greeting", "feat: greet the user by name", {"docs/greeting.md": "Greets.\n"}),
    (None, "fix: exit 0 when printing the version", {"docs/exit.md": "Exit 0.\n"}),
    (None, "chore: tidy the README", {"README.md": f"# {NAME}\n\nPrints its version.\n"}),
    ("fix/unicode", "fix: print non-ASCII names", {"docs/unicode.md": "UTF-8.\n"}),
    (None, "docs: say how to run it", {"docs/usage.md": f"Run `{NAME}`.\n"}),
]


def git(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    if result.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed in {cwd}: {result.stderr.strip()}")
    return result.stdout.strip()


def write(root: Path, files: dict[str, str]) -> None:
    for relpath, text in files.items():
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def commit(root: Path, subject: str, files: dict[str, str], tick: int) -> None:
    write(root, files)
    git(root, "add", "--all")
    date = f"{1790000000 + tick * 3600} +0000"
    git(root, "commit", "--quiet", "-m", subject, env={"GIT_AUTHOR_DATE": date})


def make_project(root: Path, dockerfile: str) -> None:
    """The project as it was before it adopted the kit: an earlier release, then news."""
    root.mkdir(parents=True)
    git(root, "init", "--quiet", "--initial-branch=main")
    files = {
        "pyproject.toml": PYPROJECT,
        f"{MODULE}/__init__.py": MODULE_TEXT,
        "tests/test_version.py": TEST,
        "README.md": f"# {NAME}\n",
        "Makefile": MAKEFILE,
        "CHANGES.rst": CHANGES,
        "Dockerfile": dockerfile,
        ".gitignore": ".venv/\nbuild/\ndist/\n__pycache__/\n",
    }
    commit(root, "feat: first cut of rk-demo", files, 0)
    git(root, "tag", "-a", f"v{FIRST}", "-m", f"Release {FIRST}")
    for tick, (branch, subject, changed) in enumerate(HISTORY, start=1):
        if branch is None:
            commit(root, subject, changed, tick)
            continue
        git(root, "switch", "--quiet", "-c", branch)
        commit(root, subject, changed, tick)
        git(root, "switch", "--quiet", "main")
        number = tick + 10
        git(
            root,
            "merge",
            "--no-ff",
            "--quiet",
            branch,
            "-m",
            f"Merge pull request #{number} from {OWNER}/{branch}\n\n{subject}",
        )
        git(root, "branch", "--quiet", "-d", branch)
