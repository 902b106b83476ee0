"""A local stand-in for the GitHub REST API (pulls, releases, release assets) with faults."""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

import pytest
from requests.structures import CaseInsensitiveDict

from tests.peers.wire import request_body

JSON = dict[str, Any]

DOCS = "https://docs.github.com/rest"
API_VERSIONS = ("2022-11-28", "2026-03-10")
RATE_LIMIT = 5000
DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 100
NO_USER_AGENT = (
    "Request forbidden by administrative rules. Please make sure your request has a "
    "User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api"
    "#user-agent-required). Check https://developer.github.com for other possible causes.\n"
)
PRIMARY_LIMIT_MESSAGE = (
    "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, "
    "please include the request ID 0000:0000:0000000:0000000:00000000."
)
SECONDARY_LIMIT_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try "
    "again. If you reach out to GitHub Support for help, please include the request ID "
    "0000:0000:0000000:0000000:00000000."
)
# GitHub renames uploaded files: anything but these characters becomes a dot.
_ASSET_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]")


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fake_sha(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class RecordedRequest:
    """One request as either server received it (before any fault was applied)."""

    server: str  # "api" or "uploads"
    method: str
    path: str
    query: dict[str, list[str]]
    headers: CaseInsensitiveDict[str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Fault:
    kind: str  # "status" | "drop" | "delay" | "primary" | "secondary" | "html"
    remaining: int
    method: str | None
    path_regex: str | None
    status: int = 0
    body: JSON | None = None
    seconds: float = 0.0
    reset_in: int = 1
    retry_after: int | None = 1  # None: a secondary limit that gives no retry-after
    exhausted: bool = False  # a secondary limit hit with the primary one spent too
    after: bool = False  # "status": carry the request out, then answer with the error

    def matches(self, method: str, path: str) -> bool:
        if self.remaining <= 0:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path_regex is None or re.search(self.path_regex, path) is not None


@dataclass
class _Pull:
    number: int
    id: int
    head_owner: str
    head_ref: str
    base_ref: str
    title: str
    body: str | None
    draft: bool
    state: str
    user: str
    maintainer_can_modify: bool = False
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)
    closed_at: str | None = None


@dataclass
class _Release:
    id: int
    tag_name: str
    target_commitish: str
    name: str | None
    body: str | None
    draft: bool
    prerelease: bool
    author: str
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)
    published_at: str | None = None


@dataclass
class _Asset:
    id: int
    release_id: int
    name: str
    label: str | None
    content_type: str
    data: bytes
    uploader: str
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)


@dataclass
class _Response:
    status: int
    body: Any = None  # JSON-able, bytes, str or None (no body)
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Call:
    """A routed request: what a route handler needs."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: CaseInsensitiveDict[str]
    body: bytes
    params: dict[str, str]

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


def _error(status: int, message: str, doc: str = DOCS, **extra: Any) -> _Response:
    return _Response(
        status, {"message": message, "documentation_url": doc, "status": str(status), **extra}
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _not_found() -> _Response:
    return _error(404, "Not Found")


def _validation_failed(*errors: JSON, doc: str = DOCS) -> _Response:
    return _error(422, "Validation Failed", doc, errors=list(errors))


def _parse_json(call: _Call) -> JSON | _Response:
    """The request body as an object, or GitHub's 400 for anything that is not one."""
    if not call.body.strip():
        return {}
    try:
        payload = json.loads(call.body)
    except ValueError:
        return _error(400, "Problems parsing JSON")
    if not isinstance(payload, dict):
        return _error(400, "Problems parsing JSON")
    return payload


_TYPE_NAMES = {str: "string", bool: "boolean"}


def _check_types(
    payload: JSON, types: dict[str, type], nullable: tuple[str, ...] = ()
) -> _Response | None:
    """GitHub's 422 "Invalid request" for a field of the wrong JSON type."""
    for name, expected in types.items():
        if name not in payload or (payload[name] is None and name in nullable):
            continue
        if not isinstance(payload[name], expected):
            shown = json.dumps(payload[name])
            return _error(
                422,
                f"Invalid request.\n\nFor 'properties/{name}', {shown} is not a "
                f"{_TYPE_NAMES[expected]}.",
            )
    return None


def _positive_int(text: str | None, default: int) -> int:
    try:
        value = int(text) if text is not None else default
    except ValueError:
        return default
    return value if value > 0 else default


Route = tuple[str, "re.Pattern[str]", Callable[["GitHubStandIn", _Call], _Response]]
_REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"


class GitHubStandIn:
    """Two loopback HTTP servers (API and uploads host) sharing one in-memory repository."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        uploads_port: int = 0,
        token: str | None = None,
        repository: str = "octo-org/project",
        login: str = "octo-bot",
    ) -> None:
        self.token = token or f"ghs_{secrets.token_hex(18)}"
        self.repository = repository
        self.login = login  # the user the token belongs to
        self.requests: list[RecordedRequest] = []
        self._lock = threading.RLock()
        self._servers = [
            _serve(self, "api", host, port),
            _serve(self, "uploads", host, uploads_port),
        ]
        # Where the servers listen; the URLs in its answers are these, or GitHub's own names
        # when it plays github.com behind the real-address proxy (tests/peers/real_addresses.py).
        self.listen_api_url = _url_of(self._servers[0])
        self.listen_uploads_url = _url_of(self._servers[1])
        self.api_url = self.listen_api_url
        self.uploads_url = self.listen_uploads_url
        self.reset()

    def answer_as(self, api_url: str, uploads_url: str) -> None:
        """Write `api_url`/`uploads_url` into answers (upload_url, links), as github.com does."""
        self.api_url, self.uploads_url = api_url, uploads_url

    # -- lifecycle ---------------------------------------------------------------------
    def close(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> GitHubStandIn:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def env(self) -> dict[str, str]:
        return {
            "GITHUB_API_URL": self.api_url,
            "GITHUB_REPOSITORY": self.repository,
            "GITHUB_TOKEN": self.token,
        }

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._faults: list[_Fault] = []
            self._pulls: dict[int, _Pull] = {}
            self._releases: dict[int, _Release] = {}
            self._assets: dict[int, _Asset] = {}
            self._next_number = 1
            self._next_release_id = 1001
            self._next_asset_id = 9001
            self._rate_used = 0
            # False plays a private repository on GitHub Free or Pro: no draft pull requests.
            self.drafts_supported = True
            # Workflow files by name: whether each has a workflow_dispatch trigger.
            self.workflows: dict[str, bool] = {"ci.yml": True}
            self.origin: Path | None = None  # a bare repo: refs to dispatch on must exist there
            self.dispatches: list[tuple[str, str]] = []  # (workflow file, ref) started
            self._rate_reset = int(time.time()) + 3600

    # -- seeding and inspecting --------------------------------------------------------
    def add_pull(
        self,
        head: str,
        base: str = "main",
        title: str = "",
        body: str = "",
        draft: bool = True,
        state: str = "open",
        user: str = "octo-bot",
    ) -> dict[str, Any]:
        """Seed a pull request; `head` is `branch` or `owner:branch`."""
        owner, _, ref = head.rpartition(":")
        with self._lock:
            pull = self._new_pull(owner or self.owner, ref, base, title, body, draft, user)
            if state == "closed":
                pull.state, pull.closed_at = "closed", _now()
            return self._pull_json(pull)

    def add_release(
        self,
        tag_name: str,
        name: str | None = None,
        body: str | None = None,
        draft: bool = False,
        prerelease: bool = False,
        target_commitish: str = "main",
    ) -> dict[str, Any]:
        """Seed a release (no duplicate checks: seeding may build any state)."""
        with self._lock:
            release = self._new_release(tag_name, target_commitish, name, body, draft, prerelease)
            return self._release_json(release)

    def add_asset(
        self,
        release_id: int,
        name: str,
        data: bytes,
        content_type: str = "application/octet-stream",
        label: str | None = None,
    ) -> dict[str, Any]:
        """Seed an uploaded asset on a release."""
        with self._lock:
            asset = self._new_asset(release_id, name, label, content_type, data)
            return self._asset_json(asset)

    def pulls(self, state: str | None = None) -> list[dict[str, Any]]:
        """All pull requests, oldest first; `state` "open"/"closed" filters."""
        with self._lock:
            return [
                self._pull_json(p) for p in self._pulls.values() if state in (None, "all", p.state)
            ]

    def releases(self) -> list[dict[str, Any]]:
        """All releases including drafts, oldest first."""
        with self._lock:
            return [self._release_json(r) for r in self._releases.values()]

    def assets(self, release_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [self._asset_json(a) for a in self._release_assets(release_id)]

    def asset_bytes(self, asset_id: int) -> bytes:
        with self._lock:
            return self._assets[asset_id].data

    # -- faults --------------------------------------------------------------------------
    def fail(
        self,
        status: int,
        times: int = 1,
        method: str | None = None,
        path_regex: str | None = None,
        body: dict[str, Any] | None = None,
        after: bool = False,
    ) -> None:
        """Answer the next `times` matching requests with `status` (and `body`).

        `after=True` carries each request out first, as when an upload lands but the proxy in
        front of GitHub times out: the client sees the error, the repository has the change.
        """
        self._add_fault(
            _Fault("status", times, method, path_regex, status=status, body=body, after=after)
        )

    def html_page(
        self, times: int = 1, method: str | None = None, path_regex: str | None = None
    ) -> None:
        """Answer the next `times` matching requests 200 with an HTML page, as a captive portal,
        a login proxy or a web server at a wrong GITHUB_API_URL does."""
        self._add_fault(_Fault("html", times, method, path_regex))

    def drop(
        self, times: int = 1, method: str | None = None, path_regex: str | None = None
    ) -> None:
        """Close the connection of the next `times` matching requests without a response."""
        self._add_fault(_Fault("drop", times, method, path_regex))

    def delay(
        self,
        seconds: float,
        times: int = 1,
        method: str | None = None,
        path_regex: str | None = None,
    ) -> None:
        """Wait `seconds` before handling the next `times` matching requests."""
        self._add_fault(_Fault("delay", times, method, path_regex, seconds=seconds))

    def rate_limit(
        self,
        kind: str = "primary",
        times: int = 1,
        status: int = 403,
        reset_in: int = 1,
        retry_after: int | None = 1,
        method: str | None = None,
        path_regex: str | None = None,
        exhausted: bool = False,
    ) -> None:
        """Refuse the next `times` matching requests with a primary or secondary rate limit.

        A secondary limit says `retry-after: N`, or nothing when `retry_after` is None (GitHub
        then asks clients to wait at least a minute); `exhausted` adds
        `x-ratelimit-remaining: 0` and the reset `reset_in` s away, as when both are hit."""
        if kind not in ("primary", "secondary"):
            raise ValueError(f"kind must be 'primary' or 'secondary', not {kind!r}")
        if status not in (403, 429):
            raise ValueError(f"GitHub answers rate limits with 403 or 429, not {status}")
        self._add_fault(
            _Fault(
                kind,
                times,
                method,
                path_regex,
                status=status,
                reset_in=reset_in,
                retry_after=retry_after,
                exhausted=exhausted,
            )
        )

    def _add_fault(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def _take_faults(self, method: str, path: str) -> tuple[float, _Fault | None]:
        """Consume every matching delay (summed) and the first matching other fault."""
        with self._lock:
            seconds = 0.0
            chosen: _Fault | None = None
            for fault in self._faults:
                if not fault.matches(method, path):
                    continue
                if fault.kind == "delay":
                    seconds += fault.seconds
                    fault.remaining -= 1
                elif chosen is None:
                    chosen = fault
                    fault.remaining -= 1
            self._faults = [f for f in self._faults if f.remaining > 0]
            return seconds, chosen

    # -- the request pipeline (called by the handler threads) ---------------------------
    @property
    def owner(self) -> str:
        return self.repository.split("/")[0]

    def handle(self, kind: str, request: RecordedRequest) -> _Response | None:
        """The response to send, or None to drop the connection."""
        with self._lock:
            self.requests.append(request)
        seconds, fault = self._take_faults(request.method, request.path)
        if seconds:
            time.sleep(seconds)
        if fault is not None and fault.after and self._refusal(request) is None:
            with self._lock:
                self._rate_used += 1
                self._dispatch(kind, request)
        if fault is not None:
            return self._fault_response(fault)
        download = self._public_download(kind, request)
        if download is not None:
            return download
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        with self._lock:
            self._rate_used += 1
            return self._dispatch(kind, request)

    def _fault_response(self, fault: _Fault) -> _Response | None:
        if fault.kind == "drop":
            return None
        if fault.kind == "html":
            page = "<!DOCTYPE html>\n<html><body><h1>Sign in to continue</h1></body></html>\n"
            return _Response(200, page, {"Content-Type": "text/html; charset=utf-8"})
        if fault.kind == "status":
            if fault.body is not None:
                return _Response(fault.status, fault.body)
            return _error(fault.status, _phrase(fault.status))
        if fault.kind == "primary":
            reset = int(time.time()) + fault.reset_in
            return _Response(
                fault.status,
                {
                    "message": PRIMARY_LIMIT_MESSAGE,
                    "documentation_url": (
                        "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
                    ),
                },
                {
                    "x-ratelimit-remaining": "0",
                    "x-ratelimit-reset": str(reset),
                    "x-ratelimit-used": str(RATE_LIMIT),
                },
            )
        return _Response(
            fault.status,
            {
                "message": SECONDARY_LIMIT_MESSAGE,
                "documentation_url": (
                    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
                    "#about-secondary-rate-limits"
                ),
            },
            {
                **({} if fault.retry_after is None else {"retry-after": str(fault.retry_after)}),
                **(
                    {
                        "x-ratelimit-remaining": "0",
                        "x-ratelimit-reset": str(int(time.time()) + fault.reset_in),
                    }
                    if fault.exhausted
                    else {}
                ),
            },
        )

    def _refusal(self, request: RecordedRequest) -> _Response | None:
        """What GitHub says before routing: no User-Agent, bad token, unknown version."""
        if not request.headers.get("User-Agent"):
            return _Response(403, NO_USER_AGENT, {"Content-Type": "text/plain; charset=utf-8"})
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "token") or credentials.strip() != self.token:
            return _error(401, "Bad credentials")
        version = request.headers.get("X-GitHub-Api-Version")
        if version is not None and version not in API_VERSIONS:
            return _error(400, f"API version '{version}' is not supported.")
        return None

    def rate_headers(self) -> dict[str, str]:
        with self._lock:
            return {
                "x-ratelimit-limit": str(RATE_LIMIT),
                "x-ratelimit-remaining": str(max(RATE_LIMIT - self._rate_used, 0)),
                "x-ratelimit-reset": str(self._rate_reset),
                "x-ratelimit-used": str(self._rate_used),
                "x-ratelimit-resource": "core",
            }

    def _dispatch(self, kind: str, request: RecordedRequest) -> _Response:
        for method, pattern, handler in _ROUTES[kind]:
            match = pattern.fullmatch(request.path)
            if match is None or method != request.method:
                continue
            params = match.groupdict()
            if f"{params['owner']}/{params['repo']}".lower() != self.repository.lower():
                return _not_found()
            call = _Call(
                request.method, request.path, request.query, request.headers, request.body, params
            )
            return handler(self, call)
        return _not_found()

    # -- URLs and JSON shapes ------------------------------------------------------------
    @property
    def _repo_api(self) -> str:
        return f"{self.api_url}/repos/{self.repository}"

    @property
    def _repo_html(self) -> str:
        # No github.com anywhere: the API host doubles as the web host.
        return f"{self.api_url}/{self.repository}"

    def _user_json(self, login: str) -> JSON:
        user_url = f"{self.api_url}/users/{login}"
        bot = login.endswith("[bot]")
        return {
            "login": login,
            "id": int(_fake_sha(login)[:6], 16),
            "node_id": f"U_{login}",
            "avatar_url": f"{self.api_url}/avatars/{login}",
            "gravatar_id": "",
            "url": user_url,
            "html_url": f"{self.api_url}/{login}",
            "followers_url": f"{user_url}/followers",
            "following_url": f"{user_url}/following{{/other_user}}",
            "gists_url": f"{user_url}/gists{{/gist_id}}",
            "starred_url": f"{user_url}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{user_url}/subscriptions",
            "organizations_url": f"{user_url}/orgs",
            "repos_url": f"{user_url}/repos",
            "events_url": f"{user_url}/events{{/privacy}}",
            "received_events_url": f"{user_url}/received_events",
            "type": "Bot" if bot else "User",
            "site_admin": False,
            "user_view_type": "public",
        }

    def _repository_json(self, owner: str) -> JSON:
        name = self.repository.split("/")[1]
        full = f"{owner}/{name}"
        api = f"{self.api_url}/repos/{full}"
        templated = {
            "archive_url": "/{archive_format}{/ref}",
            "assignees_url": "/assignees{/user}",
            "blobs_url": "/git/blobs{/sha}",
            "branches_url": "/branches{/branch}",
            "collaborators_url": "/collaborators{/collaborator}",
            "comments_url": "/comments{/number}",
            "commits_url": "/commits{/sha}",
            "compare_url": "/compare/{base}...{head}",
            "contents_url": "/contents/{+path}",
            "git_commits_url": "/git/commits{/sha}",
            "git_refs_url": "/git/refs{/sha}",
            "git_tags_url": "/git/tags{/sha}",
            "issue_comment_url": "/issues/comments{/number}",
            "issue_events_url": "/issues/events{/number}",
            "issues_url": "/issues{/number}",
            "keys_url": "/keys{/key_id}",
            "labels_url": "/labels{/name}",
            "milestones_url": "/milestones{/number}",
            "notifications_url": "/notifications{?since,all,participating}",
            "pulls_url": "/pulls{/number}",
            "releases_url": "/releases{/id}",
            "statuses_url": "/statuses/{sha}",
            "trees_url": "/git/trees{/sha}",
        }
        plain = (
            "contributors",
            "deployments",
            "downloads",
            "events",
            "forks",
            "hooks",
            "languages",
            "merges",
            "stargazers",
            "subscribers",
            "subscription",
            "tags",
            "teams",
        )
        html = f"{self.api_url}/{full}"
        return {
            "id": int(_fake_sha(full)[:6], 16),
            "node_id": f"R_{full}",
            "name": name,
            "full_name": full,
            "owner": self._user_json(owner),
            "private": False,
            "html_url": html,
            "description": None,
            "fork": owner != self.owner,
            "url": api,
            **{key: api + suffix for key, suffix in templated.items()},
            **{f"{key}_url": f"{api}/{key}" for key in plain},
            "git_url": f"git://{html.split('://', 1)[1]}.git",
            "ssh_url": f"git@{full}.git",
            "clone_url": f"{html}.git",
            "svn_url": html,
            "mirror_url": None,
            "homepage": None,
            "language": "Python",
            "forks": 0,
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers": 0,
            "watchers_count": 0,
            "size": 1,
            "default_branch": "main",
            "open_issues": 0,
            "open_issues_count": 0,
            "has_issues": True,
            "has_projects": True,
            "has_wiki": True,
            "has_pages": False,
            "has_downloads": True,
            "archived": False,
            "disabled": False,
            "visibility": "public",
            "license": None,
            "pushed_at": "2024-01-01T00:00:00Z",
            "created_at": "2024-01-01T00:00:00Z",
            "updated_at": "2024-01-01T00:00:00Z",
        }

    def _branch_json(self, owner: str, ref: str) -> JSON:
        return {
            "label": f"{owner}:{ref}",
            "ref": ref,
            "sha": _fake_sha(f"{owner}:{ref}"),
            "user": self._user_json(owner),
            "repo": self._repository_json(owner),
        }

    def _pull_json(self, pull: _Pull, full: bool = True) -> JSON:
        url = f"{self._repo_api}/pulls/{pull.number}"
        html = f"{self._repo_html}/pull/{pull.number}"
        issue = f"{self._repo_api}/issues/{pull.number}"
        sha = _fake_sha(f"{pull.head_owner}:{pull.head_ref}")
        links = {
            "self": url,
            "html": html,
            "issue": issue,
            "comments": f"{issue}/comments",
            "review_comments": f"{url}/comments",
            "review_comment": f"{self._repo_api}/pulls/comments{{/number}}",
            "commits": f"{url}/commits",
            "statuses": f"{self._repo_api}/statuses/{sha}",
        }
        shape: JSON = {
            "url": url,
            "id": pull.id,
            "node_id": f"PR_{pull.id}",
            "html_url": html,
            "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch",
            "issue_url": issue,
            "commits_url": links["commits"],
            "review_comments_url": links["review_comments"],
            "review_comment_url": links["review_comment"],
            "comments_url": links["comments"],
            "statuses_url": links["statuses"],
            "number": pull.number,
            "state": pull.state,
            "locked": False,
            "title": pull.title,
            "user": self._user_json(pull.user),
            "body": pull.body,
            "labels": [],
            "milestone": None,
            "active_lock_reason": None,
            "created_at": pull.created_at,
            "updated_at": pull.updated_at,
            "closed_at": pull.closed_at,
            "merged_at": None,
            "merge_commit_sha": None,
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [],
            "requested_teams": [],
            "head": self._branch_json(pull.head_owner, pull.head_ref),
            "base": self._branch_json(self.owner, pull.base_ref),
            "_links": {rel: {"href": href} for rel, href in links.items()},
            "author_association": "CONTRIBUTOR",
            "auto_merge": None,
            "draft": pull.draft,
        }
        if full:
            shape.update(
                merged=False,
                mergeable=None,
                rebaseable=None,
                mergeable_state="unknown",
                merged_by=None,
                comments=0,
                review_comments=0,
                maintainer_can_modify=pull.maintainer_can_modify,
                commits=1,
                additions=1,
                deletions=0,
                changed_files=1,
            )
        return shape

    def _release_json(self, release: _Release) -> JSON:
        url = f"{self._repo_api}/releases/{release.id}"
        tag = quote(release.tag_name, safe="")
        return {
            "url": url,
            "assets_url": f"{url}/assets",
            "upload_url": (
                f"{self.uploads_url}/repos/{self.repository}/releases/{release.id}"
                "/assets{?name,label}"
            ),
            "html_url": f"{self._repo_html}/releases/tag/{tag}",
            "id": release.id,
            "author": self._user_json(release.author),
            "node_id": f"RE_{release.id}",
            "tag_name": release.tag_name,
            "target_commitish": release.target_commitish,
            "name": release.name,
            "draft": release.draft,
            "immutable": False,
            "prerelease": release.prerelease,
            "created_at": release.created_at,
            "updated_at": release.updated_at,
            "published_at": release.published_at,
            "assets": [self._asset_json(a) for a in self._release_assets(release.id)],
            "tarball_url": f"{self._repo_api}/tarball/{tag}",
            "zipball_url": f"{self._repo_api}/zipball/{tag}",
            "body": release.body,
        }

    def _asset_json(self, asset: _Asset) -> JSON:
        tag = quote(self._releases[asset.release_id].tag_name, safe="")
        return {
            "url": f"{self._repo_api}/releases/assets/{asset.id}",
            "browser_download_url": f"{self._repo_html}/releases/download/{tag}/{asset.name}",
            "id": asset.id,
            "node_id": f"RA_{asset.id}",
            "name": asset.name,
            "label": asset.label,
            "state": "uploaded",
            "content_type": asset.content_type,
            "size": len(asset.data),
            "digest": f"sha256:{hashlib.sha256(asset.data).hexdigest()}",
            "download_count": 0,
            "created_at": asset.created_at,
            "updated_at": asset.updated_at,
            "uploader": self._user_json(asset.uploader),
        }

    # -- state changes (callers hold the lock) -------------------------------------------
    def _new_pull(
        self,
        owner: str,
        ref: str,
        base: str,
        title: str,
        body: str | None,
        draft: bool,
        user: str,
    ) -> _Pull:
        number = self._next_number
        self._next_number += 1
        pull = _Pull(number, 700000 + number, owner, ref, base, title, body, draft, "open", user)
        self._pulls[number] = pull
        return pull

    def _new_release(
        self,
        tag: str,
        target: str,
        name: str | None,
        body: str | None,
        draft: bool,
        prerelease: bool,
    ) -> _Release:
        release = _Release(
            self._next_release_id, tag, target, name, body, draft, prerelease, self.login
        )
        if not draft:
            release.published_at = release.created_at
        self._releases[release.id] = release
        self._next_release_id += 1
        return release

    def _new_asset(
        self, release_id: int, name: str, label: str | None, content_type: str, data: bytes
    ) -> _Asset:
        asset = _Asset(self._next_asset_id, release_id, name, label, content_type, data, self.login)
        self._assets[asset.id] = asset
        self._next_asset_id += 1
        return asset

    def _release_assets(self, release_id: int) -> list[_Asset]:
        return [a for a in self._assets.values() if a.release_id == release_id]

    def _open_duplicate(self, owner: str, ref: str, base: str, number: int = 0) -> bool:
        return any(
            p.state == "open"
            and p.number != number
            and (p.head_owner, p.head_ref, p.base_ref) == (owner, ref, base)
            for p in self._pulls.values()
        )

    def _published_with_tag(self, tag: str, release_id: int = 0) -> bool:
        return any(
            not r.draft and r.tag_name == tag and r.id != release_id
            for r in self._releases.values()
        )

    def _public_download(self, kind: str, request: RecordedRequest) -> _Response | None:
        """browser_download_url: the bytes of an asset, like github.com serves them."""
        prefix = f"/{self.repository}/releases/download/"
        if kind != "api" or request.method != "GET" or not request.path.startswith(prefix):
            return None
        with self._lock:
            for asset in self._assets.values():
                release = self._releases[asset.release_id]
                if request.path == f"{prefix}{quote(release.tag_name, safe='')}/{asset.name}":
                    return _Response(200, asset.data, {"Content-Type": asset.content_type})
        return _Response(404, "Not Found", {"Content-Type": "text/plain; charset=utf-8"})

    def url_for(self, path: str, query: list[tuple[str, str]]) -> str:
        return f"{self.api_url}{path}?{urlencode(query)}"


# -- route handlers ----------------------------------------------------------------------
def _paginate(gh: GitHubStandIn, call: _Call, items: list[JSON]) -> _Response:
    """One page of `items` and, when there is more than one page, GitHub's Link header."""
    per_page = min(_positive_int(call.arg("per_page"), DEFAULT_PER_PAGE), MAX_PER_PAGE)
    page = _positive_int(call.arg("page"), 1)
    last = max((len(items) + per_page - 1) // per_page, 1)
    body = items[(page - 1) * per_page : page * per_page]
    if last == 1:
        return _Response(200, body)
    pairs = [(k, v) for k, values in call.query.items() if k != "page" for v in values]

    def link(number: int, rel: str) -> str:
        return f'<{gh.url_for(call.path, [*pairs, ("page", str(number))])}>; rel="{rel}"'

    links = []
    if page > 1:
        links.append(link(min(page - 1, last), "prev"))
    if page < last:
        links += [link(page + 1, "next"), link(last, "last")]
    if page > 1:
        links.append(link(1, "first"))
    return _Response(200, body, {"Link": ", ".join(links)})


def _pull_or_404(gh: GitHubStandIn, call: _Call) -> _Pull | None:
    number = call.params["number"]
    return gh._pulls.get(int(number)) if number.isdigit() else None


def _list_pulls(gh: GitHubStandIn, call: _Call) -> _Response:
    state = call.arg("state") or "open"
    if state not in ("open", "closed", "all"):
        return _validation_failed({"resource": "Search", "field": "state", "code": "invalid"})
    head = call.arg("head") or ""
    owner, sep, ref = head.partition(":")
    base = call.arg("base")
    pulls = [
        p
        for p in gh._pulls.values()
        if state in ("all", p.state)
        # Like GitHub, a head without "owner:" is silently ignored.
        and (not sep or (p.head_owner.lower(), p.head_ref) == (owner.lower(), ref))
        and (base is None or p.base_ref == base)
    ]
    key = "updated_at" if call.arg("sort") in ("updated", "long-running") else "created_at"
    default_direction = "desc" if call.arg("sort") in (None, "created") else "asc"
    pulls.sort(key=lambda p: (getattr(p, key), p.number))
    if (call.arg("direction") or default_direction) == "desc":
        pulls.reverse()
    return _paginate(gh, call, [gh._pull_json(p, full=False) for p in pulls])


_PULL_DOC = "https://docs.github.com/rest/pulls/pulls#create-a-pull-request"


def _create_pull(gh: GitHubStandIn, call: _Call) -> _Response:
    payload = _parse_json(call)
    if isinstance(payload, _Response):
        return payload
    types = {
        "title": str,
        "head": str,
        "base": str,
        "body": str,
        "draft": bool,
        "maintainer_can_modify": bool,
    }
    invalid = _check_types(payload, types, nullable=("body",))
    if invalid:
        return invalid
    for name in ("head", "base", "title"):
        if not payload.get(name):
            return _validation_failed(
                {"resource": "PullRequest", "code": "missing_field", "field": name},
                doc=_PULL_DOC,
            )
    if payload.get("draft") and not gh.drafts_supported:
        return _error(422, "Draft pull requests are not supported in this repository.", _PULL_DOC)
    owner, _, ref = str(payload["head"]).rpartition(":")
    owner, base = owner or gh.owner, str(payload["base"])
    if owner == gh.owner and ref == base:
        return _validation_failed(
            {
                "resource": "PullRequest",
                "code": "custom",
                "message": f"No commits between {base} and {ref}",
            },
            doc=_PULL_DOC,
        )
    if gh._open_duplicate(owner, ref, base):
        return _validation_failed(
            {
                "resource": "PullRequest",
                "code": "custom",
                "message": f"A pull request already exists for {owner}:{ref}.",
            },
            doc=_PULL_DOC,
        )
    pull = gh._new_pull(
        owner,
        ref,
        base,
        str(payload["title"]),
        payload.get("body"),
        bool(payload.get("draft", False)),
        gh.login,
    )
    pull.maintainer_can_modify = bool(payload.get("maintainer_can_modify", False))
    body = gh._pull_json(pull)
    return _Response(201, body, {"Location": body["url"]})


def _get_pull(gh: GitHubStandIn, call: _Call) -> _Response:
    pull = _pull_or_404(gh, call)
    return _Response(200, gh._pull_json(pull)) if pull else _not_found()


def _update_pull(gh: GitHubStandIn, call: _Call) -> _Response:
    pull = _pull_or_404(gh, call)
    if pull is None:
        return _not_found()
    payload = _parse_json(call)
    if isinstance(payload, _Response):
        return payload
    types = {"title": str, "body": str, "state": str, "base": str, "maintainer_can_modify": bool}
    invalid = _check_types(payload, types, nullable=("body",))
    if invalid:
        return invalid
    state = payload.get("state", pull.state)
    if state not in ("open", "closed"):
        return _validation_failed({"resource": "PullRequest", "field": "state", "code": "invalid"})
    base = payload.get("base", pull.base_ref)
    if state == "open" and gh._open_duplicate(pull.head_owner, pull.head_ref, base, pull.number):
        return _validation_failed(
            {
                "resource": "PullRequest",
                "code": "custom",
                "message": f"A pull request already exists for {pull.head_owner}:{pull.head_ref}.",
            }
        )
    # `draft` is not a field of this endpoint: GitHub ignores it (drafts change via GraphQL).
    pull.title = payload.get("title", pull.title)
    pull.body = payload.get("body", pull.body)
    pull.base_ref = base
    pull.maintainer_can_modify = payload.get("maintainer_can_modify", pull.maintainer_can_modify)
    if state != pull.state:
        pull.state, pull.closed_at = state, (_now() if state == "closed" else None)
    pull.updated_at = _now()
    return _Response(200, gh._pull_json(pull))


def _list_releases(gh: GitHubStandIn, call: _Call) -> _Response:
    newest_first = sorted(gh._releases.values(), key=lambda r: r.id, reverse=True)
    return _paginate(gh, call, [gh._release_json(r) for r in newest_first])


_RELEASE_TYPES = {
    "tag_name": str,
    "target_commitish": str,
    "name": str,
    "body": str,
    "draft": bool,
    "prerelease": bool,
    "make_latest": str,
}
_RELEASE_DOC = "https://docs.github.com/rest/releases/releases#create-a-release"


def _tag_taken() -> _Response:
    return _validation_failed(
        {"resource": "Release", "code": "already_exists", "field": "tag_name"}, doc=_RELEASE_DOC
    )


def _create_release(gh: GitHubStandIn, call: _Call) -> _Response:
    payload = _parse_json(call)
    if isinstance(payload, _Response):
        return payload
    invalid = _check_types(payload, _RELEASE_TYPES, nullable=("body", "name"))
    if invalid:
        return invalid
    tag = payload.get("tag_name")
    if not tag:
        return _validation_failed(
            {"resource": "Release", "code": "missing_field", "field": "tag_name"},
            doc=_RELEASE_DOC,
        )
    draft = bool(payload.get("draft", False))
    if not draft and gh._published_with_tag(tag):
        return _tag_taken()
    release = gh._new_release(
        tag,
        payload.get("target_commitish") or "main",
        payload.get("name"),
        payload.get("body"),
        draft,
        bool(payload.get("prerelease", False)),
    )
    body = gh._release_json(release)
    return _Response(201, body, {"Location": body["url"]})


_DISPATCH_DOC = "https://docs.github.com/rest/actions/workflows#create-a-workflow-dispatch-event"


def _dispatch_workflow(gh: GitHubStandIn, call: _Call) -> _Response:
    """POST .../actions/workflows/{workflow_id}/dispatches: 204 and a run queued; 404 for a
    workflow the repository lacks, 422 for one without the trigger or a ref that is not in
    the repository (GitHub's messages)."""
    payload = _parse_json(call)
    if isinstance(payload, _Response):
        return payload
    workflow = unquote(call.params["workflow_id"])
    if workflow not in gh.workflows:
        return _error(404, "Not Found", _DISPATCH_DOC)
    ref = payload.get("ref")
    if not isinstance(ref, str) or not ref:
        return _error(422, "Invalid request.", _DISPATCH_DOC)
    if not gh.workflows[workflow]:
        return _error(422, "Workflow does not have 'workflow_dispatch' trigger", _DISPATCH_DOC)
    if gh.origin is not None and not _ref_exists(gh.origin, ref):
        return _error(422, f"No ref found for: {ref}", _DISPATCH_DOC)
    with gh._lock:
        gh.dispatches.append((workflow, ref))
    return _Response(204)


def _ref_exists(origin: Path, ref: str) -> bool:
    done = subprocess.run(
        ["git", "-C", str(origin), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def _release_or_none(gh: GitHubStandIn, call: _Call) -> _Release | None:
    release_id = call.params["release_id"]
    return gh._releases.get(int(release_id)) if release_id.isdigit() else None


def _release_by_tag(gh: GitHubStandIn, call: _Call) -> _Response:
    for release in gh._releases.values():
        # Drafts have no tag yet as far as this endpoint is concerned.
        if release.tag_name == unquote(call.params["tag"]) and not release.draft:
            return _Response(200, gh._release_json(release))
    return _not_found()


def _get_release(gh: GitHubStandIn, call: _Call) -> _Response:
    release = _release_or_none(gh, call)
    return _Response(200, gh._release_json(release)) if release else _not_found()


def _update_release(gh: GitHubStandIn, call: _Call) -> _Response:
    release = _release_or_none(gh, call)
    if release is None:
        return _not_found()
    payload = _parse_json(call)
    if isinstance(payload, _Response):
        return payload
    invalid = _check_types(payload, _RELEASE_TYPES, nullable=("body", "name"))
    if invalid:
        return invalid
    tag = payload.get("tag_name") or release.tag_name
    draft = payload.get("draft", release.draft)
    if not draft and gh._published_with_tag(tag, release.id):
        return _tag_taken()
    release.tag_name, release.draft = tag, draft
    for name in ("target_commitish", "name", "body", "prerelease"):
        if name in payload:
            setattr(release, name, payload[name])
    if draft:
        release.published_at = None
    elif release.published_at is None:
        release.published_at = _now()
    release.updated_at = _now()
    return _Response(200, gh._release_json(release))


def _delete_release(gh: GitHubStandIn, call: _Call) -> _Response:
    release = _release_or_none(gh, call)
    if release is None:
        return _not_found()
    for asset in gh._release_assets(release.id):
        del gh._assets[asset.id]
    del gh._releases[release.id]
    return _Response(204)


def _list_assets(gh: GitHubStandIn, call: _Call) -> _Response:
    release = _release_or_none(gh, call)
    if release is None:
        return _not_found()
    return _paginate(gh, call, [gh._asset_json(a) for a in gh._release_assets(release.id)])


def _asset_taken() -> _Response:
    return _validation_failed(
        {"resource": "ReleaseAsset", "code": "already_exists", "field": "name"},
        doc="https://docs.github.com/rest/releases/assets#upload-a-release-asset",
    )


def _upload_asset(gh: GitHubStandIn, call: _Call) -> _Response:
    release = _release_or_none(gh, call)
    if release is None:
        return _not_found()
    raw_name = call.arg("name")
    if not raw_name:
        return _validation_failed(
            {"resource": "ReleaseAsset", "code": "missing_field", "field": "name"}
        )
    content_type = call.headers.get("Content-Type")
    if not content_type:
        return _validation_failed(
            {"resource": "ReleaseAsset", "code": "missing_field", "field": "content_type"}
        )
    name = _ASSET_NAME_UNSAFE.sub(".", raw_name).strip(".")
    if any(a.name == name for a in gh._release_assets(release.id)):
        return _asset_taken()
    asset = gh._new_asset(release.id, name, call.arg("label"), content_type, call.body)
    return _Response(201, gh._asset_json(asset))


def _asset_or_none(gh: GitHubStandIn, call: _Call) -> _Asset | None:
    asset_id = call.params["asset_id"]
    return gh._assets.get(int(asset_id)) if asset_id.isdigit() else None


def _get_asset(gh: GitHubStandIn, call: _Call) -> _Response:
    asset = _asset_or_none(gh, call)
    if asset is None:
        return _not_found()
    body = gh._asset_json(asset)
    if "application/octet-stream" in call.headers.get("Accept", ""):
        # GitHub redirects to the file's storage; here that is the download URL.
        return _Response(302, None, {"Location": body["browser_download_url"]})
    return _Response(200, body)


def _update_asset(gh: GitHubStandIn, call: _Call) -> _Response:
    asset = _asset_or_none(gh, call)
    if asset is None:
        return _not_found()
    payload = _parse_json(call)
    if isinstance(payload, _Response):
        return payload
    invalid = _check_types(payload, {"name": str, "label": str, "state": str})
    if invalid:
        return invalid
    name = payload.get("name", asset.name)
    if any(a.name == name and a.id != asset.id for a in gh._release_assets(asset.release_id)):
        return _asset_taken()
    asset.name, asset.label = name, payload.get("label", asset.label)
    asset.updated_at = _now()
    return _Response(200, gh._asset_json(asset))


def _delete_asset(gh: GitHubStandIn, call: _Call) -> _Response:
    asset = _asset_or_none(gh, call)
    if asset is None:
        return _not_found()
    del gh._assets[asset.id]
    return _Response(204)


def _routes(*table: tuple[str, str, Callable[[GitHubStandIn, _Call], _Response]]) -> list[Route]:
    return [(method, re.compile(_REPO + path), handler) for method, path, handler in table]


_ROUTES: dict[str, list[Route]] = {
    "api": _routes(
        ("GET", "/pulls", _list_pulls),
        ("POST", "/pulls", _create_pull),
        ("GET", "/pulls/(?P<number>[^/]+)", _get_pull),
        ("PATCH", "/pulls/(?P<number>[^/]+)", _update_pull),
        ("GET", "/releases", _list_releases),
        ("POST", "/releases", _create_release),
        ("GET", "/releases/tags/(?P<tag>.+)", _release_by_tag),
        ("GET", "/releases/assets/(?P<asset_id>[^/]+)", _get_asset),
        ("PATCH", "/releases/assets/(?P<asset_id>[^/]+)", _update_asset),
        ("DELETE", "/releases/assets/(?P<asset_id>[^/]+)", _delete_asset),
        ("GET", "/releases/(?P<release_id>[^/]+)", _get_release),
        ("PATCH", "/releases/(?P<release_id>[^/]+)", _update_release),
        ("DELETE", "/releases/(?P<release_id>[^/]+)", _delete_release),
        ("GET", "/releases/(?P<release_id>[^/]+)/assets", _list_assets),
        ("POST", "/actions/workflows/(?P<workflow_id>[^/]+)/dispatches", _dispatch_workflow),
    ),
    # The uploads host knows one thing only; the API host answers 404 to an upload.
    "uploads": _routes(("POST", "/releases/(?P<release_id>[^/]+)/assets", _upload_asset)),
}


# -- HTTP plumbing -------------------------------------------------------------------------
class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like the real API

    def version_string(self) -> str:
        return "GitHub.com"

    server: _Server

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PATCH = do_DELETE = do_PUT = do_GET  # noqa: N815 (names http.server calls)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests inspect `requests`, not a log."""

    def _read_body(self) -> bytes:
        return request_body(self)

    def _handle(self) -> None:
        split = urlsplit(self.path)
        request = RecordedRequest(
            server=self.server.kind,
            method=self.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers=CaseInsensitiveDict(dict(self.headers.items())),
            body=self._read_body(),
        )
        response = self.server.standin.handle(self.server.kind, request)
        if response is None:
            self.close_connection = True  # drop: no status line, no headers
            return
        self._send(response)

    def _send(self, response: _Response) -> None:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-GitHub-Api-Version-Selected": API_VERSIONS[0],
            "X-GitHub-Media-Type": "github.v3; format=json",
            **self.server.standin.rate_headers(),
            **response.headers,
        }
        if isinstance(response.body, bytes):
            payload = response.body
        elif isinstance(response.body, str):
            payload = response.body.encode()
        elif response.body is None:
            payload = b""
            if response.status in (204, 302):
                headers.pop("Content-Type")
        else:
            payload = json.dumps(response.body).encode()
        self.send_response(response.status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], standin: GitHubStandIn, kind: str) -> None:
        self.standin = standin
        self.kind = kind
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout, closed socket) is routine here, not an error.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _serve(standin: GitHubStandIn, kind: str, host: str, port: int) -> _Server:
    server = _Server((host, port), standin, kind)
    threading.Thread(target=server.serve_forever, name=f"github-{kind}", daemon=True).start()
    return server


def _url_of(server: _Server) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}"


# -- pytest fixtures -----------------------------------------------------------------------
@pytest.fixture(scope="session")
def github_server() -> Iterator[GitHubStandIn]:
    """The running stand-in (API and uploads servers on loopback) for the whole session."""
    with GitHubStandIn() as standin:
        yield standin


@pytest.fixture
def github_api(github_server: GitHubStandIn) -> GitHubStandIn:
    """The session's stand-in, emptied: no pulls, releases, faults or recorded requests."""
    github_server.reset()
    return github_server


# -- as a process ----------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.peers.github_api",
        description="Serve the GitHub REST API stand-in (API and uploads host) until "
        "SIGTERM or SIGINT. Prints one JSON line with its URLs, token and repository.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: %(default)s)"
    )
    parser.add_argument("--port", type=int, default=0, help="API port (default: 0, any free port)")
    parser.add_argument(
        "--uploads-port", type=int, default=0, help="uploads port (default: 0, any free port)"
    )
    parser.add_argument("--token", help="the one accepted token (default: a random one)")
    parser.add_argument(
        "--repository", default="octo-org/project", help="owner/name (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    if not re.fullmatch(r"[^/\s]+/[^/\s]+", args.repository):
        parser.error(f"--repository must look like owner/name, not {args.repository!r}")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        standin = GitHubStandIn(
            args.host, args.port, args.uploads_port, args.token, args.repository
        )
    except OSError as exc:
        print(f"{parser.prog}: error: cannot listen: {exc}", file=sys.stderr)
        return 1
    with standin:
        ready = {
            "api_url": standin.api_url,
            "uploads_url": standin.uploads_url,
            "token": standin.token,
            "repository": standin.repository,
        }
        print(json.dumps(ready), flush=True)
        while not stop.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
