"""dist/ as a manifest: SHA256SUMS lists exactly what is published.

`make build` writes the wheel(s), the sdist and SHA256SUMS together. A deploy publishes the
files SHA256SUMS lists and nothing else: a wheel or sdist it does not list, a listed file
that is missing, a symlink or no regular file, or one whose bytes differ, is refused (exit 2)
before anything is published. A stray file (a debug log, say) is never published."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

SUMS_NAME = "SHA256SUMS"
DIST_SUFFIXES = (".whl", ".tar.gz", ".zip")
_SUM_LINE = re.compile(r"([0-9a-fA-F]{64}) [ *](.+)")


class ManifestError(Exception):
    """dist/ is not what SHA256SUMS says: one line, exit 2."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_sums(dist: Path) -> dict[str, str]:
    """SHA256SUMS as {file name: hex}; `sha256sum` format, binary marker allowed."""
    path = dist / SUMS_NAME
    if path.is_symlink() or not path.is_file():
        raise ManifestError(f"{path}: missing; 'make build' writes it with the dists")
    sums: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        match = _SUM_LINE.fullmatch(line.strip())
        if not match:
            if line.strip():
                raise ManifestError(f"{path}:{number}: not '<sha256>  <file>'")
            continue
        name = match.group(2)
        if "/" in name or name.startswith(".") or name == SUMS_NAME:
            raise ManifestError(f"{path}:{number}: {name!r} is not a file name in {dist}")
        sums[name] = match.group(1).lower()
    return sums


def manifest(dist: Path) -> list[Path]:
    """The files to publish: those SHA256SUMS lists, each checked; refuse anything else."""
    if dist.is_symlink() or not dist.is_dir():
        raise ManifestError(f"{dist}: no such folder; run 'make build' first")
    sums = read_sums(dist)
    if not sums:
        raise ManifestError(f"{dist / SUMS_NAME} lists no file; run 'make build'")
    for path in sorted(dist.iterdir()):
        if path.name.endswith(DIST_SUFFIXES) and path.name not in sums:
            raise ManifestError(f"{path} is not listed in {SUMS_NAME}; rebuild dist/")
    files = []
    for name, hexdigest in sorted(sums.items()):
        path = dist / name
        if path.is_symlink() or not path.is_file():
            what = "a symlink" if path.is_symlink() else "no file" if path.exists() else "missing"
            raise ManifestError(f"{path} is listed in {SUMS_NAME} but is {what}")
        if file_sha256(path) != hexdigest:
            raise ManifestError(f"{path} does not match {SUMS_NAME}; rebuild dist/")
        files.append(path)
    return files
