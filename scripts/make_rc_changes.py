#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = [
#     "docutils>=0.19",
#     "gitchangelog>=3.0.4",
#     "tomli>=2.0; python_version < '3.11'",
# ]
# ///
# Assembled by tools/assemble.py (`make scripts`) from src/releasekit/scripts/make_rc_changes.py
# and the rule modules it uses: edit those, never this file. Copy this one file to use it
# alone.
"""Draft the next CHANGES.rst section from the git history since the last release."""

from __future__ import annotations

import argparse
import datetime as dt
import fnmatch
import os
import re
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, NoReturn

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


# --- releasekit/rules/changelog.py (assembled; edit the source) -------------------------------


# A section title: optional NAME word (`pytest-xdist`, `Version`), optional `v`, the version,
# then `(DATE)`, ` - DATE` or nothing.
# Keep a Changelog puts the version in brackets: `[1.2.3] - 2025-06-30`.
HEADING_TITLE = re.compile(
    r"(?:(?P<name>[A-Za-z][\w.-]*)\s+)?(?P<open>\[)?[vV]?(?P<version>[0-9][\w.+!-]*?)(?(open)\])"
    r"(?:\s*\((?P<paren>[^()]*)\)|\s+[-\u2013\u2014]+\s+(?P<dash>\S.*?))?\s*"
)

MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip

LONG_DATE = re.compile(r"(?P<month>[A-Za-z]{3,9})\.?\s+(?P<day>[0-9]{1,2}),?\s+(?P<year>[0-9]{4})")


def heading_parts(title: str) -> tuple[str, str] | None:
    """(version, date) of a section title as written (no NAME, no `v`; date "" when none),
    None when the title is not a version heading."""
    match = HEADING_TITLE.fullmatch(title.strip())
    if not match:
        return None
    try:
        Version(match["version"])
    except InvalidVersion:
        return None
    return match["version"], (match["paren"] or match["dash"] or "").strip()


def heading_date(text: str) -> dt.date | None:
    """A release date as headings write it: YYYY-MM-DD or `Month D, YYYY`; None otherwise."""
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            return dt.date.fromisoformat(text)
        match = LONG_DATE.fullmatch(text)
        if match:
            word = match["month"].lower()
            month = next(i for i, name in enumerate(MONTHS, 1) if name.startswith(word))
            return dt.date(int(match["year"]), month, int(match["day"]))
    except (ValueError, StopIteration):
        pass
    return None


def is_planning(date: str) -> bool:
    """A section dated `tbd`: plans for a later release, never read as one."""
    return date.strip().lower() == "tbd"


# A Markdown ATX heading (CommonMark 4.2) and a code fence (4.5), in which `#` is no heading.
MD_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*")

MD_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")

# A title a Keep a Changelog file gives the section of changes not released yet.
UNRELEASED_TITLE = re.compile(r"\[?unreleased\]?", re.IGNORECASE)


def is_markdown(name: str) -> bool:
    """CHANGES.md, CHANGELOG.md, ...: Markdown; anything else is reST."""
    return name.lower().endswith((".md", ".markdown"))


class Heading(NamedTuple):
    """A section title. `index` is the 0-based line of its text; `style` is (adornment
    character, 1 with an overline else 0) in reST, ("#", level) in Markdown. A NamedTuple, not
    a dataclass: the drafter starts in tens of milliseconds, a dataclass costs one each."""

    index: int  # type: ignore[assignment]  # the line, not tuple.index
    title: str
    style: tuple[str, int]
    markdown: bool = False

    @property
    def line(self) -> int:
        return self.index + 1

    @property
    def first(self) -> int:
        """The heading's first line: its overline, when it has one."""
        return self.index if self.markdown else self.index - self.style[1]

    @property
    def body(self) -> int:
        """The first line after the heading."""
        return self.index + 1 if self.markdown else self.index + 2


_PUNCTUATION = frozenset("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _adornment(line: str) -> str:
    """The line without trailing space when it is one punctuation character repeated (a reST
    adornment), else "". String methods, not a regular expression: a changelog of 20,000
    lines is scanned in a few milliseconds."""
    text = line.rstrip()
    return text if text and text[0] in _PUNCTUATION and not text.strip(text[0]) else ""


def rst_headings(lines: Sequence[str]) -> list[Heading]:
    """Section titles as docutils reads them: text at column 0 over a long enough adornment,
    after a blank line or an overline equal to the underline."""
    found = []
    for i in range(1, len(lines)):
        line = lines[i]
        first = line[:1]
        if first not in _PUNCTUATION or line[1:2] not in (first, "", "\r", "\n"):
            continue  # no adornment (`- an entry` fails at its second character)
        under = _adornment(line)
        if not under:
            continue
        text = lines[i - 1].rstrip()
        if not text.strip() or text[0].isspace() or _adornment(text):
            continue
        title = text.strip()
        if len(under) < len(title) and len(under) < 4:
            continue  # docutils reads a short run after short text as a paragraph
        over = i > 1 and lines[i - 2].rstrip() == under
        if i > 1 and lines[i - 2].strip() and not over:
            continue
        found.append(Heading(i - 1, title, (under[0], int(over))))
    return found


def md_headings(lines: Sequence[str]) -> list[Heading]:
    """ATX headings (`## 1.2.3`), outside fenced code blocks."""
    found = []
    fence = ""
    for i, line in enumerate(lines):
        opening = MD_FENCE.match(line)
        if fence:
            if opening and opening[1][0] == fence[0] and len(opening[1]) >= len(fence):
                fence = ""
            continue
        if opening:
            fence = opening[1]
            continue
        match = MD_HEADING.fullmatch(line.rstrip("\r\n"))
        if match:
            found.append(Heading(i, (match[2] or "").strip(), ("#", len(match[1])), True))
    return found


class Layout(NamedTuple):
    """Where the sections are: `first` is the first version heading; the sections are the
    headings at its level from there on, each with the line it ends before; `above` holds
    the other headings at that level above it (the file's title aside)."""

    headings: list[Heading]
    first: Heading | None
    above: list[Heading]
    sections: list[tuple[Heading, int]]


def layout(lines: Sequence[str], markdown: bool) -> Layout:
    """Sections are the headings at the level of the first version heading (any of the
    styles heading_parts reads; in Markdown also Keep a Changelog's `[Unreleased]`); a
    heading of that level or above ends a section."""
    found = md_headings(lines) if markdown else rst_headings(lines)
    first = next(
        (h for h in found if heading_parts(h.title) or (markdown and _unreleased(h))), None
    )
    if first is None:
        return Layout(found, None, [], [])
    level = first.style
    title = found[0] if found[0] is not first else None

    def above_level(h: Heading) -> bool:
        if markdown:
            return h.style[1] < level[1]
        return h.style != level and h.style in higher

    higher = {h.style for h in found if h.index < first.index} - {level}
    above = [h for h in found if h.index < first.index and h.style == level and h is not title]
    ends = [
        h.first for h in found if h.index > first.index and (h.style == level or above_level(h))
    ]
    sections = []
    for h in found:
        if h.index >= first.index and h.style == level:
            sections.append((h, next((e for e in ends if e > h.index), len(lines))))
    return Layout(found, first, above, sections)


def _unreleased(heading: Heading) -> bool:
    return UNRELEASED_TITLE.fullmatch(heading.title) is not None


# `Released 2023-08-17` (click), `*2025-11-19*` (pip-tools), `_2025-11-19_`, `Unreleased`.
MD_DATE_LINE = re.compile(
    r"(?P<before>(?:Released|Release date):?\s+|\*\*|\*|__|_)?"
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2}|[A-Za-z]{3,9}\.?\s+[0-9]{1,2},?\s+[0-9]{4}"
    r"|[Uu]nreleased|UNRELEASED|[Tt][Bb][Dd])"
    r"(?P<after>\*\*|\*|__|_)?\s*"
)


class DateLine(NamedTuple):
    index: int  # type: ignore[assignment]  # the line, not tuple.index
    date: str
    before: str  # what the project writes around the date: `Released `, `*` ...
    after: str


def date_line(lines: Sequence[str], heading: Heading, end: int) -> DateLine | None:
    """The line under a Markdown heading that gives its section's date, if it has one: the
    first line of text after the heading."""
    for i in range(heading.body, end):
        text = lines[i].strip()
        if not text or MARKER.fullmatch(text):
            continue
        match = MD_DATE_LINE.fullmatch(text)
        if match is None:
            return None
        before, after = match["before"] or "", match["after"] or ""
        words = (not before or before.startswith("Release")) and not after  # `Released DATE`
        emphasis = before == after and before in ("*", "**", "_", "__")  # `*DATE*`
        if not (words or emphasis):
            return None
        return DateLine(i, match["date"], before, after)
    return None


# `sha256=...`: the hash of a draft written whole from news fragments, so that a later run
# knows whether a person has edited it since.
MARKER = re.compile(
    r"(?:\.\. releasekit-draft: (?P<rst>[0-9a-fA-F]{7,64})(?: sha256=(?P<rst_hash>[0-9a-f]{64}))?"
    r"|<!-- releasekit-draft: (?P<md>[0-9a-fA-F]{7,64})(?: sha256=(?P<md_hash>[0-9a-f]{64}))? -->)"
    r"\s*"
)


def marker_sha(line: str) -> str | None:
    match = MARKER.fullmatch(line.strip())
    return (match["rst"] or match["md"]) if match else None


def marker_hash(line: str) -> str | None:
    match = MARKER.fullmatch(line.strip())
    return (match["rst_hash"] or match["md_hash"]) if match else None


def marker_line(sha: str, markdown: bool, body_hash: str | None = None) -> str:
    """A comment neither reader shows: reST's `..` comment, an HTML comment in Markdown."""
    text = f"releasekit-draft: {sha}" + (f" sha256={body_hash}" if body_hash else "")
    return f"<!-- {text} -->" if markdown else f".. {text}"


class HeadingStyle(NamedTuple):
    """How the project writes a section heading: the text around the version and the date,
    and, in reST, the adornment character and whether it has an overline; in Markdown, the
    heading level and, where the date stands on the line below (`Released DATE`, `*DATE*`),
    what surrounds it there."""

    before: str = ""
    between: str = " ("
    after: str = ")"
    char: str = "-"
    over: bool = False
    markdown: bool = False
    level: int = 2
    date_before: str | None = None  # Markdown, the date on its own line: what comes before it
    date_after: str = ""

    @classmethod
    def of(cls, heading: Heading, date: DateLine | None = None) -> HeadingStyle:
        """The style of an existing heading (and of its date line, in Markdown)."""
        char, extra = heading.style
        base = cls(char=char, over=bool(extra), markdown=False)
        if heading.markdown:
            base = cls(markdown=True, level=extra)
        title = heading.title
        match = HEADING_TITLE.fullmatch(title)
        if not match:
            return base
        before, closing = title[: match.start("version")], title[match.end("version") :]
        if date is not None:  # the title holds the version only; the date is on its own line
            return base._replace(
                before=before, between="", after=closing,
                date_before=date.before, date_after=date.after,
            )  # fmt: skip
        group = "paren" if match["paren"] is not None else "dash"
        if match[group] is None:  # no date in the project's headings: the draft adds one
            return base._replace(before=before, between=f"{closing} (", after=")")
        between = title[match.end("version") : match.start(group)]
        return base._replace(before=before, between=between, after=title[match.end(group) :])

    def title(self, version: str, when: str) -> str:
        if self.date_before is not None:
            return f"{self.before}{version}{self.after}"
        return f"{self.before}{version}{self.between}{when}{self.after}"

    def date_text(self, when: str) -> str:
        """The line that dates a Markdown section: a draft is `Unreleased`, as click writes it
        (never `Released Unreleased`), emphasised as the project emphasises its dates."""
        if when.lower() != "unreleased":
            return f"{self.date_before}{when}{self.date_after}"
        before = "" if (self.date_before or "").startswith("Release") else self.date_before
        return f"{before}Unreleased{self.date_after}"

    def lines(self, version: str, when: str) -> list[str]:
        """The heading of a section for `version` dated `when` (`unreleased` for a draft)."""
        title = self.title(version, when)
        if self.markdown:
            heading = [f"{'#' * self.level} {title}"]
            if self.date_before is not None:
                heading += ["", self.date_text(when)]
            return heading
        rule = self.char * max(len(title), 3)
        return [rule, title, rule] if self.over else [title, rule]


# --- end of releasekit/rules/changelog.py -----------------------------------------------


# --- releasekit/rules/checkout.py (assembled; edit the source) --------------------------------


class FailureError(Exception):
    """Exit 1: something failed while doing the job; the message says what state is left."""


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


def warn(message: str) -> None:
    print(f"{PROG}: warning: {message}", file=sys.stderr, flush=True)


class Parser(argparse.ArgumentParser):
    """argparse, with a bad command line said in one line (exit 2), not the usage block."""

    def error(self, message: str) -> NoReturn:
        fail(message, 2)


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


# --- releasekit/rules/refs.py (assembled; edit the source) ------------------------------------


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


# --- releasekit/scripts/make_rc_changes.py: the script's own code -----------------


DEFAULT_ORDER = ("ENH", "FIX", "MAINT")
FIRST_VERSION = "0.1.0"
SUMMARY_LINES = 200  # of the diff shown in the Actions step summary
NEW_FILE = "Changelog\n=========\n\n"
NEW_MARKDOWN_FILE = "# Changelog\n\n"

# git log record: fields split by US (0x1f), records ended by RS (0x1e).
LOG_FORMAT = "%h%x1f%H%x1f%P%x1f%an%x1f%s%x1f%b%x1e"
CONVENTIONAL = re.compile(
    r"^(?P<type>[A-Za-z][\w-]*)(?:\((?P<scope>[^()]*)\))?(?P<bang>!)?:\s*(?P<desc>\S.*)$"
)
BREAKING_FOOTER = re.compile(r"^BREAKING[ -]CHANGE:", re.MULTILINE)
# The kit's own commits: the draft itself, version bumps, the squash-merged RC pull request.
BOOKKEEPING = re.compile(
    r"^chore\(rc-changes\)!?:|^chore\(ver\)!?:\s*bump\b|^chore\(auto-release-candidate[\w-]*\)"
)
MARKUP_CHARS = re.compile(r"[\\*`|_]|::$")
INLINE_START = re.compile(r"([*`|])")
REFERENCE_END = re.compile(r"_(?=[^A-Za-z0-9]|$)")
PR_MERGE = re.compile(r"^Merge pull request #(?P<number>\d+) from \S+")
# A merge commit titled as its pull request, `Title (#N)` (GitHub's merge button when the
# maintainer keeps the PR's title, as click does).
TITLED_MERGE = re.compile(r"\(#(?P<number>\d+)\)\s*$")
LIST_ITEM = re.compile(r"^[-*+] \S")
ENTRY_TEXT = re.compile(r"^- [0-9a-f]{4,64} [A-Za-z][\w-]*!?: (?P<text>\S.*)$")
ENTRY = re.compile(r"^- \S+ (?P<label>[^\s:]+):(\s|$)")
# An entry line without any character that could start reST markup: docutils cannot object
# to it, so it is left out of the validity parse (which keeps long histories fast).
PLAIN_ENTRY = re.compile(
    r"^- [0-9a-f]{4,64} [A-Za-z][\w-]*!?: [^*`|_\\\[\]<>:]*(:[^*`|_\\\[\]<>:]+)*$"
)


# A line docutils has nothing to say about: blank, plain words (a title, a heading this script
# wrote), or the draft marker comment. Adornment lines are judged with their title (inert()).
INERT_LINE = re.compile(r"^(|\w[\w ,.()'/+-]*|\.\. releasekit-draft: [0-9a-fA-F]{7,64})$")
ADORNMENT = re.compile(r"^([=\-~^\"'`#*+<>])\1*$")


class BadInputError(Exception):
    """Exit 2: the user's input or repository state is wrong; nothing was changed."""


# ---- git ---------------------------------------------------------------------------------


def git(
    cwd: Path, *args: str, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            check=False,
        )
    except FileNotFoundError as exc:
        raise FailureError("git is not installed or not on PATH") from exc
    if check and proc.returncode != 0:
        reason = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise FailureError(f"git {args[0]} failed: {reason}")
    return proc


class Repo(NamedTuple):
    cwd: Path
    toplevel: Path
    head: str
    git_dir: Path = Path()

    @classmethod
    def open(cls, cwd: Path) -> Repo:
        if not cwd.is_dir():
            raise BadInputError(f"{cwd} is not a directory")
        # One call for all five answers (each git call costs a process).
        asked = ("--is-bare-repository", "--absolute-git-dir", "--is-shallow-repository")
        proc = git(cwd, "rev-parse", *asked, "--show-toplevel", "HEAD", check=False)
        answers = proc.stdout.split("\n")
        if answers[0] == "true":
            raise BadInputError(
                f"{cwd.resolve()} is a bare repository (no work tree); run it in a checkout"
            )
        if proc.returncode != 0:
            if "not a git repository" in proc.stderr:
                raise BadInputError(f"{cwd.resolve()} is not a git repository")
            raise BadInputError("the repository has no commits yet")
        _bare, git_dir, shallow, toplevel, head = answers[:5]
        if shallow == "true":
            raise BadInputError(
                "shallow clone: the history since the last release is missing; fetch it all "
                "with `git fetch --unshallow` (in Actions: actions/checkout with fetch-depth: 0)"
            )
        return cls(cwd=cwd, toplevel=Path(toplevel), head=head, git_dir=Path(git_dir))


class Tag(NamedTuple):
    name: str
    version: Version
    sha: str
    date: str


class Commit(NamedTuple):
    short: str
    sha: str
    parents: tuple[str, ...]
    author: str
    subject: str
    body: str
    is_merge: bool  # more than one parent: asked of every commit, several times


def literal_prefix(pattern: str) -> str:
    """The part of a tag pattern before its first wildcard: `v` for `v*`, `pkg-a-v` ..."""
    return re.split(r"[*?\[]", pattern, maxsplit=1)[0]


def release_tags(repo: Repo, pattern: str) -> tuple[list[Tag], list[str]]:
    """Tags matching `pattern` with a PEP 440 version, lowest first; and the matching tags
    without one (passed over). Reachability is decided later: `--merged HEAD` would walk the
    whole history, which a range draft does not need."""
    fmt = "%(refname:strip=2)%1f%(objectname)%1f%(*objectname)%1f%(creatordate:short)"
    out = git(repo.cwd, "for-each-ref", f"--format={fmt}", "refs/tags").stdout
    prefix = literal_prefix(pattern)
    tags: list[Tag] = []
    skipped: list[str] = []
    for line in out.splitlines():
        name, sha, peeled, when = line.split("\x1f")
        if not fnmatch.fnmatchcase(name, pattern):
            continue
        try:
            version = Version(name[len(prefix) :])
        except InvalidVersion:
            skipped.append(name)
            continue
        tags.append(Tag(name=name, version=version, sha=peeled or sha, date=when))
    tags.sort(key=lambda tag: tag.version)
    return tags, skipped


def unmatched_tags_hint(repo: Repo, pattern: str) -> str:
    """When no tag matches the pattern but some look like versions: the pattern that would."""
    names = git(repo.cwd, "for-each-ref", "--format=%(refname:strip=2)", "refs/tags").stdout
    found: dict[str, int] = {}
    for name in names.split():
        match = re.fullmatch(r"([^0-9]*)([0-9].*)", name)
        if match and not fnmatch.fnmatchcase(name, pattern):
            try:
                Version(match[2])
            except InvalidVersion:
                continue
            found[match[1] + "*"] = found.get(match[1] + "*", 0) + 1
    if not found:
        return ""
    best = max(found, key=lambda k: found[k])
    count = sum(found.values())
    return (
        f" ({count} tag{'s' if count > 1 else ''} look like versions but do not match "
        f"--tag-pattern {pattern!r}; TAG_PATTERN={best!r} would match {found[best]})"
    )


def parse_log(records: Iterable[str]) -> list[Commit]:
    commits = []
    for record in records:
        record = record.lstrip("\n")
        if not record:
            continue
        short, sha, parents, author, subject, body = record.split("\x1f", 5)
        parent_shas = tuple(parents.split())
        commits.append(Commit(short, sha, parent_shas, author, subject, body, len(parent_shas) > 1))
    return commits


def log_records(repo: Repo, args: Sequence[str]) -> Iterator[str]:
    """git log's records (LOG_FORMAT) as git writes them: a long history is parsed while git
    is still walking it, and read without communicate()'s poll per pipe write."""
    try:
        proc = subprocess.Popen(
            ["git", *args],
            cwd=repo.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=0,  # unbuffered: read(n) returns what one pipe read gives
        )
    except FileNotFoundError as exc:
        raise FailureError("git is not installed or not on PATH") from exc
    assert proc.stdout is not None and proc.stderr is not None
    errors = proc.stderr
    said: list[bytes] = []  # read beside stdout: a full stderr pipe would stall git
    reader = threading.Thread(target=lambda: said.append(errors.read()), daemon=True)
    reader.start()
    with proc:
        pending = b""
        while chunk := proc.stdout.read(1 << 16):
            done, separator, pending = (pending + chunk).rpartition(b"\x1e")
            if separator:  # cut at a record's end: never inside a UTF-8 sequence
                yield from done.decode("utf-8", "replace").split("\x1e")
        reader.join()
    if proc.returncode != 0:
        reason = (b"".join(said).decode("utf-8", "replace").strip().splitlines() or [""])[-1]
        raise FailureError(f"git {args[0]} failed: {reason or 'no output'}")
    yield pending.decode("utf-8", "replace")


def log(repo: Repo, revisions: Sequence[str], path: str | None, merges: bool) -> list[Commit]:
    """ONE git log over `revisions`, newest first."""
    args = ["log", f"--format={LOG_FORMAT}"]
    if not merges:
        args.append("--no-merges")
    args += [*revisions, "--"]
    if path:
        args.append(path)
    return parse_log(log_records(repo, args))


def notes_edits(repo: Repo, revisions: Sequence[str], notes: Path) -> set[str]:
    """Commits that change the notes file and nothing else: a maintainer editing the draft
    (on the RC branch or after merging it) is not news for the next draft."""
    try:
        relpath = notes.resolve().relative_to(repo.toplevel.resolve()).as_posix()
    except ValueError:  # the notes live outside the repository
        return set()
    args = ["log", "--format=%H", "--no-merges", *revisions, "--", f":(top,literal){relpath}"]
    touching = set(git(repo.cwd, *args).stdout.split())
    if not touching:
        return set()
    listing = "".join(f"{sha}\n" for sha in touching)  # diff-tree skips an unterminated line
    out = git(repo.cwd, "diff-tree", "--stdin", "-r", "--name-only", stdin=listing)
    files: dict[str, set[str]] = {}
    current = ""
    for line in out.stdout.splitlines():
        if line in touching:  # each commit's record starts with its sha
            current = line
            files[current] = set()
        elif line and current:
            files[current].add(line)
    return {sha for sha, changed in files.items() if changed == {relpath}}


def is_ancestor(repo: Repo, sha: str) -> bool:
    return git(repo.cwd, "merge-base", "--is-ancestor", sha, "HEAD", check=False).returncode == 0


def last_reachable(repo: Repo, tags: Sequence[Tag]) -> Tag | None:
    """The last release (refs.last_release): the highest version in HEAD's history, usually
    the first one asked, one cheap call; a higher tag elsewhere is named in a warning."""
    by_name = {tag.name: tag for tag in tags}
    last = last_release(
        ((t.name, t.version) for t in tags), lambda name: is_ancestor(repo, by_name[name].sha)
    )
    said = last.warning("HEAD")
    if said:
        warn(said)
    return by_name[last.tag] if last.tag else None


def ancestors(roots: Iterable[str], parents: dict[str, tuple[str, ...]]) -> set[str]:
    seen: set[str] = set()
    stack = [root for root in roots if root in parents]
    while stack:
        sha = stack.pop()
        if sha in seen:
            continue
        seen.add(sha)
        stack.extend(p for p in parents.get(sha, ()) if p not in seen and p in parents)
    return seen


def assign_owners(tags: Sequence[Tag], parents: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Commit sha -> name of the lowest-version tag that contains it. One walk in all: a
    commit already owned has all its ancestors owned too, so each walk stops there."""
    owner: dict[str, str] = {}
    for tag in tags:  # oldest version first
        stack = [tag.sha] if tag.sha in parents and tag.sha not in owner else []
        while stack:
            sha = stack.pop()
            if sha in owner:
                continue
            owner[sha] = tag.name
            stack.extend(p for p in parents[sha] if p in parents and p not in owner)
    return owner


# ---- sorting commits into entries --------------------------------------------------------


class Entry(NamedTuple):
    short: str
    label: str
    subject: str
    breaking: bool = False
    feature: bool = False

    @property
    def key(self) -> str:
        return f"{self.label}!" if self.breaking else self.label

    def line(self) -> str:
        return f"- {self.short} {self.key}: {self.subject}"


def rst_escape(text: str) -> str:
    """Make a commit subject plain reST text: no emphasis, roles, substitutions, references."""
    text = " ".join(text.split())
    if not MARKUP_CHARS.search(text):
        return text
    text = text.replace("\\", "\\\\")
    text = INLINE_START.sub(r"\\\1", text)
    text = REFERENCE_END.sub(r"\\_", text)
    if text.endswith("::"):
        text = text[:-1] + "\\:"
    return text


def md_escape(text: str) -> str:
    """A commit subject as plain Markdown text: the characters CommonMark reads as emphasis,
    code, links, HTML or escapes are backslash-escaped (CommonMark 2.4)."""
    return re.sub(r"([\\`*_\[\]<>])", r"\\\1", " ".join(text.split()))


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def subject_of(commit: Commit, merges: bool, prs: dict[str, str] | None = None) -> str | None:
    """The subject to file, or None for a commit that never makes an entry. A commit that a
    first-parent "Merge pull request #N" brought in gets (#N) unless its subject names it."""
    if BOOKKEEPING.search(commit.subject):
        return None
    if not commit.is_merge and PR_MERGE.match(commit.subject):
        return None  # a merge's message on a rebased or squashed commit: no change of its own
    if not commit.is_merge:
        number = (prs or {}).get(commit.sha)
        if number and f"#{number}" not in commit.subject:
            return f"{commit.subject} (#{number})"
        return commit.subject
    match = PR_MERGE.match(commit.subject)
    if merges and TITLED_MERGE.search(commit.subject):
        return commit.subject
    if not merges or not match:
        return None
    title = next((line.strip() for line in commit.body.splitlines() if line.strip()), "")
    return f"{title or commit.subject} (#{match['number']})"


def is_breaking(match: re.Match[str] | None, body: str) -> bool:
    """`type!:` (match of CONVENTIONAL on the subject) or a BREAKING CHANGE footer."""
    if match and match["bang"]:
        return True
    return "BREAKING" in body and bool(BREAKING_FOOTER.search(body))


class Rules:
    """Label per conventional-commit type (regexps), a default label, ignore regexps.

    The mutable records here are plain classes with __slots__, the values NamedTuples: a
    dataclass costs a millisecond to create and its module 12 ms to import, in a script whose
    whole range draft takes well under 100 ms."""

    __slots__ = ("_by_type", "default_label", "escape", "ignore", "labels")

    def __init__(self) -> None:
        self.labels: list[tuple[str, re.Pattern[str]]] = [
            ("ENH", re.compile(r"^feat$", re.IGNORECASE)),
            ("FIX", re.compile(r"^(fix|perf)$", re.IGNORECASE)),
        ]
        self.default_label = "MAINT"
        self.ignore: list[re.Pattern[str]] = []
        self.escape: Callable[[str], str] = rst_escape
        self._by_type: dict[str, str] = {}

    def label_of(self, kind: str) -> str:
        if kind not in self._by_type:
            found = (name for name, rx in self.labels if rx.search(kind))
            self._by_type[kind] = next(found, self.default_label)
        return self._by_type[kind]

    @property
    def order(self) -> list[str]:
        named = [label for label, _ in self.labels] + [self.default_label]
        return [x for x in DEFAULT_ORDER if x in named] + [
            x for x in named if x not in DEFAULT_ORDER
        ]

    def classify(self, short: str, subject: str, body: str) -> Entry | None:
        if self.ignore and any(pattern.search(subject) for pattern in self.ignore):
            return None
        match = CONVENTIONAL.match(subject)
        label, text = self.default_label, subject
        if match:
            text = match["desc"]
            label = self.label_of(match["type"])
        text = self.escape(capitalise(text.strip()))
        return Entry(short, label, text, is_breaking(match, body), label == "ENH")


class GitchangelogRules:
    """A project's .gitchangelog.rc, read with gitchangelog's own loader: its sections become
    the labels, its ignore regexps and subject_process apply."""

    __slots__ = ("escape", "ignore", "process", "sections")

    def __init__(
        self,
        sections: list[tuple[str, list[str] | None]],
        ignore: list[str],
        process: Callable[[str], str],
    ) -> None:
        self.sections = sections
        self.ignore = ignore
        self.process = process
        self.escape: Callable[[str], str] = rst_escape

    @property
    def order(self) -> list[str]:
        return [name for name, _ in self.sections]

    def classify(self, short: str, subject: str, body: str) -> Entry | None:
        if any(re.search(pattern, subject) for pattern in self.ignore):
            return None
        label = None
        for name, regexps in self.sections:
            if regexps is None or any(re.search(rx, subject) for rx in regexps):
                label = name
                break
        if label is None:
            return None
        return Entry(
            short=short,
            label=label.replace(" ", "-"),
            subject=self.escape(str(self.process(subject))),
            breaking=is_breaking(CONVENTIONAL.match(subject), body),
            feature=label.upper() in {"ENH", "NEW", "FEAT", "FEATURE", "FEATURES", "ADDED"},
        )


AnyRules = Rules | GitchangelogRules


def load_gitchangelog(path: Path) -> GitchangelogRules:
    import contextlib
    import io

    from gitchangelog import gitchangelog as gcl

    reference = Path(gcl.__file__).with_name("gitchangelog.rc.reference")
    said = io.StringIO()  # gitchangelog reports its own errors on stderr, several lines
    try:
        with contextlib.redirect_stderr(said):
            loaded = gcl.load_config_file(
                str(path), default_filename=str(reference), fail_if_not_present=True
            )
        config = gcl.Config(loaded)
        sections = [(str(name), rxs) for name, rxs in config["section_regexps"]]
        return GitchangelogRules(
            sections, list(config["ignore_regexps"]), config["subject_process"]
        )
    except (SystemExit, Exception) as exc:
        reason = (said.getvalue().strip().splitlines() or [repr(exc)])[0]
        raise BadInputError(f"{path.name}: cannot load this gitchangelog config: {reason}") from exc


def load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
            return data
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BadInputError(f"{path}: {exc}") from exc


def rules_from_table(table: Any, where: str) -> Rules:
    """`labels = {ENH = "^feat$", ...}` (label -> regexp on the type), `default-label`, `ignore`."""
    if not isinstance(table, dict):
        raise BadInputError(f"{where}: expected a table")
    rules = Rules()
    try:
        if "labels" in table:
            rules.labels = [(str(k), re.compile(str(v))) for k, v in dict(table["labels"]).items()]
        rules.default_label = str(table.get("default-label", rules.default_label))
        rules.ignore = [re.compile(str(rx)) for rx in list(table.get("ignore", []))]
    except (TypeError, ValueError, re.error) as exc:
        raise BadInputError(f"{where}: {exc}") from exc
    for label in [*(name for name, _ in rules.labels), rules.default_label]:
        if not re.fullmatch(r"[A-Za-z][\w-]*", label):
            raise BadInputError(f"{where}: label {label!r} must be a word")
    return rules


def load_rules(config: str | None, repo: Repo) -> AnyRules:
    if config:
        path = repo.cwd / config
        if path.is_symlink() or not path.is_file():
            raise BadInputError(f"config file {config} not found or not a regular file")
        if path.name.endswith(".rc"):
            return load_gitchangelog(path)
        data = load_toml(path)
        table = data.get("tool", {}).get("releasekit", {}).get("changes", data)
        return rules_from_table(table, config)
    rc = repo.toplevel / ".gitchangelog.rc"
    if rc.exists() or rc.is_symlink():
        regular_file_inside(repo, rc, "the rules file")
    if rc.is_file():
        return load_gitchangelog(rc)
    pyproject = repo.toplevel / "pyproject.toml"
    if pyproject.exists() or pyproject.is_symlink():
        regular_file_inside(repo, pyproject, "the rules file")
    if pyproject.is_file():
        table = load_toml(pyproject).get("tool", {}).get("releasekit", {}).get("changes")
        if table is not None:
            return rules_from_table(table, "pyproject.toml [tool.releasekit.changes]")
    return Rules()


def pr_merge(subject: str) -> re.Match[str] | None:
    """The PR number of a merge commit's subject: `Merge pull request #N from ...`, or a merge
    titled `Title (#N)`."""
    return PR_MERGE.match(subject) or TITLED_MERGE.search(subject)


def pull_requests(commits: Iterable[Commit], head: str) -> dict[str, str]:
    """sha -> N for each commit that a "Merge pull request #N" on HEAD's first-parent line
    brought in (the oldest such merge wins), and for that merge itself."""
    by_sha = {c.sha: c for c in commits}
    chain: list[str] = []
    sha = head
    while sha in by_sha:
        chain.append(sha)
        sha = by_sha[sha].parents[0] if by_sha[sha].parents else ""
    on_chain = set(chain)
    owner: dict[str, str] = {}
    for merge in reversed(chain):  # oldest first
        if not by_sha[merge].is_merge:  # most of a linear history: no subject to match
            continue
        match = pr_merge(by_sha[merge].subject)
        if not match:
            continue
        owner[merge] = match["number"]
        stack = list(by_sha[merge].parents[1:])
        while stack:
            sha = stack.pop()
            if sha in by_sha and sha not in on_chain and sha not in owner:
                owner[sha] = match["number"]
                stack.extend(by_sha[sha].parents)
    return owner


def entries_for(
    commits: Iterable[Commit], rules: AnyRules, merges: bool, prs: dict[str, str] | None = None
) -> list[Entry]:
    """Entries for `commits` (given newest first), oldest first. Each change once: with
    --include-merges a pull request is one entry (its merge's title), its commits left out;
    without, each of its commits is an entry ending in (#N)."""
    commits = list(commits)
    prs = prs or {}
    merged = {prs[c.sha] for c in commits if c.is_merge and c.sha in prs} if merges else set()
    entries = []
    for commit in reversed(commits):
        if not commit.is_merge and prs.get(commit.sha) in merged:
            continue
        subject = subject_of(commit, merges, prs)
        if subject is None:
            continue
        entry = rules.classify(commit.short, subject, commit.body)
        if entry is not None:
            entries.append(entry)
    return entries


def sort_key(order: Sequence[str]) -> Callable[[Entry], tuple[int, int]]:
    def key(entry: Entry) -> tuple[int, int]:
        rank = order.index(entry.label) if entry.label in order else len(order)
        return (0 if entry.breaking else 1, rank)

    return key


def line_key(label_key: str, order: Sequence[str]) -> tuple[int, int]:
    label = label_key.rstrip("!")
    rank = order.index(label) if label in order else len(order)
    return (0 if label_key.endswith("!") else 1, rank)


def propose_version(last: Version | None, entries: Sequence[Entry]) -> Version:
    """breaking -> major, feature -> minor, else patch; in 0.x a breaking change bumps minor.
    After a pre-release the proposal is its final release."""
    if last is None:
        return Version(FIRST_VERSION)
    major, minor, patch = (*last.release, 0, 0)[:3]
    if last.is_prerelease:  # its final release, as X.Y.Z (a `1.0-beta` tag gives 1.0.0)
        return Version(f"{major}.{minor}.{patch}")
    breaking = any(e.breaking for e in entries)
    feature = any(e.feature for e in entries)
    if breaking and major > 0:
        return Version(f"{major + 1}.0.0")
    if breaking or feature:
        return Version(f"{major}.{minor + 1}.0")
    return Version(f"{major}.{minor}.{patch + 1}")


# ---- CHANGES.rst -------------------------------------------------------------------------


def split_lines(text: str) -> list[str]:
    """Lines with their own endings (only \\n and \\r\\n count, unlike str.splitlines)."""
    lines = [line + "\n" for line in text.split("\n")]
    if lines[-1] == "\n":
        lines.pop()  # the text ends with a newline, or is empty
    else:
        lines[-1] = lines[-1][:-1]
    return lines


def bare(line: str) -> str:
    return line.rstrip("\r\n")


class Section:
    __slots__ = ("date", "dated", "end", "heading", "marker", "version", "version_text")

    def __init__(
        self, heading: Heading, end: int, version_text: str, version: Version, date: str
    ) -> None:
        self.heading = heading
        self.end = end  # first line after the section
        self.version_text = version_text
        self.version = version
        self.date = date
        self.marker: int | None = None
        self.dated: DateLine | None = None  # Markdown: the line below the heading that dates it

    @property
    def date_line(self) -> int | None:
        return self.dated.index if self.dated else None

    @property
    def style(self) -> HeadingStyle:
        """How this section's heading is written (asked of one or two sections only)."""
        return HeadingStyle.of(self.heading, self.dated)

    @property
    def start(self) -> int:
        """The heading's line (its text; an overline is the line before)."""
        return self.heading.index

    @property
    def first(self) -> int:
        """The heading's first line: its overline, if it has one."""
        return self.heading.first

    @property
    def body(self) -> int:
        """The first line after the heading (and after its date line, in Markdown)."""
        return self.heading.body if self.date_line is None else self.date_line + 1

    @property
    def planning(self) -> bool:
        return is_planning(self.date)

    @property
    def unreleased(self) -> bool:
        return self.date.lower() == "unreleased"


def why_not_a_heading(title: str) -> str:
    token = next((t for t in title.replace("(", " ").split() if t[:1].isdigit()), None)
    if token is not None:
        try:
            Version(token)
        except InvalidVersion:
            return f"{token!r} is not a PEP 440 version"
    return "expected a version heading such as '1.2.3 (2025-06-30)'"


def looks_like_heading(line: str) -> bool:
    """A line that reads as a dated version heading: text a missing underline left behind."""
    parts = heading_parts(line) if line[:1].strip() else None
    if parts is None or not parts[1]:
        return False
    return parts[1].lower() in {"tbd", "unreleased"} or heading_date(parts[1]) is not None


class Changes:
    __slots__ = ("lines", "newline", "passed_over", "path", "sections", "style")

    def __init__(self, path: Path, lines: list[str], sections: list[Section], newline: str):
        self.path = path
        self.lines = lines
        self.sections = sections
        self.newline = newline
        self.style = HeadingStyle()
        # Old headings and dates the draft cannot read: it never writes there, only warns.
        self.passed_over: list[str] = []

    @property
    def text(self) -> str:
        return "".join(self.lines)

    @property
    def markdown(self) -> bool:
        return is_markdown(self.path.name)

    @classmethod
    def parse(cls, text: str, path: Path) -> Changes:
        lines = split_lines(text)
        plain = [line.rstrip("\r\n") for line in lines]
        markdown = is_markdown(path.name)
        found = layout(plain, markdown)
        where = path.name
        newline = "\r\n" if "\r\n" in text else "\n"
        headings = found.headings
        if found.first is None:
            stray = next((h for h in headings[1:]), None)
            if stray is not None:
                raise BadInputError(
                    f"{where}:{stray.line}: heading {stray.title!r} is not a release section: "
                    f"{why_not_a_heading(stray.title)}"
                )
            cls.refuse_unadorned(lines, headings[0].body if headings else 0, len(lines), where)
            return cls(path, lines, [], newline)
        for h in found.above:
            raise BadInputError(
                f"{where}:{h.line}: heading {h.title!r} above the newest release is not a "
                f"release section: {why_not_a_heading(h.title)}"
            )
        above = headings[0].body if headings[0].index < found.first.index else 0
        sections: list[Section] = []
        passed_over: list[str] = []
        for h, end in found.sections:
            dated = date_line(plain, h, end) if markdown else None
            parts = heading_parts(h.title)
            if parts is None and markdown and UNRELEASED_TITLE.fullmatch(h.title):
                continue  # Keep a Changelog's [Unreleased]: a person's notes, left as they are
            if parts is None:
                if not any(not s.planning for s in sections):
                    raise BadInputError(
                        f"{where}:{h.line}: heading {h.title!r} above the newest release is not "
                        f"a release section: {why_not_a_heading(h.title)}"
                    )
                passed_over.append(f"line {h.line} {h.title!r}")
                continue
            version, when = parts
            if not when and dated is not None:
                when = dated.date
            low = when.lower()
            if when and low not in {"tbd", "unreleased"} and heading_date(when) is None:
                passed_over.append(f"line {h.line} date {when!r}")
            section = Section(h, end, version, Version(version), when)
            section.dated = dated if dated is not None and not parts[1] else None
            sections.append(section)
        if not sections:
            return cls(path, lines, [], newline)
        cls.refuse_unadorned(lines, above, sections[0].first, where)
        changes = cls(path, lines, sections, newline)
        changes.style = next((s.style for s in sections if not s.planning), sections[0].style)
        changes.passed_over = passed_over
        for i, line in enumerate(plain):
            if line[:1] not in ".<" or marker_sha(line) is None:  # `.. ` or `<!--` first
                continue
            owner = next((x for x in reversed(sections) if x.start < i), None)
            if owner is not None and owner.marker is None and i < owner.end:
                owner.marker = i
        return changes

    @staticmethod
    def refuse_unadorned(lines: Sequence[str], start: int, stop: int, where: str) -> None:
        """Refuse a heading without its underline where the draft would go below it."""
        for i in range(start, stop):
            line = bare(lines[i]).rstrip()
            previous = bare(lines[i - 1]).strip() if i > 0 else ""
            if not previous and looks_like_heading(line):
                raise BadInputError(
                    f"{where}:{i + 1}: {line!r} looks like a section heading without its "
                    "underline; underline it like the other sections"
                )

    def top(self) -> Section | None:
        return next((s for s in self.sections if not s.planning), None)

    def marker_sha(self, section: Section) -> str:
        assert section.marker is not None
        sha = marker_sha(bare(self.lines[section.marker]))
        assert sha
        return sha


def regular_file_inside(repo: Repo, path: Path, what: str) -> Path:
    """Every file this script reads or writes is a regular file inside the work tree: never a
    symlink (it could point at a secret), never a path that resolves outside."""
    problem = work_tree_problem(repo.toplevel, path)
    if problem == "is a symlink":
        raise BadInputError(f"{what} {path.name} is a symlink; it must be a regular file")
    if problem:
        raise BadInputError(f"{what} {path} {problem}")
    if path.exists() and not path.is_file():
        raise BadInputError(f"{what} {path.name} is not a regular file")
    return path


def operation_in_progress(repo: Repo) -> None:
    """Never write in the middle of a conflicted merge, rebase or cherry-pick."""
    what = operation_under_way(repo.git_dir)
    if what:
        raise BadInputError(f"{what} is in progress in {repo.toplevel}; finish or abort it")
    if git(repo.cwd, "ls-files", "--unmerged").stdout.strip():
        raise BadInputError("the index has unmerged paths; resolve the conflicts first")


def check_outputs() -> None:
    """GITHUB_OUTPUT and GITHUB_STEP_SUMMARY, when set, must be writable files: checked first."""
    problem = actions_files_problem(os.environ)
    if problem:
        raise BadInputError(problem)


def read_changes(path: Path) -> str | None:
    if not path.exists():
        return None
    if not path.is_file():
        raise BadInputError(f"{path} is not a file")
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadInputError(
            f"{path.name} is not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from exc


def section_text(
    version: str,
    when: str,
    marker: str | None,
    entries: Sequence[Entry],
    nl: str,
    style: HeadingStyle,
) -> str:
    lines = [*style.lines(version, when), ""]
    if marker:
        lines += [marker_line(marker, style.markdown), ""]
    if entries:
        lines += [entry.line() for entry in entries] + [""]
    return nl.join(lines) + nl


def ensure_block_end(lines: list[str], nl: str) -> None:
    """Make the text end with a blank line, so that a section can follow."""
    if not lines:
        return
    if not lines[-1].endswith("\n"):
        lines[-1] += nl
    if bare(lines[-1]).strip():
        lines.append(nl)


def entry_end(lines: list[str], i: int, stop: int) -> int:
    """The line after entry `i` and its indented continuation lines."""
    i += 1
    while i < stop and bare(lines[i]).strip() and lines[i][:1] in " \t":
        i += 1
    return i


def insert_entry(changes: Changes, section: Section, entry: Entry, order: Sequence[str]) -> None:
    """Add one line to a draft: after the last line with the same label, else at its label's
    place in the order, else after the section's last text."""
    lines, nl = changes.lines, changes.newline
    found = [
        (i, m["label"])
        for i in range(section.body, section.end)
        if (m := ENTRY.match(bare(lines[i])))
    ]
    same = [i for i, label in found if label == entry.key]
    later = [i for i, label in found if line_key(label, order) > line_key(entry.key, order)]
    new = [entry.line() + nl]
    if same:
        at = entry_end(lines, same[-1], section.end)
    elif later:
        at = later[0]
    elif found:
        at = entry_end(lines, found[-1][0], section.end)
    else:
        at = section.end
        while at > section.body and not bare(lines[at - 1]).strip():
            at -= 1
        if not LIST_ITEM.match(bare(lines[at - 1])):  # a person's list goes on as one list
            new = [nl, *new]
    if at > 0 and not lines[at - 1].endswith("\n"):
        lines[at - 1] += nl
    lines[at:at] = new
    section.end += len(new)


def written_regions(changes: Changes, versions: Iterable[str]) -> list[range]:
    """The lines docutils must see: everything above the first section (the title decides the
    heading levels) and each section this run wrote to. The other sections are left as they
    were, byte for byte, and a section heading closes every construct before it."""
    wanted = set(versions)
    first = changes.sections[0].first if changes.sections else len(changes.lines)
    regions = [range(0, first)]
    regions += [range(s.first, s.end) for s in changes.sections if s.version_text in wanted]
    return regions


def check_rst(
    lines: Sequence[str], regions: Iterable[range], name: str, generated: Collection[str] = ()
) -> str | None:
    """None when docutils reads the written parts without a warning, else the first complaint.

    Entry lines without any markup character are left out: docutils cannot object to them.
    Other one-line entries go into one line block at the end, where docutils parses each line's
    inline markup on its own, as in a list item, at a fraction of the cost of a list."""
    kept: list[str] = []
    numbers: list[int] = []  # line number in the file of each kept line
    alone: list[tuple[int, str]] = []
    for region in regions:
        for i in region:
            text = bare(lines[i])
            if text in generated or PLAIN_ENTRY.match(text) or escaped_entry(text):
                continue
            if ENTRY.match(text) and not text.endswith("::") and not continued(lines, i):
                alone.append((i + 1, text[2:]))
                continue
            kept.append(text + "\n")
            numbers.append(i + 1)
    if not alone and inert(kept):
        return None  # nothing docutils could object to: spare its import and parse
    from docutils.core import publish_doctree
    from docutils.utils import SystemMessage

    if alone:
        kept.append("\n")
        numbers.append(0)
        for number, text in alone:
            kept.append(f"| {text}\n")
            numbers.append(number)
    settings = {"report_level": 2, "halt_level": 2, "warning_stream": _Null()}
    try:
        publish_doctree("".join(kept), source_path=name, settings_overrides=settings)
    except SystemMessage as exc:
        found = re.match(r"[^:]*:(\d+): \((\w+)/\d\) (.*)", str(exc).strip())
        if not found:
            return str(exc).strip().splitlines()[0]
        number = numbers[min(int(found[1]), len(numbers)) - 1] if numbers else 0
        return f"line {number}: {found[3]}"
    return None


def escaped_entry(line: str) -> bool:
    """An entry line whose text is exactly what rst_escape() makes of it (the kit wrote it, or
    a person wrote what it would): valid reST by construction, so docutils is spared it."""
    match = ENTRY_TEXT.match(line)
    if match is None:
        return False
    text = match["text"]
    return rst_escape(re.sub(r"\\(.)", r"\1", text)) == text


def inert(lines: Sequence[str]) -> bool:
    """Whether these lines are plain text, blank lines, the draft marker, and titles underlined
    at least as long as the title, each followed by a blank line: reST as simple as it gets."""
    for i, line in enumerate(lines):
        text = line.rstrip("\n")
        if INERT_LINE.match(text) and not ADORNMENT.match(text):
            continue
        if not ADORNMENT.match(text) or i == 0:
            return False
        title = lines[i - 1].rstrip("\n")
        after = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if not title or ADORNMENT.match(title) or len(text) < len(title) or after:
            return False
    return True


def continued(lines: Sequence[str], i: int) -> bool:
    """Whether line i is followed by an indented continuation line."""
    return i + 1 < len(lines) and lines[i + 1][:1] in (" ", "\t") and bool(lines[i + 1].strip())


class _Null:
    def write(self, _text: str) -> None:
        pass


# ---- the job -----------------------------------------------------------------------------


class Outcome:
    __slots__ = (
        "added", "after", "before", "generated", "message", "regions", "since", "version",
        "written",
    )  # fmt: skip

    def __init__(
        self,
        before: str | None,
        after: str,
        version: str,
        added: int,
        since: str,
        message: str,
        written: set[str] | None = None,
        generated: set[str] | None = None,
    ) -> None:
        self.before = before
        self.after = after
        self.version = version
        self.added = added
        self.since = since
        self.message = message
        self.written = written or set()  # versions of the sections written to
        # Entry lines this run wrote: escaped by rst_escape, so valid reST by construction.
        self.generated = generated or set()
        # The lines to check, where this run knows them without reading the file again (it
        # added to the draft: the title and that section); None: the written sections are
        # found anew.
        self.regions: list[range] | None = None

    @property
    def changed(self) -> bool:
        return self.before != self.after


class Settings(NamedTuple):
    """What the command line asks for (see parse_args)."""

    changes: str
    tag_pattern: str
    version: str | None
    changes_from: str
    unlisted_out: str | None
    path: str | None
    all: bool
    dry_run: bool
    include_merges: bool
    config: str | None
    repo_dir: Path


class Job:
    __slots__ = ("last", "prs", "repo", "rules", "settings", "tags")

    def __init__(self, settings: Settings, repo: Repo, rules: AnyRules, tags: list[Tag]):
        self.settings = settings
        self.repo = repo
        self.rules = rules
        self.tags = tags  # release tags, lowest version first
        self.last: Tag | None = None  # the last release: highest version reachable from HEAD
        self.prs: dict[str, str] = {}  # sha -> PR number (merge commits)

    @property
    def notes(self) -> Path:
        return Path(self.repo.cwd / self.settings.changes)

    def entries(self, commits: Iterable[Commit]) -> list[Entry]:
        found = entries_for(commits, self.rules, self.settings.include_merges, self.prs)
        return sorted(found, key=sort_key(self.rules.order))


def release_commit(job: Job, changes: Changes) -> tuple[Version, str] | None:
    """No release tag: the newest dated section of CHANGES.rst, and the commit that dated it."""
    released = next((s for s in changes.sections if not s.planning and not s.unreleased), None)
    if released is None:
        return None
    heading = bare(changes.lines[released.start]).strip()
    out = git(job.repo.cwd, "log", "-1", "--format=%H", f"-S{heading}", "--", str(changes.path))
    return released.version, out.stdout.strip()


def find_draft(job: Job, changes: Changes) -> tuple[Section | None, bool]:
    """The section this run adds to, and whether it is a person's to adopt. The kit's draft is
    the newest section with the draft marker whose version is not released yet, wherever it
    stands and however a person dated it (`tbd` included); else an `unreleased` section on top
    (click keeps one by hand) is adopted as the draft."""
    tagged = {tag.version for tag in job.tags}

    def unreleased_version(section: Section) -> bool:
        newer = job.last is None or section.version > job.last.version
        return section.version not in tagged and newer

    marked = [s for s in changes.sections if s.marker is not None and unreleased_version(s)]
    if marked:
        return marked[0], False
    top = changes.top()
    if top is None or not top.unreleased:
        return None, False
    if unreleased_version(top):
        return top, True
    raise BadInputError(
        f"{changes.path.name}:{top.start + 1}: section {top.version_text} (unreleased) is for a "
        "version already released and has no `.. releasekit-draft: <sha>` line: date it, or "
        "give it the next version"
    )


def adopt(changes: Changes, section: Section, head: str) -> None:
    """Give a person's unreleased section the draft marker, above its first text."""
    at = section.body
    while at < section.end and not bare(changes.lines[at]).strip():
        at += 1
    nl = changes.newline
    marker = [marker_line(head, changes.markdown) + nl, nl]
    if at > 0 and bare(changes.lines[at - 1]).strip():
        marker.insert(0, nl)
    changes.lines[at:at] = marker
    section.marker = at + len(marker) - 2
    section.end += len(marker)


def requested_version(job: Job, base: Version | None) -> Version | None:
    if not job.settings.version:
        return None
    try:
        version = Version(job.settings.version)
    except InvalidVersion as exc:
        raise BadInputError(f"--version {job.settings.version!r} is not a PEP 440 version") from exc
    if base is not None and version <= base:
        raise BadInputError(f"--version {version} is not above the last release {base}")
    if not is_releasable(str(version)):
        raise BadInputError(
            f"--version {job.settings.version} is not a form release-tag can write "
            "(X.Y.Z, optional aN/bN/rcN, optional .postN)"
        )
    return version


def add_to_draft(job: Job, changes: Changes, draft: Section, entries: Sequence[Entry]) -> None:
    for entry in entries:
        insert_entry(changes, draft, entry, job.rules.order)
    assert draft.marker is not None
    old = changes.lines[draft.marker]
    ending = old[len(bare(old)) :]
    changes.lines[draft.marker] = marker_line(job.repo.head, changes.markdown) + ending


def new_draft(
    changes: Changes, version: Version, head: str, entries: Sequence[Entry]
) -> list[range]:
    """Insert the draft section; the lines to check: the title and the new section (the file
    is not read again to find them)."""
    style = changes.style
    text = section_text(str(version), "unreleased", head, entries, changes.newline, style)
    top = changes.top()
    block = split_lines(text)
    if top is None:
        ensure_block_end(changes.lines, changes.newline)
        start = len(changes.lines)
        changes.lines.extend(block[:-1])  # no blank line at the end of the file
        return [range(0, start), range(start, len(changes.lines))]
    title_end = changes.sections[0].first
    changes.lines[top.first : top.first] = block
    return [range(0, title_end), range(top.first, top.first + len(block))]


def draft(
    job: Job, changes: Changes, commits_after: Callable[[str | None], list[Commit]]
) -> Outcome:
    """Add a draft section, or new commits to the existing one. `commits_after(sha)` gives the
    commits after sha (None: after the last release)."""
    before = changes.text
    existing, adopted = find_draft(job, changes)
    base = job.last.version if job.last else None
    since = job.last.name if job.last else "the start of history"
    fallback = None
    regions: list[range] | None = None
    if base is None and existing is None:
        fallback = release_commit(job, changes)
        if fallback:
            base, sha = fallback
            since = f"{changes.path.name} {base}" + (f" ({sha[:7]})" if sha else "")
    wanted = requested_version(job, base)
    if existing is not None and adopted:
        warn(
            f"adopting the unreleased section {existing.version_text} as the draft: commits "
            f"since {since} are added below its entries"
        )
        adopt(changes, existing, job.repo.head)
        entries = job.entries(commits_after(None))
        if wanted is not None and wanted != existing.version:
            warn(
                f"keeping the draft's version {existing.version_text} (--version {wanted} ignored)"
            )
        add_to_draft(job, changes, existing, entries)
        version = existing.version_text
    elif existing is not None:
        marker = changes.marker_sha(existing)
        entries = job.entries(commits_after(marker))
        since = f"the draft's commit {marker[:7]}"
        if wanted is not None and wanted != existing.version:
            warn(
                f"keeping the draft's version {existing.version_text} (--version {wanted} ignored)"
            )
        if entries:
            add_to_draft(job, changes, existing, entries)
        version = existing.version_text
    else:
        start = fallback[1] if fallback and fallback[1] else None
        entries = job.entries(commits_after(start))
        version = str(wanted or propose_version(base, entries))
        if entries:
            regions = new_draft(changes, Version(version), job.repo.head, entries)
    message = summary_line(version, len(entries), since, existing is not None)
    written = {version} if entries else set()
    generated = {entry.line() for entry in entries}
    outcome = Outcome(
        before, changes.text, version, len(entries), since, message, written, generated
    )
    if existing is not None and not adopted:  # the sections above the draft did not move
        title_end = changes.sections[0].first
        outcome.regions = [range(0, title_end), range(existing.first, existing.end)]
    elif regions is not None:
        outcome.regions = regions
    return outcome


# ---- news fragments (towncrier) --------------------------------------------------------------


def towncrier(job: Job, *args: str) -> str:
    """towncrier's output, run in the package folder where its configuration is. Only the
    projects that keep news fragments need it: it is no dependency of this script."""
    import importlib.util

    if importlib.util.find_spec("towncrier") is None:
        raise BadInputError("CHANGES_FROM=towncrier needs towncrier: pip install towncrier")
    where = job.repo.cwd / (job.settings.path or ".")
    command = [sys.executable, "-m", "towncrier", *args]
    done = subprocess.run(command, cwd=where, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise FailureError(f"towncrier {args[0]} failed: {reason}")
    return done.stdout


def fragment_body(job: Job, changes: Changes, version: str) -> list[str]:
    """The section towncrier would write for `version`, without the title it gives it (the
    draft's heading is in the file's own style), as lines with the file's line endings."""
    rendered = towncrier(job, "build", "--draft", "--version", version, "--date", "unreleased")
    lines = rendered.replace("\r\n", "\n").split("\n")
    markdown = changes.markdown
    titles = md_headings(lines) if markdown else rst_headings(lines)
    if titles and not "".join(lines[: titles[0].first]).strip():
        lines = lines[titles[0].body :]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return [line.rstrip() + changes.newline for line in lines]


def body_hash(lines: Sequence[str]) -> str:
    """The hash a draft's marker keeps of the body the kit wrote: its lines, trailing blanks
    and line endings aside."""
    import hashlib  # here: most runs hash nothing, and start-up is most of a run

    text = "\n".join(bare(line).rstrip() for line in lines).strip("\n")
    return hashlib.sha256(text.encode()).hexdigest()


def body_after_marker(changes: Changes, section: Section) -> range:
    assert section.marker is not None
    end = section.end
    while end > section.marker + 1 and not bare(changes.lines[end - 1]).strip():
        end -= 1
    return range(section.marker + 1, end)


def without_fragment(job: Job, commits: Sequence[Commit]) -> list[Commit]:
    """The commits that add no news fragment: listed for the maintainer, never in the file."""
    fragments = towncrier_directory(job)
    if fragments is None:
        return []
    shas = "".join(f"{c.sha}\n" for c in commits)
    out = git(
        job.repo.cwd, "diff-tree", "--stdin", "-r", "--name-only", "--diff-filter=AM", stdin=shas
    )
    adding: set[str] = set()
    current = ""
    for line in out.stdout.splitlines():
        if re.fullmatch(r"[0-9a-f]{40,64}", line):
            current = line
        elif current and (line.startswith(fragments + "/")):
            adding.add(current)
    return [c for c in commits if c.sha not in adding and subject_of(c, False) is not None]


def towncrier_directory(job: Job) -> str | None:
    """Where the project keeps its news fragments, relative to the work tree, or None."""
    folder = fragment_folder(job.repo.cwd / (job.settings.path or "."))
    if folder is None:
        return None
    try:
        return folder.relative_to(job.repo.toplevel.resolve()).as_posix().rstrip("/")
    except ValueError:
        return None


def fragments_draft(
    job: Job, changes: Changes, commits_after: Callable[[str | None], list[Commit]]
) -> Outcome:
    """The draft of a project that keeps news fragments: its body is what towncrier renders
    from them (the fragments are the notes), under a heading in the file's own style. A
    later run renders it again, unless a person has edited it since (the marker keeps its
    hash). The commits that add no fragment are listed for the maintainer, not in the file."""
    before = changes.text
    existing, adopted = find_draft(job, changes)
    base = job.last.version if job.last else None
    since = job.last.name if job.last else "the start of history"
    commits = commits_after(None)
    entries = job.entries(commits)
    wanted = requested_version(job, base)
    version = existing.version_text if existing else str(wanted or propose_version(base, entries))
    body = fragment_body(job, changes, version)
    signed = marker_line(job.repo.head, changes.markdown, body_hash(body)) + changes.newline
    nl = changes.newline
    if existing is not None and not adopted:
        assert existing.marker is not None
        kept = body_after_marker(changes, existing)
        recorded = marker_hash(bare(changes.lines[existing.marker]))
        if recorded != body_hash(changes.lines[kept.start : kept.stop]):
            warn(
                f"the {version} draft was edited by hand: left as it is (edit the news "
                "fragments, or delete the section to have it written again)"
            )
            body = []
        else:
            changes.lines[kept.start : kept.stop] = [nl, *body] if body else []
            changes.lines[existing.marker] = signed
    elif existing is not None:
        warn(f"the unreleased section {existing.version_text} is a person's: left as it is")
    else:
        heading = [line + nl for line in changes.style.lines(version, "unreleased")]
        block = [*heading, nl, signed, nl, *body, nl]
        top = changes.top()
        if top is None:
            ensure_block_end(changes.lines, nl)
            changes.lines.extend(block[:-1])
        else:
            changes.lines[top.first : top.first] = block
    unlisted = without_fragment(job, commits)
    if job.settings.unlisted_out:
        listing = "".join(f"- {c.short} {c.subject}\n" for c in unlisted)
        Path(job.settings.unlisted_out).write_text(listing, encoding="utf-8")
    message = f"the {version} draft from the news fragments" + (
        f"; {len(unlisted)} commit(s) since {since} add no fragment" if unlisted else ""
    )
    return Outcome(
        before, changes.text, version, len(body), since, message, {version} if body else set()
    )


def summary_line(version: str, added: int, since: str, existing: bool) -> str:
    if not added:
        return f"nothing new since {since}"
    noun = "entry" if added == 1 else "entries"
    if existing:
        return f"added {added} {noun} to the {version} draft (commits since {since})"
    return f"drafted {version} with {added} {noun} since {since}"


def draft_landed(job: Job, sha: str) -> str:
    """The draft's commit is not in HEAD's history: the RC pull request was squash-merged or
    rebased. Then the commit that brought the draft's marker line into HEAD's history must be
    the kit's own (a squash or rebase of the RC branch, or a notes-only commit), else the
    history was rewritten. Returns where the new commits start: the draft's commit while it
    exists (what it covered, deleted entries included, stays out), else that landing commit."""
    notes = job.notes.resolve().relative_to(job.repo.toplevel.resolve()).as_posix()
    marker = f".. releasekit-draft: {sha}"
    spec = f":(top,literal){notes}"
    landed = git(job.repo.cwd, "log", "-1", "--format=%H%x1f%s", f"-S{marker}", "HEAD", "--", spec)
    found, _, subject = landed.stdout.strip().partition("\x1f")
    if not found or not (
        BOOKKEEPING.search(subject) or found in notes_edits(job.repo, [f"{found}^!"], job.notes)
    ):
        raise BadInputError(
            f"the draft's commit {sha[:12]} is not in the history of HEAD, and the commit that "
            "brought its `.. releasekit-draft:` line is not a squash-merged or rebased release "
            "candidate (history rewritten?): fix that line by hand"
        )
    if git(job.repo.cwd, "cat-file", "-e", f"{sha}^{{commit}}", check=False).returncode == 0:
        return sha
    warn(
        f"the draft's commit {sha[:12]} is gone (release-candidate branch deleted?): commits "
        f"merged before {found[:12]} that the draft did not list are not added"
    )
    return found


def run_draft(job: Job, changes: Changes) -> Outcome:
    def commits_after(sha: str | None) -> list[Commit]:
        if (
            sha is not None
            and sha.lower() != job.repo.head.lower()
            and not is_ancestor(job.repo, sha)
        ):
            sha = draft_landed(job, sha)
        start = sha or (job.last.sha if job.last else None)
        revisions = [f"{start}..HEAD"] if start else ["HEAD"]
        edits = notes_edits(job.repo, revisions, job.notes)
        if job.settings.path:  # the package's commits; the pull requests need the whole history
            commits = log(job.repo, revisions, job.settings.path, job.settings.include_merges)
            everything = log(job.repo, revisions, None, True)
        else:  # one log gives both
            everything = log(job.repo, revisions, None, True)
            merges = job.settings.include_merges
            commits = [c for c in everything if merges or not c.is_merge]
        if any(c.is_merge and pr_merge(c.subject) for c in everything):
            job.prs = pull_requests(everything, job.repo.head)
        return [c for c in commits if c.sha not in edits]

    return draft(job, changes, commits_after)


def commits_since_last(job: Job) -> list[Commit]:
    start = job.last.sha if job.last else None
    revisions = [f"{start}..HEAD"] if start else ["HEAD"]
    edits = notes_edits(job.repo, revisions, job.notes)
    commits = log(job.repo, revisions, job.settings.path, job.settings.include_merges)
    return [c for c in commits if c.sha not in edits]


def run_all(job: Job, changes: Changes) -> Outcome:
    """Backfill a section per release tag from ONE git log of the whole history, then draft."""
    from concurrent.futures import ThreadPoolExecutor

    # The path-limited log that finds notes-only commits costs almost as much as the full log:
    # run it beside the full log (git does the work, so the GIL does not serialise them).
    with ThreadPoolExecutor(max_workers=1) as pool:
        notes_only = pool.submit(notes_edits, job.repo, ["HEAD"], job.notes)
        history = log(job.repo, ["HEAD"], None, merges=True)
        edits = notes_only.result()
    parents = {c.sha: c.parents for c in history}
    job.prs = pull_requests(history, job.repo.head)
    job.tags = [tag for tag in job.tags if tag.sha in parents]  # reachable from HEAD
    job.last = job.tags[-1] if job.tags else None
    touching: set[str] | None = None
    if job.settings.path:
        out = git(job.repo.cwd, "log", "--format=%H", "HEAD", "--", job.settings.path).stdout
        touching = set(out.split())
    buckets: dict[str, list[Commit]] = {}
    owner = assign_owners(job.tags, parents)
    for commit in history:
        if (touching is not None and commit.sha not in touching) or commit.sha in edits:
            continue
        buckets.setdefault(owner.get(commit.sha, ""), []).append(commit)
    before = changes.text
    known = {s.version for s in changes.sections}
    added = 0
    inserts: list[tuple[int, str]] = []
    for tag in reversed(job.tags):
        if tag.version in known:
            continue
        entries = job.entries(buckets.get(tag.name, []))
        added += len(entries)
        style = changes.style
        text = section_text(str(tag.version), tag.date, None, entries, changes.newline, style)
        at = next(
            (
                s.first
                for s in changes.sections
                if not s.planning and not s.marker and s.version < tag.version
            ),
            None,
        )
        inserts.append((-1 if at is None else at, text))  # -1: at the end
    backfilled = len(inserts)
    if inserts:
        if any(at == -1 for at, _ in inserts):
            ensure_block_end(changes.lines, changes.newline)
        by_place: dict[int, list[str]] = {}
        for at, text in inserts:  # newest first within one place
            by_place.setdefault(len(changes.lines) if at == -1 else at, []).append(text)
        if len(changes.lines) in by_place:  # no blank line at the end of the file
            last = by_place[len(changes.lines)]
            last[-1] = last[-1].removesuffix(changes.newline)
        for at in sorted(by_place, reverse=True):
            changes.lines[at:at] = by_place[at]
        changes = Changes.parse(changes.text, changes.path)

    def commits_after(sha: str | None) -> list[Commit]:
        if sha is None:
            return buckets.get("", [])
        if sha not in parents:
            start = draft_landed(job, sha)
            out = git(job.repo.cwd, "rev-list", start).stdout
            done = set(out.split())
        else:
            done = ancestors([sha], parents)
        return [
            c
            for c in history
            if c.sha not in done and c.sha not in edits and (touching is None or c.sha in touching)
        ]

    outcome = draft(job, changes, commits_after)
    outcome.before = before
    outcome.added += added
    # The backfilled sections are left out of outcome.written: every line of them is generated
    # (a heading from a tag, escaped entries), so they are valid reST by construction.
    if backfilled:
        outcome.message = f"backfilled {backfilled} release sections; {outcome.message}"
    return outcome


# ---- output ------------------------------------------------------------------------------


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    # mkstemp's way (an unguessable name, O_EXCL) without importing tempfile and random
    tmp = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
        tmp.chmod(mode)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def unified_diff(before: str | None, after: str, name: str) -> str:
    import difflib  # --dry-run only

    old = split_lines(before or "")
    new = split_lines(after)
    lines = difflib.unified_diff(old, new, f"a/{name}", f"b/{name}")
    return "".join(x if x.endswith("\n") else x + "\n\\ No newline at end of file\n" for x in lines)


def github_outputs(outcome: Outcome, name: str, dry_run: bool) -> None:
    output = os.environ.get("GITHUB_OUTPUT")
    if output:
        with Path(output).open("a", encoding="utf-8") as handle:
            changed = "true" if outcome.changed else "false"
            handle.write(f"version={outcome.version}\nchanged={changed}\nadded={outcome.added}\n")
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        mode = " (dry run)" if dry_run else ""
        text = f"### Release notes draft{mode}\n\n`{name}`: {outcome.message}.\n"
        if outcome.changed:
            diff = unified_diff(outcome.before, outcome.after, name).splitlines(keepends=True)
            cut = (
                f"... {len(diff) - SUMMARY_LINES} more lines\n" if len(diff) > SUMMARY_LINES else ""
            )
            text += f"\n```diff\n{''.join(diff[:SUMMARY_LINES])}{cut}```\n"
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write(text)


def parse_args(argv: Sequence[str] | None) -> Settings:
    parser = Parser(
        prog=PROG,
        description=(
            "Draft the next CHANGES.rst section from the commits since the last release tag: "
            "conventional-commit types sorted into ENH/FIX/MAINT (breaking first), a proposed "
            "version, and a `.. releasekit-draft: <sha>` marker. Re-runs add only newer "
            "commits and keep every edit. Exit 0 ok (also: nothing new), 1 failed, 2 bad input."
        ),
        epilog=(
            "Rules come from --config, else .gitchangelog.rc, else [tool.releasekit.changes] "
            "in pyproject.toml. In GitHub Actions, writes version=, changed=, added= to "
            "GITHUB_OUTPUT and a summary to GITHUB_STEP_SUMMARY."
        ),
    )
    env = os.environ.get
    parser.add_argument(
        "--changes",
        default=env("CHANGES") or "CHANGES.rst",
        help="the changelog file (default: $CHANGES or CHANGES.rst)",
    )
    parser.add_argument(
        "--tag-pattern",
        default=env("TAG_PATTERN") or "v*",
        help="release tags, fnmatch; the version is the tag minus the literal "
        "prefix (default: $TAG_PATTERN or 'v*'; monorepo: 'pkg-a-v*')",
    )
    parser.add_argument("--version", help="the version to draft (PEP 440, above the last release)")
    parser.add_argument(
        "--changes-from",
        choices=("commits", "towncrier"),
        default=os.environ.get("CHANGES_FROM") or "commits",
        help="commits: entries from the commit subjects; towncrier: the draft is what "
        "`towncrier build --draft` renders from the news fragments (default: $CHANGES_FROM "
        "or commits)",
    )
    parser.add_argument(
        "--unlisted-out",
        metavar="PATH",
        help="with towncrier: write the commits that add no news fragment here, one Markdown "
        "list item each (for the pull request's body)",
    )
    parser.add_argument("--path", help="only commits touching this directory (monorepos)")
    parser.add_argument(
        "--all",
        action="store_true",
        help="also backfill a section for every release tag missing from the file",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the unified diff instead of writing"
    )
    parser.add_argument(
        "--include-merges",
        action="store_true",
        help="list 'Merge pull request #N' merges under their PR title",
    )
    parser.add_argument(
        "--config",
        help="TOML rules file ([tool.releasekit.changes] or top-level "
        "keys labels/default-label/ignore), or a gitchangelog .rc file",
    )
    parser.add_argument(
        "-C",
        dest="repo_dir",
        default=".",
        type=Path,
        help="run as if started in this directory (default: .)",
    )
    return Settings(**vars(parser.parse_args(argv)))


def validate(outcome: Outcome, path: Path, name: str) -> None:
    """The written parts of a reST file are valid reST. Markdown has no invalid text: a
    Markdown file is written as it is (its entries escaped, see md_escape)."""
    if is_markdown(name):
        return
    after = split_lines(outcome.after)
    if outcome.regions is not None:
        regions = outcome.regions
    else:
        regions = written_regions(Changes.parse(outcome.after, path), outcome.written)
    problem = check_rst(after, regions, name, outcome.generated)
    if not problem:
        return
    if outcome.before:
        earlier = Changes.parse(outcome.before, path)
        before = written_regions(earlier, outcome.written)
        problem_before = check_rst(earlier.lines, before, name)
        if problem_before:
            raise BadInputError(f"{name} is not valid reST: {problem_before}")
    raise FailureError(f"refusing to write {name}: the result is not valid reST ({problem})")


def package_path(repo: Repo, path: str | None) -> str | None:
    """--path as git log takes it; None when it is the whole work tree (no path limit)."""
    if not path:
        return None
    where = (repo.cwd / path).resolve()
    top = repo.toplevel.resolve()
    if where != top and top not in where.parents:
        raise BadInputError(f"--path {path} is outside the work tree {top}")
    if not where.is_dir():
        raise BadInputError(f"--path {path} is not a directory")
    return None if where == top else path


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_args(argv)
    try:
        check_outputs()
        repo = Repo.open(settings.repo_dir)
        settings = settings._replace(path=package_path(repo, settings.path))
        path = regular_file_inside(repo, repo.cwd / settings.changes, "the notes file")
        operation_in_progress(repo)
        before = read_changes(path)
        new_file = NEW_MARKDOWN_FILE if is_markdown(path.name) else NEW_FILE
        changes = Changes.parse(new_file if before is None else before, path)
        if changes.passed_over:
            count = len(changes.passed_over)
            warn(
                f"{settings.changes}: {count} old heading{'s' if count > 1 else ''} or date"
                f"{'s' if count > 1 else ''} not understood, left as they are: "
                + ", ".join(changes.passed_over[:3])
                + (", ..." if count > 3 else "")
            )
        rules = load_rules(settings.config, repo)
        if changes.markdown:
            rules.escape = md_escape
        tags, skipped = release_tags(repo, settings.tag_pattern)
        hint = "" if tags else unmatched_tags_hint(repo, settings.tag_pattern)
        if skipped:
            warn(f"passed over tags that are not PEP 440 versions: {', '.join(skipped)}")
        job = Job(settings, repo, rules, tags)
        if not settings.all:
            job.last = last_reachable(repo, tags)
        if settings.changes_from == "towncrier":
            outcome = fragments_draft(job, changes, lambda _sha: commits_since_last(job))
        else:
            outcome = run_all(job, changes) if settings.all else run_draft(job, changes)
        outcome.before = before
        outcome.message += hint
        if before is None and outcome.after == new_file:
            outcome.after = ""  # nothing to draft: no new file either
            outcome.before = ""
        if outcome.changed:
            validate(outcome, path, settings.changes)
        if settings.dry_run:
            sys.stdout.write(unified_diff(before, outcome.after, settings.changes))
        elif outcome.changed:
            write_atomic(path, outcome.after)
        github_outputs(outcome, settings.changes, settings.dry_run)
        done = "" if outcome.changed else f"; {settings.changes} unchanged"
        prefix = "dry run: " if settings.dry_run and outcome.changed else ""
        print(f"{PROG}: {prefix}{outcome.message}{done}", file=sys.stderr)
        return 0
    except BadInputError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except (FailureError, OSError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except ModuleNotFoundError as missing:  # run without its PEP 723 dependencies
        print(f"{PROG}: error: {missing_dependency(missing)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
