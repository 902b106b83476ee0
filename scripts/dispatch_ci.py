#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = ["requests>=2.28"]
# ///
# Assembled by tools/assemble.py (`make scripts`) from src/releasekit/scripts/dispatch_ci.py
# and the rule modules it uses: edit those, never this file. Copy this one file to use it
# alone.
"""Start ci.yml on a version tag that a push with the job's own GITHUB_TOKEN left idle.

GitHub starts no workflow for events that GITHUB_TOKEN causes, except workflow_dispatch and
repository_dispatch (docs.github.com, "Triggering a workflow from a workflow"). rt.yml pushes
the tag; when it pushed with GITHUB_TOKEN, this asks GitHub for ci.yml's run on the tag
(POST /repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches, `actions: write`).
When the push was made with RELEASE_TOKEN or an App token, the push started ci.yml already
and this says so and does nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, NoReturn, Protocol, TypeVar
from urllib.parse import quote, urlsplit

if TYPE_CHECKING:
    import requests

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


# --- releasekit/rules/endpoints.py (assembled; edit the source) -------------------------------


# GitHub's REST API (https://docs.github.com/en/rest); GitHub Enterprise Server sets
# GITHUB_API_URL to https://HOST/api/v3 in its runners. Release assets go to the release's
# own `upload_url` (uploads.github.com on github.com).
GITHUB_API_URL = "https://api.github.com"


# --- end of releasekit/rules/endpoints.py -----------------------------------------------


# --- releasekit/rules/repository.py (assembled; edit the source) ------------------------------


# GitHub's grammar: an owner is a user or organisation login (letters, digits, single
# hyphens; `_` for managed users), a repository name letters, digits, `.`, `_`, `-`.
OWNER_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_]|-(?=[A-Za-z0-9_])){0,38}")

REPO_NAME_RE = re.compile(r"[A-Za-z0-9._-]{1,100}")

# git's scp-like form, [user@]host:path: a colon before any slash, and no scheme.
SCP_URL_RE = re.compile(r"(?:[^@/\s]+@)?([^@/:\s]+):(?!//)(\S*)")

URL_SCHEMES = ("https", "http", "ssh", "git", "git+ssh", "ssh+git")


def valid_repository(value: str) -> bool:
    owner, slash, name = value.partition("/")
    return bool(
        slash
        and OWNER_RE.fullmatch(owner)
        and REPO_NAME_RE.fullmatch(name)
        and name not in (".", "..")
        and not name.endswith(".git")
    )


def repository_of_url(url: str) -> str | None:
    """OWNER/REPO of a remote's URL on GitHub or any GitHub Enterprise host, as `gh` reads it:
    `git@host:o/r.git`, `https://[user:token@]host/o/r[.git][/]`, `ssh://git@host[:22]/o/r.git`.
    None for anything else: a local path, file://, a path of one or three parts. Only the
    path is read, so credentials in the URL never reach the result."""
    scp = SCP_URL_RE.fullmatch(url.strip())
    if scp:
        path = scp[2]
    else:
        try:
            parts = urlsplit(url.strip())
            host = parts.hostname
        except ValueError:  # e.g. a bad [IPv6] host or port
            return None
        if parts.scheme.lower() not in URL_SCHEMES or not host:
            return None
        path = parts.path
    names = path.strip("/").removesuffix(".git").split("/")
    repository = "/".join(names)
    return repository if len(names) == 2 and valid_repository(repository) else None


# --- end of releasekit/rules/repository.py ----------------------------------------------


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


# --- end of releasekit/rules/retries.py -------------------------------------------------


# --- releasekit/rules/secrets.py (assembled; edit the source) ---------------------------------


MIN_SECRET = 4

# scheme://userinfo@ (RFC 3986): the userinfo never holds `/`, `@` or white space.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")


def without_userinfo(text: str) -> str:
    """`text` with the credentials of every URL in it shown as ***."""
    return _USERINFO.sub(r"\1***@", text)


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


# --- releasekit/rules/github.py (assembled; edit the source) ----------------------------------


PER_PAGE = 100

JSON = dict[str, Any]


def api_message(body: bytes, reason: str) -> str:
    """What a GitHub error answer says: its message, then each error's message (or code); the
    HTTP reason when the body is no JSON (a proxy's HTML page, say)."""
    try:
        payload = json.loads(body)
    except ValueError:
        return reason
    if not isinstance(payload, dict):
        return ""
    errors = payload.get("errors")
    details = [
        str(e.get("message") or e.get("code") or "")
        for e in (errors if isinstance(errors, list) else [])
        if isinstance(e, dict)
    ]
    return "; ".join(m for m in [str(payload.get("message") or ""), *details] if m)


class GitHubSettings(Protocol):
    """What a client needs of a script's settings."""

    @property
    def api_url(self) -> str: ...
    @property
    def repository(self) -> str: ...
    @property
    def token(self) -> str: ...
    @property
    def timeout(self) -> float: ...
    @property
    def max_wait(self) -> float: ...


S = TypeVar("S", bound=GitHubSettings)


def _bare(url: str) -> str:
    """A request's URL as said in a line: no query, no credentials."""
    return without_userinfo(url.split("?", 1)[0])


class Client(Generic[S]):
    """GitHub REST calls with the headers GitHub asks for, bounded by one deadline."""

    def __init__(
        self,
        settings: S,
        deadline: Deadline | None = None,
        *,
        secondary_wait: float = 60.0,
        user_agent: str = "",
    ) -> None:
        import requests

        bad = bad_secret("GITHUB_TOKEN", settings.token)
        if bad:
            raise FatalError(bad, 2)
        self.settings = settings
        self.secondary_wait = secondary_wait
        self.deadline = deadline or Deadline(settings.max_wait, secondary_wait=secondary_wait)
        self.session = requests.Session()
        self.session.headers.update(
            {
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": user_agent or f"releasekit-{Path(PROG).stem.replace('_', '-')}",
                "Authorization": f"Bearer {settings.token}",
            }
        )

    def url(self, path: str) -> str:
        return f"{self.settings.api_url.rstrip('/')}/repos/{self.settings.repository}{path}"

    def send_once(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One request; TransientError for what a retry may cure, FatalError for the rest.

        The request's time-out shrinks to what is left of --max-wait."""
        import requests
        from requests.exceptions import ChunkedEncodingError

        timeout = self.deadline.timeout(self.settings.timeout, f"{method} {_bare(url)}")
        try:
            response = self.session.request(method, url, timeout=timeout, **kwargs)
        except requests.Timeout:
            raise TransientError(
                f"{method} {_bare(url)}: no answer within {timeout:.1f} s"
            ) from None
        except (requests.ConnectionError, ChunkedEncodingError) as exc:
            raise TransientError(
                f"{method} {_bare(url)}: connection failed ({type(exc).__name__})"
            ) from None
        except requests.RequestException as exc:
            raise FatalError(f"{method} {_bare(url)}: {type(exc).__name__}") from None
        check_response(response, self.secondary_wait)
        accept = {**self.session.headers, **kwargs.get("headers", {})}.get("Accept", "")
        if "json" in str(accept):
            check_json(response)
        return response

    def call(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """An idempotent request (GET, PATCH to fixed values, DELETE): retried as is."""
        return self.deadline.retried(lambda _: self.send_once(method, url, **kwargs))

    def pages(self, url: str, params: Mapping[str, str] | None = None) -> Iterator[JSON]:
        """Every item of a listing, following the Link rel="next" URL exactly as given."""
        response = self.call("GET", url, params={"per_page": str(PER_PAGE), **(params or {})})
        while True:
            yield from response.json()
            next_url = response.links.get("next", {}).get("url")
            if not next_url:
                return
            response = self.call("GET", next_url)


def check_response(response: requests.Response, secondary_wait: float = 60.0) -> None:
    """Nothing for a success; TransientError for what a retry may cure; FatalError naming the
    request and what GitHub said for the rest."""
    status = response.status_code
    if status < 400:
        return
    where = f"{response.request.method} {_bare(str(response.url))}"
    if status == 401:
        raise FatalError(f"{where}: 401 bad credentials: check GITHUB_TOKEN")
    headers, message = response.headers, api_message(response.content, response.reason or "")
    delay = retry_delay(status, headers, message, 0, time.time(), secondary_wait)
    if status < 500 and delay is not None:
        kind = limit_kind(status, headers, message)
        raise TransientError(f"{where}: {kind}", status, headers, message)
    if status >= 500:
        raise TransientError(f"{where}: server error {status}", status, headers, message)
    if status == 404:
        raise FatalError(
            f"{where}: 404 not found: check GITHUB_REPOSITORY and that the token may see it"
        )
    raise FatalError(f"{where}: {status} {message}")


def check_json(response: requests.Response) -> None:
    """A success that should be JSON and is not (a captive portal's or a web server's HTML
    page at GITHUB_API_URL): one line, status 2, instead of a decoding traceback later."""
    if response.status_code == 204 or not response.content:
        return
    try:
        json.loads(response.content)
    except ValueError:
        kind = response.headers.get("Content-Type", "no Content-Type").split(";")[0]
        where = f"{response.request.method} {_bare(str(response.url))}"
        raise FatalError(
            f"{where}: answered {response.status_code} with {kind}, not JSON: "
            "check GITHUB_API_URL (GitHub Enterprise: https://HOST/api/v3)",
            2,
        ) from None


def add_repository_options(parser: argparse.ArgumentParser, env: Mapping[str, str]) -> None:
    """--api-url, --repository and --remote, with GitHub Actions' own variables as defaults."""
    parser.add_argument(
        "--api-url",
        default=env.get("GITHUB_API_URL") or GITHUB_API_URL,
        help="REST API root (default: $GITHUB_API_URL or %(default)s)",
    )
    parser.add_argument(
        "--repository",
        default=env.get("GITHUB_REPOSITORY"),
        help="OWNER/REPO (default: $GITHUB_REPOSITORY, else read from the URL of --remote)",
    )
    parser.add_argument(
        "--remote",
        default=env.get("REMOTE") or "origin",
        help="the git remote whose URL names the repository when neither --repository nor "
        "$GITHUB_REPOSITORY does (default: $REMOTE or origin)",
    )


def repository_from_remote(remote: str) -> str:
    """OWNER/REPO read from the remote's URL in this checkout, said in one line (never the
    URL: it may hold a token); FatalError(status 2) when there is none."""
    shown = remote if re.fullmatch(r"[\w.-]+", remote) else repr(remote)
    try:
        done = subprocess.run(
            ["git", "remote", "get-url", "--", remote], capture_output=True, text=True, check=False
        )
    except OSError:  # no git: no remote to read
        done = None
    repository = repository_of_url(done.stdout) if done and done.returncode == 0 else None
    if repository is None:
        raise FatalError(
            "set GITHUB_REPOSITORY or --repository to OWNER/REPO: "
            f"it could not be read from {shown}'s URL",
            2,
        )
    info(f"repository {repository} (from {shown}'s URL)")
    return repository


# --- end of releasekit/rules/github.py --------------------------------------------------


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


# --- releasekit/scripts/dispatch_ci.py: the script's own code ---------------------


# Who pushed the tag, as rt.yml says it (PUSHED_WITH), and whether GitHub starts the tag's
# workflows for that push (the GITHUB_TOKEN rule above).
PUSH_STARTS_WORKFLOWS = {"github-token": False, "release-token": True, "app-token": True}


@dataclass(frozen=True)
class Settings:
    api_url: str
    repository: str
    token: str = field(repr=False)  # never shown, not even in a repr
    workflow: str
    tag: str
    pushed_with: str
    dry_run: bool
    timeout: float
    max_wait: float


def tag_at_head(pattern: str) -> str:
    """The highest version tag at HEAD: the one release-tag just made."""
    tags, _ = checkout_head(pattern)
    versions = [(v, tag) for tag in tags if (v := version_of_tag(tag, pattern)) is not None]
    if not versions:
        raise FatalError(f"no tag matching {pattern} at HEAD: give --tag", 2)
    return max(versions)[1]


def parse_args(argv: Sequence[str] | None, env: Mapping[str, str]) -> Settings:
    try:  # refused before any work: a typo must not decide whether anything is started
        dry_run = yes_no("DRY_RUN", env.get("DRY_RUN"))
    except ValueError as bad:
        raise FatalError(str(bad), 2) from None
    parser = Parser(
        prog=PROG,
        description=(
            "Start WORKFLOW on a version tag when the tag was pushed with GITHUB_TOKEN "
            "(such a push starts no workflow run). Reads GITHUB_API_URL, GITHUB_REPOSITORY, "
            "GITHUB_TOKEN, PUSHED_WITH and TAG_PATTERN; flags override them. The token is "
            "never printed."
        ),
        epilog="exit status: 0 ok (started, or nothing to start), 1 failed, 2 bad input. "
        "In GitHub Actions it writes dispatched=true|false to GITHUB_OUTPUT and one line to "
        "GITHUB_STEP_SUMMARY.",
    )
    add_repository_options(parser, env)
    parser.add_argument(
        "--workflow",
        default=env.get("CI_WORKFLOW") or "ci.yml",
        help="the workflow file to start (default: $CI_WORKFLOW or %(default)s)",
    )
    parser.add_argument(
        "--tag", default=env.get("TAG"), help="the tag (default: $TAG, else the tag at HEAD)"
    )
    parser.add_argument(
        "--pushed-with",
        choices=sorted(PUSH_STARTS_WORKFLOWS),
        default=env.get("PUSHED_WITH") or "github-token",
        help="the token the tag was pushed with (default: $PUSHED_WITH or %(default)s)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        default=dry_run,
        help="start nothing; say what would be started (default: on when $DRY_RUN is yes)",
    )
    add_deadline_options(parser, env, timeout=30.0, max_wait=120)
    args = parser.parse_args(argv)
    if args.pushed_with not in PUSH_STARTS_WORKFLOWS:  # from the environment
        raise FatalError(f"PUSHED_WITH={args.pushed_with!r}: use one of --pushed-with's", 2)
    if not args.workflow or "/" in args.workflow or args.workflow.strip() != args.workflow:
        raise FatalError(
            f"--workflow must be a file name in .github/workflows: {args.workflow!r}", 2
        )
    parts = urlsplit(args.api_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FatalError("--api-url (GITHUB_API_URL) must be an http(s) URL", 2)
    token = env.get("GITHUB_TOKEN", "").strip()
    needs_api = not args.dry_run and not PUSH_STARTS_WORKFLOWS[args.pushed_with]
    if needs_api and not token:
        raise FatalError("GITHUB_TOKEN is not set", 2)
    repository = args.repository or repository_from_remote(args.remote)
    if not valid_repository(repository):
        raise FatalError(f"GITHUB_REPOSITORY must be OWNER/REPO, got {repository!r}", 2)
    pattern = env.get("TAG_PATTERN") or "v*"
    tag = args.tag or tag_at_head(pattern)
    if version_of_tag(tag, pattern) is None:
        raise FatalError(f"{tag!r} is not a version tag under TAG_PATTERN={pattern}", 2)
    return Settings(
        api_url=args.api_url,
        repository=repository,
        token=token,
        workflow=args.workflow,
        tag=tag,
        pushed_with=args.pushed_with,
        dry_run=args.dry_run,
        timeout=args.timeout,
        max_wait=args.max_wait,
    )


def dispatch(settings: Settings) -> bool:
    """Start the workflow on the tag unless the push did; whether this started it."""
    ref = f"refs/tags/{settings.tag}"
    if PUSH_STARTS_WORKFLOWS[settings.pushed_with]:
        info(
            f"{settings.tag} was pushed with the {settings.pushed_with}: that push started "
            f"{settings.workflow}; nothing to dispatch"
        )
        return False
    if settings.dry_run:
        info(f"dry run: would start {settings.workflow} on {ref} (pushed with GITHUB_TOKEN)")
        return False
    client = Client(settings)
    url = client.url(f"/actions/workflows/{quote(settings.workflow, safe='')}/dispatches")
    # Not idempotent, but a second run of ci.yml on the tag publishes nothing twice (every
    # deploy target checks what is already there), so a retry after a lost answer is safe.
    client.call("POST", url, json={"ref": ref})
    info(f"started {settings.workflow} on {ref}: a push with GITHUB_TOKEN starts no workflow")
    return True


def main(argv: Sequence[str] | None = None) -> int:
    env = os.environ
    token = env.get("GITHUB_TOKEN", "").strip()
    try:
        problem = actions_files_problem(env)
        if problem:
            raise FatalError(problem, 2)
        settings = parse_args(argv, env)
        started = dispatch(settings)
        write_outputs({"dispatched": "true" if started else "false", "tag": settings.tag})
        if started:
            write_summary(f"Started `{settings.workflow}` on `{settings.tag}`.\n")
        return 0
    except FatalError as failure:
        fail(redact(str(failure), [token]), failure.status)
    except ModuleNotFoundError as missing:  # run without its PEP 723 dependencies
        fail(missing_dependency(missing), 1)
    except KeyboardInterrupt:
        fail("interrupted", 130)


if __name__ == "__main__":
    sys.exit(main())
