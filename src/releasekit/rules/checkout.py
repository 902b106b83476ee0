"""The checkout a step changes (release-tag, release-candidate): git as a one-line failure,
and the named checks made before anything changes, each `check(run) -> message | None`."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import FrameType
from typing import NoReturn, Protocol

from releasekit.rules.actions import actions_files_problem


class RefusalError(Exception):
    """Exit 2: bad input or a state this step will not work from; nothing was changed."""


class FailureError(Exception):
    """Exit 1: something failed while doing the job; the message says what state is left."""


def git(
    *args: str, cwd: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, errors="replace", check=False
    )
    if check and proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise FailureError(f"git {args[0]} failed: {reason}")
    return proc


def out(*args: str, cwd: Path | None = None) -> str:
    return git(*args, cwd=cwd).stdout.strip()


def ok(*args: str, cwd: Path | None = None) -> bool:
    return git(*args, cwd=cwd, check=False).returncode == 0


def interrupted(signum: int, _frame: FrameType | None) -> NoReturn:
    """SIGTERM handled as Ctrl-C: the step's own clean-up runs, then one line."""
    raise KeyboardInterrupt


class ActionsFiles(Protocol):
    @property
    def github_output(self) -> str: ...
    @property
    def github_step_summary(self) -> str: ...


class CheckoutRun(Protocol):
    """What the checks read of a step's run, and the facts they record on it."""

    top: Path  # the work tree
    prefix: str  # the caller's folder inside it

    @property
    def s(self) -> ActionsFiles: ...


def not_a_repository(run: CheckoutRun) -> str | None:
    bare = git("rev-parse", "--is-bare-repository", check=False)
    if bare.returncode != 0:
        return "not inside a git repository; run it from a checkout of the project"
    top = git("rev-parse", "--show-toplevel", check=False).stdout.strip()
    if bare.stdout.strip() == "true" or not top:
        return "this is a bare repository (no work tree); run it from a checkout of the project"
    run.top = Path(top).resolve()
    run.prefix = out("rev-parse", "--show-prefix")
    return None


def no_commits(run: CheckoutRun) -> str | None:
    if not ok("rev-parse", "--verify", "--quiet", "HEAD"):
        return "the repository has no commits yet"
    return None


# What git leaves in its folder while an operation waits for a person: no step writes then.
OPERATION_MARKERS = (
    ("MERGE_HEAD", "a merge"),
    ("rebase-merge", "a rebase"),
    ("rebase-apply", "a rebase"),
    ("CHERRY_PICK_HEAD", "a cherry-pick"),
)


def operation_under_way(git_dir: Path) -> str | None:
    """The operation (`a merge`, ...) in progress in the repository at `git_dir`, or None."""
    return next((what for marker, what in OPERATION_MARKERS if (git_dir / marker).exists()), None)


def operation_in_progress(run: CheckoutRun) -> str | None:
    what = operation_under_way(Path(out("rev-parse", "--absolute-git-dir")))
    return f"{what} is in progress; finish or abort it first" if what else None


def dirty_tree(run: CheckoutRun) -> str | None:
    if out("status", "--porcelain", "--untracked-files=no"):
        return "the working tree has uncommitted changes; commit or stash them first"
    return None


def unwritable_outputs(run: CheckoutRun) -> str | None:
    env = {"GITHUB_OUTPUT": run.s.github_output, "GITHUB_STEP_SUMMARY": run.s.github_step_summary}
    return actions_files_problem(env)
