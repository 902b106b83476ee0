"""Publishing to a second registry: a second `push` from the engine beside a copy by digest.

Starts its own loopback registries (docker-registry) behind byte-counting proxies and a private
podman storage, builds a FROM-scratch image of --megabytes of random data in --layers layers,
pushes it once to registry A, then for each run publishes it to a fresh registry by:

  push         `podman push` of the local image (compresses every layer again)
  copy         `skopeo copy --all --preserve-digests` from A by digest (moves the blobs as they are)
  add a tag    the same skopeo copy to another tag of a registry that already holds the image
  re-run       the copy again, onto a tag that already holds the digest
  HEAD first   what push_image.py does on a re-run: a manifest HEAD finds the tag right

and prints the median wall time, the bytes sent to the destination registry, and whether the
digest stayed the one in A.

Run (needs podman, skopeo and docker-registry, as bin/setup installs them):
    .venv/bin/python bench/bench_images.py [--megabytes 64] [--layers 4] [--runs 3]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

REPO = "bench/app"
ACCEPT = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class CountingProxy:
    """A TCP proxy on loopback that counts the bytes clients send to the upstream port."""

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.sent = 0
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream))
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, dest: socket.socket, count: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if count:
                    with self._lock:
                        self.sent += len(chunk)
                dest.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (source, dest):
                with suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._server.close()


@contextmanager
def registry(root: Path) -> Iterator[CountingProxy]:
    """A docker-registry without auth on loopback, seen through a counting proxy."""
    port = free_port()
    config = {
        "version": 0.1,
        "log": {"level": "error", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(root / "data")}},
        "http": {"addr": f"127.0.0.1:{port}"},
    }
    root.mkdir(parents=True)
    (root / "config.yml").write_text(json.dumps(config), encoding="utf-8")
    process = subprocess.Popen(
        ["docker-registry", "serve", str(root / "config.yml")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise SystemExit("docker-registry did not come up") from None
            time.sleep(0.05)
    proxy = CountingProxy(port)
    try:
        yield proxy
    finally:
        proxy.close()
        process.terminate()
        process.wait(timeout=10)


def digest_of(proxy: CountingProxy, tag: str) -> str:
    request = urllib.request.Request(
        f"http://127.0.0.1:{proxy.port}/v2/{REPO}/manifests/{tag}", method="HEAD"
    )
    request.add_header("Accept", ACCEPT)
    with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310 (loopback http)
        digest: str = reply.headers["Docker-Content-Digest"]
        return digest


def podman_env(root: Path) -> dict[str, str]:
    for name in ("graph", "run", "tmp", "xdg", "libpod"):
        (root / name).mkdir(parents=True)
    (root / "storage.conf").write_text(
        f'[storage]\ndriver = "vfs"\ngraphroot = "{root}/graph"\nrunroot = "{root}/run"\n',
        encoding="utf-8",
    )
    (root / "containers.conf").write_text(
        f'[engine]\ntmp_dir = "{root}/libpod"\nimage_copy_tmp_dir = "{root}/tmp"\n'  # noqa: S108 (a private folder)
        'events_logger = "none"\ncgroup_manager = "cgroupfs"\n',
        encoding="utf-8",
    )
    return {
        **os.environ,
        "CONTAINERS_STORAGE_CONF": str(root / "storage.conf"),
        "CONTAINERS_CONF": str(root / "containers.conf"),
        "XDG_RUNTIME_DIR": str(root / "xdg"),
        "TMPDIR": str(root / "tmp"),
    }


def build_image(root: Path, env: dict[str, str], megabytes: int, layers: int) -> str:
    context = root / "context"
    context.mkdir()
    lines = ["FROM scratch"]
    for layer in range(layers):
        (context / f"blob-{layer}.bin").write_bytes(os.urandom(megabytes * 2**20 // layers))
        lines.append(f"COPY blob-{layer}.bin /")
    (context / "Dockerfile").write_text("\n".join(lines) + "\n", encoding="utf-8")
    subprocess.run(
        ["podman", "build", "--quiet", "--tag", "bench-app:built", str(context)],
        env=env,
        check=True,
        capture_output=True,
    )
    return "bench-app:built"


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run(command: list[str], env: dict[str, str]) -> None:
    subprocess.run(command, env=env, check=True, capture_output=True)


def copy_to(source: str, target: CountingProxy, tag: str) -> list[str]:
    dest = f"127.0.0.1:{target.port}/{REPO}:{tag}"
    return [
        "skopeo", "copy", "--all", "--preserve-digests",
        "--src-tls-verify=false", "--dest-tls-verify=false",
        f"docker://{source}", f"docker://{dest}",
    ]  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=int, default=64, help="image size (random data)")
    parser.add_argument("--layers", type=int, default=4, help="layers the data is spread over")
    parser.add_argument("--runs", type=int, default=3, help="runs per way (median reported)")
    args = parser.parse_args(argv)
    for program in ("podman", "skopeo", "docker-registry"):
        if shutil.which(program) is None:
            raise SystemExit(f"{program} is not installed (bin/setup installs it)")
    results: dict[str, list[tuple[float, int, bool]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-images-") as folder:
        root = Path(folder)
        env = podman_env(root / "podman")
        local = build_image(root, env, args.megabytes, args.layers)
        with registry(root / "origin") as origin:
            first = f"127.0.0.1:{origin.port}/{REPO}:v1.0.0"
            run(["podman", "push", "--tls-verify=false", local, first], env)
            digest = digest_of(origin, "v1.0.0")
            source = f"127.0.0.1:{origin.port}/{REPO}@{digest}"
            for number in range(args.runs):
                with (
                    registry(root / f"push-{number}") as pushed,
                    registry(root / f"copy-{number}") as copied,
                ):
                    ways: list[tuple[str, CountingProxy, list[str], str]] = [
                        (
                            "push",
                            pushed,
                            [
                                "podman", "push", "--tls-verify=false", local,
                                f"127.0.0.1:{pushed.port}/{REPO}:v1.0.0",
                            ],
                            "v1.0.0",
                        ),
                        ("copy by digest", copied, copy_to(source, copied, "v1.0.0"), "v1.0.0"),
                        ("add a tag", copied, copy_to(source, copied, "latest"), "latest"),
                        ("re-run", copied, copy_to(source, copied, "latest"), "latest"),
                    ]  # fmt: skip
                    for name, target, command, tag in ways:
                        before = target.sent
                        seconds = timed(functools.partial(run, command, env))
                        same = digest_of(target, tag) == digest
                        results.setdefault(name, []).append((seconds, target.sent - before, same))
                    # What push_image.py does on a re-run: a manifest HEAD, nothing copied.
                    before = copied.sent
                    seconds = timed(functools.partial(digest_of, copied, "latest"))
                    same = digest_of(copied, "latest") == digest
                    results.setdefault("re-run, HEAD first", []).append(
                        (seconds, copied.sent - before, same)
                    )
    print(f"image: {args.megabytes} MiB of random data in {args.layers} layers, {args.runs} runs")
    print(f"{'to the second registry':<24}{'median s':>10}{'bytes sent':>16}  same digest")
    for name, rows in results.items():
        seconds = statistics.median(row[0] for row in rows)
        sent = int(statistics.median(row[1] for row in rows))
        kept = "yes" if all(row[2] for row in rows) else "no"
        print(f"{name:<24}{seconds:>10.2f}{sent:>16,}  {kept}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
