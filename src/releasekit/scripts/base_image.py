#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = []
# ///
"""Make a Python base image offline from Debian's packages, once per machine.

`mmdebstrap --variant=minbase --include=python3-minimal,python3-venv` writes a root file
system without docs, man pages or locales to a tarball, which `<engine> import` turns
into an image. The tarball is cached under --cache-dir, named by a key over every input
(suite, packages, architecture, options, mmdebstrap's version), written to a temporary
name and renamed into place, with a lock so that concurrent runs build it once. The image
carries the key as a label; an image with the right key is kept as it is.

Prints the image name; writes `image=NAME` to GITHUB_OUTPUT when set.

exit status: 0 ready, 1 mmdebstrap or the engine failed, 2 bad input
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from releasekit.rules.actions import actions_files_problem, write_outputs
from releasekit.rules.children import watch_parent
from releasekit.rules.cli import PROG, Parser, TerminatedError, fail, unwind_on_sigterm
from releasekit.rules.commands import FailedError, run

KEY_LABEL = "org.releasekit.base-image.key"
# Everything Python needs at run time stays; what only people read goes.
DPKG_OPTIONS = (
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/locale/*",
    "path-exclude=/usr/share/lintian/*",
)
IMAGE_CHANGES = (
    "ENV LANG=C.UTF-8",
    'CMD ["python3"]',
)


@dataclass(frozen=True)
class Settings:
    engine: str
    name: str
    suite: str
    packages: tuple[str, ...]
    mirror: str
    cache_dir: Path
    env: Mapping[str, str]


def architecture() -> str:
    return run(["dpkg", "--print-architecture"], "dpkg --print-architecture")


def cache_key(settings: Settings, arch: str, mmdebstrap_version: str) -> str:
    """The inputs that decide the tarball's content, hashed."""
    inputs = {
        "suite": settings.suite,
        "packages": sorted(settings.packages),
        "mirror": settings.mirror,
        "arch": arch,
        "dpkg": list(DPKG_OPTIONS),
        "changes": list(IMAGE_CHANGES),
        "mmdebstrap": mmdebstrap_version,
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def rootfs_tarball(settings: Settings, key: str, arch: str) -> Path:
    """The cached tarball for `key`, made with mmdebstrap when it is not there yet."""
    tarball = settings.cache_dir / f"{settings.suite}-{arch}-{key}.tar"
    if tarball.is_file():
        return tarball
    partial = tarball.with_name(f"{tarball.name}.{os.getpid()}.partial")
    command = [
        "mmdebstrap",
        "--quiet",
        "--variant=minbase",
        f"--include={','.join(settings.packages)}",
        f"--architectures={arch}",
        *(f"--dpkgopt={option}" for option in DPKG_OPTIONS),
        "--format=tar",
        settings.suite,
        str(partial),
    ]
    if settings.mirror:
        command.append(settings.mirror)
    try:
        run(command, "mmdebstrap")
        partial.replace(tarball)
    finally:
        partial.unlink(missing_ok=True)
    return tarball


def image_key(settings: Settings) -> str | None:
    result = subprocess.run(
        [settings.engine, "image", "inspect", "--format", "{{json .Config.Labels}}", settings.name],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return None
    labels = json.loads(result.stdout or "null") or {}
    key = labels.get(KEY_LABEL)
    return key if isinstance(key, str) else None


def ensure(settings: Settings) -> str:
    """The base image in the engine's store, made or reused; returns its name."""
    for program, package in (("mmdebstrap", "mmdebstrap"), (settings.engine, settings.engine)):
        if shutil.which(program) is None:
            raise FailedError(f"{program} not found: install the Debian package {package}")
    arch = architecture()
    version = run(["mmdebstrap", "--version"], "mmdebstrap --version")
    key = cache_key(settings, arch, version)
    if image_key(settings) == key:
        return settings.name
    settings.cache_dir.mkdir(parents=True, exist_ok=True)
    with locked(settings.cache_dir / f"{key}.lock"):
        tarball = rootfs_tarball(settings, key, arch)
        if image_key(settings) != key:  # another run may have imported it meanwhile
            changes = [*IMAGE_CHANGES, f"LABEL {KEY_LABEL}={key}"]
            run(
                [
                    settings.engine,
                    "import",
                    *(f"--change={change}" for change in changes),
                    str(tarball),
                    settings.name,
                ],
                f"{settings.engine} import",
            )
    return settings.name


# ---- command line -----------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None, env: Mapping[str, str]) -> argparse.Namespace:
    parser = Parser(
        prog=PROG,
        description=__doc__.split("\n", 1)[0] if __doc__ else None,
        epilog="exit status: 0 ready, 1 mmdebstrap or the engine failed, 2 bad input",
    )
    parser.add_argument(
        "--engine", default=env.get("DOCKER") or "docker", help="docker or podman ($DOCKER)"
    )
    parser.add_argument(
        "--name",
        default=env.get("BASE_IMAGE_LOCAL") or "localhost/releasekit-base:python3",
        help="the image's name ($BASE_IMAGE_LOCAL, default localhost/releasekit-base:python3)",
    )
    parser.add_argument(
        "--suite", default=env.get("BASE_SUITE") or "bookworm", help="Debian suite ($BASE_SUITE)"
    )
    parser.add_argument(
        "--packages",
        default=env.get("BASE_PACKAGES") or "python3-minimal,python3-venv",
        help="comma-separated Debian packages ($BASE_PACKAGES)",
    )
    parser.add_argument(
        "--mirror", default=env.get("BASE_MIRROR") or "", help="Debian mirror ($BASE_MIRROR)"
    )
    parser.add_argument(
        "--cache-dir",
        default=env.get("BASE_IMAGE_CACHE") or ".cache/base-image",
        help="where the root file system tarball is kept ($BASE_IMAGE_CACHE)",
    )
    return parser.parse_args(argv)


def make_settings(args: argparse.Namespace, env: Mapping[str, str]) -> Settings:
    packages = tuple(p.strip() for p in args.packages.split(",") if p.strip())
    if not packages:
        raise FailedError("no Debian packages to include", 2)
    if any(not p.replace("-", "").replace(".", "").replace("+", "").isalnum() for p in packages):
        raise FailedError(f"not a list of Debian package names: {args.packages!r}", 2)
    cache_dir = Path(args.cache_dir)
    if cache_dir.is_symlink():
        raise FailedError(f"cache folder {cache_dir} is a symlink", 2)
    return Settings(
        engine=args.engine,
        name=args.name,
        suite=args.suite,
        packages=packages,
        mirror=args.mirror,
        cache_dir=cache_dir,
        env=env,
    )


def main(argv: Sequence[str] | None = None) -> int:
    env = dict(os.environ)
    args = parse_args(argv, env)
    unwind_on_sigterm()  # the engine or mmdebstrap gets the signal too (rules/children.py)
    watch_parent()  # make gone, even by SIGKILL: the same unwinding
    try:
        settings = make_settings(args, env)
        problem = actions_files_problem(env)
        if problem:
            raise FailedError(problem, 2)
        name = ensure(settings)
    except FailedError as failure:
        fail(str(failure), failure.status)
    except KeyboardInterrupt:
        fail("interrupted; run it again", 130)
    except TerminatedError:
        fail("terminated; run it again", 143)
    write_outputs({"image": name})
    print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
