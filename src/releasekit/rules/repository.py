"""OWNER/REPO: a given one checked as GitHub names them, else read from a remote's URL as
`gh` reads it."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

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
