"""A monorepo end to end from its root: `make rc` and `make release-tag` for one package."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.conftest import ROOT
from tests.peers.git_repos import GitRepo
from tests.peers.github_api import GitHubStandIn
from tests.test_release_tag import pyproject

YESTERDAY = (datetime.now(timezone.utc) - timedelta(days=1)).date().isoformat()
DAY = "2026-11-02"
BRANCH = f"auto-release-candidate-{DAY}"


def notes(version: str, date: str) -> str:
    heading = f"{version} ({date})"
    return f"Changelog\n=========\n\n{heading}\n{'-' * len(heading)}\n\n- 0c1d2e3 ENH: First cut\n"


def make(repo: GitRepo, target: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    venv_bin = str(Path(sys.executable).parent)
    return subprocess.run(
        ["make", "--no-print-directory", "-f", str(ROOT / "releasekit.mk"), target],
        cwd=repo.path,
        env={
            **os.environ,
            "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}",
            "PY": sys.executable,
            "PACKAGE_DIR": "packages/a",
            "TAG_PATTERN": "a-v*",
            **env,
        },
        capture_output=True,
        text=True,
        check=False,
    )


def test_rc_and_release_tag_for_one_package_from_the_root(
    repo: GitRepo, github_api: GitHubStandIn
) -> None:
    files: dict[str, str] = {}
    for name in ("a", "b"):
        base = f"packages/{name}"
        files |= {
            f"{base}/pyproject.toml": pyproject("1.0.0"),
            f"{base}/src/demo/__init__.py": '__version__ = "1.0.0"\n',
            f"{base}/CHANGES.rst": notes("1.0.0", "2026-01-01"),
        }
    repo.commit("chore: two packages", files=files)
    repo.tag("a-v1.0.0", message="a 1.0.0")
    repo.tag("b-v1.0.0", message="b 1.0.0")
    repo.commit("feat(a): a feature of a", files={"packages/a/a.py": "a = 1\n"})
    repo.commit("fix(b): a fix of b only", files={"packages/b/b.py": "b = 1\n"})
    repo.push("main", "a-v1.0.0", "b-v1.0.0")

    rc = make(repo, "rc", {**github_api.env(), "RC_DATE": DAY})
    assert rc.returncode == 0, rc.stderr
    draft = repo.git("show", f"origin/{BRANCH}:packages/a/CHANGES.rst")
    assert "1.1.0 (unreleased)" in draft and "A feature of a" in draft
    assert "fix of b" not in draft
    assert repo.git("show", f"origin/{BRANCH}:packages/b/CHANGES.rst") == notes(
        "1.0.0", "2026-01-01"
    ).rstrip("\n")

    # The maintainer dates the draft and merges the RC branch; then the release from the root.
    repo.git("fetch", "--quiet", "origin")
    repo.git("merge", "--quiet", "--ff-only", f"origin/{BRANCH}")
    dated = draft.replace("1.1.0 (unreleased)", f"1.1.0 ({YESTERDAY})")
    dated = dated.replace("-" * len("1.1.0 (unreleased)"), "-" * len(f"1.1.0 ({YESTERDAY})"))
    repo.commit("docs(a): date the notes", files={"packages/a/CHANGES.rst": dated + "\n"})
    repo.push("main")

    tag = make(repo, "release-tag", {})
    assert tag.returncode == 0, tag.stderr
    assert repo.remote_ref("a-v1.1.0^{commit}") == repo.head() == repo.remote_ref("main")
    assert repo.remote_ref("v1.1.0") is None
    assert 'version = "1.1.0"' in repo.read("packages/a/pyproject.toml")
    assert repo.read("packages/b/pyproject.toml") == pyproject("1.0.0")
    changed = repo.git("show", "--name-only", "--format=", "HEAD").splitlines()
    assert sorted(changed) == ["packages/a/pyproject.toml", "packages/a/src/demo/__init__.py"]

    # The notes check now sees 1.1.0 released under the package's own tag.
    check = make(repo, "check-changes", {})
    assert check.returncode != 0
    assert "already released as tag a-v1.1.0" in check.stderr
