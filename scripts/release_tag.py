#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = ["bumpver>=2023.1129", "tomli>=2.0; python_version < '3.11'"]
# ///
# Assembled by tools/assemble.py (`make scripts`) from src/releasekit/scripts/release_tag.py
# and the rule modules it uses: edit those, never this file. Copy this one file to use it
# alone.
"""Confirm a release: check the notes, bumpver the version files, commit, tag, push atomically.

Every refusal is a named check in one of the tables below (LOCAL, SYNC, NOTES); the first one
that fails prints one line and exits 2 with nothing changed. An interrupted run (killed after
its bump commit, before or during the push) is recognised by the next run, which finishes it
with the same atomic push; RESUME=undo removes the unpushed bump commit and tag instead.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, NamedTuple, NoReturn, Protocol

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


def missing_dependency(error: ModuleNotFoundError) -> str:
    """The one line for a run without a package: it names the missing one and every package
    of the PEP 723 header above, read from this file so that the header stays the one list."""
    header = re.search(r"(?ms)^# /// script$(.*?)^# ///$", Path(__file__).read_text("utf-8"))
    toml = re.sub(r"(?m)^# ?", "", header[1] if header else "")
    array = re.search(r"""(?m)^dependencies\s*=\s*\[((?:\s|,|#.*|"[^"]*"|'[^']*')*)\]""", toml)
    specs = re.findall(r"""#.*|"([^"]*)"|'([^']*)'""", array[1] if array else "")
    names = [re.split(r"[^\w.-]", (a or b).strip(), maxsplit=1)[0] for a, b in specs if a or b]
    module = (error.name or "").partition(".")[0]
    key = re.sub(r"[-_.]+", "_", module).lower()  # pypi_simple is the package pypi-simple
    # ... and markdown_it the package markdown-it-py
    normal = {re.sub(r"[-_.]+", "_", n).lower(): n for n in names}
    named = normal.get(key) or normal.get(f"{key}_py") or module
    return (
        f"needs the {named!r} package: pip install {' '.join(names)} "
        "(or run it with uv run, which reads the script's header)"
    )


# --- end of releasekit/rules/cli.py -----------------------------------------------------


# --- releasekit/rules/versions.py (assembled; edit the source) --------------------------------


# PEP 440's forms in one regular expression, compiled on first use (re caches it): a
# script that reads no version never pays for it.
_VERSION = r"""
    v?
    (?:(?P<epoch>[0-9]+)!)?
    (?P<release>[0-9]+(?:\.[0-9]+)*)
    (?P<pre>[-_.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>[0-9]+)?)?
    (?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?))?
    (?P<dev>[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>[0-9]+)?)?
    (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
"""

_PRE_LETTERS = {"alpha": "a", "a": "a", "beta": "b", "b": "b", "c": "rc", "pre": "rc"}

_PRE_LETTERS |= {"preview": "rc", "rc": "rc"}

_PRE_RANK = {"a": 0, "b": 1, "rc": 2}

# The versions the kit proposes, accepts and can write with bumpver's pattern
# MAJOR.MINOR.PATCH[PYTAGNUM][.postBUILD], in PEP 440's normalised spelling.
RELEASABLE = re.compile(
    r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"((a|b|rc)(0|[1-9][0-9]*))?(\.post(0|[1-9][0-9]*))?"
)

MAX_LENGTH = 256


class InvalidVersion(ValueError):  # noqa: N818 - the name packaging gives it
    """The text is not a PEP 440 version."""


class Version:
    """A PEP 440 version: `str()` is the normalised form; compares as packaging's Version."""

    __slots__ = ("dev", "epoch", "local", "post", "pre", "release")

    def __init__(self, text: str) -> None:
        if len(text) > MAX_LENGTH:  # int() refuses 4,300 digits and more: no version is so long
            raise InvalidVersion(f"Invalid version: {text[:20]!r}... ({len(text)} characters)")
        parts = text.split(".")
        if all(part.isascii() and part.isdigit() for part in parts):  # X.Y.Z: no regex needed
            self.epoch, self.release = 0, tuple(int(part) for part in parts)
            self.pre = self.post = self.dev = self.local = None
            return
        match = re.fullmatch(_VERSION, text.strip(), re.VERBOSE | re.IGNORECASE)
        if not match:
            raise InvalidVersion(f"Invalid version: {text!r}")
        pre_l, post_n, local = match["pre_l"], match["post_n1"] or match["post_n2"], match["local"]
        self.epoch = int(match["epoch"] or 0)
        self.release = tuple(int(part) for part in match["release"].split("."))
        self.pre = (_PRE_LETTERS[pre_l.lower()], int(match["pre_n"] or 0)) if pre_l else None
        self.post = int(post_n or 0) if match["post"] else None
        self.dev = int(match["dev_n"] or 0) if match["dev"] else None
        self.local = (
            tuple(int(p) if p.isdigit() else p.lower() for p in re.split(r"[-_.]", local))
            if local
            else None
        )

    def __str__(self) -> str:
        text = self.public
        if self.local:
            text += "+" + ".".join(str(part) for part in self.local)
        return text

    def __repr__(self) -> str:
        return f"<Version({str(self)!r})>"

    @property
    def public(self) -> str:
        text = self.base_version
        if self.pre:
            text += f"{self.pre[0]}{self.pre[1]}"
        if self.post is not None:
            text += f".post{self.post}"
        if self.dev is not None:
            text += f".dev{self.dev}"
        return text

    @property
    def base_version(self) -> str:
        epoch = f"{self.epoch}!" if self.epoch else ""
        return epoch + ".".join(str(part) for part in self.release)

    @property
    def is_prerelease(self) -> bool:
        return self.pre is not None or self.dev is not None

    @property
    def is_devrelease(self) -> bool:
        return self.dev is not None

    @property
    def is_postrelease(self) -> bool:
        return self.post is not None

    @property
    def is_local(self) -> bool:
        return self.local is not None

    @property
    def series(self) -> tuple[int, int, int]:
        """(epoch, X, Y): the `vX.Y` a release belongs to."""
        minor = self.release[1] if len(self.release) > 1 else 0
        return (self.epoch, self.release[0], minor)

    def _key(self) -> tuple[Any, ...]:
        release = list(self.release)
        while len(release) > 1 and release[-1] == 0:
            release.pop()
        if self.pre is None and self.post is None and self.dev is not None:
            pre: tuple[int, int] = (-1, 0)  # 1.0.dev0 sorts before 1.0a0
        elif self.pre is None:
            pre = (3, 0)
        else:
            pre = (_PRE_RANK[self.pre[0]], self.pre[1])
        post = -1 if self.post is None else self.post
        dev = (1, 0) if self.dev is None else (0, self.dev)
        local: tuple[Any, ...] = (0,)
        if self.local is not None:
            parts = [(1, p, "") if isinstance(p, int) else (0, 0, p) for p in self.local]
            local = (1, tuple(parts))
        return (self.epoch, tuple(release), pre, post, dev, local)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __lt__(self, other: Version) -> bool:
        return self._key() < other._key()

    def __le__(self, other: Version) -> bool:
        return self._key() <= other._key()

    def __gt__(self, other: Version) -> bool:
        return self._key() > other._key()

    def __ge__(self, other: Version) -> bool:
        return self._key() >= other._key()


def is_releasable(version: str) -> bool:
    """X.Y.Z, optional aN/bN/rcN, optional .postN, normalised: what release-tag can write."""
    return RELEASABLE.fullmatch(version) is not None


# --- end of releasekit/rules/versions.py ------------------------------------------------


# --- releasekit/rules/refs.py (assembled; edit the source) ------------------------------------


def tag_for(version: str, pattern: str) -> str:
    """The tag for `version` under TAG_PATTERN: the pattern's text before its first `*`, then
    the version's PEP 440 normal form (`v*`, 1.2.3 -> v1.2.3; `pkg-v*` -> pkg-v1.2.3)."""
    return pattern.split("*", 1)[0] + str(Version(version))


def version_of_tag(tag: str, pattern: str) -> Version | None:
    """The version a tag names under TAG_PATTERN; None without the prefix or a PEP 440 rest."""
    prefix = pattern.split("*", 1)[0]
    if not tag.startswith(prefix):
        return None
    try:
        return Version(tag[len(prefix) :])
    except InvalidVersion:
        return None


class LastRelease(NamedTuple):
    """The last release: the highest version tag reachable from the branch being released
    (`tag` None: none is). `elsewhere` is a higher version tag that is not in its history
    (a release made from another branch): named in a warning, never compared with."""

    tag: str | None
    version: Version | None
    elsewhere: str | None = None

    def warning(self, ref: str) -> str | None:
        if self.elsewhere is None:
            return None
        last = f"the last release in its history is {self.tag}" if self.tag else "it has none"
        return f"tag {self.elsewhere} is not in the history of {ref}; {last}"


def last_release(
    tags: Iterable[tuple[str, Version]], reachable: Callable[[str], bool]
) -> LastRelease:
    """One rule for rc, check-changes and release-tag: the highest version among the tags
    `reachable` says are in the branch's history (asked highest first, so a usual repository
    asks once)."""
    elsewhere = None
    for name, version in sorted(tags, key=lambda tag: tag[1], reverse=True):
        if reachable(name):
            return LastRelease(name, version, elsewhere)
        elsewhere = elsewhere or name
    return LastRelease(None, None, elsewhere)


# --- end of releasekit/rules/refs.py ----------------------------------------------------


# --- releasekit/rules/towncrier.py (assembled; edit the source) -------------------------------


def towncrier_table(base: Path) -> dict[str, Any] | None:
    """The [tool.towncrier] table of the package folder `base`, or None when it has none."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    for name in ("towncrier.toml", "pyproject.toml"):
        path = base / name
        if not path.is_file() or path.is_symlink():
            continue
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("towncrier")
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(table, dict):
            return table
    return None


def fragment_folder(base: Path) -> Path | None:
    """Where the news fragments are; None when the configuration names no `directory`
    (towncrier's default is inside the package it imports, which this does not guess)."""
    table = towncrier_table(base)
    if not table or not table.get("directory"):
        return None
    return (base / str(table["directory"])).resolve()


def fragments(base: Path) -> list[Path]:
    """The news fragment files waiting to be released, sorted."""
    folder = fragment_folder(base)
    if folder is None or not folder.is_dir():
        return []
    template = str((towncrier_table(base) or {}).get("template", ""))
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and not path.name.startswith((".", "_"))  # .gitignore, .gitkeep, _template.rst
        and not (template and path.name == Path(template).name)
    )


# --- end of releasekit/rules/towncrier.py -----------------------------------------------


# --- releasekit/rules/worktree.py (assembled; edit the source) --------------------------------


def work_tree_problem(top: Path, path: Path) -> str | None:
    """Why a step may not read or write `path` (as open() finds it), or None when it may.

    A symlink could point at a secret; a path resolving outside the work tree `top` (`..`,
    an absolute path, a linked folder) is not the project's. `top` itself is inside."""
    if path.is_symlink():
        return "is a symlink"
    top, resolved = top.resolve(), path.resolve()
    if resolved != top and top not in resolved.parents:
        return f"resolves outside the work tree {top}"
    return None


# --- end of releasekit/rules/worktree.py ------------------------------------------------


# --- releasekit/scripts/release_tag.py: the script's own code ---------------------


PROG = "release-tag"  # its lines speak as the make target

COMMIT_MESSAGE = "chore(ver): bump {old} -> {new}"
TAG_MESSAGE = "Automated release {new}"
BUMP_SUBJECT = re.compile(r"chore\(ver\): bump (?P<old>\S+) -> (?P<new>\S+)")

# ---- errors and output -----------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    base_branch: str
    remote: str
    changes: str
    tag_pattern: str
    version: str
    sign: bool
    dry_run: bool
    package_dir: str
    resume: str  # "" (finish an interrupted run, the default) or "undo"
    github_output: str
    github_step_summary: str
    version_source: str = "bumpver"  # bumpver: files hold the version; tag: the tag is it
    changes_from: str = "commits"  # towncrier: news fragments, consumed in the release commit


# ---- what a run knows ------------------------------------------------------------------------


@dataclass
class Run:
    """The facts the checks read, gathered once, in the order the checks need them."""

    settings: Settings
    top: Path = Path()
    prefix: str = ""  # the caller's folder inside the work tree
    package: Path = Path()
    head: str = ""
    upstream: str = ""
    notes_version: str = ""
    notes_lines: str = ""  # what changes.py printed, relayed on a refusal
    old: str = ""
    notes_date: str = ""
    tag_only: bool = False  # nothing to commit: the tag alone is pushed
    remote_tags: dict[str, str] = field(default_factory=dict)

    @property
    def s(self) -> Settings:
        return self.settings

    @property
    def tag(self) -> str:
        return tag_for(self.notes_version, self.s.tag_pattern)

    @property
    def upstream_ref(self) -> str:
        return f"refs/remotes/{self.s.remote}/{self.s.base_branch}"

    @property
    def bumps_files(self) -> bool:
        return self.s.version_source == "bumpver"

    @property
    def push_command(self) -> list[str]:
        branch = f"refs/heads/{self.s.base_branch}"
        refs = (
            [f"refs/tags/{self.tag}"]
            if self.tag_only
            else [f"{branch}:{branch}", f"refs/tags/{self.tag}"]
        )
        return ["git", "push", "--atomic", self.s.remote, *refs]

    def commit_message(self) -> str:
        return COMMIT_MESSAGE.format(old=self.old, new=self.notes_version)

    def tag_message(self) -> str:
        return TAG_MESSAGE.format(new=self.notes_version)

    def tag_kind(self) -> str:
        return "-s" if self.s.sign else "-a"

    def python(self, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args], cwd=cwd, capture_output=True, text=True, check=False
        )

    def bumpver(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.python("-m", "bumpver", *args, cwd=self.package)

    def files_version(self) -> str:
        proc = self.bumpver("show", "--no-fetch", "--ignore-vcs-tag", "--environ")
        found = re.search(r"^CURRENT_VERSION=(.*)$", proc.stdout, re.MULTILINE)
        return found[1].strip() if proc.returncode == 0 and found else ""


Check = Callable[[Run], "str | None"]


# ---- LOCAL: before anything is fetched -------------------------------------------------------


def package_dir_missing(run: Run) -> str | None:
    package = (Path.cwd() / run.s.package_dir).resolve()
    if not package.is_dir():
        return f"PACKAGE_DIR={run.s.package_dir} is not a directory"
    if package != run.top and run.top not in package.parents:
        return f"PACKAGE_DIR={run.s.package_dir} is outside the work tree {run.top}"
    run.package = package
    return None


def _unsafe(run: Run, name: str, must_exist: bool) -> str | None:
    """A file this step reads or writes must be a regular file inside the work tree."""
    path = run.package / name
    problem = work_tree_problem(run.top, path)
    if problem == "is a symlink":
        return f"{name} is a symlink; the notes and version files must be regular files"
    if problem:
        return f"{name} {problem}"
    if path.exists() and not path.is_file():
        return f"{name} is not a regular file"
    if must_exist and not path.exists():
        return f"cannot read the release notes: {name} does not exist in {run.package}"
    return None


def unsafe_notes(run: Run) -> str | None:
    return _unsafe(run, run.s.changes, must_exist=True)


def unsafe_version_files(run: Run) -> str | None:
    """pyproject.toml, or bumpver.toml where bumpver reads its configuration from it (it
    does first), and every file its file_patterns name."""
    found = _unsafe(run, "bumpver.toml", must_exist=False)
    if found:
        return found
    name = "bumpver.toml" if (run.package / "bumpver.toml").is_file() else "pyproject.toml"
    config = run.package / name
    found = _unsafe(run, name, must_exist=False)
    if found or not config.is_file():
        return found
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        data: dict[str, Any] = tomllib.loads(config.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        return f"{name} is not valid TOML: {exc}"
    table = (
        data.get("bumpver", {})
        if name == "bumpver.toml"
        else data.get("tool", {}).get("bumpver", {})
    )
    patterns = table.get("file_patterns", {}) if isinstance(table, dict) else {}
    for name in patterns if isinstance(patterns, dict) else ():
        found = _unsafe(run, str(name), must_exist=False)
        if found:
            return found
    return None


def not_base_branch(run: Run) -> str | None:
    branch = git("symbolic-ref", "--quiet", "--short", "HEAD", check=False).stdout.strip()
    if branch != run.s.base_branch:
        return (
            f"on branch '{branch or '(detached HEAD)'}', not '{run.s.base_branch}'; "
            f"run: git switch {run.s.base_branch}"
        )
    return None


def no_signing_key(run: Run) -> str | None:
    if not run.s.sign or git("config", "--get", "user.signingkey", check=False).stdout.strip():
        return None
    fmt = git("config", "--get", "gpg.format", check=False).stdout.strip() or "openpgp"
    return (
        f"SIGN=1 but no signing key is configured (git config user.signingkey, "
        f"gpg.format={fmt}); set one or run with SIGN=0"
    )


def no_bumpver(run: Run) -> str | None:
    if run.bumps_files and importlib.util.find_spec("bumpver") is None:  # as any dependency
        raise ModuleNotFoundError("No module named 'bumpver'", name="bumpver")
    return None


def no_towncrier(run: Run) -> str | None:
    if run.s.changes_from == "towncrier" and importlib.util.find_spec("towncrier") is None:
        return "CHANGES_FROM=towncrier needs towncrier: pip install towncrier"
    return None


LOCAL: list[tuple[str, Check]] = [
    ("not-a-repository", not_a_repository),
    ("no-commits", no_commits),
    ("operation-in-progress", operation_in_progress),
    ("package-dir", package_dir_missing),
    ("unsafe-notes", unsafe_notes),
    ("unsafe-version-files", unsafe_version_files),
    ("unwritable-outputs", unwritable_outputs),
    ("dirty-tree", dirty_tree),
    ("not-base-branch", not_base_branch),
    ("no-signing-key", no_signing_key),
    ("no-bumpver", no_bumpver),
    ("no-towncrier", no_towncrier),
]


# ---- SYNC: HEAD against the remote's branch --------------------------------------------------


def behind(run: Run) -> str | None:
    if run.head != run.upstream and ok("merge-base", "--is-ancestor", "HEAD", run.upstream):
        s = run.s
        return (
            f"'{s.base_branch}' is behind {s.remote}/{s.base_branch}; "
            f"run: git pull --ff-only {s.remote} {s.base_branch}"
        )
    return None


def ahead(run: Run) -> str | None:
    if run.head == run.upstream or not ok("merge-base", "--is-ancestor", run.upstream, "HEAD"):
        return None
    s = run.s
    subjects = out("log", "--format=%s", f"{run.upstream}..HEAD").splitlines()
    if any(BUMP_SUBJECT.fullmatch(subject) for subject in subjects):
        # Never advise pushing a bump commit without its tag.
        return (
            f"'{s.base_branch}' holds a version bump commit that {s.remote}/{s.base_branch} "
            f"lacks and that is not this step's unfinished release of the notes' version; "
            f"drop it (git reset --hard {s.remote}/{s.base_branch}, git tag -d the tag it "
            "made) and re-run"
        )
    return (
        f"'{s.base_branch}' has commits that {s.remote}/{s.base_branch} lacks; push them first "
        f"(git push {s.remote} {s.base_branch}), let CI pass, then re-run"
    )


def diverged(run: Run) -> str | None:
    if run.head == run.upstream:
        return None
    s = run.s
    return (
        f"'{s.base_branch}' and {s.remote}/{s.base_branch} have diverged; reconcile them "
        f"(git pull --rebase {s.remote} {s.base_branch}) and re-run"
    )


SYNC: list[tuple[str, Check]] = [("behind", behind), ("ahead", ahead), ("diverged", diverged)]


# ---- NOTES: the version to release -----------------------------------------------------------


def _changes_py() -> Path:
    script = Path(__file__).resolve().with_name("changes.py")
    if not script.is_file():
        raise RefusalError(f"needs changes.py beside it ({script})")
    return script


def unreadable_notes(run: Run) -> str | None:
    for command in ("version", "date"):
        proc = run.python(str(_changes_py()), "--file", run.s.changes, command, cwd=run.package)
        if proc.returncode != 0:
            run.notes_lines = proc.stderr.strip()
            return f"cannot read the release notes in {run.s.changes} (see the line above)"
        if command == "version":
            run.notes_version = proc.stdout.strip()
        else:
            run.notes_date = proc.stdout.strip()
    return None


def last_tagged_version(run: Run) -> str:
    """The version of the last release (refs.last_release), for the commit message of a
    project whose version is its tag; `0` before the first."""
    names = out("tag", "--list", run.s.tag_pattern).split()
    tags = [(name, v) for name in names if (v := version_of_tag(name, run.s.tag_pattern))]
    last = last_release(tags, lambda name: ok("merge-base", "--is-ancestor", name, "HEAD"))
    return str(last.version) if last.version else "0"


def not_releasable(run: Run) -> str | None:
    if is_releasable(run.notes_version):
        return None
    return (
        f"version '{run.notes_version}' from {run.s.changes} is not a form this step can write "
        "(X.Y.Z, optional aN/bN/rcN, optional .postN, PEP 440 normalised)"
    )


def not_the_version_asked(run: Run) -> str | None:
    if run.s.version and run.s.version != run.notes_version:
        return (
            f"VERSION={run.s.version} was asked for, but {run.s.changes} says {run.notes_version}"
        )
    return None


def notes_not_ready(run: Run) -> str | None:
    proc = run.python(
        str(_changes_py()),
        *("--file", run.s.changes, "check", "--tag-pattern", run.s.tag_pattern),
        cwd=run.package,
    )
    if proc.returncode == 0:
        return None
    # On failure stdout holds the ::error annotations for Actions: pass them on.
    run.notes_lines = "\n".join(x for x in (proc.stdout.strip(), proc.stderr.strip()) if x)
    if proc.returncode == 1:
        return f"the release notes in {run.s.changes} are not ready (see the lines above)"
    return f"cannot read the release notes in {run.s.changes} (see the line above)"


def tag_exists_locally(run: Run) -> str | None:
    if ok("rev-parse", "--quiet", "--verify", f"refs/tags/{run.tag}"):
        return (
            f"tag {run.tag} already exists locally; a released version is never re-tagged, "
            f"write a new section in {run.s.changes}"
        )
    return None


def tag_exists_on_remote(run: Run) -> str | None:
    if run.tag in run.remote_tags:
        return (
            f"tag {run.tag} already exists on {run.s.remote}; a released version is never "
            f"re-tagged, write a new section in {run.s.changes}"
        )
    return None


def files_unreadable(run: Run) -> str | None:
    if not run.bumps_files:
        run.old = last_tagged_version(run)
        return None
    run.old = run.files_version()
    if not run.old:
        proc = run.bumpver("show", "--no-fetch", "--ignore-vcs-tag", "--environ")
        reason = (proc.stderr.strip().splitlines() or ["no [tool.bumpver] configuration"])[-1]
        return f"bumpver cannot read the current version in {run.s.package_dir}: {reason}"
    return None


def already_bumped(run: Run) -> str | None:
    if run.bumps_files and run.old == run.notes_version:
        return (
            f"the version files already say {run.old}; the bump is this step's job, revert the "
            "manual bump and re-run"
        )
    return None


NOTES: list[tuple[str, Check]] = [
    ("unreadable-notes", unreadable_notes),
    ("not-releasable", not_releasable),
    ("not-the-version-asked", not_the_version_asked),
    ("notes-not-ready", notes_not_ready),
    ("tag-exists-locally", tag_exists_locally),
    ("tag-exists-on-remote", tag_exists_on_remote),
    ("version-files-unreadable", files_unreadable),
    ("already-bumped", already_bumped),
]


def refuse_on(table: list[tuple[str, Check]], run: Run) -> None:
    for _name, check in table:
        message = check(run)
        if message:
            if run.notes_lines:
                print(run.notes_lines, file=sys.stderr)
            raise RefusalError(message)


# ---- the remote ------------------------------------------------------------------------------


def fetch(run: Run) -> None:
    s = run.s
    spec = f"+refs/heads/{s.base_branch}:refs/remotes/{s.remote}/{s.base_branch}"
    if not ok("fetch", "--quiet", "--tags", s.remote, spec):
        raise FailureError(f"could not fetch '{s.base_branch}' and the tags from '{s.remote}'")
    proc = git("ls-remote", "--tags", s.remote, check=False)
    if proc.returncode != 0:
        raise FailureError(f"could not list the tags of '{s.remote}'")
    for line in proc.stdout.splitlines():
        sha, _, ref = line.partition("\t")
        if ref.startswith("refs/tags/") and not ref.endswith("^{}"):
            run.remote_tags[ref.removeprefix("refs/tags/")] = sha
    run.head = out("rev-parse", "HEAD")
    run.upstream = out("rev-parse", run.upstream_ref)


# ---- an interrupted run: its bump commit and tag ---------------------------------------------


@dataclass(frozen=True)
class Pending:
    """This step's own bump commit (HEAD, one commit on top of the remote's branch) and its
    tag for the notes' version, not (or not all) on the remote yet."""

    tag: str
    tagged: bool  # the local tag exists (it points at HEAD)
    pushed: bool  # the remote has the commit and the tag: nothing left to do


def pending_release(run: Run) -> Pending | None:
    match = BUMP_SUBJECT.fullmatch(out("log", "-1", "--format=%s", "HEAD"))
    parents = out("log", "-1", "--format=%P", "HEAD").split()
    if not match and not run.bumps_files:
        return pending_tag(run)
    if not match or len(parents) != 1:
        return None
    if unreadable_notes(run) or match["new"] != run.notes_version or not_releasable(run):
        run.notes_lines = ""
        return None
    tag = run.tag
    local = git("rev-parse", "--quiet", "--verify", f"refs/tags/{tag}^{{commit}}", check=False)
    tagged = local.returncode == 0
    if tagged and local.stdout.strip() != run.head:
        return None
    remote_tag = run.remote_tags.get(tag)
    if run.head == run.upstream and remote_tag and tagged:
        return Pending(tag, tagged, pushed=out("rev-parse", f"refs/tags/{tag}") == remote_tag)
    if parents[0] != run.upstream or remote_tag:
        return None
    return Pending(tag, tagged, pushed=False)


def pending_tag(run: Run) -> Pending | None:
    """A project whose version is its tag and whose release made no commit: an interrupted
    run left the notes' tag at HEAD, which is the remote's branch, not pushed yet."""
    if unreadable_notes(run) or not_releasable(run):
        run.notes_lines = ""
        return None
    tag = run.tag
    local = git("rev-parse", "--quiet", "--verify", f"refs/tags/{tag}^{{commit}}", check=False)
    if local.returncode != 0 or local.stdout.strip() != run.head or run.head != run.upstream:
        return None
    remote = run.remote_tags.get(tag)
    if remote is not None and remote != out("rev-parse", f"refs/tags/{tag}"):
        return None  # another tag of that name on the remote: the NOTES checks refuse it
    run.tag_only = True
    return Pending(tag, tagged=True, pushed=remote is not None)


def finish(run: Run, pending: Pending) -> int:
    if pending.pushed:
        info(
            f"{pending.tag} is already released at {run.head[:12]} on {run.s.remote}: nothing to do"
        )
        return 0
    what = "bump commit and tag" if pending.tagged else "bump commit (no tag yet)"
    if run.tag_only:
        what = "tag"
    if run.s.resume == "undo":
        if run.s.dry_run:
            info(f"DRY_RUN: would undo the unpushed {what} for {pending.tag}")
            return 0
        undo(run, pending.tag if pending.tagged else None)
        info(
            f"undid the unpushed {what} for {pending.tag}; "
            f"the branch is at {run.s.remote}/{run.s.base_branch}"
        )
        return 0
    info(
        f"found this step's unpushed {what} for {pending.tag} from an interrupted run: "
        "finishing it (RESUME=undo removes them instead)"
    )
    bumped = BUMP_SUBJECT.fullmatch(out("log", "-1", "--format=%s", "HEAD"))
    run.old = bumped["old"] if bumped else last_tagged_version(run)
    if run.s.dry_run:
        if not pending.tagged:
            info(f"DRY_RUN: would tag: {shlex.join(tag_command(run))}")
        info(f"DRY_RUN: would run: {shlex.join(run.push_command)}")
        return 0
    if not pending.tagged:
        make_tag(run, rollback=False)
    push(run)
    report(run)
    return 0


def undo(run: Run, tag: str | None) -> None:
    if tag:
        git("tag", "-d", tag)
    git("reset", "--quiet", "--hard", run.upstream)


# ---- the release -----------------------------------------------------------------------------


def tag_command(run: Run) -> list[str]:
    return ["git", "tag", run.tag_kind(), "-m", run.tag_message(), run.tag]


def bump_args(run: Run) -> list[str]:
    return [
        "update",
        "--set-version",
        run.notes_version,
        "--no-fetch",
        "--ignore-vcs-tag",
        "--no-commit",
        "--no-tag-commit",
        "--no-push",
    ]


def restore(run: Run, why: str) -> NoReturn:
    """Back to HEAD: the tree was clean (dirty-tree), so this undoes only this step's own
    changes (the bump, consumed news fragments); untracked files are left alone."""
    git("reset", "--quiet", "--hard", "HEAD", cwd=run.top)
    raise FailureError(f"{why}; the version files are restored, nothing was committed or pushed")


def consume_fragments(run: Run) -> bool:
    """towncrier build --yes removes the news fragments the notes were drafted from; the
    notes stay as the maintainer left them in the release notes (towncrier's own section
    is not kept). False: no fragments are left, nothing to do."""
    if not fragments(run.package):
        return False
    notes = run.package / run.s.changes
    kept = notes.read_bytes()
    # towncrier refuses to write a version its file holds already: it writes to an empty file
    # here, and the notes are put back as they were.
    notes.write_bytes(b"")
    version, when = run.notes_version, run.notes_date
    command = ("-m", "towncrier", "build", "--yes", "--version", version, "--date", when)
    proc = run.python(*command, cwd=run.package)
    if proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        restore(run, f"towncrier build --yes failed ({reason})")
    notes.write_bytes(kept)
    git("add", "--all", "--", str(run.package), cwd=run.top)
    return True


def bump(run: Run) -> None:
    proc = run.bumpver(*bump_args(run))
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        restore(run, f"bumpver update --set-version {run.notes_version} failed")
    if not out("diff", "--name-only", cwd=run.top):
        restore(run, "bumpver changed no file")
    if run.files_version() != run.notes_version:
        restore(run, f"after bumpver the version files do not say {run.notes_version}")


def roll_back(run: Run, why: str) -> NoReturn:
    git("tag", "-d", run.tag, check=False)
    git("reset", "--quiet", "--hard", run.upstream)
    raise FailureError(why)


def make_tag(run: Run, rollback: bool = True) -> None:
    proc = git(*tag_command(run)[1:], check=False)
    if proc.returncode != 0:
        why = f"git tag {run.tag_kind()} {run.tag} failed"
        if rollback:
            roll_back(run, f"{why}; the bump commit is undone, nothing was pushed")
        raise FailureError(f"{why}; nothing was pushed")


def push(run: Run) -> None:
    if subprocess.run(run.push_command, check=False).returncode == 0:
        return
    s = run.s
    roll_back(
        run,
        f"{s.remote} refused the push (someone pushed to {s.base_branch} meanwhile?); nothing "
        f"was released and the local bump commit and tag {run.tag} are undone; run: "
        f"git pull --ff-only {s.remote} {s.base_branch}, then re-run",
    )


def release(run: Run) -> int:
    changed = run.s.changes_from == "towncrier" and consume_fragments(run)
    if run.bumps_files:
        bump(run)
        changed = True
    run.tag_only = not changed
    if changed and not ok("commit", "--quiet", "--all", "-m", run.commit_message()):
        roll_back(run, "git commit failed; nothing was pushed")
    make_tag(run)
    push(run)
    report(run)
    return 0


def dry_run(run: Run) -> int:
    waiting = fragments(run.package) if run.s.changes_from == "towncrier" else []
    if waiting:
        info(f"DRY_RUN: would remove {len(waiting)} news fragment(s) with towncrier build --yes")
    if run.bumps_files:
        info(
            f"DRY_RUN: version files diff (bumpver update --set-version {run.notes_version} --dry):"
        )
        proc = run.bumpver(*bump_args(run), "--dry")
        if proc.returncode != 0:
            raise FailureError(
                f"bumpver cannot set version {run.notes_version} (bumpver update --dry failed)"
            )
        sys.stderr.write(proc.stdout)
    else:
        info("DRY_RUN: no version files to bump (the version is the tag)")
    run.tag_only = not waiting and not run.bumps_files
    if not run.tag_only:
        info(f"DRY_RUN: would commit: {run.commit_message()}")
    info(f"DRY_RUN: would tag: {shlex.join(tag_command(run))}")
    info(f"DRY_RUN: would run: {shlex.join(run.push_command)}")
    append(
        run.s.github_step_summary,
        f"## Dry run: would release {run.tag}\n\n"
        f"- commit on `{run.s.base_branch}`: {run.commit_message()}\n"
        f"- annotated tag `{run.tag}`: {run.tag_message()}\n\n"
        "Nothing was changed. Run the workflow again with `dryrun` unticked to release.\n",
    )
    info(f"DRY_RUN: nothing changed; run again with DRY_RUN=0 to release {run.notes_version}")
    return 0


def append(path: str, text: str) -> None:
    if path:
        with Path(path).open("a", encoding="utf-8") as handle:
            handle.write(text)


def report(run: Run) -> None:
    sha = out("rev-parse", "HEAD")
    append(run.s.github_output, f"tag={run.tag}\nversion={run.notes_version}\nsha={sha}\n")
    append(
        run.s.github_step_summary,
        f"## Released {run.tag}\n\n"
        f"- commit `{sha}` on `{run.s.base_branch}`: {run.commit_message()}\n"
        f"- annotated tag `{run.tag}`: {run.tag_message()}\n\n"
        f"CI now builds from `{run.tag}` and deploys to PyPI, the registries and a draft "
        "GitHub Release.\n",
    )
    info(f"released {run.tag} at {sha} ({run.commit_message()}), pushed to {run.s.remote}")
    info(
        f"next: CI builds and deploys from {run.tag}; "
        "then review and publish the draft GitHub Release"
    )


def release_tag(settings: Settings) -> int:
    run = Run(settings)
    refuse_on(LOCAL, run)
    fetch(run)
    pending = pending_release(run)
    if pending is not None:
        return finish(run, pending)
    if settings.resume == "undo":
        raise RefusalError("RESUME=undo, but there is no unpushed bump commit of this step to undo")
    refuse_on(SYNC, run)
    refuse_on(NOTES, run)
    return dry_run(run) if settings.dry_run else release(run)


# ---- command line ----------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> Settings:
    env = os.environ.get
    parser = Parser(
        prog="release_tag.py",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Defaults come from the variables make exports (BASE_BRANCH, REMOTE, CHANGES, "
        "TAG_PATTERN, VERSION, SIGN, DRY_RUN, PACKAGE_DIR, RESUME). Exit 0 released (or "
        "nothing to do), 1 failed, 2 refused with nothing changed.",
    )
    parser.add_argument("--base-branch", default=env("BASE_BRANCH") or "main")
    parser.add_argument("--remote", default=env("REMOTE") or "origin")
    parser.add_argument(
        "--changes", default=env("CHANGES") or "CHANGES.rst", help="notes, in --package-dir"
    )
    parser.add_argument("--tag-pattern", default=env("TAG_PATTERN") or "v*")
    parser.add_argument("--version", default=env("VERSION") or "", help="guard: must match")
    try:  # refused before any work: a typo must not decide whether a release goes out
        sign, dry_run = yes_no("SIGN", env("SIGN")), yes_no("DRY_RUN", env("DRY_RUN"))
    except ValueError as bad:
        parser.error(str(bad))
    parser.add_argument("--sign", action="store_true", default=sign)
    parser.add_argument("--dry-run", action="store_true", default=dry_run)
    parser.add_argument(
        "--package-dir",
        default=env("PACKAGE_DIR") or ".",
        help="the package's folder: its notes and [tool.bumpver] (monorepos)",
    )
    parser.add_argument(
        "--version-source",
        choices=("bumpver", "tag"),
        default=env("VERSION_SOURCE") or "bumpver",
        help="bumpver: the version files are bumped in a commit; tag: the version is the tag "
        "(setuptools_scm, hatch-vcs), only the tag is made (default: $VERSION_SOURCE or bumpver)",
    )
    parser.add_argument(
        "--changes-from",
        choices=("commits", "towncrier"),
        default=env("CHANGES_FROM") or "commits",
        help="towncrier: the release commit removes the news fragments (towncrier build "
        "--yes); the notes stay as written (default: $CHANGES_FROM or commits)",
    )
    parser.add_argument(
        "--resume",
        choices=("continue", "undo"),
        default=env("RESUME") or "continue",
        help="an interrupted run's bump commit and tag: continue (push them) or undo",
    )
    args = parser.parse_args(argv)
    if "*" not in args.tag_pattern:
        parser.error(f"--tag-pattern {args.tag_pattern!r} has no '*' for the version")
    return Settings(
        base_branch=args.base_branch,
        remote=args.remote,
        changes=args.changes,
        tag_pattern=args.tag_pattern,
        version=args.version,
        sign=args.sign,
        dry_run=args.dry_run,
        package_dir=args.package_dir,
        resume="undo" if args.resume == "undo" else "",
        github_output=env("GITHUB_OUTPUT") or "",
        github_step_summary=env("GITHUB_STEP_SUMMARY") or "",
        version_source=args.version_source,
        changes_from=args.changes_from,
    )


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_args(argv)
    signal.signal(signal.SIGTERM, interrupted)
    try:
        return release_tag(settings)
    except RefusalError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except (FailureError, OSError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except ModuleNotFoundError as missing:  # run without its PEP 723 dependencies
        print(f"{PROG}: error: {missing_dependency(missing)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            f"{PROG}: error: interrupted; run it again to finish the release (RESUME=undo to "
            "remove an unpushed bump commit and tag instead)",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
