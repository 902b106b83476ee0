"""The pypiserver peer behaves like an index the kit can upload to and users install from."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from tests.peers.pypi import PypiServer, make_sdist, make_wheel

VENV_BIN = Path(sys.executable).parent


def twine_upload(
    pypi: PypiServer, *files: Path, password: str | None = None
) -> subprocess.CompletedProcess[str]:
    """`twine upload` as a deploy step runs it, with nothing from the user's own config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWINE_")}
    env.update(NO_COLOR="1", COLUMNS="200")  # one plain line per message, easy to assert on
    return subprocess.run(
        [
            str(VENV_BIN / "twine"),
            "upload",
            "--non-interactive",
            "--disable-progress-bar",
            "--repository-url",
            pypi.url,
            "-u",
            pypi.username,
            "-p",
            pypi.password if password is None else password,
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def install_and_import(pypi: PypiServer, project: str, module: str, where: Path) -> str:
    """pip-install `project` from the index into a fresh venv; return its module's VERSION."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    python = where / "bin" / "python"
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "--no-deps",
            "--index-url",
            pypi.simple_url,
            project,
        ],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    imported = subprocess.run(
        [str(python), "-c", f"import {module}; print({module}.VERSION)"],
        check=True,
        capture_output=True,
        text=True,
    )
    return imported.stdout.strip()


def test_an_uploaded_wheel_installs_from_the_simple_index(pypi: PypiServer, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "dist", "rk-probe", "1.2.3")

    upload = twine_upload(pypi, wheel)

    assert upload.returncode == 0, upload.stdout + upload.stderr
    assert (pypi.packages_dir / wheel.name).read_bytes() == wheel.read_bytes()
    assert install_and_import(pypi, "rk-probe", "rk_probe", tmp_path / "venv") == "1.2.3"


def test_the_simple_page_lists_each_file_with_its_sha256(pypi: PypiServer, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "dist", "rk-probe", "2.0.0")
    sdist = make_sdist(tmp_path / "dist", "rk-probe", "2.0.0")

    upload = twine_upload(pypi, wheel, sdist)

    assert upload.returncode == 0, upload.stdout + upload.stderr
    page = pypi.simple_page("rk-probe")
    for dist in (wheel, sdist):
        sha256 = hashlib.sha256(dist.read_bytes()).hexdigest()
        assert f"{dist.name}#sha256={sha256}" in page


def test_a_wrong_password_is_refused(pypi: PypiServer, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "dist", "rk-probe", "1.0.0")

    upload = twine_upload(pypi, wheel, password="not-the-password")

    assert upload.returncode != 0
    assert "403 Forbidden" in upload.stdout + upload.stderr, upload.stdout + upload.stderr
    assert list(pypi.packages_dir.iterdir()) == []


def test_a_second_upload_of_the_same_file_is_refused(pypi: PypiServer, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "dist", "rk-probe", "1.0.0")
    assert twine_upload(pypi, wheel).returncode == 0

    again = twine_upload(pypi, wheel)

    # pypiserver 2.4 answers 400 Bad Request; twine cannot skip it on a non-PyPI index.
    assert again.returncode != 0
    assert "400 Bad Request" in again.stdout + again.stderr, again.stdout + again.stderr


def test_a_cleared_index_forgets_its_files(pypi: PypiServer, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "dist", "rk-probe", "1.0.0")
    assert twine_upload(pypi, wheel).returncode == 0
    assert wheel.name in pypi.simple_page("rk-probe")

    pypi.clear()

    assert pypi.simple_page("rk-probe") == ""
    assert twine_upload(pypi, wheel).returncode == 0
