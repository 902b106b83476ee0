"""The image targets with the registries' real names: docker.io and ghcr.io, offline.

The images are named as users write them (`docker.io/acme/app`, `docker.io/app`,
`ghcr.io/acme/app`); the real-address proxy (tests/peers/real_addresses.py) plays
registry-1.docker.io and ghcr.io with TLS from the test CA, in front of the loopback registry
peers. Docker Hub's API host and its `library/` prefix are the kit's to get right: a call to
`docker.io` itself, or a path without `library/`, is a host the proxy refuses or a
repository the registry does not hold. skopeo (the OCI archive's push and every copy) and the
kit's manifest reads go through the proxy; each row asserts the hosts each step reached.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import BIN
from tests.peers.git_repos import GitRepo
from tests.peers.real_addresses import Answer, Exchange, RealAddresses, Service, TokenFlow
from tests.peers.registry import Registries
from tests.test_deploy_images import RELEASE_TAGS, Project, oci_release, one_line

NAMES = [
    # (IMAGES_EVERY_BUILD, IMAGES_RELEASE_ONLY, the repository on the Docker Hub registry)
    ("docker.io/acme/{n}", "ghcr.io/acme/{n}", "acme/{n}"),
    ("docker.io/{n}", "ghcr.io/acme/{n}", "library/{n}"),  # a one-part name: library/
    ("index.docker.io/acme/{n}", "ghcr.io/acme/{n}", "acme/{n}"),  # the legacy alias
]


@dataclass
class Flows:
    hub: TokenFlow
    ghcr: TokenFlow


@pytest.fixture
def flows(registries: Registries) -> Flows:
    """Docker Hub's token flow (realm auth.docker.io) and GHCR's (realm ghcr.io/token)."""
    hub, ghcr = registries.dockerhub, registries.ghcr
    return Flows(
        TokenFlow("https://auth.docker.io/token", "registry.docker.io", hub.username, hub.password),
        TokenFlow("https://ghcr.io/token", "ghcr.io", ghcr.username, ghcr.password),
    )


@pytest.fixture
def proxy(registries: Registries, flows: Flows, tmp_path: Path) -> Iterator[RealAddresses]:
    services = {
        **flows.hub.services("registry-1.docker.io", registries.dockerhub.url),
        **flows.ghcr.services("ghcr.io", registries.ghcr.url),
    }
    proxy = RealAddresses(tmp_path / "proxy", services)
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.mark.parametrize(("hub", "ghcr", "stored"), NAMES, ids=[row[0] for row in NAMES])
def test_the_image_targets_reach_the_registries_api_hosts(
    hub: str,
    ghcr: str,
    stored: str,
    registries: Registries,
    flows: Flows,
    proxy: RealAddresses,
    repo: GitRepo,
) -> None:
    name = f"rk-{uuid.uuid4().hex[:10]}"
    env = {
        **proxy.env(),
        "IMAGES_EVERY_BUILD": hub.format(n=name),
        "IMAGES_RELEASE_ONLY": ghcr.format(n=name),
        "DOCKERHUB_USERNAME": registries.dockerhub.username,
        "DOCKERHUB_TOKEN": registries.dockerhub.password,
        "GHCR_USERNAME": registries.ghcr.username,
        "GHCR_TOKEN": registries.ghcr.password,
    }
    project = Project(repo, registries.dockerhub, registries.ghcr, name, env)
    digest = oci_release(project, repo)

    steps = {}
    for step in ("dockerhub", "ghcr", "verify"):
        proxy.seen.clear()
        done = project.deploy(step)
        assert done.returncode == 0, done.stdout + done.stderr
        assert registries.dockerhub.password not in done.stdout + done.stderr
        steps[step] = set(proxy.hosts())

    # Every step looks at both registries (the built image under any planned tag: copy,
    # don't push; GHCR copies from Docker Hub by digest), each through its token flow.
    every = {"registry-1.docker.io", "auth.docker.io", "ghcr.io"}
    assert steps == {"dockerhub": every, "ghcr": every, "verify": every}
    assert flows.hub.issued and flows.ghcr.issued
    assert proxy.refused == []
    assert registries.dockerhub.tags(stored.format(n=name)) == RELEASE_TAGS
    assert registries.ghcr.tags(f"acme/{name}") == RELEASE_TAGS
    assert registries.dockerhub.manifest_digest(stored.format(n=name), "v1.1.0") == digest
    assert "verify-images" in one_line(project.deploy("verify"))


FOLDER_REMOVED = "the private credentials folder is removed; run it again"
TERMINATED = f"push_image.py: error: terminated: {FOLDER_REMOVED}"
INTERRUPTED = f"push_image.py: error: interrupted: {FOLDER_REMOVED}"
# (signal, to the whole process group, exit status, the one line): a runner cancelling the
# job; Ctrl-C at a terminal (the group: skopeo gets it too) or sent to the step alone
INTERRUPTIONS = [
    (signal.SIGTERM, False, 143, TERMINATED),
    (signal.SIGINT, False, 130, INTERRUPTED),
    (signal.SIGINT, True, 130, INTERRUPTED),
]


@pytest.mark.parametrize(
    ("sig", "group", "status", "line"), INTERRUPTIONS, ids=["term", "int", "int-group"]
)
def test_a_signal_mid_push_leaves_no_credential_behind(
    registries: Registries,
    repo: GitRepo,
    tmp_path: Path,
    sig: int,
    group: bool,
    status: int,
    line: str,
) -> None:
    """A signal while skopeo pushes: one line, its exit status, and the private credentials
    folder is gone; a re-run finishes the job. The manifest PUT is held until it has landed."""
    arrived, released = threading.Event(), threading.Event()

    def hold_manifest(exchange: Exchange) -> Answer | None:
        if exchange.method == "PUT" and "/manifests/" in exchange.path:
            arrived.set()
            released.wait(30)
        return None

    services = {"registry-1.docker.io": Service(registries.dockerhub.url, front=hold_manifest)}
    proxy = RealAddresses(tmp_path / "proxy", services)
    temp, config = tmp_path / "tmp", tmp_path / "docker-config"
    temp.mkdir()
    config.mkdir()
    (config / "config.json").write_text("{}", encoding="utf-8")
    name = f"rk-{uuid.uuid4().hex[:10]}"
    env = {
        **proxy.env(),
        "TMPDIR": str(temp),
        "DOCKER_CONFIG": str(config),
        "IMAGES_EVERY_BUILD": f"docker.io/acme/{name}",
        "IMAGES_RELEASE_ONLY": "",
        "DOCKERHUB_USERNAME": registries.dockerhub.username,
        "DOCKERHUB_TOKEN": registries.dockerhub.password,
    }
    project = Project(repo, registries.dockerhub, registries.ghcr, name, env)
    oci_release(project, repo)
    venv_bin = str(Path(sys.executable).parent)
    try:
        running = subprocess.Popen(
            [str(BIN / "deploy-image"), "dockerhub"],
            cwd=repo.path,
            env={**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}", **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=group,
        )
        assert arrived.wait(60), "the push never reached the manifest PUT"
        assert [p.name for p in temp.iterdir() if p.name.startswith("push-image-")]
        if group:
            os.killpg(running.pid, sig)
        else:
            running.send_signal(sig)
        _out, err = running.communicate(timeout=60)
    finally:
        released.set()
    assert running.returncode == status, err
    assert err.strip().splitlines() == [line]
    assert list(temp.iterdir()) == []
    assert (config / "config.json").read_text(encoding="utf-8") == "{}"

    again = project.deploy("dockerhub")
    proxy.close()
    assert again.returncode == 0, again.stderr
    assert registries.dockerhub.tags(f"acme/{name}") == RELEASE_TAGS
    assert list(temp.iterdir()) == []
