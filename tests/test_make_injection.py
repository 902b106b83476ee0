"""Make variables are data: hostile values run nothing and reach the steps unchanged.

Each shape below would run a command if a recipe spliced the value into shell text or Make
expanded it: `$(...)`, backticks, `;`, closing double or single quotes, a newline, Make's own
`$(shell ...)`, each touching a sentinel file named after the variable and the shape.

Three tables, one per runner:

- SPLICES (target x shape, and help x shape from the environment): every variable the
  target reads gets the shape at once, and SHELL is a recorder that logs what Make hands
  the shell and runs nothing. No command text may contain a value (values travel in the
  environment), and each recipe's environment carries each value byte for byte.
- RUNS (target x shape): the target really runs (rc and release-tag with DRY_RUN=1) on a
  project with the kit copied in. No sentinel may exist afterwards, and a value must arrive as
  data: printed verbatim by `make help`, seen in the environment of a Python step (PYTHON is a
  recorder that logs its environment, then runs the real interpreter), or quoted in a refusal.
- ALONE (rc and release-tag x each variable): the variable alone is hostile, so the steps
  read it rather than stop at the first bad one; the shapes are dealt out across the rows.

The guard tests at the end read every makefile of the kit, so a target added later keeps the rule.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.peers.kit_project import Project, kit_project, kit_project_template

__all__ = ["kit_project", "kit_project_template"]  # fixtures used by this module

SHAPES = {
    "cmdsub": "$(touch {s})",
    "backtick": "`touch {s}`",
    "semicolon": "x; touch {s};",
    "double-quote": '"; touch {s}; echo "',
    "single-quote": "'; touch {s}; echo '",
    "newline": "x\ntouch {s}\n",
    "make-shell": "$(shell touch {s})",
    "make-escaped": "$$(touch {s})",
    "brace": "${{IFS}}$({{ touch {s}; }})",
}

# What each target reads. DRY_RUN stays 1 where the stage pushes: a DRY_RUN that is no
# yes/no is a refusal for the steps themselves (scripts/), not a question of Make.
TARGETS = {
    "help": (
        "DRY_RUN",
        "BASE_BRANCH",
        "REMOTE",
        "CHANGES",
        "TAG_PATTERN",
        "VERSION",
        "SIGN",
        "PACKAGE_DIR",
        "RESUME",
        "PY",
        "PYTHON",
        "VENV",
    ),
    "check-changes": ("CHANGES", "TAG_PATTERN", "PACKAGE_DIR", "PY"),
    "rc": ("BASE_BRANCH", "REMOTE", "CHANGES", "TAG_PATTERN", "VERSION", "PACKAGE_DIR"),
    "release-tag": (
        "BASE_BRANCH",
        "REMOTE",
        "CHANGES",
        "TAG_PATTERN",
        "VERSION",
        "SIGN",
        "PACKAGE_DIR",
        "RESUME",
    ),
}
# Make alone (SHELL is the recorder: nothing runs) for the targets too slow to run for real.
SPLICE_ONLY = {
    "build": ("PACKAGE_DIR", "DIST", "BUILD_NO_ISOLATION", "PY"),
    "deploy": (
        "PYPI_REPOSITORY_URL",
        "PYPI_SIMPLE_URL",
        "GITHUB_API_URL",
        "DIST",
        "DRY_RUN",
        "REF",
    ),
    "verify": ("PYPI_REPOSITORY_URL", "PYPI_SIMPLE_URL", "GITHUB_API_URL", "DIST", "REF"),
    "deploy-images": (
        "DOCKER",
        "IMAGE_LOCAL",
        "IMAGES_EVERY_BUILD",
        "IMAGES_RELEASE_ONLY",
        "REF",
        "DRY_RUN",
    ),
    "verify-images": ("DOCKER", "IMAGE_LOCAL", "IMAGES_EVERY_BUILD", "IMAGES_RELEASE_ONLY", "REF"),
    "plan": ("IMAGE_LOCAL", "IMAGES_EVERY_BUILD", "IMAGES_RELEASE_ONLY", "REF", "TAG_PATTERN"),
}
# Variables that, when hostile, replace the program the recorder stands for.
PROGRAMS = ("PY", "PYTHON", "VENV")


@dataclass(frozen=True)
class Case:
    target: str
    shape: str
    via: str = "command-line"  # or "environment"

    @property
    def id(self) -> str:
        return f"{self.target}-{self.shape}-{self.via}"


SPLICES = [
    *(Case(target, shape) for target in {**TARGETS, **SPLICE_ONLY} for shape in SHAPES),
    # Make takes in the environment the same way for every target: help reads every variable.
    *(Case("help", shape, "environment") for shape in SHAPES),
]
RUNS = [Case(target, shape) for target in TARGETS for shape in SHAPES]
# With every variable hostile at once, the first one a step checks stops it. So each variable
# of the stages that push also runs alone through the steps, with the shapes dealt out in
# turn so that the two stages cover all of them.
ALONE = [
    (target, variable, list(SHAPES)[(offset + number) % len(SHAPES)])
    for target, offset in (("rc", 0), ("release-tag", len(TARGETS["rc"])))
    for number, variable in enumerate(TARGETS[target])
]

LOGGER = """\
#!{python}
import json, os, sys
with open({log!r}, "a", encoding="utf-8") as log:
    log.write(json.dumps({{"argv": sys.argv, "env": dict(os.environ)}}) + "\\n")
{then}
"""
EXEC_PYTHON = "os.execv({python!r}, [{python!r}, *sys.argv[1:]])"


def logger(path: Path, log: Path, then: str = "") -> Path:
    text = LOGGER.format(python=sys.executable, log=str(log), then=then)
    path.write_text(text.replace("{python!r}", repr(sys.executable)), encoding="utf-8")
    path.chmod(0o755)
    return path


def read_log(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def values(case: Case, sentinels: Path, names: tuple[str, ...]) -> dict[str, str]:
    shape = SHAPES[case.shape]
    return {name: shape.format(s=sentinels / f"{name}-{case.shape}") for name in names}


def run_make(
    project: Project, case: Case, given: dict[str, str], extra: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    venv_bin = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        **project.gh.env(),
        "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        "TMPDIR": str(project.tmp / "scratch"),
        **extra,
    }
    argv = ["make", "--no-print-directory", case.target]
    if case.target in ("rc", "release-tag"):
        argv.append("DRY_RUN=1")
    for name, value in given.items():
        if case.via == "environment":
            env[name] = value
        else:
            argv.append(f"{name}={value}")
    return subprocess.run(
        argv, cwd=project.path, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("case", SPLICES, ids=lambda case: case.id)
def test_make_hands_the_shell_no_value_only_the_environment(
    kit_project: Project, case: Case
) -> None:
    sentinels = kit_project.tmp / "sentinels"
    log = kit_project.tmp / "shell.jsonl"
    shell = logger(kit_project.tmp / "shell-logger", log)
    given = values(case, sentinels, {**TARGETS, **SPLICE_ONLY}[case.target])

    argv = ["make", "--no-print-directory", f"SHELL={shell}", case.target]
    env = {**os.environ, "PYTHON": sys.executable}
    if case.target in ("rc", "release-tag"):
        argv.append("DRY_RUN=1")
    for name, value in given.items():
        if case.via == "environment":
            env[name] = value
        else:
            argv.append(f"{name}={value}")
    result = subprocess.run(
        argv, cwd=kit_project.path, env=env, capture_output=True, text=True, timeout=60
    )

    calls = read_log(log)
    # Recipes run with Make's exported variables (MAKEFLAGS among them); Make's own
    # $(shell ...) calls, evaluated while it reads the makefiles, need not.
    recipes = [call for call in calls if "MAKEFLAGS" in call["env"]]
    # No target's name holds a value, so Make reads every makefile and hands every recipe on.
    assert result.returncode == 0, result.stderr
    assert recipes, calls
    for call in calls:
        text = call["argv"][-1]
        for value in given.values():
            # Only $(shell ...) may name a value, and then only single-quoted (shell_quote;
            # Make drops the newlines of a $(shell ...) command).
            for form in (value, value.replace("\n", "")):
                text = text.replace("'" + form.replace("'", "'\\''") + "'", "'VALUE'")
        assert str(sentinels) not in text, f"Make spliced a value into: {call['argv'][-1]}"
    for call in recipes:
        for name, value in given.items():
            assert call["env"].get(name) == value, (name, call["argv"])
    assert not sentinels.exists()


@pytest.mark.parametrize("case", RUNS, ids=lambda case: case.id)
def test_a_hostile_value_runs_nothing_and_arrives_as_data(kit_project: Project, case: Case) -> None:
    sentinels = kit_project.tmp / "sentinels"
    sentinels.mkdir()
    log = kit_project.tmp / "python.jsonl"
    python = logger(kit_project.tmp / "python-logger", log, EXEC_PYTHON)
    given = values(case, sentinels, TARGETS[case.target])
    if case.target != "help":  # a hostile interpreter runs nothing, and reads nothing
        given = {k: v for k, v in given.items() if k not in PROGRAMS}

    result = run_make(kit_project, case, given, {"PYTHON": str(python)})

    output = result.stdout + result.stderr
    assert sorted(p.name for p in sentinels.iterdir()) == [], output
    assert "Traceback" not in output
    seen = [call["env"] for call in read_log(log)]
    arrived = {
        name
        for name, value in given.items()
        if value in output or any(env.get(name) == value for env in seen)
    }
    assert arrived, output
    for env in seen:
        for name in given.keys() & env.keys():
            assert env[name] == given[name], name
    if case.target == "help":
        shown = set(TARGETS["help"]) - set(PROGRAMS)
        assert {name for name in shown if given[name] in result.stdout} == shown, result.stdout


@pytest.mark.parametrize(
    ("target", "variable", "shape"), ALONE, ids=lambda *row: "-".join(map(str, row))
)
def test_each_variable_alone_runs_nothing_through_the_steps(
    kit_project: Project, target: str, variable: str, shape: str
) -> None:
    sentinels = kit_project.tmp / "sentinels"
    sentinels.mkdir()
    log = kit_project.tmp / "python.jsonl"
    python = logger(kit_project.tmp / "python-logger", log, EXEC_PYTHON)
    case = Case(target, shape)
    given = values(case, sentinels, (variable,))

    result = run_make(kit_project, case, given, {"PYTHON": str(python)})

    output = result.stdout + result.stderr
    assert sorted(p.name for p in sentinels.iterdir()) == [], output
    assert "Traceback" not in output
    seen = [call["env"] for call in read_log(log)]
    assert all(env.get(variable) == given[variable] for env in seen if variable in env)
    assert given[variable] in output or any(variable in env for env in seen), output


# ---- guards: the rule holds for every makefile, targets added later included ----------------

MAKEFILES = sorted({ROOT / "Makefile", *ROOT.glob("*.mk"), *ROOT.glob("mk/*.mk")})
MAKE_REFERENCE = re.compile(r"\$(?:[({]|[^$\s])")  # after `$$` pairs are taken out
RULE = re.compile(r"^(?![\t#])[^=#]*?(?<![:?+!])::?(?![=])")
ASSIGNED = re.compile(r"^(?:override\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*\?=", re.MULTILINE)
TAKEN_LITERALLY = re.compile(r"\$\(call take_literally,([^)]*)\)")


def logical_lines(path: Path) -> list[tuple[int, str]]:
    """Lines with backslash continuations joined, numbered by their first physical line."""
    joined: list[tuple[int, str]] = []
    pending = ""
    start = 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        joined.append((start, pending + line))
        pending = ""
    return joined


def recipe_lines(path: Path) -> list[tuple[int, str]]:
    recipes, in_rule = [], False
    for number, line in logical_lines(path):
        if line.startswith("\t") and in_rule:
            recipes.append((number, line))
        elif line.strip() and not line.lstrip().startswith("#"):
            in_rule = bool(RULE.match(line))
    return recipes


def test_the_guard_sees_the_recipes() -> None:
    recipes = [line for path in MAKEFILES for _, line in recipe_lines(path)]
    assert any("release-tag" in line for line in recipes)
    assert any("pytest" in line for line in recipes)


@pytest.mark.parametrize("path", MAKEFILES, ids=lambda path: path.name)
def test_no_recipe_splices_a_make_value_into_shell_text(path: Path) -> None:
    spliced = [
        f"{path.name}:{number}: {line.strip()}"
        for number, line in recipe_lines(path)
        if MAKE_REFERENCE.search(line.replace("$$", ""))
    ]
    assert spliced == [], (
        'recipes must read values from the environment ("$$VAR"), never $(VAR) or $@: '
        + "; ".join(spliced)
    )


def test_every_settable_variable_is_taken_literally() -> None:
    text = "\n".join(path.read_text(encoding="utf-8") for path in MAKEFILES)
    settable = set(ASSIGNED.findall(text))
    literal = {name for group in TAKEN_LITERALLY.findall(text) for name in group.split()}
    assert settable - literal == set(), "add these to a $(call take_literally,...) line"
