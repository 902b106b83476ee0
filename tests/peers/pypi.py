"""pypiserver on loopback with htpasswd auth (the stand-in for PyPI), and tiny real
distributions (a wheel and an sdist written by hand, so no build backend or network is needed).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib.util
import io
import os
import shutil
import subprocess
import sys
import tarfile
import urllib.error
import urllib.request
import uuid
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.peers.processes import free_port, port_is_open, stop_process, wait_until

# passlib 1.7.4 (pypiserver's htpasswd reader) crashes at import against bcrypt >= 5 while it
# probes bcrypt for a historic bug. Hiding bcrypt from the server process avoids the probe; the
# htpasswd file then uses apr1 (MD5) hashes, which passlib checks in pure Python.
# RELEASEKIT_PYPI_EXIT_AT_UPLOAD=N makes the server exit at once when the Nth upload arrives,
# before it reads the file: "the index went away in the middle of a release", every time.
_SERVER = """\
import os
import sys
sys.modules["bcrypt"] = None
sys.argv[0] = "pypi-server"
_exit_at = int(os.environ.get("RELEASEKIT_PYPI_EXIT_AT_UPLOAD") or 0)
if _exit_at:
    import pypiserver
    from pypiserver.bottle_wrapper import request
    _made = pypiserver.app_from_config
    _seen = []

    def _app_from_config(config):
        app = _made(config)

        def _stop():
            if request.method == "POST" and request.path == "/":
                _seen.append(1)
                if len(_seen) >= _exit_at:
                    os._exit(3)

        app.add_hook("before_request", _stop)
        return app

    pypiserver.app_from_config = _app_from_config
from pypiserver.__main__ import main
sys.exit(main())
"""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass(frozen=True)
class PypiServer:
    """A running pypiserver: upload to `url`, install from `simple_url`."""

    url: str
    simple_url: str
    username: str
    password: str
    packages_dir: Path

    def simple_page(self, project: str) -> str:
        """The HTML of /simple/<project>/ (what pip and an idempotent uploader read), or ""
        when the index has no file of that project."""
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(f"{self.simple_url}{project}/", timeout=10) as reply:
                text: str = reply.read().decode("utf-8")
                return text
        except urllib.error.HTTPError as error:
            if error.code in {303, 404}:  # 303: not held here, sent to the fallback index
                return ""
            raise

    def clear(self) -> None:
        """Forget every uploaded file (the server reads the directory on each request)."""
        for path in self.packages_dir.iterdir():
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()


def _htpasswd(path: Path, username: str, password: str) -> None:
    with warnings.catch_warnings():  # passlib imports the stdlib's deprecated `crypt`
        warnings.simplefilter("ignore", DeprecationWarning)
        from passlib.hash import apr_md5_crypt

    path.write_text(f"{username}:{apr_md5_crypt.hash(password)}\n", encoding="utf-8")


def _simple_answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False


@contextlib.contextmanager
def serve_pypi(root: Path, exit_at_upload: int = 0) -> Iterator[PypiServer]:
    """Start pypiserver with its packages and htpasswd under `root`; stop it on exit.

    `exit_at_upload=N` makes the server process exit when the Nth upload request arrives.
    """
    if importlib.util.find_spec("pypiserver") is None:
        pytest.fail("pypiserver not found: install the PyPI package pypiserver", pytrace=False)
    packages = root / "packages"
    packages.mkdir(parents=True, exist_ok=True)
    username, password = "uploader", f"pypi-pass-{uuid.uuid4().hex[:8]}"
    _htpasswd(root / "htpasswd", username, password)
    port = free_port()
    log = root / "server.log"
    env = {**os.environ, "RELEASEKIT_PYPI_EXIT_AT_UPLOAD": str(exit_at_upload)}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                _SERVER,
                "run",
                "--port",
                str(port),
                "--interface",
                "127.0.0.1",
                "--passwords",
                str(root / "htpasswd"),
                "--authenticate",
                "update",
                # simple-dir: no listing cache, so emptying the directory is seen at once.
                # pypiserver redirects a project it does not hold to its fallback (pypi.org by
                # default): here a loopback port nothing listens on, so a reader that follows
                # the redirect fails instead of reaching the real PyPI.
                "--fallback-url",
                "http://127.0.0.1:9/simple/",
                "--backend",
                "simple-dir",
                str(packages),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}/"
    server = PypiServer(url, f"{url}simple/", username, password, packages)
    try:
        wait_until(
            lambda: port_is_open(port) and _simple_answers(server.simple_url),
            process,
            "pypi-server",
            log,
            limit=20,
        )
        yield server
    finally:
        stop_process(process)


@pytest.fixture(scope="session")
def pypi_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PypiServer]:
    """One pypiserver per session (per xdist worker); uploads need the htpasswd user."""
    with serve_pypi(tmp_path_factory.mktemp("pypiserver")) as server:
        yield server


@pytest.fixture
def pypi(pypi_server: PypiServer) -> PypiServer:
    """The session's pypiserver, emptied: each test starts with an index that has no files."""
    pypi_server.clear()
    return pypi_server


# --- tiny real distributions ------------------------------------------------------------------


def _metadata(name: str, version: str, headers: str = "") -> str:
    return (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        f"Summary: A tiny distribution for the releasekit tests\n{headers}"
        f"Description-Content-Type: text/plain\n\nA tiny distribution.\n"
    )


def _record_line(arcname: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def make_wheel(
    dest: Path, name: str, version: str, module_text: str | None = None, headers: str = ""
) -> Path:
    """Write `<name>-<version>-py3-none-any.whl` into `dest`: one module named like the project.

    The module defines VERSION = "<version>" unless `module_text` says otherwise; `headers`
    are more METADATA lines (`Requires-Dist: other\n`, `License-Expression: MIT\n`).
    """
    module = name.replace("-", "_").lower()
    dist_info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": (module_text or f'VERSION = "{version}"\n').encode(),
        f"{dist_info}/METADATA": _metadata(name, version, headers).encode(),
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: releasekit-tests\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n"
        ),
    }
    record = [_record_line(arcname, data) for arcname, data in files.items()]
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    dest.mkdir(parents=True, exist_ok=True)
    wheel = dest / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for arcname, data in files.items():
            archive.writestr(arcname, data)
    return wheel


def make_sdist(dest: Path, name: str, version: str) -> Path:
    """Write `<name>-<version>.tar.gz` into `dest` with PKG-INFO and a pyproject.toml."""
    module = name.replace("-", "_").lower()
    top = f"{module}-{version}"
    files = {
        f"{top}/PKG-INFO": _metadata(name, version).encode(),
        f"{top}/pyproject.toml": (f'[project]\nname = "{name}"\nversion = "{version}"\n').encode(),
        f"{top}/{module}/__init__.py": f'VERSION = "{version}"\n'.encode(),
    }
    dest.mkdir(parents=True, exist_ok=True)
    sdist = dest / f"{top}.tar.gz"
    with tarfile.open(sdist, "w:gz") as archive:
        for arcname, data in files.items():
            info = tarfile.TarInfo(arcname)
            info.size = len(data)
            info.mtime = 1700000000
            archive.addfile(info, io.BytesIO(data))
    return sdist
