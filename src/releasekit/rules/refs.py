"""Refs and tags: the tag a version gets under TAG_PATTERN, the version a tag names, and which
ref a deploy target is working for."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from releasekit.rules.versions import InvalidVersion, Version


def tag_for(version: str, pattern: str) -> str:
    """The tag for `version` under TAG_PATTERN: the pattern's text before its first `*`, then
    the version's PEP 440 normal form (`v*`, 1.2.3 -> v1.2.3; `pkg-v*` -> pkg-v1.2.3)."""
    return pattern.split("*", 1)[0] + str(Version(version))


def version_of_tag(tag: str, pattern: str) -> Version | None:
    """The version a tag names under TAG_PATTERN; None without the prefix or a PEP 440 rest."""
    prefix = pattern.split("*", 1)[0]
    if not tag.startswith(prefix):
        return None
    try:
        return Version(tag[len(prefix) :])
    except InvalidVersion:
        return None


def ref_kind(ref: str, event_name: str, base_branch: str, pattern: str) -> str:
    """release-tag, base-branch, pull-request or other, for a full git ref."""
    if event_name in ("pull_request", "pull_request_target") or ref.startswith("refs/pull/"):
        return "pull-request"
    if ref.startswith("refs/tags/"):
        name = ref.removeprefix("refs/tags/")
        return "release-tag" if version_of_tag(name, pattern) is not None else "other"
    if ref == f"refs/heads/{base_branch}":
        return "base-branch"
    return "other"


def full_ref(name: str, pattern: str) -> str:
    """A ref given by hand: full refs as they are; a version tag name is a tag; else a branch."""
    if name.startswith("refs/"):
        return name
    if re.fullmatch(r"pr-[0-9]+", name):
        return f"refs/pull/{name[3:]}/merge"
    if version_of_tag(name, pattern) is not None:
        return f"refs/tags/{name}"
    return f"refs/heads/{name}"


def current_ref(
    env: Mapping[str, str], pattern: str, head: Callable[[], tuple[list[str], str]]
) -> str:
    """The full ref being deployed: REF (by hand: it wins), else GITHUB_REF, else
    GITHUB_REF_NAME + GITHUB_REF_TYPE, else the checkout: `head()` gives the tags at HEAD
    and its branch ("" when detached); the highest version tag wins, else the branch."""
    if env.get("REF"):
        return full_ref(env["REF"], pattern)
    if env.get("GITHUB_REF"):
        return env["GITHUB_REF"]
    name, kind = env.get("GITHUB_REF_NAME", ""), env.get("GITHUB_REF_TYPE", "")
    if name and kind in ("tag", "branch"):
        return f"refs/{'tags' if kind == 'tag' else 'heads'}/{name}"
    tags, branch = head()
    versions = [(v, tag) for tag in tags if (v := version_of_tag(tag, pattern)) is not None]
    if versions:
        return f"refs/tags/{max(versions)[1]}"
    return f"refs/heads/{branch}" if branch else "HEAD"


def unmade_tag(env: Mapping[str, str], pattern: str, planning: bool) -> str | None:
    """The one-line refusal for a REF naming a version tag that is not in git, else None.

    Deploy and verify publish or check what a tag released, so it must exist (`REF=v1.3` must
    not publish the 1.3.0 files). A plan may be for a tag not made yet, but only under the
    name the version's tag gets (`v01.3.0.0` is no name `make release-tag` ever makes)."""
    name = env.get("REF", "")
    ref = full_ref(name, pattern) if name else ""
    tag = ref.removeprefix("refs/tags/")
    version = version_of_tag(tag, pattern) if ref.startswith("refs/tags/") else None
    if version is None or git_output(None, "rev-parse", "--verify", "--quiet", ref) is not None:
        return None
    canonical = tag_for(str(version), pattern)
    if planning and tag == canonical:
        return None
    named = f"the tag of {version} is {canonical}" if tag != canonical else "make it first"
    return f"REF={name}: there is no tag {tag} in this repository ({named})"


def release_tag_of(ref: str, pattern: str) -> str | None:
    """The version tag a ref releases, or None: then every deploy target but Docker Hub's
    every-build images skips it (reason: `not a release tag: <ref>`)."""
    kind = ref_kind(ref, os.environ.get("GITHUB_EVENT_NAME", ""), "", pattern)
    return ref.removeprefix("refs/tags/") if kind == "release-tag" else None


def git_output(cwd: Path | None, *args: str) -> str | None:
    """What a read-only git command prints, stripped; None when it fails or git is missing."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def checkout_head(pattern: str, cwd: Path | None = None) -> tuple[list[str], str]:
    """The version-pattern tags at HEAD and the branch checked out ("" when detached)."""
    tags = (git_output(cwd, "tag", "--points-at", "HEAD", "--list", pattern) or "").split()
    return tags, git_output(cwd, "symbolic-ref", "--quiet", "--short", "HEAD") or ""


class LastRelease(NamedTuple):
    """The last release: the highest version tag reachable from the branch being released
    (`tag` None: none is). `elsewhere` is a higher version tag that is not in its history
    (a release made from another branch): named in a warning, never compared with."""

    tag: str | None
    version: Version | None
    elsewhere: str | None = None

    def warning(self, ref: str) -> str | None:
        if self.elsewhere is None:
            return None
        last = f"the last release in its history is {self.tag}" if self.tag else "it has none"
        return f"tag {self.elsewhere} is not in the history of {ref}; {last}"


def last_release(
    tags: Iterable[tuple[str, Version]], reachable: Callable[[str], bool]
) -> LastRelease:
    """One rule for rc, check-changes and release-tag: the highest version among the tags
    `reachable` says are in the branch's history (asked highest first, so a usual repository
    asks once)."""
    elsewhere = None
    for name, version in sorted(tags, key=lambda tag: tag[1], reverse=True):
        if reachable(name):
            return LastRelease(name, version, elsewhere)
        elsewhere = elsewhere or name
    return LastRelease(None, None, elsewhere)
