"""The deploy half interrupted and slowed, on the real peers (pypiserver, the distribution
registry, the Docker daemon) behind a latency proxy (tests/peers/latency.py).

Interruption table: SIGTERM or SIGKILL of `make` mid-upload or mid-push leaves no process of
the step and no credential file behind, the step says one line, and a re-run finishes the job
with nothing twice. Fault table: a slow index read, upload, push or registry read says that it
waits, and --max-wait ($MAX_WAIT) ends it with one line, nonzero, nothing published."""

from __future__ import annotations

import base64
import hashlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.peers.engines import Engine
from tests.peers.git_repos import GitRepo
from tests.peers.latency import Hold, SlowProxy
from tests.peers.pypi import PypiServer, make_sdist, make_wheel, serve_pypi
from tests.peers.registry import Registry
from tests.test_deploy_images import BUILDS, RELEASE_TAGS, Project, tag_release

WHEEL, SDIST = "rk_demo-1.2.0-py3-none-any.whl", "rk_demo-1.2.0.tar.gz"
GONE_WITHIN = 15.0  # seconds for the step and its children to end after make did


@dataclass
class Deploy:
    """One make target run in a folder of its own, its environment, and what it must hide."""

    cwd: Path
    env: dict[str, str]
    secrets: tuple[str, ...]
    scratch: Path  # TMPDIR and HOME live here

    def start(self, target: str) -> subprocess.Popen[str]:
        argv = ["make", "--no-print-directory", "-f", str(ROOT / "releasekit.mk"), target]
        return subprocess.Popen(
            argv,
            cwd=self.cwd,
            env={**os.environ, **self.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its session id names every process it starts
        )

    def run(self, target: str) -> subprocess.CompletedProcess[str]:
        running = self.start(target)
        out, err = running.communicate(timeout=300)
        return subprocess.CompletedProcess(running.args, running.returncode, out, err)

    def credential_files(self) -> list[str]:
        """Every file under $TMPDIR, $HOME and $DOCKER_CONFIG holding a secret (as written
        or as an auth entry's base64)."""
        names = ("TMPDIR", "HOME", "DOCKER_CONFIG")
        folders = {Path(self.env[n]) for n in names if n in self.env}
        if "REGISTRY_AUTH_FILE" in self.env:  # podman's own login file
            folders.add(Path(self.env["REGISTRY_AUTH_FILE"]).parent)
        found = []
        for folder in folders:
            for path in (p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
                data = path.read_bytes()
                if any(s.encode() in data for s in self.secrets):
                    found.append(str(path))
        return found


def scratch_env(root: Path) -> dict[str, str]:
    for name in ("tmp", "home"):
        (root / name).mkdir(exist_ok=True)
    venv = str(Path(sys.executable).parent)
    return {
        "TMPDIR": str(root / "tmp"),
        "HOME": str(root / "home"),
        "PY": sys.executable,
        "PATH": f"{venv}{os.pathsep}{os.environ['PATH']}",
    }


def in_session(sid: int) -> list[str]:
    """The command lines of the live processes of session `sid` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            argv = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except (OSError, IndexError):
            continue
        if entry.name.isdigit() and int(stat[3]) == sid and stat[0] != "Z":
            found.append(argv)
    return found


def left_after(sid: int, bound: float = GONE_WITHIN) -> list[str]:
    end = time.monotonic() + bound
    while (left := in_session(sid)) and time.monotonic() < end:
        time.sleep(0.2)
    return left


# ---- the peers behind the proxy ---------------------------------------------------------------


def port_of(url: str) -> int:
    return int(url.rstrip("/").rsplit(":", 1)[1].split("/")[0])


def pypi_deploy(pypi: PypiServer, root: Path, proxy: SlowProxy) -> Deploy:
    """A folder with dist/ as `make build` leaves it, uploading to pypiserver via `proxy`."""
    dist = root / "project" / "dist"
    files = [make_wheel(dist, "rk-demo", "1.2.0"), make_sdist(dist, "rk-demo", "1.2.0")]
    sums = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in files)
    (dist / "SHA256SUMS").write_text(sums, encoding="utf-8")
    env = {
        **scratch_env(root),
        "GITHUB_REF": "refs/tags/v1.2.0",
        "GITHUB_REF_NAME": "v1.2.0",
        "PYPI_REPOSITORY_URL": f"http://{proxy.host}/",
        "TWINE_USERNAME": pypi.username,
        "TWINE_PASSWORD": pypi.password,
    }
    return Deploy(dist.parent, env, (pypi.password,), root)


def image_deploy(
    engine: Engine,
    hub: Registry,
    repo: GitRepo,
    root: Path,
    proxy: SlowProxy,
    build: str = "one platform",
) -> Deploy:
    """A release tag with a built image (a BUILDS shape: two platforms are a podman list,
    pushed through build_image.py push), pushed by make deploy-dockerhub via `proxy`."""
    name = f"acme/rk-{uuid.uuid4().hex[:10]}"
    project = Project(repo, hub, hub, name, {})
    BUILDS[build](engine, project)
    tag_release(repo, "v1.0.0", "v1.1.0")
    basic = base64.b64encode(f"{hub.username}:{hub.password}".encode()).decode()
    env = {
        **project.env,
        **scratch_env(root),
        "GITHUB_REF": "refs/tags/v1.1.0",
        "IMAGES_EVERY_BUILD": f"{proxy.host}/{name}",
        "IMAGES_RELEASE_ONLY": "none",
        "DOCKERHUB_USERNAME": hub.username,
        "DOCKERHUB_TOKEN": hub.password,
    }
    return Deploy(repo.path, env, (hub.password, basic), root)


def podman(request: pytest.FixtureRequest, root: Path, proxy: SlowProxy) -> Engine:
    """The session's podman storage with this test's own login state, and the proxy known as
    a plain-HTTP registry (as the session's registries are). The engine rows run on podman
    (a private dockerd would need the proxy in its daemon.json); docker's push is the same
    child of push_image.py, started and stopped by the same rule (rules/children.py)."""
    base = request.getfixturevalue("podman_storage")
    conf = root / "registries.conf"
    known = Path(base["CONTAINERS_REGISTRIES_CONF"]).read_text(encoding="utf-8")
    conf.write_text(
        f'{known}\n[[registry]]\nlocation = "{proxy.host}"\ninsecure = true\n', encoding="utf-8"
    )
    auth = root / "engine-auth" / "auth.json"
    auth.parent.mkdir()
    auth.write_text('{"auths": {}}', encoding="utf-8")
    env = {**base, "CONTAINERS_REGISTRIES_CONF": str(conf), "REGISTRY_AUTH_FILE": str(auth)}
    return Engine(name="podman", env=env, scratch=root)


def hub_tags(hub: Registry, deploy: Deploy) -> list[str]:
    return hub.tags(deploy.env["IMAGES_EVERY_BUILD"].split("/", 1)[1])


def behind_proxy(
    target: str,
    hold: Hold,
    request: pytest.FixtureRequest,
    root: Path,
    slow: list[SlowProxy],
    build: str = "one platform",
) -> tuple[Deploy, PypiServer | Registry]:
    """The target's deploy with its peer (the test's own pypiserver, or the Docker Hub
    registry) behind a latency proxy that holds `hold`."""
    if target == "deploy-pypi":
        pypi: PypiServer = request.getfixturevalue("own_pypi")
        slow.append(SlowProxy(port_of(pypi.url), [hold]))
        return pypi_deploy(pypi, root, slow[0]), pypi
    hub: Registry = request.getfixturevalue("registries").dockerhub
    slow.append(SlowProxy(port_of(hub.url), [hold]))
    engine = podman(request, root, slow[0])
    return image_deploy(engine, hub, request.getfixturevalue("repo"), root, slow[0], build), hub


# ---- the interruption table -------------------------------------------------------------------


@dataclass(frozen=True)
class Cut:
    name: str
    target: str  # the make target
    step: str  # the script whose one line is expected
    hold: tuple[str, str]  # the request held until the signal: method, path part
    sig: int
    build: str = "one platform"  # for the image rows: a BUILDS shape


MANIFEST_PUT = ("PUT", "/manifests/")
CUTS = [
    Cut("upload-term", "deploy-pypi", "pypi_publish.py", ("POST", "/"), signal.SIGTERM),
    Cut("upload-kill", "deploy-pypi", "pypi_publish.py", ("POST", "/"), signal.SIGKILL),
    Cut("push-term", "deploy-dockerhub", "push_image.py", MANIFEST_PUT, signal.SIGTERM),
    Cut("push-kill", "deploy-dockerhub", "push_image.py", MANIFEST_PUT, signal.SIGKILL),
    # build_image.py push (a podman list) is a child of push_image.py with a child of its own
    Cut(
        "list-push-term",
        "deploy-dockerhub",
        "push_image.py",
        MANIFEST_PUT,
        signal.SIGTERM,
        "two platforms",
    ),
    Cut(
        "list-push-kill",
        "deploy-dockerhub",
        "push_image.py",
        MANIFEST_PUT,
        signal.SIGKILL,
        "two platforms",
    ),
]


@pytest.fixture
def slow(request: pytest.FixtureRequest) -> Iterator[list[SlowProxy]]:
    proxies: list[SlowProxy] = []
    yield proxies
    for proxy in proxies:
        proxy.close()


@pytest.fixture
def own_pypi(tmp_path: Path) -> Iterator[PypiServer]:
    """A pypiserver of the test's own: a held request must not keep the session's busy."""
    with serve_pypi(tmp_path / "pypiserver") as server:
        yield server


@pytest.mark.parametrize("cut", CUTS, ids=[c.name for c in CUTS])
def test_make_interrupted_mid_publish_leaves_nothing_and_a_rerun_finishes(
    cut: Cut,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    slow: list[SlowProxy],
) -> None:
    hold = Hold(*cut.hold, seconds=120, times=1)
    deploy, peer = behind_proxy(cut.target, hold, request, tmp_path, slow, cut.build)

    running = deploy.start(cut.target)
    assert hold.reached.wait(120), "the run never reached the held request"
    time.sleep(0.5)
    os.kill(running.pid, cut.sig)  # make alone, as a runner's cancel or the OOM killer does
    running.wait(30)
    left = left_after(running.pid)
    if left:
        os.killpg(running.pid, signal.SIGKILL)
    _out, err = running.communicate(timeout=30)
    slow[0].let_go()  # what the proxy still holds is dropped, never delivered late

    assert left == []
    lines = [line for line in err.splitlines() if line.startswith(f"{cut.step}: ")]
    assert len(lines) == 1 and "terminated" in lines[0], err
    assert "Traceback" not in err and "No child processes" not in err, err
    if cut.sig == signal.SIGTERM:
        assert running.returncode == -signal.SIGTERM and "Error 143" in err, err
    assert deploy.credential_files() == []

    again = deploy.run(cut.target)
    assert again.returncode == 0, again.stdout + again.stderr
    if isinstance(peer, PypiServer):
        assert sorted(p.name for p in peer.packages_dir.iterdir()) == [WHEEL, SDIST]
    else:
        assert hub_tags(peer, deploy) == RELEASE_TAGS
        assert "already right" in again.stdout
    assert deploy.credential_files() == []


# ---- the fault table: slow peers, one line while waiting, --max-wait ends it -------------------


@dataclass(frozen=True)
class Slow:
    name: str
    target: str
    hold: tuple[str, str]
    max_wait: str  # small: the run's real wait stays a few seconds
    announce: str  # the start of the waiting line
    bound: str  # a part of the last line
    env: dict[str, str] = field(default_factory=dict)


SLOW = [
    Slow(
        "index-read",
        "deploy-pypi",
        ("GET", "/simple/"),
        "3",
        "pypi_publish.py: waiting for http://",
        "would pass --max-wait 3 s",
    ),
    Slow(
        "upload",
        "deploy-pypi",
        ("POST", "/"),
        "4",
        "pypi_publish.py: waiting for twine upload",
        "still running at --max-wait 4 s",
    ),
    Slow(
        "registry-read",
        "deploy-dockerhub",
        ("GET", "/v2/"),
        "3",
        "push_image.py: waiting for registry 127.0.0.1:",
        "would pass --max-wait 3 s",
    ),
    Slow(
        "engine-push",
        "deploy-dockerhub",
        ("PUT", "/manifests/"),
        "8",
        "push_image.py: waiting for podman push",
        "still running at --max-wait 8 s",
    ),
]


@pytest.mark.parametrize("case", SLOW, ids=[c.name for c in SLOW])
def test_a_slow_peer_is_announced_and_max_wait_bounds_it(
    case: Slow, request: pytest.FixtureRequest, tmp_path: Path, slow: list[SlowProxy]
) -> None:
    hold = Hold(*case.hold, seconds=120)
    deploy, peer = behind_proxy(case.target, hold, request, tmp_path, slow)
    deploy.env["MAX_WAIT"] = case.max_wait

    done = deploy.run(case.target)
    slow[0].close()

    assert hold.reached.is_set()
    assert done.returncode not in (0, -signal.SIGKILL), done.stderr
    steps = [line for line in done.stderr.splitlines() if not line.startswith("make: ")]
    assert steps[0].startswith(case.announce), done.stderr
    assert case.bound in steps[-1] and "error" in steps[-1], done.stderr
    assert all("waiting for" in line for line in steps[:-1]), done.stderr
    if isinstance(peer, PypiServer):
        assert list(peer.packages_dir.iterdir()) == []
    else:
        assert hub_tags(peer, deploy) == []
    assert deploy.credential_files() == []
