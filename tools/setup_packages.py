"""Print the Debian packages `make setup` should install: those whose command is missing.

An engine or tool already on the machine is used as it is. A runner image ships docker-ce
and containerd.io (Docker's own packages), which declare `Conflicts: docker.io`: installing
Debian's docker.io there would remove the runner's engine. So a need is met by any of its
commands on PATH, and a package is never installed beside one it conflicts with (said in one
line on stderr instead). One package per line on stdout; nothing when nothing is missing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Need:
    what: str
    commands: tuple[str, ...]  # any one of them on PATH meets the need
    package: str  # Debian's package that provides it
    conflicts: tuple[str, ...] = ()  # installed packages the package must not replace


NEEDS = [
    # The engine, not the client: a machine may carry a lone `docker` client binary with no
    # daemon behind it, which meets none of the tests' needs.
    Need(
        "a Docker engine",
        ("dockerd",),
        "docker.io",
        ("docker-ce", "containerd.io", "moby-engine"),
    ),
    Need("podman", ("podman",), "podman"),
    Need("the distribution registry", ("docker-registry",), "docker-registry"),
    Need("skopeo", ("skopeo",), "skopeo"),
    Need("shellcheck", ("shellcheck",), "shellcheck"),
    Need("rootless user maps", ("newuidmap",), "uidmap"),
    Need("an ssh client", ("ssh",), "openssh-client"),
    Need("git", ("git",), "git"),
    Need("make", ("make",), "make"),
    Need("mmdebstrap", ("mmdebstrap",), "mmdebstrap"),
]


def dpkg_installed(package: str) -> bool:
    try:
        done = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True
        )
    except OSError:
        return False
    return done.returncode == 0 and "install ok installed" in done.stdout


def to_install(
    needs: Sequence[Need],
    on_path: Callable[[str], bool] = lambda c: shutil.which(c) is not None,
    installed: Callable[[str], bool] = dpkg_installed,
) -> tuple[list[str], list[str]]:
    """(packages to install, notes): a need met by a command is skipped; a package that
    would replace an installed one it conflicts with is noted, not installed."""
    packages, notes = [], []
    for need in needs:
        if any(on_path(command) for command in need.commands):
            continue
        clash = [p for p in need.conflicts if installed(p)]
        if clash:
            notes.append(
                f"{need.what}: {need.package} is not installed beside {', '.join(clash)} "
                f"(it would replace it); put {need.commands[0]} on PATH"
            )
            continue
        packages.append(need.package)
    return packages, notes


def main(argv: Sequence[str] | None = None) -> int:
    packages, notes = to_install(NEEDS)
    for note in notes:
        print(f"setup: {note}", file=sys.stderr)
    sys.stdout.write("".join(f"{package}\n" for package in packages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
