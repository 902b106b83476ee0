"""A throwaway checkout of the kit itself, and `make` run in it, as a fresh clone would be."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.peers.git_repos import run_git


def copy_checkout(dest: Path) -> Path:
    """Copy the files git knows or would add (what a commit of this tree holds) and commit them.

    The copy is its own repository, so a test can tag it and build it without touching this
    checkout; untracked new files are included, so a test sees the tree as it is now.
    """
    listed = run_git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    run_git(dest, "init", "--quiet", "--initial-branch", "main")
    run_git(dest, "add", "--all")
    run_git(dest, "commit", "--quiet", "-m", "chore: the kit as it is now")
    return dest


def make(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`make args...` in `cwd` with this interpreter's tools first on PATH."""
    venv_bin = str(Path(sys.executable).parent)
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=cwd,
        env={
            **os.environ,
            "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHON": sys.executable,
            **(env or {}),
        },
        capture_output=True,
        text=True,
        check=False,
    )
