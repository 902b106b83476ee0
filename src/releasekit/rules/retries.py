"""Retries and one deadline: how long a request waits, when a failure is worth another
attempt (a 5xx or no answer backed off; a rate limit waited out as GitHub advises, which
suits any HTTP service that says retry-after), and --max-wait, the one budget for every
request, time-out and wait of a run. Every wait prints one line."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Mapping
from typing import TypeVar

from releasekit.rules.cli import info

T = TypeVar("T")

MAX_ATTEMPTS = 5
FIRST_BACKOFF = 0.5  # seconds; doubles after each failed attempt


class FatalError(Exception):
    """A failure to report in one line; exit status 1 (or 2 for bad input)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


class TransientError(Exception):
    """A failure worth retrying: 5xx, a dropped connection, a rate limit.

    It keeps what retry_delay() decides the wait from; `status` None: no answer."""

    def __init__(
        self,
        reason: str,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
        message: str = "",
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.headers: Mapping[str, str] = headers or {}
        self.message = message


def retry_delay(
    status: int | None,
    headers: Mapping[str, str],
    message: str,
    attempt: int,
    now: float,
    secondary_wait: float = 60.0,
) -> float | None:
    """Seconds to wait before retrying a failed request, or None when a retry cannot cure it.

    `status` None: no answer (a dropped connection, a time-out); `attempt`: 0 after the first
    failure; `now`: epoch seconds, as x-ratelimit-reset is. GitHub's advice for a 403 or 429:
    wait what retry-after says, else until x-ratelimit-reset when x-ratelimit-remaining is 0,
    else, when the message names a rate limit, at least a minute (`secondary_wait`)."""
    if status is None or status >= 500:
        return FIRST_BACKOFF * 2.0**attempt
    if status not in (403, 429):
        return None
    seen = {name.lower(): value.strip() for name, value in headers.items()}
    if seen.get("retry-after", "").isdigit():
        return float(seen["retry-after"])
    if seen.get("x-ratelimit-remaining") == "0":
        reset = seen.get("x-ratelimit-reset", "")
        return max(float(reset) - now, 1.0) if reset.isdigit() else secondary_wait
    if "rate limit" in message.lower():
        return secondary_wait
    return None


def limit_kind(status: int, headers: Mapping[str, str], message: str = "") -> str:
    """Which of GitHub's rate limits a 403 or 429 is, for its one line. GitHub's docs: a
    secondary limit's message says "secondary rate limit" (and x-ratelimit-remaining may be 0
    with it, when both are hit); otherwise the primary limit is the one whose
    x-ratelimit-remaining is 0 (and no retry-after says otherwise); any other is secondary."""
    seen = {name.lower(): value.strip() for name, value in headers.items()}
    if seen.get("retry-after", "").isdigit():
        return f"secondary rate limit ({status}, retry-after {seen['retry-after']} s)"
    secondary = "secondary rate limit" in message.lower()
    if seen.get("x-ratelimit-remaining") == "0":
        name = "secondary rate limit" if secondary else "primary rate limit"
        return f"{name} ({status}, until its reset)"
    return f"secondary rate limit ({status}, no retry-after)"


class Deadline:
    """--max-wait: one budget for every request, time-out and wait of a run, and the bound
    on attempts. A wait that would pass it is not taken: the run stops with one line."""

    def __init__(
        self,
        seconds: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        secondary_wait: float = 60.0,
    ) -> None:
        self.seconds = seconds
        self.sleep = sleep
        self.clock = clock
        self.secondary_wait = secondary_wait  # a secondary limit that says no retry-after
        self.end = clock() + seconds

    def left(self) -> float:
        return max(self.end - self.clock(), 0.0)

    def timeout(self, wanted: float, what: str) -> float:
        """The time-out of the request `what`: `wanted`, cut to what is left of the budget."""
        left = self.left()
        if left <= 0:
            raise FatalError(f"{what}: --max-wait {self.seconds:g} s spent, try again later")
        return min(wanted, left)

    def wait(self, problem: TransientError, attempt: int) -> None:
        """Sleep before attempt `attempt + 2` as retry_delay() says, printing one line; or
        stop (FatalError: what was last seen, then why) when attempts or time are spent."""
        if attempt + 1 >= MAX_ATTEMPTS:
            raise FatalError(f"{problem.reason}; gave up after {MAX_ATTEMPTS} attempts")
        wait = retry_delay(
            problem.status,
            problem.headers,
            problem.message,
            attempt,
            time.time(),
            self.secondary_wait,
        )
        assert wait is not None, problem  # a TransientError is one retry_delay() retries
        left = self.left()
        if wait >= left:
            raise FatalError(
                f"{problem.reason}; waiting {wait:.1f} s more would pass --max-wait "
                f"{self.seconds:g} s ({left:.1f} s left), try again later"
            )
        info(
            f"{problem.reason}; waiting {wait:.1f} s before attempt "
            f"{attempt + 2} of {MAX_ATTEMPTS} ({left:.1f} s of --max-wait left)"
        )
        self.sleep(wait)

    def retried(self, attempt: Callable[[int], T]) -> T:
        """`attempt(n)` for n = 0, 1, ... until it returns; each TransientError waits first."""
        for n in range(MAX_ATTEMPTS):
            try:
                return attempt(n)
            except TransientError as problem:
                self.wait(problem, n)
        raise AssertionError("unreachable")  # pragma: no cover


def seconds(low: float, high: float) -> Callable[[str], float]:
    """An argparse type: a finite number of seconds in (low, high]."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not low < value <= high:  # also refuses nan and inf
            raise argparse.ArgumentTypeError(
                f"want seconds above {low:g} and at most {high:g}, got {text!r}"
            )
        return value

    parse.__name__ = "seconds"
    return parse


def add_deadline_options(
    parser: argparse.ArgumentParser,
    env: Mapping[str, str],
    timeout: float,
    max_wait: float,
    spent_on: str = "requests, time-outs, retries and rate-limit waits",
) -> None:
    """--timeout (one response) and --max-wait (the whole run: what `spent_on` names)."""
    parser.add_argument(
        "--timeout",
        type=seconds(0, 600),
        default=timeout,
        help="seconds to wait for one HTTP response, at most what is left of --max-wait "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--max-wait",
        type=seconds(0, 3600),
        default=env.get("MAX_WAIT") or f"{max_wait:g}",
        help=f"most seconds the whole command may take: {spent_on} together "
        f"(default: $MAX_WAIT or {max_wait:g})",
    )
