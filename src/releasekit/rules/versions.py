"""Versions: PEP 440, read and ordered as `packaging` does, with the standard library only
(docker_tags.py and push_image.py run on a runner's bare python3); and the forms a release
takes."""

from __future__ import annotations

import re
from typing import Any

# PEP 440's forms in one regular expression, compiled on first use (re caches it): a
# script that reads no version never pays for it.
_VERSION = r"""
    v?
    (?:(?P<epoch>[0-9]+)!)?
    (?P<release>[0-9]+(?:\.[0-9]+)*)
    (?P<pre>[-_.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>[0-9]+)?)?
    (?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?))?
    (?P<dev>[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>[0-9]+)?)?
    (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?
"""
_PRE_LETTERS = {"alpha": "a", "a": "a", "beta": "b", "b": "b", "c": "rc", "pre": "rc"}
_PRE_LETTERS |= {"preview": "rc", "rc": "rc"}
_PRE_RANK = {"a": 0, "b": 1, "rc": 2}

# The versions the kit proposes, accepts and can write with bumpver's pattern
# MAJOR.MINOR.PATCH[PYTAGNUM][.postBUILD], in PEP 440's normalised spelling.
RELEASABLE = re.compile(
    r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"((a|b|rc)(0|[1-9][0-9]*))?(\.post(0|[1-9][0-9]*))?"
)


MAX_LENGTH = 256


class InvalidVersion(ValueError):  # noqa: N818 - the name packaging gives it
    """The text is not a PEP 440 version."""


class Version:
    """A PEP 440 version: `str()` is the normalised form; compares as packaging's Version."""

    __slots__ = ("dev", "epoch", "local", "post", "pre", "release")

    def __init__(self, text: str) -> None:
        if len(text) > MAX_LENGTH:  # int() refuses 4,300 digits and more: no version is so long
            raise InvalidVersion(f"Invalid version: {text[:20]!r}... ({len(text)} characters)")
        parts = text.split(".")
        if all(part.isascii() and part.isdigit() for part in parts):  # X.Y.Z: no regex needed
            self.epoch, self.release = 0, tuple(int(part) for part in parts)
            self.pre = self.post = self.dev = self.local = None
            return
        match = re.fullmatch(_VERSION, text.strip(), re.VERBOSE | re.IGNORECASE)
        if not match:
            raise InvalidVersion(f"Invalid version: {text!r}")
        pre_l, post_n, local = match["pre_l"], match["post_n1"] or match["post_n2"], match["local"]
        self.epoch = int(match["epoch"] or 0)
        self.release = tuple(int(part) for part in match["release"].split("."))
        self.pre = (_PRE_LETTERS[pre_l.lower()], int(match["pre_n"] or 0)) if pre_l else None
        self.post = int(post_n or 0) if match["post"] else None
        self.dev = int(match["dev_n"] or 0) if match["dev"] else None
        self.local = (
            tuple(int(p) if p.isdigit() else p.lower() for p in re.split(r"[-_.]", local))
            if local
            else None
        )

    def __str__(self) -> str:
        text = self.public
        if self.local:
            text += "+" + ".".join(str(part) for part in self.local)
        return text

    def __repr__(self) -> str:
        return f"<Version({str(self)!r})>"

    @property
    def public(self) -> str:
        text = self.base_version
        if self.pre:
            text += f"{self.pre[0]}{self.pre[1]}"
        if self.post is not None:
            text += f".post{self.post}"
        if self.dev is not None:
            text += f".dev{self.dev}"
        return text

    @property
    def base_version(self) -> str:
        epoch = f"{self.epoch}!" if self.epoch else ""
        return epoch + ".".join(str(part) for part in self.release)

    @property
    def is_prerelease(self) -> bool:
        return self.pre is not None or self.dev is not None

    @property
    def is_devrelease(self) -> bool:
        return self.dev is not None

    @property
    def is_postrelease(self) -> bool:
        return self.post is not None

    @property
    def is_local(self) -> bool:
        return self.local is not None

    @property
    def series(self) -> tuple[int, int, int]:
        """(epoch, X, Y): the `vX.Y` a release belongs to."""
        minor = self.release[1] if len(self.release) > 1 else 0
        return (self.epoch, self.release[0], minor)

    def _key(self) -> tuple[Any, ...]:
        release = list(self.release)
        while len(release) > 1 and release[-1] == 0:
            release.pop()
        if self.pre is None and self.post is None and self.dev is not None:
            pre: tuple[int, int] = (-1, 0)  # 1.0.dev0 sorts before 1.0a0
        elif self.pre is None:
            pre = (3, 0)
        else:
            pre = (_PRE_RANK[self.pre[0]], self.pre[1])
        post = -1 if self.post is None else self.post
        dev = (1, 0) if self.dev is None else (0, self.dev)
        local: tuple[Any, ...] = (0,)
        if self.local is not None:
            parts = [(1, p, "") if isinstance(p, int) else (0, 0, p) for p in self.local]
            local = (1, tuple(parts))
        return (self.epoch, tuple(release), pre, post, dev, local)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __lt__(self, other: Version) -> bool:
        return self._key() < other._key()

    def __le__(self, other: Version) -> bool:
        return self._key() <= other._key()

    def __gt__(self, other: Version) -> bool:
        return self._key() > other._key()

    def __ge__(self, other: Version) -> bool:
        return self._key() >= other._key()


def is_releasable(version: str) -> bool:
    """X.Y.Z, optional aN/bN/rcN, optional .postN, normalised: what release-tag can write."""
    return RELEASABLE.fullmatch(version) is not None
