"""`make image`: built from the wheel, labelled, for each platform asked; pushed as one index."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, SCRIPTS, load_script, run_bin
from tests.kit_checkout import copy_checkout, make
from tests.peers.engines import Engine
from tests.peers.git_repos import GitRepo
from tests.peers.pypi import make_wheel
from tests.peers.registry import MANIFEST_TYPES, RegistryPair

pytestmark = pytest.mark.engine

SCRATCH_DOCKERFILE = "FROM scratch\nCOPY dist/ /dist/\n"
LABEL = "org.opencontainers.image."


def scratch_project(repo: GitRepo) -> Path:
    """A project whose Dockerfile starts FROM scratch, with a wheel in dist/."""
    repo.commit("feat: tiny", files={"Dockerfile": SCRATCH_DOCKERFILE, ".gitignore": "build/\n"})
    make_wheel(repo.path / "dist", "tiny-thing", "1.4.0")
    return repo.path


def commit_time(repo: GitRepo) -> str:
    epoch = int(repo.git("log", "-1", "--format=%ct"))
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def image_env(engine: Engine, **more: str) -> dict[str, str]:
    return {**engine.env, "DOCKER": engine.name, **more}


def labels_of(engine: Engine, ref: str) -> dict[str, str]:
    shown = engine.run("image", "inspect", "--format", "{{json .Config.Labels}}", ref).stdout
    found: dict[str, str] = json.loads(shown) or {}
    return found


@dataclass(frozen=True)
class LabelCase:
    name: str
    env: dict[str, str] = field(default_factory=dict)
    expected: dict[str, str] = field(default_factory=dict)


LABEL_CASES = [
    LabelCase(
        "from the wheel and local git",
        {},
        {"version": "1.4.0", "title": "tiny-thing"},
    ),
    LabelCase(
        "from Actions' variables",
        {
            "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
            "GITHUB_REPOSITORY": "octo/tiny",
            "GITHUB_SERVER_URL": "https://github.example",
            "SOURCE_DATE_EPOCH": "1700000600",
            "IMAGE_LOCAL": "localhost/tiny-custom:ci",
        },
        {
            "revision": "0123456789abcdef0123456789abcdef01234567",
            "source": "https://github.example/octo/tiny",
            "created": "2023-11-14T22:23:20Z",
        },
    ),
]


@pytest.mark.parametrize("case", LABEL_CASES, ids=[c.name for c in LABEL_CASES])
def test_a_scratch_image_carries_the_oci_labels(
    engine: Engine, repo: GitRepo, case: LabelCase
) -> None:
    path = scratch_project(repo)
    result = run_bin("image", cwd=path, env=image_env(engine, **case.env))
    assert result.returncode == 0, result.stderr
    record = json.loads((path / "build" / "image.json").read_text(encoding="utf-8"))
    local = case.env.get("IMAGE_LOCAL", "localhost/tiny-thing:local")
    assert record["local"] == local
    assert record["engine"] == engine.name
    assert record["kind"] == "image"
    assert record["platforms"] == ["linux/amd64"]
    assert (
        record["id"] == engine.run("image", "inspect", "--format", "{{.Id}}", local).stdout.strip()
    )
    labels = labels_of(engine, local)
    expected = {
        "version": "1.4.0",
        "title": "tiny-thing",
        "description": "A tiny distribution for the releasekit tests",
        "revision": repo.head(),
        "source": repo.git("remote", "get-url", "origin"),
        "licenses": None,  # the wheel names no license: the label is left out
        "created": commit_time(repo),
        **case.expected,
    }
    for key, value in expected.items():
        assert labels.get(LABEL + key) == value, (key, labels)
    assert engine.files_in_image(local) == {"dist/tiny_thing-1.4.0-py3-none-any.whl"}


def manifest_of(pair: RegistryPair, reference: str) -> dict[str, Any]:
    """The manifest (or index) a tag or digest names in the Docker Hub stand-in."""
    registry = pair.dockerhub
    request = urllib.request.Request(f"{registry.url}/v2/{pair.repo}/manifests/{reference}")
    token = base64.b64encode(f"{registry.username}:{registry.password}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    request.add_header("Accept", MANIFEST_TYPES)
    with urllib.request.urlopen(request, timeout=10) as reply:
        body: dict[str, Any] = json.load(reply)
    return body


def index_platforms(pair: RegistryPair, tag: str) -> tuple[str, list[str]]:
    """The media type of the tag's manifest and the platforms its index lists."""
    body = manifest_of(pair, tag)
    platforms = [
        f"{m['platform']['os']}/{m['platform']['architecture']}" for m in body.get("manifests", [])
    ]
    return body["mediaType"], sorted(platforms)


def index_configs(pair: RegistryPair, tag: str) -> set[str]:
    """The config digests of the platform manifests the tag's index lists."""
    index = manifest_of(pair, tag)
    return {manifest_of(pair, m["digest"])["config"]["digest"] for m in index["manifests"]}


def test_a_two_platform_build_pushes_one_index_listing_both(
    engine: Engine, repo: GitRepo, registry_pair: RegistryPair
) -> None:
    path = scratch_project(repo)
    env = image_env(engine, PLATFORMS="linux/amd64,linux/arm64")
    built = run_bin("image", cwd=path, env=env)
    assert built.returncode == 0, built.stderr
    record = json.loads((path / "build" / "image.json").read_text(encoding="utf-8"))
    assert sorted(record["platforms"]) == ["linux/amd64", "linux/arm64"]
    assert record["kind"] == ("list" if engine.name == "podman" else "per-platform")
    assert sorted(record["per_platform"]) == ["linux/amd64", "linux/arm64"]
    engine.login(registry_pair.dockerhub)
    dest = registry_pair.image(registry_pair.dockerhub, "unstable")
    pushed = subprocess.run(
        [sys.executable, str(SCRIPTS / "build_image.py"), "push", dest],
        cwd=path,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert pushed.returncode == 0, pushed.stderr
    media_type, platforms = index_platforms(registry_pair, "unstable")
    assert media_type.endswith(("manifest.list.v2+json", "image.index.v1+json"))
    assert platforms == ["linux/amd64", "linux/arm64"]
    digest = registry_pair.dockerhub.manifest_digest(registry_pair.repo, "unstable")
    assert pushed.stdout.strip() == digest
    # How push_image.py knows the list again: its platforms' images, as recorded.
    ids = {entry["id"] for entry in record["per_platform"].values()}
    assert index_configs(registry_pair, "unstable") == ids


# ---- the kit's own image, on the Debian-made base, run for real -------------------------------


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    checkout = copy_checkout(tmp_path_factory.mktemp("kit-image"))
    result = make(checkout, "build", env={"BUILD_NO_ISOLATION": "1"})
    assert result.returncode == 0, result.stderr
    return checkout


def test_the_kits_image_runs_its_command_on_the_debian_base(
    kit: Path, base_image: str, docker_daemon: dict[str, str]
) -> None:
    # The dependencies would come from the index; offline, the wheel alone goes in, and
    # `--version` needs nothing else.
    env = {
        **docker_daemon,
        "DOCKER": "docker",
        "BASE_IMAGE": base_image,
        "IMAGE_LOCAL": "localhost/releasekit-kit:test",
        "IMAGE_PIP_OPTIONS": "--no-index --no-deps",
        "BUILD_NO_ISOLATION": "1",
    }
    built = make(kit, "image", env=env)
    assert built.returncode == 0, built.stderr
    record = json.loads((kit / "build" / "image.json").read_text(encoding="utf-8"))
    version = record["version"]
    assert record["labels"][LABEL + "title"] == "releasekit"
    ran = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            "none",
            record["local"],
            "releasekit-build",
            "--version",
        ],
        env={**os.environ, **docker_daemon},
        capture_output=True,
        text=True,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split() == ["build_dist.py", version]


# (the wheel's METADATA license fields) -> the org.opencontainers.image.licenses label ("": none)
LICENSES = [
    ({"License-Expression": "MIT"}, "MIT"),
    ({"License-Expression": "apache-2.0 OR mit"}, "Apache-2.0 OR MIT"),  # canonical form
    ({"License": "BSD-3-Clause"}, "BSD-3-Clause"),  # the old field, when it is SPDX
    ({"License": "mit"}, "MIT"),
    ({"License": "Copyright (c) 2010 Someone\n\nPermission is hereby granted..."}, ""),
    ({"License": "MIT License"}, ""),  # a name, not an SPDX identifier
    ({}, ""),
]


@pytest.mark.parametrize(
    ("metadata", "label"), LICENSES, ids=[row[1] or "none" for row in LICENSES]
)
def test_the_licenses_label_is_an_spdx_expression(metadata: dict[str, str], label: str) -> None:
    assert load_script("build_image").spdx_license(metadata) == label


def test_an_offline_build_installs_the_dependencies_from_the_wheelhouse(
    repo: GitRepo, base_image: str, docker_daemon: dict[str, str]
) -> None:
    """IMAGE_WHEELHOUSE: pip installs from the wheels it copied into the context, no index."""
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    repo.commit("feat: app", files={"Dockerfile": dockerfile, ".gitignore": "build/\nwheels/\n"})
    make_wheel(
        repo.path / "dist",
        "tiny-app",
        "1.0.0",
        headers="Requires-Dist: tiny-dep\nLicense-Expression: MIT\n",
    )
    make_wheel(repo.path / "wheels", "tiny-dep", "2.0.0")
    env = {
        **docker_daemon,
        "DOCKER": "docker",
        "BASE_IMAGE": base_image,
        "IMAGE_LOCAL": "localhost/tiny-app:offline",
        "IMAGE_WHEELHOUSE": "wheels",
    }
    built = run_bin("image", cwd=repo.path, env=env)
    assert built.returncode == 0, built.stdout + built.stderr
    ran = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "localhost/tiny-app:offline",
         "python", "-c", "import tiny_app, tiny_dep; print(tiny_app.VERSION, tiny_dep.VERSION)"],
        env={**os.environ, **docker_daemon}, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert (ran.returncode, ran.stdout.split()) == (0, ["1.0.0", "2.0.0"]), ran.stderr
    record = json.loads((repo.path / "build" / "image.json").read_text(encoding="utf-8"))
    assert record["labels"][LABEL + "licenses"] == "MIT"
