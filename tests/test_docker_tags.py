"""docker_tags.py, copied alone into an empty folder: one row per ref and repository state."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SCRIPTS
from tests.peers.git_repos import GitRepo

HUB, GHCR = "docker.io/acme/app", "ghcr.io/acme/app"
IMAGES = {"IMAGES_EVERY_BUILD": HUB, "IMAGES_RELEASE_ONLY": GHCR}
HISTORY = "v2.3.0 v2.3.1 v2.4.0 v2.4.1"


@pytest.fixture
def alone(tmp_path: Path) -> Path:
    """The script, copied alone into an empty folder (no git repository, no package)."""
    folder = tmp_path / "alone"
    folder.mkdir()
    shutil.copy(SCRIPTS / "docker_tags.py", folder / "docker_tags.py")
    return folder


def run_alone(
    folder: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in IMAGES and k != "REF"}
    return subprocess.run(
        [sys.executable, "docker_tags.py", *args],
        cwd=folder,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


@dataclass(frozen=True)
class Row:
    id: str
    ref: str  # what --ref gets; "" = from the environment below
    tags: str | None  # the repository's tags (--version-tags); None = not passed
    hub: list[str]  # tags for the every-build image
    ghcr: list[str]  # tags for the release-only image
    push: bool = True
    reason: str = ""  # a part of the reason
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)


RELEASE = ["v2.4.1", "v2.4", "latest"]

ROWS = [
    Row("base branch", "refs/heads/main", None, ["unstable"], [], reason="base branch main"),
    Row("base branch by short name", "main", None, ["unstable"], []),
    Row(
        "base branch from BASE_BRANCH",
        "trunk",
        None,
        ["unstable"],
        [],
        env={"BASE_BRANCH": "trunk"},
    ),
    Row("highest release", "refs/tags/v2.4.1", HISTORY, RELEASE, RELEASE, reason="highest"),
    Row(
        "first release, no other tags",
        "v1.0.0",
        "",
        ["v1.0.0", "v1.0", "latest"],
        ["v1.0.0", "v1.0", "latest"],
    ),
    Row(
        "release candidate",
        "v2.5.0rc1",
        HISTORY,
        ["v2.5.0rc1"],
        ["v2.5.0rc1"],
        reason="pre-release",
    ),
    Row("alpha above every release", "v3.0.0a1", HISTORY, ["v3.0.0a1"], ["v3.0.0a1"]),
    Row("beta", "v2.5.0b2", HISTORY, ["v2.5.0b2"], ["v2.5.0b2"]),
    Row("dev release", "v2.5.0.dev3", HISTORY, ["v2.5.0.dev3"], ["v2.5.0.dev3"]),
    Row(
        "post release, highest",
        "v2.4.1.post1",
        HISTORY,
        ["v2.4.1.post1", "v2.4", "latest"],
        ["v2.4.1.post1", "v2.4", "latest"],
    ),
    Row(
        "post release of an older series",
        "v2.3.1.post1",
        HISTORY,
        ["v2.3.1.post1", "v2.3"],
        ["v2.3.1.post1", "v2.3"],
        reason="latest stays with v2.4.1",
    ),
    Row(
        "post release below a later patch",
        "v2.4.0.post1",
        HISTORY,
        ["v2.4.0.post1"],
        ["v2.4.0.post1"],
    ),
    Row(
        "patch of an older series",
        "v2.3.2",
        HISTORY,
        ["v2.3.2", "v2.3"],
        ["v2.3.2", "v2.3"],
        reason="latest stays with v2.4.1",
    ),
    Row(
        "re-run of an older tag of the series",
        "v2.4.0",
        HISTORY,
        ["v2.4.0"],
        ["v2.4.0"],
        reason="v2.4 stays with v2.4.1",
    ),
    Row(
        "numeric order: v10 after v9",
        "v10.0.0",
        "v9.9.9 v9.10.0",
        ["v10.0.0", "v10.0", "latest"],
        ["v10.0.0", "v10.0", "latest"],
    ),
    Row(
        "numeric order: v9 below v10",
        "v9.9.9",
        "v9.9.9 v10.0.0",
        ["v9.9.9", "v9.9"],
        ["v9.9.9", "v9.9"],
    ),
    Row(
        "numeric order within a series",
        "v1.10.0",
        "v1.9.0 v1.2.0",
        ["v1.10.0", "v1.10", "latest"],
        ["v1.10.0", "v1.10", "latest"],
    ),
    Row(
        "a higher pre-release does not hold latest",
        "v2.4.2",
        f"{HISTORY} v2.5.0rc1 v3.0.0.dev1",
        ["v2.4.2", "v2.4", "latest"],
        ["v2.4.2", "v2.4", "latest"],
    ),
    Row(
        "local version: + mapped",
        "v2.4.1+build.7",
        HISTORY,
        ["v2.4.1-build.7"],
        ["v2.4.1-build.7"],
        reason="local version",
    ),
    Row(
        "a local tag does not hold latest",
        "v2.4.2",
        f"{HISTORY} v2.4.3+x",
        ["v2.4.2", "v2.4", "latest"],
        ["v2.4.2", "v2.4", "latest"],
    ),
    Row("non-normalised tag name", "v2.5-beta", HISTORY, ["v2.5b0"], ["v2.5b0"]),
    Row("equal versions spelled apart", "v2.4.1", "v2.4.1.0", RELEASE, RELEASE),
    Row("one-part version", "v3", HISTORY, ["v3", "v3.0", "latest"], ["v3", "v3.0", "latest"]),
    Row(
        "tag without the prefix",
        "refs/tags/2.4.1",
        HISTORY,
        [],
        [],
        reason="not a version tag",
        push=False,
    ),
    Row(
        "tag that is not PEP 440",
        "refs/tags/v2.4.1-hotfix-x",
        HISTORY,
        [],
        [],
        reason="not a version tag",
        push=False,
    ),
    Row("tag that is no version at all", "refs/tags/nightly", HISTORY, [], [], push=False),
    Row(
        "pattern without prefix",
        "2.4.1",
        "2.4.0",
        ["2.4.1", "2.4", "latest"],
        ["2.4.1", "2.4", "latest"],
        args=("--tag-pattern", "*"),
    ),
    Row(
        "monorepo pattern",
        "pkg-v1.2.0",
        "pkg-v1.1.0 other-v9.0.0",
        ["pkg-v1.2.0", "pkg-v1.2", "latest"],
        ["pkg-v1.2.0", "pkg-v1.2", "latest"],
        args=("--tag-pattern", "pkg-v*"),
    ),
    Row(
        "monorepo: another package's tag",
        "refs/tags/other-v9.0.0",
        "pkg-v1.1.0",
        [],
        [],
        push=False,
        args=("--tag-pattern", "pkg-v*"),
    ),
    Row(
        "pull request",
        "refs/pull/42/merge",
        None,
        ["pr-42"],
        [],
        push=False,
        reason="never pushed",
        env={"GITHUB_EVENT_NAME": "pull_request"},
    ),
    Row("pull request by short name", "pr-7", None, ["pr-7"], [], push=False),
    Row(
        "another branch",
        "refs/heads/feature/x",
        None,
        [],
        [],
        push=False,
        reason="branch feature/x is not the base branch main",
    ),
    Row(
        "manual re-run on a tag",
        "",
        HISTORY,
        RELEASE,
        RELEASE,
        env={"GITHUB_REF": "refs/tags/v2.4.1", "GITHUB_EVENT_NAME": "workflow_dispatch"},
    ),
    Row(
        "manual re-run on an old tag",
        "",
        HISTORY,
        ["v2.3.1", "v2.3"],
        ["v2.3.1", "v2.3"],
        env={"GITHUB_REF": "refs/tags/v2.3.1", "GITHUB_EVENT_NAME": "workflow_dispatch"},
    ),
    Row(
        "push of a tag from Actions",
        "",
        HISTORY,
        RELEASE,
        RELEASE,
        env={"GITHUB_REF": "refs/tags/v2.4.1", "GITHUB_EVENT_NAME": "push"},
    ),
    Row(
        "ref name and type only",
        "",
        HISTORY,
        RELEASE,
        RELEASE,
        env={"GITHUB_REF_NAME": "v2.4.1", "GITHUB_REF_TYPE": "tag"},
    ),
    Row("REF from make plan", "", HISTORY, RELEASE, RELEASE, env={"REF": "v2.4.1"}),
    Row(
        "no every-build image configured",
        "main",
        None,
        [],
        [],
        push=False,
        env={"IMAGES_EVERY_BUILD": "none"},
        reason="no images",
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_tags(alone: Path, row: Row) -> None:
    args = ["--format", "json", *row.args]
    if row.ref:
        args += ["--ref", row.ref]
    if row.tags is not None:
        args += ["--version-tags", row.tags]

    result = run_alone(alone, *args, env={**IMAGES, **row.env})

    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    by_role = {image["role"]: image for image in plan["images"]}
    assert by_role.get("every-build", {}).get("tags", []) == row.hub
    assert by_role.get("release-only", {}).get("tags", []) == row.ghcr
    assert plan["push"] is row.push
    assert row.reason in plan["reason"]


@dataclass(frozen=True)
class BadRow:
    id: str
    args: tuple[str, ...]
    message: str
    env: dict[str, str] = field(default_factory=dict)


BAD_ROWS = [
    BadRow(
        "epoch cannot be a registry tag",
        ("--ref", "v1!2.0.0", "--version-tags", ""),
        "cannot be a registry tag",
    ),
    BadRow(
        "prefix outside the tag grammar",
        ("--ref", "pkg/v1.0.0", "--version-tags", "", "--tag-pattern", "pkg/v*"),
        "cannot be a registry tag",
    ),
    BadRow("pattern without a star", ("--ref", "main", "--tag-pattern", "v"), "has no '*'"),
    BadRow(
        "image name with a tag",
        ("--ref", "main", "--every-build", "docker.io/acme/app:latest"),
        "not host/path",
    ),
    BadRow(
        "image name in upper case",
        ("--ref", "main", "--every-build", "docker.io/Acme/app"),
        "not host/path",
    ),
    BadRow("no ref outside git", (), "no ref"),
    BadRow("release tag without tags outside git", ("--ref", "v1.0.0"), "no version tags"),
    BadRow(
        "pull request ref without number",
        ("--ref", "refs/heads/x", "--event-name", "pull_request"),
        "has no number",
    ),
    BadRow("unknown option", ("--nope",), "unrecognized arguments"),
    BadRow("unknown format", ("--format", "yaml"), "invalid choice"),
]


@pytest.mark.parametrize("row", BAD_ROWS, ids=[row.id for row in BAD_ROWS])
def test_bad_input_is_one_line(alone: Path, row: BadRow) -> None:
    result = run_alone(alone, *row.args, env={**IMAGES, **row.env})

    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("docker_tags.py: error: ")
    assert row.message in result.stderr


@dataclass(frozen=True)
class TextRow:
    id: str
    args: tuple[str, ...]
    stdout: str


TEXT_ROWS = [
    TextRow(
        "release",
        ("--ref", "v1.0.0", "--version-tags", ""),
        f"{HUB}:v1.0.0\n{HUB}:v1.0\n{HUB}:latest\n{GHCR}:v1.0.0\n{GHCR}:v1.0\n{GHCR}:latest\n",
    ),
    TextRow("branch", ("--ref", "main"), f"{HUB}:unstable\n"),
    TextRow("nothing", ("--ref", "topic"), "skip: branch topic is not the base branch main\n"),
    TextRow(
        "pull request", ("--ref", "pr-3"), f"# pull request 3: built, never pushed\n{HUB}:pr-3\n"
    ),
]


@pytest.mark.parametrize("row", TEXT_ROWS, ids=[row.id for row in TEXT_ROWS])
def test_text_output(alone: Path, row: TextRow) -> None:
    result = run_alone(alone, *row.args, env=IMAGES)

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == row.stdout


def test_github_output_and_summary(alone: Path) -> None:
    output, summary = alone / "out.txt", alone / "summary.md"
    env = {
        **IMAGES,
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_REF": "refs/tags/v1.0.0",
        "GITHUB_SHA": "a" * 40,
        "GITHUB_SERVER_URL": "https://github.example",
        "GITHUB_REPOSITORY": "acme/app",
    }

    result = run_alone(alone, "--version-tags", "", env=env)

    assert result.returncode == 0, result.stderr
    lines = output.read_text(encoding="utf-8").splitlines()
    assert "push=true" in lines and "version=1.0.0" in lines and "kind=release-tag" in lines
    start = next(i for i, line in enumerate(lines) if line.startswith("tags<<"))
    delimiter = lines[start].removeprefix("tags<<")
    end = lines.index(delimiter, start + 1)
    assert lines[start + 1 : end] == result.stdout.splitlines()
    assert "org.opencontainers.image.revision=" + "a" * 40 in lines
    assert "org.opencontainers.image.source=https://github.example/acme/app" in lines
    assert f"`{GHCR}`" in summary.read_text(encoding="utf-8")


def test_default_images_come_from_the_repository(alone: Path) -> None:
    result = run_alone(
        alone, "--ref", "v1.0.0", "--version-tags", "", env={"GITHUB_REPOSITORY": "Acme/App"}
    )

    assert result.returncode == 0, result.stderr
    assert "docker.io/acme/app:latest\n" in result.stdout
    assert "ghcr.io/acme/app:latest\n" in result.stdout


# ---- from a local git repository -------------------------------------------------------------


@dataclass(frozen=True)
class GitRow:
    id: str
    tags: tuple[str, ...]  # created at HEAD, in this order (after a first commit tagged v1.0.0)
    branch: str
    stdout: str


GIT_ROWS = [
    GitRow("branch", (), "main", f"{HUB}:unstable\n"),
    GitRow("other branch", (), "topic", "skip: branch topic is not the base branch main\n"),
    GitRow("version tag at HEAD", ("v1.1.0",), "main", f"{HUB}:v1.1.0\n{HUB}:v1.1\n{HUB}:latest\n"),
    GitRow(
        "highest of two tags at HEAD",
        ("v1.1.0rc1", "v1.1.0"),
        "main",
        f"{HUB}:v1.1.0\n{HUB}:v1.1\n{HUB}:latest\n",
    ),
    GitRow(
        "non-version tag at HEAD is ignored",
        ("nightly",),
        "topic",
        "skip: branch topic is not the base branch main\n",
    ),
]


@pytest.mark.parametrize("row", GIT_ROWS, ids=[row.id for row in GIT_ROWS])
def test_ref_from_local_git(alone: Path, repo: GitRepo, row: GitRow) -> None:
    shutil.copy(alone / "docker_tags.py", repo.path / "docker_tags.py")
    repo.git("tag", "v1.0.0")
    repo.git("commit", "--allow-empty", "-m", "next")
    if row.branch != "main":
        repo.git("switch", "-c", row.branch)
    for tag in row.tags:
        repo.git("tag", tag)

    result = run_alone(repo.path, env={"IMAGES_EVERY_BUILD": HUB, "IMAGES_RELEASE_ONLY": "none"})

    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == row.stdout


def test_shallow_clone_is_refused_for_a_release(tmp_path: Path, repo: GitRepo) -> None:
    repo.git("tag", "v1.0.0")
    repo.git("commit", "--allow-empty", "-m", "next")
    repo.git("tag", "v1.1.0")
    clone = tmp_path / "shallow"
    subprocess.run(
        [
            "git",
            "clone",
            "--quiet",
            "--depth",
            "1",
            "--branch",
            "v1.1.0",
            f"file://{repo.path}",
            str(clone),
        ],
        check=True,
        capture_output=True,
    )
    shutil.copy(SCRIPTS / "docker_tags.py", clone / "docker_tags.py")

    result = run_alone(clone, env=IMAGES)

    assert result.returncode == 2
    assert "shallow clone" in result.stderr


# ---- the script's own PEP 440 reader agrees with packaging -----------------------------------

SPELLINGS = [
    "1.0",
    "1.0.0",
    "1.0.0.0",
    "1",
    "v1.0",
    "1.0a1",
    "1.0-alpha1",
    "1.0b2",
    "1.0.beta.2",
    "1.0rc1",
    "1.0c1",
    "1.0-pre1",
    "1.0preview",
    "1.0.dev1",
    "1.0-dev",
    "1.0a1.dev2",
    "1.0.post1",
    "1.0-1",
    "1.0_r2",
    "1.0.rev",
    "1.0.post1.dev3",
    "1.0rc1.post1",
    "1.0+abc",
    "1.0+1",
    "1.0+abc.2",
    "1.0+ubuntu-01",
    "1.0+ABC_1",
    "1!0.1",
    "1.0.1",
    "0.9",
    "9.9.9",
    "10.0.0",
    "1.10",
    "1.9",
    "2.0.0-pre.3",
    "01.02.03",
]


@pytest.mark.parametrize("text", SPELLINGS)
def test_normal_form_and_order_match_packaging(text: str) -> None:
    from packaging.version import Version as Packaging

    module = load_alone_module()
    mine = module.Version(text)

    assert str(mine) == str(Packaging(text))
    for other in SPELLINGS:
        theirs, them = Packaging(other), module.Version(other)
        assert (mine < them, mine == them, mine > them) == (
            Packaging(text) < theirs,
            Packaging(text) == theirs,
            Packaging(text) > theirs,
        ), other
    assert mine.is_prerelease is Packaging(text).is_prerelease


def load_alone_module() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("docker_tags_alone", SCRIPTS / "docker_tags.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
