#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = ["tomli>=1.1; python_version < '3.11'"]
# ///
# Assembled by tools/assemble.py (`make scripts`) from src/releasekit/scripts/project_config.py
# and the rule modules it uses: edit those, never this file. Copy this one file to use it
# alone.
"""Read a project's [tool.releasekit] table: the defaults of the train's Make variables."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

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


# --- releasekit/scripts/project_config.py: the script's own code ------------------


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
