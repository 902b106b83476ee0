"""Benchmark `make deploy`: side by side (make -j4) against one target after another.

Run: .venv/bin/python bench/bench_deploy.py [--runs 3] [--targets "deploy-pypi ..."]

Starts pypiserver (with auth) and the GitHub REST stand-in on loopback, writes a project with
a wheel, an sdist, SHA256SUMS and CHANGES.rst, and times, as separate `make` processes with a
fresh index and a fresh repository before each run:

- `make -j4 TARGETS` (side by side) and `make TARGETS` (one after another);
- each target alone, to name the slowest one;
- the re-run of `make -j4 TARGETS` when everything is published already.

Each row is the median of --runs runs. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.peers.github_api import GitHubStandIn  # noqa: E402
from tests.peers.pypi import PypiServer, make_sdist, make_wheel, serve_pypi  # noqa: E402

CHANGES = """\
Changelog
=========

1.2.0 (2026-11-20)
------------------

- Add ``make deploy``: see `the docs <https://example.org/deploy>`_.
- Fix the re-run of an upload.
"""


def project(root: Path) -> Path:
    work = root / "project"
    dist = work / "dist"
    files = [make_wheel(dist, "rk-bench", "1.2.0"), make_sdist(dist, "rk-bench", "1.2.0")]
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in files]
    (dist / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")
    (work / "CHANGES.rst").write_text(CHANGES, encoding="utf-8")
    return work


def make_env(pypi: PypiServer, gh: GitHubStandIn) -> dict[str, str]:
    return {
        **os.environ,
        **gh.env(),
        "PY": sys.executable,
        "GITHUB_REF": "refs/tags/v1.2.0",
        "GITHUB_REF_NAME": "v1.2.0",
        "PYPI_REPOSITORY_URL": pypi.url,
        "TWINE_USERNAME": pypi.username,
        "TWINE_PASSWORD": pypi.password,
    }


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return wall


def median_of(runs: int, reset: Callable[[], None], once: Callable[[], float]) -> float:
    walls = []
    for _ in range(runs):
        reset()
        walls.append(once())
    return statistics.median(walls)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--targets", default="deploy-pypi deploy-github-release")
    args = parser.parse_args(argv)
    targets = args.targets.split()
    kit = ["make", "--no-print-directory", "-f", str(ROOT / "releasekit.mk")]
    with tempfile.TemporaryDirectory() as tmp, GitHubStandIn() as gh:
        work = project(Path(tmp))
        with serve_pypi(Path(tmp) / "index") as pypi:
            env = make_env(pypi, gh)

            def reset() -> None:
                pypi.clear()
                gh.reset()

            rows: list[tuple[str, float]] = []
            rows.append(
                (
                    f"make -j4 {args.targets}",
                    median_of(args.runs, reset, lambda: timed([*kit, "-j4", *targets], work, env)),
                )
            )
            rows.append(
                (
                    f"make {args.targets} (serial)",
                    median_of(args.runs, reset, lambda: timed([*kit, *targets], work, env)),
                )
            )
            alone = []
            for target in targets:
                command = [*kit, target]
                wall = median_of(args.runs, reset, lambda c=command: timed(c, work, env))  # type: ignore[misc]
                alone.append((target, wall))
                rows.append((f"make {target} (alone)", wall))
            rows.append(
                (
                    f"make -j4 {args.targets} (re-run, all published)",
                    median_of(
                        args.runs, lambda: None, lambda: timed([*kit, "-j4", *targets], work, env)
                    ),
                )
            )
    print("| run | wall (s), median of", args.runs, "|\n| --- | --- |")
    for name, wall in rows:
        print(f"| {name} | {wall:.2f} |")
    slowest = max(alone, key=lambda row: row[1])
    print(f"\nslowest target: {slowest[0]} ({slowest[1]:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
