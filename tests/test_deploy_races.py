"""Deploy targets run at once: two `make` processes for the same release against the real
peers (pypiserver here), as two re-run jobs or a person and CI do. One row per race, one
runner: every process exits as the row says, each failure in one line, nothing but the row's
files on the index, and never the index's raw refusal (pypiserver's 400 for a second upload).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.peers.pypi import make_sdist, make_wheel
from tests.test_deploy_targets import (
    MAKE_ERROR,
    Setting,
    kit_project,
    kit_project_template,
    setting,
)

__all__ = ["kit_project", "kit_project_template", "setting"]  # fixtures used by this module


def write_dist(checkout: Path, module_text: str | None = None) -> list[Path]:
    """A fresh dist/ of demo 1.2.0 and its SHA256SUMS; `module_text` makes other bytes."""
    dist = checkout / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    files = [make_wheel(dist, "demo", "1.2.0", module_text), make_sdist(dist, "demo", "1.2.0")]
    sums = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in files]
    (dist / "SHA256SUMS").write_text("".join(sums), encoding="utf-8")
    return files


def same_dist(setting: Setting) -> list[Path]:
    """Both runs in the one checkout, with its one dist/."""
    return [setting.project.path, setting.project.path]


def other_bytes(setting: Setting) -> list[Path]:
    """A second checkout of the same version whose wheel has other bytes."""
    other = setting.project.tmp / "other"
    shutil.copytree(setting.project.path, other, symlinks=True)
    write_dist(other, module_text='VERSION = "1.2.0"  # built elsewhere\n')
    return [setting.project.path, other]


@dataclass(frozen=True)
class Race:
    id: str
    checkouts: Callable[[Setting], list[Path]]  # where each of the racing runs starts
    statuses: list[int]  # the runs' exit statuses, sorted (make's: 2 whatever its step said)
    says: str = ""  # a part of the one line of each run that fails


RACES = [
    Race("deploy-pypi-same-files", same_dist, [0, 0]),
    Race("deploy-pypi-other-bytes", other_bytes, [0, 2], says="on the index with another sha256"),
]


def race(setting: Setting, checkouts: list[Path], *args: str) -> list[tuple[int, str, str]]:
    env = setting.env({})
    runs = [
        subprocess.Popen(
            ["make", "--no-print-directory", "-s", *args],
            cwd=checkout,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for checkout in checkouts
    ]
    return [(run.wait(120), *run.communicate()) for run in runs]


@pytest.mark.parametrize("row", RACES, ids=[row.id for row in RACES])
def test_two_deploys_at_once_end_as_one(setting: Setting, row: Race) -> None:
    write_dist(setting.project.path)
    checkouts = row.checkouts(setting)

    done = race(setting, checkouts, "deploy-pypi", "REF=v1.2.0")

    assert sorted(status for status, _, _ in done) == row.statuses, done
    for status, stdout, stderr in done:
        lines = [line for line in stderr.splitlines() if not MAKE_ERROR.fullmatch(line)]
        for raw in ("400 Bad Request", "HTTPError", "Traceback"):
            assert raw not in stdout + stderr, done
        assert len(lines) == (status != 0), done
        assert all(row.says in line for line in lines), done
    sums = {(c / "dist" / "SHA256SUMS").read_text(encoding="utf-8") for c in checkouts}
    held = {
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n"
        for p in setting.pypi.packages_dir.iterdir()
    }
    assert any(held == set(text.splitlines(keepends=True)) for text in sums), held
