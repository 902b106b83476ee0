#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = ["packaging>=24.2"]
# ///
"""Build the project's image from the built wheel, once, with OCI labels; or push it.

`build`: the build context is a folder under build/ holding only the wheel
from DIST (and the dependency wheels of IMAGE_WHEELHOUSE, for offline builds), never the
source tree. Labels org.opencontainers.image.{version,revision,source,created,title,
description,licenses} come from the wheel's metadata and the ref. The engine is DOCKER.
PLATFORMS with more than one platform: `docker buildx` where it exists (an OCI archive in
build/); otherwise one build per platform with --no-cache (with the cache, podman 4.3 and
dockerd 20.10 reuse the first platform's image for the next one) and a podman manifest
list, or one image per platform on docker. The platforms built are checked against
PLATFORMS. The result is left in the engine's store as IMAGE_LOCAL and described in
build/image.json.

`push DEST`: pushes what `build` left (image, manifest list, per-platform images or the
OCI archive) to the registry reference DEST and prints the pushed manifest's digest.

exit status: 0 done, 1 the engine failed or the result is wrong, 2 bad input
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.message
import email.parser
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from releasekit.rules.actions import actions_files_problem, write_outputs
from releasekit.rules.children import watch_parent
from releasekit.rules.cli import (
    PROG,
    Parser,
    TerminatedError,
    fail,
    missing_dependency,
    unwind_on_sigterm,
    yes_no,
)
from releasekit.rules.commands import FailedError, run
from releasekit.rules.registries import insecure_registries, plain_http
from releasekit.rules.worktree import work_tree_problem

RECORD = Path("build/image.json")
CONTEXT = Path("build/image-context")
# Where the Dockerfile copies the context (`COPY . /tmp/context/`).
CONTEXT_IN_IMAGE = "/tmp/context"  # noqa: S108 (a path inside the image, not on this host)
ARCHIVE = Path("build/image.oci.tar")
PLATFORM_RE = re.compile(r"[a-z0-9]+/[a-z0-9_]+(/[a-z0-9]+)?")


@dataclass(frozen=True)
class BuildSettings:
    root: Path
    engine: str
    dist: Path
    dockerfile: Path
    base_image: str
    platforms: tuple[str, ...]
    local: str  # "" = localhost/<project name>:local
    wheelhouse: Path | None
    pip_options: str  # PIP_INSTALL_OPTIONS for the Dockerfile; "" = its default
    buildx: str  # auto, 0 or 1
    env: Mapping[str, str]


@dataclass(frozen=True)
class PushSettings:
    root: Path
    dest: str
    dry_run: bool
    env: Mapping[str, str]


# ---- small helpers ----------------------------------------------------------------------------


def inside(root: Path, path: Path, what: str) -> Path:
    """`path` resolved; refused when it is a symlink or resolves outside the work tree."""
    problem = work_tree_problem(root, root / path)
    if problem:
        raise FailedError(f"{what} {path} {problem}", 2)
    return (root / path).resolve()


def git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else ""


def write_atomic(path: Path, text: str) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


# ---- what goes into the image and onto it -----------------------------------------------------


def the_wheel(dist: Path) -> Path:
    wheels = sorted(dist.glob("*.whl"))
    if not wheels:
        raise FailedError(f"no wheel in {dist}: run `make build` first", 2)
    if len(wheels) > 1:
        raise FailedError(f"more than one wheel in {dist}: {', '.join(w.name for w in wheels)}", 2)
    return wheels[0]


def wheel_metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        names = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        if len(names) != 1:
            raise FailedError(f"{wheel.name}: no single .dist-info/METADATA", 2)
        text = archive.read(names[0]).decode("utf-8")
    return email.parser.Parser().parsestr(text, headersonly=True)


def source_url(metadata: email.message.Message, env: Mapping[str, str], root: Path) -> str:
    if env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL") or "https://github.com"
        return f"{server}/{env['GITHUB_REPOSITORY']}"
    urls = {}
    for entry in metadata.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        urls[label.strip().lower()] = url.strip()
    for label in ("source", "repository", "source code", "homepage"):
        if urls.get(label):
            return urls[label]
    return git(root, "remote", "get-url", "origin")


def created(env: Mapping[str, str], root: Path) -> str:
    """SOURCE_DATE_EPOCH, else the commit's time: the same commit gives the same image."""
    epoch = env.get("SOURCE_DATE_EPOCH") or git(root, "log", "-1", "--format=%ct")
    when = dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc) if epoch else None
    when = when or dt.datetime.now(dt.timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def labels(wheel: Path, env: Mapping[str, str], root: Path) -> dict[str, str]:
    metadata = wheel_metadata(wheel)
    revision = env.get("GITHUB_SHA") or git(root, "rev-parse", "HEAD")
    values = {
        "version": metadata.get("Version", ""),
        "revision": revision,
        "source": source_url(metadata, env, root),
        "created": created(env, root),
        "title": metadata.get("Name", ""),
        "description": metadata.get("Summary", ""),
        "licenses": spdx_license(metadata),
    }
    # The OCI annotation holds an SPDX expression: none is better than a license's text.
    return {f"org.opencontainers.image.{k}": v for k, v in values.items() if v or k != "licenses"}


def spdx_license(metadata: Mapping[str, str] | email.message.Message) -> str:
    """The wheel's license as an SPDX expression (PEP 639's License-Expression, else a
    License field that is one, canonicalized by packaging), or "" when it has none."""
    expression = (metadata.get("License-Expression") or "").strip()
    text = expression or (metadata.get("License") or "").strip()
    if not text or "\n" in text:
        return ""
    from packaging.licenses import canonicalize_license_expression

    try:
        return str(canonicalize_license_expression(text))
    except ValueError:
        return ""


def local_name(settings: BuildSettings, title: str) -> str:
    if settings.local:
        return settings.local
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "image"
    return f"localhost/{slug}:local"


def label_instruction(tags: Mapping[str, str]) -> str:
    """One LABEL instruction for every label: one build step, whatever the builder."""
    pairs = " \\\n      ".join(
        f"{json.dumps(key)}={json.dumps(' '.join(value.split()))}" for key, value in tags.items()
    )
    return f"LABEL {pairs}\n"


def make_context(settings: BuildSettings, wheel: Path, tags: Mapping[str, str]) -> Path:
    """build/image-context: the Dockerfile with the labels appended, dist/<the wheel> and
    wheels/ (dependency wheels, maybe none). Nothing else from the source tree."""
    context = inside(settings.root, CONTEXT, "the image context")
    shutil.rmtree(context, ignore_errors=True)
    (context / "dist").mkdir(parents=True)
    (context / "wheels").mkdir()
    shutil.copy2(wheel, context / "dist" / wheel.name)
    if settings.wheelhouse:
        for dependency in sorted(settings.wheelhouse.glob("*.whl")):
            shutil.copy2(dependency, context / "wheels" / dependency.name)
    dockerfile = (settings.root / settings.dockerfile).read_text(encoding="utf-8")
    generated = context / "Dockerfile"
    generated.write_text(
        dockerfile.rstrip("\n") + "\n\n# Added by build_image.py\n" + label_instruction(tags),
        encoding="utf-8",
    )
    return context


# ---- building ---------------------------------------------------------------------------------


def has_buildx(settings: BuildSettings) -> bool:
    if settings.buildx in {"0", "1"}:
        return settings.buildx == "1"
    if settings.engine != "docker":
        return False
    probe = subprocess.run(["docker", "buildx", "version"], capture_output=True, check=False)
    return probe.returncode == 0


def build_args(settings: BuildSettings, context: Path) -> list[str]:
    args = ["--file", str(context / "Dockerfile")]
    if settings.base_image:
        args += ["--build-arg", f"BASE_IMAGE={settings.base_image}"]
    if settings.pip_options:
        args += ["--build-arg", f"PIP_INSTALL_OPTIONS={settings.pip_options}"]
    elif settings.wheelhouse:
        # The Dockerfile copies the context to CONTEXT_IN_IMAGE: its wheels/ is there.
        find = f"--find-links={CONTEXT_IN_IMAGE}/wheels"
        args += ["--build-arg", f"PIP_INSTALL_OPTIONS=--no-index {find}"]
    return [*args, str(context)]


def platform_of(engine: str, ref: str) -> str:
    shown = json.loads(run([engine, "image", "inspect", ref], f"{engine} image inspect"))
    found = shown[0] if isinstance(shown, list) else shown
    return platform_string(
        {
            "os": found.get("Os", ""),
            "architecture": found.get("Architecture", ""),
            "variant": found.get("Variant", ""),
        }
    )


def image_id(engine: str, ref: str) -> str:
    return run([engine, "image", "inspect", "--format", "{{.Id}}", ref], f"{engine} image inspect")


def check_labels(engine: str, ref: str, tags: Mapping[str, str]) -> None:
    shown = run(
        [engine, "image", "inspect", "--format", "{{json .Config.Labels}}", ref],
        f"{engine} image inspect",
    )
    found = json.loads(shown or "null") or {}
    wrong = sorted(key for key, value in tags.items() if found.get(key) != " ".join(value.split()))
    if wrong:
        raise FailedError(f"{ref} lacks the labels it was built with: {', '.join(wrong)}")


def check_platforms(wanted: Sequence[str], built: Sequence[str]) -> None:
    if sorted(wanted) != sorted(built):
        raise FailedError(
            f"asked for platforms {', '.join(wanted)} but the build holds {', '.join(built)}"
        )


def build_one(settings: BuildSettings, name: str, context: Path) -> dict[str, Any]:
    platform = settings.platforms[0] if settings.platforms else ""
    command = [settings.engine, "build", "--tag", name]
    if platform:
        command += ["--platform", platform]
    run([*command, *build_args(settings, context)], f"{settings.engine} build")
    built = platform_of(settings.engine, name)
    if platform:
        check_platforms([platform], [built])
    return {"kind": "image", "id": image_id(settings.engine, name), "platforms": [built]}


def build_podman_list(settings: BuildSettings, name: str, context: Path) -> dict[str, Any]:
    subprocess.run(["podman", "manifest", "rm", name], capture_output=True, check=False)
    subprocess.run(["podman", "image", "rm", name], capture_output=True, check=False)
    run(["podman", "manifest", "create", name], "podman manifest create")
    for platform in settings.platforms:
        run(
            [
                "podman",
                "build",
                "--no-cache",
                "--platform",
                platform,
                "--manifest",
                name,
                *build_args(settings, context),
            ],
            f"podman build --platform {platform}",
        )
    listed = json.loads(run(["podman", "manifest", "inspect", name], "podman manifest inspect"))
    built = [platform_string(m.get("platform", {})) for m in listed.get("manifests", [])]
    check_platforms(settings.platforms, built)
    # Each platform's image ID (its config digest): how push_image.py knows the list in a
    # registry, where the list's digest is not the local one (podman rewrites it on push).
    per_platform = {}
    for entry in listed.get("manifests", []):
        ref = f"{without_tag(name)}@{entry.get('digest', '')}"
        config = image_id("podman", ref)  # podman prints it without the algorithm
        platform = platform_string(entry.get("platform", {}))
        per_platform[platform] = {"ref": ref, "id": f"sha256:{config.removeprefix('sha256:')}"}
    return {
        "kind": "list",
        "id": image_id("podman", name),
        "platforms": built,
        "per_platform": per_platform,
    }


def without_tag(name: str) -> str:
    """host[:port]/path of host[:port]/path[:tag]."""
    head, _, tag = name.rpartition(":")
    return head if head and "/" not in tag else name


def build_docker_per_platform(settings: BuildSettings, name: str, context: Path) -> dict[str, Any]:
    per_platform: dict[str, dict[str, str]] = {}
    built = []
    for platform in settings.platforms:
        ref = f"{name}-{platform.replace('/', '-')}"
        run(
            [
                "docker",
                "build",
                "--no-cache",
                "--platform",
                platform,
                "--tag",
                ref,
                *build_args(settings, context),
            ],
            f"docker build --platform {platform}",
        )
        built.append(platform_of("docker", ref))
        per_platform[platform] = {"ref": ref, "id": image_id("docker", ref)}
    check_platforms(settings.platforms, built)
    ids = "".join(sorted(entry["id"] for entry in per_platform.values()))
    return {
        "kind": "per-platform",
        "id": "sha256:" + hashlib.sha256(ids.encode()).hexdigest(),
        "platforms": built,
        "per_platform": per_platform,
    }


def build_buildx(settings: BuildSettings, name: str, context: Path) -> dict[str, Any]:
    archive = inside(settings.root, ARCHIVE, "the OCI archive")
    metadata = archive.with_name("buildx-metadata.json")
    run(
        [
            "docker",
            "buildx",
            "build",
            "--platform",
            ",".join(settings.platforms),
            "--tag",
            name,
            "--output",
            f"type=oci,dest={archive}",
            "--metadata-file",
            str(metadata),
            *build_args(settings, context),
        ],
        "docker buildx build",
    )
    digest = json.loads(metadata.read_text(encoding="utf-8")).get("containerimage.digest", "")
    with_root = archive.relative_to(settings.root)
    return {
        "kind": "oci-archive",
        "id": digest,
        "platforms": list(settings.platforms),
        "archive": str(with_root),
    }


def platform_string(platform: Mapping[str, str]) -> str:
    parts = [platform.get("os", ""), platform.get("architecture", ""), platform.get("variant", "")]
    return "/".join(p for p in parts if p)


def build(settings: BuildSettings) -> dict[str, Any]:
    dist = inside(settings.root, settings.dist, "DIST")
    inside(settings.root, settings.dockerfile, "the Dockerfile")
    if not (settings.root / settings.dockerfile).is_file():
        raise FailedError(f"no Dockerfile at {settings.dockerfile}", 2)
    record_path = inside(settings.root, RECORD, "the image record")
    record_path.parent.mkdir(parents=True, exist_ok=True)
    wheel = the_wheel(dist)
    tags = labels(wheel, settings.env, settings.root)
    name = local_name(settings, tags["org.opencontainers.image.title"])
    context = make_context(settings, wheel, tags)
    if len(settings.platforms) > 1 and has_buildx(settings):
        result = build_buildx(settings, name, context)
    elif len(settings.platforms) > 1 and settings.engine == "podman":
        result = build_podman_list(settings, name, context)
    elif len(settings.platforms) > 1:
        result = build_docker_per_platform(settings, name, context)
    else:
        result = build_one(settings, name, context)
    for ref in [name] if result["kind"] == "image" else []:
        check_labels(settings.engine, ref, tags)
    for entry in result.get("per_platform", {}).values():
        check_labels(settings.engine, entry["ref"], tags)
    record = {
        "local": name,
        "engine": settings.engine,
        **result,
        "version": tags["org.opencontainers.image.version"],
        "revision": tags["org.opencontainers.image.revision"],
        "labels": tags,
    }
    write_atomic(record_path, json.dumps(record, indent=2) + "\n")
    return record


# ---- pushing ----------------------------------------------------------------------------------


def push_commands(record: Mapping[str, Any], dest: str, digest_file: Path) -> list[list[str]]:
    """The commands that put what `build` left at `dest` (a registry reference with a tag).

    The last command writes the pushed manifest's digest to `digest_file`, or prints it.
    """
    engine, name, kind = record["engine"], record["local"], record["kind"]
    loopback = plain_http(
        dest.split("/", 1)[0], insecure_registries(os.environ.get("INSECURE_REGISTRIES"))
    )
    digest = f"--digestfile={digest_file}"
    if kind == "oci-archive":
        tls = ["--dest-tls-verify=false"] if loopback else []
        source = f"oci-archive:{record['archive']}"
        return [["skopeo", "copy", "--all", *tls, digest, source, f"docker://{dest}"]]
    tls = ["--tls-verify=false"] if loopback else []
    if kind == "list":
        return [["podman", "manifest", "push", "--all", *tls, digest, name, f"docker://{dest}"]]
    if engine == "podman":
        return [["podman", "push", "--quiet", *tls, digest, name, f"docker://{dest}"]]
    if kind == "per-platform":
        commands, refs = [], []
        for platform, entry in sorted(record["per_platform"].items()):
            ref = f"{dest}-{platform.replace('/', '-')}"
            commands += [["docker", "tag", entry["ref"], ref], ["docker", "push", "--quiet", ref]]
            refs.append(ref)
        insecure = ["--insecure"] if loopback else []
        return [
            *commands,
            ["docker", "manifest", "create", "--amend", *insecure, dest, *refs],
            ["docker", "manifest", "push", "--purge", *insecure, dest],
        ]
    return [["docker", "tag", name, dest], ["docker", "push", dest]]


DIGEST_RE = re.compile(r"sha256:[0-9a-f]{64}")


def push(settings: PushSettings) -> str:
    record_path = inside(settings.root, RECORD, "the image record")
    if not record_path.is_file():
        raise FailedError(f"no {RECORD}: run `make image` first", 2)
    record = json.loads(record_path.read_text(encoding="utf-8"))
    digest_file = record_path.with_name("pushed-digest")
    digest_file.unlink(missing_ok=True)
    commands = push_commands(record, settings.dest, digest_file)
    if settings.dry_run:
        for command in commands:
            print(f"DRY_RUN: would run: {shlex.join(command)}", file=sys.stderr)
        return ""
    output = ""
    for command in commands:
        output = run(command, " ".join(command[:3]))
    # podman and skopeo write the digest file; `docker push` and `docker manifest push`
    # end their output with the digest.
    text = digest_file.read_text(encoding="utf-8") if digest_file.is_file() else output
    found: list[str] = DIGEST_RE.findall(text)
    if not found:
        raise FailedError(f"pushed {settings.dest} but found no digest in: {text[-200:]!r}")
    return found[-1]


# ---- command line -----------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None, env: Mapping[str, str]) -> argparse.Namespace:
    parser = Parser(
        prog=PROG,
        description=__doc__.split("\n", 1)[0] if __doc__ else None,
        epilog="exit status: 0 done, 1 the engine failed or the result is wrong, 2 bad input",
    )
    try:  # refused before any work: a typo must not decide whether anything is pushed
        dry_run = yes_no("DRY_RUN", env.get("DRY_RUN"))
    except ValueError as bad:
        parser.error(str(bad))
    parser.add_argument("--engine", default=env.get("DOCKER") or "docker", help="$DOCKER")
    commands = parser.add_subparsers(dest="command")
    build_parser = commands.add_parser("build", help="build the image")
    build_parser.add_argument("--dist", default=env.get("DIST") or "dist", help="$DIST")
    build_parser.add_argument(
        "--dockerfile", default=env.get("DOCKERFILE") or "Dockerfile", help="$DOCKERFILE"
    )
    build_parser.add_argument(
        "--base-image",
        default=env.get("BASE_IMAGE") or "",
        help="$BASE_IMAGE (empty: the Dockerfile's default)",
    )
    build_parser.add_argument(
        "--platforms",
        default=env.get("PLATFORMS") or "",
        help="comma-separated, e.g. linux/amd64,linux/arm64 ($PLATFORMS; empty: the engine's)",
    )
    build_parser.add_argument(
        "--local",
        default=env.get("IMAGE_LOCAL") or "",
        help="the name left in the engine's store ($IMAGE_LOCAL; default localhost/NAME:local)",
    )
    build_parser.add_argument(
        "--wheelhouse",
        default=env.get("IMAGE_WHEELHOUSE") or "",
        help="folder of dependency wheels: install offline from it ($IMAGE_WHEELHOUSE)",
    )
    build_parser.add_argument(
        "--pip-options",
        default=env.get("IMAGE_PIP_OPTIONS") or "",
        help="pip install options inside the build, e.g. --no-index ($IMAGE_PIP_OPTIONS)",
    )
    build_parser.add_argument(
        "--buildx",
        choices=("auto", "0", "1"),
        default=env.get("IMAGE_BUILDX") or "auto",
        help="use docker buildx for several platforms ($IMAGE_BUILDX, default auto)",
    )
    push_parser = commands.add_parser("push", help="push what `build` left to DEST")
    push_parser.add_argument("dest", help="registry/repository:tag")
    push_parser.set_defaults(dry_run=dry_run)  # $DRY_RUN
    args = parser.parse_args(argv)
    if args.command is None:
        fail("say what to do: build or push DEST (see --help)", 2)
    return args


def make_build_settings(args: argparse.Namespace, env: Mapping[str, str]) -> BuildSettings:
    if args.engine not in {"docker", "podman"}:
        raise FailedError(f"DOCKER={args.engine!r}: the engine is docker or podman", 2)
    platforms = tuple(p.strip() for p in args.platforms.split(",") if p.strip())
    for platform in platforms:
        if not PLATFORM_RE.fullmatch(platform):
            raise FailedError(f"{platform!r} is not a platform like linux/amd64", 2)
    if len(set(platforms)) != len(platforms):
        raise FailedError(f"PLATFORMS names a platform twice: {args.platforms}", 2)
    root = Path.cwd().resolve()
    wheelhouse = (
        inside(root, Path(args.wheelhouse), "IMAGE_WHEELHOUSE") if args.wheelhouse else None
    )
    return BuildSettings(
        root=root,
        engine=args.engine,
        dist=Path(args.dist),
        dockerfile=Path(args.dockerfile),
        base_image=args.base_image,
        platforms=platforms,
        local=args.local,
        wheelhouse=wheelhouse,
        pip_options=args.pip_options,
        buildx=args.buildx,
        env=env,
    )


def main(argv: Sequence[str] | None = None) -> int:
    env = dict(os.environ)
    args = parse_args(argv, env)
    unwind_on_sigterm()  # the engine or mmdebstrap gets the signal too (rules/children.py)
    watch_parent()  # make gone, even by SIGKILL: the same unwinding
    try:
        if args.command == "push":
            digest = push(PushSettings(Path.cwd().resolve(), args.dest, args.dry_run, env))
            if digest:
                print(digest)
            return 0
        build_settings = make_build_settings(args, env)
        problem = actions_files_problem(env)
        if problem:
            raise FailedError(problem, 2)
        record = build(build_settings)
    except FailedError as failure:
        fail(str(failure), failure.status)
    except ModuleNotFoundError as missing:  # run without its PEP 723 dependencies
        fail(missing_dependency(missing), 1)
    except KeyboardInterrupt:
        fail("interrupted; run it again", 130)
    except TerminatedError:
        fail("terminated; run it again", 143)
    write_outputs(
        {
            "local": record["local"],
            "id": record["id"],
            "platforms": ",".join(record["platforms"]),
        }
    )
    print(f"{PROG}: built {record['local']} ({record['id']}) for {', '.join(record['platforms'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
