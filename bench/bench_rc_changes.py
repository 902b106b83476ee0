"""Benchmark scripts/make_rc_changes.py side by side with its peers and raw git log.

Peers: gitchangelog, git-cliff, commitizen (`cz changelog`) and python-semantic-release,
installed from PyPI into a bench venv (--peers-venv, made on first use); a peer that cannot
be installed or run is skipped with its reason printed.

Run: .venv/bin/python bench/bench_rc_changes.py [--commits 20000] [--tags 150] [--runs 5]
"""

from __future__ import annotations

import argparse
import ast
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
PEERS = ("gitchangelog", "git-cliff", "commitizen", "python-semantic-release")
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
    # python-semantic-release reads the remote's URL (never fetched here)
    subprocess.run(
        ["git", "remote", "add", "origin", "https://github.com/example/big.git"],
        cwd=repo,
        check=True,
    )
    print(f"generated {commits} commits, {tags} tags in {time.perf_counter() - begin:.1f}s")
    return repo


CZ_TOML = """[tool.commitizen]
name = "cz_conventional_commits"
tag_format = "v$version"
version = "{version}"
"""

PSR_TOML = """[tool.semantic_release]
tag_format = "v{version}"
version_variables = []

[tool.semantic_release.changelog.default_templates]
changelog_file = "PSR_CHANGELOG.md"

[tool.semantic_release.branches.main]
match = "main"
"""


def peers_venv(where: Path) -> Path:
    """The bench venv: each peer installed from PyPI on its own (one failing skips only it)."""
    if not (where / "bin" / "python").exists():
        subprocess.run([PYTHON, "-m", "venv", str(where)], check=True)
    for peer in PEERS:
        done = subprocess.run(
            [str(where / "bin" / "pip"), "install", "-q", peer], capture_output=True, text=True
        )
        if done.returncode != 0:
            print(f"skip {peer}: pip install failed: {done.stderr.strip().splitlines()[-1:]}")
    return where


def peer_commands(venv: Path, last: str) -> dict[str, list[str]]:
    """Each peer's row and command; a peer whose executable is missing is skipped, named."""
    bin_dir = venv / "bin"
    wanted = {
        "gitchangelog (range)": ("gitchangelog", [f"{last}..HEAD"]),
        "gitchangelog (all)": ("gitchangelog", []),
        "git-cliff (range)": ("git-cliff", [f"{last}..HEAD"]),
        "git-cliff (all)": ("git-cliff", []),
        "cz changelog (range)": ("cz", ["changelog", "--dry-run", "--start-rev", last]),
        "cz changelog (all)": ("cz", ["changelog", "--dry-run"]),
        "semantic-release (all)": ("semantic-release", ["--noop", "changelog"]),
    }
    commands = {}
    for row, (program, args) in wanted.items():
        if not (bin_dir / program).exists():
            print(f"skip {row}: {program} is not installed in {venv}")
            continue
        commands[row] = [str(bin_dir / program), *args]
    return commands


class PeerFailedError(Exception):
    """A peer's command failed: its row is skipped, the reason printed."""


def median_time(
    command: Sequence[str],
    cwd: Path,
    runs: int,
    env: dict[str, str],
    before: Callable[[], None],
    peer: str = "",
) -> float:
    """The median wall time; PeerFailedError (with the reason) when a peer fails."""
    times = []
    for _ in range(runs):
        before()
        begin = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False)
        if done.returncode != 0 and peer:
            why = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
            raise PeerFailedError(f"exit {done.returncode}: {why[-1] if why else ''}")
        if done.returncode != 0:
            sys.exit(f"bench: {' '.join(command)} failed:\n{done.stderr.decode()}")
        times.append(time.perf_counter() - begin)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--tags", type=int, default=150)
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--slow-runs", type=int, default=3, help="runs for the peers")
    parser.add_argument(
        "--peers-venv",
        type=Path,
        default=ROOT / ".cache" / "bench-peers",
        help="the venv the peers are installed in (made and filled from PyPI when missing)",
    )
    args = parser.parse_args()
    venv = peers_venv(args.peers_venv)
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

        (repo / ".cz.toml").write_text(CZ_TOML.format(version=last[1:]), encoding="utf-8")
        (repo / "pyproject.toml").write_text(PSR_TOML, encoding="utf-8")
        peers = peer_commands(venv, last)

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
            **{
                row: median_time(command, repo, runs, env, no_changes)
                for row, command in floor_commands().items()
            },
            "ours: draft (range)": median_time(
                [PYTHON, str(SCRIPT)], repo, runs, env, reset_history
            ),
            "ours: --all": median_time([PYTHON, str(SCRIPT), "--all"], repo, runs, env, no_changes),
        }
        for row, command in peers.items():
            try:
                rows[row] = median_time(command, repo, slow, env, no_changes, row)
            except PeerFailedError as failed:
                print(f"skip {row}: {failed}")
        report(rows)
    return 0


def script_imports() -> str:
    """The script's top-level imports as one statement: what any run of it imports first."""
    tree = ast.parse(SCRIPT.read_text(encoding="utf-8"))
    modules = sorted(
        {alias.name for node in tree.body if isinstance(node, ast.Import) for alias in node.names}
        | {
            node.module
            for node in tree.body
            if isinstance(node, ast.ImportFrom) and node.module and node.module != "__future__"
        }
    )
    return "import " + ", ".join(modules)


def floor_commands() -> dict[str, list[str]]:
    """What every run of the one-file script pays before its first line of work: start-up,
    its standard-library imports and the compile of its source (a script run as a file is
    compiled on every run; only imported modules are cached as bytecode)."""
    imports = script_imports()
    compile_it = f"compile(open({str(SCRIPT)!r}).read(), {str(SCRIPT)!r}, 'exec')"
    return {
        "floor: start-up+imports": [PYTHON, "-c", imports],
        "floor: +compile": [PYTHON, "-c", f"{imports}; {compile_it}"],
    }


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
    print(f"\n{'measurement':<26}{'median s':>10}")
    for name, seconds in rows.items():
        print(f"{name:<26}{seconds:>10.3f}")
    floor = rows["git log (range)"] + rows["python -c pass"]
    checks = [
        ("ours --all / git log (all)", rows["ours: --all"] / rows["git log (all)"], "<= 2.5"),
        ("ours range / (git log range + start-up)", rows["ours: draft (range)"] / floor, "<= 4"),
        ("floor (+compile) / (git log range + start-up)", rows["floor: +compile"] / floor, "-"),
    ]
    for name in rows:
        if name.endswith("(all)") and not name.startswith("git log"):
            checks.append((f"{name} / ours --all", rows[name] / rows["ours: --all"], "(peer)"))
        elif name.endswith("(range)") and not name.startswith(("git log", "ours")):
            checks.append(
                (f"{name} / ours range", rows[name] / rows["ours: draft (range)"], "(peer)")
            )
    print(f"\n{'ratio':<48}{'value':>8}  target")
    for name, value, target in checks:
        print(f"{name:<48}{value:>8.1f}  {target}")


if __name__ == "__main__":
    if not shutil.which("git"):
        sys.exit("bench: git not found")
    sys.exit(main())
