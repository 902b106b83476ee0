"""The registry peers take real pushes from both engines, with auth, and keep apart."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.peers.engines import Engine
from tests.peers.registry import RegistryPair

pytestmark = pytest.mark.engine


def test_a_pushed_tag_shows_in_the_registry(engine: Engine, registry_pair: RegistryPair) -> None:
    registry = registry_pair.dockerhub
    local = f"releasekit-probe-{engine.name}:build"
    engine.build_scratch_image(local, {"hello.txt": "hello from releasekit\n"})
    remote = registry_pair.image(registry, "v1.2.3")

    login = engine.login(registry)
    engine.run("tag", local, remote)
    engine.run("push", remote)

    assert "Login Succeeded" in login.stdout
    assert registry.tags(registry_pair.repo) == ["v1.2.3"]
    assert (registry.manifest_digest(registry_pair.repo, "v1.2.3") or "").startswith("sha256:")


def test_a_scratch_image_holds_what_its_dockerfile_copies(engine: Engine, tmp_path: Path) -> None:
    context = tmp_path / "context"
    context.mkdir()
    (context / "Dockerfile").write_text("FROM scratch\nCOPY hello.txt /\n", encoding="utf-8")
    (context / "hello.txt").write_text("hello\n", encoding="utf-8")
    (context / "other.txt").write_text("not copied\n", encoding="utf-8")
    tag = f"releasekit-probe-{engine.name}:dockerfile"

    image_id = engine.build_scratch_image(tag, context)

    assert re.fullmatch(r"(sha256:)?[0-9a-f]{64}", image_id)
    assert engine.files_in_image(tag) == {"hello.txt"}


# What each engine says when the registry answers 401.
REFUSED_LOGIN = {"docker": "401 Unauthorized", "podman": "invalid username/password"}
REFUSED_PUSH = {"docker": "no basic auth credentials", "podman": "authentication required"}


def test_a_wrong_password_is_refused(engine: Engine, registry_pair: RegistryPair) -> None:
    login = engine.login(registry_pair.ghcr, password="not-the-password", check=False)

    assert login.returncode != 0
    assert REFUSED_LOGIN[engine.name] in login.stderr


def test_a_push_without_login_is_refused(engine: Engine, registry_pair: RegistryPair) -> None:
    # Also proves that no login leaks in from an earlier test: each test has its own.
    registry = registry_pair.ghcr
    remote = registry_pair.image(registry, "v1")
    engine.build_scratch_image(remote, {"hello.txt": "hello\n"})

    push = engine.run("push", remote, check=False)

    assert push.returncode != 0
    assert REFUSED_PUSH[engine.name] in push.stderr
    assert registry.tags(registry_pair.repo) == []


def test_the_two_registries_keep_separate_contents(
    engine: Engine, registry_pair: RegistryPair
) -> None:
    dockerhub, ghcr, repo = registry_pair.dockerhub, registry_pair.ghcr, registry_pair.repo
    unstable = registry_pair.image(dockerhub, "unstable")
    release = registry_pair.image(ghcr, "v1.0.0")
    engine.build_scratch_image(unstable, {"hello.txt": "unstable build\n"})
    engine.run("tag", unstable, release)
    engine.login(dockerhub)
    engine.login(ghcr)

    engine.run("push", unstable)
    engine.run("push", release)

    assert dockerhub.tags(repo) == ["unstable"]
    assert ghcr.tags(repo) == ["v1.0.0"]
    assert ghcr.manifest_digest(repo, "unstable") is None
    assert dockerhub.manifest_digest(repo, "v1.0.0") is None
