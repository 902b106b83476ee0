"""The git harness itself: a real repository, a real bare origin, real pushes."""

from __future__ import annotations

from pathlib import Path

from tests.peers.git_repos import GitRepo, clone


def test_repo_starts_on_main_and_origin_has_it(repo: GitRepo) -> None:
    assert repo.git("branch", "--show-current") == "main"
    assert repo.remote_ref("main") == repo.head()


def test_merge_makes_a_two_parent_commit(repo: GitRepo) -> None:
    repo.branch("feature")
    repo.checkout("feature")
    repo.commit("feat: add a thing")
    repo.checkout("main")
    repo.commit("fix: unrelated fix")
    merge = repo.merge("feature", "Merge pull request #7 from someone/feature")
    assert len(repo.git("rev-list", "--parents", "-n1", merge).split()) == 3


def test_pushes_reach_a_second_clone(repo: GitRepo, tmp_path: Path) -> None:
    repo.commit("docs: write things")
    repo.tag("v1.0.0", message="Release 1.0.0")
    repo.push("main", "v1.0.0")
    other = clone(repo, tmp_path / "laptop")
    assert other.head() == repo.head()
    assert other.git("cat-file", "-t", "v1.0.0") == "tag"
