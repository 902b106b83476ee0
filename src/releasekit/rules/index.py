"""Reading a package index: where its simple pages are, and the sha256 of each file it holds
for a project. Used by pypi_publish.py (what to upload, what to verify) and build_dist.py
(a published dist is final). Imports its packages where they are used. A read under a
Deadline (--max-wait) says so while it waits and retries a 5xx or no answer, as the GitHub
calls do."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

from releasekit.rules.children import announced
from releasekit.rules.endpoints import pypi_index
from releasekit.rules.retries import Deadline, FatalError, TransientError

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
