"""The kit's own wheel: it ships every standalone script, and its commands run from it."""

from __future__ import annotations

import configparser
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, SCRIPTS


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    [built] = out.glob("releasekit-*.whl")
    return built


def entry_points(wheel: Path) -> dict[str, str]:
    with zipfile.ZipFile(wheel) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt")]
        parser = configparser.ConfigParser()
        parser.read_string(archive.read(name).decode())
    return dict(parser["console_scripts"])


def test_the_wheel_ships_every_script_beside_the_package(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        shipped = {n for n in archive.namelist() if n.startswith("releasekit/")}
    package = ROOT / "src/releasekit"
    modules = {f"releasekit/{module.name}" for module in package.glob("*.py")}
    modules |= {f"releasekit/rules/{rule.name}" for rule in (package / "rules").glob("*.py")}
    expected = {f"releasekit/{script.name}" for script in SCRIPTS.iterdir() if script.is_file()}
    kit = {n for n in shipped if n.startswith("releasekit/kit/")}
    assert expected and expected | modules | kit == shipped


def test_init_from_the_wheel_writes_the_kit_into_a_project(wheel: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "setup.py").write_text("from setuptools import setup\nsetup(version='1.0.0')\n")
    site = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target"]
    subprocess.run(
        [*pip, str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    code = (
        f"import sys; sys.path.insert(0, {str(site)!r}); "
        f"from releasekit.init import main; sys.exit(main(['init', {str(project)!r}]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    for step in (ROOT / "bin").iterdir():
        assert (project / "bin" / step.name).is_file() == (step.name not in {"setup", "demo"})
    for script in SCRIPTS.iterdir():
        assert (project / "scripts" / script.name).read_bytes() == script.read_bytes()
    for name in ("releasekit.mk", ".github/workflows/rc.yml", ".github/workflows/rt.yml"):
        assert (project / name).read_bytes() == (ROOT / name).read_bytes(), name


def test_every_command_runs_from_the_wheel(wheel: Path) -> None:
    commands = entry_points(wheel)
    assert commands
    for command, target in commands.items():
        module, _, function = target.partition(":")
        code = (
            f"import sys; sys.path.insert(0, {str(wheel)!r}); "
            f"from {module} import {function}; sys.exit({function}(['--help']))"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"{command}: {result.stderr}"
        assert result.stdout.startswith("usage: "), command
