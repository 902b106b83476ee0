"""The real services' addresses: every default URL and host the kit uses, in one table.

Each is what the service documents; a setting (GITHUB_API_URL, PYPI_REPOSITORY_URL, ...)
points a step elsewhere (GitHub Enterprise, a private index, a local stand-in)."""

from __future__ import annotations

# GitHub's REST API (https://docs.github.com/en/rest); GitHub Enterprise Server sets
# GITHUB_API_URL to https://HOST/api/v3 in its runners. Release assets go to the release's
# own `upload_url` (uploads.github.com on github.com).
GITHUB_API_URL = "https://api.github.com"
GITHUB_UPLOADS_HOST = "uploads.github.com"
