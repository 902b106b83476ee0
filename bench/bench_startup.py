"""Start-up time of every copy-alone script, before and after a change, side by side.

    .venv/bin/python bench/bench_startup.py --before REV [--runs 30]

Each script in scripts/ is run as a user who copied it runs it: `python3 SCRIPT --help`,
alone in a folder, as a new process. The `--before` copy is the same script as it stood at
REV (read with `git show`); the two are timed in alternation, so that the machine's load
falls on both alike. Prints each script's median time before and after and their ratio.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def once(python: str, script: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [python, str(script), "--help"], cwd=script.parent, capture_output=True, check=True
    )
    return time.perf_counter() - start


def scripts_at(rev: str, dest: Path) -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-tree", "--name-only", rev, "scripts/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    dest.mkdir()
    paths = []
    for name in listed:
        if not name.endswith(".py"):
            continue
        text = subprocess.run(
            ["git", "show", f"{rev}:{name}"], cwd=ROOT, capture_output=True, check=True
        ).stdout
        (dest / Path(name).name).write_bytes(text)
        paths.append(dest / Path(name).name)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the revision to compare with")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        before = {p.name: p for p in scripts_at(args.before, Path(tmp) / "before")}
        after_dir = Path(tmp) / "after"
        after_dir.mkdir()
        after = {}
        for script in sorted((ROOT / "scripts").glob("*.py")):
            (after_dir / script.name).write_bytes(script.read_bytes())
            after[script.name] = after_dir / script.name
        print(f"{'script':24} {'before s':>9} {'after s':>9} {'after/before':>13}")
        ratios = []
        for name in sorted(set(before) & set(after)):
            once(args.python, before[name])  # warm the file cache of both
            once(args.python, after[name])
            old, new = [], []
            for _ in range(args.runs):
                old.append(once(args.python, before[name]))
                new.append(once(args.python, after[name]))
            ratio = statistics.median(new) / statistics.median(old)
            ratios.append(ratio)
            print(
                f"{name:24} {statistics.median(old):9.4f} {statistics.median(new):9.4f} "
                f"{ratio:13.2f}"
            )
        print(f"{'median of the ratios':44} {statistics.median(ratios):13.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
