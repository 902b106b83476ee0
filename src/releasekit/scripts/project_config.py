#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = ["tomli>=1.1; python_version < '3.11'"]
# ///
"""Read a project's [tool.releasekit] table: the defaults of the train's Make variables."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from releasekit.rules.cli import PROG, Parser, missing_dependency

EXAMPLE = """\
examples:
  project_config.py show                   # every key, its Make variable and its value
  project_config.py make-include           # write build/releasekit/config.mk, print its path

[tool.releasekit] in pyproject.toml (every key optional):
  base-branch = "main"          tag-pattern = "v*"          changes-file = "CHANGES.rst"
  package-dir = "."             remote = "origin"           dist = "dist"
  docker = "docker"             images-every-build = ["docker.io/owner/name"]
  images-release-only = ["ghcr.io/owner/name"]
  version-source = "bumpver"    (or "tag": the version is the tag, release-tag only tags)
  changes-from = "commits"      (or "towncrier": the notes are the news fragments)
  bin-dir = "bin"               (the folder of the train's bin/ steps)

Sub-tables such as [tool.releasekit.changes] belong to one script and are skipped here.

exit status: 0 ok, 1 failed, 2 bad input (unreadable pyproject.toml, unknown key, bad value)
"""

# Each key of [tool.releasekit] and the Make variable it sets the default of.
KEYS: dict[str, str] = {
    "base-branch": "BASE_BRANCH",
    "remote": "REMOTE",
    "changes-file": "CHANGES",
    "tag-pattern": "TAG_PATTERN",
    "package-dir": "PACKAGE_DIR",
    "dist": "DIST",
    "docker": "DOCKER",
    "base-image": "BASE_IMAGE",
    "platforms": "PLATFORMS",
    "image-local": "IMAGE_LOCAL",
    "images-every-build": "IMAGES_EVERY_BUILD",
    "images-release-only": "IMAGES_RELEASE_ONLY",
    "pypi-repository-url": "PYPI_REPOSITORY_URL",
    "version-source": "VERSION_SOURCE",
    "changes-from": "CHANGES_FROM",
    "bin-dir": "RELEASEKIT_BIN",
}
# Keys whose value may be a list: Make gets the items separated by spaces.
LIST_KEYS = frozenset({"platforms", "images-every-build", "images-release-only"})
# Keys with a closed set of values: a typo stops Make instead of choosing for the maintainer.
CHOICES: dict[str, tuple[str, ...]] = {
    "version-source": ("bumpver", "tag"),
    "changes-from": ("commits", "towncrier"),
}


class BadInputError(Exception):
    """Input the script cannot work with: exit 2 with one line."""


@dataclass(frozen=True)
class Settings:
    command: str
    pyproject: Path
    output: Path


def read_table(pyproject: Path) -> dict[str, str]:
    """[tool.releasekit] as {key: value}, lists joined by spaces; {} without the file or table."""
    if not pyproject.is_file():
        return {}
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10 reads TOML with the tomli backport
        import tomli as tomllib
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise BadInputError(f"cannot read {pyproject}: {error}") from error
    table: Any = data.get("tool", {}).get("releasekit", {})
    if not isinstance(table, dict):
        raise BadInputError(f"{pyproject}: [tool.releasekit] must be a table")
    values: dict[str, str] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            continue  # a sub-table is one script's own settings, e.g. [tool.releasekit.changes]
        if key not in KEYS:
            known = ", ".join(sorted(KEYS))
            raise BadInputError(f"{pyproject}: unknown key tool.releasekit.{key} (known: {known})")
        values[key] = as_text(key, value, pyproject)
    return values


def as_text(key: str, value: object, pyproject: Path) -> str:
    if isinstance(value, list) and key in LIST_KEYS and all(isinstance(v, str) for v in value):
        items = [str(v) for v in value]
    elif isinstance(value, str):
        items = [value]
    else:
        kind = "a string or a list of strings" if key in LIST_KEYS else "a string"
        raise BadInputError(f"{pyproject}: tool.releasekit.{key} must be {kind}")
    if key in CHOICES and value not in CHOICES[key]:
        known = " or ".join(repr(choice) for choice in CHOICES[key])
        raise BadInputError(f"{pyproject}: tool.releasekit.{key} must be {known}, got {value!r}")
    for item in items:
        if not item or any(c.isspace() for c in item) or "#" in item:
            raise BadInputError(
                f"{pyproject}: tool.releasekit.{key} has an empty item, a space or a '#': {item!r}"
            )
    return " ".join(items)


def make_lines(values: dict[str, str]) -> list[str]:
    """`NAME ?= value` lines: defaults only, so the environment and the command line win."""
    return [f"{KEYS[key]} ?= {value.replace('$', '$$')}" for key, value in values.items()]


def write_if_changed(path: Path, text: str) -> None:
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def run(settings: Settings) -> int:
    if settings.command == "show":
        for key, value in read_table(settings.pyproject).items():
            print(f"{key}\t{KEYS[key]}\t{value}")
        return 0
    # make-include: Make reads the file this prints; a bad table stops Make with one line.
    try:
        lines = make_lines(read_table(settings.pyproject))
    except BadInputError as error:
        lines = [f"$(error {PROG}: {str(error).replace('$', '$$')})"]
    if not lines:
        return 0
    header = f"# Written by {PROG} from {settings.pyproject}'s [tool.releasekit]; do not edit.\n"
    write_if_changed(settings.output, header + "\n".join(lines) + "\n")
    print(settings.output)
    return 0


def parse_args(argv: Sequence[str] | None) -> Settings:
    parser = Parser(
        prog=PROG,
        description=__doc__,
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("command", choices=["show", "make-include"])
    parser.add_argument(
        "--pyproject", type=Path, default=Path("pyproject.toml"), help="default: %(default)s"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=Path("build/releasekit/config.mk"),
        help="make-include writes here (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    return Settings(command=args.command, pyproject=args.pyproject, output=args.output)


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_args(argv)
    try:
        return run(settings)
    except BadInputError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    except ModuleNotFoundError as missing:  # run without its PEP 723 dependencies
        print(f"{PROG}: error: {missing_dependency(missing)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
