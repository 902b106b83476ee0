"""The changelog, as projects keep it: reST (CHANGES.rst) or Markdown (CHANGES.md,
CHANGELOG.md); its headings, which of them are releases and the dates they carry, the
sections, and the style a new section is written in."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import NamedTuple

from releasekit.rules.versions import InvalidVersion, Version

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


# ---- headings --------------------------------------------------------------------------------

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


# ---- the dates of Markdown sections: in the title, or on the line below it -------------------

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


# ---- the draft's marker: the last commit a draft covers --------------------------------------

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


# ---- writing a section in the file's own style -----------------------------------------------


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
