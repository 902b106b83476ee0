#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = []
# ///
# Assembled by tools/assemble.py (`make scripts`) from src/releasekit/scripts/base_image.py
# and the rule modules it uses: edit those, never this file. Copy this one file to use it
# alone.
"""Make a Python base image offline from Debian's packages, once per machine.

`mmdebstrap --variant=minbase --include=python3-minimal,python3-venv` writes a root file
system without docs, man pages or locales to a tarball, which `<engine> import` turns
into an image. The tarball is cached under --cache-dir, named by a key over every input
(suite, packages, architecture, options, mmdebstrap's version), written to a temporary
name and renamed into place, with a lock so that concurrent runs build it once. The image
carries the key as a label; an image with the right key is kept as it is.

Prints the image name; writes `image=NAME` to GITHUB_OUTPUT when set.

exit status: 0 ready, 1 mmdebstrap or the engine failed, 2 bad input
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn, TypeVar

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


def output_lines(values: Mapping[str, str]) -> str:
    """GITHUB_OUTPUT lines: `name=value`, a multi-line value in GitHub's `name<<DELIMITER` form.

    The delimiter comes from the value (stable across runs) and never occurs in it."""
    text = ""
    for name, value in values.items():
        if "\n" not in value and "\r" not in value:
            text += f"{name}={value}\n"
            continue
        import hashlib  # here: most steps write no multi-line value

        delimiter = f"RELEASEKIT_{hashlib.sha256(value.encode()).hexdigest()[:16]}"
        while delimiter in value:
            delimiter += "_"
        text += f"{name}<<{delimiter}\n{value}\n{delimiter}\n"
    return text


def write_outputs(values: Mapping[str, str]) -> None:
    """Append `values` to $GITHUB_OUTPUT, when set, in one write (steps run side by side)."""
    path = os.environ.get("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as out:  # noqa: PTH123
            out.write(output_lines(values))


# --- end of releasekit/rules/actions.py -------------------------------------------------


# --- releasekit/rules/cli.py (assembled; edit the source) -------------------------------------


# The name every line a script prints starts with: the script's own file name (inlined in
# the script, `__file__` is the script; a copy its user renamed speaks with its new name).
# A step that speaks as its make target names itself (`PROG = "release-tag"`).
PROG = Path(__file__).name  # a script may set its own


def fail(message: str, status: int) -> NoReturn:
    """One line on stderr, `PROG: error: message`, then exit with `status` (2: bad input)."""
    print(f"{PROG}: error: {message}", file=sys.stderr)
    sys.exit(status)


def info(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr, flush=True)


class Parser(argparse.ArgumentParser):
    """argparse, with a bad command line said in one line (exit 2), not the usage block."""

    def error(self, message: str) -> NoReturn:
        fail(message, 2)


class TerminatedError(Exception):
    """SIGTERM arrived: unwind (each `finally` cleans up; subprocess.run kills its child),
    then exit 143 with one line."""


def _terminated(signum: int, frame: object) -> None:
    raise TerminatedError


def unwind_on_sigterm() -> None:
    """Turn SIGTERM into TerminatedError, as Python turns SIGINT into KeyboardInterrupt."""
    signal.signal(signal.SIGTERM, _terminated)


# --- end of releasekit/rules/cli.py -----------------------------------------------------


# --- releasekit/rules/retries.py (assembled; edit the source) ---------------------------------


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


# --- end of releasekit/rules/retries.py -------------------------------------------------


# --- releasekit/rules/children.py (assembled; edit the source) --------------------------------


ANNOUNCE_AFTER = 10.0  # seconds of waiting before the first line; then one per ANNOUNCE_EVERY

ANNOUNCE_EVERY = 30.0

GRACE = 5.0  # seconds a signalled child has to end before it is killed

PARENT_POLL = 0.5  # seconds between two looks at the parent


def watch_parent(interval: float = PARENT_POLL) -> None:
    """SIGTERM this process when its parent goes away. SIGKILL of make cannot be trapped and
    Linux's PR_SET_PDEATHSIG has no macOS twin, so a thread polls os.getppid() (POSIX, both
    systems): an orphan is re-parented (to 1 or a subreaper), and then unwinds as on SIGTERM."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(interval)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _first_line_after(deadline: Deadline) -> float:
    """The first line comes after ANNOUNCE_AFTER s, sooner under a short --max-wait."""
    return min(ANNOUNCE_AFTER, deadline.seconds / 3)


@contextmanager
def announced(what: str, deadline: Deadline) -> Iterator[None]:
    """While the block runs, one line once it has waited a while on `what`, then one more
    each ANNOUNCE_EVERY s: a long wait is never silent."""
    done = threading.Event()
    start = deadline.clock()

    def speak() -> None:
        pause = _first_line_after(deadline)
        while not done.wait(pause):
            spent, left = deadline.clock() - start, deadline.left()
            info(f"waiting for {what}: {spent:.0f} s so far ({left:.0f} s of --max-wait left)")
            pause = ANNOUNCE_EVERY

    thread = threading.Thread(target=speak, name="announce", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def stop(child: subprocess.Popen[str], sig: int, grace: float = GRACE) -> None:
    """Pass `sig` on to the child, give it `grace` seconds to clean up, then kill it."""
    if child.poll() is not None:
        return
    child.send_signal(sig)
    try:
        child.wait(grace)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def run_child(
    command: Sequence[str],
    what: str,
    deadline: Deadline | None = None,
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `command` to its end within what is left of --max-wait, its output captured; the
    step's SIGINT/SIGTERM is passed on to it, and a child still running at the bound is
    stopped (FatalError). Without a deadline (a build, as long as it takes) it runs to its end
    unannounced. OSError when it cannot start."""
    left = None if deadline is None else deadline.timeout(deadline.seconds, what)
    child = subprocess.Popen(
        command,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=None if env is None else dict(env),
    )
    try:
        with announced(what, deadline) if deadline else nullcontext():
            out, err = child.communicate(stdin, timeout=left)
    except subprocess.TimeoutExpired:  # only with a deadline
        stop(child, signal.SIGTERM)
        assert deadline is not None
        raise FatalError(
            f"{what}: still running at --max-wait {deadline.seconds:g} s; stopped it, run it again"
        ) from None
    except KeyboardInterrupt:
        stop(child, signal.SIGINT)
        raise
    except TerminatedError:
        stop(child, signal.SIGTERM)
        raise
    finally:
        if child.poll() is None:  # any other way out: never leave it behind
            stop(child, signal.SIGTERM)
    return subprocess.CompletedProcess(list(command), child.returncode, out, err)


# --- end of releasekit/rules/children.py ------------------------------------------------


# --- releasekit/rules/commands.py (assembled; edit the source) --------------------------------


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


# --- end of releasekit/rules/commands.py ------------------------------------------------


# --- releasekit/scripts/base_image.py: the script's own code ----------------------


KEY_LABEL = "org.releasekit.base-image.key"
# Everything Python needs at run time stays; what only people read goes.
DPKG_OPTIONS = (
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/locale/*",
    "path-exclude=/usr/share/lintian/*",
)
IMAGE_CHANGES = (
    "ENV LANG=C.UTF-8",
    'CMD ["python3"]',
)


@dataclass(frozen=True)
class Settings:
    engine: str
    name: str
    suite: str
    packages: tuple[str, ...]
    mirror: str
    cache_dir: Path
    env: Mapping[str, str]


def architecture() -> str:
    return run(["dpkg", "--print-architecture"], "dpkg --print-architecture")


def cache_key(settings: Settings, arch: str, mmdebstrap_version: str) -> str:
    """The inputs that decide the tarball's content, hashed."""
    inputs = {
        "suite": settings.suite,
        "packages": sorted(settings.packages),
        "mirror": settings.mirror,
        "arch": arch,
        "dpkg": list(DPKG_OPTIONS),
        "changes": list(IMAGE_CHANGES),
        "mmdebstrap": mmdebstrap_version,
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def rootfs_tarball(settings: Settings, key: str, arch: str) -> Path:
    """The cached tarball for `key`, made with mmdebstrap when it is not there yet."""
    tarball = settings.cache_dir / f"{settings.suite}-{arch}-{key}.tar"
    if tarball.is_file():
        return tarball
    partial = tarball.with_name(f"{tarball.name}.{os.getpid()}.partial")
    command = [
        "mmdebstrap",
        "--quiet",
        "--variant=minbase",
        f"--include={','.join(settings.packages)}",
        f"--architectures={arch}",
        *(f"--dpkgopt={option}" for option in DPKG_OPTIONS),
        "--format=tar",
        settings.suite,
        str(partial),
    ]
    if settings.mirror:
        command.append(settings.mirror)
    try:
        run(command, "mmdebstrap")
        partial.replace(tarball)
    finally:
        partial.unlink(missing_ok=True)
    return tarball


def image_key(settings: Settings) -> str | None:
    result = subprocess.run(
        [settings.engine, "image", "inspect", "--format", "{{json .Config.Labels}}", settings.name],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return None
    labels = json.loads(result.stdout or "null") or {}
    key = labels.get(KEY_LABEL)
    return key if isinstance(key, str) else None


def ensure(settings: Settings) -> str:
    """The base image in the engine's store, made or reused; returns its name."""
    for program, package in (("mmdebstrap", "mmdebstrap"), (settings.engine, settings.engine)):
        if shutil.which(program) is None:
            raise FailedError(f"{program} not found: install the Debian package {package}")
    arch = architecture()
    version = run(["mmdebstrap", "--version"], "mmdebstrap --version")
    key = cache_key(settings, arch, version)
    if image_key(settings) == key:
        return settings.name
    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    with locked(settings.cache_dir / f"{key}.lock"):
        tarball = rootfs_tarball(settings, key, arch)
        if image_key(settings) != key:  # another run may have imported it meanwhile
            changes = [*IMAGE_CHANGES, f"LABEL {KEY_LABEL}={key}"]
            run(
                [
                    settings.engine,
                    "import",
                    *(f"--change={change}" for change in changes),
                    str(tarball),
                    settings.name,
                ],
                f"{settings.engine} import",
            )
    return settings.name


# ---- command line -----------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None, env: Mapping[str, str]) -> argparse.Namespace:
    parser = Parser(
        prog=PROG,
        description=__doc__.split("\n", 1)[0] if __doc__ else None,
        epilog="exit status: 0 ready, 1 mmdebstrap or the engine failed, 2 bad input",
    )
    parser.add_argument(
        "--engine", default=env.get("DOCKER") or "docker", help="docker or podman ($DOCKER)"
    )
    parser.add_argument(
        "--name",
        default=env.get("BASE_IMAGE_LOCAL") or "localhost/releasekit-base:python3",
        help="the image's name ($BASE_IMAGE_LOCAL, default localhost/releasekit-base:python3)",
    )
    parser.add_argument(
        "--suite", default=env.get("BASE_SUITE") or "bookworm", help="Debian suite ($BASE_SUITE)"
    )
    parser.add_argument(
        "--packages",
        default=env.get("BASE_PACKAGES") or "python3-minimal,python3-venv",
        help="comma-separated Debian packages ($BASE_PACKAGES)",
    )
    parser.add_argument(
        "--mirror", default=env.get("BASE_MIRROR") or "", help="Debian mirror ($BASE_MIRROR)"
    )
    parser.add_argument(
        "--cache-dir",
        default=env.get("BASE_IMAGE_CACHE") or ".cache/base-image",
        help="where the root file system tarball is kept ($BASE_IMAGE_CACHE)",
    )
    return parser.parse_args(argv)


def make_settings(args: argparse.Namespace, env: Mapping[str, str]) -> Settings:
    packages = tuple(p.strip() for p in args.packages.split(",") if p.strip())
    if not packages:
        raise FailedError("no Debian packages to include", 2)
    if any(not p.replace("-", "").replace(".", "").replace("+", "").isalnum() for p in packages):
        raise FailedError(f"not a list of Debian package names: {args.packages!r}", 2)
    cache_dir = Path(args.cache_dir)
    if cache_dir.is_symlink():
        raise FailedError(f"cache folder {cache_dir} is a symlink", 2)
    return Settings(
        engine=args.engine,
        name=args.name,
        suite=args.suite,
        packages=packages,
        mirror=args.mirror,
        cache_dir=cache_dir,
        env=env,
    )


def main(argv: Sequence[str] | None = None) -> int:
    env = dict(os.environ)
    args = parse_args(argv, env)
    unwind_on_sigterm()  # the engine or mmdebstrap gets the signal too (rules/children.py)
    watch_parent()  # make gone, even by SIGKILL: the same unwinding
    try:
        settings = make_settings(args, env)
        problem = actions_files_problem(env)
        if problem:
            raise FailedError(problem, 2)
        name = ensure(settings)
    except FailedError as failure:
        fail(str(failure), failure.status)
    except KeyboardInterrupt:
        fail("interrupted; run it again", 130)
    except TerminatedError:
        fail("terminated; run it again", 143)
    write_outputs({"image": name})
    print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
