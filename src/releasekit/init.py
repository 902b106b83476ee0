#!/usr/bin/env python3
"""releasekit init: bring the release train into a project, or upgrade the kit's files in it.

Runs from the wheel (`releasekit init DIR`) or from a kit checkout
(`python3 src/releasekit/init.py init DIR`): standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10 reads TOML with the tomli backport
    import tomli as tomllib

PROG = "releasekit"
MANIFEST = ".releasekit.json"
NEW_SUFFIX = ".releasekit-new"
FRAGMENT = "releasekit.mk"
# What the scripts need, pinned with hashes: the workflows and `make releasekit-deps` install it.
REQUIREMENTS = "requirements/release.txt"
INCLUDE_LINE = f"include {FRAGMENT}"
WORKFLOWS = ("rc.yml", "rt.yml", "ci.yml")
# bin/ steps that develop the kit itself and are no part of the train a project adopts.
KIT_ONLY_BIN = frozenset({"setup", "demo"})
# The package's own modules, which the wheel ships beside the scripts.
PACKAGE_MODULES = frozenset({"__init__.py", "init.py"})
DOCS_URL = "https://github.com/releasekit/releasekit/blob/main/docs"  # the kit's published docs
CHANGES_CANDIDATES = ("CHANGES.rst", "CHANGELOG.rst", "HISTORY.rst")

EXAMPLE = f"""\
examples:
  releasekit init                 # adopt the train in the current project
  releasekit init ../myproject --package-dir packages/core
  releasekit init --dry-run       # print what it would write, write nothing

What init writes, and never over a file the project has:
  {FRAGMENT}, bin/ (the steps), scripts/ (the standalone scripts),
  .github/workflows/{{rc,rt,ci}}.yml, {MANIFEST} (the hashes of what it wrote),
  a [tool.releasekit] table (and a proposed [tool.bumpver] table) in pyproject.toml.
Run it again after upgrading releasekit: files the project did not edit are upgraded,
edited ones are kept and listed, with the kit's version beside them as FILE{NEW_SUFFIX}.

exit status: 0 ok, 1 failed, 2 bad input (no such folder, not a project)
"""


class BadInputError(Exception):
    """Input init cannot work with: exit 2 with one line."""


@dataclass(frozen=True)
class Settings:
    project: Path
    package_dir: str
    base_branch: str | None
    tag_pattern: str
    dry_run: bool


@dataclass(frozen=True)
class KitFile:
    """One file the kit writes: where it goes in the project and its content."""

    dest: str
    content: bytes
    executable: bool


@dataclass
class Report:
    lines: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, action: str, path: str, why: str = "") -> None:
        self.lines.append((action, path, why))

    def actions(self, action: str) -> list[str]:
        return [path for act, path, _ in self.lines if act == action]


# ---- the kit's files -------------------------------------------------------------------------


@dataclass(frozen=True)
class KitSource:
    """Where the kit's files are: a checkout of the kit, or the copy the wheel ships."""

    fragment: Path
    bin: Path
    scripts: Path
    workflows: Path
    requirements: Path
    version: str


def kit_source() -> KitSource:
    """The checkout this module sits in, else the copy of the kit the wheel ships beside it."""
    here = Path(__file__).resolve().parent
    match = re.search(r'^__version__ = "([^"]+)"', (here / "__init__.py").read_text("utf-8"), re.M)
    version = match.group(1) if match else "unknown"
    checkout = here.parents[1]
    if (checkout / FRAGMENT).is_file() and (checkout / "scripts").is_dir():
        return KitSource(
            checkout / FRAGMENT,
            checkout / "bin",
            checkout / "scripts",
            checkout / ".github" / "workflows",
            checkout / REQUIREMENTS,
            version,
        )
    shipped = here / "kit"
    if (shipped / FRAGMENT).is_file():
        return KitSource(
            shipped / FRAGMENT,
            shipped / "bin",
            here,
            shipped / "workflows",
            shipped / REQUIREMENTS,
            version,
        )
    raise BadInputError(f"cannot find the kit's files beside {here}")


# Steps that develop the kit itself (its suite needs root for its peers; `make setup` installs
# the kit's dev tools): in a project they run the project's own targets. Whole lines only.
KIT_ONLY_RUN = {
    "run: sudo --preserve-env=PATH,CI,GITHUB_ACTIONS bash .ci/run": "run: make check test",
    "run: sudo --preserve-env=PATH,CI,GITHUB_ACTIONS make setup test": "run: make test",
    "run: make setup": "run: make releasekit-deps",
}


def render_workflow(text: str, base_branch: str, tag_pattern: str) -> str:
    """The kit's workflow with the project's base branch and tag pattern in its triggers."""
    for kit_only, project in KIT_ONLY_RUN.items():
        text = re.sub(rf"(?m)^(\s*){re.escape(kit_only)}$", rf"\g<1>{project}", text)
    text = text.replace("branches: [main]", f"branches: [{base_branch}]")
    text = text.replace("refs/heads/main", f"refs/heads/{base_branch}")
    return text.replace('tags: ["v*"]', f"tags: [{json.dumps(tag_pattern)}]")


def kit_files(kit: KitSource, base_branch: str, tag_pattern: str) -> list[KitFile]:
    files = [KitFile(FRAGMENT, kit.fragment.read_bytes(), False)]
    for step in sorted(kit.bin.iterdir()):
        if step.is_file() and step.name not in KIT_ONLY_BIN:
            files.append(KitFile(f"bin/{step.name}", step.read_bytes(), step.name != "lib.sh"))
    for script in sorted(kit.scripts.glob("*.py")):
        if script.name not in PACKAGE_MODULES:
            files.append(KitFile(f"scripts/{script.name}", script.read_bytes(), True))
    files.append(KitFile(REQUIREMENTS, kit.requirements.read_bytes(), False))
    for name in WORKFLOWS:
        text = (kit.workflows / name).read_text(encoding="utf-8")
        rendered = render_workflow(text, base_branch, tag_pattern).encode()
        files.append(KitFile(f".github/workflows/{name}", rendered, False))
    return files


# ---- the project -----------------------------------------------------------------------------


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def git(project: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *args], cwd=project, capture_output=True, text=True, check=False
    )
    return result.stdout.strip() if result.returncode == 0 else ""


def default_branch(project: Path) -> str:
    remote_head = git(project, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
    if remote_head.startswith("origin/"):
        return remote_head.removeprefix("origin/")
    return git(project, "symbolic-ref", "--quiet", "--short", "HEAD") or "main"


def owner_and_name(project: Path, fallback: str) -> tuple[str, str]:
    """owner/name from origin's URL (github.com/owner/name.git), else the project's name."""
    url = git(project, "remote", "get-url", "origin")
    match = re.search(r"[:/]([\w.-]+)/([\w.-]+?)(?:\.git)?/?$", url)
    if match and "." not in match.group(1):
        return match.group(1).lower(), match.group(2).lower()
    return fallback, fallback


def load_toml(path: Path) -> dict[str, object]:
    if not path.is_file():
        return {}
    try:
        data: dict[str, object] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise BadInputError(f"cannot read {path}: {error}") from error
    return data


def tool_table(data: dict[str, object], name: str) -> object:
    tool = data.get("tool")
    return tool.get(name) if isinstance(tool, dict) else None


def project_name(package: Path, data: dict[str, object]) -> str:
    project = data.get("project")
    if isinstance(project, dict) and isinstance(project.get("name"), str):
        return str(project["name"])
    setup = package / "setup.py"
    if setup.is_file():
        match = re.search(r"name\s*=\s*['\"]([^'\"]+)['\"]", setup.read_text(encoding="utf-8"))
        if match:
            return match.group(1)
    return package.resolve().name


def changes_path(package: Path) -> str:
    """The notes file, relative to the package's folder (as CHANGES is)."""
    for name in CHANGES_CANDIDATES:
        if (package / name).is_file():
            return name
    return CHANGES_CANDIDATES[0]


def releasekit_table(settings: Settings, base_branch: str, name: str) -> str:
    owner, repo = owner_and_name(settings.project, re.sub(r"[^a-z0-9-]+", "-", name.lower()))
    changes = changes_path(settings.project / settings.package_dir)
    lines = [
        "",
        "# The release train (releasekit): what varies per project. Make variables and the",
        "# environment override each key; see the kit's docs/configuration.md.",
        "[tool.releasekit]",
        f"base-branch = {json.dumps(base_branch)}",
        f"tag-pattern = {json.dumps(settings.tag_pattern)}",
        f"package-dir = {json.dumps(settings.package_dir)}",
        f"changes-file = {json.dumps(changes)}",
        f'images-every-build = ["docker.io/{owner}/{repo}"]',
        f'images-release-only = ["ghcr.io/{owner}/{repo}"]',
    ]
    return "\n".join(lines) + "\n"


def version_files(package: Path, data: dict[str, object]) -> dict[str, list[str]]:
    """{file: [bumpver patterns]} for each file of the package that spells its version."""
    found: dict[str, list[str]] = {}
    project = data.get("project")
    if isinstance(project, dict) and isinstance(project.get("version"), str):
        found["pyproject.toml"] = ['^version = "{pep440_version}"']
    setup = package / "setup.py"
    if setup.is_file():
        match = re.search(r"""(version\s*=\s*)(['"])[^'"]+\2""", setup.read_text(encoding="utf-8"))
        if match:
            quote = match.group(2)
            found["setup.py"] = [f"{match.group(1)}{quote}{{pep440_version}}{quote}"]
    for init in sorted(package.glob("*/__init__.py")) + sorted(package.glob("src/*/__init__.py")):
        text = init.read_text(encoding="utf-8")
        if re.search(r'^__version__ = "[^"]+"', text, re.M):
            found[init.relative_to(package).as_posix()] = ['^__version__ = "{pep440_version}"']
    return found


def current_version(package: Path, data: dict[str, object]) -> str:
    project = data.get("project")
    if isinstance(project, dict) and isinstance(project.get("version"), str):
        return str(project["version"])
    for path in [package / "setup.py", *package.glob("*/__init__.py"), *package.glob("src/*/*.py")]:
        if path.is_file():
            match = re.search(
                r"""(?:version|__version__)\s*=\s*['"]([^'"]+)['"]""",
                path.read_text(encoding="utf-8"),
            )
            if match:
                return match.group(1)
    return "0.0.0"


def bumpver_table(package: Path, data: dict[str, object]) -> str:
    """A proposed [tool.bumpver]: the kit's version pattern and the files that hold a version."""
    files = version_files(package, data)
    files.setdefault("pyproject.toml", []).append('^current_version = "{version}"')
    patterns = [f"{json.dumps(name)} = {json.dumps(lines)}" for name, lines in files.items()]
    lines = [
        "",
        "# Proposed by `releasekit init`: `make release-tag` rewrites these files with bumpver.",
        "# Check the file patterns: each must match the line that holds the version.",
        "[tool.bumpver]",
        f'current_version = "{current_version(package, data)}"',
        'version_pattern = "MAJOR.MINOR.PATCH[PYTAGNUM][.postBUILD]"',
        'commit_message = "chore(ver): bump {old_version} -> {new_version}"',
        'tag_message = "Automated release {new_version}"',
        "commit = false",
        "tag = false",
        "push = false",
        "",
        "[tool.bumpver.file_patterns]",
        *patterns,
    ]
    return "\n".join(lines) + "\n"


# ---- writing ---------------------------------------------------------------------------------


def read_manifest(project: Path) -> dict[str, str]:
    path = project / MANIFEST
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = data["files"]
    except (ValueError, KeyError, TypeError) as error:
        raise BadInputError(f"{path} is not a releasekit manifest: {error}") from error
    if not isinstance(files, dict):
        raise BadInputError(f"{path} is not a releasekit manifest: 'files' is not a table")
    return {str(k): str(v) for k, v in files.items()}


def safe_target(project: Path, dest: str) -> Path:
    """The path inside the project; a symlink or anything resolving outside it is refused."""
    target = project / dest
    for parent in [target, *target.parents]:
        if parent == project:
            break
        if parent.is_symlink():
            raise BadInputError(f"{dest}: {parent.relative_to(project)} is a symlink; refusing")
    if not target.resolve().is_relative_to(project.resolve()):
        raise BadInputError(f"{dest} resolves outside {project}; refusing")
    return target


def write(target: Path, content: bytes, executable: bool, dry_run: bool) -> None:
    if dry_run:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    if executable:
        target.chmod(0o755)


def place(settings: Settings, kit: KitFile, manifest: dict[str, str], report: Report) -> str | None:
    """Write, upgrade or keep one kit file; return the hash the manifest records for it."""
    target = safe_target(settings.project, kit.dest)
    new = sha256(kit.content)
    base = manifest.get(kit.dest)
    beside = safe_target(settings.project, kit.dest + NEW_SUFFIX)
    if not target.exists():
        if base is not None:
            report.add("kept", kit.dest, "deleted by the project: not written again")
            return base
        write(target, kit.content, kit.executable, settings.dry_run)
        report.add("wrote", kit.dest)
        return new
    if not target.is_file():
        raise BadInputError(f"{kit.dest} exists and is not a regular file")
    current = sha256(target.read_bytes())
    if current == new:
        report.add("same", kit.dest)
        if beside.is_file() and not settings.dry_run:
            beside.unlink()
        return new
    if base is not None and current == base:
        write(target, kit.content, kit.executable, settings.dry_run)
        report.add("upgraded", kit.dest)
        return new
    why = "edited since the kit wrote it" if base else "the project's own file"
    write(beside, kit.content, False, settings.dry_run)
    report.add("kept", kit.dest, f"{why}; the kit's version is in {kit.dest}{NEW_SUFFIX}")
    return base


def append_table(path: Path, text: str, dry_run: bool) -> None:
    if dry_run:
        return
    old = path.read_bytes() if path.is_file() else b""
    sep = b"" if not old or old.endswith(b"\n") else b"\n"
    path.write_bytes(old + sep + text.lstrip("\n" if not old else "").encode())


def configure(settings: Settings, base_branch: str, report: Report) -> None:
    """[tool.releasekit] and, where none exists, a proposed [tool.bumpver] in pyproject.toml."""
    root_pyproject = safe_target(settings.project, "pyproject.toml")
    package = settings.project / settings.package_dir
    package_pyproject = safe_target(settings.project, f"{settings.package_dir}/pyproject.toml")
    package_data = load_toml(package_pyproject)
    if tool_table(load_toml(root_pyproject), "releasekit") is None:
        name = project_name(package, package_data)
        table = releasekit_table(settings, base_branch, name)
        action = "appended" if root_pyproject.is_file() else "wrote"
        append_table(root_pyproject, table, settings.dry_run)
        report.add(action, "pyproject.toml", "[tool.releasekit]")
        if package_pyproject == root_pyproject:
            package_data = load_toml(root_pyproject) if not settings.dry_run else package_data
    else:
        report.add("same", "pyproject.toml", "[tool.releasekit] is there")
    if tool_table(package_data, "bumpver") is not None or (package / "bumpver.toml").is_file():
        return
    table = bumpver_table(package, package_data)
    action = "appended" if package_pyproject.is_file() else "wrote"
    append_table(package_pyproject, table, settings.dry_run)
    rel = package_pyproject.relative_to(settings.project).as_posix()
    report.add(action, rel, "a proposed [tool.bumpver]: check its file patterns")


def makefile(settings: Settings, manifest: dict[str, str], report: Report) -> str | None:
    """A new Makefile that includes the fragment, or the line to add to the project's own."""
    for name in ("GNUmakefile", "makefile", "Makefile"):
        path = safe_target(settings.project, name)
        if path.is_file() and name not in manifest:
            text = path.read_text(encoding="utf-8", errors="replace")
            if re.search(rf"^\s*-?include\s+{re.escape(FRAGMENT)}\s*$", text, re.M):
                report.add("same", name, f"already has '{INCLUDE_LINE}'")
            else:
                report.add("kept", name, f"add this line at its end: {INCLUDE_LINE}")
            return None
    content = (
        "# The release train: `make` lists its targets. Add the project's own targets below.\n"
        f"{INCLUDE_LINE}\n"
    ).encode()
    return place(settings, KitFile("Makefile", content, False), manifest, report)


def changes_file(settings: Settings, report: Report) -> None:
    name = changes_path(settings.project / settings.package_dir)
    rel = name if settings.package_dir == "." else f"{settings.package_dir}/{name}"
    path = safe_target(settings.project, rel)
    if path.exists():
        return
    if not settings.dry_run:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("Changelog\n=========\n", encoding="utf-8")
    report.add("wrote", rel, "an empty changelog: `make rc` drafts its first section")


def init(settings: Settings) -> Report:
    project = settings.project
    if not project.is_dir():
        raise BadInputError(f"{project} is not a folder")
    package = project / settings.package_dir
    if not any((package / n).is_file() for n in ("pyproject.toml", "setup.py", "setup.cfg")):
        raise BadInputError(f"{package} has no pyproject.toml, setup.py or setup.cfg")
    kit = kit_source()
    configured = tool_table(load_toml(project / "pyproject.toml"), "releasekit")
    base_branch = settings.base_branch
    if base_branch is None and isinstance(configured, dict):
        base_branch = str(configured.get("base-branch") or "") or None
    base_branch = base_branch or default_branch(project)
    tag_pattern = settings.tag_pattern
    if isinstance(configured, dict) and isinstance(configured.get("tag-pattern"), str):
        tag_pattern = str(configured["tag-pattern"])
    manifest = read_manifest(project)
    report = Report()
    recorded: dict[str, str] = {}
    for file in kit_files(kit, base_branch, tag_pattern):
        digest = place(settings, file, manifest, report)
        if digest is not None:
            recorded[file.dest] = digest
    digest = makefile(settings, manifest, report)
    if digest is not None:
        recorded["Makefile"] = digest
    for gone in sorted(set(manifest) - set(recorded)):
        report.add("kept", gone, "no longer part of the kit: left in place")
    configure(settings, base_branch, report)
    changes_file(settings, report)
    if not settings.dry_run:
        body = {"kit_version": kit.version, "files": dict(sorted(recorded.items()))}
        (project / MANIFEST).write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    return report


def print_report(settings: Settings, report: Report) -> None:
    prefix = "DRY_RUN: would have " if settings.dry_run else ""
    for action, path, why in report.lines:
        if action == "same" and not why:
            continue
        print(f"{prefix}{action:<9} {path}{f'  ({why})' if why else ''}")
    same = len(report.actions("same"))
    print(f"{same} file(s) already up to date.")
    kept = report.actions("kept")
    if kept:
        print(f"kept {len(kept)} file(s) of the project's: {', '.join(kept)}")
    print(
        "next: install what the scripts need (make releasekit-deps), commit, then `make` lists "
        f"the train's targets; settings and secrets: {DOCS_URL}/adopting.md"
    )


class OneLineParser(argparse.ArgumentParser):
    """Bad arguments: one line on stderr and exit 2, never the usage block."""

    def error(self, message: str) -> NoReturn:
        print(f"{PROG}: error: {message}", file=sys.stderr)
        sys.exit(2)


def parse_args(argv: Sequence[str] | None) -> Settings:
    parser = OneLineParser(
        prog=PROG,
        description="The release train for Python projects.",
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    command = commands.add_parser(
        "init",
        help="bring the train into a project, or upgrade it there",
        description=__doc__,
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument("dir", nargs="?", type=Path, default=Path(), help="default: .")
    command.add_argument(
        "--package-dir", default=".", help="the package's folder in a monorepo (default: .)"
    )
    command.add_argument(
        "--base-branch", default=None, help="default: origin's HEAD, else the current branch"
    )
    command.add_argument("--tag-pattern", default="v*", help="default: %(default)s")
    command.add_argument("--dry-run", action="store_true", help="print, write nothing")
    args = parser.parse_args(argv)
    package_dir = Path(args.package_dir).as_posix().strip("/") or "."
    if package_dir.startswith("..") or Path(package_dir).is_absolute():
        parser.error(f"--package-dir must be a folder inside the project, got {args.package_dir}")
    if "*" not in args.tag_pattern:
        parser.error(f"--tag-pattern must contain '*', got {args.tag_pattern}")
    return Settings(
        project=args.dir.resolve(),
        package_dir=package_dir,
        base_branch=args.base_branch,
        tag_pattern=args.tag_pattern,
        dry_run=args.dry_run,
    )


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_args(argv)
    try:
        report = init(settings)
    except BadInputError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    print_report(settings, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
