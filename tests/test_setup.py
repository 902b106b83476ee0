"""`make setup` installs only what is missing and never replaces an installed engine.

tools/setup_packages.py decides; bin/setup hands its list to apt-get. Rows run the decision
with the commands on PATH and the installed packages a machine would have; the last row runs
it for real on this machine, where every peer the tests use is installed (CI fails before
the suite otherwise), so it must propose nothing.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from dataclasses import dataclass
from types import ModuleType

import pytest

from tests.conftest import ROOT


def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "setup_packages", ROOT / "tools" / "setup_packages.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


SETUP = tool()
EVERY_COMMAND = {c for need in SETUP.NEEDS for c in need.commands}


@dataclass(frozen=True)
class Machine:
    name: str
    commands: frozenset[str]  # on PATH
    packages: frozenset[str]  # installed (dpkg)
    install: tuple[str, ...]
    noted: str = ""


ROWS = [
    Machine("everything there", frozenset(EVERY_COMMAND), frozenset(), ()),
    Machine(
        "a GitHub runner: docker-ce, podman and skopeo, no registry",
        frozenset(EVERY_COMMAND - {"docker-registry", "mmdebstrap"}),
        frozenset({"docker-ce", "containerd.io"}),
        ("docker-registry", "mmdebstrap"),
    ),
    Machine(
        "docker-ce installed but its command not on PATH: docker.io is not put beside it",
        frozenset(EVERY_COMMAND - {"dockerd"}),
        frozenset({"docker-ce", "containerd.io"}),
        (),
        noted="docker.io is not installed beside docker-ce, containerd.io",
    ),
    Machine(
        "a bare Debian: everything",
        frozenset(),
        frozenset(),
        tuple(need.package for need in SETUP.NEEDS),
    ),
    Machine(
        "a lone docker client (no dockerd behind it): Debian's docker.io",
        frozenset((EVERY_COMMAND | {"docker"}) - {"dockerd"}),
        frozenset(),
        ("docker.io",),
    ),
    Machine(
        "podman alone, no Docker: Debian's docker.io",
        frozenset(EVERY_COMMAND - {"dockerd"}),
        frozenset({"podman"}),
        ("docker.io",),
    ),
]


@pytest.mark.parametrize("machine", ROWS, ids=lambda m: m.name)
def test_setup_installs_only_what_is_missing(machine: Machine) -> None:
    packages, notes = SETUP.to_install(
        SETUP.NEEDS, machine.commands.__contains__, machine.packages.__contains__
    )
    assert tuple(packages) == machine.install
    assert any(machine.noted in note for note in notes) if machine.noted else notes == []


def test_on_this_machine_nothing_is_missing() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "setup_packages.py")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == ""
