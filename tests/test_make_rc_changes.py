"""scripts/make_rc_changes.py against real git repositories, run as a process."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import docutils.core
import pytest
from packaging.version import Version

from tests.conftest import SCRIPTS, load_script, run_script
from tests.peers.git_repos import GitRepo, run_git

Result = subprocess.CompletedProcess[str]


def rc(repo: GitRepo, *args: str, env: dict[str, str] | None = None) -> Result:
    return run_script("make_rc_changes", *args, cwd=repo.path, env=env)


def short(repo: GitRepo, sha: str) -> str:
    return repo.git("rev-parse", "--short", sha)


def assert_one_line_error(result: Result, code: int = 2) -> None:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("make_rc_changes.py: error: ")


def parses_cleanly(text: str) -> None:
    """The whole file through docutils, warnings as errors (no shortcut)."""
    docutils.core.publish_doctree(
        text,
        settings_overrides={"report_level": 2, "halt_level": 2, "warning_stream": io.StringIO()},
    )


def released(repo: GitRepo) -> None:
    """A project with one release, v1.0.0, and three commits since."""
    repo.commit("feat: first feature")
    repo.tag("v1.0.0", message="Release 1.0.0")


# ---- first release, normal ranges ---------------------------------------------------------


def test_first_release_drafts_all_history_as_0_1_0(repo: GitRepo) -> None:
    feat = repo.commit("feat: add the parser")
    result = rc(repo)
    assert result.returncode == 0, result.stderr
    text = repo.read("CHANGES.rst")
    root = repo.git("rev-list", "--max-parents=0", "HEAD")
    assert text == (
        "Changelog\n=========\n\n0.1.0 (unreleased)\n------------------\n\n"
        f".. releasekit-draft: {repo.head()}\n\n"
        f"- {short(repo, feat)} ENH: Add the parser\n"
        f"- {short(repo, root)} MAINT: Initial commit\n"
    )
    assert "drafted 0.1.0 with 2 entries since the start of history" in result.stderr
    parses_cleanly(text)


def test_normal_range_sorts_labels_and_proposes_minor(repo: GitRepo) -> None:
    released(repo)
    fix = repo.commit("fix(cli): crash on empty input")
    docs = repo.commit("docs: explain the train")
    feat = repo.commit("feat: add --path (#41)")
    perf = repo.commit("perf: faster log parsing")
    free = repo.commit("update the readme")
    result = rc(repo)
    assert result.returncode == 0, result.stderr
    section = repo.read("CHANGES.rst").split(".. releasekit-draft: ")[1]
    assert repo.read("CHANGES.rst").count("1.1.0 (unreleased)") == 1
    assert section.splitlines()[2:] == [
        f"- {short(repo, feat)} ENH: Add --path (#41)",
        f"- {short(repo, fix)} FIX: Crash on empty input",
        f"- {short(repo, perf)} FIX: Faster log parsing",
        f"- {short(repo, docs)} MAINT: Explain the train",
        f"- {short(repo, free)} MAINT: Update the readme",
    ]
    assert "First feature" not in section
    assert "since v1.0.0" in result.stderr


def test_squash_pr_numbers_and_bookkeeping_commits(repo: GitRepo) -> None:
    released(repo)
    fix = repo.commit("fix: keep edits on re-runs (#40)")
    repo.commit("chore(rc-changes): draft CHANGES.rst for 1.0.1")
    repo.commit("chore(ver): bump 1.0.0 -> 1.0.1")
    repo.commit("chore(auto-release-candidate-2026-11-01) (#44)")
    chore = repo.commit("chore(deps): update pytest")
    assert rc(repo).returncode == 0
    entries = [x for x in repo.read("CHANGES.rst").splitlines() if x.startswith("- ")]
    assert entries == [
        f"- {short(repo, fix)} FIX: Keep edits on re-runs (#40)",
        f"- {short(repo, chore)} MAINT: Update pytest",
    ]
    assert "1.0.1 (unreleased)" in repo.read("CHANGES.rst")


def test_merge_commits_skipped_or_shown_as_pr_titles(repo: GitRepo) -> None:
    released(repo)
    repo.branch("feature")
    repo.checkout("feature")
    work = repo.commit("feat: add a thing")
    repo.checkout("main")
    repo.commit("fix: unrelated fix")
    merge = repo.merge(
        "feature", "Merge pull request #7 from someone/feature\n\nAdd a thing, properly"
    )
    assert rc(repo, "--dry-run").returncode == 0
    default = rc(repo, "--dry-run").stdout
    assert f"{short(repo, work)} ENH: Add a thing" in default
    assert f"- {short(repo, merge)} " not in default
    with_merges = rc(repo, "--dry-run", "--include-merges").stdout
    assert f"+- {short(repo, merge)} MAINT: Add a thing, properly (#7)" in with_merges


def test_breaking_changes_first_with_bang_and_major_bump(repo: GitRepo) -> None:
    repo.commit("feat: something")
    repo.tag("v1.4.2")
    feat = repo.commit("feat: new thing")
    bang = repo.commit("refactor(api)!: drop the old API")
    footer = repo.commit("fix: tighten parsing", body="BREAKING CHANGE: rejects tabs now")
    assert rc(repo).returncode == 0
    entries = [x for x in repo.read("CHANGES.rst").splitlines() if x.startswith("- ")]
    assert entries == [
        f"- {short(repo, footer)} FIX!: Tighten parsing",
        f"- {short(repo, bang)} MAINT!: Drop the old API",
        f"- {short(repo, feat)} ENH: New thing",
    ]
    assert "2.0.0 (unreleased)" in repo.read("CHANGES.rst")


def test_version_proposal_rules() -> None:
    module = load_script("make_rc_changes")
    version, entry = Version, module.Entry
    feature = [entry("a", "ENH", "x", feature=True)]
    fix = [entry("a", "FIX", "x")]
    breaking = [entry("a", "FIX", "x", breaking=True)]
    propose = module.propose_version
    assert str(propose(version("1.2.3"), fix)) == "1.2.4"
    assert str(propose(version("1.2.3"), feature)) == "1.3.0"
    assert str(propose(version("1.2.3"), breaking)) == "2.0.0"
    assert str(propose(version("0.4.1"), breaking)) == "0.5.0"
    assert str(propose(version("2.0.0rc1"), breaking)) == "2.0.0"
    assert str(propose(None, fix)) == "0.1.0"


def test_version_option_overrides_the_proposal(repo: GitRepo) -> None:
    released(repo)
    repo.commit("fix: small")
    result = rc(repo, "--version", "2.0.0rc1")
    assert result.returncode == 0, result.stderr
    assert "2.0.0rc1 (unreleased)\n---------------------\n" in repo.read("CHANGES.rst")


# ---- tags ---------------------------------------------------------------------------------


def test_non_pep440_tags_passed_over_with_one_warning(repo: GitRepo) -> None:
    released(repo)
    repo.commit("fix: a")
    repo.tag("vnext")
    repo.tag("v-latest")
    fix = repo.commit("fix: b")
    result = rc(repo)
    assert result.returncode == 0
    warnings = [x for x in result.stderr.splitlines() if "warning" in x]
    assert warnings == [
        "make_rc_changes.py: warning: passed over tags that are not PEP 440 versions: "
        "v-latest, vnext"
    ]
    assert f"{short(repo, fix)} FIX: B" in repo.read("CHANGES.rst")
    assert "1.0.1 (unreleased)" in repo.read("CHANGES.rst")


def test_tag_on_unmerged_branch_is_ignored(repo: GitRepo) -> None:
    released(repo)
    repo.branch("maint")
    repo.checkout("maint")
    repo.commit("fix: backport")
    repo.tag("v1.9.0")
    repo.checkout("main")
    fix = repo.commit("fix: on main")
    assert rc(repo).returncode == 0
    text = repo.read("CHANGES.rst")
    assert "1.0.1 (unreleased)" in text
    assert f"{short(repo, fix)} FIX: On main" in text
    assert "Backport" not in text


def test_highest_version_wins_over_newest_date(repo: GitRepo) -> None:
    repo.commit("feat: big")
    repo.tag("v2.0.0")
    between = repo.commit("fix: after two")
    repo.tag("v1.9.9", message="a later-dated tag with a lower version")
    after = repo.commit("fix: after both")
    result = rc(repo)
    assert result.returncode == 0
    text = repo.read("CHANGES.rst")
    assert "2.0.1 (unreleased)" in text
    assert short(repo, between) in text and short(repo, after) in text
    assert "since v2.0.0" in result.stderr


def test_monorepo_tag_pattern_and_path(repo: GitRepo) -> None:
    repo.commit("feat: a first", files={"pkg-a/a.py": "1"})
    repo.tag("pkg-a-v0.3.0")
    repo.tag("v9.0.0")
    in_a = repo.commit("fix: a bug", files={"pkg-a/a.py": "2"})
    repo.commit("feat: b thing", files={"pkg-b/b.py": "1"})
    result = rc(
        repo, "--tag-pattern", "pkg-a-v*", "--path", "pkg-a", "--changes", "pkg-a/CHANGES.rst"
    )
    assert result.returncode == 0, result.stderr
    text = repo.read("pkg-a/CHANGES.rst")
    assert "0.3.1 (unreleased)" in text
    assert [x for x in text.splitlines() if x.startswith("- ")] == [
        f"- {short(repo, in_a)} FIX: A bug"
    ]


# ---- configuration ------------------------------------------------------------------------


def test_gitchangelog_rc_is_honoured(repo: GitRepo) -> None:
    repo.write(
        ".gitchangelog.rc",
        "section_regexps = [\n"
        "    ('New', [r'^[nN]ew\\s*:']),\n"
        "    ('Fix', [r'^[fF]ix\\s*:']),\n"
        "    ('Other', None),\n"
        "]\n"
        "ignore_regexps = [r'@wip']\n"
        "subject_process = (strip | ReSub(r'^(new|fix)\\s*:\\s*', r'') | ucfirst | final_dot)\n",
    )
    released(repo)
    new = repo.commit("new: usr: colour output")
    fix = repo.commit("fix: the crash")
    repo.commit("new: half done @wip")
    other = repo.commit("tidy up")
    result = rc(repo)
    assert result.returncode == 0, result.stderr
    entries = [x for x in repo.read("CHANGES.rst").splitlines() if x.startswith("- ")]
    assert entries == [
        f"- {short(repo, new)} New: Usr: colour output.",
        f"- {short(repo, fix)} Fix: The crash.",
        f"- {short(repo, other)} Other: Tidy up.",
    ]


def test_pyproject_rules_table(repo: GitRepo) -> None:
    repo.write(
        "pyproject.toml",
        "[tool.releasekit.changes]\n"
        'labels = { ENH = "^(feat|add)$", FIX = "^fix$" }\n'
        'ignore = ["^test:"]\n',
    )
    released(repo)
    add = repo.commit("add: new command")
    repo.commit("test: more tests")
    perf = repo.commit("perf: quicker")
    assert rc(repo).returncode == 0
    entries = [x for x in repo.read("CHANGES.rst").splitlines() if x.startswith("- ")]
    assert entries == [
        f"- {short(repo, add)} ENH: New command",
        f"- {short(repo, perf)} MAINT: Quicker",
    ]


# ---- writing into an existing file --------------------------------------------------------

HISTORY = (
    "Changelog\n=========\n\nIntro text, kept as it is.\n\n"
    "3.0.0 (TBD)\n-----------\n\n- Planning: drop Python 3.10.\n\n"
    "1.0.0 (2026-10-01)\n------------------\n\n- abc1234 ENH: First feature\n"
)


def test_draft_goes_below_planning_section_rest_unchanged(repo: GitRepo) -> None:
    repo.write("CHANGES.rst", HISTORY)
    released(repo)
    fix = repo.commit("fix: x")
    assert rc(repo).returncode == 0
    head, tail = HISTORY.split("1.0.0 (2026-10-01)")
    assert repo.read("CHANGES.rst") == (
        head + "1.0.1 (unreleased)\n------------------\n\n"
        f".. releasekit-draft: {repo.head()}\n\n- {short(repo, fix)} FIX: X\n\n"
        "1.0.0 (2026-10-01)" + tail
    )
    parses_cleanly(repo.read("CHANGES.rst"))


def test_rerun_without_new_commits_is_byte_for_byte(repo: GitRepo, tmp_path: Path) -> None:
    repo.write("CHANGES.rst", HISTORY)
    released(repo)
    repo.commit("fix: x")
    assert rc(repo).returncode == 0
    before = (repo.path / "CHANGES.rst").read_bytes()
    output = tmp_path / "out.txt"
    result = rc(repo, env={"GITHUB_OUTPUT": str(output)})
    assert result.returncode == 0
    assert (repo.path / "CHANGES.rst").read_bytes() == before
    assert "nothing new since the draft's commit" in result.stderr
    assert output.read_text() == "version=1.0.1\nchanged=false\nadded=0\n"


def test_rerun_keeps_maintainer_edits_and_adds_only_new_commits(repo: GitRepo) -> None:
    released(repo)
    feat = repo.commit("feat: one")
    fix = repo.commit("fix: two")
    chore = repo.commit("chore: three")
    assert rc(repo).returncode == 0
    marker = repo.head()
    text = repo.read("CHANGES.rst")
    edited = (
        text.replace(
            "1.1.0 (unreleased)\n------------------", "2.0.0 (unreleased)\n------------------"
        )
        .replace("FIX: Two", "FIX: Two, reworded by a person\n  with a second line")
        .replace(f"- {short(repo, chore)} MAINT: Three\n", "")
        .replace(".. releasekit-draft", "Highlights written by hand.\n\n.. releasekit-draft")
    )
    repo.write("CHANGES.rst", edited)
    repo.commit("chore(rc-changes): draft", files={"CHANGES.rst": edited})
    fix2 = repo.commit("fix: four")
    maint = repo.commit("ci: five")
    feat2 = repo.commit("feat: six")
    result = rc(repo)
    assert result.returncode == 0, result.stderr
    assert "added 3 entries to the 2.0.0 draft" in result.stderr
    expected = (
        edited.replace(marker, repo.head())
        .replace(
            f"- {short(repo, feat)} ENH: One\n",
            f"- {short(repo, feat)} ENH: One\n- {short(repo, feat2)} ENH: Six\n",
        )
        .replace(
            "  with a second line\n",
            "  with a second line\n"
            f"- {short(repo, fix2)} FIX: Four\n- {short(repo, maint)} MAINT: Five\n",
        )
    )
    assert repo.read("CHANGES.rst") == expected
    assert short(repo, fix) in expected and "Three" not in expected
    parses_cleanly(expected)


def test_commits_that_only_edit_the_notes_are_not_news(repo: GitRepo) -> None:
    released(repo)
    repo.commit("feat: add a widget")
    assert rc(repo).returncode == 0
    reworded = repo.read("CHANGES.rst").replace("Add a widget", "Add the widget")
    repo.commit("docs: word the notes", files={"CHANGES.rst": reworded})
    both = repo.commit("fix: the widget and its note", files={"CHANGES.rst": reworded, "w.py": ""})
    repo.commit("docs: more wording", files={"CHANGES.rst": reworded + "\n"})

    result = rc(repo)

    assert result.returncode == 0, result.stderr
    text = repo.read("CHANGES.rst")
    assert "Word the notes" not in text and "More wording" not in text
    assert f"- {short(repo, both)} FIX: The widget and its note" in text
    assert "Add the widget" in text


def test_released_top_section_gets_a_new_draft_above(repo: GitRepo) -> None:
    released(repo)
    repo.commit("fix: x")
    assert rc(repo).returncode == 0
    dated = repo.read("CHANGES.rst").replace("(unreleased)", "(2026-11-02)")
    repo.commit("chore(ver): bump 1.0.0 -> 1.0.1", files={"CHANGES.rst": dated})
    repo.tag("v1.0.1")
    new = repo.commit("feat: y")
    assert rc(repo).returncode == 0
    text = repo.read("CHANGES.rst")
    assert text.index("1.1.0 (unreleased)") < text.index("1.0.1 (2026-11-02)")
    assert text.count("releasekit-draft") == 2  # the old one stays, as the format allows
    assert f"{short(repo, new)} ENH: Y" in text.split("1.0.1 (2026-11-02)")[0]


def test_rewritten_history_refuses(repo: GitRepo) -> None:
    released(repo)
    repo.commit("fix: x")
    assert rc(repo).returncode == 0
    text = repo.read("CHANGES.rst")
    repo.git("reset", "--hard", "--quiet", "HEAD~1")
    repo.write("CHANGES.rst", text)
    repo.commit("fix: y")
    before = repo.read("CHANGES.rst")
    result = rc(repo)
    assert_one_line_error(result)
    assert "not in the history of HEAD" in result.stderr
    assert repo.read("CHANGES.rst") == before


def test_crlf_file_stays_crlf(repo: GitRepo) -> None:
    crlf = HISTORY.replace("\n", "\r\n").encode()
    (repo.path / "CHANGES.rst").write_bytes(crlf)
    released(repo)
    repo.commit("fix: x")
    assert rc(repo).returncode == 0
    first = (repo.path / "CHANGES.rst").read_bytes()
    assert b"\n" not in first.replace(b"\r\n", b"")
    assert first.endswith(crlf.split(b"1.0.0 (2026-10-01)")[1])
    repo.commit("feat: y")
    assert rc(repo).returncode == 0
    second = (repo.path / "CHANGES.rst").read_bytes()
    assert b"ENH: Y\r\n" in second
    assert b"\n" not in second.replace(b"\r\n", b"")


def test_markup_in_subjects_stays_valid_rest(repo: GitRepo) -> None:
    released(repo)
    nasty = [
        "fix: handle *.whl and **kwargs",
        "fix: the `--path` option and :func:`x`",
        "fix: a |substitution| and a ref_ and [1]_",
        "docs: end with a colon::",
        "feat: back\\slash and __dunder__ names_",
    ]
    for subject in nasty:
        repo.commit(subject)
    result = rc(repo)
    assert result.returncode == 0, result.stderr
    parses_cleanly(repo.read("CHANGES.rst"))
    assert "Handle \\*.whl and \\*\\*kwargs" in repo.read("CHANGES.rst")


def test_dry_run_prints_diff_and_touches_nothing(repo: GitRepo) -> None:
    repo.write("CHANGES.rst", HISTORY)
    released(repo)
    fix = repo.commit("fix: x")
    status = repo.status()
    result = rc(repo, "--dry-run")
    assert result.returncode == 0
    assert result.stdout.startswith("--- a/CHANGES.rst\n+++ b/CHANGES.rst\n")
    assert f"+- {short(repo, fix)} FIX: X\n" in result.stdout
    assert repo.read("CHANGES.rst") == HISTORY
    assert repo.status() == status
    assert "dry run: drafted 1.0.1" in result.stderr


def test_github_output_and_step_summary(repo: GitRepo, tmp_path: Path) -> None:
    released(repo)
    repo.commit("feat: x")
    repo.commit("fix: y")
    output, summary = tmp_path / "output", tmp_path / "summary.md"
    env = {"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)}
    assert rc(repo, env=env).returncode == 0
    assert output.read_text() == "version=1.1.0\nchanged=true\nadded=2\n"
    assert "drafted 1.1.0 with 2 entries since v1.0.0" in summary.read_text()
    assert "```diff" in summary.read_text()


def test_nothing_new_since_last_release(repo: GitRepo) -> None:
    released(repo)
    repo.commit("chore(ver): bump 1.0.0 -> 1.0.1")
    result = rc(repo)
    assert result.returncode == 0
    assert "nothing new since v1.0.0" in result.stderr
    assert not (repo.path / "CHANGES.rst").exists()


# ---- --all --------------------------------------------------------------------------------


def test_all_backfills_missing_releases_and_drafts(repo: GitRepo) -> None:
    first = repo.commit("feat: one")
    repo.tag("v0.1.0", message="0.1.0")
    repo.commit("fix: two")
    repo.tag("v0.2.0")
    third = repo.commit("feat: three")
    repo.tag("v1.0.0")
    late = repo.commit("fix: late")
    kept = "0.2.0 (2026-01-01)\n------------------\n\n- Hand-written notes.\n"
    repo.write("CHANGES.rst", f"Changelog\n=========\n\n{kept}")
    result = rc(repo, "--all")
    assert result.returncode == 0, result.stderr
    text = repo.read("CHANGES.rst")
    day = repo.git("log", "-1", "--format=%cs", "v1.0.0")
    tagged_on = repo.git("for-each-ref", "--format=%(creatordate:short)", "refs/tags/v0.1.0")
    root = repo.git("rev-list", "--max-parents=0", "HEAD")
    assert text == (
        "Changelog\n=========\n\n"
        f"1.0.1 (unreleased)\n------------------\n\n.. releasekit-draft: {repo.head()}\n\n"
        f"- {short(repo, late)} FIX: Late\n\n"
        f"1.0.0 ({day})\n------------------\n\n- {short(repo, third)} ENH: Three\n\n"
        f"{kept}\n"
        f"0.1.0 ({tagged_on})\n------------------\n\n- {short(repo, first)} ENH: One\n"
        f"- {short(repo, root)} MAINT: Initial commit\n"
    )
    assert "backfilled 2 release sections" in result.stderr
    parses_cleanly(text)
    again = rc(repo, "--all")
    assert again.returncode == 0 and repo.read("CHANGES.rst") == text


# ---- bad input ----------------------------------------------------------------------------


def test_not_a_git_repository(tmp_path: Path) -> None:
    (tmp_path / "CHANGES.rst").write_text(HISTORY)
    result = run_script("make_rc_changes", cwd=tmp_path)
    assert_one_line_error(result)
    assert "not a git repository" in result.stderr
    assert (tmp_path / "CHANGES.rst").read_text() == HISTORY


def test_shallow_clone_says_fetch_full_history(repo: GitRepo, tmp_path: Path) -> None:
    released(repo)
    repo.commit("fix: x")
    repo.push("main")
    dest = tmp_path / "shallow"
    run_git(tmp_path, "clone", "--quiet", "--depth", "1", f"file://{repo.origin}", str(dest))
    result = run_script("make_rc_changes", cwd=dest)
    assert_one_line_error(result)
    assert "git fetch --unshallow" in result.stderr and "fetch-depth: 0" in result.stderr
    assert not (dest / "CHANGES.rst").exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"Changelog\n=========\n\n1.x (2026-01-01)\n----------------\n", "not a PEP 440 version"),
        (b"Changelog\n=========\n\n\xff\xfe broken\n", "not UTF-8"),
        (
            b"Changelog\n=========\n\n1.0 (unreleased)\n----------------\n\n- x\n",
            "no `.. releasekit",
        ),
        (b"Changelog\n=========\n\n.. unknown-directive:: x\n", "not valid reST"),
    ],
)
def test_unparsable_changes_file(repo: GitRepo, content: bytes, reason: str) -> None:
    (repo.path / "CHANGES.rst").write_bytes(content)
    released(repo)
    repo.commit("fix: x")
    result = rc(repo)
    assert_one_line_error(result)
    assert reason in result.stderr
    assert (repo.path / "CHANGES.rst").read_bytes() == content


@pytest.mark.parametrize(
    ("version", "reason"), [("banana", "not a PEP 440 version"), ("0.9", "not above the last")]
)
def test_bad_version_option(repo: GitRepo, version: str, reason: str) -> None:
    repo.write("CHANGES.rst", HISTORY)
    released(repo)
    repo.commit("fix: x")
    result = rc(repo, "--version", version)
    assert_one_line_error(result)
    assert reason in result.stderr
    assert repo.read("CHANGES.rst") == HISTORY


def test_unknown_option_is_one_line(repo: GitRepo) -> None:
    assert_one_line_error(rc(repo, "--no-such-option"))


def test_bad_gitchangelog_config_is_one_line(repo: GitRepo) -> None:
    repo.write(".gitchangelog.rc", "section_regexps = (\n")
    repo.commit("fix: x")
    result = rc(repo)
    assert_one_line_error(result)
    assert "gitchangelog config" in result.stderr


# ---- standalone ---------------------------------------------------------------------------


def test_script_copied_alone_into_another_repo(
    git_factory: Callable[..., GitRepo], tmp_path_factory: pytest.TempPathFactory
) -> None:
    other = git_factory("elsewhere", with_origin=False)
    other.commit("feat: their feature")
    other.tag("v3.1.0")
    fix = other.commit("fix: their fix")
    copied = tmp_path_factory.mktemp("tools") / "make_rc_changes.py"
    shutil.copy(SCRIPTS / "make_rc_changes.py", copied)
    result = subprocess.run(
        [sys.executable, str(copied), "--changes", "docs/CHANGES.rst"],
        cwd=other.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert f"- {short(other, fix)} FIX: Their fix" in other.read("docs/CHANGES.rst")
    assert "3.1.1 (unreleased)" in other.read("docs/CHANGES.rst")
    help_text = subprocess.run(
        [sys.executable, str(copied), "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "--tag-pattern" in help_text


def test_no_tags_falls_back_to_the_newest_dated_section(repo: GitRepo) -> None:
    repo.commit("feat: old work")
    notes = "Changelog\n=========\n\n1.4.0 (2026-09-01)\n------------------\n\n- Old notes.\n"
    repo.commit("chore(ver): bump 1.3.0 -> 1.4.0", files={"CHANGES.rst": notes})
    fix = repo.commit("fix: new work")
    result = rc(repo)
    assert result.returncode == 0, result.stderr
    text = repo.read("CHANGES.rst")
    assert text.startswith("Changelog\n=========\n\n1.4.1 (unreleased)\n")
    assert [x for x in text.splitlines() if x.startswith("- ")] == [
        f"- {short(repo, fix)} FIX: New work",
        "- Old notes.",
    ]


def test_config_file_and_all_with_path(repo: GitRepo, tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('labels = { ENH = "^feat$" }\ndefault-label = "MAINT"\nignore = ["skip"]\n')
    repo.commit("feat: a one", files={"a/x": "1"})
    repo.commit("feat: b one", files={"b/x": "1"})
    repo.tag("v1.0.0")
    fix = repo.commit("fix: a two", files={"a/x": "2"})
    repo.commit("fix: a skip", files={"a/x": "3"})
    result = rc(repo, "--all", "--path", "a", "--config", str(rules), "--dry-run")
    assert result.returncode == 0, result.stderr
    added = [x for x in result.stdout.splitlines() if x.startswith("+- ")]
    assert [x.split(" ", 2)[2] for x in added] == ["MAINT: A two", "ENH: A one"]
    assert added[0].startswith(f"+- {short(repo, fix)} ")
    assert not (repo.path / "CHANGES.rst").exists()


@pytest.mark.parametrize("broken", ["- See the_docs_ page.", "- An *unclosed emphasis."])
def test_draft_broken_by_hand_is_refused_untouched(repo: GitRepo, broken: str) -> None:
    released(repo)
    repo.commit("fix: x")
    assert rc(repo).returncode == 0
    text = repo.read("CHANGES.rst").rstrip("\n") + f"\n{broken}\n"
    repo.write("CHANGES.rst", text)
    repo.commit("fix: y")
    result = rc(repo)
    assert_one_line_error(result)
    assert "CHANGES.rst is not valid reST: line 10:" in result.stderr
    assert repo.read("CHANGES.rst") == text
