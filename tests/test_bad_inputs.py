"""Bad input across the kit's scripts and make targets: one table, one runner.

Each row runs one command in a fresh project that has the kit copied in (Makefile, bin/,
scripts/), a bare `origin` and the GitHub API stand-in, then asserts:

- the exit status (a make target exits 2 whatever its step said: make reports it so);
- exactly one line on stderr from the kit (make's own `make: *** [...] Error N` is not the
  kit's), and no "Traceback" or argparse usage block anywhere;
- every file byte-identical: the work tree, the files beside it (Actions files, a file a
  symlink points at), the local refs, HEAD, the worktree list, the stash;
- nothing pushed: origin's refs unchanged and no write request reached the stand-in.

To add a case, add a Row to ROWS (or to a list joined into it). `argv`, `env` and `cwd` values
may name `{project}` (the checkout), `{origin}` (its bare origin) and `{tmp}` (the folder
holding them and `outside/`);
`setup` gets the Project before the "before" snapshot, so what it changes is the baseline.
An `env` value of None unsets that variable.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.peers.git_repos import run_git
from tests.peers.kit_project import CHANGES, Project, kit_project, kit_project_template

__all__ = ["kit_project", "kit_project_template"]  # fixtures used by this module

PYTHON = "{python}"  # argv[0] placeholder: the interpreter that has the scripts' dependencies
MAKE_ERROR = re.compile(r"make(\[\d+\])?: \*\*\* .* Error \d+")
HEAD = "auto-release-candidate-2026-11-01"


Setup = Callable[[Project], None]


@dataclass(frozen=True)
class Row:
    id: str
    argv: tuple[str, ...]
    status: int = 2
    says: str = ""  # a part of the one stderr line
    env: Mapping[str, str | None] = field(default_factory=dict)
    setup: Setup | None = None
    cwd: str = "{project}"


def script(name: str, *args: str, **row: object) -> Row:
    """A row that runs the project's copy of scripts/<name> with the suite's interpreter."""
    row_id = str(row.pop("id"))
    return Row(row_id, (PYTHON, f"{{project}}/scripts/{name}", *args), **row)  # type: ignore[arg-type]


def make(*args: str, **row: object) -> Row:
    """A row that runs `make ARGS` in the project."""
    row_id = str(row.pop("id"))
    return Row(row_id, ("make", "--no-print-directory", *args), **row)  # type: ignore[arg-type]


# ---- setups -----------------------------------------------------------------------------


def output_is_a_folder(name: str) -> Setup:
    def setup(project: Project) -> None:
        (project.outside / name).mkdir()

    return setup


def output_is_a_symlink(project: Project) -> None:
    target = project.outside / "elsewhere"
    target.write_text("kept\n", encoding="utf-8")
    (project.outside / "GITHUB_OUTPUT").symlink_to(target)


def both(*setups: Setup) -> Setup:
    def setup(project: Project) -> None:
        for each in setups:
            each(project)

    return setup


def seed_rc_pull(project: Project) -> None:
    project.gh.add_pull(HEAD, title=f"chore({HEAD})")


# ---- rc_pull_request.py -------------------------------------------------------------------

RC = "rc_pull_request.py"
OPEN = ("open", "--head", HEAD)

RC_PULL_REQUEST_ROWS = [
    *(
        script(RC, flag, value, "find", id=f"rc-pr{flag}={value or 'empty'}", says=flag)
        for flag, values in {
            "--timeout": ("0", "-1", "nan", "inf", "abc", "", "601", "1e999"),
            "--max-wait": ("0", "-5", "abc", "3601"),
            "--rate-limit-wait": ("0", "-1", "x"),
        }.items()
        for value in values
    ),
    script(RC, id="rc-pr-no-command", says="COMMAND"),
    script(RC, "merge", id="rc-pr-unknown-command", says="invalid choice"),
    script(RC, "--bogus", "find", id="rc-pr-unknown-flag", says="--bogus"),
    script(RC, "--timeout", id="rc-pr-flag-without-value", says="--timeout"),
    script(RC, "open", id="rc-pr-open-without-head", says="--head"),
    *(
        script(RC, "open", "--head", head, id=f"rc-pr-head-{slug}", says="--head")
        for slug, head in {
            "empty": "",
            "dotdot": "../x",
            "space": "a b",
            "lock": "x.lock",
            "dash": "-x",
            "newline": "a\nb",
            "trailing-slash": "x/",
            "reflog": "x@{1}",
        }.items()
    ),
    script(RC, "--base", "a..b", "find", id="rc-pr-base-dotdot", says="--base"),
    script(RC, "--base", "", "find", id="rc-pr-base-empty", says="--base"),
    script(RC, *OPEN, "--title", "one\ntwo", id="rc-pr-title-two-lines", says="--title"),
    *(
        script(
            RC,
            "find",
            id=f"rc-pr-repository-{slug}",
            env={"GITHUB_REPOSITORY": value},
            says="OWNER/REPO",
        )
        for slug, value in {
            "dotdot": "../..",
            "dotdot-name": "octo-org/..",
            "dot-name": "octo-org/.",
            "three-parts": "a/b/c",
            "no-slash": "project",
            "space": "octo org/project",
            "newline": "octo-org/project\nx",
            "dash-owner": "-octo/project",
            "empty": "",
            "url": "https://github.com/octo-org/project",
        }.items()
    ),
    script(RC, *OPEN, id="rc-pr-no-token", env={"GITHUB_TOKEN": None}, says="GITHUB_TOKEN"),
    *(
        script(
            RC, "find", id=f"rc-pr-api-url-{slug}", env={"GITHUB_API_URL": value}, says="--api-url"
        )
        for slug, value in {
            "ftp": "ftp://example.invalid",
            "no-host": "http://",
            "words": "not a url",
            "newline": "http://127.0.0.1:1/\nx",
        }.items()
    ),
    *(
        script(
            RC,
            *command,
            id=f"rc-pr-{name.lower()}-folder-{command[0]}",
            env={name: "{tmp}/outside/" + name},
            setup=output_is_a_folder(name),
            says=name,
        )
        for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")
        for command in (("find",), OPEN)
    ),
    script(
        RC,
        *OPEN,
        id="rc-pr-output-folder-with-a-pr-to-update",
        env={"GITHUB_OUTPUT": "{tmp}/outside/GITHUB_OUTPUT"},
        setup=both(output_is_a_folder("GITHUB_OUTPUT"), seed_rc_pull),
        says="GITHUB_OUTPUT",
    ),
    script(
        RC,
        *OPEN,
        id="rc-pr-output-symlink",
        env={"GITHUB_OUTPUT": "{tmp}/outside/GITHUB_OUTPUT"},
        setup=output_is_a_symlink,
        says="not a regular file",
    ),
    script(
        RC,
        *OPEN,
        id="rc-pr-output-in-missing-folder",
        env={"GITHUB_OUTPUT": "{tmp}/outside/missing/out"},
        says="cannot be created",
    ),
]

# ---- make targets -------------------------------------------------------------------------

MAKE_ROWS = [
    make("no-such-target", id="make-unknown-target", says="No rule to make target"),
    make(
        "check-changes",
        "CHANGES=missing.rst",
        id="make-check-changes-missing-file",
        says="missing.rst",
    ),
    make(
        "rc",
        "DRY_RUN=1",
        "REMOTE=nowhere",
        id="make-rc-unknown-remote",
        says="nowhere",
    ),
    make(
        "rc",
        "DRY_RUN=1",
        "BASE_BRANCH=no-such-branch",
        id="make-rc-unknown-base-branch",
        says="no-such-branch",
    ),
    make(
        "rc",
        "DRY_RUN=1",
        id="make-rc-repository-dotdot",
        env={"GITHUB_REPOSITORY": "../.."},
        says="OWNER/REPO",
    ),
    make(
        "rc",
        id="make-rc-output-folder",
        env={"GITHUB_OUTPUT": "{tmp}/outside/GITHUB_OUTPUT"},
        setup=output_is_a_folder("GITHUB_OUTPUT"),
        says="GITHUB_OUTPUT",
    ),
]

# The shapes around them: each make target of the preparation half with a value its step
# must refuse, and an unwritable Actions file.
MAKE_AROUND_ROWS = [
    make("check-changes", "CHANGES=.", id="make-check-changes-folder", says="Is a directory"),
    make("check-changes", "CHANGES=", id="make-check-changes-empty", says="Is a directory"),
    make(
        "check-changes",
        "CHANGES=/etc/passwd",
        id="make-check-changes-outside-the-repo",
        says="no such file",  # the recipe reads it below PACKAGE_DIR
    ),
    make(
        "check-changes",
        id="make-check-changes-output-folder",
        env={"GITHUB_OUTPUT": "{tmp}/outside/GITHUB_OUTPUT"},
        setup=output_is_a_folder("GITHUB_OUTPUT"),
        says="GITHUB_OUTPUT",
    ),
    make(
        "release-tag",
        "DRY_RUN=1",
        "VERSION=not-a-version",
        id="make-release-tag-bad-version",
        says="not-a-version",
    ),
    make(
        "release-tag",
        "DRY_RUN=1",
        "REMOTE=nowhere",
        id="make-release-tag-unknown-remote",
        says="nowhere",
    ),
    make(
        "release-tag",
        "DRY_RUN=1",
        "PACKAGE_DIR=../..",
        id="make-release-tag-package-dir-outside",
        says="PACKAGE_DIR",
    ),
    make(
        "release-tag",
        id="make-release-tag-output-folder",
        env={"GITHUB_OUTPUT": "{tmp}/outside/GITHUB_OUTPUT"},
        setup=output_is_a_folder("GITHUB_OUTPUT"),
        says="GITHUB_OUTPUT",
    ),
    make(
        "release-tag",
        id="make-release-tag-summary-folder",
        env={"GITHUB_STEP_SUMMARY": "{tmp}/outside/GITHUB_STEP_SUMMARY"},
        setup=output_is_a_folder("GITHUB_STEP_SUMMARY"),
        says="GITHUB_STEP_SUMMARY",
    ),
    make(
        "rc",
        "DRY_RUN=1",
        id="make-rc-dry-run-summary-folder",
        env={"GITHUB_STEP_SUMMARY": "{tmp}/outside/GITHUB_STEP_SUMMARY"},
        setup=output_is_a_folder("GITHUB_STEP_SUMMARY"),
        says="GITHUB_STEP_SUMMARY",
    ),
]

# ---- the preparation steps: each script alone, then through make ------------------------------


def symlinked_notes(project: Project) -> None:
    project.outside.mkdir(exist_ok=True)
    secret = project.outside / "secret.txt"
    secret.write_text(f"GITHUB_TOKEN={project.gh.env()['GITHUB_TOKEN']}\n", encoding="utf-8")
    notes = project.path / "CHANGES.rst"
    notes.unlink()
    notes.symlink_to(secret)
    project.repo.git("add", "CHANGES.rst")
    project.repo.git("commit", "--quiet", "-m", "docs: notes")
    project.repo.push("main")


def conflicted_merge(project: Project) -> None:
    repo = project.repo
    repo.branch("other", "HEAD")
    repo.commit("fix: one side", files={"x.txt": "main\n"})
    repo.checkout("other")
    repo.commit("fix: other side", files={"x.txt": "other\n"})
    repo.checkout("main")
    repo.git("merge", "other", check=False)


def notes(text: str) -> Setup:
    def setup(project: Project) -> None:
        project.commit("docs: notes", {"CHANGES.rst": text})

    return setup


def open_rc_pull_without_its_branch(project: Project) -> None:
    project.gh.add_pull("auto-release-candidate-2026-10-05", title="chore(rc)")


TWICE = CHANGES + "\n1.3.0 (2025-01-01)\n------------------\n\n- 1234abc ENH: y\n"
UNDERLINE_MISSING = (
    "Changelog\n=========\n\n1.3.0 (2025-02-01)\n\n- y\n\n"
    "1.2.0 (2025-01-01)\n------------------\n\n- x\n"
)
NOT_PEP440_TOP = (
    "Changelog\n=========\n\n1.3.x (2025-02-01)\n------------------\n\n- y\n\n"
    "1.2.0 (2025-01-01)\n------------------\n\n- x\n"
)
IMPOSSIBLE_DATE = "Changelog\n=========\n\n1.3.0 (2025-02-30)\n------------------\n\n- x\n"
A_FOLDER = {"GITHUB_OUTPUT": "{tmp}/outside/GITHUB_OUTPUT"}
A_SUMMARY_FOLDER = {"GITHUB_STEP_SUMMARY": "{tmp}/outside/GITHUB_STEP_SUMMARY"}
OUTPUT_FOLDER = output_is_a_folder("GITHUB_OUTPUT")
MAKE_RC, CHANGES_PY, RELEASE_TAG, RELEASE_CANDIDATE = (
    "make_rc_changes.py",
    "changes.py",
    "release_tag.py",
    "release_candidate.py",
)

# Each preparation script run alone (as a project that copied one script runs it).
PREPARATION_SCRIPT_ROWS = [
    script(MAKE_RC, id="rc-bare-repository", cwd="{origin}", says="bare repository"),
    script(MAKE_RC, id="rc-symlinked-notes", setup=symlinked_notes, says="is a symlink"),
    script(MAKE_RC, "--changes", "../x.rst", id="rc-notes-outside", says="outside the work tree"),
    script(MAKE_RC, "--path", "..", id="rc-path-outside", says="outside the work tree"),
    script(MAKE_RC, id="rc-conflicted-merge", setup=conflicted_merge, says="merge is in progress"),
    script(
        MAKE_RC, id="rc-output-folder", env=A_FOLDER, setup=OUTPUT_FOLDER, says="GITHUB_OUTPUT="
    ),
    script(
        MAKE_RC,
        id="rc-summary-folder",
        env=A_SUMMARY_FOLDER,
        setup=output_is_a_folder("GITHUB_STEP_SUMMARY"),
        says="not a writable",
    ),
    script(
        MAKE_RC,
        id="rc-heading-without-underline",
        setup=notes(UNDERLINE_MISSING),
        says="without its underline",
    ),
    script(
        MAKE_RC,
        id="rc-unknown-heading-on-top",
        setup=notes(NOT_PEP440_TOP),
        says="'1.3.x' is not a PEP 440",
    ),
    script(MAKE_RC, "--version", "2.0", id="rc-version-not-releasable", says="not a form"),
    script(MAKE_RC, "--bogus", id="rc-unknown-option", says="unrecognized arguments"),
    script(
        CHANGES_PY,
        "version",
        id="changes-version-not-pep440",
        setup=notes(NOT_PEP440_TOP),
        says="no PEP 440 version",
    ),
    script(
        CHANGES_PY,
        "date",
        id="changes-impossible-date",
        setup=notes(IMPOSSIBLE_DATE),
        says="not a real date",
    ),
    script(
        CHANGES_PY, "notes", id="changes-symlinked-notes", setup=symlinked_notes, says="symlink"
    ),
    script(
        CHANGES_PY,
        *("--file", "../x.rst", "version"),
        id="changes-notes-outside",
        says="outside the work tree",
    ),
    script(
        CHANGES_PY,
        "check",
        id="changes-output-folder",
        env=A_FOLDER,
        setup=OUTPUT_FOLDER,
        says="GITHUB_OUTPUT=",
    ),
    script(CHANGES_PY, "bogus", id="changes-unknown-command", says="invalid choice"),
    script(CHANGES_PY, "check", "--today", "tomorrow", id="changes-bad-today", says="not a date"),
    script(
        CHANGES_PY,
        "check",
        id="changes-two-sections-one-version",
        status=1,
        setup=notes(TWICE),
        says="a second section for version 1.3.0",
    ),
    script(RELEASE_TAG, id="tag-bare-repository", cwd="{origin}", says="bare repository"),
    script(RELEASE_TAG, id="tag-symlinked-notes", setup=symlinked_notes, says="is a symlink"),
    script(
        RELEASE_TAG, id="tag-conflicted-merge", setup=conflicted_merge, says="merge is in progress"
    ),
    script(
        RELEASE_TAG,
        id="tag-output-folder",
        env=A_FOLDER,
        setup=OUTPUT_FOLDER,
        says="GITHUB_OUTPUT=",
    ),
    script(RELEASE_TAG, "--package-dir", "nope", id="tag-no-package-dir", says="not a directory"),
    script(RELEASE_TAG, "--resume", "maybe", id="tag-bad-resume", says="invalid choice"),
    script(RELEASE_TAG, id="tag-nothing-to-undo", env={"RESUME": "undo"}, says="no unpushed bump"),
    script(RELEASE_CANDIDATE, id="rc-step-bare-repository", cwd="{origin}", says="bare repository"),
    script(
        RELEASE_CANDIDATE,
        id="rc-step-output-folder",
        env=A_FOLDER,
        setup=OUTPUT_FOLDER,
        says="GITHUB_OUTPUT=",
    ),
    script(
        RELEASE_CANDIDATE, "--bogus", id="rc-step-unknown-option", says="unrecognized arguments"
    ),
    *(
        script(
            RELEASE_CANDIDATE,
            id=f"rc-step-rc-date-{slug}",
            env={"RC_DATE": value},
            says=f"got '{value}'",
        )
        for slug, value in {
            "no-such-day": "2026-02-30",
            "words": "tomorrow",
            "compact": "20261103",
            "short-month": "2026-1-03",
        }.items()
    ),
]

PREPARATION_ROWS = [
    make("rc", id="make-rc-symlinked-notes", setup=symlinked_notes, says="symlink"),
    make(
        "rc", "DRY_RUN=1", id="make-rc-dry-symlinked-notes", setup=symlinked_notes, says="symlink"
    ),
    make(
        "release-tag", id="make-release-tag-symlinked-notes", setup=symlinked_notes, says="symlink"
    ),
    make("rc", id="make-rc-conflicted-merge", setup=conflicted_merge, says="merge is in progress"),
    make(
        "rc",
        id="make-rc-open-pr-without-its-branch",
        setup=open_rc_pull_without_its_branch,
        says="auto-release-candidate-2026-10-05 is missing on origin",
    ),
    make("rc", id="make-rc-bad-rc-date", env={"RC_DATE": "2026-13-01"}, says="RC_DATE"),
    make(
        "release-tag", id="make-release-tag-conflicted-merge", setup=conflicted_merge, says="merge"
    ),
    make("release-tag", "RESUME=undo", id="make-release-tag-nothing-to-undo", says="RESUME=undo"),
    make("release-tag", "PACKAGE_DIR=nope", id="make-release-tag-no-package", says="PACKAGE_DIR"),
    make("rc", "PACKAGE_DIR=..", id="make-rc-package-outside", says="outside the work tree"),
    make("check-changes", "PACKAGE_DIR=/etc", id="make-check-changes-outside", says="outside"),
]

# ---- yes/no settings: a typo is refused before anything is done, never read as "no" ---------


def not_yes_no(name: str, value: str = "ture") -> str:
    return f"{name}={value!r} is not a yes/no value (use 1/0, true/false, yes/no, on/off)"


YES_NO_ROWS = [
    *(
        make(target, "DRY_RUN=ture", id=f"make-{target}-dry-run-typo", says=not_yes_no("DRY_RUN"))
        for target in (
            "rc",
            "release-tag",
            "deploy-pypi",
            "deploy-github-release",
            "deploy-dockerhub",
            "build",
        )
    ),
    make("deploy", id="make-deploy-dry-run-typo-env", env={"DRY_RUN": "Ture"}, says="'Ture'"),
    make("release-tag", "DRY_RUN=1", "SIGN=ture", id="make-release-tag-sign-typo", says="SIGN="),
    make("release-tag", "SIGN=ture", id="make-release-tag-sign-typo-for-real", says="SIGN="),
    make(
        "build",
        "BUILD_NO_ISOLATION=yes please",
        id="make-build-no-isolation-typo",
        says=not_yes_no("BUILD_NO_ISOLATION", "yes please"),
    ),
    # Each script's own copy, run alone.
    *(
        script(name, *args, id=f"{name}-dry-run-typo", env={"DRY_RUN": "ture"}, says="DRY_RUN=")
        for name, args in {
            "release_tag.py": (),
            "release_candidate.py": (),
            "rc_pull_request.py": ("find",),
            "draft_release.py": ("publish",),
            "pypi_publish.py": ("publish",),
            "push_image.py": ("--target", "dockerhub", "--tags", "build/tags.json"),
            "build_image.py": ("push", "127.0.0.1:1/demo:1.3.0"),
        }.items()
    ),
    script("release_tag.py", id="release_tag.py-sign-typo", env={"SIGN": "2"}, says="SIGN='2'"),
]

# --timeout, --max-wait and $MAX_WAIT are refused alike by both GitHub scripts (one `seconds`).
GITHUB_SCRIPTS = {RC: "find", "draft_release.py": "publish"}
TIME_ROWS = [
    *(
        script(name, flag, value, command, id=f"{name}{flag}={value}", says=flag)
        for name, command in GITHUB_SCRIPTS.items()
        if name != RC  # its rows are above
        for flag, values in {
            "--timeout": ("0", "nan", "601"),
            "--max-wait": ("0", "abc", "3601"),
        }.items()
        for value in values
    ),
    *(
        script(
            name, command, id=f"{name}-max-wait-env", env={"MAX_WAIT": "forever"}, says="'forever'"
        )
        for name, command in GITHUB_SCRIPTS.items()
    ),
]

# Without --repository or GITHUB_REPOSITORY, the repository is read from the remote's URL: the
# project's origin is a local bare repository, which names none.
NO_REPOSITORY = "it could not be read from origin's URL"
REPOSITORY_ROWS = [
    script(
        RC, "find", id="rc-pr-no-repository", env={"GITHUB_REPOSITORY": None}, says=NO_REPOSITORY
    ),
    script(
        "draft_release.py",
        "--tag",
        "v1.3.0",
        "publish",
        id="draft-release-no-repository",
        env={"GITHUB_REPOSITORY": None},
        says=NO_REPOSITORY,
    ),
    script(
        "draft_release.py",
        "--tag",
        "v1.3.0",
        "publish",
        id="draft-release-repository-three-parts",
        env={"GITHUB_REPOSITORY": "a/b/c"},
        says="OWNER/REPO",
    ),
    make("rc", id="make-rc-no-repository", env={"GITHUB_REPOSITORY": None}, says=NO_REPOSITORY),
]

# Values that once ended in a traceback, and secrets: one line, and no secret in it.
SECRET_ROWS = [
    script(
        "pypi_publish.py",
        "plan",
        id="pypi-url-that-does-not-parse",
        env={"PYPI_REPOSITORY_URL": "http://[::1/"},
        says="must be an http(s) URL with a host",
    ),
    script(
        "pypi_publish.py",
        "plan",
        id="pypi-url-credentials-are-not-shown",
        env={"PYPI_REPOSITORY_URL": "ftp://uploader:hunter2secret@index.example/"},
        says="'ftp://***@index.example/'",
    ),
    script(
        "pypi_publish.py",
        "publish",
        id="pypi-password-too-short",
        env={"TWINE_USERNAME": "uploader", "TWINE_PASSWORD": "p"},
        says="TWINE_PASSWORD is shorter than 4 characters",
    ),
    script(
        "rc_pull_request.py",
        "find",
        id="github-token-too-short",
        env={"GITHUB_TOKEN": "x"},
        says="GITHUB_TOKEN is shorter than 4 characters",
    ),
    script(
        "rc_pull_request.py",
        "find",
        id="github-token-not-ascii",
        env={"GITHUB_TOKEN": "ghp_abc€123"},
        says="GITHUB_TOKEN holds a character that is not printable ASCII",
    ),
    script(
        "rc_pull_request.py",
        "find",
        id="github-api-url-answering-html",
        setup=lambda project: project.gh.html_page(),
        says="answered 200 with text/html, not JSON: check GITHUB_API_URL",
    ),
    make(
        "rc",
        id="make-rc-github-api-url-answering-html",
        setup=lambda project: project.gh.html_page(times=5),
        says="answered 200 with text/html, not JSON",
    ),
]

ROWS: list[Row] = [
    *SECRET_ROWS,
    *REPOSITORY_ROWS,
    *RC_PULL_REQUEST_ROWS,
    *TIME_ROWS,
    *MAKE_ROWS,
    *MAKE_AROUND_ROWS,
    *PREPARATION_SCRIPT_ROWS,
    *PREPARATION_ROWS,
    *YES_NO_ROWS,
]


# ---- the runner ------------------------------------------------------------------------------


@pytest.fixture
def project(kit_project: Project) -> Project:
    return kit_project


def fill(text: str, project: Project) -> str:
    return (
        text.replace("{python}", sys.executable)
        .replace("{project}", str(project.path))
        .replace("{origin}", str(project.repo.origin))
        .replace("{tmp}", str(project.tmp))
    )


def environment(row: Row, project: Project) -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        **project.gh.env(),
        "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHON": sys.executable,
        "TMPDIR": str(project.tmp / "scratch"),
    }
    for name, value in row.env.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = fill(value, project)
    return env


def snapshot(project: Project) -> dict[str, str]:
    """A digest of every file under the row's folder (but inside .git), and the git state."""
    seen: dict[str, str] = {}
    for path in sorted(project.tmp.rglob("*")):
        relative = path.relative_to(project.tmp)
        if ".git" in relative.parts or relative.parts[0] == "origin.git":
            continue
        if path.is_symlink():
            seen[str(relative)] = f"-> {path.readlink()}"
        elif path.is_file():
            seen[str(relative)] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif path.is_dir():
            seen[str(relative)] = "dir"
    git = project.repo.git
    seen["git: refs"] = git("for-each-ref", "--format=%(refname) %(objectname)")
    seen["git: HEAD"] = git("rev-parse", "HEAD") + " " + git("symbolic-ref", "-q", "HEAD")
    seen["git: status"] = git("status", "--porcelain", "--ignored")
    seen["git: worktrees"] = git("worktree", "list", "--porcelain")
    seen["git: stash"] = git("stash", "list")
    assert project.repo.origin is not None
    seen["origin: refs"] = run_git(
        project.repo.origin, "for-each-ref", "--format=%(refname) %(objectname)"
    )
    return seen


def params(rows: list[Row]) -> list[object]:
    return [pytest.param(row, id=row.id) for row in rows]


@pytest.mark.parametrize("row", params(ROWS))
def test_bad_input_is_refused_in_one_line_and_changes_nothing(project: Project, row: Row) -> None:
    if row.setup is not None:
        row.setup(project)
    before = snapshot(project)
    requests_before = len(project.gh.requests)
    argv = [fill(arg, project) for arg in row.argv]
    result = subprocess.run(
        argv,
        cwd=fill(row.cwd, project),
        env=environment(row, project),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if not MAKE_ERROR.fullmatch(line)]

    assert result.returncode == row.status, output
    assert len(lines) == 1, result.stderr
    assert row.says in lines[0], result.stderr
    assert "Traceback" not in output
    assert "usage:" not in output
    assert project.gh.token not in output
    assert snapshot(project) == before
    writes = [r for r in project.gh.requests[requests_before:] if r.method not in ("GET", "HEAD")]
    assert writes == []
