"""Commands a step runs (a container engine, mmdebstrap): their output, or one line."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from releasekit.rules.children import run_child


class FailedError(Exception):
    """A failure reported in one line; status 1 (failed) or 2 (bad input)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def run(command: Sequence[str], what: str) -> str:
    """`command`'s stdout, stripped. When it fails: the end of its output on stderr, then a
    one-line FailedError; a program that is missing is one too, never a traceback. The
    step's SIGINT/SIGTERM reaches the command too (rules/children.py)."""
    try:
        result = run_child(command, what)
    except OSError as error:  # not found, not executable
        raise FailedError(f"{what} failed: {command[0]}: {error.strerror}") from None
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise FailedError(f"{what} failed (exit {result.returncode}); its output is above")
    return result.stdout.strip()
