"""The preparation half's steps where a refusal is not enough: a notes file symlinked to a
secret (the secret appears nowhere), and interrupted runs of release-tag and rc (the next run
finishes the job). Bad input, one row each, is in tests/test_bad_inputs.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import BIN
from tests.peers.git_repos import GitRepo, run_git
from tests.peers.github_api import GitHubStandIn
from tests.test_release_tag import prepare

TOKEN = "ghp_FAKEtoken0123456789abcdefSECRETxyz"


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


def run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    head, *args = command
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
