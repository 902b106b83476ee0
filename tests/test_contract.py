"""One table per shared rule, run over every copy of it: a copy that drifts fails here.

Each copy-alone script keeps its own copy of the rules it needs (same name, same signature).
To register a copy, add the script's path and the rule names it carries to COPIES.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from packaging.version import Version

from tests.conftest import ROOT

# script (relative to the repository root) -> the shared rules it carries
COPIES: dict[str, set[str]] = {
    "scripts/build_dist.py": {"tag_for", "version_of_tag"},
    "scripts/pypi_publish.py": {"tag_for", "version_of_tag"},
    "scripts/draft_release.py": {"tag_for", "version_of_tag"},
    "scripts/changes.py": {
        "tag_for",
        "version_of_tag",
        "is_releasable",
        "heading_parts",
        "heading_date",
    },
    "scripts/make_rc_changes.py": {
        "tag_for",
        "version_of_tag",
        "is_releasable",
        "heading_parts",
        "heading_date",
    },
    "scripts/docker_tags.py": {"tag_for", "version_of_tag"},
    "scripts/release_tag.py": {"tag_for", "version_of_tag", "is_releasable"},
}

# (version, TAG_PATTERN) -> tag
TAG_FOR = [
    ("1.2.3", "v*", "v1.2.3"),
    ("1.2.3", "pkg-v*", "pkg-v1.2.3"),
    ("1.2.3", "*", "1.2.3"),
    ("1.2.3rc1", "v*", "v1.2.3rc1"),
    ("1.2.3-rc.1", "v*", "v1.2.3rc1"),  # the PEP 440 normal form
    ("1.0-beta", "release-*", "release-1.0b0"),
    ("1.2.3.post1", "v*-final", "v1.2.3.post1"),  # the prefix is what comes before `*`
]

# (tag, TAG_PATTERN) -> version, or None
VERSION_OF_TAG = [
    ("v1.2.3", "v*", "1.2.3"),
    ("pkg-v1.1.0", "pkg-v*", "1.1.0"),
    ("8.1.7", "*", "8.1.7"),
    ("8.1.7", "v*", None),  # no prefix
    ("v1.0-beta", "v*", "1.0b0"),  # PEP 440 reads it: a version
    ("vnext", "v*", None),
    ("v", "v*", None),
    ("other-v1.0.0", "pkg-v*", None),
    ("pkg-v2.0.0rc1", "pkg-v*", "2.0.0rc1"),
]

# version -> releasable (proposed by the drafter, accepted by the check, written by bumpver)
IS_RELEASABLE = [
    ("1.2.3", True),
    ("0.1.0", True),
    ("10.20.30", True),
    ("1.2.3a1", True),
    ("1.2.3b2", True),
    ("1.2.3rc1", True),
    ("1.2.3.post1", True),
    ("1.2.3rc1.post2", True),
    ("1.2", False),  # bumpver's MAJOR.MINOR.PATCH needs three parts
    ("1.1", False),
    ("1.0b0", False),
    ("1.2.3.dev1", False),  # the kit's bumpver pattern has no .dev part
    ("1!1.2.3", False),
    ("1.2.3+local", False),
    ("v1.2.3", False),
    ("1.2.3-rc1", False),  # not normalised
    ("01.2.3", False),
    ("1.2.3.4", False),
    ("", False),
]

# section title -> (version, date) or None
HEADING_PARTS = [
    ("1.2.3 (2025-06-30)", ("1.2.3", "2025-06-30")),
    ("pytest-xdist 3.8.0 (2025-06-30)", ("3.8.0", "2025-06-30")),
    ("v1.2.3 (2025-06-30)", ("1.2.3", "2025-06-30")),
    ("1.2.3 - 2025-06-30", ("1.2.3", "2025-06-30")),
    ("Version 1.2.3", ("1.2.3", "")),
    ("1.2.3", ("1.2.3", "")),
    ("1.2.3 (March 8, 2015)", ("1.2.3", "March 8, 2015")),
    ("3.0.0 (tbd)", ("3.0.0", "tbd")),
    ("1.4.0 (unreleased)", ("1.4.0", "unreleased")),
    ("1.0-beta (2011-01-01)", ("1.0-beta", "2011-01-01")),
    ("1.2.3rc1 (2015-03-8)", ("1.2.3rc1", "2015-03-8")),  # read; the date is judged apart
    ("Changelog", None),
    ("Features", None),
    ("Unreleased", None),
    ("x.y.z (tbd)", None),
    ("2 new features", None),
]

# date text -> date or None
HEADING_DATE = [
    ("2025-06-30", dt.date(2025, 6, 30)),
    ("March 8, 2015", dt.date(2015, 3, 8)),
    ("Mar 8, 2015", dt.date(2015, 3, 8)),
    ("September 30, 2020", dt.date(2020, 9, 30)),
    ("2015-03-8", None),
    ("2015-02-30", None),
    ("February 30, 2015", None),
    ("Smarch 8, 2015", None),
    ("tbd", None),
    ("unreleased", None),
    ("", None),
]


@functools.cache
def _load(relpath: str) -> ModuleType:
    path = ROOT / relpath
    name = "contract_" + Path(relpath).stem.replace("-", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader, relpath
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _copies(rule: str) -> list[str]:
    return sorted(path for path, rules in COPIES.items() if rule in rules)


def _rows(rule: str, table: list[tuple[Any, ...]]) -> list[Any]:
    return [
        pytest.param(path, *row, id=f"{Path(path).name}:{'-'.join(map(str, row))}")
        for path in _copies(rule)
        for row in table
    ]


def _rule(path: str, name: str) -> Callable[..., Any]:
    function = getattr(_load(path), name, None)
    assert callable(function), f"{path} has no {name}()"
    return function  # type: ignore[no-any-return]


def test_every_registered_script_exists() -> None:
    missing = [path for path in COPIES if not (ROOT / path).is_file()]
    assert not missing


@pytest.mark.parametrize(("path", "version", "pattern", "tag"), _rows("tag_for", TAG_FOR))
def test_tag_for(path: str, version: str, pattern: str, tag: str) -> None:
    assert _rule(path, "tag_for")(version, pattern) == tag


@pytest.mark.parametrize(
    ("path", "tag", "pattern", "version"), _rows("version_of_tag", VERSION_OF_TAG)
)
def test_version_of_tag(path: str, tag: str, pattern: str, version: str | None) -> None:
    found = _rule(path, "version_of_tag")(tag, pattern)
    # A copy may return its own version type: its str() is the PEP 440 normal form.
    assert (None if found is None else str(found)) == (str(Version(version)) if version else None)


@pytest.mark.parametrize(("path", "version", "releasable"), _rows("is_releasable", IS_RELEASABLE))
def test_is_releasable(path: str, version: str, releasable: bool) -> None:
    assert _rule(path, "is_releasable")(version) is releasable


@pytest.mark.parametrize(("path", "title", "parts"), _rows("heading_parts", HEADING_PARTS))
def test_heading_parts(path: str, title: str, parts: tuple[str, str] | None) -> None:
    assert _rule(path, "heading_parts")(title) == parts


@pytest.mark.parametrize(("path", "text", "date"), _rows("heading_date", HEADING_DATE))
def test_heading_date(path: str, text: str, date: dt.date | None) -> None:
    assert _rule(path, "heading_date")(text) == date
