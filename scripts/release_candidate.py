#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = [  # none of its own: what make_rc_changes.py and rc_pull_request.py need
#     "docutils>=0.19",
#     "gitchangelog>=3.0.4",
#     "requests>=2.28",
#     "tomli>=2.0; python_version < '3.11'",
# ]
# ///
# Assembled by tools/assemble.py (`make scripts`) from src/releasekit/scripts/release_candidate.py
# and the rule modules it uses: edit those, never this file. Copy this one file to use it
# alone.
"""Draft the release candidate: the next CHANGES.rst section on auto-release-candidate-DATE,
pushed, with the one draft pull request opened or updated.

The work happens in a throwaway worktree, detached at the RC branch (or the base branch), so
the maintainer's checkout never changes branch and a failure leaves nothing behind in it. The
remote is the source of truth: the RC branch only moves by a plain push, never a force-push,
so commits a maintainer pushed to it stay; the base branch is merged into it, never rebased.

Every refusal is a named check in LOCAL or REMOTE below: the first that fails prints one line
and exits 2 with nothing changed. make_rc_changes.py (the draft) and rc_pull_request.py (the
pull request) must sit beside this script.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import NoReturn, Protocol

# --- releasekit/rules/actions.py (assembled; edit the source) ---------------------------------


def actions_files_problem(env: Mapping[str, str]) -> str | None:
    """Why GITHUB_OUTPUT or GITHUB_STEP_SUMMARY, when set, cannot take appended lines, or None.

    Asked before anything changes, so a step never fails after its work. Creates nothing."""
    for variable in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        value = env.get(variable) or ""
        if not value:
            continue
        path = Path(value).absolute()
        if path.is_symlink() or (path.exists() and not path.is_file()):
            why = "not a regular file"
        elif path.exists():
            try:
                with path.open("a", encoding="utf-8"):  # appends nothing
                    continue
            except OSError as error:
                why = f"cannot be written: {error.strerror}"
        elif not path.parent.is_dir() or not os.access(path.parent, os.W_OK | os.X_OK):
            why = "cannot be created: its folder is missing or not writable"
        else:
            continue
        return f"{variable}={value} is not a writable file: {why}"
    return None


def output_lines(values: Mapping[str, str]) -> str:
    """GITHUB_OUTPUT lines: `name=value`, a multi-line value in GitHub's `name<<DELIMITER` form.

    The delimiter comes from the value (stable across runs) and never occurs in it."""
    text = ""
    for name, value in values.items():
        if "\n" not in value and "\r" not in value:
            text += f"{name}={value}\n"
            continue
        import hashlib  # here: most steps write no multi-line value

        delimiter = f"RELEASEKIT_{hashlib.sha256(value.encode()).hexdigest()[:16]}"
        while delimiter in value:
            delimiter += "_"
        text += f"{name}<<{delimiter}\n{value}\n{delimiter}\n"
    return text


def write_outputs(values: Mapping[str, str]) -> None:
    """Append `values` to $GITHUB_OUTPUT, when set, in one write (steps run side by side)."""
    path = os.environ.get("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as out:  # noqa: PTH123
            out.write(output_lines(values))


# --- end of releasekit/rules/actions.py -------------------------------------------------


# --- releasekit/rules/checkout.py (assembled; edit the source) --------------------------------


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


# --- end of releasekit/rules/checkout.py ------------------------------------------------


# --- releasekit/rules/cli.py (assembled; edit the source) -------------------------------------


# The name every line a script prints starts with: the script's own file name (inlined in
# the script, `__file__` is the script; a copy its user renamed speaks with its new name).
# A step that speaks as its make target names itself (`PROG = "release-tag"`).
PROG = Path(__file__).name  # a script may set its own


def fail(message: str, status: int) -> NoReturn:
    """One line on stderr, `PROG: error: message`, then exit with `status` (2: bad input)."""
    print(f"{PROG}: error: {message}", file=sys.stderr)
    sys.exit(status)


def info(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


class Parser(argparse.ArgumentParser):
    """argparse, with a bad command line said in one line (exit 2), not the usage block."""

    def error(self, message: str) -> NoReturn:
        fail(message, 2)


def yes_no(name: str, value: str | None) -> bool:
    """A yes/no setting: 1/true/yes/on or 0/false/no/off, any case, spaces around ignored;
    unset or empty is no. Anything else is a ValueError naming it: a typo never decides."""
    word = (value or "").strip().lower()
    if word in {"1", "true", "yes", "on"}:
        return True
    if word in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(
        f"{name}={value!r} is not a yes/no value (use 1/0, true/false, yes/no, on/off)"
    )


# --- end of releasekit/rules/cli.py -----------------------------------------------------


# --- releasekit/rules/rc.py (assembled; edit the source) --------------------------------------


RC_BRANCH_PREFIX = "auto-release-candidate-"


def rc_branch(day: dt.date) -> str:
    """The release-candidate branch opened on `day`: auto-release-candidate-YYYY-MM-DD."""
    return f"{RC_BRANCH_PREFIX}{day.isoformat()}"


# --- end of releasekit/rules/rc.py ------------------------------------------------------


# --- releasekit/scripts/release_candidate.py: the script's own code ---------------


PROG = "release-candidate"  # its lines speak as the make target

COMMIT_MESSAGE = "chore(rc-changes): update {notes}"
SCRATCH_PREFIX = "releasekit-rc."  # a run's scratch folder: its worktree and its pid

# ---- errors and output -----------------------------------------------------------------------


class StepFailedError(Exception):
    """A sibling script failed and has said why on stderr: exit with its status, say no more."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


@dataclass(frozen=True)
class Settings:
    base_branch: str
    remote: str
    changes: str
    tag_pattern: str
    version: str
    dry_run: bool
    package_dir: str
    today: dt.date  # names a new RC branch
    github_output: str
    github_step_summary: str


def sibling(name: str) -> str:
    script = Path(__file__).resolve().with_name(name)
    if not script.is_file():
        raise RefusalError(f"needs {name} beside it ({script})")
    return str(script)


# ---- what a run knows ------------------------------------------------------------------------


@dataclass
class Run:
    """The facts the checks read and the steps share, gathered in the order they are needed."""

    settings: Settings
    top: Path = Path()
    prefix: str = ""  # the caller's folder inside the work tree, kept in the worktree
    pr_branch: str = ""  # the open RC pull request's head branch, if there is one
    branch: str = ""
    start: str = ""  # the ref the worktree starts from
    worktree: Path | None = None  # the scratch checkout, once there is one

    @property
    def unlisted(self) -> Path:
        """Beside the scratch worktree: the commits that add no news fragment (towncrier)."""
        assert self.worktree is not None
        return self.worktree.parent / "unlisted-commits.md"

    has_news: bool = False

    @property
    def s(self) -> Settings:
        return self.settings

    @property
    def base_ref(self) -> str:
        return f"refs/remotes/{self.s.remote}/{self.s.base_branch}"

    @property
    def branch_ref(self) -> str:
        return f"refs/remotes/{self.s.remote}/{self.branch}"

    @property
    def notes(self) -> str:
        """The notes file, relative to the caller's folder (as PACKAGE_DIR and CHANGES are)."""
        return str(Path(self.s.package_dir) / self.s.changes)

    @property
    def here(self) -> Path:
        """The caller's folder: inside the worktree once there is one."""
        return self.worktree / self.prefix if self.worktree else Path.cwd()

    def commit_message(self) -> str:
        return COMMIT_MESSAGE.format(notes=Path(self.notes).name)

    def pull_request(self, *args: str, capture: bool = False) -> str:
        """rc_pull_request.py for this base branch and remote."""
        s = self.s
        return self.step(
            "rc_pull_request.py",
            "--base",
            s.base_branch,
            "--remote",
            s.remote,
            *args,
            capture=capture,
        )

    def step(self, name: str, *args: str, capture: bool = False) -> str:
        """Run a sibling script in the caller's folder of the worktree (or of the checkout
        before there is one); its stderr is the user's, its failure ends the run."""
        dry = ("--dry-run",) if self.s.dry_run else ()
        command = [sys.executable, sibling(name), *dry, *args]
        stdout = subprocess.PIPE if capture else None
        proc = subprocess.run(command, cwd=self.here, stdout=stdout, text=True, check=False)
        if proc.returncode != 0:
            raise StepFailedError(proc.returncode)
        return proc.stdout or ""


Check = Callable[[Run], "str | None"]


# ---- LOCAL: before anything is fetched -------------------------------------------------------


def package_dir_outside(run: Run) -> str | None:
    package = (Path.cwd() / run.s.package_dir).resolve()
    if package != run.top and run.top not in package.parents:
        return f"PACKAGE_DIR={run.s.package_dir} is outside the work tree {run.top}"
    if not package.is_dir():
        return f"PACKAGE_DIR={run.s.package_dir} is not a directory"
    return None


LOCAL: list[tuple[str, Check]] = [
    ("not-a-repository", not_a_repository),
    ("no-commits", no_commits),
    ("unwritable-outputs", unwritable_outputs),
    ("operation-in-progress", operation_in_progress),
    ("dirty-tree", dirty_tree),
    ("package-dir-outside", package_dir_outside),
]


# ---- REMOTE: the base branch and the open pull request ---------------------------------------


def fetch_failed(run: Run) -> str | None:
    proc = git("fetch", "--quiet", "--prune", run.s.remote, check=False)
    if proc.returncode != 0:
        said = (proc.stderr.strip().splitlines() or ["no output"])[0]
        return f"git fetch {run.s.remote} failed: {said}"
    return None


def no_base_branch(run: Run) -> str | None:
    if not ok("rev-parse", "--verify", "--quiet", run.base_ref):
        return f"{run.s.remote} has no branch {run.s.base_branch}"
    return None


def pr_branch_missing(run: Run) -> str | None:
    """An open RC pull request keeps its branch, whatever day it was opened; else today's."""
    run.pr_branch = run.pull_request("find", capture=True).strip()
    run.branch = run.pr_branch or rc_branch(run.s.today)
    if ok("rev-parse", "--verify", "--quiet", run.branch_ref):
        run.start = run.branch_ref
    elif run.pr_branch:
        return (
            f"the open release-candidate PR's branch {run.branch} is missing on {run.s.remote}; "
            "restore the branch or close the PR, then run again"
        )
    else:
        run.start = run.base_ref
    return None


REMOTE: list[tuple[str, Check]] = [
    ("fetch-failed", fetch_failed),
    ("no-base-branch", no_base_branch),
    ("pr-branch-missing", pr_branch_missing),
]


def refuse_on(table: list[tuple[str, Check]], run: Run) -> None:
    for _name, check in table:
        message = check(run)
        if message:
            raise RefusalError(message)


# ---- the scratch worktree --------------------------------------------------------------------


def prune_stale(run: Run) -> None:
    """A run killed outright (SIGKILL) leaves its worktree and scratch folder: remove those
    whose run is gone (each scratch folder holds its run's pid), then let git forget the rest."""
    listing = out("worktree", "list", "--porcelain")
    for line in listing.splitlines():
        path = Path(line.removeprefix("worktree "))
        if not line.startswith("worktree ") or path.name != "checkout":
            continue
        scratch = path.parent
        if not scratch.name.startswith(SCRATCH_PREFIX) or is_alive(scratch / "pid"):
            continue
        git("worktree", "remove", "--force", str(path), check=False)
        shutil.rmtree(scratch, ignore_errors=True)
        info(f"removed the worktree an interrupted run left behind: {path}")
    git("worktree", "prune", check=False)


def is_alive(pid_file: Path) -> bool:
    try:
        os.kill(int(pid_file.read_text(encoding="utf-8").strip()), 0)
    except PermissionError:  # alive, someone else's
        return True
    except (OSError, ValueError):
        return False
    return True


@contextmanager
def scratch_worktree(run: Run) -> Iterator[None]:
    scratch = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))
    (scratch / "pid").write_text(f"{os.getpid()}\n", encoding="utf-8")
    worktree = scratch / "checkout"
    try:
        git("worktree", "add", "--quiet", "--detach", str(worktree), run.start)
        run.worktree = worktree
        yield
    finally:
        git("worktree", "remove", "--force", str(worktree), cwd=run.top, check=False)
        shutil.rmtree(scratch, ignore_errors=True)
        git("worktree", "prune", cwd=run.top, check=False)


# ---- the work --------------------------------------------------------------------------------


def merge_base_branch(run: Run) -> None:
    """Bring the base branch into an existing RC branch: a merge, never a rebase."""
    if run.start != run.branch_ref or ok(
        "merge-base", "--is-ancestor", run.base_ref, "HEAD", cwd=run.here
    ):
        return
    s = run.s
    info(f"merging {s.remote}/{s.base_branch} into {run.branch}")
    message = f"Merge branch '{s.base_branch}' into {run.branch}"
    if not ok("merge", "--quiet", "--no-edit", "-m", message, run.base_ref, cwd=run.here):
        git("merge", "--abort", cwd=run.here, check=False)
        raise FailureError(
            f"merging {s.remote}/{s.base_branch} into {run.branch} conflicts; merge it by hand "
            f"on {run.branch}, push, and run again"
        )


def draft_changes(run: Run) -> None:
    """Write the draft and commit it (a dry run prints the diff instead)."""
    args = ["--changes", run.notes, "--path", run.s.package_dir, "--tag-pattern", run.s.tag_pattern]
    if run.worktree is not None:  # news fragments: the commits without one go in the PR's body
        args += ["--unlisted-out", str(run.unlisted)]
    if run.s.version:
        args += ["--version", run.s.version]
    if run.s.dry_run:
        diff = run.step("make_rc_changes.py", *args, capture=True)
        if diff.strip():
            print(diff, end="" if diff.endswith("\n") else "\n")
            run.has_news = True
            info(f"DRY_RUN: would commit '{run.commit_message()}' on {run.branch}")
        return
    run.step("make_rc_changes.py", *args)
    if out("status", "--porcelain", "--", run.notes, cwd=run.here):
        git("add", "--", run.notes, cwd=run.here)
        git("commit", "--quiet", "-m", run.commit_message(), cwd=run.here)
        run.has_news = True


def nothing_to_do(run: Run) -> bool:
    if run.pr_branch or run.has_news:
        return False
    return out("rev-list", "--count", f"{run.base_ref}..HEAD", cwd=run.here) == "0"


def push_branch(run: Run) -> None:
    s = run.s
    if (
        not run.has_news
        and run.start == run.branch_ref
        and out("rev-parse", "HEAD", cwd=run.here) == out("rev-parse", run.branch_ref)
    ):
        info(f"{run.branch} on {s.remote} is up to date: nothing to push")
        return
    # A plain push: if someone pushed meanwhile it is rejected, and the next run merges.
    command = ["git", "push", "--quiet", s.remote, f"HEAD:refs/heads/{run.branch}"]
    if s.dry_run:
        info(f"DRY_RUN: would run: {shlex.join(command)}")
        return
    if subprocess.run(command, cwd=run.here, check=False).returncode != 0:
        raise FailureError(
            f"pushing {run.branch} to {s.remote} failed; run again (it merges, it never "
            "force-pushes)"
        )


def release_candidate(settings: Settings) -> int:
    run = Run(settings)
    refuse_on(LOCAL, run)
    prune_stale(run)
    refuse_on(REMOTE, run)
    write_outputs({"branch": run.branch})
    with scratch_worktree(run):
        merge_base_branch(run)
        draft_changes(run)
        # After the draft, so that a refusal of the notes stays the only line.
        if run.start == run.branch_ref:
            info(f"using {run.branch} from {settings.remote}")
        else:
            info(f"starting {run.branch} from {settings.remote}/{settings.base_branch}")
        if nothing_to_do(run):
            info(
                "nothing new since the last release and no open release-candidate PR: nothing to do"
            )
            return 0
        if run.pr_branch and not run.has_news:
            info(f"no new changes for {run.branch} since the last run")
        push_branch(run)
        top_notes = os.path.normpath(Path(run.prefix) / run.notes)  # from the top
        extra = ["--extra", str(run.unlisted)] if run.unlisted.is_file() else []
        run.pull_request("open", "--head", run.branch, "--changes", top_notes, *extra)
    return 0


# ---- command line ----------------------------------------------------------------------------


def a_day(text: str) -> dt.date:
    """RC_DATE: YYYY-MM-DD and a real date (a name for the branch, never a guess)."""
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            return dt.date.fromisoformat(text)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"RC_DATE must be a real date as YYYY-MM-DD, got '{text}'")


def parse_args(argv: Sequence[str] | None) -> Settings:
    env = os.environ.get
    parser = Parser(
        prog="release_candidate.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Defaults come from the variables make exports (BASE_BRANCH, REMOTE, CHANGES, "
        "TAG_PATTERN, VERSION, DRY_RUN, PACKAGE_DIR) and RC_DATE; rc_pull_request.py reads "
        "GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_API_URL. Exit 0 done (or nothing to do), "
        "1 failed, 2 refused with nothing changed.",
    )
    parser.add_argument("--base-branch", default=env("BASE_BRANCH") or "main")
    parser.add_argument("--remote", default=env("REMOTE") or "origin")
    parser.add_argument(
        "--changes", default=env("CHANGES") or "CHANGES.rst", help="notes, in --package-dir"
    )
    parser.add_argument("--tag-pattern", default=env("TAG_PATTERN") or "v*")
    parser.add_argument("--version", default=env("VERSION") or "", help="the version to draft")
    try:  # refused before any work: a typo must not decide whether the branch is pushed
        dry_run = yes_no("DRY_RUN", env("DRY_RUN"))
    except ValueError as bad:
        parser.error(str(bad))
    parser.add_argument("--dry-run", action="store_true", default=dry_run)
    parser.add_argument(
        "--package-dir",
        default=env("PACKAGE_DIR") or ".",
        help="the package's folder: its notes and the commits that touch it (monorepos)",
    )
    parser.add_argument(
        "--rc-date",
        type=str,
        default=env("RC_DATE") or "",
        help="the day that names a new RC branch, YYYY-MM-DD (default: today, UTC)",
    )
    args = parser.parse_args(argv)
    try:
        today = a_day(args.rc_date) if args.rc_date else dt.datetime.now(dt.timezone.utc).date()
    except argparse.ArgumentTypeError as exc:
        parser.error(str(exc))
    return Settings(
        base_branch=args.base_branch,
        remote=args.remote,
        changes=args.changes,
        tag_pattern=args.tag_pattern,
        version=args.version,
        dry_run=args.dry_run,
        package_dir=args.package_dir,
        today=today,
        github_output=env("GITHUB_OUTPUT") or "",
        github_step_summary=env("GITHUB_STEP_SUMMARY") or "",
    )


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_args(argv)
    signal.signal(signal.SIGTERM, interrupted)
    try:
        return release_candidate(settings)
    except StepFailedError as exc:
        return exc.status
    except RefusalError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except (FailureError, OSError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: error: interrupted; run it again to finish", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
