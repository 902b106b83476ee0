"""Bad inputs to the preparation half, one row each: exit code, ONE line on stderr, no
traceback or usage block, every file byte-identical, nothing pushed. Then symlinks that point
at a secret, and interrupted runs of release-tag and rc."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import BIN, SCRIPTS
from tests.peers.git_repos import GitRepo, run_git
from tests.peers.github_api import GitHubStandIn
from tests.test_release_tag import prepare

TOKEN = "ghp_FAKEtoken0123456789abcdefSECRETxyz"


def snapshot(repo: GitRepo) -> tuple[dict[str, bytes], str, str]:
    """Every file of the work tree (and its git refs), and origin's refs."""
    files = {
        str(p.relative_to(repo.path)): p.read_bytes()
        for p in sorted(repo.path.rglob("*"))
        if p.is_file() and not p.is_symlink() and ".git" not in p.relative_to(repo.path).parts
    }
    refs = repo.git("for-each-ref", "--format=%(refname) %(objectname)")
    assert repo.origin is not None
    remote = run_git(repo.origin, "for-each-ref", "--format=%(refname) %(objectname)")
    return files, refs, remote


@dataclass(frozen=True)
class Row:
    name: str
    command: list[str]  # scripts/x.py or bin/x, then arguments
    says: str
    status: int = 2
    setup: Callable[[GitRepo, Path], None] = lambda repo, tmp: None
    env: dict[str, str] = field(default_factory=dict)
    in_origin: bool = False  # run inside the bare origin instead of the checkout


def outside_file(repo: GitRepo, tmp: Path) -> Path:
    secret = tmp / "secret.txt"
    secret.write_text(f"GITHUB_TOKEN={TOKEN}\n", encoding="utf-8")
    return secret


def symlinked_notes(repo: GitRepo, tmp: Path) -> None:
    (repo.path / "CHANGES.rst").unlink(missing_ok=True)
    (repo.path / "CHANGES.rst").symlink_to(outside_file(repo, tmp))
    repo.git("add", "CHANGES.rst")
    repo.git("commit", "--quiet", "-m", "docs: notes")
    repo.push("main")


def conflicted_merge(repo: GitRepo, tmp: Path) -> None:
    repo.branch("other", "HEAD")
    repo.commit("fix: one side", files={"x.txt": "main\n"})
    repo.checkout("other")
    repo.commit("fix: other side", files={"x.txt": "other\n"})
    repo.checkout("main")
    repo.git("merge", "other", check=False)


def notes_file(text: str) -> Callable[[GitRepo, Path], None]:
    def setup(repo: GitRepo, tmp: Path) -> None:
        repo.commit("docs: notes", files={"CHANGES.rst": text})
        repo.push("main")

    return setup


def a_directory(tmp: Path) -> str:
    folder = tmp / "a-directory"
    folder.mkdir(exist_ok=True)
    return str(folder)


READY = "Changelog\n=========\n\n1.3.0 (2025-01-02)\n------------------\n\n- 1234abc ENH: x\n"
TWICE = READY + "\n1.3.0 (2025-01-01)\n------------------\n\n- 1234abc ENH: y\n"
UNDERLINE_MISSING = (
    "Changelog\n=========\n\n1.3.0 (2025-02-01)\n\n- y\n\n"
    "1.2.0 (2025-01-01)\n------------------\n\n- x\n"
)
NOT_PEP440_TOP = (
    "Changelog\n=========\n\n1.3.x (2025-02-01)\n------------------\n\n- y\n\n"
    "1.2.0 (2025-01-01)\n------------------\n\n- x\n"
)
IMPOSSIBLE_DATE = "Changelog\n=========\n\n1.3.0 (2025-02-30)\n------------------\n\n- x\n"

MAKE_RC = "scripts/make_rc_changes.py"
CHANGES = "scripts/changes.py"
RELEASE_TAG = "scripts/release_tag.py"

ROWS = [
    Row("rc-bare-repository", [MAKE_RC], "bare repository", in_origin=True),
    Row("rc-symlinked-notes", [MAKE_RC], "is a symlink", setup=symlinked_notes),
    Row("rc-notes-outside", [MAKE_RC, "--changes", "../outside.rst"], "outside the work tree"),
    Row("rc-path-outside", [MAKE_RC, "--path", ".."], "outside the work tree"),
    Row("rc-conflicted-merge", [MAKE_RC], "merge is in progress", setup=conflicted_merge),
    Row(
        "rc-output-is-a-directory",
        [MAKE_RC],
        "GITHUB_OUTPUT=",
        env={"GITHUB_OUTPUT": "{dir}"},
        setup=notes_file(READY),
    ),
    Row(
        "rc-summary-is-a-directory",
        [MAKE_RC],
        "not a writable",
        env={"GITHUB_STEP_SUMMARY": "{dir}"},
    ),
    Row(
        "rc-heading-without-underline",
        [MAKE_RC],
        "without its underline",
        setup=notes_file(UNDERLINE_MISSING),
    ),
    Row(
        "rc-unknown-heading-on-top",
        [MAKE_RC],
        "'1.3.x' is not a PEP 440",
        setup=notes_file(NOT_PEP440_TOP),
    ),
    Row("rc-version-not-releasable", [MAKE_RC, "--version", "2.0"], "not a form release-tag"),
    Row("rc-unknown-option", [MAKE_RC, "--bogus"], "unrecognized arguments"),
    Row(
        "changes-version-not-pep440",
        [CHANGES, "version"],
        "no PEP 440 version",
        setup=notes_file(NOT_PEP440_TOP),
    ),
    Row(
        "changes-impossible-date",
        [CHANGES, "date"],
        "not a real date",
        setup=notes_file(IMPOSSIBLE_DATE),
    ),
    Row("changes-symlinked-notes", [CHANGES, "notes"], "is a symlink", setup=symlinked_notes),
    Row(
        "changes-notes-outside",
        [CHANGES, "--file", "../outside.rst", "version"],
        "outside the work tree",
    ),
    Row(
        "changes-output-is-a-directory",
        [CHANGES, "check"],
        "GITHUB_OUTPUT=",
        env={"GITHUB_OUTPUT": "{dir}"},
        setup=notes_file(READY),
    ),
    Row("changes-unknown-command", [CHANGES, "bogus"], "invalid choice"),
    Row("changes-bad-today", [CHANGES, "check", "--today", "tomorrow"], "not a date"),
    Row(
        "changes-two-sections-one-version",
        [CHANGES, "check"],
        "a second section for version 1.3.0",
        status=1,
        setup=notes_file(TWICE),
    ),
    Row("tag-bare-repository", [RELEASE_TAG], "bare repository", in_origin=True),
    Row("tag-symlinked-notes", [RELEASE_TAG], "is a symlink", setup=symlinked_notes),
    Row("tag-conflicted-merge", [RELEASE_TAG], "merge is in progress", setup=conflicted_merge),
    Row(
        "tag-output-is-a-directory",
        [RELEASE_TAG],
        "GITHUB_OUTPUT=",
        env={"GITHUB_OUTPUT": "{dir}"},
        setup=notes_file(READY),
    ),
    Row("tag-no-package-dir", [RELEASE_TAG, "--package-dir", "nope"], "is not a directory"),
    Row("tag-bad-resume", [RELEASE_TAG, "--resume", "maybe"], "invalid choice"),
    Row(
        "tag-nothing-to-undo",
        [RELEASE_TAG],
        "nothing|no unpushed bump commit",
        env={"RESUME": "undo"},
        setup=notes_file(READY),
    ),
    Row("rc-step-bare-repository", ["bin/release-candidate"], "bare repository", in_origin=True),
    Row(
        "rc-step-output-is-a-directory",
        ["bin/release-candidate"],
        "GITHUB_OUTPUT=",
        env={"GITHUB_OUTPUT": "{dir}"},
    ),
]


def run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    head, *args = command
    if head.startswith("scripts/"):
        argv = [sys.executable, str(SCRIPTS / Path(head).name), *args]
    else:
        argv = [str(BIN / Path(head).name), *args]
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        argv,
        cwd=cwd,
        env={**os.environ, "PATH": path, **env},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_bad_input_is_one_line_and_changes_nothing(repo: GitRepo, tmp_path: Path, row: Row) -> None:
    (tmp_path / "outside.rst").write_text(READY, encoding="utf-8")
    row.setup(repo, tmp_path)
    env = {k: v.replace("{dir}", a_directory(tmp_path)) for k, v in row.env.items()}
    before = snapshot(repo)
    assert repo.origin is not None
    result = run(row.command, repo.origin if row.in_origin else repo.path, env)

    assert result.returncode == row.status, result.stderr
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr and "usage:" not in result.stderr
    if row.status == 2:
        assert len(lines) == 1, result.stderr
    assert any(part in result.stderr for part in row.says.split("|")), result.stderr
    assert snapshot(repo) == before


# ---- a symlink to a secret: the secret appears nowhere -----------------------------------------


def origin_objects(repo: GitRepo) -> str:
    assert repo.origin is not None
    return subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch"],
        cwd=repo.origin,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8", "replace")


@pytest.mark.parametrize("dry_run", ["0", "1"])
def test_a_symlinked_changelog_never_leaks_the_secret(
    repo: GitRepo, tmp_path: Path, github_api: GitHubStandIn, dry_run: str
) -> None:
    prepare(repo, "1.2.0", "1.3.0")
    symlinked_notes(repo, tmp_path)
    repo.commit("fix: a fix")
    repo.push("main")
    token = github_api.env()["GITHUB_TOKEN"]  # the token the run holds is the secret
    (tmp_path / "secret.txt").write_text(f"GITHUB_TOKEN={token}\n", encoding="utf-8")
    outputs, summary = tmp_path / "output", tmp_path / "summary"
    env = {
        **github_api.env(),
        "DRY_RUN": dry_run,
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    before = origin_objects(repo)

    results = [run([step], repo.path, env) for step in ("bin/release-candidate", "bin/release-tag")]

    for result in results:
        assert result.returncode == 2, result.stderr
        assert "symlink" in result.stderr
        assert token not in result.stdout + result.stderr
    written = "".join(p.read_text(encoding="utf-8") for p in (outputs, summary) if p.exists())
    assert token not in written
    assert token not in origin_objects(repo) and origin_objects(repo) == before
    assert not [p for p in github_api.requests if p.method not in ("GET", "HEAD")]


# ---- interrupted runs --------------------------------------------------------------------------


def hook(git_dir: Path, name: str, flag: Path) -> None:
    """A hook that, the first time only, says it was reached and then sleeps: the window."""
    path = git_dir / "hooks" / name
    path.write_text(
        f"#!/bin/sh\nif [ ! -e '{flag}' ]; then : > '{flag}'; sleep 60; fi\n"
        "cat >/dev/null\nexit 0\n",
        encoding="utf-8",
    )
    path.chmod(0o755)


def interrupt(argv: list[str], cwd: Path, env: dict[str, str], flag: Path, sig: int) -> None:
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(600):
            if flag.exists() or proc.poll() is not None:
                break
            time.sleep(0.05)
        assert flag.exists(), "the run never reached the hook"
        os.killpg(proc.pid, sig)
    finally:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            # A hook still sleeping out the window after a soft signal: the machine went down
            # with it, which is an interruption too. What is asserted is the next run.
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def tags_on_origin(repo: GitRepo) -> list[str]:
    assert repo.origin is not None
    return run_git(repo.origin, "tag", "--list").split()


@pytest.mark.parametrize(
    ("where", "sig", "resume"),
    [
        ("before-push", signal.SIGKILL, ""),
        ("before-push", signal.SIGTERM, ""),
        ("before-push", signal.SIGINT, "undo"),
        ("during-push", signal.SIGKILL, ""),
        ("after-push", signal.SIGKILL, ""),
    ],
    ids=["before-kill", "before-term", "before-int-undo", "during-kill", "after-kill"],
)
def test_an_interrupted_release_tag_is_finished_by_the_next_run(
    repo: GitRepo, tmp_path: Path, where: str, sig: int, resume: str
) -> None:
    prepare(repo, "1.2.0", "1.3.0")
    assert repo.origin is not None
    flag = tmp_path / "reached"
    hooks = {
        "before-push": (repo.path / ".git", "pre-push"),
        "during-push": (repo.origin, "pre-receive"),
        "after-push": (repo.origin, "post-receive"),
    }
    hook(*hooks[where], flag)
    venv = str(Path(sys.executable).parent)
    env = {"PATH": f"{venv}{os.pathsep}{os.environ['PATH']}"}
    interrupt([str(BIN / "release-tag")], repo.path, env, flag, sig)

    again = run(["bin/release-tag"], repo.path, {"RESUME": resume} if resume else {})
    assert again.returncode == 0, again.stderr
    if resume == "undo":
        assert "undid" in again.stderr
        assert repo.head() == repo.remote_ref("main") and tags_on_origin(repo) == ["v1.2.0"]
        again = run(["bin/release-tag"], repo.path, {})
        assert again.returncode == 0, again.stderr
    elif where != "after-push":
        assert "interrupted run" in again.stderr
    assert tags_on_origin(repo) == ["v1.2.0", "v1.3.0"]
    assert repo.remote_ref("v1.3.0^{commit}") == repo.remote_ref("main") == repo.head()
    assert repo.git("log", "-1", "--format=%s") == "chore(ver): bump 1.2.0 -> 1.3.0"
    assert repo.git("rev-list", "--count", "v1.2.0..HEAD") == "2"  # the notes, one bump
    assert repo.status() == ""
    # And a third run refuses the released version, changing nothing.
    assert run(["bin/release-tag"], repo.path, {}).returncode in (0, 2)
    assert tags_on_origin(repo) == ["v1.2.0", "v1.3.0"]


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill", "term"])
def test_an_interrupted_rc_leaves_nothing_the_next_run_does_not_clean(
    repo: GitRepo, tmp_path: Path, github_api: GitHubStandIn, sig: int
) -> None:
    prepare(repo, "1.2.0", "1.3.0")
    repo.commit("fix: after the release")
    repo.push("main")
    assert repo.origin is not None
    flag, scratch = tmp_path / "reached", tmp_path / "tmp"
    scratch.mkdir()
    hook(repo.origin, "pre-receive", flag)
    venv = str(Path(sys.executable).parent)
    env = {
        **github_api.env(),
        "RC_DATE": "2026-11-03",
        "TMPDIR": str(scratch),
        "PATH": f"{venv}{os.pathsep}{os.environ['PATH']}",
    }
    interrupt([str(BIN / "release-candidate")], repo.path, env, flag, sig)

    again = run(["bin/release-candidate"], repo.path, env)
    assert again.returncode == 0, again.stderr
    assert repo.remote_ref("auto-release-candidate-2026-11-03") is not None
    assert len(github_api.pulls()) == 1
    assert repo.git("worktree", "list", "--porcelain").count("worktree ") == 1
    assert list(scratch.iterdir()) == []
    assert repo.status() == ""
