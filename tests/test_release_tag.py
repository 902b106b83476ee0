"""bin/release-tag against real git, a bare origin and the real bumpver: tag, refuse, roll back."""

from __future__ import annotations

import re
import stat
import subprocess
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from packaging.version import Version

from tests.conftest import ROOT, run_bin
from tests.peers.git_repos import GitRepo, clone, run_git

YESTERDAY = (datetime.now(timezone.utc) - timedelta(days=1)).date().isoformat()
INIT = "src/demo/__init__.py"


def kit_version_pattern() -> str:
    """The version_pattern the kit ships, so these tests cover the kit's own configuration."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    found = re.search(r'^version_pattern = "(.+)"$', text, re.MULTILINE)
    assert found, "pyproject.toml has no [tool.bumpver] version_pattern"
    return found.group(1)


def pyproject(version: str) -> str:
    return (
        f'[project]\nname = "demo"\nversion = "{version}"\n\n'
        f'[tool.bumpver]\ncurrent_version = "{version}"\n'
        f'version_pattern = "{kit_version_pattern()}"\n\n'
        "[tool.bumpver.file_patterns]\n"
        '"pyproject.toml" = [\'^version = "{pep440_version}"\', '
        "'^current_version = \"{version}\"']\n"
        f'"{INIT}" = [\'^__version__ = "{{pep440_version}}"\']\n'
    )


def changes(*sections: tuple[str, str]) -> str:
    """A CHANGES.rst with (version, date) sections, newest first."""
    lines = ["Changelog", "=========", ""]
    for version, date in sections:
        heading = f"{version} ({date})"
        lines += [heading, "-" * len(heading), "", f"- 1234abc ENH: Work for {version}", ""]
    return "\n".join(lines)


def prepare(repo: GitRepo, released: str, notes: str, date: str = YESTERDAY) -> GitRepo:
    """`released` is tagged and pushed; the notes for `notes` are committed and pushed on top."""
    old_section = (released, "2025-06-01")
    repo.commit(
        "feat: a project at its last release",
        files={
            "pyproject.toml": pyproject(released),
            INIT: f'"""Demo."""\n\n__version__ = "{released}"\n',
            "CHANGES.rst": changes(old_section),
        },
    )
    repo.tag(f"v{released}", message=f"Release {released}")
    repo.commit("docs: release notes", files={"CHANGES.rst": changes((notes, date), old_section)})
    repo.push("main", f"v{released}")
    return repo


@pytest.fixture
def project(repo: GitRepo) -> GitRepo:
    """Version 1.2.0 released; notes for 1.3.0, dated, pushed: ready to tag."""
    return prepare(repo, "1.2.0", "1.3.0")


def release(path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return run_bin("release-tag", cwd=path, env=env)


@dataclass(frozen=True)
class State:
    """What a user would look at to see whether anything changed, locally and on origin."""

    head: str
    branch: str
    status: str
    tags: dict[str, str]
    files: dict[str, bytes]
    remote: dict[str, str]


def refs(git_dir: Path, prefix: str = "") -> dict[str, str]:
    out = run_git(git_dir, "for-each-ref", "--format=%(refname) %(objectname)", prefix)
    return dict(line.split(" ", 1) for line in out.splitlines())


def state(repo: GitRepo) -> State:
    assert repo.origin is not None
    files = {
        str(path.relative_to(repo.path)): path.read_bytes()
        for path in sorted(repo.path.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(repo.path).parts
    }
    return State(
        head=repo.head(),
        branch=repo.git("branch", "--show-current"),
        status=repo.status(),
        tags=refs(repo.path, "refs/tags"),
        files=files,
        remote=refs(repo.origin),
    )


def assert_refused(result: subprocess.CompletedProcess[str], reason: str) -> None:
    assert result.returncode == 2, result.stderr
    ours = [line for line in result.stderr.splitlines() if line.startswith("release-tag: ")]
    assert len(ours) == 1 and ours[0].startswith("release-tag: error: "), result.stderr
    assert reason in ours[0]


# ---- a release ------------------------------------------------------------------------------


def assert_released(repo: GitRepo, before: str, old: str, new: str) -> None:
    tag = f"v{new}"
    head = repo.head()
    assert repo.git("rev-parse", "HEAD^") == before
    assert repo.git("log", "-1", "--format=%s") == f"chore(ver): bump {old} -> {new}"
    assert repo.git("cat-file", "-t", tag) == "tag"
    assert repo.git("tag", "-l", "--format=%(contents:subject)", tag) == f"Automated release {new}"
    assert repo.git("rev-parse", f"{tag}^{{commit}}") == head
    assert repo.remote_ref("main") == head
    assert repo.remote_ref(tag) == repo.git("rev-parse", tag)
    assert repo.status() == ""
    assert f'version = "{new}"' in repo.git("show", "HEAD:pyproject.toml")
    assert f'current_version = "{new}"' in repo.git("show", "HEAD:pyproject.toml")
    assert repo.git("show", f"HEAD:{INIT}").endswith(f'__version__ = "{new}"')


def test_a_release_bumps_commits_tags_and_pushes(project: GitRepo, tmp_path: Path) -> None:
    before = project.head()
    outputs, summary = tmp_path / "output", tmp_path / "summary"
    result = release(project.path, GITHUB_OUTPUT=str(outputs), GITHUB_STEP_SUMMARY=str(summary))
    assert result.returncode == 0, result.stderr
    assert_released(project, before, "1.2.0", "1.3.0")
    written = outputs.read_text(encoding="utf-8").splitlines()
    assert {"tag=v1.3.0", "version=1.3.0", f"sha={project.head()}"} <= set(written)
    assert "v1.3.0" in summary.read_text(encoding="utf-8")
    assert "CI" in result.stderr


@pytest.mark.parametrize(
    ("released", "new"),
    [("1.2.0", "1.3.0rc1"), ("1.3.0rc1", "1.3.0"), ("1.2.0", "1.3.0a1"), ("1.2.0", "1.3.0b2")],
)
def test_pre_releases(repo: GitRepo, released: str, new: str) -> None:
    prepare(repo, released, new)
    before = repo.head()
    result = release(repo.path)
    assert result.returncode == 0, result.stderr
    assert_released(repo, before, released, new)


def test_a_post_release_and_the_release_after_it(repo: GitRepo) -> None:
    prepare(repo, "1.2.3", "1.2.3.post1")
    result = release(repo.path)
    assert result.returncode == 0, result.stderr
    assert repo.git("show", f"HEAD:{INIT}").endswith('__version__ = "1.2.3.post1"')
    assert repo.remote_ref("v1.2.3.post1") is not None

    notes = changes(("1.2.4", YESTERDAY), ("1.2.3.post1", "2025-07-01"), ("1.2.3", "2025-06-01"))
    before = repo.commit("docs: notes for 1.2.4", files={"CHANGES.rst": notes})
    repo.push("main")
    result = release(repo.path)
    assert result.returncode == 0, result.stderr
    assert_released(repo, before, "1.2.3.post1", "1.2.4")


def test_dry_run_shows_everything_and_changes_nothing(project: GitRepo) -> None:
    before = state(project)
    result = release(project.path, DRY_RUN="1")
    assert result.returncode == 0, result.stderr
    assert state(project) == before
    for line in (
        '-version = "1.2.0"',
        '+version = "1.3.0"',
        '+current_version = "1.3.0"',
        '+__version__ = "1.3.0"',
        "chore(ver): bump 1.2.0 -> 1.3.0",
        "git tag -a -m 'Automated release 1.3.0' v1.3.0",
        "git push --atomic origin refs/heads/main:refs/heads/main refs/tags/v1.3.0",
    ):
        assert line in result.stderr


# ---- refusals: one line, exit 2, nothing changed --------------------------------------------


def test_refuses_outside_a_git_repository(tmp_path: Path) -> None:
    result = release(tmp_path)
    assert_refused(result, "not inside a git repository")
    assert list(tmp_path.iterdir()) == []


def test_refuses_a_dirty_tree(project: GitRepo) -> None:
    project.write(INIT, "__version__ = 'edited'\n")
    before = state(project)
    assert_refused(release(project.path), "uncommitted changes")
    assert state(project) == before


def test_refuses_another_branch(project: GitRepo) -> None:
    project.git("switch", "--quiet", "-c", "feature")
    before = state(project)
    assert_refused(release(project.path), "not 'main'")
    assert state(project) == before


def test_refuses_when_behind_origin(project: GitRepo, tmp_path: Path) -> None:
    other = clone(project, tmp_path / "laptop")
    other.commit("fix: pushed by someone else")
    other.push("main")
    before = state(project)
    assert_refused(release(project.path), "behind origin/main")
    assert state(project) == before


def test_refuses_unpushed_commits(project: GitRepo) -> None:
    project.commit("fix: not pushed yet")
    before = state(project)
    assert_refused(release(project.path), "push them first")
    assert state(project) == before


def test_refuses_a_diverged_branch(project: GitRepo, tmp_path: Path) -> None:
    other = clone(project, tmp_path / "laptop")
    other.commit("fix: pushed by someone else")
    other.push("main")
    project.commit("fix: a local one")
    before = state(project)
    assert_refused(release(project.path), "diverged")
    assert state(project) == before


def test_refuses_unfinished_notes_and_relays_why(repo: GitRepo) -> None:
    prepare(repo, "1.2.0", "1.3.0", date="unreleased")
    before = state(repo)
    result = release(repo.path)
    assert_refused(result, "not ready")
    assert re.search(r"^CHANGES\.rst:\d+: .*unreleased", result.stderr, re.MULTILINE)
    assert state(repo) == before


def test_refuses_a_missing_changelog(project: GitRepo) -> None:
    before = state(project)
    assert_refused(release(project.path, CHANGES="NOPE.rst"), "cannot read the release notes")
    assert state(project) == before


def test_refuses_a_version_below_a_tag_only_origin_has(project: GitRepo, tmp_path: Path) -> None:
    other = clone(project, tmp_path / "laptop")
    other.tag("v1.4.0", message="Release 1.4.0")
    other.push("v1.4.0")
    before = state(project)
    result = release(project.path)
    assert_refused(result, "not ready")
    assert re.search(r"^CHANGES\.rst:\d+: .*v1\.4\.0", result.stderr, re.MULTILINE)
    after = state(project)
    # The fetch brings origin's tags, as it must to see this one; nothing else moves.
    assert after.tags == {**before.tags, "refs/tags/v1.4.0": other.git("rev-parse", "v1.4.0")}
    assert after == State(**{**before.__dict__, "tags": after.tags})


def test_refuses_a_version_already_tagged_locally(project: GitRepo) -> None:
    project.tag("v1.3.0", message="made by hand", ref="HEAD^")
    before = state(project)
    result = release(project.path)
    assert_refused(result, "not ready")
    assert re.search(r"^CHANGES\.rst:\d+: .*already released as tag v1\.3\.0", result.stderr, re.M)
    # The tag follows TAG_PATTERN: under release-* the same tag by hand is release-1.3.0.
    project.tag("release-1.3.0", message="made by hand", ref="HEAD^")
    result = release(project.path, TAG_PATTERN="release-*")
    assert_refused(result, "not ready")
    assert "release-1.3.0" in result.stderr
    assert state(project).remote == before.remote


def test_refuses_a_version_already_tagged_on_origin(project: GitRepo, tmp_path: Path) -> None:
    other = clone(project, tmp_path / "laptop")
    other.tag("pkg-v1.3.0", message="made by hand", ref="HEAD^")
    other.push("pkg-v1.3.0")
    before = state(project)
    result = release(project.path, TAG_PATTERN="pkg-v*")
    assert_refused(result, "not ready")
    assert "pkg-v1.3.0" in result.stderr
    after = state(project)
    assert set(after.tags) == {*before.tags, "refs/tags/pkg-v1.3.0"}
    assert (after.head, after.status, after.files, after.remote) == (
        before.head,
        before.status,
        before.files,
        before.remote,
    )


@pytest.mark.parametrize("version", ["1.3.0.dev1", "1.3", "1!1.3.0"])
def test_refuses_a_version_bumpver_cannot_write(repo: GitRepo, version: str) -> None:
    prepare(repo, "1.2.0", version)
    before = state(repo)
    assert_refused(release(repo.path), f"version '{version}' from CHANGES.rst is not a form")
    assert state(repo) == before


def test_refuses_a_version_other_than_the_one_asked_for(project: GitRepo) -> None:
    before = state(project)
    assert_refused(release(project.path, VERSION="1.3.1"), "VERSION=1.3.1 was asked for")
    assert state(project) == before


def test_refuses_version_files_already_bumped_by_hand(project: GitRepo) -> None:
    project.commit("chore: bump by hand", files={"pyproject.toml": pyproject("1.3.0")})
    project.push("main")
    before = state(project)
    assert_refused(release(project.path), "already say 1.3.0")
    assert state(project) == before


def test_refuses_to_sign_without_a_key(project: GitRepo) -> None:
    before = state(project)
    assert_refused(release(project.path, SIGN="1"), "no signing key is configured")
    assert state(project) == before


# ---- failures after the bump: everything undone ---------------------------------------------


def test_a_rejected_push_undoes_the_commit_and_the_tag(project: GitRepo, tmp_path: Path) -> None:
    other = clone(project, tmp_path / "laptop")
    # Someone else pushes to main after our fetch: deterministically, from our pre-push hook.
    hook = project.path / ".git" / "hooks" / "pre-push"
    hook.write_text(
        "#!/bin/sh\nunset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\n"
        f"cd '{other.path}' && git commit --quiet --allow-empty -m 'fix: meanwhile' "
        "&& git push --quiet origin main\n",
        encoding="utf-8",
    )
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    before = state(project)
    result = release(project.path)
    assert result.returncode == 1, result.stderr
    assert "release-tag: error: origin refused the push" in result.stderr
    assert "git pull" in result.stderr
    after = state(project)
    assert (after.head, after.status, after.files, after.tags) == (
        before.head,
        before.status,
        before.files,
        before.tags,
    )
    assert project.remote_ref("main") == other.head() != before.head
    assert project.remote_ref("v1.3.0") is None


def test_a_failing_bumpver_restores_the_files(project: GitRepo) -> None:
    # The version file no longer matches its pattern, so bumpver cannot rewrite it.
    project.commit("refactor: rename", files={INIT: '"""Demo."""\n\nVERSION = "1.2.0"\n'})
    project.push("main")
    before = state(project)
    result = release(project.path)
    assert result.returncode == 1, result.stderr
    assert "release-tag: error: bumpver update --set-version 1.3.0 failed" in result.stderr
    assert state(project) == before


# ---- the kit releases itself ----------------------------------------------------------------


EXAMPLES = ("tests", "docs", "scripts", "src/releasekit/scripts", "bench", "demo")


def test_the_kit_itself_bumps_every_file_holding_its_version(tmp_path: Path) -> None:
    kit = tmp_path / "releasekit"
    run_git(tmp_path, "clone", "--quiet", str(ROOT), str(kit))
    run_git(kit, "checkout", "--quiet", "-B", "main")  # ROOT may be a worktree on any branch
    own = GitRepo(path=kit, origin=tmp_path / "origin.git")
    # Test the working tree's configuration, committed or not.
    for name in ("pyproject.toml", "src/releasekit/__init__.py"):
        (kit / name).write_bytes((ROOT / name).read_bytes())
    current = re.search(r'^current_version = "(.+)"$', own.read("pyproject.toml"), re.MULTILINE)
    assert current
    old = current.group(1)
    major, minor = Version(old).release[:2]
    new = f"{major}.{minor + 1}.0"
    notes = own.read("CHANGES.rst") if (kit / "CHANGES.rst").exists() else "Changelog\n=========\n"
    title, _, rest = notes.partition("\n\n")
    heading = f"{new} ({YESTERDAY})"
    own.commit(
        "docs: notes",
        files={"CHANGES.rst": f"{title}\n\n{heading}\n{'-' * len(heading)}\n\n- Things.\n\n{rest}"},
    )
    run_git(tmp_path, "init", "--quiet", "--bare", str(own.origin))
    own.git("remote", "set-url", "origin", str(own.origin))
    own.push("main")
    before = state(own)

    result = release(kit, DRY_RUN="1")
    assert result.returncode == 0, result.stderr
    assert state(own) == before
    for line in (f'version = "{new}"', f'current_version = "{new}"', f'__version__ = "{new}"'):
        assert f"\n-{line.replace(new, old)}\n" in result.stderr
        assert f"\n+{line}\n" in result.stderr
    # Every tracked file that spells the version is one bumpver rewrites (tests and docs
    # quote versions of their own; the standalone scripts and their sources carry none of the
    # kit's, by design).
    spelled = ("grep", "-l", "-F", f'"{old}"', "--", ".", *(f":(exclude){d}" for d in EXAMPLES))
    holders = own.git(*spelled).splitlines()
    listed = re.findall(r'^"([^"]+)" = \[', own.read("pyproject.toml"), re.MULTILINE)
    assert holders and set(holders) <= set(listed)


def test_a_signed_release_with_an_ssh_key(project: GitRepo, tmp_path: Path) -> None:
    key = tmp_path / "signing_key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ada", "-f", str(key)], check=True
    )
    project.git("config", "gpg.format", "ssh")
    project.git("config", "user.signingkey", str(key))
    before = project.head()
    result = release(project.path, SIGN="1")
    assert result.returncode == 0, result.stderr
    assert_released(project, before, "1.2.0", "1.3.0")
    assert "-----BEGIN SSH SIGNATURE-----" in project.git("cat-file", "tag", "v1.3.0")
