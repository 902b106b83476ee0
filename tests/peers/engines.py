"""The two container engines the kit drives: a private dockerd and a private podman setup.

`engine` is parametrised over both (ids docker/podman). The daemon and the image storage live
for the whole session (per xdist worker); each test gets its own login state, so nothing a
test does touches the user's own Docker or podman login, images or daemon.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import resource
import shutil
import signal
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.peers.processes import require_program, stop_process
from tests.peers.registry import Registries, Registry

ENGINES = ("docker", "podman")

_contexts = itertools.count()


@dataclass(frozen=True)
class Engine:
    """One engine CLI with the environment that points it at the test's daemon and storage."""

    name: str  # what a user sets as DOCKER=...
    env: dict[str, str]
    scratch: Path  # the test's own directory for build contexts

    def run(
        self, *args: str, input: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run `<engine> args...`; with check, a failure raises with the engine's own output."""
        result = subprocess.run(
            [self.name, *args],
            input=input,
            capture_output=True,
            text=True,
            env={**os.environ, **self.env},
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{self.name} {' '.join(args)} exited {result.returncode}:\n"
                f"{result.stdout}\n{result.stderr}"
            )
        return result

    def login(
        self, registry: Registry, password: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """`login --password-stdin` to the registry (its own password unless one is given)."""
        secret = registry.password if password is None else password
        return self.run(
            "login",
            "--username",
            registry.username,
            "--password-stdin",
            registry.host,
            input=secret,
            check=check,
        )

    def build_scratch_image(self, tag: str, context: Path | Mapping[str, str]) -> str:
        """Build `tag` from a context dir or {relpath: text}; return the image id.

        A context without a Dockerfile gets `FROM scratch` + `COPY . /` (kept outside the
        context, so the image holds exactly the given files).
        """
        if not isinstance(context, Path):
            context = self._write_context(context)
        dockerfile = context / "Dockerfile"
        if not dockerfile.exists():
            dockerfile = self.scratch / f"Dockerfile-{next(_contexts)}"
            dockerfile.write_text("FROM scratch\nCOPY . /\n", encoding="utf-8")
        self.run("build", "--quiet", "--tag", tag, "--file", str(dockerfile), str(context))
        image_id = self.run("image", "inspect", "--format", "{{.Id}}", tag).stdout.strip()
        return image_id

    def files_in_image(self, tag: str) -> set[str]:
        """Paths of the regular files in the image's layers (read from `<engine> save`)."""
        archive = self.scratch / f"saved-{next(_contexts)}.tar"
        self.run("save", "--output", str(archive), tag)
        with tarfile.open(archive) as outer:
            manifest = outer.extractfile("manifest.json")
            assert manifest is not None
            files: set[str] = set()
            for layer_name in json.load(manifest)[0]["Layers"]:
                layer = outer.extractfile(layer_name)
                assert layer is not None
                with tarfile.open(fileobj=layer) as inner:
                    files |= {member.name for member in inner.getmembers() if member.isfile()}
        archive.unlink()
        return files

    def _write_context(self, files: Mapping[str, str]) -> Path:
        context = self.scratch / f"context-{next(_contexts)}"
        for relpath, text in files.items():
            target = context / relpath
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        context.mkdir(parents=True, exist_ok=True)
        return context


# --- dockerd -----------------------------------------------------------------------------------


def _descendants(pid: int) -> list[int]:
    """Every live process below `pid` (containerd and its shims), read from /proc."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            # The command name is in parentheses and may hold spaces: split after it.
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found += children
        todo += children
    return found


def _kill_leftovers(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)


def _unmount_under(root: Path) -> None:
    """dockerd bind-mounts its data root; undo whatever is still mounted below `root`."""
    mounts = Path("/proc/self/mounts").read_text(encoding="utf-8").splitlines()
    points = [line.split()[1] for line in mounts]
    for point in sorted((p for p in points if p.startswith(f"{root}/")), reverse=True):
        subprocess.run(["umount", "--lazy", point], capture_output=True, check=False)


def _docker_version_answers(env: dict[str, str]) -> bool:
    result = subprocess.run(
        ["docker", "version", "--format", "{{.Server.Version}}"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0


@pytest.fixture(scope="session")
def docker_daemon() -> Iterator[dict[str, str]]:
    """A private dockerd (vfs storage, no networking of its own); yields DOCKER_HOST."""
    with private_dockerd() as env:
        yield env


@contextlib.contextmanager
def private_dockerd() -> Iterator[dict[str, str]]:
    """Start a private dockerd under /tmp/rk-XXXX; yield DOCKER_HOST; stop it and clean up."""
    dockerd = require_program("dockerd", "the Debian package docker.io")
    require_program("docker", "the Debian package docker.io (the docker CLI)")
    # Unix socket paths must stay under 108 bytes: a short directory right under /tmp.
    root = Path(tempfile.mkdtemp(prefix="rk-", dir="/tmp"))
    (root / "daemon.json").write_text("{}", encoding="utf-8")
    (root / "cli").mkdir()
    env = {"DOCKER_HOST": f"unix://{root}/sock", "DOCKER_CONFIG": str(root / "cli")}
    log = root / "dockerd.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                dockerd,
                "--storage-driver",
                "vfs",
                "--iptables=false",
                "--ip6tables=false",
                "--bridge=none",
                "--config-file",
                str(root / "daemon.json"),
                "--data-root",
                str(root / "data"),
                "--exec-root",
                str(root / "exec"),
                "--pidfile",
                str(root / "pid"),
                "--host",
                env["DOCKER_HOST"],
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while not _docker_version_answers(env):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
                pytest.fail(f"dockerd did not come up (exit {process.poll()}):\n{tail}")
            time.sleep(0.2)
        yield {"DOCKER_HOST": env["DOCKER_HOST"]}
    finally:
        children = _descendants(process.pid)
        stop_process(process, grace=20)
        _kill_leftovers(children)
        _unmount_under(root)
        shutil.rmtree(root, ignore_errors=True)


# --- podman ------------------------------------------------------------------------------------


def _registries_conf(registries: Registries) -> str:
    """Every loopback registry is insecure (plain HTTP); short names never reach docker.io."""
    lines = ["unqualified-search-registries = []", ""]
    for registry in registries:
        port = registry.host.rsplit(":", 1)[1]
        for host in (registry.host, f"localhost:{port}"):
            lines += ["[[registry]]", f'location = "{host}"', "insecure = true", ""]
    return "\n".join(lines)


def _own_ulimits() -> str:
    """containers.conf's default_ulimits within what this process may set. A container
    started as root asks for RLIMIT_NOFILE and RLIMIT_NPROC at 1048576, which a machine
    without CAP_SYS_RESOURCE refuses ("error setting rlimit type 7"). Measured on such a
    machine: nofile up to this process's own hard limit starts, and nproc up to
    kernel.pid_max (32768 started, 32769 was refused, with 96363 as the hard limit)."""
    limits = []
    for name, which in (("nofile", resource.RLIMIT_NOFILE), ("nproc", resource.RLIMIT_NPROC)):
        soft, hard = resource.getrlimit(which)
        if name == "nproc" and (cap := _pid_max()):
            soft, hard = (cap if n == resource.RLIM_INFINITY else min(n, cap) for n in (soft, hard))
        if resource.RLIM_INFINITY not in (soft, hard):
            limits.append(f'"{name}={soft}:{hard}"')
    return f"[containers]\ndefault_ulimits = [{', '.join(limits)}]\n" if limits else ""


def _pid_max() -> int:
    """kernel.pid_max; 0 where there is none to read (macOS)."""
    try:
        return int(Path("/proc/sys/kernel/pid_max").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0


@pytest.fixture(scope="session")
def podman_storage(registries: Registries) -> Iterator[dict[str, str]]:
    """Private podman storage and config; yields the variables that select them."""
    with private_podman(registries) as env:
        yield env


@contextlib.contextmanager
def private_podman(registries: Registries) -> Iterator[dict[str, str]]:
    """Private podman storage and config under /tmp/rk-podman-XXXX, removed on exit."""
    require_program("podman", "the Debian package podman")
    root = Path(tempfile.mkdtemp(prefix="rk-podman-", dir="/tmp"))
    for name in ("graph", "run", "tmp", "xdg", "libpod"):
        (root / name).mkdir()
    (root / "storage.conf").write_text(
        f'[storage]\ndriver = "vfs"\ngraphroot = "{root}/graph"\nrunroot = "{root}/run"\n',
        encoding="utf-8",
    )
    (root / "registries.conf").write_text(_registries_conf(registries), encoding="utf-8")
    # tmp_dir defaults to /run/libpod and image_copy_tmp_dir to /var/tmp: both machine-wide.
    ulimits = _own_ulimits()
    (root / "containers.conf").write_text(
        f'{ulimits}[engine]\ntmp_dir = "{root}/libpod"\nimage_copy_tmp_dir = "{root}/tmp"\n'
        'events_logger = "none"\ncgroup_manager = "cgroupfs"\n',
        encoding="utf-8",
    )
    try:
        yield {
            "CONTAINERS_STORAGE_CONF": str(root / "storage.conf"),
            "CONTAINERS_REGISTRIES_CONF": str(root / "registries.conf"),
            "CONTAINERS_CONF": str(root / "containers.conf"),
            "XDG_RUNTIME_DIR": str(root / "xdg"),
            "TMPDIR": str(root / "tmp"),
        }
    finally:
        _unmount_under(root)
        shutil.rmtree(root, ignore_errors=True)


# --- the engine fixture ------------------------------------------------------------------------


@pytest.fixture(params=ENGINES, ids=ENGINES)
def engine(request: pytest.FixtureRequest, registries: Registries, tmp_path: Path) -> Engine:
    """docker or podman, with this test's own login state over the session's daemon/storage.

    Depends on `registries`: podman must know them as insecure before it is configured.
    """
    name: str = request.param
    scratch = tmp_path / f"{name}-engine"
    scratch.mkdir()
    if name == "docker":
        base = request.getfixturevalue("docker_daemon")
        (scratch / "config").mkdir()
        (scratch / "config" / "config.json").write_text(json.dumps({}), encoding="utf-8")
        env = {**base, "DOCKER_CONFIG": str(scratch / "config")}
    else:
        base = request.getfixturevalue("podman_storage")
        # podman refuses to start a push when REGISTRY_AUTH_FILE names a missing file.
        (scratch / "auth.json").write_text(json.dumps({"auths": {}}), encoding="utf-8")
        env = {**base, "REGISTRY_AUTH_FILE": str(scratch / "auth.json")}
    return Engine(name=name, env=env, scratch=scratch)
