#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = ["docutils>=0.19", "markdown-it-py>=3.0"]
# ///
# Assembled by tools/assemble.py (`make scripts`) from src/releasekit/scripts/changes.py
# and the rule modules it uses: edit those, never this file. Copy this one file to use it
# alone.
"""Read CHANGES.rst (top version, date, notes in reST or Markdown) and check it before a release."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import io
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

if TYPE_CHECKING:
    from docutils import nodes

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


# --- end of releasekit/rules/changelog.py -----------------------------------------------


# --- releasekit/rules/cli.py (assembled; edit the source) -------------------------------------


# The name every line a script prints starts with: the script's own file name (inlined in
# the script, `__file__` is the script; a copy its user renamed speaks with its new name).
# A step that speaks as its make target names itself (`PROG = "release-tag"`).
PROG = Path(__file__).name  # a script may set its own


def fail(message: str, status: int) -> NoReturn:
    """One line on stderr, `PROG: error: message`, then exit with `status` (2: bad input)."""
    print(f"{PROG}: error: {message}", file=sys.stderr)
    sys.exit(status)


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


# --- releasekit/scripts/changes.py: the script's own code -------------------------


EXAMPLE = """\
examples:
  changes.py version                      # 1.3.0
  changes.py notes 1.2.0 --format md      # that release's notes for a GitHub Release
  changes.py --file HISTORY.rst check --tag-pattern 'release-*'

The file follows docs/changes-format.md: a title, then sections headed
'VERSION (DATE)' underlined with '-', newest first. A section dated 'tbd' is a
planning section and is never read as a release; 'unreleased' marks a draft.

exit status: 0 ok, 1 check failed, 2 bad input (unreadable file, no such version, not a git repo)
"""

# The draft's marker line, in either format, however its sha is spelled.
_DRAFT_COMMENT = re.compile(r"\.\.\s+releasekit-draft:|<!--\s*releasekit-draft:")
_SECTION_TITLE = re.compile(r"(?P<version>\S+)\s+\((?P<date>[^()]*)\)")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PLACEHOLDER_WORDS = {"unreleased", "tbd", "tba", "todo", "fixme", "date", "soon", "next", "?"}
# Characters that only make up a template, never a value: YYYY-MM-DD, xx.xx, x.x.x, N.N.N.
_DATE_TEMPLATE = re.compile(r"[\d\s./-]*[ymdx?#][ymdx?#\d\s./-]*")
_VERSION_TEMPLATE = re.compile(r"[\dxyzn*?#]+(\.[\dxyzn*?#]+)*")
# Text a draft is started with and a person is meant to replace before the release.
# Only the placeholders a template would leave: a commit subject may well say "TODO".
_DRAFT_LEFTOVER = re.compile(r"(?<![\w.])(x\.x\.x|X\.Y\.Z|YYYY-MM-DD)(?![\w])")


class BadInputError(Exception):
    """Input the script cannot work with: exit 2 with one line."""


# ---- reading the file ------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """A release section; its body lines are [start, end) of the file's lines. In Markdown
    the date may stand on the line below the heading (`date_line`)."""

    heading: Heading
    start: int
    end: int
    date_line: DateLine | None = None

    @property
    def parsed(self) -> tuple[str, str] | None:
        return heading_parts(self.heading.title)

    @property
    def loose(self) -> re.Match[str] | None:
        """`WORD (WORD)`: enough to say what is wrong with a heading that is not understood."""
        return _SECTION_TITLE.fullmatch(self.heading.title)

    @property
    def version(self) -> str:
        parts, loose = self.parsed, self.loose
        return parts[0] if parts else loose["version"] if loose else self.heading.title

    @property
    def date(self) -> str:
        parts, loose = self.parsed, self.loose
        if parts and not parts[1] and self.date_line is not None:
            return self.date_line.date
        return parts[1] if parts else loose["date"].strip() if loose else ""

    @property
    def planning(self) -> bool:
        """A `tbd` section, or Keep a Changelog's `[Unreleased]`: never read as a release."""
        kac = self.heading.markdown and UNRELEASED_TITLE.fullmatch(self.heading.title)
        return is_planning(self.date) or bool(kac)


@dataclass(frozen=True)
class ChangesFile:
    """The changelog split into lines and version sections."""

    name: str
    text: str
    lines: list[str]
    sections: list[Section]

    @property
    def markdown(self) -> bool:
        return is_markdown(self.name)

    def top_release(self) -> Section:
        for section in self.sections:
            if not section.planning:
                return section
        raise BadInputError(f"{self.name}: no release section, only planning ('tbd') sections")

    def find(self, version: str) -> Section:
        wanted = _normalize(version)
        for section in self.sections:
            if section.version == version or _normalize(section.version) == wanted:
                return section
        known = ", ".join(s.version for s in self.sections) or "none"
        raise BadInputError(f"{self.name}: no section for version {version!r} (found: {known})")

    def body(self, section: Section) -> list[str]:
        """The section's lines without heading, date line and draft marker, blank lines
        trimmed."""
        kept: list[str] = []
        for index in range(section.start, section.end):
            line = self.lines[index]
            if _DRAFT_COMMENT.match(line):
                continue
            if not line.strip() and (not kept or not kept[-1].strip()):
                continue  # no leading blanks, and no double blank where the comment was
            kept.append(line.rstrip())
        while kept and not kept[-1].strip():
            kept.pop()
        return kept


def _normalize(version: str) -> str:
    try:
        return str(Version(version))
    except InvalidVersion:
        return version


def parse_changes(name: str, text: str) -> ChangesFile:
    """Sections are the headings at the level of the first version heading (any adornment,
    any of the styles heading_parts reads); the levels above it end a section too. A heading
    at that level above the first version is a section too (one that is not understood): the
    top release is never silently taken from below it."""
    lines = text.splitlines()
    markdown = is_markdown(name)
    found = layout(lines, markdown)
    if found.first is None:
        example = (
            "'## 1.2.3 - 2025-06-30'" if markdown else "'1.2.3 (2025-06-30)' over a line of '-'"
        )
        raise BadInputError(f"{name}: no release section (a heading such as {example})")
    sections: list[Section] = []
    level = [h for h in found.headings if h.style == found.first.style]
    for heading in found.above:
        end = next((h.first for h in level if h.index > heading.index), len(lines))
        sections.append(Section(heading, heading.body, end))
    for heading, end in found.sections:
        dated = date_line(lines, heading, end) if markdown else None
        parts = heading_parts(heading.title)
        if dated is None or not parts or parts[1]:
            sections.append(Section(heading, heading.body, end))
        else:
            sections.append(Section(heading, dated.index + 1, end, dated))
    return ChangesFile(name=name, text=text, lines=lines, sections=sections)


def _inside_work_tree(path: str) -> None:
    """A file this script reads must be a regular file inside the work tree (or, outside git,
    inside the current directory): never a symlink, never a path resolving elsewhere."""
    where = Path(path)
    folder = where.parent if where.parent.is_dir() else Path.cwd()
    proc = subprocess.run(
        ["git", "-C", str(folder), "rev-parse", "--show-toplevel"],
        capture_output=True,
        text=True,
        check=False,
    )
    top = Path(proc.stdout.strip() if proc.returncode == 0 else Path.cwd()).resolve()
    problem = work_tree_problem(top, where)
    if problem == "is a symlink":
        raise BadInputError(f"{path}: is a symlink; the notes must be a regular file")
    if where.is_dir():
        raise BadInputError(f"{path}: Is a directory; the notes must be a regular file")
    if problem:
        raise BadInputError(f"{path}: {problem}")
    if where.exists() and not where.is_file():
        raise BadInputError(f"{path}: not a regular file")


def read_changes(path: str) -> ChangesFile:
    _inside_work_tree(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BadInputError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_changes(path, text)


# ---- docutils --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    line: int
    message: str


def _doctree(text: str, source: str) -> tuple[nodes.document, list[Problem]]:
    """Parse reST the way docutils' tools do; every message of level warning or above."""
    core = importlib.import_module("docutils.core")
    standalone = importlib.import_module("docutils.readers.standalone")
    messages: list[Problem] = []

    def note(msg: nodes.system_message) -> None:
        if msg["level"] >= 2:
            line = msg.get("line") or 1
            text = msg.children[0].astext() if msg.children else msg.astext()
            messages.append(Problem(int(line), " ".join(text.split())))

    class Reader(standalone.Reader):  # type: ignore[name-defined,misc]
        def new_document(self) -> nodes.document:
            document: nodes.document = super().new_document()
            document.reporter.attach_observer(note)
            return document

    settings = {
        "report_level": 5,  # collected by the observer, not printed
        "halt_level": 5,
        "warning_stream": io.StringIO(),
        "doctitle_xform": False,
        "sectsubtitle_xform": False,
        "docinfo_xform": False,
        "file_insertion_enabled": False,  # a changelog must not read other files
        "raw_enabled": False,
        "_disable_config": True,
    }
    document = core.publish_doctree(
        text, source_path=source, reader=Reader(), settings_overrides=settings
    )
    return document, messages


def _section_node(document: nodes.document, heading: Heading) -> nodes.Element:
    from docutils import nodes

    for section in document.findall(nodes.section):
        title = section.children[0] if section.children else None
        # docutils numbers a title by its underline: the line after the text.
        if isinstance(title, nodes.title) and title.line == heading.line + 1:
            return section
    raise BadInputError(
        f"line {heading.line}: docutils does not read {heading.title!r} as a section title"
    )


# ---- Markdown --------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>])")
_UNKNOWN_ROLE = re.compile(r":[\w.+-]+:`(.*)`", re.DOTALL)


def _md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _code_span(text: str) -> str:
    text = " ".join(text.split("\n"))
    runs = [len(m) for m in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _indent(text: str, prefix: str, first: str | None = None) -> str:
    lines = text.split("\n")
    head = (first if first is not None else prefix) + lines[0]
    rest = [prefix + line if line.strip() else "" for line in lines[1:]]
    return "\n".join([head.rstrip() if not lines[0] else head, *rest])


class MarkdownWriter:
    """Turns a docutils doctree into GitHub-flavoured Markdown, block by block."""

    def __init__(self, root: nodes.Element) -> None:
        from docutils import nodes

        self.nodes = nodes
        self.root = root  # the version section; its sub-headings start at ###

    def render(self) -> str:
        return self.blocks(self.root.children[1:]).rstrip()

    def blocks(self, children: Sequence[nodes.Node]) -> str:
        out: list[str] = []
        for child in children:
            text = self.block(child)
            if not text:
                continue
            # A list right after its item's paragraph stays tight; other blocks get a blank line.
            tight = isinstance(child, (self.nodes.bullet_list, self.nodes.enumerated_list))
            if out:
                out.append("\n" if tight and self._in_list_item(child) else "\n\n")
            out.append(text)
        return "".join(out)

    def _in_list_item(self, node: nodes.Node) -> bool:
        return isinstance(node.parent, self.nodes.list_item)

    def block(self, node: nodes.Node) -> str:
        n = self.nodes
        if isinstance(node, (n.comment, n.target, n.system_message, n.substitution_definition)):
            return ""
        if isinstance(node, n.section):
            return self._section(node)
        if isinstance(node, n.paragraph):
            return self.inline(node.children)
        if isinstance(node, n.bullet_list):
            return "\n".join(self._item(item, "- ") for item in node.children)
        if isinstance(node, n.enumerated_list):
            start = int(node.get("start", 1))
            return "\n".join(
                self._item(item, f"{start + i}. ") for i, item in enumerate(node.children)
            )
        if isinstance(node, n.literal_block):
            return self._fence(node)
        if isinstance(node, n.block_quote):
            return _indent(self.blocks(node.children), "> ").replace("\n\n", "\n>\n")
        if isinstance(node, n.Admonition):
            label = node.tagname.capitalize() if node.tagname != "admonition" else ""
            body = self.blocks(node.children)
            return _indent(f"**{label}**\n\n{body}" if label else body, "> ").replace(
                "\n\n", "\n>\n"
            )
        if isinstance(node, n.definition_list):
            return "\n\n".join(self._definition(item) for item in node.children)
        if isinstance(node, n.transition):
            return "---"
        if isinstance(node, n.TextElement):
            return self.inline(node.children)
        if isinstance(node, n.Element):
            return self.blocks(node.children)
        return _md_escape(node.astext())

    def _section(self, node: nodes.Element) -> str:
        depth, parent = 1, node.parent
        while parent is not None and parent is not self.root:
            depth += isinstance(parent, self.nodes.section)
            parent = parent.parent
        title = self.inline(node.children[0].children) if node.children else ""
        body = self.blocks(node.children[1:])
        heading = "#" * min(6, 2 + depth) + " " + title
        return f"{heading}\n\n{body}" if body else heading

    def _item(self, item: nodes.Node, marker: str) -> str:
        body = self.blocks(item.children) if isinstance(item, self.nodes.Element) else ""
        return _indent(body, " " * len(marker), first=marker)

    def _definition(self, item: nodes.Node) -> str:
        n = self.nodes
        terms: list[str] = []
        body: list[str] = []
        for child in item.children if isinstance(item, n.Element) else []:
            if isinstance(child, n.term):
                terms.append(self.inline(child.children))
            elif isinstance(child, n.definition):
                body.append(self.blocks(child.children))
        return "\n\n".join([f"**{' '.join(terms)}**", *body])

    def _fence(self, node: nodes.Element) -> str:
        text = node.astext()
        classes: list[str] = node.get("classes", [])
        language = next((c for c in classes if c != "code"), "")
        runs = [len(m) for m in re.findall(r"`{3,}", text)]
        fence = "`" * max(3, max(runs, default=0) + 1)
        return f"{fence}{language}\n{text}\n{fence}"

    def inline(self, children: Sequence[nodes.Node]) -> str:
        text = "".join(self._inline(child) for child in children)
        return " ".join(line.strip() for line in text.split("\n"))

    def _inline(self, node: nodes.Node) -> str:
        n = self.nodes
        if isinstance(node, n.Text):
            return _md_escape(node.astext())
        if isinstance(node, n.target):
            return ""
        if isinstance(node, n.literal):
            return _code_span(node.astext())
        if isinstance(node, n.strong):
            return f"**{self.inline(node.children)}**"
        if isinstance(node, (n.emphasis, n.title_reference)):
            return f"*{self.inline(node.children)}*"
        if isinstance(node, n.reference):
            return self._link(node)
        if isinstance(node, n.image):
            return f"![{_md_escape(node.get('alt', ''))}]({node.get('uri', '')})"
        if isinstance(node, n.footnote_reference):
            return f"[{_md_escape(node.astext())}]"
        if isinstance(node, n.problematic):
            # A role docutils does not know (Sphinx's :issue:`42`, :pr:, ...): its text as code.
            role = _UNKNOWN_ROLE.fullmatch(node.astext())
            if role:
                return _code_span(role.group(1))
        if isinstance(node, n.Element):
            return self.inline(node.children)
        return _md_escape(node.astext())

    def _link(self, node: nodes.Element) -> str:
        uri = node.get("refuri")
        label = self.inline(node.children)
        if not uri:
            return label  # an internal link: nothing to point at on a release page
        if node.astext() == uri:
            return f"<{uri}>"
        return f"[{label}]({uri.replace(' ', '%20').replace(')', '%29')})"


def to_markdown(changes: ChangesFile, section: Section) -> str:
    document, _ = _doctree(changes.text, changes.name)
    return MarkdownWriter(_section_node(document, section.heading)).render()


# ---- the release check -----------------------------------------------------------------------


@dataclass(frozen=True)
class Release:
    version: str
    tag: str
    date: str
    prerelease: bool
    previous_tag: str | None


def _git(repo: str, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", "-C", repo, *args], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise BadInputError("git is not installed or not on PATH") from None


def _git_tags(repo: str, pattern: str) -> list[str]:
    result = _git(repo, "tag", "--list", pattern)
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["git tag failed"])[-1]
        raise BadInputError(f"cannot list the tags in {repo}: {reason}")
    return result.stdout.split()


def last_tag(repo: str, pattern: str) -> LastRelease:
    """The last release: the highest version tag in the history of the checkout's HEAD (the
    branch being released); a higher tag elsewhere is said in one warning line."""
    tags = [(t, v) for t in _git_tags(repo, pattern) if (v := version_of_tag(t, pattern))]

    def reachable(tag: str) -> bool:
        return _git(repo, "merge-base", "--is-ancestor", f"refs/tags/{tag}", "HEAD").returncode == 0

    last = last_release(tags, reachable)
    said = last.warning("HEAD")
    if said:
        print(f"{PROG}: warning: {said}", file=sys.stderr)
    return last


def version_problems(section: Section) -> list[str]:
    raw = section.version
    low = raw.lower()
    bare = low[1:] if low.startswith("v") else low
    if low in _PLACEHOLDER_WORDS or (
        _VERSION_TEMPLATE.fullmatch(bare) and re.search(r"[xyzn*?#]", bare)
    ):
        return [f"version {raw!r} is a placeholder; set the version to release"]
    if low.startswith("v"):
        return [f"version {raw!r} starts with 'v'; write the bare PEP 440 version ({raw[1:]})"]
    try:
        version = Version(raw)
    except InvalidVersion:
        return [f"version {raw!r} is not a PEP 440 version (e.g. 1.4.0, 1.4.0rc1, 1.4.0.post1)"]
    if str(version) != raw:
        return [f"version {raw!r} is not in normalized PEP 440 form; write {str(version)!r}"]
    if version.local:
        return [f"version {raw!r} has a local part (+{version.local}), which PyPI refuses"]
    return []


def date_problems(section: Section, today: dt.date) -> list[str]:
    raw = section.date
    low = raw.lower()
    if not raw:
        return ["the heading has no date; add the release date, e.g. '1.4.0 (2026-05-20)'"]
    if low in _PLACEHOLDER_WORDS or _DATE_TEMPLATE.fullmatch(low):
        return [f"date {raw!r} is a placeholder; set the release date (YYYY-MM-DD)"]
    date = heading_date(raw)
    if date is None and (_ISO_DATE.fullmatch(raw) or LONG_DATE.fullmatch(raw)):
        return [f"date {raw!r} is not a real date"]
    if date is None:
        return [f"date {raw!r} is not a date (YYYY-MM-DD or Month D, YYYY)"]
    if date > today:
        return [f"date {raw} is in the future (today is {today.isoformat()})"]
    return []


def body_problems(changes: ChangesFile, section: Section) -> list[Problem]:
    problems: list[Problem] = []
    for index in range(section.start, section.end):
        line = changes.lines[index]
        if _DRAFT_COMMENT.match(line):
            continue
        match = _DRAFT_LEFTOVER.search(line)
        if match:
            problems.append(Problem(index + 1, f"draft placeholder {match[1]!r} left in the notes"))
    return problems


def entry_count(document: nodes.document, section: Section) -> int:
    from docutils import nodes

    try:
        node = _section_node(document, section.heading)
    except BadInputError:
        return 0  # docutils' own message for that line is already among the problems
    return sum(1 for _ in node.findall(nodes.list_item))


def check(changes: ChangesFile, pattern: str, today: dt.date, repo: str) -> list[Problem]:
    section = changes.top_release()
    line = section.heading.line
    problems: list[Problem] = []
    if not section.parsed and not section.loose:
        problems.append(Problem(line, f"heading {section.heading.title!r} is not 'VERSION (DATE)'"))
    else:
        versions = version_problems(section)
        if not versions and not is_releasable(section.version):
            versions = [
                f"version {section.version!r} is not a form release-tag can write "
                "(X.Y.Z, optional aN/bN/rcN, optional .postN)"
            ]
        problems += [Problem(line, message) for message in versions]
        problems += [
            Problem(other.heading.line, f"a second section for version {section.version}")
            for other in changes.sections
            if other is not section and other.parsed and _same(other.version, section.version)
        ]
        if not versions:
            problems += [Problem(line, m) for m in _tag_order(section.version, repo, pattern)]
        problems += [Problem(line, message) for message in date_problems(section, today)]
    problems += body_problems(changes, section)
    if changes.markdown:
        entries = markdown_entries(changes, section)
    else:
        document, messages = _doctree(changes.text, changes.name)
        problems += released_only(changes, section, messages)
        entries = entry_count(document, section)
    if entries == 0:
        problems.append(Problem(line, f"section {section.heading.title!r} has no entries"))
    return sorted(problems, key=lambda p: p.line)


def released_only(changes: ChangesFile, section: Section, messages: list[Problem]) -> list[Problem]:
    """docutils' messages on the section being released (and the lines above the first
    section, which decide the heading levels) block the release; those on older sections were
    there when they were released and are said in one warning line."""
    first = min(s.heading.first for s in changes.sections)
    inside = [
        m for m in messages if m.line <= first + 1 or section.heading.first < m.line <= section.end
    ]
    older = [m for m in messages if m not in inside]
    if older:
        print(
            f"{PROG}: warning: {changes.name}: {len(older)} reST problem"
            f"{'s' if len(older) > 1 else ''} in older sections, left as they are (line "
            f"{older[0].line}: {older[0].message})",
            file=sys.stderr,
        )
    return inside


def markdown_entries(changes: ChangesFile, section: Section) -> int:
    """The list items of a Markdown section, as CommonMark reads them (markdown-it-py)."""
    from markdown_it import MarkdownIt

    text = "\n".join(changes.lines[section.start : section.end])
    return sum(
        1 for token in MarkdownIt("commonmark").parse(text) if token.type == "list_item_open"
    )


def _same(one: str, other: str) -> bool:
    return _normalize(one) == _normalize(other)


def _tag_order(raw: str, repo: str, pattern: str) -> list[str]:
    last = last_tag(repo, pattern)
    tag, version = last.tag, last.version
    if tag is None or version is None or Version(raw) > version:
        return []
    if Version(raw) == version:
        return [f"version {raw} is already released as tag {tag}; start a new section"]
    return [f"version {raw} is not above the last release tag {tag}"]


def release_info(section: Section, repo: str, pattern: str) -> Release:
    return Release(
        version=section.version,
        tag=tag_for(section.version, pattern),
        date=str(heading_date(section.date) or section.date),
        prerelease=Version(section.version).is_prerelease,
        previous_tag=last_tag(repo, pattern).tag,
    )


# ---- GitHub Actions --------------------------------------------------------------------------


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _append(variable: str, text: str) -> None:
    path = os.environ.get(variable)
    if path:
        with Path(path).open("a", encoding="utf-8") as handle:
            handle.write(text)


def report_problems(name: str, problems: list[Problem]) -> None:
    in_actions = os.environ.get("GITHUB_ACTIONS") == "true"
    for problem in problems:
        print(f"{name}:{problem.line}: {problem.message}", file=sys.stderr)
        if in_actions:
            print(
                f"::error file={_escape_property(name)},line={problem.line}::"
                f"{_escape_data(problem.message)}"
            )
    lines = "".join(f"- line {p.line}: {p.message}\n" for p in problems)
    _append("GITHUB_STEP_SUMMARY", f"## {name} is not ready to release\n\n{lines}\n")


def report_release(name: str, release: Release) -> None:
    print(release.version)
    _append(
        "GITHUB_OUTPUT",
        f"version={release.version}\ntag={release.tag}\ndate={release.date}\n"
        f"prerelease={'true' if release.prerelease else 'false'}\n",
    )
    previous = f"`{release.previous_tag}`" if release.previous_tag else "none"
    _append(
        "GITHUB_STEP_SUMMARY",
        f"## {name} is ready to release {release.version}\n\n"
        f"- tag: `{release.tag}`\n- date: {release.date}\n"
        f"- pre-release: {'yes' if release.prerelease else 'no'}\n"
        f"- previous release tag: {previous}\n\n",
    )


# ---- command line ----------------------------------------------------------------------------


def _iso_date(text: str) -> dt.date:
    try:
        if not _ISO_DATE.fullmatch(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def cmd_version(args: argparse.Namespace) -> int:
    section = read_changes(args.file).top_release()
    _require_parsed(section)
    print(section.version)
    return 0


def cmd_date(args: argparse.Namespace) -> int:
    section = read_changes(args.file).top_release()
    _require_parsed(section)
    print(section.date)
    return 0


def _require_parsed(section: Section) -> None:
    where = f"line {section.heading.line}: heading {section.heading.title!r}"
    if not section.parsed:
        raise BadInputError(f"{where} has no PEP 440 version (e.g. '1.4.0 (2026-05-20)')")
    date = section.date
    if date and date.lower() not in _PLACEHOLDER_WORDS and heading_date(date) is None:
        raise BadInputError(f"{where}: date {date!r} is not a real date (YYYY-MM-DD)")


def cmd_notes(args: argparse.Namespace) -> int:
    changes = read_changes(args.file)
    section = changes.find(args.version) if args.version else changes.top_release()
    if changes.markdown:
        text = "\n".join(changes.body(section))  # Markdown already: as the project wrote it
    elif args.format == "md":
        text = to_markdown(changes, section)
    else:
        text = "\n".join(changes.body(section))
    sys.stdout.write(text + "\n" if text else "")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    changes = read_changes(args.file)
    problems = check(changes, args.tag_pattern, args.today, args.repo)
    if problems:
        report_problems(args.file, problems)
        return 1
    report_release(args.file, release_info(changes.top_release(), args.repo, args.tag_pattern))
    return 0


def _add_file_option(parser: argparse.ArgumentParser, default: str | None) -> None:
    parser.add_argument(
        "--file",
        metavar="PATH",
        default=default if default is not None else argparse.SUPPRESS,
        help="the changelog to read (default: $CHANGES, else CHANGES.rst)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG,
        description=__doc__,
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_file_option(parser, os.environ.get("CHANGES") or "CHANGES.rst")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str, summary: str, run: Callable[[argparse.Namespace], int]
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=summary, description=summary)
        _add_file_option(sub, None)
        sub.set_defaults(run=run)
        return sub

    command(
        "version", "Print the version of the top release section (planning skipped).", cmd_version
    )
    command("date", "Print the date of the top release section, as written.", cmd_date)
    notes = command(
        "notes", "Print a section's notes without its heading and draft comment.", cmd_notes
    )
    notes.add_argument("version", nargs="?", help="the section's version (default: the top one)")
    notes.add_argument(
        "--format",
        choices=("rst", "md"),
        default="rst",
        help="rst: the lines as written; md: Markdown for a GitHub Release (default: rst)",
    )
    checker = command(
        "check",
        "Check the top section is ready to release; print its version. In GitHub Actions, "
        "annotate problems and write version/tag/date/prerelease to $GITHUB_OUTPUT.",
        cmd_check,
    )
    checker.add_argument(
        "--tag-pattern",
        metavar="GLOB",
        default=os.environ.get("TAG_PATTERN") or "v*",
        help="release tags to compare with; the version is the tag minus the glob's "
        "literal prefix (default: $TAG_PATTERN, else 'v*')",
    )
    checker.add_argument(
        "--today",
        type=_iso_date,
        metavar="YYYY-MM-DD",
        default=dt.datetime.now(dt.timezone.utc).date(),
        help="the date a release date may not be after (default: today in UTC)",
    )
    checker.add_argument(
        "-C",
        dest="repo",
        metavar="REPO",
        default=".",
        help="the git repository whose tags to compare with (default: the current directory)",
    )
    return parser


def _check_outputs() -> None:
    """GITHUB_OUTPUT and GITHUB_STEP_SUMMARY, when set, must be writable files: checked first."""
    problem = actions_files_problem(os.environ)
    if problem:
        raise BadInputError(problem)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        _check_outputs()
        status: int = args.run(args)
    except BadInputError as exc:
        fail(str(exc), 2)
    except ModuleNotFoundError as missing:  # run without its PEP 723 dependencies
        fail(missing_dependency(missing), 1)
    return status


if __name__ == "__main__":
    sys.exit(main())
