#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = ["packaging>=23.0", "pypi-simple>=1.5", "requests>=2.28", "twine>=6.1"]
# ///
# Assembled by tools/assemble.py (`make scripts`) from src/releasekit/scripts/pypi_publish.py
# and the rule modules it uses: edit those, never this file. Copy this one file to use it
# alone.
"""Upload a release's dists to a package index, re-run safe on any index, and verify them."""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

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


def write_summary(markdown: str) -> None:
    """Append `markdown` to $GITHUB_STEP_SUMMARY, when set, in one write."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as out:  # noqa: PTH123
            out.write(markdown)


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


# --- releasekit/rules/endpoints.py (assembled; edit the source) -------------------------------


def is_http_url(url: str) -> bool:
    """An http(s) URL with a host and port that parse (`http://[::1/`, `http://h:abc/` do
    not) and no white space: what a setting naming a service must be, refused up front."""
    try:
        parts = urlsplit(url)
        return (
            parts.scheme in ("http", "https")
            and bool(parts.hostname)
            and parts.port != -1
            and not any(c.isspace() for c in url)
        )
    except ValueError:
        return False


@dataclass(frozen=True)
class Index:
    """A package index PyPI runs: where uploads go (the legacy upload API) and where its
    simple pages are read (PEP 503/691). Trusted publishing and PEP 740 attestations exist
    only here; twine and warehouse ask the upload host for the OIDC audience and the token
    (`https://UPLOAD_HOST/_/oidc/audience`, `/_/oidc/mint-token`)."""

    name: str
    upload_url: str
    simple_url: str

    @property
    def upload_host(self) -> str:
        return self.upload_url.split("/")[2]


PYPI = Index("PyPI", "https://upload.pypi.org/legacy/", "https://pypi.org/simple/")

TESTPYPI = Index("TestPyPI", "https://test.pypi.org/legacy/", "https://test.pypi.org/simple/")

INDEXES = (PYPI, TESTPYPI)


def pypi_index(upload_url: str) -> Index | None:
    """PyPI or TestPyPI when `upload_url` is one of their upload URLs, else None (a private
    index, pypiserver). twine's own test (auth.py is_pypi) is the same prefix match."""
    return next((index for index in INDEXES if upload_url.startswith(index.upload_url)), None)


# --- end of releasekit/rules/endpoints.py -----------------------------------------------


# --- releasekit/rules/index.py (assembled; edit the source) -----------------------------------


INDEX_TIMEOUT = 30.0  # seconds for one answer of the index


def simple_url_for(repository_url: str) -> str:
    """The simple index that serves what `repository_url` receives."""
    known = pypi_index(repository_url)
    if known:
        return known.simple_url
    parts = urlsplit(repository_url)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    path = path[: -len("legacy/")] if path.endswith("/legacy/") else path
    return urlunsplit((parts.scheme, parts.netloc, path + "simple/", "", ""))


class IndexReadError(Exception):
    """The index could not be read; the message is one line."""


class _ElsewhereError(Exception):
    """The index sent the read to another host: it does not hold the project."""


def _stay_on_index(response: Any, *args: object, **kwargs: object) -> Any:
    """Never follow a redirect to another host: pypiserver answers a project it does not hold
    with a redirect to pypi.org (its --fallback-url), and the files there are not this index's."""
    from urllib.parse import urljoin

    location = response.headers.get("Location") if response.is_redirect else None
    if location and urlsplit(urljoin(response.url, location))[:2] != urlsplit(response.url)[:2]:
        raise _ElsewhereError(location)
    return response


def index_digests(
    simple_url: str,
    project: str,
    auth: tuple[str, str] | None = None,
    deadline: Deadline | None = None,
    timeout: float = INDEX_TIMEOUT,
) -> dict[str, tuple[str | None, str]]:
    """{file name: (sha256 or None, url)} of what the index holds for `project` (PEP 503 HTML
    or PEP 691 JSON); empty when it holds nothing. IndexReadError when it cannot be read:
    at once without a `deadline`; with one, after the retries and waits it allows."""
    if deadline is None:
        try:
            return _read(simple_url, project, auth, timeout)
        except TransientError as error:
            raise IndexReadError(error.reason) from None
    where = f"{simple_url}{project}/"

    def attempt(n: int) -> dict[str, tuple[str | None, str]]:
        wait = deadline.timeout(timeout, f"reading {where}")
        with announced(where, deadline):
            return _read(simple_url, project, auth, wait)

    try:
        return deadline.retried(attempt)
    except FatalError as error:
        raise IndexReadError(str(error)) from None


def _read(
    simple_url: str, project: str, auth: tuple[str, str] | None, timeout: float
) -> dict[str, tuple[str | None, str]]:
    """One read of the project page; TransientError for a 5xx or no answer in `timeout`."""
    import requests
    from pypi_simple import NoSuchProjectError, PyPISimple

    session = requests.Session()
    session.headers["User-Agent"] = "releasekit"
    session.hooks["response"].append(_stay_on_index)
    if auth:
        session.auth = auth  # a private index's reads
    where = f"cannot read {simple_url}{project}/"
    try:
        with PyPISimple(simple_url, session=session) as client:
            page = client.get_project_page(project, timeout=timeout)
    except (NoSuchProjectError, _ElsewhereError):
        return {}
    except requests.HTTPError as error:
        status = error.response.status_code if error.response is not None else 0
        if status >= 500:
            raise TransientError(f"{where}: HTTP {status}", status) from None
        raise IndexReadError(f"{where}: HTTP {status or '?'}") from None
    except requests.RequestException as error:
        raise TransientError(f"{where}: {type(error).__name__}") from None
    return {pkg.filename: (pkg.digests.get("sha256"), pkg.url) for pkg in page.packages}


# --- end of releasekit/rules/index.py ---------------------------------------------------


# --- releasekit/rules/manifest.py (assembled; edit the source) --------------------------------


SUMS_NAME = "SHA256SUMS"

DIST_SUFFIXES = (".whl", ".tar.gz", ".zip")

_SUM_LINE = re.compile(r"([0-9a-fA-F]{64}) [ *](.+)")


class ManifestError(Exception):
    """dist/ is not what SHA256SUMS says: one line, exit 2."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_sums(dist: Path) -> dict[str, str]:
    """SHA256SUMS as {file name: hex}; `sha256sum` format, binary marker allowed."""
    path = dist / SUMS_NAME
    if path.is_symlink() or not path.is_file():
        raise ManifestError(f"{path}: missing; 'make build' writes it with the dists")
    sums: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = _SUM_LINE.fullmatch(line.strip())
        if not match:
            if line.strip():
                raise ManifestError(f"{path}:{number}: not '<sha256>  <file>'")
            continue
        name = match.group(2)
        if "/" in name or name.startswith(".") or name == SUMS_NAME:
            raise ManifestError(f"{path}:{number}: {name!r} is not a file name in {dist}")
        sums[name] = match.group(1).lower()
    return sums


def manifest(dist: Path) -> list[Path]:
    """The files to publish: those SHA256SUMS lists, each checked; refuse anything else."""
    if dist.is_symlink() or not dist.is_dir():
        raise ManifestError(f"{dist}: no such folder; run 'make build' first")
    sums = read_sums(dist)
    if not sums:
        raise ManifestError(f"{dist / SUMS_NAME} lists no file; run 'make build'")
    for path in sorted(dist.iterdir()):
        if path.name.endswith(DIST_SUFFIXES) and path.name not in sums:
            raise ManifestError(f"{path} is not listed in {SUMS_NAME}; rebuild dist/")
    files = []
    for name, hexdigest in sorted(sums.items()):
        path = dist / name
        if path.is_symlink() or not path.is_file():
            what = "a symlink" if path.is_symlink() else "no file" if path.exists() else "missing"
            raise ManifestError(f"{path} is listed in {SUMS_NAME} but is {what}")
        if file_sha256(path) != hexdigest:
            raise ManifestError(f"{path} does not match {SUMS_NAME}; rebuild dist/")
        files.append(path)
    return files


# --- end of releasekit/rules/manifest.py ------------------------------------------------


# --- releasekit/rules/versions.py (assembled; edit the source) --------------------------------


# PEP 440's forms in one regular expression, compiled on first use (re caches it): a
# script that reads no version never pays for it.
_VERSION = r"""
    v?
    (?:(?P<epoch>[0-9]+)!)?
    (?P<release>[0-9]+(?:\.[0-9]+)*)
    (?P<pre>[-_.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>[0-9]+)?)?
    (?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?))?
    (?P<dev>[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>[0-9]+)?)?
    (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
"""

_PRE_LETTERS = {"alpha": "a", "a": "a", "beta": "b", "b": "b", "c": "rc", "pre": "rc"}

_PRE_LETTERS |= {"preview": "rc", "rc": "rc"}

_PRE_RANK = {"a": 0, "b": 1, "rc": 2}

MAX_LENGTH = 256


class InvalidVersion(ValueError):  # noqa: N818 - the name packaging gives it
    """The text is not a PEP 440 version."""


class Version:
    """A PEP 440 version: `str()` is the normalised form; compares as packaging's Version."""

    __slots__ = ("dev", "epoch", "local", "post", "pre", "release")

    def __init__(self, text: str) -> None:
        if len(text) > MAX_LENGTH:  # int() refuses 4,300 digits and more: no version is so long
            raise InvalidVersion(f"Invalid version: {text[:20]!r}... ({len(text)} characters)")
        parts = text.split(".")
        if all(part.isascii() and part.isdigit() for part in parts):  # X.Y.Z: no regex needed
            self.epoch, self.release = 0, tuple(int(part) for part in parts)
            self.pre = self.post = self.dev = self.local = None
            return
        match = re.fullmatch(_VERSION, text.strip(), re.VERBOSE | re.IGNORECASE)
        if not match:
            raise InvalidVersion(f"Invalid version: {text!r}")
        pre_l, post_n, local = match["pre_l"], match["post_n1"] or match["post_n2"], match["local"]
        self.epoch = int(match["epoch"] or 0)
        self.release = tuple(int(part) for part in match["release"].split("."))
        self.pre = (_PRE_LETTERS[pre_l.lower()], int(match["pre_n"] or 0)) if pre_l else None
        self.post = int(post_n or 0) if match["post"] else None
        self.dev = int(match["dev_n"] or 0) if match["dev"] else None
        self.local = (
            tuple(int(p) if p.isdigit() else p.lower() for p in re.split(r"[-_.]", local))
            if local
            else None
        )

    def __str__(self) -> str:
        text = self.public
        if self.local:
            text += "+" + ".".join(str(part) for part in self.local)
        return text

    def __repr__(self) -> str:
        return f"<Version({str(self)!r})>"

    @property
    def public(self) -> str:
        text = self.base_version
        if self.pre:
            text += f"{self.pre[0]}{self.pre[1]}"
        if self.post is not None:
            text += f".post{self.post}"
        if self.dev is not None:
            text += f".dev{self.dev}"
        return text

    @property
    def base_version(self) -> str:
        epoch = f"{self.epoch}!" if self.epoch else ""
        return epoch + ".".join(str(part) for part in self.release)

    @property
    def is_prerelease(self) -> bool:
        return self.pre is not None or self.dev is not None

    @property
    def is_devrelease(self) -> bool:
        return self.dev is not None

    @property
    def is_postrelease(self) -> bool:
        return self.post is not None

    @property
    def is_local(self) -> bool:
        return self.local is not None

    @property
    def series(self) -> tuple[int, int, int]:
        """(epoch, X, Y): the `vX.Y` a release belongs to."""
        minor = self.release[1] if len(self.release) > 1 else 0
        return (self.epoch, self.release[0], minor)

    def _key(self) -> tuple[Any, ...]:
        release = list(self.release)
        while len(release) > 1 and release[-1] == 0:
            release.pop()
        if self.pre is None and self.post is None and self.dev is not None:
            pre: tuple[int, int] = (-1, 0)  # 1.0.dev0 sorts before 1.0a0
        elif self.pre is None:
            pre = (3, 0)
        else:
            pre = (_PRE_RANK[self.pre[0]], self.pre[1])
        post = -1 if self.post is None else self.post
        dev = (1, 0) if self.dev is None else (0, self.dev)
        local: tuple[Any, ...] = (0,)
        if self.local is not None:
            parts = [(1, p, "") if isinstance(p, int) else (0, 0, p) for p in self.local]
            local = (1, tuple(parts))
        return (self.epoch, tuple(release), pre, post, dev, local)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __lt__(self, other: Version) -> bool:
        return self._key() < other._key()

    def __le__(self, other: Version) -> bool:
        return self._key() <= other._key()

    def __gt__(self, other: Version) -> bool:
        return self._key() > other._key()

    def __ge__(self, other: Version) -> bool:
        return self._key() >= other._key()


# --- end of releasekit/rules/versions.py ------------------------------------------------


# --- releasekit/rules/refs.py (assembled; edit the source) ------------------------------------


def tag_for(version: str, pattern: str) -> str:
    """The tag for `version` under TAG_PATTERN: the pattern's text before its first `*`, then
    the version's PEP 440 normal form (`v*`, 1.2.3 -> v1.2.3; `pkg-v*` -> pkg-v1.2.3)."""
    return pattern.split("*", 1)[0] + str(Version(version))


def version_of_tag(tag: str, pattern: str) -> Version | None:
    """The version a tag names under TAG_PATTERN; None without the prefix or a PEP 440 rest."""
    prefix = pattern.split("*", 1)[0]
    if not tag.startswith(prefix):
        return None
    try:
        return Version(tag[len(prefix) :])
    except InvalidVersion:
        return None


def ref_kind(ref: str, event_name: str, base_branch: str, pattern: str) -> str:
    """release-tag, base-branch, pull-request or other, for a full git ref."""
    if event_name in ("pull_request", "pull_request_target") or ref.startswith("refs/pull/"):
        return "pull-request"
    if ref.startswith("refs/tags/"):
        name = ref.removeprefix("refs/tags/")
        return "release-tag" if version_of_tag(name, pattern) is not None else "other"
    if ref == f"refs/heads/{base_branch}":
        return "base-branch"
    return "other"


def full_ref(name: str, pattern: str) -> str:
    """A ref given by hand: full refs as they are; a version tag name is a tag; else a branch."""
    if name.startswith("refs/"):
        return name
    if re.fullmatch(r"pr-[0-9]+", name):
        return f"refs/pull/{name[3:]}/merge"
    if version_of_tag(name, pattern) is not None:
        return f"refs/tags/{name}"
    return f"refs/heads/{name}"


def current_ref(
    env: Mapping[str, str], pattern: str, head: Callable[[], tuple[list[str], str]]
) -> str:
    """The full ref being deployed: REF (by hand: it wins), else GITHUB_REF, else
    GITHUB_REF_NAME + GITHUB_REF_TYPE, else the checkout: `head()` gives the tags at HEAD
    and its branch ("" when detached); the highest version tag wins, else the branch."""
    if env.get("REF"):
        return full_ref(env["REF"], pattern)
    if env.get("GITHUB_REF"):
        return env["GITHUB_REF"]
    name, kind = env.get("GITHUB_REF_NAME", ""), env.get("GITHUB_REF_TYPE", "")
    if name and kind in ("tag", "branch"):
        return f"refs/{'tags' if kind == 'tag' else 'heads'}/{name}"
    tags, branch = head()
    versions = [(v, tag) for tag in tags if (v := version_of_tag(tag, pattern)) is not None]
    if versions:
        return f"refs/tags/{max(versions)[1]}"
    return f"refs/heads/{branch}" if branch else "HEAD"


def unmade_tag(env: Mapping[str, str], pattern: str, planning: bool) -> str | None:
    """The one-line refusal for a REF naming a version tag that is not in git, else None.

    Deploy and verify publish or check what a tag released, so it must exist (`REF=v1.3` must
    not publish the 1.3.0 files). A plan may be for a tag not made yet, but only under the
    name the version's tag gets (`v01.3.0.0` is no name `make release-tag` ever makes)."""
    name = env.get("REF", "")
    ref = full_ref(name, pattern) if name else ""
    tag = ref.removeprefix("refs/tags/")
    version = version_of_tag(tag, pattern) if ref.startswith("refs/tags/") else None
    if version is None or git_output(None, "rev-parse", "--verify", "--quiet", ref) is not None:
        return None
    canonical = tag_for(str(version), pattern)
    if planning and tag == canonical:
        return None
    named = f"the tag of {version} is {canonical}" if tag != canonical else "make it first"
    return f"REF={name}: there is no tag {tag} in this repository ({named})"


def release_tag_of(ref: str, pattern: str) -> str | None:
    """The version tag a ref releases, or None: then every deploy target but Docker Hub's
    every-build images skips it (reason: `not a release tag: <ref>`)."""
    kind = ref_kind(ref, os.environ.get("GITHUB_EVENT_NAME", ""), "", pattern)
    return ref.removeprefix("refs/tags/") if kind == "release-tag" else None


def git_output(cwd: Path | None, *args: str) -> str | None:
    """What a read-only git command prints, stripped; None when it fails or git is missing."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def checkout_head(pattern: str, cwd: Path | None = None) -> tuple[list[str], str]:
    """The version-pattern tags at HEAD and the branch checked out ("" when detached)."""
    tags = (git_output(cwd, "tag", "--points-at", "HEAD", "--list", pattern) or "").split()
    return tags, git_output(cwd, "symbolic-ref", "--quiet", "--short", "HEAD") or ""


# --- end of releasekit/rules/refs.py ----------------------------------------------------


# --- releasekit/rules/secrets.py (assembled; edit the source) ---------------------------------


MIN_SECRET = 4

# scheme://userinfo@ (RFC 3986): the userinfo never holds `/`, `@` or white space.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")


def without_userinfo(text: str) -> str:
    """`text` with the credentials of every URL in it shown as ***."""
    return _USERINFO.sub(r"\1***@", text)


def url_secrets(url: str) -> tuple[str, ...]:
    """The password a URL carries, as written and decoded, to redact wherever it shows."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return ()
    return tuple(dict.fromkeys(p for p in (password, unquote(password or "")) if p))


def bad_secret(name: str, value: str | None) -> str | None:
    """The one-line refusal for a secret no service issues, else None: one too short to be
    real, or one with a character outside printable ASCII (a pasted `é` or a line break),
    which an HTTP header cannot carry: the HTTP client would fail on it mid-request."""
    if value and len(value.strip()) < MIN_SECRET:
        return f"{name} is shorter than {MIN_SECRET} characters: that is no real token"
    if value and not all(" " < c < "\x7f" for c in value.strip()):
        return f"{name} holds a character that is not printable ASCII: that is no real token"
    return None


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with URL credentials and every secret of `secrets` shown as ***."""
    text = without_userinfo(text)
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


# --- end of releasekit/rules/secrets.py -------------------------------------------------


# --- releasekit/rules/worktree.py (assembled; edit the source) --------------------------------


def work_tree_problem(top: Path, path: Path) -> str | None:
    """Why a step may not read or write `path` (as open() finds it), or None when it may.

    A symlink could point at a secret; a path resolving outside the work tree `top` (`..`,
    an absolute path, a linked folder) is not the project's. `top` itself is inside."""
    if path.is_symlink():
        return "is a symlink"
    top, resolved = top.resolve(), path.resolve()
    if resolved != top and top not in resolved.parents:
        return f"resolves outside the work tree {top}"
    return None


# --- end of releasekit/rules/worktree.py ------------------------------------------------


# --- releasekit/scripts/pypi_publish.py: the script's own code --------------------


ATTESTATION_SUFFIX = ".publish.attestation"
TIMEOUT = 30.0  # seconds for one answer of the index or of Actions' token service
MAX_WAIT = 900.0  # seconds for the whole command: index reads, token exchange, uploads

EXAMPLES = """\
examples:
  pypi_publish.py publish                        # the tag at HEAD, dist/, PyPI
  pypi_publish.py --repository-url http://127.0.0.1:8080/ publish --dry-run
  pypi_publish.py verify                         # the index's hashes against dist/SHA256SUMS

Credentials: TWINE_PASSWORD (an API token; TWINE_USERNAME defaults to __token__ on PyPI),
else, on PyPI or TestPyPI inside GitHub Actions with `id-token: write`, trusted publishing:
this script exchanges the job's OIDC token for a short-lived upload token, as
pypa/gh-action-pypi-publish does. An empty variable (an unset secret) is not set.
PEP 740 attestations go only with trusted publishing (PyPI refuses them otherwise).

exit status: 0 ok (or nothing to do for this ref), 1 failed or refused, 2 bad input
"""


class RefusalError(Exception):
    """A named reason to stop, printed as one line; `status` is the exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


# ---- settings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    command: str
    dist: Path
    repository_url: str
    simple_url: str
    tag_pattern: str
    ref: str  # the full ref being deployed
    tag: str | None  # the version tag it releases; None: this ref is not for PyPI
    dry_run: bool
    attestations: str  # auto | never | always
    username: str = field(repr=False, default="")  # empty: not set
    password: str = field(repr=False, default="")
    secrets: tuple[str, ...] = field(repr=False, default=())
    timeout: float = TIMEOUT
    deadline: Deadline = field(
        repr=False, compare=False, default_factory=lambda: Deadline(MAX_WAIT)
    )

    @property
    def index(self) -> Index | None:
        """PyPI or TestPyPI, or None for any other index."""
        return pypi_index(self.repository_url)

    @property
    def shown_repository_url(self) -> str:
        return without_userinfo(self.repository_url)

    @property
    def shown_simple_url(self) -> str:
        return without_userinfo(self.simple_url)


@dataclass(frozen=True)
class IndexFile:
    filename: str
    sha256: str | None
    url: str


# ---- the dists -------------------------------------------------------------------------------


def in_work_tree(path: Path) -> Path:
    """`path` when it is inside the work tree (the current folder) and no symlink; else refuse."""
    if work_tree_problem(Path.cwd(), path):
        raise RefusalError(f"{path}: outside the work tree or a symlink; refusing to read it", 2)
    return path


def dist_files(dist: Path) -> list[Path]:
    """The wheels and sdists SHA256SUMS lists, each checked: exactly what is uploaded."""
    try:
        listed = manifest(in_work_tree(dist))
    except ManifestError as error:
        raise RefusalError(str(error), 2) from None
    files = [p for p in listed if p.name.endswith((".whl", ".tar.gz"))]
    if not files:
        raise RefusalError(f"{dist}: no wheel or sdist to upload; run 'make build' first", 2)
    return files


def name_and_version(path: Path) -> tuple[str, Version]:
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    try:
        if path.name.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(path.name)
        else:
            name, version = parse_sdist_filename(path.name)
    except (InvalidWheelFilename, InvalidSdistFilename):
        raise RefusalError(f"{path}: not a wheel or sdist file name", 2) from None
    return str(name), Version(str(version))  # packaging's, read as the kit's


def project_of(files: list[Path], version: Version | None) -> str:
    """The one project the files belong to; refuse files of another version or project."""
    projects = set()
    for path in files:
        name, found = name_and_version(path)
        if version is not None and found != version:
            raise RefusalError(f"{path} is version {found}, not the tag's {version}; rebuild dist/")
        projects.add(name)
    if len(projects) != 1:
        raise RefusalError(
            f"{files[0].parent} holds several projects: {', '.join(sorted(projects))}"
        )
    return projects.pop()


def listed_sums(dist: Path) -> dict[str, str]:
    """SHA256SUMS as {file name: hex}, or its one-line refusal."""
    try:
        return read_sums(in_work_tree(dist))
    except ManifestError as error:
        raise RefusalError(str(error), 2) from None


# ---- the index -------------------------------------------------------------------------------


def index_files(settings: Settings, project: str) -> dict[str, IndexFile]:
    """What the index holds for `project` (PEP 503 HTML or PEP 691 JSON), by file name."""
    auth = None
    if settings.username and settings.password and settings.index is None:
        auth = (settings.username, settings.password)  # a private index's reads
    try:
        held = index_digests(
            settings.simple_url, project, auth, settings.deadline, settings.timeout
        )
    except IndexReadError as error:
        raise RefusalError(without_userinfo(str(error))) from None
    return {name: IndexFile(name, sha256, url) for name, (sha256, url) in held.items()}


@dataclass(frozen=True)
class Plan:
    project: str
    upload: list[Path]
    present: list[Path]


def plan_upload(settings: Settings, files: list[Path], project: str) -> Plan:
    """Which files to upload: the missing ones; refuse a name the index holds with other bytes."""
    on_index = index_files(settings, project)
    upload, present = [], []
    for path in files:
        there = on_index.get(path.name)
        if there is None:
            upload.append(path)
            continue
        if there.sha256 is None:
            raise RefusalError(f"{path.name} is on the index without a sha256; cannot compare it")
        if there.sha256.lower() != file_sha256(path):
            raise RefusalError(
                f"{path.name} is on the index with another sha256 ({there.sha256[:12]}..., "
                f"ours {file_sha256(path)[:12]}...): refusing to publish over it"
            )
        present.append(path)
    return Plan(project, upload, present)


# ---- publishing ------------------------------------------------------------------------------


def oidc_identity() -> bool:
    """True inside GitHub Actions with `id-token: write`: the job can ask for OIDC tokens."""
    return bool(os.environ.get("ACTIONS_ID_TOKEN_REQUEST_URL")) and bool(
        os.environ.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    )


@dataclass(frozen=True)
class Credentials:
    """What twine uploads with, and whether it came from trusted publishing."""

    username: str = field(repr=False)
    password: str = field(repr=False)
    trusted: bool


def credentials(settings: Settings) -> Credentials:
    """An API token (or a private index's user and password) when TWINE_PASSWORD is set;
    else trusted publishing, on PyPI or TestPyPI with an OIDC identity; else one line."""
    index = settings.index
    if settings.password:
        username = settings.username or ("__token__" if index else "")
        if not username:
            raise RefusalError(
                "TWINE_PASSWORD is set but TWINE_USERNAME is not, for "
                f"{settings.shown_repository_url}",
                2,
            )
        return Credentials(username, settings.password, trusted=False)
    if index is None:
        raise RefusalError(
            f"no credentials for {settings.shown_repository_url}: set TWINE_USERNAME and "
            "TWINE_PASSWORD (trusted publishing is PyPI's and TestPyPI's only)",
            2,
        )
    if not oidc_identity():
        raise RefusalError(
            f"no credentials for {index.name}: set TWINE_PASSWORD to an API token, or run in "
            "GitHub Actions with `id-token: write` and a trusted publisher on "
            f"{index.name} (docs/deploy.md)",
            2,
        )
    return Credentials("__token__", trusted_token(settings, index), trusted=True)


def trusted_token(settings: Settings, index: Index) -> str:
    """PyPI trusted publishing, as pypa/gh-action-pypi-publish and twine do it: the index
    names the OIDC audience (`/_/oidc/audience`), the Actions token service gives a token for
    it, and the index mints a short-lived upload token from that (`/_/oidc/mint-token`,
    warehouse's oidc views). A refusal names PyPI's own reasons and what to configure."""
    import requests

    base = f"https://{index.upload_host}/_/oidc"
    what = "trusted publishing's token exchange"

    def timeout() -> float:
        return settings.deadline.timeout(settings.timeout, what)

    try:
        audience = requests.get(f"{base}/audience", timeout=timeout())
        audience.raise_for_status()
        wanted = str(audience.json()["audience"])
        oidc = requests.get(
            os.environ["ACTIONS_ID_TOKEN_REQUEST_URL"],
            params={"audience": wanted},
            headers={"Authorization": f"bearer {os.environ['ACTIONS_ID_TOKEN_REQUEST_TOKEN']}"},
            timeout=timeout(),
        )
        oidc.raise_for_status()
        identity = str(oidc.json()["value"])
        minted = requests.post(f"{base}/mint-token", json={"token": identity}, timeout=timeout())
    except (requests.RequestException, ValueError, KeyError, TypeError) as error:
        raise RefusalError(
            f"trusted publishing failed: {type(error).__name__} asking {index.name} or "
            "Actions for a token"
        ) from None
    try:
        answer = minted.json()
    except ValueError:
        answer = {}
    if minted.ok and isinstance(answer, dict) and answer.get("token"):
        return str(answer["token"])
    reasons = (
        "; ".join(
            str(e.get("description") or e.get("code") or "")
            for e in (answer.get("errors") or [] if isinstance(answer, dict) else [])
            if isinstance(e, dict)
        )
        or f"HTTP {minted.status_code}"
    )
    raise RefusalError(
        f"trusted publishing refused by {index.name}: {reasons}; on {index.name}, add a "
        f"trusted publisher for {publisher_of(identity)}"
    )


def publisher_of(identity: str) -> str:
    """What a trusted publisher on PyPI must name for this job, read from the claims of its
    OIDC token (GitHub's: repository, job_workflow_ref, environment)."""
    import base64
    import json

    try:
        payload = identity.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return "this repository and workflow"
    repository = str(claims.get("repository") or "this repository")
    workflow_ref = str(claims.get("job_workflow_ref") or claims.get("workflow_ref") or "")
    workflow = workflow_ref.split("@", 1)[0].rsplit("/", 1)[-1] or "this workflow"
    environment = str(claims.get("environment") or "")
    owner, _, name = repository.partition("/")
    said = f"owner {owner}, repository {name or repository}, workflow {workflow}"
    return said + (f", environment {environment}" if environment else ", no environment")


def attestation_of(path: Path) -> Path:
    return path.with_name(path.name + ATTESTATION_SUFFIX)


def attest(settings: Settings, files: list[Path], trusted: bool) -> bool:
    """PEP 740 attestations: signed here (sigstore, with the job's OIDC identity) or made
    before. Only with trusted publishing: PyPI refuses them on any other upload
    (warehouse: "Attestations are only supported when using Trusted Publishing"), and so
    does this, on any index, unless --attestations always. False: none are sent."""
    if settings.attestations == "never":
        return False
    if not trusted and settings.attestations != "always":
        print("attestations: skipped (PyPI accepts them only with trusted publishing)")
        return False
    missing = [p for p in files if not attestation_of(p).is_file()]
    if not missing:
        return True
    if not oidc_identity():
        if len(missing) < len(files):
            raise RefusalError(
                f"{missing[0].name} has no {ATTESTATION_SUFFIX} file and the others do"
            )
        print("attestations: skipped (no OIDC identity to sign with)")
        return False
    if settings.dry_run:
        print(f"DRY_RUN: would sign {len(missing)} file(s) with pypi-attestations")
        return True
    command = [sys.executable, "-m", "pypi_attestations", "sign", *map(str, missing)]
    run_quiet(command, settings, "pypi-attestations sign")
    print(f"attestations: signed {len(missing)} file(s)")
    return True


def run_tool(
    command: list[str], settings: Settings, what: str, env: Mapping[str, str] | None = None
) -> tuple[int, str]:
    """Run a tool within --max-wait (a line while it takes long): its status and its output
    with every secret masked."""
    try:
        done = run_child(command, what, settings.deadline, env=env)
    except OSError as error:
        raise RefusalError(f"{what} failed: {command[0]}: {error.strerror}") from None
    return done.returncode, redact(done.stdout + done.stderr, settings.secrets)


def tool_failed(what: str, status: int, output: str) -> RefusalError:
    """Pass a failed tool's output on (never its traceback); the refusal's line is its last."""
    lines = [line for line in output.splitlines() if line.strip()]
    shown = lines[: next((i for i, x in enumerate(lines) if x.startswith("Traceback")), None)]
    sys.stderr.writelines(line + "\n" for line in shown)
    last = lines[-1].strip() if lines else "no output"
    return RefusalError(f"{what} failed (exit {status}): {last}")


def run_quiet(
    command: list[str], settings: Settings, what: str, env: Mapping[str, str] | None = None
) -> str:
    """Run a tool; pass its output on with every secret masked; one line when it fails."""
    status, output = run_tool(command, settings, what, env)
    if status != 0:
        raise tool_failed(what, status, output)
    return output


def upload_missing(
    settings: Settings, twine: list[str], plan: Plan, files: list[Path], env: Mapping[str, str]
) -> list[Path]:
    """twine upload of what the index lacks; the files the last twine run uploaded. Another
    run at once (same dist, same index) makes the index refuse a file it put there first (400
    on pypiserver): the index is read again, a file now there with our sha256 is published,
    one with another sha256 is refused in one line, and what is still missing is uploaded
    again. A failure after which the index holds nothing more is twine's own, said as such."""
    todo = plan.upload
    while todo:
        status, output = run_tool(
            [*twine, *upload_arguments(todo, twine)], settings, "twine upload", env
        )
        if status == 0:
            sys.stdout.write(output)
            return todo
        again = plan_upload(settings, files, plan.project)
        landed = [p for p in todo if p not in again.upload]
        if not landed:
            raise tool_failed("twine upload", status, output)
        for path in landed:
            print(f"present: {path.name} (same sha256, published meanwhile by another run)")
        todo = [p for p in todo if p in again.upload]
    return []


def upload_arguments(todo: list[Path], twine: list[str]) -> list[str]:
    """The files for twine: each dist, then its attestation when they are sent."""
    paths = [str(p) for p in todo]
    if "--attestations" in twine:
        paths += [str(attestation_of(p)) for p in todo]
    return paths


def dry_run_upload(settings: Settings, plan: Plan) -> int:
    """What an upload would do, and how it would sign in; nothing is asked of the index or
    of Actions' token service (a minted token is a credential: none is made)."""
    if settings.password:
        how = "an API token" if settings.index else "TWINE_USERNAME and TWINE_PASSWORD"
    elif settings.index and oidc_identity():
        how = "trusted publishing"
    else:
        credentials(settings)  # the one line that says which credentials are missing
        how = ""
    trusted = how == "trusted publishing"
    if settings.attestations != "never" and not trusted and settings.attestations != "always":
        print("attestations: skipped (PyPI accepts them only with trusted publishing)")
    for path in plan.upload:
        print(f"DRY_RUN: would upload {path.name} to {settings.shown_repository_url} with {how}")
    return 0


def skipped(target: str, settings: Settings) -> int:
    """The one line a target prints for a ref it does not publish."""
    print(f"{target}: skipped (not a release tag: {settings.ref})")
    return 0


def publish(settings: Settings) -> int:
    tag = settings.tag
    if tag is None:
        return skipped("deploy-pypi", settings)
    version = version_of_tag(tag, settings.tag_pattern)
    if version is None:
        raise RefusalError(
            f"tag {tag} is not a version under TAG_PATTERN {settings.tag_pattern}", 2
        )
    check_outputs_writable()
    files = dist_files(settings.dist)
    project = project_of(files, version)
    plan = plan_upload(settings, files, project)
    for path in plan.present:
        print(f"present: {path.name} (same sha256)")
    if not plan.upload:
        print(f"deploy-pypi: {project} {version}: every file is on the index already")
        summarize(settings, project, version, files, [])
        write_outputs({"project": project, "version": str(version), "uploaded": ""})
        return check_index(settings, project, {p.name: file_sha256(p) for p in files})
    if settings.dry_run:
        return dry_run_upload(settings, plan)
    creds = credentials(settings)
    settings = replace(settings, secrets=(*settings.secrets, creds.password))
    with_attestations = attest(settings, plan.upload, creds.trusted)
    command = [
        sys.executable,
        "-m",
        "twine",
        "upload",
        "--non-interactive",
        "--disable-progress-bar",
        "--repository-url",
        settings.repository_url,
    ]
    if with_attestations:
        command.append("--attestations")
    # twine gets the credentials chosen here, and none of the job's own: an empty variable
    # would be a password to twine (and keep it off its trusted-publishing path).
    twine_env = {k: v for k, v in os.environ.items() if not k.startswith("TWINE_")}
    twine_env |= {"TWINE_USERNAME": creds.username, "TWINE_PASSWORD": creds.password}
    how = (
        "trusted publishing"
        if creds.trusted
        else "an API token"
        if settings.index
        else "a password"
    )
    print(
        f"deploy-pypi: uploading {len(plan.upload)} file(s) to "
        f"{settings.shown_repository_url} with {how}"
    )
    sent = upload_missing(settings, command, plan, files, twine_env)
    for path in sent:
        print(f"uploaded: {path.name} sha256:{file_sha256(path)}")
    done = f"uploaded {len(sent)} file(s)" if sent else "already published"
    print(f"deploy-pypi: {project} {version}: {done}")
    summarize(settings, project, version, files, sent)
    uploaded = " ".join(p.name for p in sent)
    write_outputs({"project": project, "version": str(version), "uploaded": uploaded})
    return check_index(settings, project, {p.name: file_sha256(p) for p in files})


def check_outputs_writable() -> None:
    """The Actions files are checked before anything is uploaded, not after."""
    problem = actions_files_problem(os.environ)
    if problem:
        raise RefusalError(problem, 2)


def summarize(
    settings: Settings, project: str, version: Version, files: list[Path], uploaded: list[Path]
) -> None:
    rows = "".join(
        f"| `{p.name}` | `{file_sha256(p)}` | {state} |\n"
        for p in files
        for state in ["uploaded" if p in uploaded else "already there"]
    )
    text = (
        f"### PyPI: {project} {version}\n\n{settings.shown_repository_url} "
        f"(index {settings.shown_simple_url}{project}/)\n\n"
        f"| file | sha256 | |\n| --- | --- | --- |\n{rows}\n"
    )
    write_summary(text)


def plan(settings: Settings) -> int:
    """`make plan`'s row: what deploy-pypi would upload for this ref, without asking the index."""
    tag = settings.tag
    if tag is None:
        row = ("wheel and sdist", f"skip: not a release tag: {settings.ref}")
        print("\t".join(("deploy-pypi", settings.shown_repository_url, *row)))
        return 0
    version = version_of_tag(tag, settings.tag_pattern)
    try:
        files = ", ".join(p.name for p in dist_files(settings.dist))
    except RefusalError as missing:
        files = f"none yet ({missing})"
    print("\t".join(("deploy-pypi", settings.shown_repository_url, files, str(version))))
    return 0


# ---- verifying -------------------------------------------------------------------------------


def verify(settings: Settings) -> int:
    """Every dist named in SHA256SUMS is on the index with that hash; exit 1 naming each miss."""
    if settings.tag is None:
        return skipped("verify-pypi", settings)
    sums = {
        name: hexdigest
        for name, hexdigest in listed_sums(settings.dist).items()
        if name.endswith((".whl", ".tar.gz"))
    }
    if not sums:
        raise RefusalError(f"{settings.dist / SUMS_NAME} names no wheel or sdist", 2)
    project = project_of([settings.dist / name for name in sums], None)
    return check_index(settings, project, sums)


def check_index(settings: Settings, project: str, expected: dict[str, str]) -> int:
    """Exit status 0 when the index serves each file with the expected sha256; name each miss."""
    on_index = index_files(settings, project)
    problems = []
    for name, hexdigest in sorted(expected.items()):
        there = on_index.get(name)
        if there is None:
            problems.append(f"{name}: missing from the index")
        elif (there.sha256 or "").lower() != hexdigest:
            problems.append(f"{name}: the index has sha256 {there.sha256}, we built {hexdigest}")
    for problem in problems:
        print(f"{PROG}: mismatch: {problem}", file=sys.stderr)
    if problems:
        where = settings.shown_simple_url
        raise RefusalError(f"verify-pypi: {len(problems)} mismatch(es) on {where}")
    print(f"verify-pypi: {len(expected)} file(s) on {settings.shown_simple_url}{project}/ match")
    return 0


# ---- command line ----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    env = os.environ
    try:  # refused before any work: a typo must not decide whether anything is uploaded
        dry_run = yes_no("DRY_RUN", env.get("DRY_RUN"))
    except ValueError as bad:
        raise RefusalError(str(bad), 2) from None
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Upload exactly the wheels and sdists in DIST for the version tag being "
            "released; files the index already has with the same sha256 are skipped, "
            "a file it has with another sha256 is refused. 'verify' checks the index "
            "against DIST/SHA256SUMS."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--dist", default=env.get("DIST") or "dist", help="folder of dists (default: $DIST or dist)"
    )
    parser.add_argument(
        "--repository-url",
        default=env.get("PYPI_REPOSITORY_URL") or PYPI.upload_url,
        help="upload URL (default: $PYPI_REPOSITORY_URL or %(default)s)",
    )
    parser.add_argument(
        "--simple-url",
        default=env.get("PYPI_SIMPLE_URL") or None,
        help="the index's simple API root (default: $PYPI_SIMPLE_URL, else derived from "
        "the upload URL: PyPI and TestPyPI by name, '.../legacy/' -> '.../simple/', "
        "else '<url>/simple/')",
    )
    parser.add_argument(
        "--tag-pattern",
        default=env.get("TAG_PATTERN") or "v*",
        help="version tags (default: $TAG_PATTERN or %(default)s)",
    )
    parser.add_argument(
        "--tag",
        help="the version tag to publish (default: from $REF, else $GITHUB_REF, else the "
        "version tag at HEAD)",
    )
    add_deadline_options(
        parser, env, TIMEOUT, MAX_WAIT, "index reads, token exchange, uploads and retries"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    publisher = sub.add_parser("publish", help="upload the files the index does not have")
    publisher.add_argument(
        "--dry-run",
        action="store_true",
        default=dry_run,
        help="read the index, upload nothing, print what would be uploaded "
        "(default: on when $DRY_RUN is 1/true/yes/on)",
    )
    publisher.add_argument(
        "--attestations",
        choices=("auto", "never", "always"),
        default="auto",
        help="auto: PEP 740 attestations with trusted publishing only (PyPI refuses them on a "
        "token upload); always: also with a token, for an index that takes them; never. They "
        "are signed when there is an OIDC identity (GitHub Actions with "
        "id-token: write) or <file>.publish.attestation files exist (default: auto)",
    )
    sub.add_parser("verify", help="check that each file of SHA256SUMS is on the index, same hash")
    sub.add_parser(
        "plan",
        help="print one TAB-separated row for `make plan`: target, destination, files, version "
        "(or 'skip: reason'); reads nothing remote",
    )
    return parser


def settings_from(argv: Sequence[str] | None) -> Settings:
    parser = build_parser()
    parser.error = _bad_usage  # type: ignore[method-assign]
    args = parser.parse_args(argv)
    url = str(args.repository_url)
    if not is_http_url(url):
        raise RefusalError(
            f"--repository-url must be an http(s) URL with a host (PYPI_REPOSITORY_URL), "
            f"got {without_userinfo(url)!r}",
            2,
        )
    simple = str(args.simple_url or simple_url_for(url))
    simple = simple if simple.endswith("/") else simple + "/"
    if not is_http_url(simple):
        raise RefusalError(
            f"--simple-url must be an http(s) URL with a host (PYPI_SIMPLE_URL), "
            f"got {without_userinfo(simple)!r}",
            2,
        )
    if "*" not in args.tag_pattern:
        raise RefusalError(f"--tag-pattern must contain '*', got {args.tag_pattern!r}", 2)
    pattern = str(args.tag_pattern)
    ref = (
        f"refs/tags/{args.tag}"
        if args.tag
        else current_ref(os.environ, pattern, lambda: checkout_head(pattern, Path.cwd()))
    )
    unmade = None if args.tag else unmade_tag(os.environ, pattern, args.command == "plan")
    if unmade:
        raise RefusalError(unmade, 2)
    # Actions passes a secret that is not set as an empty string: empty is "not set".
    username = os.environ.get("TWINE_USERNAME") or ""
    password = os.environ.get("TWINE_PASSWORD") or ""
    bad = bad_secret("TWINE_PASSWORD", password)
    if bad:
        raise RefusalError(bad, 2)
    named = (password, username if len(username) >= MIN_SECRET else "")
    secrets = tuple(v for v in named if v and v != "__token__") + url_secrets(url)
    secrets += url_secrets(simple)
    return Settings(
        command=args.command,
        dist=Path(args.dist),
        repository_url=url,
        simple_url=simple,
        tag_pattern=pattern,
        ref=ref,
        tag=args.tag or release_tag_of(ref, pattern),
        dry_run=bool(getattr(args, "dry_run", False)),
        attestations=str(getattr(args, "attestations", "never")),
        username=username,
        password=password,
        secrets=secrets,
        timeout=float(args.timeout),
        deadline=Deadline(float(args.max_wait)),
    )


def _bad_usage(message: str) -> NoReturn:
    raise RefusalError(message, 2)


def main(argv: Sequence[str] | None = None) -> int:
    secrets = [os.environ.get("TWINE_PASSWORD", "")]
    unwind_on_sigterm()  # twine gets the signal too (run_child), then the one line
    watch_parent()  # make gone, even by SIGKILL: the same unwinding
    try:
        settings = settings_from(argv)
        secrets = list(settings.secrets)
        core = {"publish": publish, "verify": verify, "plan": plan}[settings.command]
        return core(settings)
    except (RefusalError, FatalError) as refusal:
        fail(redact(str(refusal), secrets), refusal.status)
    except ModuleNotFoundError as missing:  # run without its PEP 723 dependencies
        fail(missing_dependency(missing), 1)
    except KeyboardInterrupt:
        fail("interrupted: run it again, it uploads only what the index lacks", 130)
    except TerminatedError:
        fail("terminated: run it again, it uploads only what the index lacks", 143)


if __name__ == "__main__":
    sys.exit(main())
