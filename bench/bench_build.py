"""Time `make build` and `make image` cold, warm and with nothing to do, side by side.

Run (as root, with dockerd and mmdebstrap installed):
    .venv/bin/python bench/bench_build.py [--runs 5]

Works on a throwaway copy of this checkout and a private dockerd (vfs storage, like the
tests), so nothing of the user's own Docker or dist/ is touched. The image goes on the
Debian-made base of `make base-image` (cached in this checkout's .cache/base-image), offline:
the wheel alone is installed (IMAGE_PIP_OPTIONS=--no-index --no-deps).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def copy_checkout(dest: Path) -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    for args in (["init", "--quiet"], ["add", "--all"], ["commit", "--quiet", "-m", "bench"]):
        subprocess.run(["git", *args], cwd=dest, check=True, capture_output=True)


def start_dockerd(root: Path) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    root.mkdir(parents=True)
    (root / "daemon.json").write_text("{}", encoding="utf-8")
    env = {"DOCKER_HOST": f"unix://{root}/sock", "DOCKER_CONFIG": str(root / "cli")}
    (root / "cli").mkdir()
    with (root / "dockerd.log").open("wb") as log:
        process = subprocess.Popen(
            [
                "dockerd",
                "--storage-driver=vfs",
                "--iptables=false",
                "--ip6tables=false",
                "--bridge=none",
                f"--config-file={root}/daemon.json",
                f"--data-root={root}/data",
                f"--exec-root={root}/exec",
                f"--pidfile={root}/pid",
                f"--host={env['DOCKER_HOST']}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        probe = subprocess.run(
            ["docker", "version"], env={**os.environ, **env}, capture_output=True, check=False
        )
        if probe.returncode == 0:
            return process, env
        time.sleep(0.2)
    process.kill()
    raise SystemExit("dockerd did not come up")


def timed(command: Sequence[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each warm row (median)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="rk-bench-", dir="/tmp"))
    checkout = work / "kit"
    checkout.mkdir()
    copy_checkout(checkout)
    daemon, docker_env = start_dockerd(work / "d")
    venv_bin = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        **docker_env,
        "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHON": sys.executable,
        "DOCKER": "docker",
        "BASE_IMAGE_CACHE": str(ROOT / ".cache" / "base-image"),
        "BASE_IMAGE": "localhost/releasekit-base:python3",
        "IMAGE_PIP_OPTIONS": "--no-index --no-deps",
    }
    rows: list[tuple[str, float]] = []
    make = ["make", "--no-print-directory"]
    try:
        rows.append(("make build (cold, isolated)", timed([*make, "build"], checkout, env)))
        noop = [timed([*make, "build"], checkout, env) for _ in range(args.runs)]
        rows.append(("make build (nothing changed)", statistics.median(noop)))
        rows.append(
            ("make base-image (tarball cached)", timed([*make, "base-image"], checkout, env))
        )
        rows.append(("make image (cold: no build cache)", timed([*make, "image"], checkout, env)))
        warm = [timed([*make, "image"], checkout, env) for _ in range(args.runs)]
        rows.append(("make image (warm: nothing changed)", statistics.median(warm)))
        script = checkout / "scripts" / "build_dist.py"
        script.write_text(script.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        rows.append(("make image (a script changed)", timed([*make, "image"], checkout, env)))
    finally:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(timeout=60)
        except subprocess.TimeoutExpired:
            daemon.kill()
        subprocess.run(["umount", "--lazy", f"{work}/d/data"], capture_output=True, check=False)
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'measurement':42} {'seconds':>8}")
    for name, seconds in rows:
        print(f"{name:42} {seconds:8.2f}")
    load = os.getloadavg()[0]
    print(
        f"\n(load average {load:.1f} on {os.cpu_count()} cores; warm rows: median of {args.runs})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
