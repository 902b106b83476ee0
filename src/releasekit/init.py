#!/usr/bin/env python3
"""releasekit init: bring the release train into a project, or upgrade the kit's files in it.

It reads the project as it is (its tags, changelog, version source, Makefile, checks and
.gitignore) and writes what fits it. Runs from the wheel (`releasekit init DIR`) or from a
kit checkout (`python3 src/releasekit/init.py init DIR`): standard library only, plus bumpver
(a dependency of the wheel) to check the [tool.bumpver] it proposes.
"""

from __future__ import annotations

import argparse
import configparser
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
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
# The project's own file for the checks ci.yml runs when its Makefile has no target for them:
# releasekit.mk reads it (-include), the project edits it.
CI_CHECKS = "ci-checks.mk"
# What the scripts need, pinned with hashes: the workflows and `make releasekit-deps` install
# release.txt; the deploy-pypi job installs deploy.txt (those and the PEP 740 signer).
REQUIREMENTS = ("requirements/release.txt", "requirements/deploy.txt")
INCLUDE_LINE = f"include {FRAGMENT}"
WORKFLOWS = ("rc.yml", "rt.yml", "ci.yml")
# bin/ steps that develop the kit itself and are no part of the train a project adopts.
KIT_ONLY_BIN = frozenset({"setup", "demo"})
# The package's own modules, which the wheel ships beside the scripts.
PACKAGE_MODULES = frozenset({"__init__.py", "init.py"})
DOCS_URL = "https://github.com/releasekit/releasekit/blob/main/docs"  # the kit's published docs
DEFAULT_TAG_PATTERN = "v*"
DEFAULT_BIN = "bin"
# Where the steps go when the project's .gitignore hides bin/ (xdist's `bin/`, a venv's):
# a folder beside scripts/, so that bin/lib.sh finds the scripts one level up.
MOVED_BIN = "releasekit-bin"
# The changelogs real projects keep, in the order init prefers them.
CHANGES_CANDIDATES = (
    "CHANGES.rst",
    "CHANGELOG.rst",
    "HISTORY.rst",
    "CHANGES.md",
    "CHANGELOG.md",
    "HISTORY.md",
    "NEWS.rst",
    "NEWS.md",
)
# The kit's version grammar for bumpver (scripts/release_tag.py writes it with this pattern).
VERSION_PATTERN = "MAJOR.MINOR.PATCH[PYTAGNUM][.postBUILD]"

EXAMPLE = f"""\
examples:
  releasekit init                 # adopt the train in the current project
  releasekit init ../myproject --package-dir packages/core
  releasekit init --dry-run       # print what it would write, write nothing

What init reads: the version tags (tag-pattern), the changelog there is (or towncrier's),
where the version comes from (setuptools_scm, hatch-vcs, pdm's scm: the tag; flit's
__version__, hatch's version path, a static [project] version: files bumpver rewrites),
origin's HEAD, the Makefile's targets, tox/nox/pytest/ruff/pre-commit, and .gitignore.

What init writes, and never over a file the project has:
  {FRAGMENT}, bin/ (the steps), scripts/ (the standalone scripts),
  .github/workflows/{{rc,rt,ci}}.yml, {MANIFEST} (the hashes of what it wrote),
  `{INCLUDE_LINE}` at the end of the project's Makefile (or a new Makefile),
  {CI_CHECKS} when the Makefile has no check/test target for ci.yml to run,
  a [tool.releasekit] table, and, for versions kept in files, a [tool.bumpver] table
  (bumpver.toml where bumpver cannot read pyproject.toml) that bumpver itself has checked.
Run it again after upgrading releasekit: files the project did not edit are upgraded,
edited ones are kept and listed, with the kit's version beside them as FILE{NEW_SUFFIX}.

exit status: 0 ok, 1 failed (nothing written), 2 bad input (no such folder, not a project)
"""


class BadInputError(Exception):
    """Input init cannot work with: exit 2 with one line."""


class FailedError(Exception):
    """A check init cannot run: exit 1 with one line, nothing written."""


@dataclass(frozen=True)
class Settings:
    project: Path
    package_dir: str
    base_branch: str | None
    tag_pattern: str | None
    makefile: bool
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


# ---- small readers -----------------------------------------------------------------------------


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def git(project: Path, *args: str) -> str | None:
    """git's stripped output, or None when git fails (no repository, no such ref)."""
    try:
        result = subprocess.run(
            ["git", *args], cwd=project, capture_output=True, text=True, check=False
        )
    except OSError:
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def load_toml(path: Path) -> dict[str, object]:
    if not path.is_file():
        return {}
    try:
        data: dict[str, object] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise BadInputError(f"cannot read {path}: {error}") from error
    return data


def dig(data: Mapping[str, object], *keys: str) -> object:
    """data[k1][k2]...; None where a level is missing or not a table."""
    value: object = data
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# ---- versions and tags -------------------------------------------------------------------------

# PEP 440's canonical public version (Appendix B), split into parts for ordering.
PEP440 = re.compile(
    r"^(?:(?P<epoch>[1-9][0-9]*)!)?(?P<release>(?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*)"
    r"(?:(?P<pre>a|b|rc)(?P<pre_n>0|[1-9][0-9]*))?(?:\.post(?P<post>0|[1-9][0-9]*))?"
    r"(?:\.dev(?P<dev>0|[1-9][0-9]*))?$"
)
PRE_RANK = {"a": 0, "b": 1, "rc": 2}


def is_version(text: str) -> bool:
    return PEP440.match(text) is not None


def version_key(text: str) -> tuple[object, ...]:
    """PEP 440 ordering for canonical versions: dev < a < b < rc < final < post."""
    match = PEP440.match(text)
    assert match is not None
    release = [int(part) for part in match["release"].split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    if match["pre"]:
        pre = (PRE_RANK[match["pre"]], int(match["pre_n"]))
    elif match["dev"] and not match["post"]:
        pre = (-1, 0)
    else:
        pre = (3, 0)
    post = int(match["post"]) if match["post"] else -1
    dev = int(match["dev"]) if match["dev"] else float("inf")
    return (int(match["epoch"] or 0), tuple(release), pre, post, dev)


def split_tag(tag: str) -> tuple[str, str] | None:
    """(prefix, version) for a tag that ends in a PEP 440 version: v1.2.3, 8.1.7, core-v2.0."""
    for at, char in enumerate(tag):
        starts = char.isdigit() and (at == 0 or not (tag[at - 1].isdigit() or tag[at - 1] == "."))
        if starts and is_version(tag[at:]):
            return tag[:at], tag[at:]
    return None


@dataclass(frozen=True)
class TagPattern:
    pattern: str
    why: str


def tag_pattern_of(tags: Sequence[str], hints: Sequence[str]) -> TagPattern:
    """The TAG_PATTERN the project's version tags follow: their most common prefix + `*`.

    A prefix naming the package (a monorepo's `core-v`) wins over the others; a tie goes to
    the prefix of the highest version."""
    split = [parts for parts in map(split_tag, tags) if parts]
    if not split:
        return TagPattern(DEFAULT_TAG_PATTERN, "no version tags yet: the kit's default")
    counts = Counter(prefix for prefix, _ in split)
    named = [p for p in counts if any(h and normalized(h) in normalized(p) for h in hints)]
    candidates = named or list(counts)
    highest = {
        prefix: max((version_key(v) for p, v in split if p == prefix)) for prefix in candidates
    }
    prefix = max(candidates, key=lambda p: (counts[p], highest[p], -len(p)))
    example = max((v for p, v in split if p == prefix), key=version_key)
    why = f"{counts[prefix]} tag(s) like {prefix}{example}"
    others = sorted(set(counts) - {prefix})
    if others:
        why += "; other prefixes: " + ", ".join(f"{p or '(none)'} ({counts[p]})" for p in others)
    return TagPattern(f"{prefix}*", why)


def last_tagged_version(project: Path, pattern: str) -> str | None:
    """The highest version tagged under `pattern` and reachable from HEAD."""
    prefix = pattern.split("*", 1)[0]
    tags = (git(project, "tag", "--list", "--merged", "HEAD") or "").split()
    versions = [t[len(prefix) :] for t in tags if t.startswith(prefix)]
    versions = [v for v in versions if is_version(v)]
    return max(versions, key=version_key) if versions else None


# ---- the changelog -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Changelog:
    file: str  # relative to the package's folder
    source: str  # "commits" or "towncrier"
    exists: bool
    why: str


def towncrier_table(package: Path, project: Path) -> tuple[Path, Mapping[str, object]] | None:
    """towncrier's configuration: towncrier.toml first, then pyproject.toml, each holding
    [tool.towncrier] (towncrier's docs: "if both files exist, the first will take
    precedence"), in the package's folder, then the project's root."""
    for folder in dict.fromkeys([package, project]):
        for name in ("towncrier.toml", "pyproject.toml"):
            table = dig(load_toml(folder / name), "tool", "towncrier")
            if isinstance(table, Mapping):
                return folder, table
    return None


def changelog_of(package: Path, project: Path) -> Changelog:
    towncrier = towncrier_table(package, project)
    if towncrier is not None:
        folder, table = towncrier
        # towncrier's default file is NEWS.rst (towncrier's configuration docs).
        filename = table.get("filename")
        name = filename if isinstance(filename, str) and filename else "NEWS.rst"
        path = folder / name
        return Changelog(
            os.path.relpath(path, package),
            "towncrier",
            path.is_file(),
            f"towncrier configuration: the notes are the news fragments, written to {name}",
        )
    for name in CHANGES_CANDIDATES:
        if (package / name).is_file():
            return Changelog(name, "commits", True, f"the project's {name}")
    return Changelog(CHANGES_CANDIDATES[0], "commits", False, "no changelog yet: a new one")


VERSION_IN_TEXT = re.compile(
    r"(?<![\w.])v?((?:0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))+(?:(?:a|b|rc)[0-9]+)?"
    r"(?:\.post[0-9]+)?(?:\.dev[0-9]+)?)(?![\w])"
)
DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
UNDERLINE = re.compile(r"^([=\-~^\"'*+#`:.])\1+\s*$")


def headings(lines: Sequence[str]) -> list[int]:
    """Line numbers of Markdown (`#`) and reST (underlined) headings."""
    found = []
    for number, line in enumerate(lines):
        if re.match(r"^#{1,6}\s+\S", line) or (
            line.strip()
            and number + 1 < len(lines)
            and UNDERLINE.match(lines[number + 1])
            and len(lines[number + 1].rstrip()) >= len(line.rstrip())
            and not UNDERLINE.match(line)
        ):
            found.append(number)
    return found


def released_in_changelog(path: Path) -> str | None:
    """The newest version the changelog says was released: a heading with a version and a
    date, on it or just below (`3.0.0 (tbd)`, a planning section, has none)."""
    if not path.is_file():
        return None
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    starts = headings(lines)
    for at, number in enumerate(starts):
        match = VERSION_IN_TEXT.search(lines[number].lstrip("#"))
        if not match:
            continue
        end = min(number + 5, starts[at + 1] if at + 1 < len(starts) else len(lines))
        if DATE.search("\n".join(lines[number:end])):
            return match.group(1)
    return None


# ---- where the version comes from --------------------------------------------------------------


@dataclass(frozen=True)
class VersionSource:
    name: str  # what init says about it
    from_tag: bool  # the build backend takes the version from the tag: release-tag only tags
    files: tuple[str, ...] = ()  # the files the backend reads the version from


Rule = Callable[[Path, Mapping[str, object]], "VersionSource | None"]


def requires(data: Mapping[str, object]) -> set[str]:
    listed = dig(data, "build-system", "requires")
    names = set()
    for item in listed if isinstance(listed, list) else []:
        if isinstance(item, str):
            names.add(normalized(re.split(r"[^\w.-]", item.strip(), maxsplit=1)[0]))
    return names


def dynamic_version(data: Mapping[str, object]) -> bool:
    dynamic = dig(data, "project", "dynamic")
    return isinstance(dynamic, list) and "version" in dynamic


def setuptools_scm(package: Path, data: Mapping[str, object]) -> VersionSource | None:
    setup_py = package / "setup.py"
    uses = setup_py.is_file() and "use_scm_version" in setup_py.read_text(encoding="utf-8")
    if dig(data, "tool", "setuptools_scm") is not None or uses:
        return VersionSource("setuptools_scm", True)
    if "setuptools-scm" in requires(data) and dynamic_version(data):
        return VersionSource("setuptools_scm", True)
    return None


def hatch_vcs(package: Path, data: Mapping[str, object]) -> VersionSource | None:
    if dig(data, "tool", "hatch", "version", "source") == "vcs":
        return VersionSource("hatch-vcs", True)
    return None


def pdm_scm(package: Path, data: Mapping[str, object]) -> VersionSource | None:
    if dig(data, "tool", "pdm", "version", "source") == "scm":
        return VersionSource("pdm-backend's scm source", True)
    return None


def other_vcs_tools(package: Path, data: Mapping[str, object]) -> VersionSource | None:
    if dig(data, "tool", "versioningit") is not None:
        return VersionSource("versioningit", True)
    if dig(data, "tool", "poetry-dynamic-versioning", "enable") is True:
        return VersionSource("poetry-dynamic-versioning", True)
    if dig(data, "tool", "setuptools-git-versioning", "enabled") is True:
        return VersionSource("setuptools-git-versioning", True)
    if str(dig(data, "build-system", "build-backend") or "").startswith("flit_scm"):
        return VersionSource("flit_scm", True)
    return None


def module_file(package: Path, module: str) -> str | None:
    """The file of a dotted module name, in a src/ layout or a flat one."""
    parts = module.split(".")
    for root in ("src", "."):
        for candidate in (
            Path(root, *parts, "__init__.py"),
            Path(root, *parts[:-1], f"{parts[-1]}.py"),
        ):
            if (package / candidate).is_file():
                return candidate.as_posix()
    return None


def flit_module(package: Path, data: Mapping[str, object]) -> VersionSource | None:
    backend = str(dig(data, "build-system", "build-backend") or "")
    if not backend.startswith("flit_core") or not dynamic_version(data):
        return None
    name = dig(data, "tool", "flit", "module", "name") or dig(data, "project", "name")
    found = module_file(package, str(name).replace("-", "_")) if isinstance(name, str) else None
    return VersionSource(f"flit: __version__ in {found}", False, (found,) if found else ())


def hatch_path(package: Path, data: Mapping[str, object]) -> VersionSource | None:
    path = dig(data, "tool", "hatch", "version", "path")
    if isinstance(path, str):
        return VersionSource(f"hatch: [tool.hatch.version] path = {path}", False, (path,))
    return None


def setuptools_attr(package: Path, data: Mapping[str, object]) -> VersionSource | None:
    attr = dig(data, "tool", "setuptools", "dynamic", "version", "attr")
    setup_cfg = package / "setup.cfg"
    if not isinstance(attr, str) and setup_cfg.is_file():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(setup_cfg.read_text(encoding="utf-8"))
        except configparser.Error:
            return None
        value = parser.get("metadata", "version", fallback="").strip()
        attr = value.removeprefix("attr:").strip() if value.startswith("attr:") else None
    if not isinstance(attr, str) or "." not in attr:
        return None
    found = module_file(package, attr.rsplit(".", 1)[0])
    return VersionSource(f"setuptools: version = attr {attr}", False, (found,) if found else ())


def static_version(package: Path, data: Mapping[str, object]) -> VersionSource | None:
    if isinstance(dig(data, "project", "version"), str):
        return VersionSource("a static [project] version", False, ("pyproject.toml",))
    for name in ("setup.py", "setup.cfg"):
        if (package / name).is_file() and version_lines(package / name):
            return VersionSource(f"the version in {name}", False, (name,))
    return None


# Rules as data: the first that applies says where the version comes from.
VERSION_RULES: list[tuple[str, Rule]] = [
    ("setuptools_scm", setuptools_scm),
    ("hatch-vcs", hatch_vcs),
    ("pdm-backend scm", pdm_scm),
    ("other VCS-version plugins", other_vcs_tools),
    ("flit's __version__", flit_module),
    ("hatch's version path", hatch_path),
    ("setuptools' attr:", setuptools_attr),
    ("a static version", static_version),
]


def version_source(package: Path, data: Mapping[str, object]) -> VersionSource | None:
    for _, rule in VERSION_RULES:
        found = rule(package, data)
        if found is not None:
            return found
    return None


# A version assigned as a string literal: `__version__ = "1.2.3"`, `version = "1.2.3"` (TOML),
# `version = __version__ = "2.4.1"` (pypiserver), `setup(version='0.9.1')`.
ASSIGNED = re.compile(
    r"""\b(?:__version__|VERSION|version)\s*[:=]\s*(?P<q>['"])(?P<v>[^'"\n]+)(?P=q)"""
)
SETUP_CFG_VERSION = re.compile(r"^(?P<pre>version\s*=\s*)(?P<v>\S+)\s*$")
# bumpver reads these in a pattern as its own syntax (optional parts, regex anchors).
BUMPVER_SYNTAX = re.compile(r"[\[\]\\|$^]")


def version_lines(path: Path) -> list[tuple[str, str]]:
    """(version, bumpver pattern) for each line of `path` that spells a PEP 440 version."""
    found = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        match = ASSIGNED.search(line)
        if path.suffix == ".cfg":
            cfg = SETUP_CFG_VERSION.match(line)
            if cfg and is_version(cfg["v"]):
                found.append((cfg["v"], f"^{cfg['pre']}{{pep440_version}}"))
            continue
        if not match or not is_version(match["v"]):
            continue
        prefix = line[: match.start("v")]
        if BUMPVER_SYNTAX.search(prefix):
            prefix = line[match.start() : match.start("v")]
            if BUMPVER_SYNTAX.search(prefix):
                continue
            found.append((match["v"], f"{prefix}{{pep440_version}}{match['q']}"))
        else:
            found.append((match["v"], f"^{prefix}{{pep440_version}}{match['q']}"))
    return found


def module_candidates(package: Path, data: Mapping[str, object]) -> list[str]:
    """Files that commonly spell a package's version besides the one its backend reads."""
    names = {"pyproject.toml", "setup.py", "setup.cfg"}
    for root in ("src", "."):
        for init in sorted((package / root).glob("*/__init__.py")):
            folder = init.parent.relative_to(package)
            for name in ("__init__.py", "__about__.py", "_version.py", "version.py"):
                names.add((folder / name).as_posix())
    return sorted(n for n in names if (package / n).is_file())


@dataclass(frozen=True)
class Version:
    source: VersionSource | None
    declared: str | None  # what the files say
    current: str | None  # the last release: what [tool.bumpver] current_version says
    files: dict[str, list[str]]  # {file: bumpver patterns} holding `declared`
    why: str


def read_version(
    package: Path, data: Mapping[str, object], tagged: str | None, changelog: Path
) -> Version:
    source = version_source(package, data)
    if source is not None and source.from_tag:
        return Version(source, None, None, {}, f"{source.name}: the version is the tag")
    declared = None
    for name in source.files if source else ():
        lines = version_lines(package / name) if (package / name).is_file() else []
        if lines:
            declared = lines[0][0]
            break
    files: dict[str, list[str]] = {}
    if declared is not None:
        for name in dict.fromkeys(
            [*(source.files if source else ()), *module_candidates(package, data)]
        ):
            patterns = [p for v, p in version_lines(package / name) if v == declared]
            if patterns:
                files[name] = list(dict.fromkeys(patterns))
    released = released_in_changelog(changelog)
    current, why = last_release(tagged, released, declared)
    what = source.name if source else "no version source init knows"
    return Version(source, declared, current, files, f"{what}; {why}")


def last_release(
    tagged: str | None, released: str | None, declared: str | None
) -> tuple[str | None, str]:
    """current_version: the last release's version, whichever of the tags, the changelog and
    the files say it; the tag first. None for a project with no version anywhere."""
    told = {"the last tag": tagged, "the changelog": released, "the files": declared}
    said = {k: v for k, v in told.items() if v}
    if not said:
        return None, "no release yet"
    current = tagged or released or declared
    agree = [k for k, v in said.items() if v == current]
    differ = [
        f"{k} say {v}" if k == "the files" else f"{k} says {v}"
        for k, v in said.items()
        if v != current
    ]
    why = f"last release {current} ({' and '.join(agree)})"
    return current, why + (f"; {', '.join(differ)}" if differ else "")


# ---- the [tool.bumpver] proposal, checked by bumpver ------------------------------------------


@dataclass(frozen=True)
class Proposal:
    config: str  # "pyproject.toml" or "bumpver.toml", in the package's folder
    text: str  # what is appended to pyproject.toml, or bumpver.toml's content
    files: dict[str, list[str]]
    notes: tuple[str, ...]


def bumpver_text(config: str, current: str, files: Mapping[str, list[str]]) -> str:
    table = "tool.bumpver" if config == "pyproject.toml" else "bumpver"
    own = '^current_version = "{version}"'
    patterns = {**files, config: [*files.get(config, []), own]}
    lines = [
        "",
        "# Proposed by `releasekit init` and checked with bumpver: `make release-tag` rewrites",
        "# these files with bumpver. Each file pattern matches the line that holds the version.",
        f"[{table}]",
        f'current_version = "{current}"',
        f'version_pattern = "{VERSION_PATTERN}"',
        'commit_message = "chore(ver): bump {old_version} -> {new_version}"',
        'tag_message = "Automated release {new_version}"',
        "commit = false",
        "tag = false",
        "push = false",
        "",
        f"[{table}.file_patterns]",
        *(f"{json.dumps(name)} = {json.dumps(lines_)}" for name, lines_ in patterns.items()),
    ]
    return "\n".join(lines) + "\n"


def next_patch(version: str) -> str | None:
    match = re.match(r"^(\d+)\.(\d+)\.(\d+)", version)
    return f"{match[1]}.{match[2]}.{int(match[3]) + 1}" if match else None


def run_bumpver(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bumpver", *args, "--no-fetch"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )


def last_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
    return lines[-1] if lines else f"exit {result.returncode}"


class Trial:
    """A scratch copy of the package's version files with a proposed bumpver table."""

    def __init__(self, package: Path, names: Sequence[str]) -> None:
        self.package = package
        self.names = names

    def run(
        self, config: str, current: str, files: Mapping[str, list[str]], *args: str
    ) -> subprocess.CompletedProcess[str]:
        with tempfile.TemporaryDirectory(prefix="releasekit-bumpver-") as scratch:
            folder = Path(scratch)
            for name in {*self.names, "pyproject.toml"}:
                if (self.package / name).is_file():
                    (folder / name).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(self.package / name, folder / name)
            text = bumpver_text(config, current, files)
            target = folder / config
            before = target.read_text(encoding="utf-8") if target.is_file() else ""
            sep = "" if not before or before.endswith("\n") else "\n"
            target.write_text(before + sep + (text if before else text.lstrip("\n")), "utf-8")
            return run_bumpver(folder, *args)


def propose_bumpver(package: Path, version: Version) -> Proposal | None:
    """The [tool.bumpver] (or bumpver.toml) for `version`, each pattern checked by running
    bumpver itself (`bumpver update --dry --set-version`, as release_tag.py runs it): bumpver
    must read the configuration, and every file pattern must match a line today."""
    current, files = version.current, version.files
    probe = next_patch(current) if current else None
    if current is None or probe is None or not files:
        return None
    if importlib.util.find_spec("bumpver") is None:
        raise FailedError(
            "needs bumpver to check the [tool.bumpver] it proposes: pip install bumpver"
        )
    trial = Trial(package, list(files))
    notes: list[str] = []
    config = "pyproject.toml"
    shown = trial.run(config, current, {}, "show", "--environ")
    if shown.returncode != 0:
        reason = last_line(shown)
        config = "bumpver.toml"
        if trial.run(config, current, {}, "show", "--environ").returncode != 0:
            notes.append(f"bumpver cannot read its configuration here ({reason}): no table")
            return Proposal(config, "", {}, tuple(notes))
        notes.append(
            f"bumpver cannot read pyproject.toml ({reason}; bumpver reads TOML with the "
            "`toml` package, which predates TOML 1.0): proposing bumpver.toml"
        )
    update = ("update", "--dry", "--ignore-vcs-tag", "--set-version", probe)
    if trial.run(config, current, files, *update).returncode != 0:
        kept: dict[str, list[str]] = {}
        for name, patterns in files.items():
            for pattern in patterns:
                one = {name: [pattern]}
                if trial.run(config, current, one, *update).returncode == 0:
                    kept.setdefault(name, []).append(pattern)
                else:
                    notes.append(f"bumpver finds no line for {pattern!r} in {name}: left out")
        files = kept
    checked = trial.run(config, current, files, *update)
    if checked.returncode != 0:
        notes.append(f"bumpver refuses the proposal ({last_line(checked)}): no table")
        return Proposal(config, "", {}, tuple(notes))
    return Proposal(config, bumpver_text(config, current, files), files, tuple(notes))


def has_bumpver_config(package: Path, data: Mapping[str, object]) -> bool:
    if dig(data, "tool", "bumpver") is not None:
        return True
    for name in ("bumpver.toml", ".bumpver.toml", "pycalver.toml"):
        if (package / name).is_file():
            return True
    setup_cfg = package / "setup.cfg"
    return setup_cfg.is_file() and "[bumpver]" in setup_cfg.read_text(encoding="utf-8")


# ---- the checks ci.yml runs --------------------------------------------------------------------

TARGET = re.compile(r"^(?P<names>[^\s:#=$][^:#=$]*?)\s*::?(?![=])", re.MULTILINE)


def make_targets(text: str) -> set[str]:
    """The explicit targets a Makefile defines (pattern rules and variables aside)."""
    names: set[str] = set()
    for match in TARGET.finditer(text):
        names.update(n for n in match["names"].split() if "%" not in n)
    return names


@dataclass(frozen=True)
class Recipe:
    why: str
    applies: Callable[[Path, Path, Mapping[str, object]], bool]
    lines: Callable[[Path, Path, Mapping[str, object]], tuple[str, ...]]


def any_file(*names: str) -> Callable[[Path, Path, Mapping[str, object]], bool]:
    def applies(project: Path, package: Path, data: Mapping[str, object]) -> bool:
        return any((folder / n).is_file() for folder in (package, project) for n in names)

    return applies


def has_table(*keys: str) -> Callable[[Path, Path, Mapping[str, object]], bool]:
    def applies(project: Path, package: Path, data: Mapping[str, object]) -> bool:
        return dig(data, *keys) is not None

    return applies


def either(*tests: Callable[[Path, Path, Mapping[str, object]], bool]) -> Callable[..., bool]:
    def applies(project: Path, package: Path, data: Mapping[str, object]) -> bool:
        return any(test(project, package, data) for test in tests)

    return applies


def ini_section(name: str, section: str) -> Callable[[Path, Path, Mapping[str, object]], bool]:
    def applies(project: Path, package: Path, data: Mapping[str, object]) -> bool:
        path = package / name
        return path.is_file() and f"[{section}]" in path.read_text(encoding="utf-8")

    return applies


def fixed(*lines: str) -> Callable[[Path, Path, Mapping[str, object]], tuple[str, ...]]:
    return lambda project, package, data: lines


def pytest_lines(project: Path, package: Path, data: Mapping[str, object]) -> tuple[str, ...]:
    """Install the package with its test extra or group, then run pytest in its folder."""
    here = os.path.relpath(package, project)
    spec = "." if here == "." else f"./{here}"
    extras = dig(data, "project", "optional-dependencies")
    groups = dig(data, "dependency-groups")
    names = ("test", "tests", "testing")
    extra = next((n for n in names if isinstance(extras, Mapping) and n in extras), None)
    group = next((n for n in names if isinstance(groups, Mapping) and n in groups), None)
    cd = "" if here == "." else f"cd {here} && "
    if extra:
        return (f"python -m pip install '{spec}[{extra}]' pytest", f"{cd}python -m pytest")
    if group:  # pip reads [dependency-groups] from 25.1 on
        return (
            "python -m pip install --upgrade 'pip>=25.1'",
            f"{cd}python -m pip install --group {group} .",
            f"{cd}python -m pytest",
        )
    return (f"python -m pip install '{spec}' pytest", f"{cd}python -m pytest")


WARN = "@echo '::warning::{target} runs no {what} yet: edit {file} (releasekit init wrote it)'"
# Rules as data: what the checks job and the tests job run when the Makefile has no target.
CHECK_RECIPES = [
    Recipe(
        "pre-commit (.pre-commit-config.yaml)",
        any_file(".pre-commit-config.yaml"),
        fixed(
            "python -m pip install pre-commit",
            "pre-commit run --all-files --show-diff-on-failure",
        ),
    ),
    Recipe(
        "ruff's configuration",
        either(any_file("ruff.toml", ".ruff.toml"), has_table("tool", "ruff")),
        fixed("python -m pip install ruff", "ruff check ."),
    ),
]
TEST_RECIPES = [
    Recipe(
        "tox",
        either(any_file("tox.ini", "tox.toml"), has_table("tool", "tox")),
        fixed("python -m pip install tox", "tox -e py"),
    ),
    Recipe(
        "nox (noxfile.py)",
        any_file("noxfile.py"),
        fixed("python -m pip install nox", "python -m nox --no-error-on-missing-interpreters"),
    ),
    Recipe(
        "pytest's configuration",
        either(
            has_table("tool", "pytest"),
            any_file("pytest.ini", "conftest.py"),
            ini_section("setup.cfg", "tool:pytest"),
            ini_section("tox.ini", "pytest"),
        ),
        pytest_lines,
    ),
]
# The project's own targets ci.yml runs, first found wins.
CHECK_TARGETS = ("check", "lint")
TEST_TARGETS = ("test", "tests")


@dataclass(frozen=True)
class Checks:
    checks: str  # the make target the checks job runs
    tests: str  # the make target the tests job runs
    ci_checks: str | None  # the content of ci-checks.mk, when a target is written there
    why: str


def ci_target(
    name: str,
    what: str,
    targets: set[str],
    own: Sequence[str],
    recipes: Sequence[Recipe],
    where: tuple[Path, Path, Mapping[str, object]],
) -> tuple[str, list[str], str]:
    """(target, ci-checks.mk lines for it, why)."""
    for target in own:
        if target in targets:
            return target, [], f"make {target} (the project's own)"
    for recipe in recipes:
        if recipe.applies(*where):
            recipe_lines = [f"\t{line}" for line in recipe.lines(*where)]
            lines = [f".PHONY: {name}", f"{name}: ## {recipe.why}, for ci.yml", *recipe_lines]
            return name, lines, f"make {name} ({recipe.why}, in {CI_CHECKS})"
    warning = WARN.format(target=name, what=what, file=CI_CHECKS)
    lines = [f".PHONY: {name}", f"{name}: ## nothing to run yet: edit {CI_CHECKS}", f"\t{warning}"]
    return name, lines, f"make {name} (nothing found to run: edit {CI_CHECKS})"


def checks_of(
    project: Path, package: Path, data: Mapping[str, object], makefile_text: str
) -> Checks:
    targets = make_targets(makefile_text)
    where = (project, package, data)
    checks, check_lines, check_why = ci_target(
        "ci-checks", "check", targets, CHECK_TARGETS, CHECK_RECIPES, where
    )
    tests, test_lines, test_why = ci_target(
        "ci-tests", "test", targets, TEST_TARGETS, TEST_RECIPES, where
    )
    body = [*check_lines, *([""] if check_lines and test_lines else []), *test_lines]
    text = None
    if body:
        text = (
            "# What ci.yml runs where the project's Makefile has no target for it: the checks\n"
            "# job `make ci-checks`, the tests job `make ci-tests`; releasekit.mk reads this\n"
            "# file. `releasekit init` wrote it from what the project has; edit the recipes,\n"
            "# they are the project's.\n" + "\n".join(body) + "\n"
        )
    return Checks(checks, tests, text, f"checks job: {check_why}; tests job: {test_why}")


# ---- the kit's files ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KitSource:
    """Where the kit's files are: a checkout of the kit, or the copy the wheel ships."""

    fragment: Path
    bin: Path
    scripts: Path
    workflows: Path
    requirements: Path  # the folder that holds REQUIREMENTS
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
            checkout,
            version,
        )
    shipped = here / "kit"
    if (shipped / FRAGMENT).is_file():
        return KitSource(
            shipped / FRAGMENT,
            shipped / "bin",
            here,
            shipped / "workflows",
            shipped,
            version,
        )
    raise BadInputError(f"cannot find the kit's files beside {here}")


@dataclass(frozen=True)
class Render:
    """One whole-line rewrite of the kit's workflows for a project."""

    why: str
    workflow: str
    line: str  # the kit's line, without its indentation
    project: str  # the project's line: {checks} and {tests} are the targets init chose
    required: bool = True  # a rule the kit's workflow must still offer (tests check it)


RENDERS = [
    Render(
        "the checks job names the project's checks",
        "ci.yml",
        "name: make check",
        "name: make {checks}",
    ),
    Render(
        "the checks job runs the project's checks",
        "ci.yml",
        "run: make check",
        "run: make {checks}",
    ),
    Render(
        "the checks job installs the train's dependencies",
        "ci.yml",
        "name: make setup",
        "name: make releasekit-deps",
    ),
    Render("", "ci.yml", "run: make setup", "run: make releasekit-deps"),
    Render(
        "the tests job names the project's tests",
        "ci.yml",
        "name: make test (Python ${{ matrix.python }})",
        "name: make {tests} (Python ${{ matrix.python }})",
    ),
    Render("the tests step", "ci.yml", "name: make setup test", "name: make {tests}"),
    Render(
        "the tests run as the project's own (the kit's suite needs root for its peers)",
        "ci.yml",
        "run: sudo --preserve-env=PATH,CI,GITHUB_ACTIONS make setup test",
        "run: make {tests}",
    ),
    Render(
        "",
        "ci.yml",
        "# The kit's tests start their own dockerd, podman and registries, which needs root.",
        "# The project's tests, as its Makefile or ci-checks.mk runs them.",
        required=False,
    ),
]


def render_workflow(
    name: str, text: str, base_branch: str, tag_pattern: str, checks: str, tests: str
) -> str:
    """The kit's workflow with the project's base branch, tag pattern and checks in it."""
    for rule in (r for r in RENDERS if r.workflow == name):
        project = rule.project.replace("{checks}", checks).replace("{tests}", tests)
        project = project.replace("\\", "\\\\")  # re.sub reads backslashes in it
        text = re.sub(rf"(?m)^(\s*(?:- )?){re.escape(rule.line)}$", rf"\g<1>{project}", text)
    text = text.replace("branches: [main]", f"branches: [{base_branch}]")
    text = text.replace("refs/heads/main", f"refs/heads/{base_branch}")
    return text.replace('tags: ["v*"]', f"tags: [{json.dumps(tag_pattern)}]")


@dataclass(frozen=True)
class Layout:
    """The project's answers to the questions the kit's files depend on."""

    base_branch: str
    tag_pattern: str
    bin_dir: str
    checks: str
    tests: str


def kit_files(kit: KitSource, layout: Layout) -> list[KitFile]:
    files = [KitFile(FRAGMENT, kit.fragment.read_bytes(), False)]
    for step in sorted(kit.bin.iterdir()):
        if step.is_file() and step.name not in KIT_ONLY_BIN:
            dest = f"{layout.bin_dir}/{step.name}"
            files.append(KitFile(dest, step.read_bytes(), step.name != "lib.sh"))
    for script in sorted(kit.scripts.glob("*.py")):
        if script.name not in PACKAGE_MODULES:
            files.append(KitFile(f"scripts/{script.name}", script.read_bytes(), True))
    for requirements in REQUIREMENTS:
        files.append(KitFile(requirements, (kit.requirements / requirements).read_bytes(), False))
    for name in WORKFLOWS:
        text = (kit.workflows / name).read_text(encoding="utf-8")
        rendered = render_workflow(
            name, text, layout.base_branch, layout.tag_pattern, layout.checks, layout.tests
        )
        files.append(KitFile(f".github/workflows/{name}", rendered.encode(), False))
    return files


# ---- what .gitignore hides ---------------------------------------------------------------------


@dataclass(frozen=True)
class Hidden:
    source: str  # the exclude file, as git names it
    line: str
    pattern: str


def hidden_paths(project: Path, paths: Sequence[str]) -> dict[str, Hidden]:
    """The paths git would not add (`git check-ignore`), with the pattern that hides each.

    Folders are asked with a trailing slash (`bin/`): git matches a folder pattern only so."""
    if git(project, "rev-parse", "--is-inside-work-tree") != "true":
        return {}
    try:
        result = subprocess.run(
            ["git", "check-ignore", "--verbose", "--non-matching", "--stdin", "-z"],
            cwd=project,
            input="\0".join(paths) + "\0",
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return {}
    if result.returncode not in (0, 1):
        raise FailedError(f"git check-ignore failed: {result.stderr.strip()}")
    fields = result.stdout.split("\0")
    hidden = {}
    for at in range(0, len(fields) - 3, 4):
        source, line, pattern, path = fields[at : at + 4]
        if source and not pattern.startswith("!"):  # a `!` pattern is a match that un-hides
            hidden[path] = Hidden(source, line, pattern)
    return hidden


def folders_of(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[: at + 1]) + "/" for at in range(len(parts))]


def unhide_line(project: Path, path: str, hidden: Mapping[str, Hidden]) -> str:
    """One line: what hides `path` and the line to add so that git commits it."""
    target = next((folder for folder in folders_of(path) if folder in hidden), path)
    why = hidden[target]
    source = Path(why.source)
    inside = not source.is_absolute() and not why.source.startswith(".git/")
    file = why.source if inside and (project / source).is_file() else ".gitignore"
    base = str(Path(file).parent)
    negation = "!/" + (target if base == "." else os.path.relpath(target, base))
    if target.endswith("/") and not negation.endswith("/"):
        negation += "/"
    return (
        f"{why.source}:{why.line} '{why.pattern}' hides {target} from git: add the line "
        f"'{negation}' to {file}, then commit {path}"
    )


# ---- writing -----------------------------------------------------------------------------------


def read_manifest(project: Path) -> dict[str, object]:
    path = project / MANIFEST
    if not path.is_file():
        return {"files": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        files = data["files"]
    except (ValueError, KeyError, TypeError) as error:
        raise BadInputError(f"{path} is not a releasekit manifest: {error}") from error
    if not isinstance(files, dict):
        raise BadInputError(f"{path} is not a releasekit manifest: 'files' is not a table")
    return dict(data)


def manifest_files(manifest: Mapping[str, object]) -> dict[str, str]:
    files = manifest.get("files")
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


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


def append_text(path: Path, text: str, dry_run: bool) -> None:
    if dry_run:
        return
    old = path.read_bytes() if path.is_file() else b""
    sep = b"" if not old or old.endswith(b"\n") else b"\n"
    path.write_bytes(old + sep + text.lstrip("\n" if not old else "").encode())


# ---- reading the project: every decision before anything is written ---------------------------


@dataclass(frozen=True)
class Plan:
    layout: Layout
    package: Path
    changelog: Changelog
    version: Version | None  # None when [tool.releasekit] is there already
    releasekit_table: str | None  # appended to the root pyproject.toml
    bumpver: Proposal | None
    makefile: str | None  # the project's own Makefile, if it has one
    checks: Checks
    found: tuple[tuple[str, str], ...]  # (what, what init read) for the report


def default_branch(project: Path) -> tuple[str, str]:
    """(branch, why): origin's HEAD (what a clone checks out), else the current branch, else
    main."""
    remote_head = git(project, "symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD")
    if remote_head and remote_head.startswith("origin/"):
        return remote_head.removeprefix("origin/"), "origin's HEAD"
    current = git(project, "symbolic-ref", "--quiet", "--short", "HEAD")
    return (current, "the current branch") if current else ("main", "the kit's default")


def owner_and_name(project: Path, fallback: str) -> tuple[str, str]:
    """owner/name from origin's URL (github.com/owner/name.git), else the project's name."""
    url = git(project, "remote", "get-url", "origin") or ""
    match = re.search(r"[:/]([\w.-]+)/([\w.-]+?)(?:\.git)?/?$", url)
    if match and "." not in match.group(1):
        return match.group(1).lower(), match.group(2).lower()
    return fallback, fallback


def project_name(package: Path, data: Mapping[str, object]) -> str:
    name = dig(data, "project", "name")
    if isinstance(name, str):
        return name
    setup = package / "setup.py"
    if setup.is_file():
        match = re.search(r"name\s*=\s*['\"]([^'\"]+)['\"]", setup.read_text(encoding="utf-8"))
        if match:
            return match.group(1)
    return package.resolve().name


def own_makefile(settings: Settings, manifest: Mapping[str, str]) -> str | None:
    """The project's Makefile, in the order GNU make looks for one; None when it has none
    (a Makefile init wrote is the kit's)."""
    for name in ("GNUmakefile", "makefile", "Makefile"):
        if (settings.project / name).is_file() and name not in manifest:
            return name
    return None


INCLUDES_FRAGMENT = re.compile(
    rf"^\s*-?s?include\s+(?:\S+\s+)*?(?:\./)?{re.escape(FRAGMENT)}(?:\s|$)", re.MULTILINE
)


def toml_string(value: str, why: str = "") -> str:
    return json.dumps(value) + (f"  # {why}" if why else "")


def releasekit_table(
    settings: Settings, layout: Layout, changelog: Changelog, version: Version, name: str
) -> str:
    owner, repo = owner_and_name(settings.project, re.sub(r"[^a-z0-9-]+", "-", name.lower()))
    source = "tag" if version.source and version.source.from_tag else "bumpver"
    lines = [
        "",
        "# The release train (releasekit): what varies per project, as `releasekit init` read it.",
        "# Make variables and the environment override each key; see the kit's",
        "# docs/configuration.md.",
        "[tool.releasekit]",
        f"base-branch = {toml_string(layout.base_branch)}",
        f"tag-pattern = {toml_string(layout.tag_pattern)}",
        f"package-dir = {toml_string(settings.package_dir)}",
        f"changes-file = {toml_string(changelog.file)}",
        f"changes-from = {toml_string(changelog.source)}",
        f"version-source = {toml_string(source, version.source.name if version.source else '')}",
        *([f"bin-dir = {toml_string(layout.bin_dir)}"] if layout.bin_dir != DEFAULT_BIN else []),
        f'images-every-build = ["docker.io/{owner}/{repo}"]',
        f'images-release-only = ["ghcr.io/{owner}/{repo}"]',
    ]
    return "\n".join(lines) + "\n"


def plan(
    settings: Settings,
    manifest: Mapping[str, str],
    configured: Mapping[str, object],
    bin_hidden: Callable[[str], bool],
) -> Plan:
    project = settings.project
    package = project / settings.package_dir
    data = load_toml(package / "pyproject.toml")
    found: list[tuple[str, str]] = []

    def setting(key: str) -> str | None:
        value = configured.get(key)
        return value if isinstance(value, str) and value else None

    base_branch = settings.base_branch or setting("base-branch")
    if base_branch is None:
        base_branch, why = default_branch(project)
        found.append(("base-branch", f"{base_branch}: {why}"))
    if settings.tag_pattern or setting("tag-pattern"):
        tag_pattern = settings.tag_pattern or setting("tag-pattern") or DEFAULT_TAG_PATTERN
    else:
        hints = [Path(settings.package_dir).name, project_name(package, data)]
        hints = [h for h in hints if h and h != "."] if settings.package_dir != "." else []
        read = tag_pattern_of((git(project, "tag", "--list") or "").split(), hints)
        tag_pattern = read.pattern
        found.append(("tag-pattern", f"{tag_pattern!r}: {read.why}"))
    changelog = changelog_of(package, project)
    if setting("changes-file"):
        file = setting("changes-file") or changelog.file
        source = setting("changes-from") or changelog.source
        changelog = Changelog(file, source, (package / file).is_file(), "[tool.releasekit]")
    else:
        found.append(("changes-file", f"{changelog.file}: {changelog.why}"))

    bin_dir = setting("bin-dir") or (MOVED_BIN if bin_hidden(DEFAULT_BIN) else DEFAULT_BIN)
    makefile = own_makefile(settings, manifest)
    text = (project / makefile).read_text(encoding="utf-8", errors="replace") if makefile else ""
    checks = checks_of(project, package, data, text)
    found.append(("checks", checks.why))
    layout = Layout(base_branch, tag_pattern, bin_dir, checks.checks, checks.tests)

    table = None
    version = None
    from_tag = setting("version-source") == "tag"
    if not configured or not from_tag:
        tagged = last_tagged_version(project, tag_pattern)
        version = read_version(package, data, tagged, package / changelog.file)
        from_tag = bool(version.source and version.source.from_tag)
        if not configured:
            found.append(("version", version.why))
            table = releasekit_table(
                settings, layout, changelog, version, project_name(package, data)
            )
    bumpver = None
    if version is not None and not from_tag and not has_bumpver_config(package, data):
        bumpver = propose_bumpver(package, version)
        if bumpver is None:
            found.append(("version", "no file spells the version: write [tool.bumpver] by hand"))
    return Plan(layout, package, changelog, version, table, bumpver, makefile, checks, tuple(found))


# ---- the run -----------------------------------------------------------------------------------


def makefile_step(
    settings: Settings,
    plan_: Plan,
    manifest: dict[str, object],
    recorded: dict[str, str],
    report: Report,
) -> None:
    """`include releasekit.mk` at the end of the project's Makefile, or a new Makefile."""
    files = manifest_files(manifest)
    if not settings.makefile:
        report.add(
            "skipped", "Makefile", f"--no-makefile: add '{INCLUDE_LINE}' where make reads it"
        )
        return
    name = plan_.makefile
    if name is None:
        content = (
            "# The release train: `make` lists its targets. Add the project's own targets below.\n"
            f"{INCLUDE_LINE}\n"
        ).encode()
        digest = place(settings, KitFile("Makefile", content, False), files, report)
        if digest is not None:
            recorded["Makefile"] = digest
        return
    path = safe_target(settings.project, name)
    text = path.read_text(encoding="utf-8", errors="replace")
    if INCLUDES_FRAGMENT.search(text):
        report.add("same", name, f"already has '{INCLUDE_LINE}'")
    elif manifest.get("makefile_include") == name:
        report.add("kept", name, f"'{INCLUDE_LINE}' was taken out by the project: not added again")
    else:
        append_text(path, f"{INCLUDE_LINE}\n", settings.dry_run)
        report.add("appended", name, f"'{INCLUDE_LINE}' at its end")
    manifest["makefile_include"] = name


def configure(settings: Settings, plan_: Plan, report: Report) -> None:
    """[tool.releasekit] and the checked [tool.bumpver] (or bumpver.toml)."""
    root_pyproject = safe_target(settings.project, "pyproject.toml")
    if plan_.releasekit_table is None:
        report.add("same", "pyproject.toml", "[tool.releasekit] is there")
    else:
        action = "appended" if root_pyproject.is_file() else "wrote"
        append_text(root_pyproject, plan_.releasekit_table, settings.dry_run)
        report.add(action, "pyproject.toml", "[tool.releasekit]")
    proposal = plan_.bumpver
    if proposal is None:
        return
    for note in proposal.notes:
        report.add("found", "bumpver", note)
    if not proposal.text:
        return
    rel = Path(settings.package_dir, proposal.config).as_posix()
    target = safe_target(settings.project, rel)
    action = "appended" if target.is_file() else "wrote"
    append_text(target, proposal.text, settings.dry_run)
    files = ", ".join(proposal.files) or "none"
    table = "[tool.bumpver]" if proposal.config == "pyproject.toml" else "[bumpver]"
    report.add(action, rel, f"{table}, checked with bumpver; version files: {files}")


def changes_file(settings: Settings, plan_: Plan, report: Report) -> None:
    changelog = plan_.changelog
    if changelog.exists or changelog.source == "towncrier":
        return
    rel = Path(settings.package_dir, changelog.file).as_posix()
    path = safe_target(settings.project, rel)
    if path.exists():
        return
    if not settings.dry_run:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("Changelog\n=========\n", encoding="utf-8")
    report.add("wrote", rel, "an empty changelog: `make rc` drafts its first section")


def check_committable(settings: Settings, paths: Sequence[str], report: Report) -> None:
    """One line for each written file the project's .gitignore hides, with the fix."""
    asked = list(dict.fromkeys(p for path in paths for p in [*folders_of(path), path]))
    hidden = hidden_paths(settings.project, asked)
    for path in paths:
        if path in hidden or any(folder in hidden for folder in folders_of(path)):
            report.add("hidden", path, unhide_line(settings.project, path, hidden))


def init(settings: Settings) -> Report:
    project = settings.project
    if not project.is_dir():
        raise BadInputError(f"{project} is not a folder")
    package = project / settings.package_dir
    if not any((package / n).is_file() for n in ("pyproject.toml", "setup.py", "setup.cfg")):
        raise BadInputError(f"{package} has no pyproject.toml, setup.py or setup.cfg")
    kit = kit_source()
    configured = dig(load_toml(project / "pyproject.toml"), "tool", "releasekit")
    manifest = read_manifest(project)
    files = manifest_files(manifest)

    def bin_hidden(folder: str) -> bool:
        return f"{folder}/" in hidden_paths(project, [f"{folder}/"])

    plan_ = plan(settings, files, configured if isinstance(configured, Mapping) else {}, bin_hidden)
    report = Report()
    for what, why in plan_.found:
        report.add("found", what, why)
    if plan_.layout.bin_dir == MOVED_BIN and not isinstance(configured, Mapping):
        report.add(
            "moved",
            f"{DEFAULT_BIN}/ -> {MOVED_BIN}/",
            "the project's .gitignore hides bin/: [tool.releasekit] bin-dir says where",
        )
    recorded: dict[str, str] = {}
    kit_written = kit_files(kit, plan_.layout)
    if plan_.checks.ci_checks is not None:
        kit_written.append(KitFile(CI_CHECKS, plan_.checks.ci_checks.encode(), False))
    for file in kit_written:
        digest = place(settings, file, files, report)
        if digest is not None:
            recorded[file.dest] = digest
    makefile_step(settings, plan_, manifest, recorded, report)
    for gone in sorted(set(files) - set(recorded)):
        report.add("kept", gone, "no longer part of the kit: left in place")
    configure(settings, plan_, report)
    changes_file(settings, plan_, report)
    written = [
        path
        for action, path, _ in report.lines
        if action in ("wrote", "upgraded", "appended", "same")
    ]
    check_committable(settings, [*dict.fromkeys([*written, MANIFEST])], report)
    if not settings.dry_run:
        body: dict[str, object] = {
            "kit_version": kit.version,
            "files": dict(sorted(recorded.items())),
        }
        if "makefile_include" in manifest:
            body["makefile_include"] = manifest["makefile_include"]
        (project / MANIFEST).write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    return report


def print_report(settings: Settings, report: Report) -> None:
    prefix = "DRY_RUN: would have " if settings.dry_run else ""
    for action, path, why in report.lines:
        if action == "same" and not why:
            continue
        lead = "" if action in ("found", "hidden") else prefix
        print(f"{lead}{action:<9} {path}{f'  ({why})' if why else ''}")
    same = len(report.actions("same"))
    print(f"{same} file(s) already up to date.")
    kept = report.actions("kept")
    if kept:
        print(f"kept {len(kept)} file(s) of the project's: {', '.join(kept)}")
    print(
        "next: install what the scripts need (make releasekit-deps), commit, then `make help` "
        f"lists the train's targets; settings and secrets: {DOCS_URL}/adopting.md"
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
        "--base-branch",
        default=None,
        help="default: origin's HEAD, else the current branch, else main",
    )
    command.add_argument(
        "--tag-pattern",
        default=None,
        help=f"default: the prefix of the project's version tags + *, else {DEFAULT_TAG_PATTERN}",
    )
    command.add_argument(
        "--no-makefile",
        dest="makefile",
        action="store_false",
        help=f"leave the Makefile alone (default: '{INCLUDE_LINE}' at its end, or a new one)",
    )
    command.add_argument("--dry-run", action="store_true", help="print, write nothing")
    args = parser.parse_args(argv)
    package_dir = Path(args.package_dir).as_posix().strip("/") or "."
    if package_dir.startswith("..") or Path(package_dir).is_absolute():
        parser.error(f"--package-dir must be a folder inside the project, got {args.package_dir}")
    if args.tag_pattern is not None and "*" not in args.tag_pattern:
        parser.error(f"--tag-pattern must contain '*', got {args.tag_pattern}")
    return Settings(
        project=args.dir.resolve(),
        package_dir=package_dir,
        base_branch=args.base_branch,
        tag_pattern=args.tag_pattern,
        makefile=args.makefile,
        dry_run=args.dry_run,
    )


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_args(argv)
    try:
        report = init(settings)
    except BadInputError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2
    except (FailedError, OSError) as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    print_report(settings, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
