"""The four deploy targets speak with one voice, and `make plan` plans for REF.

Each row runs the real make targets in a project that has the kit copied in, against
pypiserver, the two registries and the GitHub API stand-in:

- a ref a target does not publish: exactly one line `<target>: skipped (<reason>)`, exit 0,
  nothing published anywhere, and `make plan`'s cell for it is `skip: <the same reason>`;
- REF (else GITHUB_REF, else the checkout) picks the ref of every row of `make plan`;
- a planner that fails stops `make plan` with its own one line and no table;
- a bad value or a REF naming a version tag that is not in git: one line, exit 2, nothing
  published, no file written (REFUSED: a new case is a new row).
Races (two targets at once) are in tests/test_deploy_races.py.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.peers.github_api import GitHubStandIn
from tests.peers.kit_project import Project, kit_project, kit_project_template
from tests.peers.pypi import PypiServer, make_sdist, make_wheel
from tests.peers.registry import Registries, unique_repo

__all__ = ["kit_project", "kit_project_template"]  # fixtures used by this module

TARGETS = ("deploy-pypi", "deploy-github-release", "deploy-dockerhub", "deploy-ghcr")
MAKE_ERROR = re.compile(r"make(\[\d+\])?: \*\*\* .* Error \d+")
RELEASE = "v1.2.3 v1.2 latest"  # the image tags of v1.2.3, the highest release


@dataclass
class Setting:
    """The kit project, its dists, and every peer a deploy target could publish to."""

    project: Project
    pypi: PypiServer
    registries: Registries
    image: str  # repository path on both registries

    @property
    def gh(self) -> GitHubStandIn:
        return self.project.gh

    def env(self, extra: Mapping[str, str]) -> dict[str, str]:
        hub, ghcr = self.registries
        venv_bin = str(Path(sys.executable).parent)
        return {
            **os.environ,
            **self.gh.env(),
            "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHON": sys.executable,
            "PYPI_REPOSITORY_URL": self.pypi.url,
            "TWINE_USERNAME": self.pypi.username,
            "TWINE_PASSWORD": self.pypi.password,
            "IMAGES_EVERY_BUILD": f"{hub.host}/{self.image}",
            "IMAGES_RELEASE_ONLY": f"{ghcr.host}/{self.image}",
            "IMAGE_LOCAL": "demo:built",
            "DOCKERHUB_USERNAME": hub.username,
            "DOCKERHUB_TOKEN": hub.password,
            "GHCR_USERNAME": ghcr.username,
            "GHCR_TOKEN": ghcr.password,
            **extra,
        }

    def make(self, *args: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["make", "--no-print-directory", "-s", *args],
            cwd=self.project.path,
            env=self.env(env),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def published(self) -> list[str]:
        """Everything any peer holds: index files, registry tags, GitHub writes."""
        hub, ghcr = self.registries
        return [
            *(f"pypi: {p.name}" for p in self.pypi.packages_dir.iterdir()),
            *(f"dockerhub: {t}" for t in hub.tags(self.image)),
            *(f"ghcr: {t}" for t in ghcr.tags(self.image)),
            *(f"github: {r.method} {r.path}" for r in self.gh.requests if r.method != "GET"),
        ]


@pytest.fixture
def setting(
    kit_project: Project,
    pypi: PypiServer,
    registries: Registries,
    request: pytest.FixtureRequest,
) -> Setting:
    dist = kit_project.path / "dist"
    files = [make_wheel(dist, "demo", "1.2.0"), make_sdist(dist, "demo", "1.2.0")]
    sums = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in files]
    (dist / "SHA256SUMS").write_text("".join(sums), encoding="utf-8")
    return Setting(kit_project, pypi, registries, unique_repo(request.node.nodeid))


def table(stdout: str) -> dict[str, list[str]]:
    """`make plan`'s table: target -> the TAGS cells of its rows (columns by the header)."""
    header, *lines = stdout.splitlines()
    assert header.split() == ["TARGET", "DESTINATION", "WHAT", "TAGS"], stdout
    tags_at = header.index("TAGS")
    cells: dict[str, list[str]] = {}
    for line in lines:
        cells.setdefault(line.split()[0], []).append(line[tags_at:])
    return cells


# ---- a ref a target does not publish: one line, one form, exit 0, nothing published ---------


@dataclass(frozen=True)
class Ref:
    id: str
    env: dict[str, str]
    ref: str  # the full ref every target reads from env
    hub: str | None  # deploy-dockerhub's reason, None when it publishes this ref


REFS = [
    Ref("base branch", {"GITHUB_REF": "refs/heads/main"}, "refs/heads/main", None),
    Ref(
        "other branch",
        {"GITHUB_REF": "refs/heads/topic"},
        "refs/heads/topic",
        "branch topic is not the base branch main",
    ),
    Ref(
        "tag that is no version",
        {"GITHUB_REF": "refs/tags/nightly"},
        "refs/tags/nightly",
        "tag nightly is not a version tag (v*)",
    ),
    Ref(
        "pull request",
        {"GITHUB_REF": "refs/pull/7/merge", "GITHUB_EVENT_NAME": "pull_request"},
        "refs/pull/7/merge",
        "pull request 7: built, never pushed",
    ),
    Ref(
        "REF wins over GITHUB_REF",
        {"REF": "topic", "GITHUB_REF": "refs/tags/v1.2.0"},
        "refs/heads/topic",
        "branch topic is not the base branch main",
    ),
    Ref("the checkout's branch", {}, "refs/heads/main", None),
]


@dataclass(frozen=True)
class Skip:
    target: str
    ref: str
    env: dict[str, str]
    reason: str

    @property
    def id(self) -> str:
        return f"{self.target}-{self.ref}"


SKIPS = [
    *(
        Skip(target, ref.id, ref.env, f"not a release tag: {ref.ref}")
        for ref in REFS
        for target in ("deploy-pypi", "deploy-github-release", "deploy-ghcr")
    ),
    *(Skip("deploy-dockerhub", ref.id, ref.env, ref.hub) for ref in REFS if ref.hub),
    Skip(
        "deploy-ghcr",
        "release tag, no release-only image",
        {"GITHUB_REF": "refs/tags/v1.2.0", "IMAGES_RELEASE_ONLY": "none"},
        "no release-only images configured",
    ),
    Skip(
        "deploy-dockerhub",
        "release tag, no every-build image",
        {"GITHUB_REF": "refs/tags/v1.2.0", "IMAGES_EVERY_BUILD": "none"},
        "no every-build images configured",
    ),
]


@pytest.mark.parametrize("row", SKIPS, ids=[row.id for row in SKIPS])
def test_a_ref_a_target_does_not_publish_is_one_line_and_publishes_nothing(
    setting: Setting, row: Skip
) -> None:
    done = setting.make(row.target, env=row.env)
    planned = setting.make("plan", env=row.env)

    assert done.returncode == 0, done.stdout + done.stderr
    assert (done.stdout + done.stderr).splitlines() == [f"{row.target}: skipped ({row.reason})"]
    assert setting.published() == []
    assert planned.returncode == 0, planned.stderr
    assert table(planned.stdout)[row.target] == [f"skip: {row.reason}"]


# ---- make plan: REF, else GITHUB_REF, else the checkout, for every row -----------------------


def not_released(ref: str) -> str:
    return f"skip: not a release tag: {ref}"


@dataclass(frozen=True)
class PlanRow:
    id: str
    env: dict[str, str]
    cells: dict[str, str]  # target -> its TAGS cell
    checkout: str = ""  # what to check out first ("" = main, as the project is)


PLANS = [
    PlanRow(
        "REF, a full tag ref, wins over GITHUB_REF",
        {"REF": "refs/tags/v1.2.3", "GITHUB_REF": "refs/heads/main"},
        {"deploy-pypi": "1.2.3", "deploy-github-release": "v1.2.3"}
        | dict.fromkeys(("deploy-dockerhub", "deploy-ghcr"), RELEASE),
    ),
    PlanRow(
        "REF, a tag name",
        {"REF": "v1.2.3"},
        {"deploy-pypi": "1.2.3", "deploy-github-release": "v1.2.3"}
        | dict.fromkeys(("deploy-dockerhub", "deploy-ghcr"), RELEASE),
    ),
    PlanRow(
        "REF, the base branch, wins over a tag in GITHUB_REF",
        {"REF": "main", "GITHUB_REF": "refs/tags/v1.2.0"},
        dict.fromkeys(TARGETS, not_released("refs/heads/main")) | {"deploy-dockerhub": "unstable"},
    ),
    PlanRow(
        "GITHUB_REF without REF",
        {"GITHUB_REF": "refs/tags/v1.2.3"},
        {"deploy-pypi": "1.2.3", "deploy-github-release": "v1.2.3"}
        | dict.fromkeys(("deploy-dockerhub", "deploy-ghcr"), RELEASE),
    ),
    PlanRow(
        "the checkout at a version tag",
        {},
        {"deploy-pypi": "1.2.0", "deploy-github-release": "v1.2.0"}
        | dict.fromkeys(("deploy-dockerhub", "deploy-ghcr"), "v1.2.0 v1.2 latest"),
        checkout="v1.2.0",
    ),
    PlanRow(
        "the checkout on the base branch",
        {},
        dict.fromkeys(TARGETS, not_released("refs/heads/main")) | {"deploy-dockerhub": "unstable"},
    ),
]


@pytest.mark.parametrize("row", PLANS, ids=[row.id for row in PLANS])
def test_make_plan_plans_every_row_for_the_same_ref(setting: Setting, row: PlanRow) -> None:
    if row.checkout:
        setting.project.repo.git("checkout", "--quiet", row.checkout)

    planned = setting.make("plan", env=row.env)

    assert planned.returncode == 0, planned.stderr
    assert {target: cells[0] for target, cells in table(planned.stdout).items()} == row.cells
    assert setting.published() == []


# ---- a planner that fails stops make plan: its own line, no table ------------------------------


@dataclass(frozen=True)
class Broken:
    id: str
    env: dict[str, str]
    says: str  # the failing planner's one line starts so


BROKEN = [
    Broken(
        "pypi planner (first)",
        {"PYPI_REPOSITORY_URL": "ftp://index.invalid/"},
        "pypi_publish.py: error: --repository-url must be an http(s) URL",
    ),
    Broken(
        "image planner (in the middle)",
        {"IMAGES_EVERY_BUILD": "Docker.io/Acme/App"},
        "docker_tags.py: error: image 'Docker.io/Acme/App' is not host/path in lower case",
    ),
    Broken(
        "release planner (last)",
        {"GITHUB_API_URL": "ftp://api.invalid/"},
        "draft_release.py: error: --api-url must be an http(s) URL",
    ),
]


@pytest.mark.parametrize("row", BROKEN, ids=[row.id for row in BROKEN])
def test_a_failing_planner_stops_make_plan_with_its_own_line(setting: Setting, row: Broken) -> None:
    planned = setting.make("plan", env={"REF": "refs/tags/v1.2.3", **row.env})

    lines = [line for line in planned.stderr.splitlines() if not MAKE_ERROR.fullmatch(line)]
    assert planned.returncode == 2, planned.stdout + planned.stderr
    assert planned.stdout == ""
    assert len(lines) == 1, planned.stderr
    assert lines[0].startswith(row.says), planned.stderr


# ---- a bad value or an odd ref: one line, exit 2, before any work --------------------------------


@dataclass(frozen=True)
class Refused:
    """`make ARGS` with `env` (and `setup` done first) refused in one line naming `says`."""

    id: str
    args: tuple[str, ...]
    says: str
    env: dict[str, str] = field(default_factory=dict)
    setup: Callable[[Setting], None] | None = None


def dist_entry_is_a_folder(listed: bool) -> Callable[[Setting], None]:
    def setup(setting: Setting) -> None:
        dist = setting.project.path / "dist"
        (dist / "x.whl").mkdir()
        if listed:
            with (dist / "SHA256SUMS").open("a", encoding="utf-8") as sums:
                sums.write(f"{'0' * 64}  x.whl\n")

    return setup


def api_answers_html(setting: Setting) -> None:
    setting.gh.html_page(times=10)


NO_TAG = "there is no tag"
DEPLOYING = (*TARGETS, "verify")
NOT_ASCII = "holds a character that is not printable ASCII"
RELEASED = "REF=v1.2.0"  # the project's one tag

REFUSED = [
    # A version tag that is not in git: nothing is published for it, nor planned under a name
    # its version's tag never has (a plan for a tag not made yet is fine: PLANS above).
    *(
        Refused(f"{target}-REF={ref}", (target, f"REF={ref}"), f"REF={ref}: {NO_TAG} {ref}")
        for target in DEPLOYING
        for ref in ("v1.3", "v1.3.0", "v01.3.0.0")
    ),
    *(
        Refused(f"{target}-dry-run-REF=v1.3", (target, "DRY_RUN=1", "REF=v1.3"), f"{NO_TAG} v1.3")
        for target in TARGETS
    ),
    Refused("plan-REF=v01.3.0.0", ("plan", "REF=v01.3.0.0"), "the tag of 1.3.0.0 is v1.3.0.0"),
    Refused("plan-REF=v1.02", ("plan", "REF=v1.02"), "the tag of 1.2 is v1.2"),
    Refused(
        "release-notes-outside-the-work-tree",
        ("deploy-github-release", RELEASED, "RELEASE_NOTES=../outside/notes.md"),
        "../outside/notes.md: outside the work tree",
    ),
    Refused(
        "api-url-answering-html",
        ("deploy-github-release", RELEASED),
        "answered 200 with text/html, not JSON: check GITHUB_API_URL",
        setup=api_answers_html,
    ),
    Refused(
        "api-url-answering-html-verify",
        ("verify-github-release", RELEASED),
        "answered 200 with text/html, not JSON",
        setup=api_answers_html,
    ),
    *(
        Refused(f"{name}-not-ascii-{slug}", (target, RELEASED), f"{name} {NOT_ASCII}", {name: v})
        for target, name in (
            ("deploy-github-release", "GITHUB_TOKEN"),
            ("deploy-pypi", "TWINE_PASSWORD"),
            ("deploy-dockerhub", "DOCKERHUB_TOKEN"),
            ("deploy-ghcr", "GHCR_TOKEN"),
        )
        for slug, v in (("latin-1", "secret-é-token"), ("euro", "secret-€-token"))
    ),
    *(
        Refused(
            f"{target}-{name}-port-{port}",
            (target, RELEASED),
            f"port '{port}' is not a number from 1 to 65535",
            {name: f"127.0.0.1:{port}/acme/demo"},
        )
        for target, name in (
            ("deploy-dockerhub", "IMAGES_EVERY_BUILD"),
            ("deploy-ghcr", "IMAGES_RELEASE_ONLY"),
            ("plan", "IMAGES_EVERY_BUILD"),
            ("plan", "IMAGES_RELEASE_ONLY"),
        )
        for port in ("abc", "99999", "0")
    ),
    *(
        Refused(f"{target}-{name}-{slug}", (target, RELEASED), says, {name: url})
        for target, name, says in (
            ("deploy-pypi", "PYPI_REPOSITORY_URL", "--repository-url must be an http(s) URL"),
            ("plan", "PYPI_REPOSITORY_URL", "--repository-url must be an http(s) URL"),
            ("deploy-github-release", "GITHUB_API_URL", "--api-url must be an http(s) URL"),
            ("plan", "GITHUB_API_URL", "--api-url must be an http(s) URL"),
        )
        for slug, url in (
            ("broken-ipv6-host", "http://[::1/"),
            ("port-abc", "http://127.0.0.1:abc/"),
            ("space", "http://index example/"),
            ("no-host", "http:///simple/"),
        )
    ),
    Refused("plan-image-in-capitals", ("plan",), "is not host/path", {"IMAGES_EVERY_BUILD": "A/B"}),
    *(
        Refused(f"{target}-dist-entry-a-folder-{slug}", (target, RELEASED), says, setup=setup)
        for target in ("deploy-pypi", "deploy-github-release")
        for slug, setup, says in (
            ("not-listed", dist_entry_is_a_folder(False), "dist/x.whl is not listed in SHA256SUMS"),
            ("listed", dist_entry_is_a_folder(True), "x.whl"),
        )
    ),
]


def tree(setting: Setting) -> dict[str, str]:
    """Every file beside and in the checkout (but .git, origin and build/, the kit's own
    scratch), by digest, and the checkout's refs."""
    root = setting.project.tmp
    seen = {}
    for path in sorted(root.rglob("*")):
        parts = path.relative_to(root).parts
        if {".git", "build"} & set(parts) or parts[0].endswith(".git"):
            continue
        seen[str(path.relative_to(root))] = (
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        )
    seen["refs"] = setting.project.repo.git("for-each-ref", "--format=%(refname) %(objectname)")
    return seen


@pytest.mark.parametrize("row", REFUSED, ids=[row.id for row in REFUSED])
def test_a_bad_value_or_an_odd_ref_is_one_line_before_any_work(
    setting: Setting, row: Refused
) -> None:
    if row.setup is not None:
        row.setup(setting)
    before = tree(setting)

    done = setting.make(*row.args, env=row.env)

    output = done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if not MAKE_ERROR.fullmatch(line)]
    assert done.returncode == 2, output
    assert len(lines) == 1, output
    assert row.says in lines[0], output
    assert "Traceback" not in output
    assert setting.published() == []
    assert tree(setting) == before
