"""A real Python base image, made offline from Debian's packages by `make base-image`'s step.

The root file system tarball is cached in the checkout's .cache/base-image (made once per
machine: about 25 s); each session's dockerd imports it once (a few seconds).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.peers.processes import require_program

ROOT = Path(__file__).resolve().parents[2]
BASE_IMAGE = "localhost/releasekit-base:python3"


@pytest.fixture(scope="session")
def base_image(docker_daemon: dict[str, str]) -> str:
    """The name of the Debian-made Python base image in the session's dockerd."""
    require_program("mmdebstrap", "the Debian package mmdebstrap")
    venv_bin = str(Path(sys.executable).parent)
    result = subprocess.run(
        [str(ROOT / "bin" / "base-image")],
        cwd=ROOT,
        env={
            **os.environ,
            **docker_daemon,
            "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "DOCKER": "docker",
            "BASE_IMAGE_LOCAL": BASE_IMAGE,
            "BASE_IMAGE_CACHE": str(ROOT / ".cache" / "base-image"),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"make base-image failed:\n{result.stdout}\n{result.stderr}")
    assert result.stdout.strip() == BASE_IMAGE
    return BASE_IMAGE
