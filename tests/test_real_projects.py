"""The preparation half on repositories shaped like real projects: their changelog styles,
merge-commit histories, squash-merged release PRs, odd tags. One row per case."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import run_script
from tests.peers.git_repos import GitRepo

Result = subprocess.CompletedProcess[str]
YESTERDAY = (datetime.now(timezone.utc) - timedelta(days=1)).date().isoformat()


def rc(repo: GitRepo, *args: str) -> Result:
    return run_script("make_rc_changes", *args, cwd=repo.path)


def changes_py(repo: GitRepo, *args: str) -> Result:
    return run_script("changes", *args, cwd=repo.path)


def heading(title: str, char: str, over: bool = False) -> list[str]:
    rule = char * len(title)
    return [rule, title, rule] if over else [title, rule]


def short(repo: GitRepo, sha: str) -> str:
    return repo.git("rev-parse", "--short", sha)


# ---- 1. an old typo never blocks the draft; both scripts agree on the sections -------------


@pytest.mark.parametrize("old_date", ["2015-03-8", "March 8, 2015", "2015-02-30", "someday"])
def test_an_old_section_the_draft_never_touches_does_not_block_it(
    repo: GitRepo, old_date: str
) -> None:
    old = [*heading(f"0.9.0 ({old_date})", "-"), "", "- Something from 2015.", ""]
    newest = [*heading("2.0.0 (2025-01-10)", "-"), "", "- The last release.", ""]
    text = "\n".join(["Changelog", "=========", "", *newest, *old])
    repo.commit("docs: notes", files={"CHANGES.rst": text})
    repo.tag("v2.0.0", message="2.0.0")
    fix = repo.commit("fix: mend it")

    result = rc(repo)

    assert result.returncode == 0, result.stderr
    assert len([x for x in result.stderr.splitlines() if "warning" in x]) <= 1
    lines = repo.read("CHANGES.rst").splitlines()
    assert lines[3:6] == ["2.0.1 (unreleased)", "------------------", ""]
    assert f"- {short(repo, fix)} FIX: Mend it" in lines
    assert "\n".join(lines).endswith("\n".join(old).rstrip("\n"))
    # changes.py reads the same sections: the draft's version, then, dated, a ready release.
    assert changes_py(repo, "version").stdout == "2.0.1\n"
    dated = repo.read("CHANGES.rst").replace("2.0.1 (unreleased)", f"2.0.1 ({YESTERDAY})")
    repo.write("CHANGES.rst", dated.replace("-" * 18, "-" * len(f"2.0.1 ({YESTERDAY})"), 1))
    check = changes_py(repo, "check")
    assert (check.returncode, check.stdout) == (0, "2.0.1\n"), check.stderr


# ---- 2. foreign heading styles: the draft above the newest release, in the project's style --


@dataclass(frozen=True)
class Style:
    name: str
    title: Callable[[str, str], str]  # (version, date) -> heading text
    char: str
    over: bool = False
    draft: str = ""  # the draft's expected heading text
    planning: str = ""  # a planning section's heading above the releases, if any


STYLES = [
    Style(
        "pytest-xdist",
        lambda v, d: f"pytest-xdist {v} ({d})",
        "=",
        draft="pytest-xdist 3.9.0 (unreleased)",
    ),
    Style("v-prefix", lambda v, d: f"v{v} ({d})", "-", draft="v3.9.0 (unreleased)"),
    Style("dash-date", lambda v, d: f"{v} - {d}", "~", draft="3.9.0 - unreleased"),
    Style("version-word", lambda v, d: f"Version {v}", "^", draft="Version 3.9.0 (unreleased)"),
    Style("bare-version", lambda v, d: v, "-", draft="3.9.0 (unreleased)"),
    Style(
        "month-day-year",
        lambda v, d: f"{v} ({datetime.fromisoformat(d).strftime('%B %-d, %Y')})",
        "-",
        draft="3.9.0 (unreleased)",
    ),
    Style("overline", lambda v, d: f"{v} ({d})", "=", over=True, draft="3.9.0 (unreleased)"),
    Style(
        "planning-above",
        lambda v, d: f"{v} ({d})",
        "-",
        draft="3.9.0 (unreleased)",
        planning="4.0.0 (tbd)",
    ),
]
RELEASES = [("3.8.0", "2025-06-30"), ("3.7.0", "2025-05-26"), ("3.6.1", "2024-04-28")]


def styled_file(style: Style) -> tuple[str, int]:
    """The changelog, and the line index where the newest release's heading starts."""
    lines = ["#########", "Changelog", "#########", "", "Intro text for the project.", ""]
    if style.planning:
        lines += [*heading(style.planning, style.char, style.over), "", "- Plans.", ""]
    newest = len(lines)
    for version, date in RELEASES:
        lines += [*heading(style.title(version, date), style.char, style.over), ""]
        sub = "-" if style.char != "-" else "~"
        lines += [*heading("Features", sub), "", f"- A feature of {version}.", ""]
    return "\n".join(lines), newest


@pytest.mark.parametrize("style", STYLES, ids=[s.name for s in STYLES])
def test_foreign_headings_get_the_draft_on_top_in_their_style(repo: GitRepo, style: Style) -> None:
    text, newest = styled_file(style)
    for version, _ in reversed(RELEASES):
        repo.commit(f"feat: work for {version}", files={"CHANGES.rst": text})
        repo.tag(f"v{version}", message=version)
    feat = repo.commit("feat: the next thing")

    backfill = rc(repo, "--all", "--dry-run")  # every tag has its section: nothing to backfill
    assert backfill.returncode == 0, backfill.stderr
    assert "backfilled" not in backfill.stderr
    result = rc(repo)

    assert result.returncode == 0, result.stderr
    after = repo.read("CHANGES.rst").splitlines()
    head = heading(style.draft, style.char, style.over)
    assert after[newest : newest + len(head)] == head
    assert f"- {short(repo, feat)} ENH: The next thing" in after
    assert after[:newest] == text.splitlines()[:newest]
    assert "\n".join(after).endswith(text.rstrip("\n").split("\n", newest)[-1])
    assert changes_py(repo, "version").stdout == "3.9.0\n"
    # --all on top of the draft writes nothing new either.
    again = rc(repo, "--all", "--dry-run")
    assert again.returncode == 0 and again.stdout == "", again.stdout


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (
            "Changelog\n=========\n\nRelease two (soon)\n------------------\n\n- x\n",
            "CHANGES.rst:4:",
        ),
        (
            "Changelog\n=========\n\n1.1.0 (2025-02-01)\n\n- y\n\n1.0.0 (2025-01-01)\n"
            "------------------\n\n- x\n",
            "CHANGES.rst:4:",
        ),
        (
            "Changelog\n=========\n\nUnreleased\n----------\n\n- y\n\n1.0.0 (2025-01-01)\n"
            "------------------\n\n- x\n",
            "CHANGES.rst:4:",
        ),
    ],
    ids=["no-heading-understood", "heading-without-underline", "unknown-heading-above"],
)
def test_what_cannot_be_understood_is_refused_never_drafted_at_the_bottom(
    repo: GitRepo, text: str, where: str
) -> None:
    repo.commit("docs: notes", files={"CHANGES.rst": text})
    repo.tag("v1.0.0", message="1.0.0")
    repo.commit("fix: a fix")
    result = rc(repo)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 and where in result.stderr, result.stderr
    assert repo.read("CHANGES.rst") == text


# ---- 3. merge-commit projects: PR numbers, each change once ---------------------------------


def test_merge_commits_give_pr_numbers_and_list_each_change_once(repo: GitRepo) -> None:
    repo.tag("v1.0.0", message="1.0.0")
    shas: dict[str, str] = {}
    for number, subjects in ((12, ["feat: add the parser", "fix: parser edge"]), (13, ["docs: a"])):
        repo.branch(f"pr{number}")
        repo.checkout(f"pr{number}")
        for subject in subjects:
            shas[subject] = repo.commit(subject)
        repo.checkout("main")
        repo.merge(
            f"pr{number}", f"Merge pull request #{number} from ada/pr{number}\n\nPR {number}"
        )
    direct = repo.commit("fix: straight on main")

    plain = rc(repo, "--dry-run").stdout
    assert f"+- {short(repo, shas['feat: add the parser'])} ENH: Add the parser (#12)" in plain
    assert f"+- {short(repo, shas['fix: parser edge'])} FIX: Parser edge (#12)" in plain
    assert f"+- {short(repo, shas['docs: a'])} MAINT: A (#13)" in plain
    assert f"+- {short(repo, direct)} FIX: Straight on main\n" in plain
    merges = rc(repo, "--dry-run", "--include-merges").stdout
    entries = [line for line in merges.splitlines() if line.startswith("+- ")]
    assert [e.split(" ", 2)[2] for e in entries] == [
        "FIX: Straight on main",
        "MAINT: PR 12 (#12)",
        "MAINT: PR 13 (#13)",
    ]


# ---- 4. a squash-merged (or rebased) release PR ---------------------------------------------


@pytest.mark.parametrize("landing", ["squash", "rebase", "squash-branch-deleted"])
def test_after_the_rc_pr_lands_the_next_draft_works_and_keeps_deletions(
    repo: GitRepo, landing: str
) -> None:
    repo.tag("v1.0.0", message="1.0.0")
    repo.commit("feat: kept entry")
    unwanted = repo.commit("chore: an entry the maintainer deletes")
    repo.branch("rc")
    repo.checkout("rc")
    assert rc(repo).returncode == 0
    repo.git("add", "CHANGES.rst")
    repo.git("commit", "--quiet", "-m", "chore(rc-changes): update CHANGES.rst")
    repo.checkout("main")
    first = repo.commit("fix: landed on main before the second run")
    repo.checkout("rc")
    repo.merge("main")  # what make rc does; the draft's marker is now this merge commit
    assert rc(repo).returncode == 0
    repo.git("commit", "--quiet", "-am", "chore(rc-changes): update CHANGES.rst")
    edited = repo.read("CHANGES.rst").replace(f"- {short(repo, unwanted)} MAINT: An entry", "")
    repo.commit("docs: edit the draft", files={"CHANGES.rst": edited})
    repo.checkout("main")
    meanwhile = repo.commit("fix: landed on main while the PR was open")
    if landing == "rebase":
        repo.git("rebase", "--quiet", "main", "rc")
        repo.checkout("main")
        repo.git("merge", "--quiet", "--ff-only", "rc")
    else:
        repo.git("merge", "--quiet", "--squash", "rc")
        repo.git("commit", "--quiet", "-m", "chore(auto-release-candidate-2026-11-01) (#5)")
    if landing == "squash-branch-deleted":
        repo.git("branch", "-D", "--quiet", "rc")
        repo.git("reflog", "expire", "--expire=now", "--all")
        repo.git("gc", "--quiet", "--prune=now")
    later = repo.commit("feat: after the merge")

    result = rc(repo)

    assert result.returncode == 0, result.stderr
    text = repo.read("CHANGES.rst")
    assert f"{short(repo, later)} ENH: After the merge" in text
    assert "An entry the maintainer deletes" not in text
    assert text.count("Kept entry") == 1
    assert text.count(f"{short(repo, first)} FIX: Landed on main before") == 1
    if landing != "squash-branch-deleted":
        assert text.count(f"{short(repo, meanwhile)} FIX: Landed on main") == 1
    else:  # the draft's commit is gone: said in one warning line
        assert "is gone" in result.stderr


# ---- 5. one version grammar: after odd tags the proposal is one release-tag can write --------


@pytest.mark.parametrize(
    ("tag", "subject", "proposal"),
    [
        ("v1.0-beta", "fix: x", "1.0.0"),
        ("v1.0-beta", "feat: x", "1.0.0"),
        ("v2.1", "feat: x", "2.2.0"),
        ("v2.1", "fix: x", "2.1.1"),
        ("v3.0.0rc1", "fix: x", "3.0.0"),
        ("v1.2.3.post1", "fix: x", "1.2.4"),
        ("v0.9.dev3", "fix: x", "0.9.0"),
    ],
)
def test_proposals_are_always_releasable(
    repo: GitRepo, tag: str, subject: str, proposal: str
) -> None:
    repo.tag(tag, message=tag)
    repo.commit(subject)
    result = rc(repo)
    assert result.returncode == 0, result.stderr
    assert f"drafted {proposal} " in result.stderr


# ---- 6. tags without the pattern's prefix: a hint -------------------------------------------


@pytest.mark.parametrize(
    ("tags", "pattern", "hint"),
    [
        (["8.1.6", "8.1.7"], "v*", "TAG_PATTERN='*' would match 2"),
        (["release-1.0.0", "release-1.1.0", "v0.1"], "pkg-v*", "TAG_PATTERN='release-*'"),
    ],
)
def test_tags_that_look_like_versions_but_do_not_match_get_a_hint(
    repo: GitRepo, tags: list[str], pattern: str, hint: str
) -> None:
    for tag in tags:
        repo.tag(tag, message=tag)
        repo.commit(f"fix: after {tag}")
    result = rc(repo, "--tag-pattern", pattern, "--dry-run")
    assert result.returncode == 0, result.stderr
    [summary] = [line for line in result.stderr.splitlines() if "drafted" in line]
    assert "since the start of history" in summary and hint in summary
    assert f"do not match --tag-pattern '{pattern}'" in summary
