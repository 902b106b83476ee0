"""Manifest reads: push_image.py's own registry client beside `skopeo inspect`, side by side.

push_image.py reads manifests to decide (is the built image already under a planned tag?
which tags are right? does every tag hold one digest?): about 2 x tags + platforms reads a
target. The issue asked to prefer `skopeo inspect --raw` to a hand-written client unless a
measured reason says otherwise; this measures the reason. It starts a loopback registry with
Basic auth (docker-registry), copies a tiny OCI image there with skopeo, then reads the same
manifest N times each way and prints the median per read and the ratio.

Run: .venv/bin/python bench/bench_registry_reads.py [--reads 30]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.peers.registry import serve_registries  # noqa: E402
from tests.test_deploy_images import write_oci_archive  # noqa: E402


def push_image_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("push_image", ROOT / "scripts" / "push_image.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["push_image"] = module
    spec.loader.exec_module(module)
    return module


def timed(call: object, reads: int) -> float:
    samples = []
    for _ in range(reads):
        start = time.perf_counter()
        call()  # type: ignore[operator]
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, serve_registries(Path(folder)) as regs:
        hub = regs.dockerhub
        archive = Path(folder) / "image.oci.tar"
        write_oci_archive(archive, "bench\n")
        creds = f"{hub.username}:{hub.password}"
        ref = f"{hub.host}/bench/app:v1"
        subprocess.run(
            ["skopeo", "copy", "--quiet", "--dest-tls-verify=false", "--dest-creds", creds,
             f"oci-archive:{archive}", f"docker://{ref}"],
            check=True,
        )  # fmt: skip
        module = push_image_module()
        registry = module.Registry(hub.host, module.Credentials(hub.username, hub.password), True)
        ours = timed(lambda: registry.manifest("bench/app", "v1", method="GET"), args.reads)
        command = ["skopeo", "inspect", "--raw", "--tls-verify=false", "--creds", creds,
                   f"docker://{ref}"]  # fmt: skip
        theirs = timed(lambda: subprocess.run(command, check=True, capture_output=True), args.reads)
        print(json.dumps({
            "reads": args.reads,
            "push_image client (s/read)": round(ours, 5),
            "skopeo inspect --raw (s/read)": round(theirs, 5),
            "ratio skopeo/client": round(theirs / ours, 1),
        }, indent=1))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
