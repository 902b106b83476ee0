#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = ["requests>=2.28"]
# ///
# Assembled by tools/assemble.py (`make scripts`) from src/releasekit/scripts/rc_pull_request.py
# and the rule modules it uses: edit those, never this file. Copy this one file to use it
# alone.
"""Find, open or update the one release-candidate draft pull request on GitHub."""

from __future__ import annotations

import argparse
import datetime as dt
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


# --- releasekit/rules/rc.py (assembled; edit the source) --------------------------------------


RC_BRANCH_PREFIX = "auto-release-candidate-"


def rc_branch(day: dt.date) -> str:
    """The release-candidate branch opened on `day`: auto-release-candidate-YYYY-MM-DD."""
    return f"{RC_BRANCH_PREFIX}{day.isoformat()}"


def is_rc_branch(name: str) -> bool:
    """A branch this step opens (and so may reuse): the prefix, then a real YYYY-MM-DD date."""
    day = name.removeprefix(RC_BRANCH_PREFIX)
    if day == name or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", day):
        return False
    try:
        dt.date.fromisoformat(day)
    except ValueError:
        return False
    return True


# --- end of releasekit/rules/rc.py ------------------------------------------------------


# --- releasekit/scripts/rc_pull_request.py: the script's own code -----------------


if TYPE_CHECKING:  # requests is imported lazily: --help must work without it.
    pass

KIT_DOCS_URL = "https://github.com/releasekit/releasekit/blob/main/docs/release-candidate.md"
MARKER_RE = re.compile(r"\n?<!-- releasekit:rc-body sha256=([0-9a-f]{64}) -->\s*\Z")

Pull = dict[str, Any]


@dataclass
class Config:
    api_url: str
    repository: str
    base: str
    token: str = field(repr=False)  # never shown, not even in a repr
    timeout: float
    max_wait: float
    rate_limit_wait: float = 60.0

    @property
    def owner(self) -> str:
        return self.repository.split("/", 1)[0]


# ---- checklist body ----------------------------------------------------------


def checklist(head: str, base: str, changes: str, docs_url: str) -> str:
    """The maintainer's checklist: what a person does between this PR and the tag."""
    return (
        f"This draft is the next release candidate. Branch `{head}` adds a draft section "
        f"at the top of `{changes}`, written from the commits merged into `{base}` since "
        "the last release.\n\n"
        "To release it:\n\n"
        f"- [ ] Adjust the entries in `{changes}`: reword, regroup or drop them "
        "for the people who read the notes.\n"
        "- [ ] Set the version in the section title (`X.Y.Z (unreleased)`): "
        "the next PEP 440 version, without a `v`.\n"
        "- [ ] Set the date in the section title (`unreleased` -> `YYYY-MM-DD`), "
        "the day you release.\n"
        "- [ ] Commit and push those edits to this branch, then mark the pull request "
        "ready for review.\n"
        "- [ ] Approve and merge this pull request.\n"
        "- [ ] Run the `rt.yml` workflow (or `make release-tag`) to tag `vX.Y.Z`; "
        "CI then builds and publishes that tag.\n\n"
        "Running `make release-candidate` again adds newer commits to this branch and "
        "keeps your edits and commits. Edit this description freely: once you do, "
        "it is left alone.\n\n"
        f"How it works: [release candidate]({docs_url})\n"
    )


def sign(text: str) -> str:
    """The body with a hidden marker that tells later runs the text is still the kit's."""
    return f"{text}\n<!-- releasekit:rc-body sha256={digest(text)} -->\n"


def digest(text: str) -> str:
    return hashlib.sha256(text.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def is_kits_own(body: str | None) -> bool:
    """True when the body still hashes to its marker, i.e. no person has edited it."""
    normal = (body or "").replace("\r\n", "\n")
    match = MARKER_RE.search(normal)
    if match is None:
        return False
    return digest(normal[: match.start()]) == match.group(1)


# ---- pull requests -----------------------------------------------------------


def find_rc_pull(client: Client[Config]) -> Pull | None:
    """The open release-candidate PR to the base branch, whatever day it was opened."""
    base = client.settings.base
    found = [
        pull
        for pull in client.pages(client.url("/pulls"), {"state": "open", "base": base})
        if is_rc_branch(pull["head"]["ref"])
        and pull["base"]["ref"] == base
        and same_repository(pull, client.settings.repository)
    ]
    if len(found) > 1:
        numbers = ", ".join(f"#{p['number']}" for p in found)
        warn(f"several open release-candidate PRs ({numbers}); using the oldest")
    return min(found, key=lambda p: int(p["number"])) if found else None


def same_repository(pull: Pull, repository: str) -> bool:
    """A fork's branch is no release candidate of ours, whatever it is called."""
    repo = pull["head"].get("repo")
    return not repo or str(repo.get("full_name", repository)).lower() == repository.lower()


def find_by_head(client: Client[Config], head: str) -> Pull | None:
    params = {"head": f"{client.settings.owner}:{head}", "state": "open"}
    pulls = [p for p in client.pages(client.url("/pulls"), params) if p["head"]["ref"] == head]
    return pulls[0] if pulls else None


# GitHub's 422 where a plan has no draft pull requests (docs.github.com: create a pull request).
NO_DRAFTS = "Draft pull requests are not supported in this repository."


def create_pull(client: Client[Config], head: str, title: str, body: str) -> tuple[Pull, bool]:
    """POST a draft PR. A POST is retried only once a GET shows it did not land."""
    payload: dict[str, Any] = {
        "title": title,
        "head": head,
        "base": client.settings.base,
        "body": body,
        "draft": True,
    }

    def attempt(n: int) -> tuple[Pull, bool]:
        landed = find_by_head(client, head) if n else None  # did the failed POST land?
        if landed:
            return landed, True
        try:
            return client.send_once("POST", client.url("/pulls"), json=payload).json(), True
        except FatalError as failure:
            if payload["draft"] and NO_DRAFTS in str(failure):
                # Private repositories on GitHub Free and Pro have no draft pull requests.
                warn(f"{NO_DRAFTS.rstrip('.')}: opening a normal pull request titled 'Draft: ...'")
                payload.update(draft=False, title=f"Draft: {title}")
                return attempt(n)
            if "already exists" not in str(failure):
                raise
            # Another run won the race: update that PR instead of opening a second.
            existing = find_by_head(client, head)
            if existing:
                return existing, False
            raise

    return client.deadline.retried(attempt)


def update_body(client: Client[Config], pull: Pull, body: str) -> bool:
    """Refresh the kit's own text; a body a person edited stays as they left it."""
    if pull.get("body") == body:
        return False
    if not is_kits_own(pull.get("body")):
        warn(f"PR #{pull['number']} has a description a person edited; leaving it")
        return False
    client.call("PATCH", client.url(f"/pulls/{pull['number']}"), json={"body": body})
    return True


# ---- commands ----------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """What the command line and the environment asked for, checked."""

    command: str  # "find" or "open"
    base: str
    repository: str
    dry_run: bool
    head: str = ""
    title: str = ""
    changes: str = "CHANGES.rst"
    docs_url: str = ""
    extra: str = ""  # Markdown list of the commits without a news fragment


def default_title(head: str) -> str:
    """A new PR's title; make_rc_changes.py leaves a squash-merge of it out of the notes."""
    return f"chore({head})"


def cmd_find(settings: Settings, config: Config | None) -> int:
    if config is None:
        warn("no GITHUB_TOKEN: cannot look up the release-candidate PR (dry run)")
        return 0
    pull = find_rc_pull(Client(config, secondary_wait=config.rate_limit_wait))
    if pull:
        print(pull["head"]["ref"])
        write_outputs({"head": pull["head"]["ref"]})
    return 0


def cmd_open(settings: Settings, config: Config | None) -> int:
    title = settings.title or default_title(settings.head)
    body = checklist(settings.head, settings.base, settings.changes, docs_url(settings))
    if settings.extra.strip():
        body += (
            "\nThese commits since the last release add no news fragment, so the draft does "
            f"not list them; add a fragment for any that belongs in the notes:\n\n{settings.extra}"
        )
    body = sign(body)
    if settings.dry_run:
        return dry_run_open(settings, config, title, body)
    assert config is not None
    client = Client(config, secondary_wait=config.rate_limit_wait)
    pull = find_by_head(client, settings.head)
    created = False
    if pull is None:
        pull, created = create_pull(client, settings.head, title, body)
    refreshed = not created and update_body(client, pull, body)
    action = "opened" if created else "updated" if refreshed else "unchanged"
    report(pull, created, action)
    return 0


def dry_run_open(settings: Settings, config: Config | None, title: str, body: str) -> int:
    if config is None:
        action = "no GITHUB_TOKEN, cannot look up an existing PR; would create a draft PR"
    else:
        pull = find_by_head(Client(config, secondary_wait=config.rate_limit_wait), settings.head)
        action = dry_run_action(pull, body)
    print(f"DRY_RUN: {action} {settings.base} <- {settings.head}")
    print(f"DRY_RUN: title: {title}")
    print("DRY_RUN: body:")
    print(body, end="")
    return 0


def dry_run_action(pull: Pull | None, body: str) -> str:
    if pull is None:
        return "would create a draft PR"
    number = pull["number"]
    if pull.get("body") == body:
        return f"PR #{number} is up to date, would change nothing"
    if is_kits_own(pull.get("body")):
        return f"would update the description of PR #{number}"
    return f"PR #{number} has a description a person edited, would leave it"


def report(pull: Pull, created: bool, action: str) -> None:
    url = pull.get("html_url") or pull.get("url", "")
    print(url)
    info(f"{action} PR #{pull['number']}: {pull.get('title', '')}")
    write_outputs({"number": str(pull["number"]), "url": url, "created": str(created).lower()})
    write_summary(
        f"### Release candidate\n\nPull request [#{pull['number']} {pull.get('title', '')}]"
        f"({url}): {action}.\n"
    )


def docs_url(settings: Settings) -> str:
    """The checklist's link: --docs-url, else the kit's published page (a project that adopted
    the kit has no docs/release-candidate.md of its own)."""
    return settings.docs_url or os.environ.get("RELEASEKIT_DOCS_URL") or KIT_DOCS_URL


# ---- Actions outputs and messages ---------------------------------------------


def check_actions_files() -> None:
    """Refuse (exit 2) an Actions file that cannot be appended to, before any change."""
    problem = actions_files_problem(os.environ)
    if problem:
        raise FatalError(problem, status=2)


# ---- command line ------------------------------------------------------------

# A branch name git accepts (git check-ref-format), in the characters people use.
BRANCH_RE = re.compile(r"[A-Za-z0-9._/+@-]+")
BRANCH_FORBIDDEN = re.compile(r"\.\.|//|@\{|\.lock(?:/|$)|(?:^|/)[.-]|[./]$")


def valid_branch(value: str) -> bool:
    return bool(BRANCH_RE.fullmatch(value)) and not BRANCH_FORBIDDEN.search(value)


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad command line is one line and exit 2, never a usage block."""

    def error(self, message: str) -> NoReturn:
        fail(f"{message} (see --help)", 2)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    env = os.environ
    try:  # refused before any work: a typo must not decide whether anything is pushed
        dry_run = yes_no("DRY_RUN", env.get("DRY_RUN"))
    except ValueError as bad:
        raise FatalError(str(bad), status=2) from None
    parser = OneLineParser(
        prog=PROG,
        description=(
            "Find, open or update the one release-candidate draft pull request "
            f"(head branch {RC_BRANCH_PREFIX}YYYY-MM-DD). Reads GITHUB_API_URL, "
            "GITHUB_REPOSITORY and GITHUB_TOKEN; flags override them. The token is "
            "never printed."
        ),
        epilog=(
            "exit status: 0 ok, 1 failed (API error, bad credentials, retries or --max-wait "
            "spent), 2 bad input. Each wait before a retry prints one line. In GitHub Actions, "
            "'find' writes head= and 'open' writes number=, url=, created= to GITHUB_OUTPUT, "
            "and 'open' a line to GITHUB_STEP_SUMMARY; both files are checked writable first."
        ),
    )
    add_repository_options(parser, env)
    parser.add_argument(
        "--base",
        default=env.get("BASE_BRANCH") or "main",
        help="base branch of the PR (default: $BASE_BRANCH or %(default)s)",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        default=dry_run,
        help="change nothing on GitHub; show what would be done "
        "(default: on when $DRY_RUN is 1/true/yes/on)",
    )
    add_deadline_options(parser, env, timeout=30.0, max_wait=60)
    parser.add_argument(
        "--rate-limit-wait",
        type=seconds(0, 3600),
        default=60.0,
        help="seconds to wait on a secondary rate limit that says no retry-after; GitHub "
        "asks for at least a minute (default: %(default)s)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser(
        "find",
        help="print the head branch of the open release-candidate PR, "
        "or nothing when there is none",
    )
    opener = sub.add_parser(
        "open", help="update the open PR for --head, or open a draft one; print its URL"
    )
    opener.add_argument(
        "--head", required=True, help=f"head branch, e.g. {rc_branch(dt.date(2026, 11, 1))}"
    )
    opener.add_argument(
        "--title", help="title of a new PR (default: chore(HEAD)); an existing PR keeps its title"
    )
    opener.add_argument(
        "--changes",
        default=env.get("CHANGES") or "CHANGES.rst",
        help="the notes file the checklist names (default: $CHANGES or %(default)s)",
    )
    opener.add_argument(
        "--docs-url",
        help="link in the checklist (default: "
        "$RELEASEKIT_DOCS_URL, else the kit's published page on the release candidate)",
    )
    opener.add_argument(
        "--extra",
        metavar="PATH",
        help="a Markdown list of the commits that add no news fragment, for the body",
    )
    return parser.parse_args(argv)


def make_settings(args: argparse.Namespace) -> Settings:
    """The checked settings; FatalError(status=2) names the first bad one."""
    repository = (args.repository or "").strip()
    if repository and not valid_repository(repository):
        raise FatalError(
            f"GITHUB_REPOSITORY/--repository must be OWNER/REPO, got {repository!r}", status=2
        )
    if not valid_branch(args.base):
        raise FatalError(f"--base/BASE_BRANCH is no branch name: {args.base!r}", status=2)
    head = getattr(args, "head", None) or ""
    if args.command == "open" and not valid_branch(head):
        raise FatalError(f"--head is no branch name: {head!r}", status=2)
    title = getattr(args, "title", None) or ""
    if "\n" in title or "\r" in title:
        raise FatalError("--title must be one line", status=2)
    return Settings(
        command=args.command,
        base=args.base,
        repository=repository,
        dry_run=bool(args.dry_run),
        head=head,
        title=title,
        changes=getattr(args, "changes", None) or "CHANGES.rst",
        docs_url=getattr(args, "docs_url", None) or "",
        extra=read_extra(getattr(args, "extra", None)),
    )


def read_extra(path: str | None) -> str:
    if not path:
        return ""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise FatalError(f"--extra {path}: cannot be read ({error})", status=2) from None


def make_config(args: argparse.Namespace, settings: Settings) -> Config | None:
    """The API settings; None in a dry run without a token (nothing can be looked up)."""
    token = os.environ.get("GITHUB_TOKEN", "").strip()
    if not token and settings.dry_run:
        return None
    if not token:
        raise FatalError("GITHUB_TOKEN is not set", status=2)
    repository = settings.repository or repository_from_remote(args.remote)
    if not is_http_url(args.api_url):
        raise FatalError(f"--api-url must be an http(s) URL, got {args.api_url!r}", status=2)
    return Config(
        args.api_url,
        repository,
        settings.base,
        token,
        args.timeout,
        args.max_wait,
        args.rate_limit_wait,
    )


def main(argv: Sequence[str] | None = None) -> int:
    token = os.environ.get("GITHUB_TOKEN", "").strip()
    try:
        args = parse_args(argv)
        settings = make_settings(args)
        config = make_config(args, settings)
        check_actions_files()
        command = cmd_find if settings.command == "find" else cmd_open
        return command(settings, config)
    except FatalError as failure:
        fail(redact(str(failure), [token]), failure.status)
    except ModuleNotFoundError as missing:  # run without its PEP 723 dependencies
        fail(missing_dependency(missing), 1)
    except KeyboardInterrupt:
        fail("interrupted", 1)


if __name__ == "__main__":
    sys.exit(main())
