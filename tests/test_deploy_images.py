"""deploy-dockerhub, deploy-ghcr, verify-images and plan, end to end on the real peers.

The Docker Hub stand-in is the session's registry (the one podman knows as insecure: the engine
pushes there). The GHCR stand-in is a registry of this module that a test can stop and start
again on the same port, with its access log on, so that blob uploads can be counted.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import subprocess
import tarfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import bcrypt
import pytest

from tests.conftest import run_bin
from tests.peers.engines import Engine
from tests.peers.git_repos import GitRepo
from tests.peers.processes import free_port, port_is_open, require_program, stop_process, wait_until
from tests.peers.pypi import make_wheel
from tests.peers.registry import Registries, Registry, unique_repo

# ---- a GHCR stand-in that can be stopped mid-deploy --------------------------------------------


@dataclass
class OwnRegistry:
    """docker-registry on a fixed port with htpasswd and an access log; stop() and start()."""

    root: Path
    port: int = field(default_factory=free_port)
    password: str = field(default_factory=lambda: f"ghcr-pass-{uuid.uuid4().hex[:8]}")
    process: subprocess.Popen[bytes] | None = None

    @property
    def registry(self) -> Registry:
        return Registry("ghcr", f"127.0.0.1:{self.port}", "ghcr-user", self.password)

    def start(self) -> None:
        hashed = bcrypt.hashpw(self.password.encode(), bcrypt.gensalt(rounds=4)).decode()
        (self.root / "htpasswd").write_text(f"ghcr-user:{hashed}\n", encoding="utf-8")
        settings = {
            "version": 0.1,
            "log": {"level": "warn", "accesslog": {"disabled": False}},
            "storage": {"filesystem": {"rootdirectory": str(self.root / "data")}},
            "http": {"addr": f"127.0.0.1:{self.port}"},
            "auth": {"htpasswd": {"realm": "ghcr", "path": str(self.root / "htpasswd")}},
        }
        (self.root / "config.yml").write_text(json.dumps(settings), encoding="utf-8")
        program = require_program("docker-registry", "the Debian package docker-registry")
        with (self.root / "access.log").open("ab") as log:
            self.process = subprocess.Popen(
                [program, "serve", str(self.root / "config.yml")], stdout=log, stderr=log
            )
        wait_until(
            lambda: port_is_open(self.port),
            self.process,
            "the GHCR stand-in",
            self.root / "access.log",
            limit=15,
        )

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None

    def blob_uploads(self) -> int:
        """How many blob uploads were started (POST .../blobs/uploads/) since the start."""
        text = (self.root / "access.log").read_text(encoding="utf-8", errors="replace")
        return sum('"POST /v2/' in line and "/blobs/uploads/" in line for line in text.splitlines())

    def manifest_puts(self) -> int:
        """How many manifests were put (PUT .../manifests/REF) since the start."""
        text = (self.root / "access.log").read_text(encoding="utf-8", errors="replace")
        return sum('"PUT /v2/' in line and "/manifests/" in line for line in text.splitlines())


@pytest.fixture(scope="module")
def own_ghcr(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnRegistry]:
    own = OwnRegistry(tmp_path_factory.mktemp("own-ghcr"))
    own.start()
    try:
        yield own
    finally:
        own.stop()


# ---- a project with a built image ------------------------------------------------------------


@dataclass
class Project:
    repo: GitRepo
    hub: Registry
    ghcr: Registry
    name: str  # repository path on both registries
    env: dict[str, str]

    def deploy(self, step: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return run_bin("deploy-image", step, cwd=self.repo.path, env={**self.env, **extra})

    def tags(self, registry: Registry) -> list[str]:
        """The published tags; docker's per-platform pushes also leave TAG-os-arch (aside)."""
        return [t for t in registry.tags(self.name) if not PLATFORM_TAG.search(t)]

    def digests(self, registry: Registry) -> set[str | None]:
        return {registry.manifest_digest(self.name, tag) for tag in self.tags(registry)}


def make_project(repo: GitRepo, hub: Registry, ghcr: Registry, nodeid: str, **env: str) -> Project:
    name = unique_repo(nodeid)
    base = {
        "IMAGES_EVERY_BUILD": f"{hub.host}/{name}",
        "IMAGES_RELEASE_ONLY": f"{ghcr.host}/{name}",
        "DOCKERHUB_USERNAME": hub.username,
        "DOCKERHUB_TOKEN": hub.password,
        "GHCR_USERNAME": ghcr.username,
        "GHCR_TOKEN": ghcr.password,
    }
    return Project(repo, hub, ghcr, name, {**base, **env})


def build_image(engine: Engine, project: Project, record: bool) -> str:
    """A FROM-scratch image for this test; with `record`, build/image.json like `make image`."""
    local = f"rk-images-{engine.name}:{uuid.uuid4().hex[:12]}"
    image_id = engine.build_scratch_image(local, {"hello.txt": f"{uuid.uuid4()}\n"})
    project.env.update(engine.env, DOCKER=engine.name)
    if record:
        (project.repo.path / "build").mkdir(exist_ok=True)
        record_file = project.repo.path / "build" / "image.json"
        record_file.write_text(
            json.dumps({"local": local, "id": image_id, "platforms": ["linux/amd64"]}),
            encoding="utf-8",
        )
    else:
        project.env["IMAGE_LOCAL"] = local
    return image_id


def build_two_platform_image(engine: Engine, project: Project) -> None:
    """`make image` for linux/amd64 and linux/arm64: a podman list, or docker's per-platform
    images (FROM scratch: nothing runs, so no emulator is needed)."""
    files = {"Dockerfile": "FROM scratch\nCOPY dist/ /dist/\n", ".gitignore": "build/\n"}
    project.repo.commit("feat: tiny", files=files)
    make_wheel(project.repo.path / "dist", "tiny-thing", "1.4.0")
    local = f"localhost/rk-list-{engine.name}:{uuid.uuid4().hex[:12]}"
    project.env.update(engine.env, DOCKER=engine.name, IMAGE_LOCAL=local)
    env = {**project.env, "PLATFORMS": "linux/amd64,linux/arm64"}
    built = run_bin("image", cwd=project.repo.path, env=env)
    assert built.returncode == 0, built.stderr


def build_one_platform_image(engine: Engine, project: Project) -> None:
    build_image(engine, project, record=True)


# A build's shape -> how a test builds it (build/image.json, like `make image`).
BUILDS: dict[str, Callable[[Engine, Project], None]] = {
    "one platform": build_one_platform_image,
    "two platforms": build_two_platform_image,
}
PLATFORM_TAG = re.compile(r"-linux-[a-z0-9]+$")


def tag_release(repo: GitRepo, older: str, tag: str) -> None:
    repo.git("tag", older)
    repo.git("commit", "--allow-empty", "-m", "feat: more")
    repo.git("tag", tag)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout + result.stderr
    return lines[0]


RELEASE_TAGS = ["latest", "v1.1", "v1.1.0"]


@pytest.mark.engine
@pytest.mark.parametrize("build", BUILDS)
def test_a_release_tag_publishes_every_tag_to_both_registries_with_one_digest(
    engine: Engine,
    registries: Registries,
    own_ghcr: OwnRegistry,
    repo: GitRepo,
    request: pytest.FixtureRequest,
    build: str,
) -> None:
    project = make_project(repo, registries.dockerhub, own_ghcr.registry, request.node.nodeid)
    BUILDS[build](engine, project)
    tag_release(repo, "v1.0.0", "v1.1.0")
    project.env["GITHUB_REF"] = "refs/tags/v1.1.0"

    hub = project.deploy("dockerhub")
    ghcr = project.deploy("ghcr")

    assert hub.returncode == 0 and ghcr.returncode == 0, hub.stderr + ghcr.stderr
    assert project.tags(project.hub) == RELEASE_TAGS
    assert project.tags(project.ghcr) == RELEASE_TAGS
    [digest] = project.digests(project.hub) | project.digests(project.ghcr)
    assert f": {digest}: pushed " in one_line(hub)
    assert f": {digest}: copied from " in one_line(ghcr)
    verify = project.deploy("verify")
    assert verify.returncode == 0, verify.stderr
    assert one_line(verify).startswith(f"verify-images: {digest}: ")

    # A re-run pushes and uploads nothing: every tag is already right (a list is known by
    # its platforms' images, not pushed again).
    uploads, puts = own_ghcr.blob_uploads(), own_ghcr.manifest_puts()
    again = [project.deploy("dockerhub"), project.deploy("ghcr")]

    assert [r.returncode for r in again] == [0, 0], again[0].stderr + again[1].stderr
    for result in again:
        assert "copied 0, already right 3" in one_line(result)
        assert "pushed" not in result.stdout
    assert (own_ghcr.blob_uploads(), own_ghcr.manifest_puts()) == (uploads, puts)
    assert project.digests(project.hub) | project.digests(project.ghcr) == {digest}


@pytest.mark.engine
def test_a_base_branch_push_puts_unstable_in_the_docker_hub_stand_in_only(
    engine: Engine, registries: Registries, repo: GitRepo, request: pytest.FixtureRequest
) -> None:
    project = make_project(repo, registries.dockerhub, registries.ghcr, request.node.nodeid)
    build_image(engine, project, record=False)  # IMAGE_LOCAL, no build/image.json
    project.env["GITHUB_REF"] = "refs/heads/main"

    hub = project.deploy("dockerhub")
    ghcr = project.deploy("ghcr")

    assert hub.returncode == 0, hub.stderr
    assert project.tags(project.hub) == ["unstable"]
    assert ghcr.returncode == 0, ghcr.stderr
    assert one_line(ghcr) == "deploy-ghcr: skipped (not a release tag: refs/heads/main)"
    assert project.tags(project.ghcr) == []


@pytest.mark.engine
def test_the_ghcr_registry_stopped_mid_deploy_fails_in_one_line_and_a_rerun_completes(
    engine: Engine,
    registries: Registries,
    own_ghcr: OwnRegistry,
    repo: GitRepo,
    request: pytest.FixtureRequest,
) -> None:
    project = make_project(repo, registries.dockerhub, own_ghcr.registry, request.node.nodeid)
    build_image(engine, project, record=True)
    tag_release(repo, "v1.0.0", "v1.1.0")
    project.env["GITHUB_REF"] = "refs/tags/v1.1.0"
    assert project.deploy("dockerhub").returncode == 0
    # The deploy got as far as one tag on GHCR, then the registry went away.
    digest = registries.dockerhub.manifest_digest(project.name, "v1.1.0")
    copy_one = [
        "skopeo", "copy", "--all", "--preserve-digests",
        "--src-tls-verify=false", "--dest-tls-verify=false",
        "--src-creds", f"{project.hub.username}:{project.hub.password}",
        "--dest-creds", f"{project.ghcr.username}:{project.ghcr.password}",
        f"docker://{project.hub.host}/{project.name}@{digest}",
        f"docker://{project.ghcr.host}/{project.name}:v1.1.0",
    ]  # fmt: skip
    subprocess.run(copy_one, check=True, capture_output=True)
    own_ghcr.stop()
    try:
        failed = project.deploy("ghcr")
    finally:
        own_ghcr.start()

    assert failed.returncode == 1
    assert failed.stdout == ""
    *waits, refusal = failed.stderr.splitlines()
    assert waits, failed.stderr  # each retry is announced in its own line
    assert all("before attempt" in line and "--max-wait left" in line for line in waits), waits
    assert refusal.startswith("push_image.py: error: registry "), refusal
    assert "no answer" in refusal and "gave up after" in refusal, refusal
    rerun = project.deploy("ghcr")
    assert rerun.returncode == 0, rerun.stderr
    assert "copied 2, already right 1" in one_line(rerun)
    assert project.tags(project.ghcr) == RELEASE_TAGS
    assert project.digests(project.ghcr) == {digest}


# ---- no engine needed: nothing is pushed -----------------------------------------------------


@dataclass(frozen=True)
class Refused:
    id: str
    target: str
    wrong: str  # the variable that holds a wrong secret


WRONG_PASSWORDS = [
    Refused("docker hub", "dockerhub", "DOCKERHUB_TOKEN"),
    Refused("ghcr", "ghcr", "GHCR_TOKEN"),
]


@pytest.mark.parametrize("row", WRONG_PASSWORDS, ids=[row.id for row in WRONG_PASSWORDS])
def test_a_wrong_password_is_one_line_and_never_printed(
    registries: Registries, repo: GitRepo, request: pytest.FixtureRequest, row: Refused
) -> None:
    secret = f"wrong-{uuid.uuid4().hex}"
    project = make_project(
        repo, registries.dockerhub, registries.ghcr, request.node.nodeid, IMAGE_LOCAL="x:y"
    )
    tag_release(repo, "v1.0.0", "v1.1.0")
    project.env.update({"GITHUB_REF": "refs/tags/v1.1.0", row.wrong: secret})

    result = project.deploy(row.target)

    assert result.returncode == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "refused the credentials" in result.stderr
    assert row.wrong in result.stderr
    assert secret not in result.stdout + result.stderr
    plan = repo.path / "build" / f"tags-{row.target}.json"
    assert secret not in plan.read_text(encoding="utf-8")


# A ref a target does not publish: tests/test_deploy_targets.py (every deploy target).


def test_dry_run_prints_the_commands_and_touches_nothing(
    registries: Registries, repo: GitRepo, request: pytest.FixtureRequest
) -> None:
    project = make_project(
        repo, registries.dockerhub, registries.ghcr, request.node.nodeid, IMAGE_LOCAL="app:built"
    )
    tag_release(repo, "v1.0.0", "v1.1.0")

    result = project.deploy("ghcr", GITHUB_REF="refs/tags/v1.1.0", DRY_RUN="1")

    assert result.returncode == 0, result.stderr
    hub, ghcr = project.env["IMAGES_EVERY_BUILD"], project.env["IMAGES_RELEASE_ONLY"]
    assert f"docker login --username '$GHCR_USERNAME' --password-stdin {project.ghcr.host}" in (
        result.stderr
    )
    for tag in ("v1.1.0", "v1.1", "latest"):
        assert f"docker://{ghcr}:{tag}\n" in result.stderr
    assert hub not in result.stdout
    assert project.ghcr.password not in result.stdout + result.stderr
    assert project.tags(project.hub) == project.tags(project.ghcr) == []


# ---- make plan -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRow:
    id: str
    ref: str
    hub: str
    ghcr: str


PLAN_ROWS = [
    PlanRow("release", "v1.1.0", "v1.1.0 v1.1 latest", "v1.1.0 v1.1 latest"),
    PlanRow("older release", "v1.0.0", "v1.0.0", "v1.0.0"),
    PlanRow("future patch of the old series", "v1.0.1", "v1.0.1 v1.0", "v1.0.1 v1.0"),
    PlanRow("pre-release", "v1.2.0rc1", "v1.2.0rc1", "v1.2.0rc1"),
    PlanRow("base branch", "main", "unstable", "skip: not a release tag: refs/heads/main"),
    PlanRow(
        "pull request", "pr-9", "skip: pull request 9", "skip: not a release tag: refs/pull/9/merge"
    ),
]


@pytest.mark.parametrize("row", PLAN_ROWS, ids=[row.id for row in PLAN_ROWS])
def test_make_plan_shows_every_target_and_touches_nothing(repo: GitRepo, row: PlanRow) -> None:
    tag_release(repo, "v1.0.0", "v1.1.0")
    env = {
        "REF": row.ref,
        "IMAGES_EVERY_BUILD": "docker.io/acme/app",
        "IMAGES_RELEASE_ONLY": "ghcr.io/acme/app",
        "IMAGE_LOCAL": "app:built",
    }

    result = run_bin("plan", cwd=repo.path, env=env)

    assert result.returncode == 0, result.stderr
    header, *lines = result.stdout.splitlines()
    assert header.split() == ["TARGET", "DESTINATION", "WHAT", "TAGS"]
    rows = {line.split()[0]: line.split(None, 3) for line in lines}
    assert rows["deploy-dockerhub"][1:3] == ["docker.io/acme/app", "app:built"]
    assert rows["deploy-dockerhub"][3].startswith(row.hub)
    assert rows["deploy-ghcr"][1:3] == ["ghcr.io/acme/app", "app:built"]
    assert rows["deploy-ghcr"][3].startswith(row.ghcr)


# ---- an OCI archive (what docker buildx leaves in Actions): skopeo pushes it, no engine ------


def _blob(root: Path, data: bytes) -> dict[str, object]:
    digest = hashlib.sha256(data).hexdigest()
    (root / "blobs" / "sha256" / digest).write_bytes(data)
    return {"digest": f"sha256:{digest}", "size": len(data)}


def write_oci_archive(path: Path, text: str) -> str:
    """A one-layer OCI image archive holding hello.txt; returns its manifest's digest."""
    root = path.parent / "oci-layout"
    (root / "blobs" / "sha256").mkdir(parents=True)
    layer_tar = io.BytesIO()
    with tarfile.open(fileobj=layer_tar, mode="w") as layer:
        data = text.encode()
        info = tarfile.TarInfo("hello.txt")
        info.size = len(data)
        layer.addfile(info, io.BytesIO(data))
    layer_bytes = gzip.compress(layer_tar.getvalue(), mtime=0)
    config = {
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {
            "type": "layers",
            "diff_ids": [f"sha256:{hashlib.sha256(layer_tar.getvalue()).hexdigest()}"],
        },
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            **_blob(root, json.dumps(config).encode()),
        },
        "layers": [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **_blob(root, layer_bytes)}
        ],
    }
    entry = {
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        **_blob(root, json.dumps(manifest).encode()),
    }
    (root / "index.json").write_text(
        json.dumps({"schemaVersion": 2, "manifests": [entry]}), encoding="utf-8"
    )
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}', encoding="utf-8")
    with tarfile.open(path, "w") as archive:
        for item in sorted(root.rglob("*")):
            archive.add(item, arcname=str(item.relative_to(root)), recursive=False)
    return str(entry["digest"])


def oci_release(project: Project, repo: GitRepo) -> str:
    """build/ as Actions' image job leaves it (an OCI archive), on release tag v1.1.0."""
    build = repo.path / "build"
    build.mkdir()
    digest = write_oci_archive(build / "image.oci.tar", f"{uuid.uuid4()}\n")
    record: dict[str, object] = {"local": "app:built", "kind": "oci-archive", "id": digest}
    record |= {"archive": "build/image.oci.tar", "platforms": ["linux/amd64"]}
    (build / "image.json").write_text(json.dumps(record), encoding="utf-8")
    tag_release(repo, "v1.0.0", "v1.1.0")
    project.env["GITHUB_REF"] = "refs/tags/v1.1.0"
    return digest


def test_an_oci_archive_is_pushed_by_skopeo_once_and_copied_by_digest(
    registries: Registries, own_ghcr: OwnRegistry, repo: GitRepo, request: pytest.FixtureRequest
) -> None:
    project = make_project(repo, registries.dockerhub, own_ghcr.registry, request.node.nodeid)
    digest = oci_release(project, repo)

    hub = project.deploy("dockerhub")
    ghcr = project.deploy("ghcr")
    uploads = own_ghcr.blob_uploads()
    again = project.deploy("ghcr")

    assert (hub.returncode, ghcr.returncode, again.returncode) == (0, 0, 0), (
        hub.stderr + ghcr.stderr
    )
    assert f": {digest}: pushed " in one_line(hub)
    assert f": {digest}: copied from " in one_line(ghcr)
    assert "copied 0, already right 3" in one_line(again)
    assert own_ghcr.blob_uploads() == uploads
    assert project.tags(project.hub) == project.tags(project.ghcr) == RELEASE_TAGS
    assert project.digests(project.hub) | project.digests(project.ghcr) == {digest}


def test_verify_fails_on_a_registry_tag_re_pointed_by_hand(
    registries: Registries, own_ghcr: OwnRegistry, repo: GitRepo, request: pytest.FixtureRequest
) -> None:
    project = make_project(repo, registries.dockerhub, own_ghcr.registry, request.node.nodeid)
    digest = oci_release(project, repo)
    published = [project.deploy("dockerhub"), project.deploy("ghcr")]
    assert [r.returncode for r in published] == [0, 0], published[0].stderr + published[1].stderr
    assert project.deploy("verify").returncode == 0

    # Someone moves GHCR's v1.1 to another image by hand.
    other = repo.path.parent / "other" / "image.oci.tar"
    other.parent.mkdir()
    other_digest = write_oci_archive(other, "another image\n")
    ghcr = project.ghcr
    subprocess.run(
        ["skopeo", "copy", "--quiet", "--dest-tls-verify=false",
         "--dest-creds", f"{ghcr.username}:{ghcr.password}",
         f"oci-archive:{other}", f"docker://{ghcr.host}/{project.name}:v1.1"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    assert ghcr.manifest_digest(project.name, "v1.1") == other_digest
    assert ghcr.manifest_digest(project.name, "v1.1.0") == digest

    verify = project.deploy("verify")

    assert verify.returncode == 1, verify.stdout + verify.stderr
    output = verify.stdout + verify.stderr
    assert f"{project.name}:v1.1={other_digest}" in output
    assert "Traceback" not in output and ghcr.password not in output
