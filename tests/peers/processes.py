"""Process helpers shared by the loopback peers: find, start-wait and stop real programs."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest


def require_program(program: str, package: str) -> str:
    """The program's path; FAIL (never skip) naming the package to install when it is missing."""
    path = shutil.which(program)
    if path is None:
        pytest.fail(f"{program} not found: install {package}", pytrace=False)
    return path


def free_port() -> int:
    """An ephemeral loopback port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(
    ready: Callable[[], bool], process: subprocess.Popen[bytes], what: str, log: Path, limit: float
) -> None:
    """Poll `ready` until it holds; fail with the log tail if the process dies or time is up."""
    deadline = time.monotonic() + limit
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            stop_process(process)
            tail = log.read_text(encoding="utf-8", errors="replace")[-2000:]
            pytest.fail(f"{what} did not come up (exit {process.returncode}):\n{tail}")
        time.sleep(0.05)


def port_is_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def stop_process(process: subprocess.Popen[bytes], grace: float = 10.0) -> None:
    """SIGTERM, wait a little, then SIGKILL: nothing the suite starts may outlive it."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
