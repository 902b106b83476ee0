"""Two CNCF distribution registries on loopback (stand-ins for Docker Hub and GHCR).

Also the small process helpers that every loopback peer (pypiserver, registries, dockerd)
shares: a free port, waiting for a listener, a hard stop, and a clear failure when a peer's
program is not installed.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import bcrypt
import pytest

from tests.peers.processes import free_port, port_is_open, require_program, stop_process

# Every manifest kind an engine may push: Docker v2 schema 2 (docker), OCI (podman), and lists.
MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
    )
)


# --- the registries --------------------------------------------------------------------------


@dataclass(frozen=True)
class Registry:
    """One running registry: `host` is what image references start with."""

    name: str
    host: str
    username: str
    password: str

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def _get(self, path: str, method: str = "GET") -> urllib.request.Request:
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        request = urllib.request.Request(f"{self.url}{path}", method=method)
        request.add_header("Authorization", f"Basic {token}")
        request.add_header("Accept", MANIFEST_TYPES)
        return request

    def tags(self, repo: str) -> list[str]:
        """The repository's tags, sorted; [] when the registry has never seen it."""
        try:
            with urllib.request.urlopen(self._get(f"/v2/{repo}/tags/list"), timeout=10) as reply:
                body = json.load(reply)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return []
            raise
        return sorted(body.get("tags") or [])

    def manifest_digest(self, repo: str, tag: str) -> str | None:
        """The `sha256:...` digest the tag points at, or None when there is no such tag."""
        request = self._get(f"/v2/{repo}/manifests/{tag}", method="HEAD")
        try:
            with urllib.request.urlopen(request, timeout=10) as reply:
                digest: str = reply.headers["Docker-Content-Digest"]
                return digest
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise


class Registries(NamedTuple):
    dockerhub: Registry
    ghcr: Registry


@dataclass(frozen=True)
class RegistryPair:
    """Both registries and a repository name that belongs to one test alone."""

    dockerhub: Registry
    ghcr: Registry
    repo: str

    def image(self, registry: Registry, tag: str | None = None) -> str:
        """`host/repo` or `host/repo:tag` on the given registry."""
        ref = f"{registry.host}/{self.repo}"
        return f"{ref}:{tag}" if tag else ref


def _write_config(root: Path, port: int, username: str, password: str) -> Path:
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
    htpasswd = root / "htpasswd"
    htpasswd.write_text(f"{username}:{hashed}\n", encoding="utf-8")
    config = root / "config.yml"
    # docker-registry reads YAML; JSON is YAML, and needs no extra library here.
    settings = {
        "version": 0.1,
        "log": {"level": "warn", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(root / "data")}},
        "http": {"addr": f"127.0.0.1:{port}"},
        "auth": {"htpasswd": {"realm": "releasekit-tests", "path": str(htpasswd)}},
    }
    config.write_text(json.dumps(settings), encoding="utf-8")
    return config


@dataclass
class _Running:
    registry: Registry
    process: subprocess.Popen[bytes]


def _start_registry(program: str, name: str, root: Path) -> _Running:
    """Start one registry on a fresh port (retrying if another process took the port first)."""
    username, password = f"{name}-user", f"{name}-pass-{uuid.uuid4().hex[:8]}"
    for _attempt in range(3):
        port = free_port()
        config = _write_config(root, port, username, password)
        log = root / "registry.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [program, "serve", str(config)], stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 15
        while process.poll() is None and not port_is_open(port) and time.monotonic() < deadline:
            time.sleep(0.05)
        if process.poll() is None and port_is_open(port):
            return _Running(Registry(name, f"127.0.0.1:{port}", username, password), process)
        stop_process(process)
    tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
    pytest.fail(f"docker-registry ({name}) did not come up:\n{tail}")


@pytest.fixture(scope="session")
def registries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registries]:
    """Two registries with htpasswd auth, one per remote the kit pushes to."""
    with serve_registries(tmp_path_factory.mktemp("registries")) as pair:
        yield pair


@contextlib.contextmanager
def serve_registries(root: Path) -> Iterator[Registries]:
    """Start the `dockerhub` and `ghcr` registries with their data under `root`; stop on exit."""
    program = require_program("docker-registry", "the Debian package docker-registry")
    running = []
    for name in ("dockerhub", "ghcr"):
        (root / name).mkdir(parents=True, exist_ok=True)
        running.append(_start_registry(program, name, root / name))
    try:
        yield Registries(running[0].registry, running[1].registry)
    finally:
        for item in running:
            stop_process(item.process)


def unique_repo(nodeid: str) -> str:
    """A repository name valid for the registry API and unique to this test."""
    slug = re.sub(r"[^a-z0-9]+", "-", nodeid.rsplit("::", 1)[-1].lower()).strip("-")[:40]
    return f"releasekit/{slug or 'test'}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def registry_pair(registries: Registries, request: pytest.FixtureRequest) -> RegistryPair:
    """The session's registries plus a repository name no other test uses."""
    return RegistryPair(registries.dockerhub, registries.ghcr, unique_repo(request.node.nodeid))
