"""The command line of a script: its one-line failures, warnings and notes, a parser whose
errors are one line, yes/no settings, and the line for a run without a dependency."""

from __future__ import annotations

import argparse
import re
import signal
import sys
from pathlib import Path
from typing import NoReturn

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


class TerminatedError(Exception):
    """SIGTERM arrived: unwind (each `finally` cleans up; subprocess.run kills its child),
    then exit 143 with one line."""


def _terminated(signum: int, frame: object) -> None:
    raise TerminatedError


def unwind_on_sigterm() -> None:
    """Turn SIGTERM into TerminatedError, as Python turns SIGINT into KeyboardInterrupt."""
    signal.signal(signal.SIGTERM, _terminated)
