"""Scripted git histories with a bare `origin`, driven through the real git CLI."""

from __future__ import annotations

import itertools
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

_clock = itertools.count()


def run_git(cwd: Path, *args: str, check: bool = True, env: dict[str, str] | None = None) -> str:
    """Run git in `cwd` and return its stripped stdout; raise with stderr on failure."""
    result = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env=env, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed in {cwd}:\n{result.stderr}")
    return result.stdout.strip()


@dataclass
class GitRepo:
    """A working clone whose `origin` is a bare repository on disk."""

    path: Path
    origin: Path | None = None
    author: str = "Ada Lovelace <ada@example.org>"
    _files: itertools.count[int] = field(default_factory=itertools.count)

    def git(self, *args: str, check: bool = True) -> str:
        return run_git(self.path, *args, check=check)

    def write(self, relpath: str, text: str) -> Path:
        target = self.path / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        return target

    def read(self, relpath: str) -> str:
        return (self.path / relpath).read_text(encoding="utf-8")

    def commit(
        self,
        subject: str,
        body: str = "",
        files: dict[str, str] | None = None,
        author: str | None = None,
    ) -> str:
        """Commit `files` (or a fresh file) with a distinct, increasing date; return the sha."""
        for relpath, text in (files or {f"changes/{next(self._files)}.txt": subject}).items():
            self.write(relpath, text)
        self.git("add", "--all")
        tick = next(_clock)
        date = f"{1700000000 + tick * 60} +0000"
        message = f"{subject}\n\n{body}" if body else subject
        env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        args = ["commit", "--quiet", "--allow-empty", "-m", message]
        if author:
            args += ["--author", author]
        run_git(self.path, *args, env=env)
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str, message: str | None = None, ref: str = "HEAD") -> None:
        """Create a tag: annotated when a message is given, lightweight otherwise."""
        if message is None:
            self.git("tag", name, ref)
        else:
            self.git("tag", "-a", name, "-m", message, ref)

    def branch(self, name: str, start: str = "HEAD") -> None:
        self.git("branch", name, start)

    def checkout(self, name: str) -> None:
        self.git("checkout", "--quiet", name)

    def merge(self, branch: str, message: str | None = None) -> str:
        """A true merge commit (--no-ff), as a GitHub 'Merge pull request' button makes."""
        tick = next(_clock)
        date = f"{1700000000 + tick * 60} +0000"
        env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        args = ["merge", "--no-ff", "--quiet", branch, "-m", message or f"Merge branch '{branch}'"]
        run_git(self.path, *args, env=env)
        return self.git("rev-parse", "HEAD")

    def push(self, *refs: str) -> None:
        self.git("push", "--quiet", "origin", *(refs or ("HEAD",)))

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def remote_ref(self, ref: str) -> str | None:
        """The sha `ref` has on origin (a branch or tag name), or None when origin lacks it."""
        assert self.origin is not None
        out = run_git(self.origin, "rev-parse", "--verify", "--quiet", ref, check=False)
        return out or None

    def status(self) -> str:
        return self.git("status", "--porcelain")


def make_repo(root: Path, name: str = "project", with_origin: bool = True) -> GitRepo:
    """A new repository on branch main with one root commit, pushed to a bare origin."""
    work = root / name
    work.mkdir(parents=True)
    run_git(work, "init", "--quiet", "--initial-branch=main")
    repo = GitRepo(path=work)
    repo.commit("Initial commit", files={"README.md": f"# {name}\n"})
    if with_origin:
        origin = root / f"{name}-origin.git"
        run_git(root, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
        repo.git("remote", "add", "origin", str(origin))
        repo.git("push", "--quiet", "--set-upstream", "origin", "main")
        repo.origin = origin
    return repo


def clone(repo: GitRepo, dest: Path) -> GitRepo:
    """A second working clone of the same origin: another maintainer's laptop."""
    assert repo.origin is not None
    run_git(dest.parent, "clone", "--quiet", str(repo.origin), str(dest))
    return GitRepo(path=dest, origin=repo.origin)
