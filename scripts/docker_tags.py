#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = []
# ///
# Assembled by tools/assemble.py (`make scripts`) from src/releasekit/scripts/docker_tags.py
# and the rule modules it uses: edit those, never this file. Copy this one file to use it
# alone.
"""Compute the image tags (and OCI labels) a git ref publishes, for each configured image.

| ref                              | every-build images      | release-only images |
| -------------------------------- | ----------------------- | ------------------- |
| the base branch                  | unstable                | nothing             |
| vX.Y.Z, the highest release      | vX.Y.Z, vX.Y, latest    | same                |
| a pre-release or dev release     | its own tag only        | same                |
| vX.Y.Z.postN                     | own tag; vX.Y/latest when highest | same      |
| a pull request                   | pr-N, built, never pushed | nothing           |
| another branch, a non-version tag | nothing, and the reason | nothing            |

`vX.Y` and `latest` go to a release only while it is the highest release (PEP 440 order,
pre-releases, dev releases and local versions left out) of its X.Y series and of all the
repository's version tags: patching an old series or re-running an old tag never moves them
back. Standard library only, so the file can be copied alone into any repository.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

# --- releasekit/rules/actions.py (assembled; edit the source) ---------------------------------


def actions_files_problem(env: Mapping[str, str]) -> str | None:
    """Why GITHUB_OUTPUT or GITHUB_STEP_SUMMARY, when set, cannot take appended lines, or None.

    Asked before anything changes, so a step never fails after its work. Creates nothing."""
    for variable in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"):
        value = env.get(variable) or ""
        if not value:
            continue
        path = Path(value).absolute()
        if path.is_symlink() or (path.exists() and not path.is_file()):
            why = "not a regular file"
        elif path.exists():
            try:
                with path.open("a", encoding="utf-8"):  # appends nothing
                    continue
            except OSError as error:
                why = f"cannot be written: {error.strerror}"
        elif not path.parent.is_dir() or not os.access(path.parent, os.W_OK | os.X_OK):
            why = "cannot be created: its folder is missing or not writable"
        else:
            continue
        return f"{variable}={value} is not a writable file: {why}"
    return None


def output_lines(values: Mapping[str, str]) -> str:
    """GITHUB_OUTPUT lines: `name=value`, a multi-line value in GitHub's `name<<DELIMITER` form.

    The delimiter comes from the value (stable across runs) and never occurs in it."""
    text = ""
    for name, value in values.items():
        if "\n" not in value and "\r" not in value:
            text += f"{name}={value}\n"
            continue
        import hashlib  # here: most steps write no multi-line value

        delimiter = f"RELEASEKIT_{hashlib.sha256(value.encode()).hexdigest()[:16]}"
        while delimiter in value:
            delimiter += "_"
        text += f"{name}<<{delimiter}\n{value}\n{delimiter}\n"
    return text


def write_outputs(values: Mapping[str, str]) -> None:
    """Append `values` to $GITHUB_OUTPUT, when set, in one write (steps run side by side)."""
    path = os.environ.get("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as out:  # noqa: PTH123
            out.write(output_lines(values))


def write_summary(markdown: str) -> None:
    """Append `markdown` to $GITHUB_STEP_SUMMARY, when set, in one write."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if path:
        with open(path, "a", encoding="utf-8") as out:  # noqa: PTH123
            out.write(markdown)


# --- end of releasekit/rules/actions.py -------------------------------------------------


# --- releasekit/rules/cli.py (assembled; edit the source) -------------------------------------


# The name every line a script prints starts with: the script's own file name (inlined in
# the script, `__file__` is the script; a copy its user renamed speaks with its new name).
# A step that speaks as its make target names itself (`PROG = "release-tag"`).
PROG = Path(__file__).name  # a script may set its own


def fail(message: str, status: int) -> NoReturn:
    """One line on stderr, `PROG: error: message`, then exit with `status` (2: bad input)."""
    print(f"{PROG}: error: {message}", file=sys.stderr)
    sys.exit(status)


class Parser(argparse.ArgumentParser):
    """argparse, with a bad command line said in one line (exit 2), not the usage block."""

    def error(self, message: str) -> NoReturn:
        fail(message, 2)


# --- end of releasekit/rules/cli.py -----------------------------------------------------


# --- releasekit/rules/versions.py (assembled; edit the source) --------------------------------


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


# --- end of releasekit/rules/versions.py ------------------------------------------------


# --- releasekit/rules/refs.py (assembled; edit the source) ------------------------------------


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


# --- end of releasekit/rules/refs.py ----------------------------------------------------


# --- releasekit/rules/repository.py (assembled; edit the source) ------------------------------


# GitHub's grammar: an owner is a user or organisation login (letters, digits, single
# hyphens; `_` for managed users), a repository name letters, digits, `.`, `_`, `-`.
OWNER_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_]|-(?=[A-Za-z0-9_])){0,38}")

REPO_NAME_RE = re.compile(r"[A-Za-z0-9._-]{1,100}")

# git's scp-like form, [user@]host:path: a colon before any slash, and no scheme.
SCP_URL_RE = re.compile(r"(?:[^@/\s]+@)?([^@/:\s]+):(?!//)(\S*)")

URL_SCHEMES = ("https", "http", "ssh", "git", "git+ssh", "ssh+git")


def valid_repository(value: str) -> bool:
    owner, slash, name = value.partition("/")
    return bool(
        slash
        and OWNER_RE.fullmatch(owner)
        and REPO_NAME_RE.fullmatch(name)
        and name not in (".", "..")
        and not name.endswith(".git")
    )


def repository_of_url(url: str) -> str | None:
    """OWNER/REPO of a remote's URL on GitHub or any GitHub Enterprise host, as `gh` reads it:
    `git@host:o/r.git`, `https://[user:token@]host/o/r[.git][/]`, `ssh://git@host[:22]/o/r.git`.
    None for anything else: a local path, file://, a path of one or three parts. Only the
    path is read, so credentials in the URL never reach the result."""
    scp = SCP_URL_RE.fullmatch(url.strip())
    if scp:
        path = scp[2]
    else:
        try:
            parts = urlsplit(url.strip())
            host = parts.hostname
        except ValueError:  # e.g. a bad [IPv6] host or port
            return None
        if parts.scheme.lower() not in URL_SCHEMES or not host:
            return None
        path = parts.path
    names = path.strip("/").removesuffix(".git").split("/")
    repository = "/".join(names)
    return repository if len(names) == 2 and valid_repository(repository) else None


# --- end of releasekit/rules/repository.py ----------------------------------------------


# --- releasekit/scripts/docker_tags.py: the script's own code ---------------------


EXAMPLE = """\
examples:
  docker_tags.py                                   # the current ref (Actions or local git)
  docker_tags.py --ref refs/tags/v2.4.1 --format json
  docker_tags.py --ref v2.4.1 --version-tags 'v2.4.0 v2.5.0'   # plan, no git needed
  IMAGES_EVERY_BUILD=docker.io/acme/app IMAGES_RELEASE_ONLY=ghcr.io/acme/app docker_tags.py
"""

# The distribution spec's tag grammar.
TAG_GRAMMAR = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
EVERY_BUILD = "every-build"
RELEASE_ONLY = "release-only"

# ---- settings --------------------------------------------------------------------------------


class BadInputError(Exception):
    """Bad input or a refusal: one line, exit status 2."""


@dataclass(frozen=True)
class Settings:
    ref: str
    event_name: str
    base_branch: str
    pattern: str
    version_tags: tuple[str, ...]
    every_build: tuple[str, ...]
    release_only: tuple[str, ...]
    labels: dict[str, str] = field(default_factory=dict)
    output_format: str = "text"


@dataclass(frozen=True)
class ImageTags:
    name: str
    role: str
    tags: tuple[str, ...]

    @property
    def refs(self) -> list[str]:
        return [f"{self.name}:{tag}" for tag in self.tags]


@dataclass(frozen=True)
class Plan:
    ref: str
    kind: str
    version: str
    push: bool
    reason: str
    images: tuple[ImageTags, ...]
    labels: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "kind": self.kind,
            "version": self.version,
            "push": self.push,
            "reason": self.reason,
            "images": [
                {"name": i.name, "role": i.role, "tags": list(i.tags), "refs": i.refs}
                for i in self.images
            ],
            "labels": self.labels,
        }


# ---- the rules -------------------------------------------------------------------------------


def image_tag(name: str) -> str:
    """A registry tag for `name`: a local version's `+` becomes `-`; anything else is refused."""
    mapped = name.replace("+", "-")
    if not TAG_GRAMMAR.fullmatch(mapped):
        raise BadInputError(
            f"refused: {name!r} cannot be a registry tag "
            "(grammar [A-Za-z0-9_][A-Za-z0-9_.-]{0,127})"
        )
    return mapped


def releases_of(tags: Iterable[str], pattern: str) -> list[Version]:
    """The versions of the tags that are releases: no pre, dev or local versions."""
    found = (version_of_tag(tag, pattern) for tag in tags)
    return [v for v in found if v is not None and not v.is_prerelease and not v.is_local]


def release_tags(version: Version, settings: Settings) -> tuple[list[str], str]:
    """The image tags of a version tag, and why."""
    prefix = settings.pattern.split("*", 1)[0]
    own = image_tag(prefix + str(version))
    if version.epoch:
        raise BadInputError(f"refused: {version} has an epoch; registry tags cannot spell it")
    if version.is_prerelease:
        return [own], f"{version} is a pre-release: its own tag only"
    if version.is_local:
        return [own], f"{version} is a local version: its own tag only"
    releases = [*releases_of(settings.version_tags, settings.pattern), version]
    tags = [own]
    notes = []
    series = version.series
    series_tag = image_tag(f"{prefix}{series[1]}.{series[2]}")
    top_of_series = max(v for v in releases if v.series == series)
    if version >= top_of_series:
        tags.append(series_tag)
    else:
        notes.append(f"{series_tag} stays with {prefix}{top_of_series}")
    top = max(releases)
    if version >= top:
        tags.append("latest")
    else:
        notes.append(f"latest stays with {prefix}{top}")
    unique = list(dict.fromkeys(tags))
    if notes:
        return unique, f"{version} is not the highest release: " + "; ".join(notes)
    return unique, f"{version} is the highest release"


def plan(settings: Settings) -> Plan:
    """What the ref publishes, for every configured image."""
    kind = ref_kind(settings.ref, settings.event_name, settings.base_branch, settings.pattern)
    every = settings.every_build
    release_only = settings.release_only
    images: list[ImageTags] = []
    version, push = "", True
    if kind == "release-tag":
        tag_name = settings.ref.removeprefix("refs/tags/")
        parsed = version_of_tag(tag_name, settings.pattern)
        assert parsed is not None
        version = str(parsed)
        tags, reason = release_tags(parsed, settings)
        images = [ImageTags(n, EVERY_BUILD, tuple(tags)) for n in every]
        images += [ImageTags(n, RELEASE_ONLY, tuple(tags)) for n in release_only]
    elif kind == "base-branch":
        version = "unstable"
        images = [ImageTags(n, EVERY_BUILD, ("unstable",)) for n in every]
        images += [ImageTags(n, RELEASE_ONLY, ()) for n in release_only]
        branch = settings.base_branch
        reason = f"push to the base branch {branch}: unstable, every-build images only"
    elif kind == "pull-request":
        match = re.fullmatch(r"refs/pull/([0-9]+)/(merge|head)", settings.ref)
        if not match:
            raise BadInputError(
                f"pull request ref {settings.ref!r} has no number (refs/pull/N/merge)"
            )
        version, push = f"pr-{match[1]}", False
        images = [ImageTags(n, EVERY_BUILD, (version,)) for n in every]
        images += [ImageTags(n, RELEASE_ONLY, ()) for n in release_only]
        reason = f"pull request {match[1]}: built, never pushed"
    else:
        reason = other_reason(settings)
        images = [ImageTags(n, EVERY_BUILD, ()) for n in every]
        images += [ImageTags(n, RELEASE_ONLY, ()) for n in release_only]
    tagged = any(image.tags for image in images)
    if not tagged and kind != "other":
        reason += " (no images configured)"
    return Plan(
        ref=settings.ref,
        kind=kind,
        version=version,
        push=push and tagged,
        reason=reason,
        images=tuple(images),
        labels=labels_for(settings.labels, version),
    )


def other_reason(settings: Settings) -> str:
    ref = settings.ref
    if ref.startswith("refs/tags/"):
        return f"tag {ref.removeprefix('refs/tags/')} is not a version tag ({settings.pattern})"
    if ref.startswith("refs/heads/"):
        branch = ref.removeprefix("refs/heads/")
        return f"branch {branch} is not the base branch {settings.base_branch}"
    return f"ref {ref} is neither the base branch nor a version tag"


def labels_for(base: dict[str, str], version: str) -> dict[str, str]:
    labels = dict(base)
    if version:
        labels["org.opencontainers.image.version"] = version
    return labels


# ---- where the inputs come from --------------------------------------------------------------


def head_of_checkout(pattern: str) -> tuple[list[str], str]:
    """checkout_head(), refused outside a git repository: no ref to plan for."""
    if git_output(None, "rev-parse", "--git-dir") is None:
        raise BadInputError(
            "no ref: pass --ref, or set REF or GITHUB_REF (not in a git repository)"
        )
    return checkout_head(pattern)


def version_tags_from_git(pattern: str) -> tuple[str, ...]:
    if git_output(None, "rev-parse", "--git-dir") is None:
        raise BadInputError("no version tags: pass --version-tags (not in a git repository)")
    if git_output(None, "rev-parse", "--is-shallow-repository") == "true":
        raise BadInputError(
            "shallow clone: its tags are incomplete, so vX.Y/latest could move back; "
            "fetch the history and tags (actions/checkout fetch-depth: 0) or pass --version-tags"
        )
    return tuple((git_output(None, "tag", "--list", pattern) or "").split())


def default_image(env: dict[str, str], host: str) -> tuple[str, ...]:
    """host/<owner>/<name> from GITHUB_REPOSITORY, else from the remote's URL."""
    repository = env.get("GITHUB_REPOSITORY", "")
    if not repository:
        url = git_output(None, "remote", "get-url", "--", env.get("REMOTE") or "origin") or ""
        repository = repository_of_url(url) or ""
    return (f"{host}/{repository.lower()}",) if repository else ()


def _words(text: str) -> tuple[str, ...]:
    """Space or comma separated words; `none` is the empty list."""
    words = tuple(word for word in re.split(r"[\s,]+", text) if word)
    return () if words == ("none",) else words


def _check_image_name(name: str) -> str:
    port = name.split("/", 1)[0].partition(":")[2]
    if port and not (port.isdigit() and 0 < int(port) < 65536):  # urllib would raise on it
        raise BadInputError(f"image {name!r}: port {port!r} is not a number from 1 to 65535")
    if not re.fullmatch(r"[a-z0-9]+(?:[._:-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)+", name):
        raise BadInputError(f"image {name!r} is not host/path in lower case without a tag")
    return name


def settings_from(args: argparse.Namespace, env: dict[str, str]) -> Settings:
    pattern = args.tag_pattern
    if "*" not in pattern:
        raise BadInputError(f"--tag-pattern {pattern!r} has no '*'")
    given = {**env, "REF": args.ref} if args.ref else env
    ref = current_ref(given, pattern, lambda: head_of_checkout(pattern))
    every = _words(args.every_build) if args.every_build is not None else None
    release_only = _words(args.release_only) if args.release_only is not None else None
    if every is None:
        every = default_image(env, "docker.io")
    if release_only is None:
        release_only = default_image(env, "ghcr.io")
    if not every and not release_only and args.every_build is None:
        raise BadInputError(
            "no images: set IMAGES_EVERY_BUILD / IMAGES_RELEASE_ONLY (or GITHUB_REPOSITORY)"
        )
    kind = ref_kind(ref, args.event_name, args.base_branch, pattern)
    if args.version_tags is not None:
        version_tags = _words(args.version_tags)
    elif kind == "release-tag":
        version_tags = version_tags_from_git(pattern)
        unmade = unmade_tag(given, pattern, args.plan)  # a REF naming a tag git does not have
        if unmade:
            raise BadInputError(unmade)
    else:
        version_tags = ()
    labels: dict[str, str] = {}
    if env.get("GITHUB_SERVER_URL") and env.get("GITHUB_REPOSITORY"):
        labels["org.opencontainers.image.source"] = (
            f"{env['GITHUB_SERVER_URL']}/{env['GITHUB_REPOSITORY']}"
        )
    revision = env.get("GITHUB_SHA") or (
        git_output(None, "rev-parse", "HEAD") if not args.ref else None
    )
    if revision:
        labels["org.opencontainers.image.revision"] = revision
    return Settings(
        ref=ref,
        event_name=args.event_name,
        base_branch=args.base_branch,
        pattern=pattern,
        version_tags=version_tags,
        every_build=tuple(_check_image_name(n) for n in every),
        release_only=tuple(_check_image_name(n) for n in release_only),
        labels=labels,
        output_format=args.format,
    )


# ---- output ----------------------------------------------------------------------------------


def outputs(plan_: Plan) -> dict[str, str]:
    refs = [ref for image in plan_.images for ref in image.refs]
    values = {
        "kind": plan_.kind,
        "version": plan_.version,
        "push": "true" if plan_.push else "false",
        "reason": plan_.reason,
        "tags": "\n".join(refs),
        "labels": "\n".join(f"{k}={v}" for k, v in plan_.labels.items()),
        "json": json.dumps(plan_.to_json(), separators=(",", ":")),
    }
    return values


def github_output(plan_: Plan) -> str:
    """The GITHUB_OUTPUT lines of a plan."""
    return output_lines(outputs(plan_))


def render_text(plan_: Plan) -> str:
    refs = [ref for image in plan_.images for ref in image.refs]
    if not refs:
        return f"skip: {plan_.reason}\n"
    head = "" if plan_.push else f"# {plan_.reason}\n"
    return head + "".join(f"{ref}\n" for ref in refs)


def summary(plan_: Plan) -> str:
    rows = "".join(
        f"| `{image.name}` | {image.role} | {', '.join(f'`{t}`' for t in image.tags) or '-'} |\n"
        for image in plan_.images
    )
    table = "| image | role | tags |\n| --- | --- | --- |\n" + rows
    return f"## Image tags for `{plan_.ref}`\n\n{plan_.reason}\n\n{table}\n"


def emit(plan_: Plan, output_format: str) -> None:
    if output_format == "json":
        sys.stdout.write(json.dumps(plan_.to_json(), indent=2) + "\n")
    else:
        sys.stdout.write(render_text(plan_))
    write_outputs(outputs(plan_))
    write_summary(summary(plan_))


# ---- command line ----------------------------------------------------------------------------


def build_parser(env: dict[str, str]) -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG,
        description=__doc__,
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--ref",
        default=env.get("REF") or None,
        help="the ref: refs/tags/v1.2.3, refs/heads/main, refs/pull/42/merge, or a short "
        "name (a version tag name is a tag, pr-N a pull request, else a branch) "
        "(default: $REF, else $GITHUB_REF, else local git: a version tag at HEAD, else the branch)",
    )
    parser.add_argument(
        "--event-name",
        default=env.get("GITHUB_EVENT_NAME", ""),
        help="the Actions event; pull_request makes any ref a pull request "
        "(default: $GITHUB_EVENT_NAME)",
    )
    parser.add_argument(
        "--base-branch",
        default=env.get("BASE_BRANCH") or "main",
        help="the branch whose pushes give `unstable` (default: $BASE_BRANCH, else main)",
    )
    parser.add_argument(
        "--tag-pattern",
        default=env.get("TAG_PATTERN") or "v*",
        help="version tags: literal prefix + '*' (default: $TAG_PATTERN, else 'v*')",
    )
    parser.add_argument(
        "--version-tags",
        default=None,
        metavar="TAGS",
        help="the repository's tags, space or comma separated "
        "(default: `git tag --list PATTERN`; a shallow clone is refused)",
    )
    parser.add_argument(
        "--every-build",
        default=env.get("IMAGES_EVERY_BUILD") or None,
        metavar="IMAGES",
        help="images that get unstable, pull request and release tags; 'none' for none "
        "(default: $IMAGES_EVERY_BUILD, else docker.io/$GITHUB_REPOSITORY, else docker.io/ "
        "+ owner/name of the remote's URL)",
    )
    parser.add_argument(
        "--release-only",
        default=env.get("IMAGES_RELEASE_ONLY") or None,
        metavar="IMAGES",
        help="images that get release tags only; 'none' for none "
        "(default: $IMAGES_RELEASE_ONLY, else ghcr.io/$GITHUB_REPOSITORY, else ghcr.io/ "
        "+ owner/name of the remote's URL)",
    )
    parser.add_argument(
        "--plan",
        action="store_true",
        help="for `make plan`: --ref may name a version tag not made yet (under its own name); "
        "else a version tag must be in git, unless --version-tags stands in for git",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: one image:tag a line, or 'skip: reason'; json: the whole plan "
        "(GITHUB_OUTPUT is written whenever it is set)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    env = dict(os.environ)
    args = build_parser(env).parse_args(argv)
    try:
        problem = actions_files_problem(env)
        if problem:
            raise BadInputError(problem)
        settings = settings_from(args, env)
        result = plan(settings)
    except BadInputError as exc:
        fail(str(exc), 2)
    emit(result, settings.output_format)
    return 0


if __name__ == "__main__":
    sys.exit(main())
