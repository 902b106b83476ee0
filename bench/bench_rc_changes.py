"""Benchmark scripts/make_rc_changes.py against gitchangelog and raw git log on a big history.

Run: .venv/bin/python bench/bench_rc_changes.py [--commits 20000] [--tags 150] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "make_rc_changes.py"
PYTHON = sys.executable
GITCHANGELOG = str(Path(sys.executable).parent / "gitchangelog")
LOG_FORMAT = "%h%x1f%H%x1f%P%x1f%an%x1f%s%x1f%b%x1e"

TYPES = ["feat", "fix", "docs", "chore", "refactor", "ci", "test", "perf", "build", ""]
WORDS = ["parser", "cache", "release", "wheel", "tag", "draft", "image", "token", "index", "path"]

# gitchangelog rules equivalent to ours: conventional types -> ENH / FIX / MAINT, the kit's
# bookkeeping commits ignored, the prefix stripped and the first letter capitalised.
GITCHANGELOG_RC = r"""
ignore_regexps = [r'^chore\(rc-changes\)', r'^chore\(ver\):\s*bump']
section_regexps = [
    ('ENH', [r'^feat(\([^)]*\))?!?:']),
    ('FIX', [r'^(fix|perf)(\([^)]*\))?!?:']),
    ('MAINT', None),
]
subject_process = (strip | ReSub(r'^[A-Za-z][\w-]*(\([^)]*\))?!?:\s*', r'') | ucfirst)
body_process = noop
tag_filter_regexp = r'^v[0-9]+\.[0-9]+\.[0-9]+$'
unreleased_version_label = "(unreleased)"
output_engine = rest_py
include_merge = False
"""


def subject(rng: random.Random, n: int) -> tuple[str, str]:
    kind = rng.choice(TYPES)
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6)))
    if n % 20 == 0:
        words += " for `--path` users"  # some markup, escaped and checked by docutils
    if n % 7 == 0:
        words += f" (#{n})"
    body = "BREAKING CHANGE: behaves differently\n" if n % 500 == 0 else ""
    return (f"{kind}: {words}" if kind else words.capitalize()), body


def fast_import_stream(commits: int, tags: int, seed: int = 7) -> bytes:
    """A linear history of `commits` commits, with `tags` lightweight tags spread over it and
    an untagged tail: the input git fast-import turns into a repository in seconds."""
    rng = random.Random(seed)
    step = commits // (tags + 1)
    out: list[str] = []
    start = 1_600_000_000
    for n in range(1, commits + 1):
        text, body = subject(rng, n)
        message = f"{text}\n\n{body}" if body else f"{text}\n"
        data = f"{n}\n"
        when = start + n * 600
        out.append(
            f"commit refs/heads/main\nmark :{n}\n"
            f"author Bench Author <bench@example.org> {when} +0000\n"
            f"committer Bench Author <bench@example.org> {when} +0000\n"
            f"data {len(message.encode())}\n{message}\n"
            + (f"from :{n - 1}\n" if n > 1 else "")
            + f"M 644 inline src/file{n % 50}.txt\ndata {len(data)}\n{data}\n"
        )
        if n % step == 0 and n // step <= tags:
            index = n // step
            version = f"{index // 20}.{(index // 5) % 4}.{index % 5}"
            out.append(f"reset refs/tags/v{version}\nfrom :{n}\n\n")
    return "".join(out).encode()


def make_repo(where: Path, commits: int, tags: int) -> Path:
    repo = where / "big"
    subprocess.run(["git", "init", "--quiet", "--initial-branch=main", str(repo)], check=True)
    begin = time.perf_counter()
    subprocess.run(
        ["git", "fast-import", "--quiet"],
        cwd=repo,
        input=fast_import_stream(commits, tags),
        check=True,
    )
    subprocess.run(["git", "checkout", "--quiet", "main"], cwd=repo, check=True)
    print(f"generated {commits} commits, {tags} tags in {time.perf_counter() - begin:.1f}s")
    return repo


def median_time(
    command: Sequence[str], cwd: Path, runs: int, env: dict[str, str], before: Callable[[], None]
) -> float:
    times = []
    for _ in range(runs):
        before()
        begin = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False)
        if done.returncode != 0:
            sys.exit(f"bench: {' '.join(command)} failed:\n{done.stderr.decode()}")
        times.append(time.perf_counter() - begin)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--tags", type=int, default=150)
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--slow-runs", type=int, default=3, help="runs for gitchangelog")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-rc-changes-") as tmp:
        where = Path(tmp)
        repo = make_repo(where, args.commits, args.tags)
        rc = where / "gitchangelog.rc"
        rc.write_text(GITCHANGELOG_RC, encoding="utf-8")
        env = {**os.environ, "GITCHANGELOG_CONFIG_FILENAME": str(rc)}
        for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "CHANGES", "TAG_PATTERN"):
            env.pop(name, None)
        last = subprocess.run(
            ["git", "describe", "--tags", "--abbrev=0", "--match", "v*"],
            cwd=repo,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        changes = repo / "CHANGES.rst"

        def no_changes() -> None:
            changes.unlink(missing_ok=True)

        # The range draft runs on a realistic file: every past release already written.
        subprocess.run(
            [PYTHON, str(SCRIPT), "--all"], cwd=repo, env=env, check=True, capture_output=True
        )
        history = changes.read_text(encoding="utf-8")
        released = history[history.index(f"\n{last[1:]} (") + 1 :]
        with_history = f"Changelog\n=========\n\n{released}"
        print(
            f"{last}..HEAD: {count(repo, f'{last}..HEAD')} commits; CHANGES.rst with "
            f"{with_history.count(chr(10) + '- ')} entries for the range draft"
        )

        def reset_history() -> None:
            changes.write_text(with_history, encoding="utf-8")

        runs, slow = args.runs, args.slow_runs
        rows = {
            "python -c pass": median_time([PYTHON, "-c", "pass"], repo, runs, env, no_changes),
            "git log (range)": median_time(
                ["git", "log", f"--format={LOG_FORMAT}", "--no-merges", f"{last}..HEAD"],
                repo,
                runs,
                env,
                no_changes,
            ),
            "git log (all)": median_time(
                ["git", "log", f"--format={LOG_FORMAT}", "HEAD"], repo, runs, env, no_changes
            ),
            "ours: draft (range)": median_time(
                [PYTHON, str(SCRIPT)], repo, runs, env, reset_history
            ),
            "ours: --all": median_time([PYTHON, str(SCRIPT), "--all"], repo, runs, env, no_changes),
            "gitchangelog (range)": median_time(
                [GITCHANGELOG, f"{last}..HEAD"], repo, slow, env, no_changes
            ),
            "gitchangelog (all)": median_time([GITCHANGELOG], repo, slow, env, no_changes),
        }
        report(rows)
    return 0


def count(repo: Path, revisions: str) -> int:
    out = subprocess.run(
        ["git", "rev-list", "--count", revisions],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return int(out)


def report(rows: dict[str, float]) -> None:
    print(f"\n{'measurement':<24}{'median s':>10}")
    for name, seconds in rows.items():
        print(f"{name:<24}{seconds:>10.3f}")
    floor = rows["git log (range)"] + rows["python -c pass"]
    checks = [
        (
            "gitchangelog (all) / ours --all",
            rows["gitchangelog (all)"] / rows["ours: --all"],
            ">= 20",
        ),
        ("ours --all / git log (all)", rows["ours: --all"] / rows["git log (all)"], "<= 5"),
        ("ours range / (git log range + start-up)", rows["ours: draft (range)"] / floor, "<= 3"),
        (
            "gitchangelog (range) / ours range",
            rows["gitchangelog (range)"] / rows["ours: draft (range)"],
            "(info)",
        ),
    ]
    print(f"\n{'ratio':<44}{'value':>8}  target")
    for name, value, target in checks:
        print(f"{name:<44}{value:>8.1f}  {target}")


if __name__ == "__main__":
    if not shutil.which("git"):
        sys.exit("bench: git not found")
    sys.exit(main())
