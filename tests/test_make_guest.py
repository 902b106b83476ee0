"""releasekit.mk is a guest in the project's Makefile: the project's own targets run as they did.

One table of project Makefiles, each run before and after `include releasekit.mk` is added at
its end (as `releasekit init` adds it): every target's output, status and environment are the
same byte for byte. The guards below read the fragment, so a target or setting added later
keeps the rule.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

FRAGMENT = ROOT / "releasekit.mk"


@dataclass(frozen=True)
class Host:
    name: str
    makefile: str
    goals: tuple[tuple[str, ...], ...]  # each a make command line run before and after
    files: tuple[str, ...] = ()


HOSTS = [
    Host(
        "undefined variables and the shell's flags, as pypiserver's `make format` reads them",
        ".PHONY: format\n"
        "format:\n"
        '\t@echo "isort $(CHECK) pkg"\n'
        '\t@echo "black $(CHECK) $(DIFF) pkg"\n'
        '\t@echo "shell $$0 flags $$-"\n'
        "\tfalse | true\n",
        (("format",),),
    ),
    Host(
        "the first target stays the default goal",
        "first:\n\t@echo first\nsecond:\n\t@echo second\n",
        ((), ("second",)),
    ),
    Host(
        "built-in rules still build what they built",
        "hello: hello.c\n",
        (("-n", "hello"),),
        files=("hello.c",),
    ),
    Host(
        "the project's recipes see the environment they saw",
        "env:\n\t@env | grep -v -e '^MAKE' -e '^MFLAGS' | sort\n",
        (("env",),),
    ),
    Host(
        "the project's own SHELL set before the include line",
        'SHELL = /bin/sh\nwhich:\n\t@echo "$$0"; echo "$${BASH_VERSION:-no bash}"\n',
        (("which",),),
    ),
]


def make(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAKE", "MFLAGS"))}
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def outcome(result: subprocess.CompletedProcess[str]) -> tuple[int, str, str]:
    return result.returncode, result.stdout, result.stderr


@pytest.mark.parametrize("host", HOSTS, ids=[h.name for h in HOSTS])
def test_the_projects_targets_run_as_before_the_include_line(host: Host, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    for name in host.files:
        (project / name).write_text("int main(void) { return 0; }\n", encoding="utf-8")
    (project / "Makefile").write_text(host.makefile, encoding="utf-8")
    before = [outcome(make(project, *goal)) for goal in host.goals]

    for name in ("releasekit.mk", "scripts"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, project / name)
    with (project / "Makefile").open("a", encoding="utf-8") as makefile:
        makefile.write("include releasekit.mk\n")
    after = [outcome(make(project, *goal)) for goal in host.goals]

    assert after == before
    assert all(status == 0 for status, _, _ in before), before


def test_make_alone_in_the_kits_checkout_prints_the_help() -> None:
    result = make(ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: make <target>")
    assert re.search(r"^  setup ", result.stdout, re.MULTILINE)  # the kit's own targets too


# ---- guards: the fragment, as written --------------------------------------------------------

GLOBAL_SETTING = re.compile(
    r"^(?:override\s+|export\s+)?(SHELL|\.SHELLFLAGS|\.DEFAULT_GOAL|MAKEFLAGS|\.ONESHELL|"
    r"\.POSIX|\.EXPORT_ALL_VARIABLES|\.SILENT|\.IGNORE|\.NOTPARALLEL|\.SUFFIXES)\b",
    re.MULTILINE,
)
TARGET = re.compile(r"^([a-z][a-z0-9-]*):(?!=)", re.MULTILINE)


def test_the_fragment_sets_nothing_for_the_whole_makefile() -> None:
    text = FRAGMENT.read_text(encoding="utf-8")
    assert GLOBAL_SETTING.findall(text) == []
    assert not re.search(r"^export\s+[A-Z]", text, re.MULTILINE), "export per target only"


def test_every_target_of_the_fragment_but_ci_gets_the_trains_shell_and_environment(
    tmp_path: Path,
) -> None:
    defined = set(TARGET.findall(FRAGMENT.read_text(encoding="utf-8"))) - {"ci"}
    (tmp_path / "Makefile").write_text(
        f"include {FRAGMENT}\nshow-targets:\n\t@echo $(RELEASEKIT_TARGETS)\n", encoding="utf-8"
    )
    listed = make(tmp_path, "show-targets")
    assert listed.returncode == 0, listed.stderr
    assert defined - set(listed.stdout.split()) == set()
    assert "ci" not in listed.stdout.split()


def test_the_trains_recipes_run_with_errexit_nounset_pipefail_and_the_projects_without(
    tmp_path: Path,
) -> None:
    """A recorder for SHELL (a command-line SHELL wins everywhere) shows the flags each recipe
    gets: the train's `-euo pipefail -c`, the project's own make's default `-c`."""
    (tmp_path / "Makefile").write_text(
        f"include {FRAGMENT}\nprobe:\n\t@echo the-projects-recipe\n", encoding="utf-8"
    )
    log = tmp_path / "shell.log"
    recorder = tmp_path / "recorder"
    recorder.write_text(f'#!/bin/sh\nprintf "%s|\\n" "$*" >> {log}\n', encoding="utf-8")
    recorder.chmod(0o755)
    result = make(tmp_path, "releasekit-deps", "probe", f"SHELL={recorder}")
    assert result.returncode == 0, result.stderr
    calls = [c for c in log.read_text(encoding="utf-8").splitlines() if "make-include" not in c]
    assert calls == [
        '-euo pipefail -c "$RELEASEKIT_BIN/releasekit-deps"|',
        "-c echo the-projects-recipe|",
    ], calls
