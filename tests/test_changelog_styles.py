"""Changelogs as real projects keep them: reST and Markdown headings, dates in the title or on
the line below, planning sections, merge styles, news fragments. One table per rule, one
runner each; real git repositories and the scripts run as processes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import run_script
from tests.peers.git_repos import GitRepo


def draft(repo: GitRepo, changes: str, *args: str) -> str:
    done = run_script("make_rc_changes", "--changes", changes, *args, cwd=repo.path)
    assert done.returncode == 0, done.stderr
    return done.stderr


# ---- the draft, in the file's own style, and never twice ------------------------------------


@dataclass(frozen=True)
class Style:
    id: str
    name: str  # the changelog's file name
    before: str  # the file at the last release
    heading: str  # the draft's heading lines, as the file writes its own
    tag: str = "v1.2.0"
    marker: str = "<!-- releasekit-draft: "


STYLES = [
    Style(
        "keep-a-changelog",
        "CHANGELOG.md",
        "# Changelog\n\n## [Unreleased]\n\n## [1.2.0] - 2025-06-30\n\n### Fixed\n\n- A fix.\n",
        "## [1.2.1] - unreleased\n",
    ),
    Style(
        "click",
        "CHANGES.md",
        "# Changes\n\n## Version 1.2.0\n\nReleased 2025-06-30\n\n- A fix.\n",
        "## Version 1.2.1\n\nUnreleased\n",
        tag="1.2.0",
    ),
    Style(
        "pip-tools",
        "CHANGELOG.md",
        "<!-- towncrier release notes start -->\n\n## v1.2.0\n\n*2025-06-30*\n\n- A fix.\n",
        "## v1.2.1\n\n*Unreleased*\n",
    ),
    Style(
        "pytest-xdist",
        "CHANGELOG.rst",
        "pytest-xdist 1.2.0 (2025-06-30)\n===============================\n\n- A fix.\n",
        "pytest-xdist 1.2.1 (unreleased)\n===============================\n",
        marker=".. releasekit-draft: ",
    ),
    Style(
        "pypiserver-planning-on-top",
        "CHANGES.rst",
        "Changelog\n=========\n\n3.0.0 (tbd)\n-----------\n\n- Plans.\n\n"
        "1.2.0 (2025-06-30)\n------------------\n\n- A fix.\n",
        "1.2.1 (unreleased)\n------------------\n",
        marker=".. releasekit-draft: ",
    ),
    Style(
        "crlf",
        "CHANGES.rst",
        "Changelog\r\n=========\r\n\r\n"
        "1.2.0 (2025-06-30)\r\n------------------\r\n\r\n- A fix.\r\n",
        "1.2.1 (unreleased)\r\n------------------\r\n",
        marker=".. releasekit-draft: ",
    ),
]


def released_with(repo: GitRepo, style: Style) -> None:
    (repo.path / style.name).write_bytes(style.before.encode())
    repo.commit("docs: notes for 1.2.0", files={})
    repo.git("add", "--all")
    repo.git("commit", "--quiet", "--amend", "--no-edit")
    repo.tag(style.tag, message="Release 1.2.0")


@pytest.mark.parametrize("style", STYLES, ids=lambda s: s.id)
def test_the_draft_is_in_the_files_style_and_a_rerun_never_doubles_it(
    repo: GitRepo, style: Style
) -> None:
    released_with(repo, style)
    repo.commit("fix: the crash (#7)")
    pattern = ("--tag-pattern", "*" if not style.tag.startswith("v") else "v*")
    draft(repo, style.name, *pattern)
    repo.commit("fix: another crash (#8)")
    draft(repo, style.name, *pattern)
    text = (repo.path / style.name).read_bytes().decode()
    assert style.heading in text, text
    assert text.count("1.2.1") == 1, text  # one draft, after two runs
    assert text.count(style.marker) == 1
    assert "Fix: the crash" not in text  # the type became the label
    assert len(re.findall(r"FIX: (The crash \(#7\)|Another crash \(#8\))", text)) == 2, text
    assert text.endswith(style.before.split("\n", 1)[1][-20:])  # the old sections kept
    if style.name.endswith(".md"):
        assert ".. releasekit-draft" not in text


def test_a_draft_a_person_dated_tbd_is_still_the_draft(repo: GitRepo) -> None:
    style = next(s for s in STYLES if s.id == "pypiserver-planning-on-top")
    released_with(repo, style)
    repo.commit("fix: the crash (#7)")
    draft(repo, style.name)
    notes = repo.path / style.name
    notes.write_text(notes.read_text().replace("1.2.1 (unreleased)", "1.2.1 (tbd)        "))
    repo.commit("docs: planned for later", files={})
    repo.git("commit", "--quiet", "--all", "--amend", "--no-edit")
    repo.commit("fix: another crash (#8)")
    draft(repo, style.name)
    text = notes.read_text()
    assert text.count("1.2.1") == 1 and "Another crash (#8)" in text, text


def test_a_persons_unreleased_section_is_adopted_as_the_draft(repo: GitRepo) -> None:
    (repo.path / "CHANGES.md").write_text(
        "# Changes\n\n## Version 1.2.1\n\nUnreleased\n\n- Written by hand.\n\n"
        "## Version 1.2.0\n\nReleased 2025-06-30\n\n- A fix.\n"
    )
    repo.git("add", "--all")
    repo.git("commit", "--quiet", "-m", "docs: notes")
    repo.tag("1.2.0", message="Release 1.2.0")
    repo.commit("fix: the crash (#7)")
    said = draft(repo, "CHANGES.md", "--tag-pattern", "*")
    text = (repo.path / "CHANGES.md").read_text()
    assert "adopting the unreleased section 1.2.1 as the draft" in said
    assert text.count("## Version 1.2.1") == 1
    assert "- Written by hand.\n- " in text  # the person's list goes on
    assert "FIX: The crash (#7)" in text


# ---- check-changes and the release notes of a Markdown file ---------------------------------

READY_MD = (
    "# Changes\n\n## Version 1.3.0\n\nReleased 2026-11-01\n\n"
    "<!-- releasekit-draft: 0123456789abcdef0123456789abcdef01234567 -->\n\n"
    "### Fixed\n\n- The crash, see [#7](https://example.org/7) and `--flag`.\n\n"
    "## Version 1.2.0\n\nReleased 2025-06-30\n\n- A fix.\n"
)

# (the top section's lines, the check's one line or None when it passes)
MARKDOWN_CHECKS: list[tuple[str, str | None]] = [
    (READY_MD, None),
    (READY_MD.replace("Released 2026-11-01", "Unreleased"), "date 'Unreleased' is a placeholder"),
    (READY_MD.replace("Version 1.3.0", "Version 1.3"), "not a form release-tag can write"),
    (READY_MD.replace("- The crash", "The crash"), "has no entries"),
    (READY_MD.replace("1.3.0", "1.2.0", 1), "already released as tag"),
]


@pytest.mark.parametrize(("text", "refusal"), MARKDOWN_CHECKS)
def test_check_changes_reads_markdown_with_a_commonmark_parser(
    repo: GitRepo, text: str, refusal: str | None
) -> None:
    repo.commit("docs: notes", files={"CHANGES.md": text})
    repo.tag("1.2.0", message="Release 1.2.0")
    done = run_script(
        "changes", "--file", "CHANGES.md", "check", "--tag-pattern", "*", cwd=repo.path
    )
    if refusal is None:
        assert (done.returncode, done.stdout) == (0, "1.3.0\n"), done.stderr
        return
    assert done.returncode == 1
    assert refusal in done.stderr


def test_the_notes_of_a_markdown_section_are_taken_as_they_are(tmp_path: Path) -> None:
    (tmp_path / "CHANGES.md").write_text(READY_MD)
    done = run_script("changes", "--file", "CHANGES.md", "notes", "--format", "md", cwd=tmp_path)
    assert done.stdout == (
        "### Fixed\n\n- The crash, see [#7](https://example.org/7) and `--flag`.\n"
    ), done.stderr


# ---- merge styles: which commits are entries, and their PR numbers --------------------------


@dataclass(frozen=True)
class Merges:
    id: str
    args: tuple[str, ...]
    entries: tuple[str, ...]  # the entry texts, in order
    history: list[tuple[str, str]] = field(default_factory=list)


def merged_history(repo: GitRepo, title: str) -> None:
    """A topic branch of one fix merged with a merge commit titled `title`."""
    repo.git("switch", "--quiet", "-c", "topic")
    repo.commit("fix: the crash")
    repo.git("switch", "--quiet", "main")
    repo.git("merge", "--quiet", "--no-ff", "-m", title, "topic")


MERGE_STYLES = [
    # GitHub's merge button: "Merge pull request #N from OWNER/BRANCH"
    ("merge-pull-request", "Merge pull request #3781 from octo/topic", (), ("The crash (#3781)",)),
    # click: the merge keeps the pull request's title
    ("titled-merge", "Fix the crash (#3781)", (), ("The crash (#3781)",)),
    (
        "titled-merge-listed",
        "Fix the crash (#3781)",
        ("--include-merges",),
        ("Fix the crash (#3781)",),
    ),
]


@pytest.mark.parametrize(
    ("title", "args", "entries"), [r[1:] for r in MERGE_STYLES], ids=[r[0] for r in MERGE_STYLES]
)
def test_merge_styles_give_pr_numbers(
    repo: GitRepo, title: str, args: tuple[str, ...], entries: tuple[str, ...]
) -> None:
    repo.commit("feat: first")
    repo.tag("v1.0.0", message="Release 1.0.0")
    merged_history(repo, title)
    draft(repo, "CHANGES.rst", *args)
    text = (repo.path / "CHANGES.rst").read_text()
    found = tuple(re.findall(r"(?m)^- \S+ \S+: (.*)$", text))
    assert found == entries, text


def test_a_single_parent_merge_message_is_no_entry(repo: GitRepo) -> None:
    """pytest-xdist's history: a rebased pull request left its merge message on a commit."""
    repo.commit("feat: first")
    repo.tag("v1.0.0", message="Release 1.0.0")
    repo.commit("Merge pull request #1227 from octo/topic")
    repo.commit("fix: the crash (#1227)")
    draft(repo, "CHANGES.rst")
    text = (repo.path / "CHANGES.rst").read_text()
    assert "Merge pull request" not in text
    assert "FIX: The crash (#1227)" in text


# ---- news fragments ------------------------------------------------------------------------

TOWNCRIER = """\
[tool.towncrier]
filename = "CHANGELOG.md"
directory = "changelog.d/"
title_format = "## v{version}"
underlines = ["", "", ""]

  [[tool.towncrier.type]]
  directory = "bugfix"
  name = "Bug fixes"
  showcontent = true
"""


def test_news_fragments_are_the_notes_and_a_hand_edit_is_kept(repo: GitRepo) -> None:
    repo.commit(
        "docs: notes",
        files={
            "towncrier.toml": TOWNCRIER,
            "CHANGELOG.md": "# Changelog\n\n## v1.2.0\n\n*2025-06-30*\n\n- A fix.\n",
        },
    )
    repo.tag("v1.2.0", message="Release 1.2.0")
    repo.commit("fix: the crash (#7)", files={"changelog.d/7.bugfix.md": "Fixed the crash."})
    repo.commit("chore: tidy up")
    args = ("--changes-from", "towncrier", "--unlisted-out", "unlisted.md")
    said = draft(repo, "CHANGELOG.md", *args)
    notes = repo.path / "CHANGELOG.md"
    text = notes.read_text()
    assert "## v1.2.1\n\n*Unreleased*\n" in text
    assert "### Bug fixes\n\n- Fixed the crash. (#7)\n" in text
    assert "Tidy up" not in text and "1 commit(s) since v1.2.0 add no fragment" in said
    assert (repo.path / "unlisted.md").read_text().endswith(" chore: tidy up\n")

    repo.commit("fix: more (#8)", files={"changelog.d/8.bugfix.md": "Fixed more."})
    draft(repo, "CHANGELOG.md", *args)
    text = notes.read_text()
    assert text.count("## v1.2.1") == 1 and "- Fixed more. (#8)" in text  # rendered again

    notes.write_text(text.replace("- Fixed more. (#8)", "- Fixed more, by hand."))
    repo.commit("fix: yet more (#9)", files={"changelog.d/9.bugfix.md": "Fixed yet more."})
    said = draft(repo, "CHANGELOG.md", *args)
    assert "edited by hand: left as it is" in said
    assert "- Fixed more, by hand." in notes.read_text()
    assert "Fixed yet more" not in notes.read_text()
