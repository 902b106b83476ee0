"""The real services' addresses: every default URL and host the kit uses, in one table.

Each is what the service documents; a setting (GITHUB_API_URL, PYPI_REPOSITORY_URL, ...)
points a step elsewhere (GitHub Enterprise, a private index, a local stand-in).
docs/configuration.md lists them; tests/test_contract.py holds this table to that list."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

# GitHub's REST API (https://docs.github.com/en/rest); GitHub Enterprise Server sets
# GITHUB_API_URL to https://HOST/api/v3 in its runners. Release assets go to the release's
# own `upload_url` (uploads.github.com on github.com).
GITHUB_API_URL = "https://api.github.com"
GITHUB_UPLOADS_HOST = "uploads.github.com"


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


# Docker Hub: image names say `docker.io` (or `index.docker.io`), its registry API answers at
# registry-1.docker.io, and a one-part name is `library/NAME` (distribution/reference's
# normalize.go: defaultDomain, legacyDefaultDomain, defaultRepoPrefix). Its tokens come from
# auth.docker.io (https://docs.docker.com/registry/spec/auth/token/).
DOCKER_HUB_NAMES = ("docker.io", "index.docker.io")
DOCKER_HUB_REGISTRY = "registry-1.docker.io"
DOCKER_HUB_AUTH = "auth.docker.io"
DOCKER_HUB_LIBRARY = "library"
# The GitHub Container Registry (https://docs.github.com/en/packages/working-with-a-github-
# packages-registry/working-with-the-container-registry).
GHCR = "ghcr.io"
