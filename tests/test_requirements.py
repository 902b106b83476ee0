"""requirements/release.txt, what the workflows install with --require-hashes, is current.

`make requirements` writes requirements/release.in (the runtime dependencies of the scripts:
pyproject.toml's [project].dependencies and each script's PEP 723 header) and pins it with
hashes into requirements/release.txt. These rows check, offline, that the .in is what the
sources say today and that the .txt pins every line of it, within its specifier, with hashes.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import ROOT, release_requirements_tool

REQUIREMENTS = ROOT / "requirements"
PIN = re.compile(r"^(?P<name>[A-Za-z0-9._-]+)==(?P<version>\S+)(?: ; (?P<marker>[^\\]+))?")
# The Pythons the workflows and users run the scripts with.
PYTHONS = ("3.10", "3.11", "3.12", "3.13", "3.14")


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    hashes: int
    via: tuple[str, ...]


def pins(file: str = "release.txt") -> dict[str, Pin]:
    text = (REQUIREMENTS / file).read_text(encoding="utf-8")
    found: dict[str, Pin] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = PIN.match(block)
        if not match:
            continue
        name = canonicalize_name(match["name"])
        found[name] = Pin(
            name,
            match["version"],
            block.count("--hash=sha256:"),
            tuple(re.findall(r"#\s+(?:via\s+)?(-r \S+|[\w.-]+)", block)),
        )
    return found


def test_release_in_is_what_pyproject_and_the_script_headers_say() -> None:
    tool = release_requirements_tool()
    written = (REQUIREMENTS / "release.in").read_text(encoding="utf-8")
    assert written == tool.release_in(ROOT), "run `make requirements` and commit both files"


def test_release_txt_says_how_it_was_made() -> None:
    text = (REQUIREMENTS / "release.txt").read_text(encoding="utf-8")
    assert "make requirements" in text.splitlines()[1]


IN_LINES = [
    line
    for line in (REQUIREMENTS / "release.in").read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#")
]


@pytest.mark.parametrize("line", IN_LINES)
def test_each_dependency_is_pinned_within_its_specifier(line: str) -> None:
    wanted = Requirement(line)
    pinned = pins().get(canonicalize_name(wanted.name))
    if wanted.marker and not any(
        wanted.marker.evaluate({"python_version": python}) for python in PYTHONS
    ):
        return
    assert pinned is not None, f"{wanted.name} is not pinned: run `make requirements`"
    assert wanted.specifier.contains(pinned.version, prereleases=True), (line, pinned.version)


def test_every_pin_has_hashes_and_a_reason() -> None:
    found = pins()
    assert found
    for pin in found.values():
        assert pin.hashes >= 1, pin
        assert pin.via, pin
    direct = {name for name, pin in found.items() if any(via.startswith("-r ") for via in pin.via)}
    assert direct == {canonicalize_name(Requirement(line).name) for line in IN_LINES}


def kit_dependencies() -> list[Requirement]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return [Requirement(spec) for spec in pyproject["project"]["dependencies"]]


def lowest(requirement: Requirement) -> Version | None:
    """The `>=` bound of a requirement, or None when it has none."""
    bounds = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
    return max(bounds, default=None)


def applies(requirement: Requirement, python: str) -> bool:
    return requirement.marker is None or requirement.marker.evaluate({"python_version": python})


SCRIPT_DEPENDENCIES = [
    pytest.param(script.name, spec, id=f"{script.name}:{spec}")
    for script in sorted((ROOT / "scripts").glob("*.py"))
    for spec in release_requirements_tool().script_dependencies(script)
]


@pytest.mark.parametrize(("script", "spec"), SCRIPT_DEPENDENCIES)
def test_the_kit_wheel_installs_what_each_script_header_declares(script: str, spec: str) -> None:
    """A script run from the installed kit has its PEP 723 dependencies: on every Python the
    header needs one, the kit's [project].dependencies name it, at least as new."""
    wanted = Requirement(spec)
    kit = [
        r for r in kit_dependencies() if canonicalize_name(r.name) == canonicalize_name(wanted.name)
    ]
    for python in (p for p in PYTHONS if applies(wanted, p)):
        here = [r for r in kit if applies(r, python)]
        assert here, f"{script} needs {spec} on Python {python}: add it to [project].dependencies"
        needed, given = lowest(wanted), max((lowest(r) or Version("0")) for r in here)
        assert needed is None or given >= needed, f"{script} needs {spec}; the kit gives {here}"


DEPLOY_IN = [
    line
    for line in (REQUIREMENTS / "deploy.in").read_text(encoding="utf-8").splitlines()
    if line and not line.startswith(("#", "-r "))
]


@pytest.mark.parametrize("line", IN_LINES + DEPLOY_IN)
def test_the_deploy_set_pins_the_scripts_and_the_signer(line: str) -> None:
    wanted = Requirement(line)
    pinned = pins("deploy.txt").get(canonicalize_name(wanted.name))
    if wanted.marker and not any(
        wanted.marker.evaluate({"python_version": python}) for python in PYTHONS
    ):
        return
    assert pinned is not None, f"{wanted.name} is not in deploy.txt: run `make requirements`"
    assert wanted.specifier.contains(pinned.version, prereleases=True), (line, pinned.version)
    assert pinned.hashes >= 1, pinned


def test_every_workflow_install_is_hash_checked() -> None:
    for path in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        for install in re.findall(r"pip install[^\n]*(?:\\\n[^\n]*)*", text):
            assert "--require-hashes" in install and "--only-binary :all:" in install, (
                path.name,
                install,
            )
