"""The programs a step runs (twine, a container engine, skopeo) and the waits it makes: each
child stays in the step's process group and gets the step's SIGINT/SIGTERM; every wait prints
a line once it lasts, and ends by --max-wait; a step whose parent is gone (make killed, even
by SIGKILL) stops its children and cleans up instead of living on as an orphan."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext

from releasekit.rules.cli import TerminatedError, info
from releasekit.rules.retries import Deadline, FatalError

ANNOUNCE_AFTER = 10.0  # seconds of waiting before the first line; then one per ANNOUNCE_EVERY
ANNOUNCE_EVERY = 30.0
GRACE = 5.0  # seconds a signalled child has to end before it is killed
PARENT_POLL = 0.5  # seconds between two looks at the parent


def watch_parent(interval: float = PARENT_POLL) -> None:
    """SIGTERM this process when its parent goes away. SIGKILL of make cannot be trapped and
    Linux's PR_SET_PDEATHSIG has no macOS twin, so a thread polls os.getppid() (POSIX, both
    systems): an orphan is re-parented (to 1 or a subreaper), and then unwinds as on SIGTERM."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            threading.Event().wait(interval)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _first_line_after(deadline: Deadline) -> float:
    """The first line comes after ANNOUNCE_AFTER s, sooner under a short --max-wait."""
    return min(ANNOUNCE_AFTER, deadline.seconds / 3)


@contextmanager
def announced(what: str, deadline: Deadline) -> Iterator[None]:
    """While the block runs, one line once it has waited a while on `what`, then one more
    each ANNOUNCE_EVERY s: a long wait is never silent."""
    done = threading.Event()
    start = deadline.clock()

    def speak() -> None:
        pause = _first_line_after(deadline)
        while not done.wait(pause):
            spent, left = deadline.clock() - start, deadline.left()
            info(f"waiting for {what}: {spent:.0f} s so far ({left:.0f} s of --max-wait left)")
            pause = ANNOUNCE_EVERY

    thread = threading.Thread(target=speak, name="announce", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def stop(child: subprocess.Popen[str], sig: int, grace: float = GRACE) -> None:
    """Pass `sig` on to the child, give it `grace` seconds to clean up, then kill it."""
    if child.poll() is not None:
        return
    child.send_signal(sig)
    try:
        child.wait(grace)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def run_child(
    command: Sequence[str],
    what: str,
    deadline: Deadline | None = None,
    stdin: str | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `command` to its end within what is left of --max-wait, its output captured; the
    step's SIGINT/SIGTERM is passed on to it, and a child still running at the bound is
    stopped (FatalError). Without a deadline (a build, as long as it takes) it runs to its end
    unannounced. OSError when it cannot start."""
    left = None if deadline is None else deadline.timeout(deadline.seconds, what)
    child = subprocess.Popen(
        command,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=None if env is None else dict(env),
    )
    try:
        with announced(what, deadline) if deadline else nullcontext():
            out, err = child.communicate(stdin, timeout=left)
    except subprocess.TimeoutExpired:  # only with a deadline
        stop(child, signal.SIGTERM)
        assert deadline is not None
        raise FatalError(
            f"{what}: still running at --max-wait {deadline.seconds:g} s; stopped it, run it again"
        ) from None
    except KeyboardInterrupt:
        stop(child, signal.SIGINT)
        raise
    except TerminatedError:
        stop(child, signal.SIGTERM)
        raise
    finally:
        if child.poll() is None:  # any other way out: never leave it behind
            stop(child, signal.SIGTERM)
    return subprocess.CompletedProcess(list(command), child.returncode, out, err)
