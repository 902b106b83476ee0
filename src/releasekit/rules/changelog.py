"""Changelog headings: which section titles are releases, and the dates they carry."""

from __future__ import annotations

import datetime as dt
import re

from releasekit.rules.versions import InvalidVersion, Version

# A section title: optional NAME word (`pytest-xdist`, `Version`), optional `v`, the version,
# then `(DATE)`, ` - DATE` or nothing.
HEADING_TITLE = re.compile(
    r"(?:(?P<name>[A-Za-z][\w.-]*)\s+)?[vV]?(?P<version>[0-9][\w.+!-]*?)"
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
