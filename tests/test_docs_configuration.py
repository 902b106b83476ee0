"""docs/configuration.md documents every Make variable of releasekit.mk and every
[tool.releasekit] key: one row per name, so a new variable without a line fails here."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT, load_script

DOC = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
VARIABLES = sorted(
    set(re.findall(r"^([A-Z][A-Z0-9_]*)\s*\?=", (ROOT / "releasekit.mk").read_text(), re.M))
)
KEYS = sorted(load_script("project_config").KEYS)


@pytest.mark.parametrize("name", VARIABLES)
def test_every_make_variable_is_documented(name: str) -> None:
    assert f"| `{name}` |" in DOC, f"add a row for {name} to docs/configuration.md"


@pytest.mark.parametrize("key", KEYS)
def test_every_tool_releasekit_key_is_documented(key: str) -> None:
    assert f"| `{key}` |" in DOC, f"add a row for tool.releasekit.{key} to docs/configuration.md"


def _endpoints() -> list[str]:
    from releasekit.rules import endpoints

    values = [endpoints.GITHUB_API_URL, endpoints.GITHUB_UPLOADS_HOST, endpoints.GHCR]
    values += [endpoints.DOCKER_HUB_REGISTRY, endpoints.DOCKER_HUB_AUTH]
    for index in endpoints.INDEXES:
        values += [index.upload_url, index.simple_url]
    return values


@pytest.mark.parametrize("address", _endpoints())
def test_every_real_endpoint_is_listed(address: str) -> None:
    assert f"`{address}`" in DOC, f"list {address} in docs/configuration.md's address table"
