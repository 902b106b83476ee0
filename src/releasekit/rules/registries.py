"""Where a registry call goes for an image name, as the container tools decide it.

An image name's first part is its registry as people write it; the API answers elsewhere
for Docker Hub (`docker.io` and `index.docker.io` -> registry-1.docker.io, one-part paths
under `library/`: distribution/reference's normalize.go). Plain HTTP without TLS checks is
for loopback registries only (127.0.0.0/8, localhost, ::1, parsed as addresses, never by
prefix) and for hosts named in INSECURE_REGISTRIES."""

from __future__ import annotations

import ipaddress
from collections.abc import Collection

from releasekit.rules.endpoints import DOCKER_HUB_LIBRARY, DOCKER_HUB_NAMES, DOCKER_HUB_REGISTRY


def api_host(host: str) -> str:
    """The host that answers the registry API for images named under `host`."""
    return DOCKER_HUB_REGISTRY if host.lower() in DOCKER_HUB_NAMES else host


def api_path(host: str, path: str) -> str:
    """The repository path the registry API knows: Docker Hub's one-part names are library/."""
    if host.lower() in DOCKER_HUB_NAMES and "/" not in path:
        return f"{DOCKER_HUB_LIBRARY}/{path}"
    return path


def host_name(host: str) -> str:
    """`host[:port]` or `[v6]:port` without its port and brackets."""
    if host.startswith("["):
        return host[1:].split("]", 1)[0]
    name, colon, port = host.rpartition(":")
    return name if colon and port.isdigit() else host


def is_loopback(host: str) -> bool:
    """Whether `host[:port]` is this machine: localhost, or a loopback address."""
    name = host_name(host).lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False  # a name (127.evil.example is one), never a loopback address


def plain_http(host: str, insecure: Collection[str] = ()) -> bool:
    """Whether calls to `host` go without TLS verification (plain HTTP where it answers so)."""
    return is_loopback(host) or host in insecure or host_name(host) in insecure


def insecure_registries(value: str | None) -> tuple[str, ...]:
    """INSECURE_REGISTRIES: comma- or space-separated hosts, as written."""
    return tuple(part for part in (value or "").replace(",", " ").split() if part)
