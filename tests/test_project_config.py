"""[tool.releasekit] becomes the defaults of the train's Make variables; bad tables stop Make."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT


@dataclass(frozen=True)
class Row:
    name: str
    table: str
    make_args: tuple[str, ...]
    expect_status: int
    expect: str


ROWS = [
    Row("no table: the kit's defaults", "", (), 0, "BASE_BRANCH=main TAG_PATTERN=v*"),
    Row(
        "the table sets defaults",
        '[tool.releasekit]\nbase-branch = "develop"\ntag-pattern = "pkg-v*"\n',
        (),
        0,
        "BASE_BRANCH=develop TAG_PATTERN=pkg-v*",
    ),
    Row(
        "a script's sub-table is skipped",
        '[tool.releasekit]\nbase-branch = "develop"\n[tool.releasekit.changes]\nsections = []\n',
        (),
        0,
        "BASE_BRANCH=develop TAG_PATTERN=v*",
    ),
    Row(
        "the command line wins",
        '[tool.releasekit]\nbase-branch = "develop"\n',
        ("BASE_BRANCH=trunk",),
        0,
        "BASE_BRANCH=trunk TAG_PATTERN=v*",
    ),
    Row(
        "lists are joined by spaces",
        '[tool.releasekit]\nimages-every-build = ["docker.io/a/b", "docker.io/a/c"]\n',
        (),
        0,
        "BASE_BRANCH=main TAG_PATTERN=v* IMAGES_EVERY_BUILD=docker.io/a/b docker.io/a/c",
    ),
    Row(
        "the version source and the bin/ folder",
        '[tool.releasekit]\nversion-source = "tag"\nbin-dir = "releasekit-bin"\n',
        (),
        0,
        "BASE_BRANCH=main TAG_PATTERN=v* VERSION_SOURCE=tag RELEASEKIT_BIN=releasekit-bin",
    ),
    Row(
        "a version source the train does not know stops make with one line",
        '[tool.releasekit]\nversion-source = "git"\n',
        (),
        2,
        "tool.releasekit.version-source must be 'bumpver' or 'tag', got 'git'",
    ),
    Row(
        "an unknown key stops make with one line",
        '[tool.releasekit]\nbase_branch = "x"\n',
        (),
        2,
        "unknown key tool.releasekit.base_branch",
    ),
    Row(
        "a value with a space is refused",
        '[tool.releasekit]\nchanges-file = "MY CHANGES.rst"\n',
        (),
        2,
        "has an empty item, a space",
    ),
]

# The project's own target reads the values through Make: the fragment hands its variables to
# the environment of the train's targets only.
PRINT = (
    "print-config:\n"
    '\t@echo "BASE_BRANCH=$(BASE_BRANCH) TAG_PATTERN=$(TAG_PATTERN)'
    "$(if $(IMAGES_EVERY_BUILD),"
    " IMAGES_EVERY_BUILD=$(IMAGES_EVERY_BUILD))"
    "$(if $(filter-out bumpver,$(VERSION_SOURCE)), VERSION_SOURCE=$(VERSION_SOURCE))"
    "$(if $(filter-out $(RELEASEKIT_DIR)/bin,$(RELEASEKIT_BIN)),"
    ' RELEASEKIT_BIN=$(RELEASEKIT_BIN))"\n'
)


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_tool_releasekit_table(row: Row, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(row.table, encoding="utf-8")
    (tmp_path / "Makefile").write_text(f"include {ROOT}/releasekit.mk\n{PRINT}", encoding="utf-8")
    result = subprocess.run(
        ["make", "--no-print-directory", "print-config", *row.make_args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == row.expect_status, result.stderr
    output = result.stdout if row.expect_status == 0 else result.stderr
    if row.expect_status == 0:
        assert output.strip() == row.expect
    else:
        assert row.expect in output and len(output.strip().splitlines()) == 1, output
