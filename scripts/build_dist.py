#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = [
#   "build>=1.0",
#   "packaging>=23.0",
#   "pypi-simple>=1.5",
#   "requests>=2.28",
#   "twine>=5.0",
#   "tomli>=2.0; python_version<'3.11'",
# ]
# ///
# Assembled by tools/assemble.py (`make scripts`) from src/releasekit/scripts/build_dist.py
# and the rule modules it uses: edit those, never this file. Copy this one file to use it
# alone.
"""Build the sdist and the wheel once, check them, and write SHA256SUMS beside them.

Steps, in order; the first that fails stops the run and leaves DIST as it was:

  0. when DIST holds the files SHA256SUMS lists, built from these very inputs (their
     sha256, recorded beside SHA256SUMS), nothing is built: only step 4 runs on them
  1. build the sdist, then the wheel from that sdist (`python -m build`) into a staging
     folder under build/
  2. exactly one sdist and one wheel, of one version
  3. `twine check --strict` on both
  4. on a release tag (TAG_PATTERN + a version), the tag's version, the [tool.bumpver]
     version and the built files' version must be one version
  5. on a release tag, with PYPI_SIMPLE_URL set (in Actions: or the index of
     PYPI_REPOSITORY_URL): a built file that the index already holds with another sha256 is
     refused (a published dist is final)
  6. SHA256SUMS (`<hex>  <name>`, the sha256sum format) written, then the files replace
     the previous sdist, wheel and SHA256SUMS in DIST, with the inputs' sha256 beside them

The ref comes from GITHUB_REF_TYPE/GITHUB_REF_NAME (or GITHUB_REF) when set, else from
local git (a tag at HEAD).

exit status: 0 built, 1 a check failed (nothing in DIST changed), 2 bad input
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlsplit, urlunsplit

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


# --- end of releasekit/rules/children.py ------------------------------------------------


# --- releasekit/rules/endpoints.py (assembled; edit the source) -------------------------------


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


def version_of_tag(tag: str, pattern: str) -> Version | None:
    """The version a tag names under TAG_PATTERN; None without the prefix or a PEP 440 rest."""
    prefix = pattern.split("*", 1)[0]
    if not tag.startswith(prefix):
        return None
    try:
        return Version(tag[len(prefix) :])
    except InvalidVersion:
        return None


# --- end of releasekit/rules/refs.py ----------------------------------------------------


# --- releasekit/rules/secrets.py (assembled; edit the source) ---------------------------------


# scheme://userinfo@ (RFC 3986): the userinfo never holds `/`, `@` or white space.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")


def without_userinfo(text: str) -> str:
    """`text` with the credentials of every URL in it shown as ***."""
    return _USERINFO.sub(r"\1***@", text)


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


# --- releasekit/scripts/build_dist.py: the script's own code ----------------------


SUMS = "SHA256SUMS"
# Beside SHA256SUMS: the sha256 of the inputs DIST was built from. A dot file, so no deploy
# step publishes it (draft_release.py attaches DIST's other files) and actions/upload-artifact
# leaves it out of the `dist` artifact (include-hidden-files is false by default, v4.4.0+).
INPUTS = ".SHA256SUMS.inputs"


class RefusalError(Exception):
    """A named refusal reported in one line; status 1 (check failed) or 2 (bad input)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Settings:
    root: Path  # the work tree: every path read or written stays inside it
    package_dir: Path
    dist: Path
    tag_pattern: str
    isolation: bool
    env: Mapping[str, str]


@dataclass(frozen=True)
class Built:
    version: str
    sdist: Path
    wheel: Path
    rebuilt: bool = True


# ---- the ref --------------------------------------------------------------------------------


def git(*args: str, cwd: Path) -> str | None:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def release_tag(settings: Settings) -> str | None:
    """The version tag being built, or None when the ref is not a release tag."""
    env = settings.env
    if env.get("GITHUB_REF") or env.get("GITHUB_REF_NAME"):
        ref = env.get("GITHUB_REF", "")
        if ref.startswith("refs/tags/"):
            candidates = [ref.removeprefix("refs/tags/")]
        elif env.get("GITHUB_REF_TYPE") == "tag" and env.get("GITHUB_REF_NAME"):
            candidates = [env["GITHUB_REF_NAME"]]
        else:
            candidates = []
    else:
        candidates = (git("tag", "--points-at", "HEAD", cwd=settings.root) or "").split()
    for tag in sorted(candidates):
        if version_of_tag(tag, settings.tag_pattern) is not None:
            return tag
    return None


# ---- reading and checking -------------------------------------------------------------------


def inside(root: Path, path: Path, what: str) -> Path:
    """`path` resolved; refused when it is a symlink or resolves outside the work tree."""
    problem = work_tree_problem(root, root / path)
    if problem == "is a symlink":
        raise RefusalError(f"{what} {path} is a symlink; use a real folder in the work tree", 2)
    if problem:
        raise RefusalError(f"{what} {path} {problem}", 2)
    return (root / path).resolve()


def load_pyproject(package_dir: Path) -> dict[str, object]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    path = package_dir / "pyproject.toml"
    if path.is_symlink() or not path.is_file():
        raise RefusalError(f"{path}: no pyproject.toml (set PACKAGE_DIR to the package folder)", 2)
    try:
        data: dict[str, object] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise RefusalError(f"{path}: unreadable: {error}", 2) from error
    return data


def bumpver_version(pyproject: Mapping[str, object]) -> str | None:
    tool = pyproject.get("tool")
    bumpver = tool.get("bumpver") if isinstance(tool, dict) else None
    current = bumpver.get("current_version") if isinstance(bumpver, dict) else None
    return current if isinstance(current, str) else None


def same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def built_files(staging: Path) -> Built:
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    sdists = sorted(staging.glob("*.tar.gz"))
    wheels = sorted(staging.glob("*.whl"))
    if len(sdists) != 1 or len(wheels) != 1:
        names = ", ".join(p.name for p in sorted(staging.iterdir())) or "nothing"
        raise RefusalError(f"expected one sdist and one wheel, the build wrote: {names}")
    try:
        sdist_version = str(parse_sdist_filename(sdists[0].name)[1])
        wheel_version = str(parse_wheel_filename(wheels[0].name)[1])
    except (InvalidSdistFilename, InvalidWheelFilename) as error:
        raise RefusalError(f"built files are not named by the packaging rules: {error}") from error
    if sdist_version != wheel_version:
        raise RefusalError(
            f"the sdist is version {sdist_version} but the wheel is version {wheel_version}"
        )
    return Built(version=wheel_version, sdist=sdists[0], wheel=wheels[0])


def check_release_versions(tag: str | None, pattern: str, bumpver: str | None, built: str) -> None:
    """On a release tag, the tag, the bumpver version and the built version are one version."""
    if tag is None:
        return
    tagged = version_of_tag(tag, pattern)
    agree = tagged is not None and same_version(str(tagged), built)
    if bumpver is not None:
        agree = agree and same_version(bumpver, built)
    if not agree:
        raise RefusalError(
            f"version mismatch: tag {tag} names {tagged}, [tool.bumpver] current_version is "
            f"{bumpver or 'not set'}, the built files are version {built}; "
            "nothing was written to the dist folder"
        )


def index_url(env: Mapping[str, str]) -> str | None:
    """The simple index a release goes to: PYPI_SIMPLE_URL when set; in Actions, else the one
    PYPI_REPOSITORY_URL's index serves (releasekit.mk's default is PyPI's). Off Actions
    without PYPI_SIMPLE_URL none is read: a laptop's build works offline."""
    simple = env.get("PYPI_SIMPLE_URL") or ""
    in_actions = env.get("GITHUB_ACTIONS") == "true"
    if not simple and in_actions and env.get("PYPI_REPOSITORY_URL"):
        simple = simple_url_for(env["PYPI_REPOSITORY_URL"])
    if not simple:
        return None
    return simple if simple.endswith("/") else simple + "/"


def check_published(env: Mapping[str, str], tag: str | None, built: Built) -> None:
    """On a release tag, a built file the index holds with other bytes is refused: what was
    published is final, and DIST keeps what the index serves."""
    simple = index_url(env)
    if tag is None or simple is None:
        return
    from packaging.utils import parse_wheel_filename

    project = str(parse_wheel_filename(built.wheel.name)[0])
    auth = None
    if env.get("TWINE_USERNAME") and env.get("TWINE_PASSWORD"):
        auth = (env["TWINE_USERNAME"], env["TWINE_PASSWORD"])
    try:
        published = index_digests(simple, project, auth)
    except IndexReadError as error:
        shown = without_userinfo(str(error))
        raise RefusalError(f"{shown}; cannot check {tag} against what was published") from None
    for path in (built.sdist, built.wheel):
        there = published.get(path.name)
        ours = hashlib.sha256(path.read_bytes()).hexdigest()
        if there is not None and (there[0] or "").lower() != ours:
            raise RefusalError(
                f"{path.name} is published with another sha256 ({(there[0] or 'none')[:12]}..., "
                f"this build {ours[:12]}...): a published dist is final; DIST is unchanged"
            )


def run_step(
    command: Sequence[str], cwd: Path, what: str, env: Mapping[str, str] | None = None
) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise RefusalError(f"{what} failed (exit {result.returncode}); its output is above")


def sha256sums(files: Sequence[Path]) -> str:
    lines = []
    for path in files:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.name}\n")
    return "".join(lines)


def replace_dist(dist: Path, new: Sequence[Path]) -> list[Path]:
    """Put the new files in DIST in place of the previous sdist, wheel and SHA256SUMS."""
    dist.mkdir(parents=True, exist_ok=True)
    for old in [*dist.glob("*.tar.gz"), *dist.glob("*.whl"), dist / SUMS, dist / INPUTS]:
        if old.is_file() or old.is_symlink():
            old.unlink()
    placed = []
    for path in new:
        target = dist / path.name
        shutil.move(str(path), target)
        placed.append(target)
    return placed


def inputs_digest(settings: Settings, package_dir: Path, dist: Path) -> str | None:
    """The sha256 of what a build reads: each file of the package folder that git knows or
    would add (DIST and build/ aside), by name and content, the commit and the tags at it
    (setuptools_scm and hatch-vcs take the version from them) and the isolation setting.
    None outside a git checkout: then every run builds."""
    root = settings.root
    command = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    listed = subprocess.run(
        [*command, "--", str(package_dir)],
        cwd=root,
        capture_output=True,
        check=False,
    )
    head = git("rev-parse", "HEAD", cwd=root)
    if listed.returncode != 0 or head is None:
        return None
    digest = hashlib.sha256()
    outputs = (dist, root / "build")
    for name in sorted({os.fsdecode(n) for n in listed.stdout.split(b"\0") if n}):
        path = root / name
        if any(path == out or out in path.parents for out in outputs):
            continue
        if path.is_symlink():
            content = f"link {path.readlink()}"
        elif path.is_file():
            content = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            content = "missing"
        digest.update(f"{name}\0{content}\n".encode())
    tags = " ".join(sorted((git("tag", "--points-at", "HEAD", cwd=root) or "").split()))
    digest.update(f"HEAD {head}\ntags {tags}\nisolation {settings.isolation}\n".encode())
    return digest.hexdigest()


def unchanged_build(dist: Path, digest: str | None) -> Built | None:
    """DIST's files when they were built from these very inputs and are what SHA256SUMS says."""
    record, sums = dist / INPUTS, dist / SUMS
    if digest is None or not record.is_file() or not sums.is_file():
        return None
    if record.read_text(encoding="utf-8").strip() != digest:
        return None
    listed: dict[str, str] = {}
    for line in sums.read_text(encoding="utf-8").splitlines():
        hexdigest, _, name = line.partition("  ")
        listed[name] = hexdigest
    present = [p for p in dist.iterdir() if p.name.endswith((".tar.gz", ".whl"))]
    if sorted(p.name for p in present) != sorted(listed):
        return None
    for path in present:
        if path.is_symlink() or hashlib.sha256(path.read_bytes()).hexdigest() != listed[path.name]:
            return None
    try:
        found = built_files(dist)
    except RefusalError:
        return None
    return Built(found.version, found.sdist, found.wheel, rebuilt=False)


def report(built: Built, dist: Path, root: Path) -> None:
    write_outputs(
        {
            "version": built.version,
            "sdist": str((dist / built.sdist.name).relative_to(root)),
            "wheel": str((dist / built.wheel.name).relative_to(root)),
        }
    )
    write_summary(
        f"### Built {built.version}\n\n| file | sha256 |\n| --- | --- |\n"
        + "".join(
            f"| `{name}` | `{digest}` |\n"
            for digest, name in (
                line.split("  ", 1)
                for line in (dist / SUMS).read_text(encoding="utf-8").splitlines()
            )
        )
    )


# ---- the core ---------------------------------------------------------------------------------


def build_env(settings: Settings) -> dict[str, str]:
    """The build's environment: SOURCE_DATE_EPOCH is the commit's time unless set, so the
    backends that honour it (setuptools, flit_core, hatchling: file times in the wheel and
    the sdist) write the same bytes for the same commit, whenever it is built."""
    epoch = settings.env.get("SOURCE_DATE_EPOCH") or git(
        "log", "-1", "--format=%ct", cwd=settings.root
    )
    return {**os.environ, **({"SOURCE_DATE_EPOCH": epoch} if epoch else {})}


def build(settings: Settings) -> Built:
    root = settings.root
    package_dir = inside(root, settings.package_dir, "PACKAGE_DIR")
    dist = inside(root, settings.dist, "DIST")
    pyproject = load_pyproject(package_dir)
    problem = actions_files_problem(settings.env)
    if problem:
        raise RefusalError(problem, 2)
    for module in ("build", "twine"):  # run with `python -m` below: a missing one fails first
        if importlib.util.find_spec(module) is None:
            raise ModuleNotFoundError(f"No module named {module!r}", name=module)
    tag = release_tag(settings)
    digest = inputs_digest(settings, package_dir, dist)
    unchanged = unchanged_build(dist, digest)
    if unchanged is not None:
        check_release_versions(
            tag, settings.tag_pattern, bumpver_version(pyproject), unchanged.version
        )
        report(unchanged, dist, root)
        return unchanged
    scratch = inside(root, Path("build"), "the build folder")
    scratch.mkdir(exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="dist-", dir=scratch))
    try:
        command = [sys.executable, "-m", "build", "--outdir", str(staging), str(package_dir)]
        if not settings.isolation:
            command.insert(3, "--no-isolation")
        run_step(command, root, "python -m build", build_env(settings))
        built = built_files(staging)
        run_step(
            [
                sys.executable,
                "-m",
                "twine",
                "check",
                "--strict",
                str(built.sdist),
                str(built.wheel),
            ],
            root,
            "twine check --strict",
        )
        check_release_versions(tag, settings.tag_pattern, bumpver_version(pyproject), built.version)
        check_published(settings.env, tag, built)
        sums = staging / SUMS
        sums.write_text(sha256sums([built.sdist, built.wheel]), encoding="utf-8")
        sdist, wheel, _ = replace_dist(dist, [built.sdist, built.wheel, sums])
        if digest is not None:
            (dist / INPUTS).write_text(digest + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    placed = Built(version=built.version, sdist=sdist, wheel=wheel)
    report(placed, dist, root)
    return placed


# ---- command line -----------------------------------------------------------------------------


def kit_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("releasekit")
    except PackageNotFoundError:
        return "unknown"


def parse_args(argv: Sequence[str] | None, env: Mapping[str, str]) -> argparse.Namespace:
    parser = Parser(
        prog=PROG,
        description=__doc__.split("\n", 1)[0] if __doc__ else None,
        epilog="exit status: 0 built, 1 a check failed (DIST unchanged), 2 bad input",
    )
    try:  # refused before any work
        no_isolation = yes_no("BUILD_NO_ISOLATION", env.get("BUILD_NO_ISOLATION"))
    except ValueError as bad:
        parser.error(str(bad))
    parser.add_argument(
        "--package-dir",
        default=env.get("PACKAGE_DIR") or ".",
        help="the package folder, holding pyproject.toml (default: $PACKAGE_DIR or .)",
    )
    parser.add_argument(
        "--dist", default=env.get("DIST") or "dist", help="output folder (default: $DIST or dist)"
    )
    parser.add_argument(
        "--tag-pattern",
        default=env.get("TAG_PATTERN") or "v*",
        help="release tags: a literal prefix then * (default: $TAG_PATTERN or v*)",
    )
    parser.add_argument(
        "--no-isolation",
        action="store_true",
        default=no_isolation,
        help="build with the installed build backend (default: $BUILD_NO_ISOLATION)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {kit_version()}")
    return parser.parse_args(argv)


def make_settings(args: argparse.Namespace, env: Mapping[str, str]) -> Settings:
    if "*" not in args.tag_pattern:
        raise RefusalError(f"tag pattern {args.tag_pattern!r} has no '*' for the version", 2)
    return Settings(
        root=Path.cwd().resolve(),
        package_dir=Path(args.package_dir),
        dist=Path(args.dist),
        tag_pattern=args.tag_pattern,
        isolation=not args.no_isolation,
        env=env,
    )


def main(argv: Sequence[str] | None = None) -> int:
    env = dict(os.environ)
    args = parse_args(argv, env)
    try:
        built = build(make_settings(args, env))
    except RefusalError as refusal:
        fail(str(refusal), refusal.status)
    except ModuleNotFoundError as missing:  # run without its PEP 723 dependencies
        fail(missing_dependency(missing), 1)
    except KeyboardInterrupt:
        fail("interrupted", 1)
    if not built.rebuilt:
        print(f"{PROG}: {built.version} is built from these very inputs: nothing to build")
        return 0
    print(f"{PROG}: built {built.version}: {built.sdist.name}, {built.wheel.name}, {SUMS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
