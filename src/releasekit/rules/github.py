"""GitHub's REST API: one client with the headers GitHub asks for, retries as GitHub advises
(5xx and dropped connections backed off, rate limits waited out), every request, time-out and
wait of a run bounded by one deadline (--max-wait), and errors said in one line."""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from releasekit.rules.cli import PROG, info
from releasekit.rules.endpoints import GITHUB_API_URL
from releasekit.rules.repository import repository_of_url
from releasekit.rules.retries import Deadline, FatalError, TransientError, limit_kind, retry_delay
from releasekit.rules.secrets import bad_secret, without_userinfo

if TYPE_CHECKING:
    import requests

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
