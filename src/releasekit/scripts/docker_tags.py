#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = []
# ///
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
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from releasekit.rules.actions import (
    actions_files_problem,
    output_lines,
    write_outputs,
    write_summary,
)
from releasekit.rules.cli import PROG, Parser, fail
from releasekit.rules.refs import (
    checkout_head,
    current_ref,
    git_output,
    ref_kind,
    unmade_tag,
    version_of_tag,
)
from releasekit.rules.repository import repository_of_url
from releasekit.rules.versions import Version

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
