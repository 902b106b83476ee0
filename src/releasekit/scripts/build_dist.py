#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = [
#   "build>=1.0",
#   "packaging>=23.0",
#   "pypi-simple>=1.5",
#   "requests>=2.28",
#   "twine>=5.0",
#   "tomli>=2.0; python_version<'3.11'",
# ]
# ///
"""Build the sdist and the wheel once, check them, and write SHA256SUMS beside them.

Steps, in order; the first that fails stops the run and leaves DIST as it was:

  0. when DIST holds the files SHA256SUMS lists, built from these very inputs (their
     sha256, recorded beside SHA256SUMS), nothing is built: only step 4 runs on them
  1. build the sdist, then the wheel from that sdist (`python -m build`) into a staging
     folder under build/
  2. exactly one sdist and one wheel, of one version
  3. `twine check --strict` on both
  4. on a release tag (TAG_PATTERN + a version), the tag's version, the [tool.bumpver]
     version and the built files' version must be one version
  5. on a release tag, with PYPI_SIMPLE_URL set (in Actions: or the index of
     PYPI_REPOSITORY_URL): a built file that the index already holds with another sha256 is
     refused (a published dist is final)
  6. SHA256SUMS (`<hex>  <name>`, the sha256sum format) written, then the files replace
     the previous sdist, wheel and SHA256SUMS in DIST, with the inputs' sha256 beside them

The ref comes from GITHUB_REF_TYPE/GITHUB_REF_NAME (or GITHUB_REF) when set, else from
local git (a tag at HEAD).

exit status: 0 built, 1 a check failed (nothing in DIST changed), 2 bad input
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from releasekit.rules.actions import (
    actions_files_problem,
    write_outputs,
    write_summary,
)
from releasekit.rules.cli import PROG, Parser, fail, missing_dependency, yes_no
from releasekit.rules.index import IndexReadError, index_digests, simple_url_for
from releasekit.rules.refs import version_of_tag
from releasekit.rules.secrets import without_userinfo
from releasekit.rules.versions import InvalidVersion, Version
from releasekit.rules.worktree import work_tree_problem

SUMS = "SHA256SUMS"
# Beside SHA256SUMS: the sha256 of the inputs DIST was built from. A dot file, so no deploy
# step publishes it (draft_release.py attaches DIST's other files) and actions/upload-artifact
# leaves it out of the `dist` artifact (include-hidden-files is false by default, v4.4.0+).
INPUTS = ".SHA256SUMS.inputs"


class RefusalError(Exception):
    """A named refusal reported in one line; status 1 (check failed) or 2 (bad input)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Settings:
    root: Path  # the work tree: every path read or written stays inside it
    package_dir: Path
    dist: Path
    tag_pattern: str
    isolation: bool
    env: Mapping[str, str]


@dataclass(frozen=True)
class Built:
    version: str
    sdist: Path
    wheel: Path
    rebuilt: bool = True


# ---- the ref --------------------------------------------------------------------------------


def git(*args: str, cwd: Path) -> str | None:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else None


def release_tag(settings: Settings) -> str | None:
    """The version tag being built, or None when the ref is not a release tag."""
    env = settings.env
    if env.get("GITHUB_REF") or env.get("GITHUB_REF_NAME"):
        ref = env.get("GITHUB_REF", "")
        if ref.startswith("refs/tags/"):
            candidates = [ref.removeprefix("refs/tags/")]
        elif env.get("GITHUB_REF_TYPE") == "tag" and env.get("GITHUB_REF_NAME"):
            candidates = [env["GITHUB_REF_NAME"]]
        else:
            candidates = []
    else:
        candidates = (git("tag", "--points-at", "HEAD", cwd=settings.root) or "").split()
    for tag in sorted(candidates):
        if version_of_tag(tag, settings.tag_pattern) is not None:
            return tag
    return None


# ---- reading and checking -------------------------------------------------------------------


def inside(root: Path, path: Path, what: str) -> Path:
    """`path` resolved; refused when it is a symlink or resolves outside the work tree."""
    problem = work_tree_problem(root, root / path)
    if problem == "is a symlink":
        raise RefusalError(f"{what} {path} is a symlink; use a real folder in the work tree", 2)
    if problem:
        raise RefusalError(f"{what} {path} {problem}", 2)
    return (root / path).resolve()


def load_pyproject(package_dir: Path) -> dict[str, object]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    path = package_dir / "pyproject.toml"
    if path.is_symlink() or not path.is_file():
        raise RefusalError(f"{path}: no pyproject.toml (set PACKAGE_DIR to the package folder)", 2)
    try:
        data: dict[str, object] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise RefusalError(f"{path}: unreadable: {error}", 2) from error
    return data


def bumpver_version(pyproject: Mapping[str, object]) -> str | None:
    tool = pyproject.get("tool")
    bumpver = tool.get("bumpver") if isinstance(tool, dict) else None
    current = bumpver.get("current_version") if isinstance(bumpver, dict) else None
    return current if isinstance(current, str) else None


def same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def built_files(staging: Path) -> Built:
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    sdists = sorted(staging.glob("*.tar.gz"))
    wheels = sorted(staging.glob("*.whl"))
    if len(sdists) != 1 or len(wheels) != 1:
        names = ", ".join(p.name for p in sorted(staging.iterdir())) or "nothing"
        raise RefusalError(f"expected one sdist and one wheel, the build wrote: {names}")
    try:
        sdist_version = str(parse_sdist_filename(sdists[0].name)[1])
        wheel_version = str(parse_wheel_filename(wheels[0].name)[1])
    except (InvalidSdistFilename, InvalidWheelFilename) as error:
        raise RefusalError(f"built files are not named by the packaging rules: {error}") from error
    if sdist_version != wheel_version:
        raise RefusalError(
            f"the sdist is version {sdist_version} but the wheel is version {wheel_version}"
        )
    return Built(version=wheel_version, sdist=sdists[0], wheel=wheels[0])


def check_release_versions(tag: str | None, pattern: str, bumpver: str | None, built: str) -> None:
    """On a release tag, the tag, the bumpver version and the built version are one version."""
    if tag is None:
        return
    tagged = version_of_tag(tag, pattern)
    agree = tagged is not None and same_version(str(tagged), built)
    if bumpver is not None:
        agree = agree and same_version(bumpver, built)
    if not agree:
        raise RefusalError(
            f"version mismatch: tag {tag} names {tagged}, [tool.bumpver] current_version is "
            f"{bumpver or 'not set'}, the built files are version {built}; "
            "nothing was written to the dist folder"
        )


def index_url(env: Mapping[str, str]) -> str | None:
    """The simple index a release goes to: PYPI_SIMPLE_URL when set; in Actions, else the one
    PYPI_REPOSITORY_URL's index serves (releasekit.mk's default is PyPI's). Off Actions
    without PYPI_SIMPLE_URL none is read: a laptop's build works offline."""
    simple = env.get("PYPI_SIMPLE_URL") or ""
    in_actions = env.get("GITHUB_ACTIONS") == "true"
    if not simple and in_actions and env.get("PYPI_REPOSITORY_URL"):
        simple = simple_url_for(env["PYPI_REPOSITORY_URL"])
    if not simple:
        return None
    return simple if simple.endswith("/") else simple + "/"


def check_published(env: Mapping[str, str], tag: str | None, built: Built) -> None:
    """On a release tag, a built file the index holds with other bytes is refused: what was
    published is final, and DIST keeps what the index serves."""
    simple = index_url(env)
    if tag is None or simple is None:
        return
    from packaging.utils import parse_wheel_filename

    project = str(parse_wheel_filename(built.wheel.name)[0])
    auth = None
    if env.get("TWINE_USERNAME") and env.get("TWINE_PASSWORD"):
        auth = (env["TWINE_USERNAME"], env["TWINE_PASSWORD"])
    try:
        published = index_digests(simple, project, auth)
    except IndexReadError as error:
        shown = without_userinfo(str(error))
        raise RefusalError(f"{shown}; cannot check {tag} against what was published") from None
    for path in (built.sdist, built.wheel):
        there = published.get(path.name)
        ours = hashlib.sha256(path.read_bytes()).hexdigest()
        if there is not None and (there[0] or "").lower() != ours:
            raise RefusalError(
                f"{path.name} is published with another sha256 ({(there[0] or 'none')[:12]}..., "
                f"this build {ours[:12]}...): a published dist is final; DIST is unchanged"
            )


def run_step(
    command: Sequence[str], cwd: Path, what: str, env: Mapping[str, str] | None = None
) -> None:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise RefusalError(f"{what} failed (exit {result.returncode}); its output is above")


def sha256sums(files: Sequence[Path]) -> str:
    lines = []
    for path in files:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.name}\n")
    return "".join(lines)


def replace_dist(dist: Path, new: Sequence[Path]) -> list[Path]:
    """Put the new files in DIST in place of the previous sdist, wheel and SHA256SUMS."""
    dist.mkdir(parents=True, exist_ok=True)
    for old in [*dist.glob("*.tar.gz"), *dist.glob("*.whl"), dist / SUMS, dist / INPUTS]:
        if old.is_file() or old.is_symlink():
            old.unlink()
    placed = []
    for path in new:
        target = dist / path.name
        shutil.move(str(path), target)
        placed.append(target)
    return placed


def inputs_digest(settings: Settings, package_dir: Path, dist: Path) -> str | None:
    """The sha256 of what a build reads: each file of the package folder that git knows or
    would add (DIST and build/ aside), by name and content, the commit and the tags at it
    (setuptools_scm and hatch-vcs take the version from them) and the isolation setting.
    None outside a git checkout: then every run builds."""
    root = settings.root
    command = ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    listed = subprocess.run(
        [*command, "--", str(package_dir)],
        cwd=root,
        capture_output=True,
        check=False,
    )
    head = git("rev-parse", "HEAD", cwd=root)
    if listed.returncode != 0 or head is None:
        return None
    digest = hashlib.sha256()
    outputs = (dist, root / "build")
    for name in sorted({os.fsdecode(n) for n in listed.stdout.split(b"\0") if n}):
        path = root / name
        if any(path == out or out in path.parents for out in outputs):
            continue
        if path.is_symlink():
            content = f"link {path.readlink()}"
        elif path.is_file():
            content = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            content = "missing"
        digest.update(f"{name}\0{content}\n".encode())
    tags = " ".join(sorted((git("tag", "--points-at", "HEAD", cwd=root) or "").split()))
    digest.update(f"HEAD {head}\ntags {tags}\nisolation {settings.isolation}\n".encode())
    return digest.hexdigest()


def unchanged_build(dist: Path, digest: str | None) -> Built | None:
    """DIST's files when they were built from these very inputs and are what SHA256SUMS says."""
    record, sums = dist / INPUTS, dist / SUMS
    if digest is None or not record.is_file() or not sums.is_file():
        return None
    if record.read_text(encoding="utf-8").strip() != digest:
        return None
    listed: dict[str, str] = {}
    for line in sums.read_text(encoding="utf-8").splitlines():
        hexdigest, _, name = line.partition("  ")
        listed[name] = hexdigest
    present = [p for p in dist.iterdir() if p.name.endswith((".tar.gz", ".whl"))]
    if sorted(p.name for p in present) != sorted(listed):
        return None
    for path in present:
        if path.is_symlink() or hashlib.sha256(path.read_bytes()).hexdigest() != listed[path.name]:
            return None
    try:
        found = built_files(dist)
    except RefusalError:
        return None
    return Built(found.version, found.sdist, found.wheel, rebuilt=False)


def report(built: Built, dist: Path, root: Path) -> None:
    write_outputs(
        {
            "version": built.version,
            "sdist": str((dist / built.sdist.name).relative_to(root)),
            "wheel": str((dist / built.wheel.name).relative_to(root)),
        }
    )
    write_summary(
        f"### Built {built.version}\n\n| file | sha256 |\n| --- | --- |\n"
        + "".join(
            f"| `{name}` | `{digest}` |\n"
            for digest, name in (
                line.split("  ", 1)
                for line in (dist / SUMS).read_text(encoding="utf-8").splitlines()
            )
        )
    )


# ---- the core ---------------------------------------------------------------------------------


def build_env(settings: Settings) -> dict[str, str]:
    """The build's environment: SOURCE_DATE_EPOCH is the commit's time unless set, so the
    backends that honour it (setuptools, flit_core, hatchling: file times in the wheel and
    the sdist) write the same bytes for the same commit, whenever it is built."""
    epoch = settings.env.get("SOURCE_DATE_EPOCH") or git(
        "log", "-1", "--format=%ct", cwd=settings.root
    )
    return {**os.environ, **({"SOURCE_DATE_EPOCH": epoch} if epoch else {})}


def build(settings: Settings) -> Built:
    root = settings.root
    package_dir = inside(root, settings.package_dir, "PACKAGE_DIR")
    dist = inside(root, settings.dist, "DIST")
    pyproject = load_pyproject(package_dir)
    problem = actions_files_problem(settings.env)
    if problem:
        raise RefusalError(problem, 2)
    for module in ("build", "twine"):  # run with `python -m` below: a missing one fails first
        if importlib.util.find_spec(module) is None:
            raise ModuleNotFoundError(f"No module named {module!r}", name=module)
    tag = release_tag(settings)
    digest = inputs_digest(settings, package_dir, dist)
    unchanged = unchanged_build(dist, digest)
    if unchanged is not None:
        check_release_versions(
            tag, settings.tag_pattern, bumpver_version(pyproject), unchanged.version
        )
        report(unchanged, dist, root)
        return unchanged
    scratch = inside(root, Path("build"), "the build folder")
    scratch.mkdir(exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="dist-", dir=scratch))
    try:
        command = [sys.executable, "-m", "build", "--outdir", str(staging), str(package_dir)]
        if not settings.isolation:
            command.insert(3, "--no-isolation")
        run_step(command, root, "python -m build", build_env(settings))
        built = built_files(staging)
        run_step(
            [
                sys.executable,
                "-m",
                "twine",
                "check",
                "--strict",
                str(built.sdist),
                str(built.wheel),
            ],
            root,
            "twine check --strict",
        )
        check_release_versions(tag, settings.tag_pattern, bumpver_version(pyproject), built.version)
        check_published(settings.env, tag, built)
        sums = staging / SUMS
        sums.write_text(sha256sums([built.sdist, built.wheel]), encoding="utf-8")
        sdist, wheel, _ = replace_dist(dist, [built.sdist, built.wheel, sums])
        if digest is not None:
            (dist / INPUTS).write_text(digest + "\n", encoding="utf-8")
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    placed = Built(version=built.version, sdist=sdist, wheel=wheel)
    report(placed, dist, root)
    return placed


# ---- command line -----------------------------------------------------------------------------


def kit_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("releasekit")
    except PackageNotFoundError:
        return "unknown"


def parse_args(argv: Sequence[str] | None, env: Mapping[str, str]) -> argparse.Namespace:
    parser = Parser(
        prog=PROG,
        description=__doc__.split("\n", 1)[0] if __doc__ else None,
        epilog="exit status: 0 built, 1 a check failed (DIST unchanged), 2 bad input",
    )
    try:  # refused before any work
        no_isolation = yes_no("BUILD_NO_ISOLATION", env.get("BUILD_NO_ISOLATION"))
    except ValueError as bad:
        parser.error(str(bad))
    parser.add_argument(
        "--package-dir",
        default=env.get("PACKAGE_DIR") or ".",
        help="the package folder, holding pyproject.toml (default: $PACKAGE_DIR or .)",
    )
    parser.add_argument(
        "--dist", default=env.get("DIST") or "dist", help="output folder (default: $DIST or dist)"
    )
    parser.add_argument(
        "--tag-pattern",
        default=env.get("TAG_PATTERN") or "v*",
        help="release tags: a literal prefix then * (default: $TAG_PATTERN or v*)",
    )
    parser.add_argument(
        "--no-isolation",
        action="store_true",
        default=no_isolation,
        help="build with the installed build backend (default: $BUILD_NO_ISOLATION)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {kit_version()}")
    return parser.parse_args(argv)


def make_settings(args: argparse.Namespace, env: Mapping[str, str]) -> Settings:
    if "*" not in args.tag_pattern:
        raise RefusalError(f"tag pattern {args.tag_pattern!r} has no '*' for the version", 2)
    return Settings(
        root=Path.cwd().resolve(),
        package_dir=Path(args.package_dir),
        dist=Path(args.dist),
        tag_pattern=args.tag_pattern,
        isolation=not args.no_isolation,
        env=env,
    )


def main(argv: Sequence[str] | None = None) -> int:
    env = dict(os.environ)
    args = parse_args(argv, env)
    try:
        built = build(make_settings(args, env))
    except RefusalError as refusal:
        fail(str(refusal), refusal.status)
    except ModuleNotFoundError as missing:  # run without its PEP 723 dependencies
        fail(missing_dependency(missing), 1)
    except KeyboardInterrupt:
        fail("interrupted", 1)
    if not built.rebuilt:
        print(f"{PROG}: {built.version} is built from these very inputs: nothing to build")
        return 0
    print(f"{PROG}: built {built.version}: {built.sdist.name}, {built.wheel.name}, {SUMS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
