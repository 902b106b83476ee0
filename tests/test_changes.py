"""scripts/changes.py: reading CHANGES.rst and the release check, run as a real process."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SCRIPTS, run_script
from tests.peers.git_repos import GitRepo

TODAY = "2026-06-01"
DRAFT_SHA = "5f3c1a9e0d2b4c6a8e7f9a1b3c5d7e9f0a2b4c6d"

READY = f"""\
Changelog
=========

Notes for every release of the project.

3.0.0 (tbd)
-----------

- Planning: drop Python 3.10.

1.3.0 (2026-05-20)
------------------

.. releasekit-draft: {DRAFT_SHA}

- 5f3c1a9 ENH: Add a ``--path`` option for monorepos (#41)
- 9be0c12 FIX: Keep maintainer edits on re-runs (#40)
- 77aa3e1 MAINT: Update CI runners

1.2.0 (2026-01-15)
------------------

- 0c1d2e3 ENH: First public release
"""

# A section a maintainer has worked on: nested lists, literals, links, a sub-heading, code.
RICH = f"""\
Changelog
=========

1.4.0 (unreleased)
------------------

.. releasekit-draft: {DRAFT_SHA}

- 1a2b3c4 ENH!: Read ``CHANGES.rst`` from ``--file``, see `the format <https://example.org/format>`_

  - the old ``--changes`` option is *gone*
  - ``__init__.py`` is **no longer** read; see Upgrading_

- 5d6e7f8 FIX: Escape `title` text [#43]

Upgrading
~~~~~~~~~

1. Rename the option.
2. Run this::

     make check-changes

.. _Upgrading: https://example.org/upgrading

1.3.0 (2026-05-20)
------------------

- 77aa3e1 MAINT: Update CI runners
"""

RICH_MD = """\
- 1a2b3c4 ENH!: Read `CHANGES.rst` from `--file`, see [the format](https://example.org/format)
  - the old `--changes` option is *gone*
  - `__init__.py` is **no longer** read; see [Upgrading](https://example.org/upgrading)
- 5d6e7f8 FIX: Escape *title* text \\[#43\\]

### Upgrading

1. Rename the option.
2. Run this:

   ```
   make check-changes
   ```
"""


def write(directory: Path, text: str, name: str = "CHANGES.rst") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str) -> int:
    """The 1-based number of the first line containing `needle`."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def changes(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_script("changes", *args, cwd=cwd, env=env)


def check(
    repo: GitRepo, text: str, *extra: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    write(repo.path, text)
    return changes(repo.path, "check", "--today", TODAY, *extra, env=env)


def with_heading(heading: str, text: str = READY) -> str:
    """READY with the 1.3.0 heading replaced (and its underline fitted)."""
    return text.replace(
        "1.3.0 (2026-05-20)\n------------------", f"{heading}\n{'-' * len(heading)}"
    )


def assert_one_error_line(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("changes.py: error: ")
    assert "Traceback" not in result.stderr


# ---- reading ------------------------------------------------------------------------------


def test_version_skips_the_planning_section(tmp_path: Path) -> None:
    write(tmp_path, READY)
    result = changes(tmp_path, "version")
    assert (result.returncode, result.stdout, result.stderr) == (0, "1.3.0\n", "")


def test_version_and_date_of_a_draft_as_written(tmp_path: Path) -> None:
    write(tmp_path, with_heading("1.3.0 (unreleased)"))
    assert changes(tmp_path, "version").stdout == "1.3.0\n"
    assert changes(tmp_path, "date").stdout == "unreleased\n"


def test_date_and_file_option_on_either_side(tmp_path: Path) -> None:
    write(tmp_path, READY, name="HISTORY.rst")
    assert changes(tmp_path, "--file", "HISTORY.rst", "date").stdout == "2026-05-20\n"
    assert changes(tmp_path, "date", "--file", "HISTORY.rst").stdout == "2026-05-20\n"


def test_planning_section_in_caps_is_skipped_too(tmp_path: Path) -> None:
    write(tmp_path, READY.replace("3.0.0 (tbd)", "3.0.0 (TBD)"))
    assert changes(tmp_path, "version").stdout == "1.3.0\n"


def test_notes_of_the_top_section_without_heading_or_draft_comment(tmp_path: Path) -> None:
    write(tmp_path, READY)
    result = changes(tmp_path, "notes")
    assert result.returncode == 0
    assert result.stdout == (
        "- 5f3c1a9 ENH: Add a ``--path`` option for monorepos (#41)\n"
        "- 9be0c12 FIX: Keep maintainer edits on re-runs (#40)\n"
        "- 77aa3e1 MAINT: Update CI runners\n"
    )


def test_notes_of_an_older_version(tmp_path: Path) -> None:
    write(tmp_path, READY)
    assert changes(tmp_path, "notes", "1.2.0").stdout == "- 0c1d2e3 ENH: First public release\n"
    md = changes(tmp_path, "notes", "1.2.0", "--format", "md")
    assert md.stdout == "- 0c1d2e3 ENH: First public release\n"


def test_notes_of_an_unknown_version_exit_2(tmp_path: Path) -> None:
    write(tmp_path, READY)
    result = changes(tmp_path, "notes", "9.9.9")
    assert_one_error_line(result)
    assert "9.9.9" in result.stderr


def test_notes_as_markdown_for_a_github_release(tmp_path: Path) -> None:
    write(tmp_path, RICH)
    result = changes(tmp_path, "notes", "--format", "md")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == RICH_MD


def test_notes_as_rest_keep_what_the_maintainer_wrote(tmp_path: Path) -> None:
    write(tmp_path, RICH)
    rst = changes(tmp_path, "notes", "1.4.0").stdout
    assert rst.startswith("- 1a2b3c4 ENH!: Read ``CHANGES.rst``")
    assert "  - the old ``--changes`` option is *gone*\n" in rst
    assert "releasekit-draft" not in rst
    assert "1.4.0 (unreleased)" not in rst
    assert rst.endswith(".. _Upgrading: https://example.org/upgrading\n")


# ---- the release check --------------------------------------------------------------------


def test_check_passes_on_a_ready_file(repo: GitRepo) -> None:
    repo.tag("v1.2.0", message="Release 1.2.0")
    result = check(repo, READY)
    assert (result.returncode, result.stdout, result.stderr) == (0, "1.3.0\n", "")


def test_check_passes_without_any_tag_yet(repo: GitRepo) -> None:
    result = check(repo, READY)
    assert (result.returncode, result.stdout) == (0, "1.3.0\n")


@pytest.mark.parametrize(
    ("heading", "problem"),
    [
        ("1.3.0 (YYYY-MM-DD)", "date 'YYYY-MM-DD' is a placeholder"),
        ("1.3.0 (unreleased)", "date 'unreleased' is a placeholder"),
        ("1.3.0 (2026-xx-xx)", "date '2026-xx-xx' is a placeholder"),
        ("1.3.0 (2026-02-30)", "date '2026-02-30' is not a real date"),
        ("1.3.0 (20 May 2026)", "date '20 May 2026' is not a date (YYYY-MM-DD or Month D, YYYY)"),
        ("1.3.0 (February 30, 2026)", "date 'February 30, 2026' is not a real date"),
        ("1.3.0", "the heading has no date"),
        ("1.3.0 (2026-06-02)", "date 2026-06-02 is in the future (today is 2026-06-01)"),
        ("x.x.x (2026-05-20)", "version 'x.x.x' is a placeholder"),
        ("1.3.0.dev1 (2026-05-20)", "version '1.3.0.dev1' is not a form release-tag can write"),
        ("1.3 (2026-05-20)", "version '1.3' is not a form release-tag can write"),
        ("1.3.0-final (2026-05-20)", "version '1.3.0-final' is not a PEP 440 version"),
        ("1.3.0-RC1 (2026-05-20)", "version '1.3.0-RC1' is not in normalized PEP 440 form"),
        ("Unreleased", "heading 'Unreleased' is not 'VERSION (DATE)'"),
    ],
)
def test_check_refuses_a_heading_not_ready(repo: GitRepo, heading: str, problem: str) -> None:
    repo.tag("v1.2.0")
    text = with_heading(heading)
    result = check(repo, text)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"CHANGES.rst:{line_of(text, heading)}: {problem}")


@pytest.mark.parametrize(
    ("version", "tags", "problem"),
    [
        (
            "1.3.0",
            ["v1.2.0", "v1.3.0"],
            "version 1.3.0 is already released as tag v1.3.0; start a new section",
        ),
        (
            "1.3.0",
            ["v1.2.0", "v1.4.0", "latest"],
            "version 1.3.0 is not above the last release tag v1.4.0",
        ),
        (
            "1.3.0rc1",
            ["v1.2.0", "v1.3.0"],
            "version 1.3.0rc1 is not above the last release tag v1.3.0",
        ),
        ("1.3.0rc1", ["v1.3.0rc2"], "version 1.3.0rc1 is not above the last release tag v1.3.0rc2"),
        ("1.2.3", ["v1.2.3.post1"], "version 1.2.3 is not above the last release tag v1.2.3.post1"),
    ],
)
def test_check_refuses_a_version_not_above_the_last_tag(
    repo: GitRepo, version: str, tags: list[str], problem: str
) -> None:
    for tag in tags:
        repo.tag(tag)
    heading = f"{version} (2026-05-20)"
    text = with_heading(heading)
    result = check(repo, text)
    assert result.returncode == 1
    assert result.stderr == f"CHANGES.rst:{line_of(text, heading)}: {problem}\n"


@pytest.mark.parametrize(
    ("version", "tags", "prerelease"),
    [
        ("1.3.0rc1", ["v1.2.0", "v1.3.0rc0"], "true"),
        ("1.3.0", ["v1.2.0", "v1.3.0rc1"], "false"),
        ("1.2.3.post1", ["v1.2.3"], "false"),
        ("1.3.0a1", ["v1.2.0"], "true"),
        ("1.3.0", ["v1.2.0", "vnext", "v2.x", "1.9.0"], "false"),
    ],
)
def test_check_orders_versions_the_pep_440_way(
    repo: GitRepo, tmp_path: Path, version: str, tags: list[str], prerelease: str
) -> None:
    for tag in tags:
        repo.tag(tag)
    output = tmp_path / "github_output"
    result = check(
        repo, with_heading(f"{version} (2026-05-20)"), env={"GITHUB_OUTPUT": str(output)}
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, f"{version}\n", "")
    assert output.read_text(encoding="utf-8") == (
        f"version={version}\ntag=v{version}\ndate=2026-05-20\nprerelease={prerelease}\n"
    )


def test_check_uses_the_literal_prefix_of_another_tag_pattern(
    repo: GitRepo, tmp_path: Path
) -> None:
    repo.tag("release-1.3.0")
    repo.tag("v9.0.0")  # not a tag of this pattern
    failing = check(repo, READY, "--tag-pattern", "release-*")
    assert failing.returncode == 1
    assert "version 1.3.0 is already released as tag release-1.3.0" in failing.stderr

    output = tmp_path / "github_output"
    text = with_heading("1.3.1 (2026-05-20)")
    passing = check(repo, text, "--tag-pattern", "release-*", env={"GITHUB_OUTPUT": str(output)})
    assert passing.returncode == 0
    assert "tag=release-1.3.1\n" in output.read_text(encoding="utf-8")


def test_check_compares_with_the_tags_of_the_repo_given_by_dash_c(
    repo: GitRepo, tmp_path: Path
) -> None:
    repo.tag("v1.3.0")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write(elsewhere, READY)
    result = changes(elsewhere, "check", "--today", TODAY, "-C", str(repo.path))
    assert result.returncode == 1
    assert "already released as tag v1.3.0" in result.stderr


# Only the section being released blocks it: an older one was released as it is, and a
# project's old sections (pypiserver's of 2016) may well hold what docutils objects to.
INVALID_REST = [
    # (the entry replaced by one docutils objects to, whether that blocks the release)
    ("- 5f3c1a9 ENH: Add a ``--path`` option for monorepos (#41)", True),
    ("- 0c1d2e3 ENH: First public release", False),
]


@pytest.mark.parametrize(("entry", "blocks"), INVALID_REST, ids=["released", "older"])
def test_check_refuses_invalid_rest_only_in_the_released_section(
    repo: GitRepo, entry: str, blocks: bool
) -> None:
    text = READY.replace(entry, "- 0c1d2e3 ENH: See `docs`_ and :pr:`3`")
    result = check(repo, text)
    line = line_of(text, "See `docs`_")
    said = [
        f'CHANGES.rst:{line}: Unknown interpreted text role "pr".',
        f'CHANGES.rst:{line}: Unknown target name: "docs".',
    ]
    if blocks:
        assert result.returncode == 1
        assert set(said) <= set(result.stderr.splitlines())
        return
    assert result.returncode == 0, result.stderr
    [warning] = result.stderr.splitlines()
    assert warning == (
        "changes.py: warning: CHANGES.rst: 2 reST problems in older sections, left as they are "
        f'(line {line}: Unknown interpreted text role "pr".)'
    )


def test_check_refuses_a_short_title_underline(repo: GitRepo) -> None:
    text = READY.replace("1.3.0 (2026-05-20)\n------------------", "1.3.0 (2026-05-20)\n--------")
    result = check(repo, text)
    assert result.returncode == 1
    assert (
        result.stderr == f"CHANGES.rst:{line_of(text, '1.3.0 (') + 1}: Title underline too short.\n"
    )


def test_a_short_title_underline_of_an_older_section_warns(repo: GitRepo) -> None:
    text = READY.replace("1.2.0 (2026-01-15)\n------------------", "1.2.0 (2026-01-15)\n--------")
    result = check(repo, text)
    assert result.returncode == 0, result.stderr
    assert "1 reST problem in older sections" in result.stderr


def test_check_refuses_an_empty_section(repo: GitRepo) -> None:
    text = READY.replace(
        "- 5f3c1a9 ENH: Add a ``--path`` option for monorepos (#41)\n"
        "- 9be0c12 FIX: Keep maintainer edits on re-runs (#40)\n"
        "- 77aa3e1 MAINT: Update CI runners\n",
        "",
    )
    result = check(repo, text)
    assert result.returncode == 1
    line = line_of(text, "1.3.0 (")
    assert result.stderr == f"CHANGES.rst:{line}: section '1.3.0 (2026-05-20)' has no entries\n"


def test_check_refuses_draft_placeholders_left_in_the_notes(repo: GitRepo) -> None:
    text = READY.replace("- 77aa3e1 MAINT: Update CI runners", "- Released on YYYY-MM-DD")
    result = check(repo, text)
    assert result.returncode == 1
    line = line_of(text, "- Released on")
    assert (
        result.stderr == f"CHANGES.rst:{line}: draft placeholder 'YYYY-MM-DD' left in the notes\n"
    )


def test_check_accepts_a_commit_subject_that_mentions_todo(repo: GitRepo) -> None:
    text = READY.replace("MAINT: Update CI runners", "MAINT: Close the TODO list in docs")
    assert check(repo, text).returncode == 0


def test_check_accepts_the_draft_comment_once_dated(repo: GitRepo) -> None:
    assert f".. releasekit-draft: {DRAFT_SHA}" in READY
    assert check(repo, READY).returncode == 0


def test_check_reports_every_problem_as_a_github_annotation(repo: GitRepo, tmp_path: Path) -> None:
    repo.tag("v1.3.0")
    text = with_heading("1.3.0 (unreleased)")
    summary = tmp_path / "summary.md"
    output = tmp_path / "github_output"
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
    }
    result = check(repo, text, env=env)
    line = line_of(text, "1.3.0 (unreleased)")
    assert result.returncode == 1
    where = f"::error file=CHANGES.rst,line={line}::"
    assert result.stdout.splitlines() == [
        f"{where}version 1.3.0 is already released as tag v1.3.0; start a new section",
        f"{where}date 'unreleased' is a placeholder; set the release date (YYYY-MM-DD)",
    ]
    assert len(result.stderr.splitlines()) == 2
    assert "date 'unreleased' is a placeholder" in summary.read_text(encoding="utf-8")
    assert not output.exists()


def test_check_writes_no_annotation_outside_actions(repo: GitRepo) -> None:
    result = check(repo, with_heading("1.3.0 (unreleased)"))
    assert result.returncode == 1
    assert result.stdout == ""


def test_check_writes_outputs_and_a_summary_in_actions(repo: GitRepo, tmp_path: Path) -> None:
    repo.tag("v1.2.0")
    summary = tmp_path / "summary.md"
    output = tmp_path / "github_output"
    output.write_text("earlier=step\n", encoding="utf-8")
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
    }
    result = check(repo, READY, env=env)
    assert (result.returncode, result.stdout, result.stderr) == (0, "1.3.0\n", "")
    assert output.read_text(encoding="utf-8") == (
        "earlier=step\nversion=1.3.0\ntag=v1.3.0\ndate=2026-05-20\nprerelease=false\n"
    )
    text = summary.read_text(encoding="utf-8")
    assert "1.3.0" in text
    assert "`v1.3.0`" in text
    assert "`v1.2.0`" in text


# ---- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["version", "date", "notes", "check"])
def test_a_missing_file_is_one_line_and_exit_2(tmp_path: Path, command: str) -> None:
    result = changes(tmp_path, "--file", "NOPE.rst", command)
    assert_one_error_line(result)
    assert "NOPE.rst" in result.stderr


def test_a_file_without_release_sections_is_exit_2(tmp_path: Path) -> None:
    write(tmp_path, "Changelog\n=========\n\nNothing yet.\n")
    assert_one_error_line(changes(tmp_path, "version"))


def test_only_planning_sections_is_exit_2(tmp_path: Path) -> None:
    write(tmp_path, "Changelog\n=========\n\n2.0.0 (tbd)\n-----------\n\n- later\n")
    assert_one_error_line(changes(tmp_path, "date"))


def test_check_outside_a_git_repository_is_exit_2(tmp_path: Path) -> None:
    write(tmp_path, READY)
    result = changes(tmp_path, "check", "-C", str(tmp_path))
    assert_one_error_line(result)
    assert "not a git repository" in result.stderr


def test_a_bad_today_is_a_usage_error(tmp_path: Path) -> None:
    write(tmp_path, READY)
    result = changes(tmp_path, "check", "--today", "2026-13-01")
    assert result.returncode == 2
    assert "--today" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [[], ["version"], ["date"], ["notes"], ["check"]])
def test_help_for_each_command(tmp_path: Path, command: list[str]) -> None:
    result = changes(tmp_path, *command, "--help")
    assert result.returncode == 0
    assert result.stdout.startswith("usage: changes.py")
    assert "--file" in result.stdout


# ---- standalone -----------------------------------------------------------------------------


def test_runs_as_a_single_copied_file(repo: GitRepo, tmp_path: Path) -> None:
    """A user copies only changes.py into their repository and runs it there."""
    copied = repo.path / "tools" / "changes.py"
    copied.parent.mkdir()
    shutil.copy(SCRIPTS / "changes.py", copied)
    write(repo.path, RICH.replace("1.4.0 (unreleased)", "1.4.0 (2026-05-21)"))
    repo.tag("v1.3.0")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(copied), *args],
            cwd=repo.path,
            capture_output=True,
            text=True,
            check=False,
        )

    assert run("check", "--today", TODAY).stdout == "1.4.0\n"
    assert run("notes", "--format", "md").stdout == RICH_MD
    assert run("version").stdout == "1.4.0\n"


def test_a_sphinx_role_docutils_does_not_know_becomes_code_in_markdown(tmp_path: Path) -> None:
    text = READY.replace("First public release", "First public release (:issue:`42`)")
    write(tmp_path, text)
    md = changes(tmp_path, "notes", "1.2.0", "--format", "md")
    assert md.stdout == "- 0c1d2e3 ENH: First public release (`42`)\n"
