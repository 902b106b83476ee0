"""bin/release-candidate end to end: a real repository, a bare origin, the GitHub stand-in."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
import requests

from tests.conftest import run_bin
from tests.peers.git_repos import GitRepo, clone
from tests.peers.github_api import GitHubStandIn

DAY = "2026-11-01"
BRANCH = f"auto-release-candidate-{DAY}"
NOTES = (
    "Changelog\n=========\n\n1.0.0 (2026-10-01)\n------------------\n\n- 0c1d2e3 ENH: First cut\n"
)


@pytest.fixture
def released(repo: GitRepo) -> GitRepo:
    """A project released as v1.0.0, with two commits on main since."""
    repo.commit("chore: write the notes", files={"CHANGES.rst": NOTES})
    repo.tag("v1.0.0", message="Release 1.0.0")
    repo.push("main", "v1.0.0")
    repo.commit("feat: add a widget")
    repo.commit("fix: mend the gadget")
    repo.push("main")
    return repo


def release_candidate(
    repo: GitRepo, gh: GitHubStandIn, day: str = DAY, **env: str
) -> subprocess.CompletedProcess[str]:
    return run_bin("release-candidate", cwd=repo.path, env={**gh.env(), "RC_DATE": day, **env})


def on_origin(repo: GitRepo, branch: str, path: str = "CHANGES.rst") -> str:
    assert repo.origin is not None
    return subprocess.run(
        ["git", "show", f"{branch}:{path}"],
        cwd=repo.origin,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def writes(gh: GitHubStandIn) -> list[str]:
    return [f"{r.method} {r.path}" for r in gh.requests if r.method not in ("GET", "HEAD")]


def checkout_state(repo: GitRepo) -> list[str]:
    """What a maintainer would notice on their laptop: branch, refs, files, worktrees."""
    return [
        repo.git("branch", "--show-current"),
        repo.git("for-each-ref", "--format=%(refname) %(objectname)", "refs/heads", "refs/tags"),
        repo.status(),
        repo.git("worktree", "list", "--porcelain"),
        repo.git("stash", "list"),
    ]


def is_ancestor(repo: GitRepo, older: str, newer: str) -> bool:
    assert repo.origin is not None
    result = subprocess.run(
        ["git", "merge-base", "--is-ancestor", older, newer], cwd=repo.origin, check=False
    )
    return result.returncode == 0


def test_first_run_pushes_a_draft_commit_and_opens_one_draft_pr(
    released: GitRepo, github_api: GitHubStandIn
) -> None:
    released.branch("topic")
    released.checkout("topic")  # maintainers run it from wherever they are
    before = checkout_state(released)

    result = release_candidate(released, github_api)

    assert result.returncode == 0, result.stderr
    tip = released.remote_ref(BRANCH)
    assert tip is not None
    assert released.git("log", "-1", "--format=%s", tip) == "chore(rc-changes): update CHANGES.rst"
    assert released.git("rev-parse", f"{tip}^") == released.remote_ref("main")
    notes = on_origin(released, BRANCH)
    assert "(unreleased)" in notes and ".. releasekit-draft: " in notes
    assert "Add a widget" in notes and "Mend the gadget" in notes
    [pull] = github_api.pulls()
    assert (pull["title"], pull["draft"]) == (f"chore({BRANCH})", True)
    assert (pull["head"]["ref"], pull["base"]["ref"]) == (BRANCH, "main")
    assert "Approve and merge" in pull["body"] and "make release-tag" in pull["body"]
    assert result.stdout.strip() == pull["html_url"]
    assert checkout_state(released) == before


def serve_over_ssh(repo: GitRepo, url: str, tmp_path: Path) -> None:
    """origin's URL becomes `url` (git@host:owner/name.git), and its ssh a local stand-in that
    runs git's upload-pack or receive-pack on the bare origin: nothing leaves the machine."""
    assert repo.origin is not None
    served = tmp_path / "ssh-served"
    (served / url.split(":", 1)[1]).parent.mkdir(parents=True)
    (served / url.split(":", 1)[1]).symlink_to(repo.origin)
    ssh = tmp_path / "ssh-stand-in"
    # `simple` ssh: git passes the host, then the command (git-upload-pack 'owner/name.git').
    ssh.write_text(
        f"#!/bin/sh\nfor command; do :; done\ncd {shlex.quote(str(served))} || exit 1\n"
        'eval "exec git ${command#git-}"\n',
        encoding="utf-8",
    )
    ssh.chmod(0o755)
    repo.git("remote", "set-url", "origin", url)
    repo.git("config", "core.sshCommand", str(ssh))
    repo.git("config", "ssh.variant", "simple")


def test_on_a_laptop_the_repository_comes_from_origins_url(
    released: GitRepo, github_api: GitHubStandIn, tmp_path: Path
) -> None:
    serve_over_ssh(released, "git@github.com:octo-org/project.git", tmp_path)
    laptop = {
        name: value for name, value in github_api.env().items() if name != "GITHUB_REPOSITORY"
    }

    result = run_bin("release-candidate", cwd=released.path, env={**laptop, "RC_DATE": DAY})

    assert result.returncode == 0, result.stderr
    assert "rc_pull_request.py: repository octo-org/project (from origin's URL)" in result.stderr
    assert {
        r.path.split("/")[1:4] == ["repos", "octo-org", "project"] for r in github_api.requests
    } == {True}
    [pull] = github_api.pulls()
    assert pull["head"]["ref"] == BRANCH
    assert released.remote_ref(BRANCH) is not None


def test_a_rerun_the_same_day_changes_nothing(released: GitRepo, github_api: GitHubStandIn) -> None:
    assert release_candidate(released, github_api).returncode == 0
    tip, pulls = released.remote_ref(BRANCH), github_api.pulls()
    github_api.requests.clear()

    again = release_candidate(released, github_api)

    assert again.returncode == 0, again.stderr
    assert released.remote_ref(BRANCH) == tip
    assert github_api.pulls() == pulls
    assert writes(github_api) == []
    assert "up to date" in again.stderr


def test_a_later_run_updates_the_open_pr_and_keeps_the_maintainers_work(
    released: GitRepo, github_api: GitHubStandIn, tmp_path: Path
) -> None:
    assert release_candidate(released, github_api).returncode == 0
    laptop = clone(released, tmp_path / "laptop")
    laptop.checkout(BRANCH)
    edited = laptop.read("CHANGES.rst").replace("Add a widget", "Add the widget everyone asked for")
    mine = laptop.commit("docs: word the notes", files={"CHANGES.rst": edited})
    laptop.push(BRANCH)
    released.commit("fix: stop the leak")
    released.push("main")
    github_api.requests.clear()

    result = release_candidate(released, github_api, day="2026-11-20")

    assert result.returncode == 0, result.stderr
    tip = released.remote_ref(BRANCH)
    assert tip is not None
    assert is_ancestor(released, mine, tip), "the maintainer's commit was dropped"
    assert is_ancestor(released, "main", tip), "main was not merged in"
    notes = on_origin(released, BRANCH)
    assert "Add the widget everyone asked for" in notes and "Add a widget" not in notes
    assert "Stop the leak" in notes
    assert "Word the notes" not in notes, "an edit of the notes came back as an entry"
    assert released.remote_ref("auto-release-candidate-2026-11-20") is None
    [pull] = github_api.pulls()
    assert pull["head"]["ref"] == BRANCH
    assert not any(w.startswith("POST") for w in writes(github_api))


def test_a_description_a_person_edited_is_kept(
    released: GitRepo, github_api: GitHubStandIn
) -> None:
    assert release_candidate(released, github_api).returncode == 0
    [pull] = github_api.pulls()
    mine = pull["body"].replace("To release it:", "Ada releases this one. To release it:")
    headers = {"Authorization": f"Bearer {github_api.token}", "User-Agent": "a person"}
    edit = requests.patch(pull["url"], json={"body": mine}, headers=headers, timeout=10)
    assert edit.status_code == 200
    released.commit("feat: add a lever")
    released.push("main")
    github_api.requests.clear()

    result = release_candidate(released, github_api, day="2026-11-02")

    assert result.returncode == 0, result.stderr
    assert "Add a lever" in on_origin(released, BRANCH)
    assert github_api.pulls()[0]["body"] == mine
    assert writes(github_api) == []


def test_nothing_new_and_no_pr_leaves_no_branch(repo: GitRepo, github_api: GitHubStandIn) -> None:
    repo.commit("chore: write the notes", files={"CHANGES.rst": NOTES})
    repo.tag("v1.0.0", message="Release 1.0.0")
    repo.push("main", "v1.0.0")

    result = release_candidate(repo, github_api)

    assert result.returncode == 0, result.stderr
    assert "nothing new" in result.stderr
    assert repo.remote_ref(BRANCH) is None
    assert github_api.pulls() == [] and writes(github_api) == []
    assert repo.git("branch", "--list", "auto-release-candidate-*") == ""


def test_dry_run_shows_everything_and_touches_nothing(
    released: GitRepo, github_api: GitHubStandIn
) -> None:
    before = checkout_state(released)

    result = release_candidate(released, github_api, DRY_RUN="1")

    assert result.returncode == 0, result.stderr
    assert "+- " in result.stdout and "FIX: Mend the gadget" in result.stdout  # the diff
    assert f"title: chore({BRANCH})" in result.stdout
    assert "would create a draft PR" in result.stdout
    assert "Approve and merge" in result.stdout
    assert released.remote_ref(BRANCH) is None
    assert writes(github_api) == [] and github_api.pulls() == []
    assert checkout_state(released) == before


def test_dry_run_on_an_open_pr_shows_the_update_and_touches_nothing(
    released: GitRepo, github_api: GitHubStandIn
) -> None:
    assert release_candidate(released, github_api).returncode == 0
    released.commit("feat: add a lever")
    released.push("main")
    tip, pulls = released.remote_ref(BRANCH), github_api.pulls()
    before = checkout_state(released)
    github_api.requests.clear()

    result = release_candidate(released, github_api, day="2026-11-09", DRY_RUN="1")

    assert result.returncode == 0, result.stderr
    assert "ENH: Add a lever" in result.stdout
    assert "is up to date, would change nothing" in result.stdout
    assert released.remote_ref(BRANCH) == tip
    assert github_api.pulls() == pulls and writes(github_api) == []
    assert checkout_state(released) == before


def test_the_rc_pr_on_the_second_page_is_found_and_reused(
    released: GitRepo, github_api: GitHubStandIn
) -> None:
    assert release_candidate(released, github_api, day="2026-10-05").returncode == 0
    for n in range(100):  # rc_pull_request.py asks for 100 a page
        github_api.add_pull(f"feature-{n}", title=f"feat: thing {n}", draft=False)
    released.commit("fix: stop the leak")
    released.push("main")

    result = release_candidate(released, github_api)

    assert result.returncode == 0, result.stderr
    assert "Stop the leak" in on_origin(released, "auto-release-candidate-2026-10-05")
    assert released.remote_ref(BRANCH) is None
    assert len(github_api.pulls()) == 101
    assert any(r.query.get("page") == ["2"] for r in github_api.requests)


def test_server_errors_and_rate_limits_are_retried(
    released: GitRepo, github_api: GitHubStandIn
) -> None:
    github_api.fail(502, method="GET")
    github_api.rate_limit("secondary", method="POST", retry_after=1)
    github_api.rate_limit("primary", method="POST", status=429, reset_in=1)

    result = release_candidate(released, github_api)

    assert result.returncode == 0, result.stderr
    assert len(github_api.pulls()) == 1
    assert [w.split()[0] for w in writes(github_api)] == ["POST"] * 3


def test_bad_credentials_stop_in_one_line_without_the_token(
    released: GitRepo, github_api: GitHubStandIn
) -> None:
    token = "ghp_NotTheRightOne0123456789abcdefABCDEF"

    result = release_candidate(released, github_api, GITHUB_TOKEN=token)

    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert re.fullmatch(
        r"rc_pull_request\.py: error: \S+ \S+: 401 bad credentials: check GITHUB_TOKEN", line
    )
    assert token not in result.stdout + result.stderr
    assert released.remote_ref(BRANCH) is None


def test_a_run_that_failed_at_the_api_is_finished_by_the_next(
    released: GitRepo, github_api: GitHubStandIn
) -> None:
    github_api.rate_limit("primary", method="POST", reset_in=3600)  # GitHub says: in an hour

    failed = release_candidate(released, github_api)

    assert failed.returncode == 1
    tip = released.remote_ref(BRANCH)
    assert tip is not None and github_api.pulls() == []

    finished = release_candidate(released, github_api)

    assert finished.returncode == 0, finished.stderr
    assert released.remote_ref(BRANCH) == tip
    [pull] = github_api.pulls()
    assert pull["head"]["ref"] == BRANCH


def test_a_rejected_push_is_finished_by_the_next_run(
    released: GitRepo, github_api: GitHubStandIn
) -> None:
    assert released.origin is not None
    hook = released.origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected for now' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)

    rejected = release_candidate(released, github_api)

    assert rejected.returncode == 1
    assert "pushing" in rejected.stderr
    assert released.remote_ref(BRANCH) is None and github_api.pulls() == []
    assert released.git("worktree", "list").count("\n") == 0

    hook.unlink()
    finished = release_candidate(released, github_api)

    assert finished.returncode == 0, finished.stderr
    assert released.remote_ref(BRANCH) is not None
    assert len(github_api.pulls()) == 1


def test_a_dirty_tree_is_refused(released: GitRepo, github_api: GitHubStandIn) -> None:
    released.write("CHANGES.rst", NOTES + "\nunsaved\n")

    result = release_candidate(released, github_api)

    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "release-candidate: error: the working tree has uncommitted changes; "
        "commit or stash them first"
    ]
    assert github_api.requests == []
