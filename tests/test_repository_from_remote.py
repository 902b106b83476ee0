"""On a laptop (no GITHUB_REPOSITORY) the GitHub scripts read OWNER/REPO from the remote's URL.

One table, one runner: each row runs the real script in a real git checkout whose remotes
have the row's URLs (nothing is fetched from them), against the GitHub API stand-in, then
asserts the exit status, a part of stderr, the repository every request asked for, and that
no secret of a URL appears in anything printed. Precedence: --repository, else
GITHUB_REPOSITORY, else the URL of --remote ($REMOTE, default origin).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import SCRIPTS
from tests.peers.git_repos import make_repo
from tests.peers.github_api import GitHubStandIn

SECRET = "ghp_NotARealTokenFromTheRemotesUrl"  # in a URL: never printed
GITHUB = "git@github.com:octo-org/project.git"
TOKEN_URL = f"https://x-access-token:{SECRET}@github.com/octo-org/project.git"
RC_FIND = ("rc_pull_request.py", "find")
# A read-only publish: it looks the release up and changes nothing.
PUBLISH = ("draft_release.py", "--tag", "v1.2.0", "publish", "--dry-run", "--notes", "notes.md")
DERIVED = "repository octo-org/project (from origin's URL)"
REFUSED = "set GITHUB_REPOSITORY or --repository to OWNER/REPO: it could not be read from"


@dataclass(frozen=True)
class Row:
    id: str
    argv: tuple[str, ...]  # the script's file name, then its arguments
    remotes: Mapping[str, str]  # remote -> its URL, set in the checkout
    says: str  # a part of stderr
    env: Mapping[str, str] = field(default_factory=dict)
    status: int = 0
    asks: str | None = "octo-org/project"  # the repository of every request; None: no request
    shows: str = ""  # a part of stdout


ROWS = [
    Row("rc: origin over ssh", RC_FIND, {"origin": GITHUB}, DERIVED),
    Row("rc: a token in origin's URL", RC_FIND, {"origin": TOKEN_URL}, DERIVED),
    Row(
        "rc: a GitHub Enterprise host",
        RC_FIND,
        {"origin": "ssh://git@ghe.example.com:22/octo-org/project.git"},
        DERIVED,
    ),
    Row(
        "rc: REMOTE names the remote",
        RC_FIND,
        {"origin": "/srv/git/elsewhere.git", "upstream": "https://github.com/octo-org/project"},
        "repository octo-org/project (from upstream's URL)",
        env={"REMOTE": "upstream"},
    ),
    Row(
        "rc: --remote names the remote",
        ("rc_pull_request.py", "--remote", "upstream", "find"),
        {"origin": "/srv/git/elsewhere.git", "upstream": GITHUB},
        "repository octo-org/project (from upstream's URL)",
    ),
    Row(
        "rc: GITHUB_REPOSITORY wins over the remote",
        RC_FIND,
        {"origin": "git@github.com:someone/else.git"},
        "",
        env={"GITHUB_REPOSITORY": "octo-org/project"},
    ),
    Row(
        "rc: --repository wins over GITHUB_REPOSITORY",
        ("rc_pull_request.py", "--repository", "octo-org/project", "find"),
        {"origin": "git@github.com:someone/else.git"},
        "",
        env={"GITHUB_REPOSITORY": "someone/other"},
    ),
    Row(
        "rc: a local origin names none",
        RC_FIND,
        {"origin": "/srv/git/octo-org/project.git"},
        f"{REFUSED} origin's URL",
        status=2,
        asks=None,
    ),
    Row(
        "rc: a token in a URL that names none",
        RC_FIND,
        {"origin": f"https://x:{SECRET}@gitlab.example.com/group/sub/project.git"},
        f"{REFUSED} origin's URL",
        status=2,
        asks=None,
    ),
    Row(
        "rc: no such remote",
        RC_FIND,
        {"origin": GITHUB},
        f"{REFUSED} upstream's URL",
        env={"REMOTE": "upstream"},
        status=2,
        asks=None,
    ),
    Row("release: origin over ssh", PUBLISH, {"origin": GITHUB}, DERIVED),
    Row("release: a token in origin's URL", PUBLISH, {"origin": TOKEN_URL}, DERIVED),
    Row(
        "release: GITHUB_REPOSITORY wins over the remote",
        PUBLISH,
        {"origin": "git@github.com:someone/else.git"},
        "",
        env={"GITHUB_REPOSITORY": "octo-org/project"},
    ),
    Row(
        "release: a local origin names none",
        PUBLISH,
        {"origin": "file:///srv/git/octo-org/project.git"},
        f"{REFUSED} origin's URL",
        status=2,
        asks=None,
    ),
]


# `make plan`'s row: it names the repository when the remote can, and never refuses.
PLAN_ROWS = [
    Row(
        "plan: origin over ssh",
        ("draft_release.py", "plan"),
        {"origin": GITHUB},
        DERIVED,
        asks=None,
        shows="/repos/octo-org/project\t",
    ),
    Row(
        "plan: a local origin names none",
        ("draft_release.py", "plan"),
        {"origin": "/srv/git/octo-org/project.git"},
        "",
        asks=None,
        shows="/repos/GITHUB_REPOSITORY\t",
    ),
]
ROWS += PLAN_ROWS


def repository_asked(path: str) -> str:
    """OWNER/REPO of a request to /repos/OWNER/REPO/..., else the whole path."""
    parts = path.partition("?")[0].split("/")
    return "/".join(parts[2:4]) if parts[1:2] == ["repos"] else path


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A checkout after `make build`, with a tag to release and the notes of its release."""
    repo = make_repo(tmp_path, with_origin=False)
    repo.write("dist/rk_demo-1.2.0-py3-none-any.whl", "a wheel\n")
    wheel = hashlib.sha256(b"a wheel\n").hexdigest()
    repo.write("dist/SHA256SUMS", f"{wheel}  rk_demo-1.2.0-py3-none-any.whl\n")
    repo.write("notes.md", "- Add the remote's repository.\n")
    repo.write("CHANGES.rst", "Changelog\n=========\n")
    return repo.path


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_the_repository_comes_from_the_remote(
    row: Row, checkout: Path, github_api: GitHubStandIn
) -> None:
    for name, url in row.remotes.items():
        subprocess.run(["git", "remote", "add", name, url], cwd=checkout, check=True)
    env = {**os.environ, **github_api.env(), **row.env}
    if "GITHUB_REPOSITORY" not in row.env:
        del env["GITHUB_REPOSITORY"]  # a laptop
    script, *args = row.argv

    result = subprocess.run(
        [sys.executable, str(SCRIPTS / script), *args],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    output = result.stdout + result.stderr
    assert result.returncode == row.status, output
    assert row.says in result.stderr, output
    assert row.shows in result.stdout, output
    assert "Traceback" not in output
    assert SECRET not in output
    assert github_api.token not in output
    asked = {repository_asked(r.path) for r in github_api.requests}
    assert asked == ({row.asks} if row.asks else set()), output
    if row.status == 2:
        assert len(result.stderr.splitlines()) == 1, result.stderr
