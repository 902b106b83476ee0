#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = ["requests>=2.28"]
# ///
# Assembled by tools/assemble.py (`make scripts`) from src/releasekit/scripts/draft_release.py
# and the rule modules it uses: edit those, never this file. Copy this one file to use it
# alone.
"""Find or create the draft GitHub Release of a version tag, attach its files, verify them."""

from __future__ import annotations

import argparse
import contextlib
import hashlib
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
from urllib.parse import urlsplit

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


def warn(message: str) -> None:
    print(f"{PROG}: warning: {message}", file=sys.stderr, flush=True)


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


# --- end of releasekit/rules/cli.py -----------------------------------------------------


# --- releasekit/rules/endpoints.py (assembled; edit the source) -------------------------------


# GitHub's REST API (https://docs.github.com/en/rest); GitHub Enterprise Server sets
# GITHUB_API_URL to https://HOST/api/v3 in its runners. Release assets go to the release's
# own `upload_url` (uploads.github.com on github.com).
GITHUB_API_URL = "https://api.github.com"


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


# --- releasekit/scripts/draft_release.py: the script's own code -------------------


if TYPE_CHECKING:  # requests is imported lazily: --help must work without it.
    pass


EXAMPLES = """\
examples:
  draft_release.py version                          # the version of the tag at HEAD, or nothing
  draft_release.py publish --notes build/release-notes.md --dist dist --changes CHANGES.rst
  draft_release.py verify --dist dist --changes CHANGES.rst

Reads GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_TOKEN and the ref (GITHUB_REF, else the
version tag at HEAD). The token is never printed.

exit status: 0 ok (or nothing to do for this ref), 1 failed, 2 bad input
"""


# ---- settings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    command: str
    api_url: str
    repository: str
    token: str = field(repr=False)  # never shown, not even in a repr
    tag_pattern: str = "v*"
    ref: str = "HEAD"  # the full ref being deployed
    tag: str | None = None  # the version tag it releases; None: no release for this ref
    notes: Path | None = None
    assets: tuple[Path, ...] = ()
    update_notes: bool = False
    dry_run: bool = False
    timeout: float = 60.0
    max_wait: float = 300.0


# ---- the release -------------------------------------------------------------


def find_release(client: Client[Settings], tag: str) -> JSON | None:
    """The release of `tag`, drafts included (GET /releases/tags/{tag} never shows drafts)."""
    found = [r for r in client.pages(client.url("/releases")) if r.get("tag_name") == tag]
    if len(found) > 1:
        ids = ", ".join(str(r["id"]) for r in found)
        warn(f"several releases for {tag} ({ids}); using the published one, else the oldest")
    found.sort(key=lambda r: (bool(r.get("draft")), int(r["id"])))
    return found[0] if found else None


def one_release(
    client: Client[Settings], tag: str, ours: JSON, payload: JSON, report: Report
) -> JSON:
    """One release per tag, whatever ran at once: when another run created one too, keep
    the published one, else the oldest; delete the other drafts the kit made (its title and
    body untouched), never one a person edited (one line says so) nor a published one."""
    found = [r for r in client.pages(client.url("/releases")) if r.get("tag_name") == tag]
    found.sort(key=lambda r: (bool(r.get("draft")), int(r["id"])))
    if len(found) < 2:
        return ours
    keep, extras = found[0], found[1:]
    for extra in extras:
        untouched = extra.get("name") == payload["name"] and (extra.get("body") or "") == (
            payload["body"] or ""
        )
        if not extra.get("draft") or not untouched:
            warn(f"release {extra['id']} of {tag} was edited by a person: left alone")
            continue
        try:
            for asset in list_assets(client, extra):
                delete_asset(client, asset)  # the kept release gets every file below
        except FatalError as failure:
            if not gone(failure):
                raise
        with contextlib.suppress(FatalError):  # a run beside this one deleted it already
            client.call("DELETE", client.url(f"/releases/{extra['id']}"))
        report.say(f"deleted the second draft of {tag} (id {extra['id']}); kept id {keep['id']}")
    return keep


def create_draft(client: Client[Settings], payload: JSON) -> JSON:
    """POST a draft release. A POST is retried only once a listing shows it did not land."""

    def attempt(n: int) -> JSON:
        landed = find_release(client, str(payload["tag_name"])) if n else None
        if landed:
            return landed
        return dict(client.send_once("POST", client.url("/releases"), json=payload).json())

    return client.deadline.retried(attempt)


def list_assets(client: Client[Settings], release: JSON) -> list[JSON]:
    return list(client.pages(client.url(f"/releases/{release['id']}/assets")))


def upload_target(release: JSON) -> str:
    """The release's upload URL without its URI template (`...assets{?name,label}`)."""
    return re.sub(r"\{[^}]*\}$", "", str(release["upload_url"]))


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def asset_sha256(client: Client[Settings], asset: JSON) -> str:
    """The asset's sha256: the `digest` GitHub reports, else hashed from its bytes."""
    digest = str(asset.get("digest") or "")
    if digest.startswith("sha256:"):
        return digest[len("sha256:") :]
    return sha256_of(download(client, asset))


def download(client: Client[Settings], asset: JSON) -> bytes:
    response = client.call("GET", str(asset["url"]), headers={"Accept": "application/octet-stream"})
    return bytes(response.content)


def upload(client: Client[Settings], release: JSON, path: Path, data: bytes) -> JSON:
    """Upload one asset; a retry first removes what a failed attempt may have left."""
    target = upload_target(release)
    for attempt in range(MAX_ATTEMPTS):
        try:
            response = client.send_once(
                "POST",
                target,
                params={"name": path.name},
                data=data,
                headers={"Content-Type": "application/octet-stream"},
            )
            return dict(response.json())
        except TransientError as problem:
            client.deadline.wait(problem, attempt)
        except FatalError as failure:
            if "already_exists" not in str(failure) and "already exists" not in str(failure):
                raise
        # The failed attempt may have landed (whole or as a broken "starter" asset).
        there = next((a for a in list_assets(client, release) if a["name"] == path.name), None)
        if there is not None:
            if there.get("state") == "uploaded" and asset_sha256(client, there) == sha256_of(data):
                return there
            delete_asset(client, there)
    raise FatalError(f"upload of {path.name} kept failing; gave up after {MAX_ATTEMPTS} attempts")


def gone(failure: FatalError) -> bool:
    """The API said 404: what was asked for is gone already (a retried DELETE that had
    landed, or a draft a run beside this one deleted)."""
    return ": 404 " in str(failure)


def delete_asset(client: Client[Settings], asset: JSON) -> None:
    """DELETE an asset; gone already is fine too."""
    try:
        client.call("DELETE", client.url(f"/releases/assets/{asset['id']}"))
    except FatalError as failure:
        if not gone(failure):
            raise


# ---- publish -----------------------------------------------------------------


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    assets: list[tuple[str, str, str]] = field(default_factory=list)  # name, sha256, action

    def say(self, text: str) -> None:
        print(text)
        self.lines.append(text)


def resolve_tag(settings: Settings, what: str) -> str | None:
    """The version tag to release; None after `what`'s one skip line (`what` "": silent)."""
    tag = settings.tag
    if tag is None:
        if what:
            print(f"{what}: skipped (not a release tag: {settings.ref})")
        return None
    if version_of_tag(tag, settings.tag_pattern) is None:
        raise FatalError(f"tag {tag} is not a version under TAG_PATTERN {settings.tag_pattern}", 2)
    return tag


def in_work_tree(path: Path) -> Path:
    """`path` when it is inside the work tree (the current folder) and no symlink; else refuse."""
    if work_tree_problem(Path.cwd(), path):
        raise FatalError(f"{path}: outside the work tree or a symlink; refusing to read it", 2)
    return path


def read_assets(settings: Settings) -> list[tuple[Path, bytes]]:
    """The local files to attach, read once, in a stable order."""
    out = []
    for path in settings.assets:
        if not in_work_tree(path).is_file():
            raise FatalError(f"{path}: not a regular file", 2)
        out.append((path, path.read_bytes()))
    names = [stored_name(p.name) for p, _ in out]
    if len(set(names)) != len(names):
        raise FatalError("two assets share a file name (as GitHub stores names)", 2)
    return out


def stored_name(name: str) -> str:
    """An asset's name as GitHub stores it: it renames uploads, every character outside
    A-Z a-z 0-9 . _ + - becoming a dot, and leading and trailing dots dropped
    (`read me.txt` -> `read.me.txt`). Compared so, a re-run finds what it uploaded."""
    return re.sub(r"[^A-Za-z0-9._+-]", ".", name).strip(".")


def publish(settings: Settings) -> int:
    tag = resolve_tag(settings, "deploy-github-release")
    if tag is None:
        return 0
    version = version_of_tag(tag, settings.tag_pattern)
    assert version is not None
    notes = read_notes(settings)
    files = read_assets(settings)
    check_outputs_writable()
    if settings.dry_run and not settings.token:
        print(f"DRY_RUN: no GITHUB_TOKEN to look {tag} up; would create or complete its draft")
        for path, data in files:
            print(f"DRY_RUN: would attach {path.name} sha256:{sha256_of(data)}")
        return 0
    client = Client(settings)
    report = Report()
    release = find_release(client, tag)
    if release is None:
        payload = {
            "tag_name": tag,
            "name": tag,
            "body": notes,
            "draft": True,
            "prerelease": version.is_prerelease,
        }
        if settings.dry_run:
            pre = "yes" if version.is_prerelease else "no"
            report.say(f"DRY_RUN: would create a draft release {tag} (prerelease: {pre})")
            for path, data in files:
                report.say(f"DRY_RUN: would upload {path.name} sha256:{sha256_of(data)}")
            return 0
        release = create_draft(client, payload)
        report.say(f"created draft release {tag} (id {release['id']})")
        release = one_release(client, tag, release, payload, report)
    else:
        state = "draft" if release.get("draft") else "published"
        report.say(f"found {state} release {tag} (id {release['id']})")
        release = one_release(client, tag, release, {"name": tag, "body": notes}, report)
        keep_or_update_notes(client, settings, release, notes, tag, report)
    sync_assets(client, settings, release, files, report)
    if settings.dry_run:
        return 0
    write_outputs({"release-id": str(release["id"]), "release-url": str(release["html_url"])})
    summarize(release, tag, report)
    print(f"deploy-github-release: {tag}: {release['html_url']}")
    return check_assets(client, release, files)


def read_notes(settings: Settings) -> str:
    if settings.notes is None:
        return ""
    path = in_work_tree(settings.notes)
    if not path.is_file():
        raise FatalError(f"{path}: no such notes file", 2)
    return path.read_text(encoding="utf-8").strip() + "\n"


def keep_or_update_notes(
    client: Client[Settings],
    settings: Settings,
    release: JSON,
    notes: str,
    tag: str,
    report: Report,
) -> None:
    """A person's edits to title and body stay, unless --update-notes asks otherwise."""
    same = (release.get("body") or "").strip() == notes.strip() and release.get("name") == tag
    if same:
        return
    if not settings.update_notes:
        report.say("notes: kept the release's title and body (--update-notes replaces them)")
        return
    if settings.dry_run:
        report.say("DRY_RUN: would replace the release's title and body with the notes")
        return
    client.call(
        "PATCH", client.url(f"/releases/{release['id']}"), json={"name": tag, "body": notes}
    )
    report.say("notes: replaced the release's title and body (--update-notes)")


def sync_assets(
    client: Client[Settings],
    settings: Settings,
    release: JSON,
    files: list[tuple[Path, bytes]],
    report: Report,
) -> None:
    """Upload what is missing, skip what is identical, replace a same-named different file."""
    present = {a["name"]: a for a in list_assets(client, release)}
    for path, data in files:
        ours = sha256_of(data)
        there = present.get(stored_name(path.name))
        if (
            there is not None
            and there.get("state") == "uploaded"
            and asset_sha256(client, there) == ours
        ):
            report.say(f"asset {path.name}: identical, skipped")
            report.assets.append((path.name, ours, "already there"))
            continue
        if settings.dry_run:
            verb = "replace" if there is not None else "upload"
            report.say(f"DRY_RUN: would {verb} {path.name} sha256:{ours}")
            continue
        if there is not None:
            delete_asset(client, there)
        upload(client, release, path, data)
        action = "replaced" if there is not None else "uploaded"
        report.say(f"asset {path.name}: {action} sha256:{ours}")
        report.assets.append((path.name, ours, action))


# ---- verify ------------------------------------------------------------------


def check_assets(client: Client[Settings], release: JSON, files: list[tuple[Path, bytes]]) -> int:
    """Each local file is a release asset with the same bytes (downloaded and hashed)."""
    present = {a["name"]: a for a in list_assets(client, release)}
    problems = []
    for path, data in files:
        there = present.get(stored_name(path.name))
        if there is None:
            problems.append(f"{path.name}: not attached to the release")
        elif sha256_of(download(client, there)) != sha256_of(data):
            problems.append(f"{path.name}: the release asset differs from the local file")
    for problem in problems:
        print(f"{PROG}: mismatch: {problem}", file=sys.stderr)
    if problems:
        raise FatalError(f"verify-github-release: {len(problems)} mismatch(es)")
    print(f"verify-github-release: {len(files)} asset(s) match the local files")
    return 0


def verify(settings: Settings) -> int:
    tag = resolve_tag(settings, "verify-github-release")
    if tag is None:
        return 0
    files = read_assets(settings)
    client = Client(settings)
    release = find_release(client, tag)
    if release is None:
        raise FatalError(f"verify-github-release: no release for {tag}")
    return check_assets(client, release, files)


def version_command(settings: Settings) -> int:
    """Print the version of the tag being released; nothing (and exit 0) for other refs:
    `publish` prints the skip line for those."""
    tag = resolve_tag(settings, "")
    if tag is not None:
        print(version_of_tag(tag, settings.tag_pattern))
    return 0


def plan_command(settings: Settings) -> int:
    """`make plan`'s row for deploy-github-release; no request is made."""
    api = without_userinfo(settings.api_url.rstrip("/"))
    where = f"{api}/repos/{settings.repository or 'GITHUB_REPOSITORY'}"
    what = "draft release: notes, DIST/*, CHANGES"
    cell = settings.tag or f"skip: not a release tag: {settings.ref}"
    print(f"deploy-github-release\t{where}\t{what}\t{cell}")
    return 0


# ---- Actions outputs and messages ---------------------------------------------


def check_outputs_writable() -> None:
    """The Actions files are checked before anything is uploaded, not after."""
    problem = actions_files_problem(os.environ)
    if problem:
        raise FatalError(problem, 2)


def summarize(release: JSON, tag: str, report: Report) -> None:
    rows = "".join(f"| `{n}` | `{h}` | {a} |\n" for n, h, a in report.assets)
    text = (
        f"### GitHub Release: {tag}\n\n[{tag}]({release['html_url']}) "
        f"({'draft' if release.get('draft') else 'published'})\n\n"
        f"| asset | sha256 | |\n| --- | --- | --- |\n{rows}\n"
    )
    write_summary(text)


# ---- command line ------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    env = os.environ
    try:  # refused before any work: a typo must not decide whether anything is published
        dry_run = yes_no("DRY_RUN", env.get("DRY_RUN"))
    except ValueError as bad:
        raise FatalError(str(bad), 2) from None
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "For the version tag being released, find its GitHub Release (drafts included) "
            "or create a draft one, with the notes as body and the files as assets. An "
            "existing release keeps its title and body; identical assets are skipped, "
            "same-named different ones replaced."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_repository_options(parser, env)
    parser.add_argument(
        "--tag-pattern",
        default=env.get("TAG_PATTERN") or "v*",
        help="version tags (default: $TAG_PATTERN or %(default)s)",
    )
    parser.add_argument(
        "--tag",
        help="the version tag (default: from $REF, else $GITHUB_REF, else the version tag at HEAD)",
    )
    add_deadline_options(
        parser,
        env,
        timeout=60.0,
        max_wait=300,
        spent_on="requests, uploads, time-outs, retries and rate-limit waits",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    versioner = sub.add_parser(
        "version", help="print the version of the tag being released, or nothing"
    )
    versioner.add_argument(
        "--notes", help="the Markdown file the notes will be written to: refused if it may not be"
    )
    sub.add_parser(
        "plan",
        help="print one TAB-separated row for `make plan`: target, destination, what, tag "
        "(or 'skip: reason'); asks GitHub nothing",
    )
    for name, text in (
        ("publish", "create or complete the draft release"),
        ("verify", "check that every asset matches its local file"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument(
            "--dist",
            default=env.get("DIST") or "dist",
            help="attach every regular file of this folder (default: $DIST or dist)",
        )
        command.add_argument(
            "--changes",
            default=env.get("CHANGES") or "CHANGES.rst",
            help="attach this notes file too; '' for none (default: $CHANGES or CHANGES.rst)",
        )
    publisher = sub.choices["publish"]
    publisher.add_argument("--notes", help="Markdown file: the body of a new release")
    publisher.add_argument(
        "--update-notes",
        action="store_true",
        help="replace an existing release's title and body with the notes",
    )
    publisher.add_argument(
        "--dry-run",
        action="store_true",
        default=dry_run,
        help="read only; print what would change (default: on when $DRY_RUN is 1/true/yes/on)",
    )
    return parser


def _bad_usage(message: str) -> NoReturn:
    raise FatalError(message, 2)


def asset_paths(dist: str, changes: str) -> tuple[Path, ...]:
    """The release's assets: what SHA256SUMS lists, SHA256SUMS, the notes file; no stray."""
    folder = in_work_tree(Path(dist))
    try:
        listed = manifest(folder)
    except ManifestError as error:
        raise FatalError(str(error), 2) from None
    files = [*listed, folder / SUMS_NAME]
    return (*files, Path(changes)) if changes else tuple(files)


def settings_from(argv: Sequence[str] | None) -> Settings:
    parser = build_parser()
    parser.error = _bad_usage  # type: ignore[method-assign]
    args = parser.parse_args(argv)
    if not is_http_url(str(args.api_url)):
        raise FatalError(f"--api-url must be an http(s) URL, got {args.api_url!r}", 2)
    pattern = str(args.tag_pattern)
    if "*" not in pattern:
        raise FatalError(f"--tag-pattern must contain '*', got {pattern!r}", 2)
    ref = (
        f"refs/tags/{args.tag}"
        if args.tag
        else current_ref(os.environ, pattern, lambda: checkout_head(pattern, Path.cwd()))
    )
    unmade = None if args.tag else unmade_tag(os.environ, pattern, args.command == "plan")
    if unmade:
        raise FatalError(unmade, 2)
    tag = args.tag or release_tag_of(ref, pattern)
    # A ref that releases nothing is skipped before what only a release needs is checked.
    releasing = args.command in ("publish", "verify") and tag is not None
    token = os.environ.get("GITHUB_TOKEN", "").strip()
    dry_run = bool(getattr(args, "dry_run", False))
    if releasing and not token and not dry_run:
        raise FatalError("GITHUB_TOKEN is not set", 2)
    bad = bad_secret("GITHUB_TOKEN", token) if releasing else None
    if bad:  # before bin/deploy-github-release writes the notes
        raise FatalError(bad, 2)
    repository = (args.repository or "").strip()
    if releasing and repository and not valid_repository(repository):
        raise FatalError(
            f"GITHUB_REPOSITORY/--repository must be OWNER/REPO, got {repository!r}", 2
        )
    if releasing and not repository:  # a laptop: the remote's URL names it, as for `gh`
        repository = repository_from_remote(args.remote)
    if args.command == "plan" and not repository:  # the plan names it when it can, or says so
        with contextlib.suppress(FatalError):
            repository = repository_from_remote(args.remote)
    assets = asset_paths(args.dist, args.changes) if releasing else ()
    notes = getattr(args, "notes", None)
    if notes:  # before bin/deploy-github-release writes it (`version --notes`)
        in_work_tree(Path(notes))
    return Settings(
        command=args.command,
        api_url=str(args.api_url),
        repository=repository,
        token=token,
        tag_pattern=pattern,
        ref=ref,
        tag=tag,
        notes=Path(notes) if notes else None,
        assets=assets,
        update_notes=bool(getattr(args, "update_notes", False)),
        dry_run=dry_run,
        timeout=args.timeout,
        max_wait=args.max_wait,
    )


def main(argv: Sequence[str] | None = None) -> int:
    token = os.environ.get("GITHUB_TOKEN", "").strip()
    try:
        settings = settings_from(argv)
        command = {
            "publish": publish,
            "verify": verify,
            "version": version_command,
            "plan": plan_command,
        }
        return command[settings.command](settings)
    except FatalError as failure:
        fail(redact(str(failure), [token]), failure.status)
    except ModuleNotFoundError as missing:  # run without its PEP 723 dependencies
        fail(missing_dependency(missing), 1)
    except KeyboardInterrupt:
        fail("interrupted", 1)


if __name__ == "__main__":
    sys.exit(main())
