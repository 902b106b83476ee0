"""make demo: the release train end to end, run by a sample project's own workflow files.

A sandbox in a temp dir holds a sample project with a realistic history that adopted the kit
with `releasekit init`, its bare origin, pypiserver, two registries, the GitHub REST API
stand-in and a container engine. act runs the project's rc.yml, rt.yml and ci.yml on the host;
where act cannot stand in for a piece of Actions, the demo runs the same make call with the
variables Actions would set, and says so. Then every claim is checked against the peers.

Run it with `make demo` (KEEP=1 keeps the sandbox). Exit 0 when every claim passes.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import FrameType
from typing import Any

from demo import sample
from releasekit.rules.cli import yes_no
from tests.peers.github_api import GitHubStandIn
from tests.peers.pypi import PypiServer, serve_pypi
from tests.peers.registry import Registries, Registry, serve_registries

KIT = Path(__file__).resolve().parents[1]
ACTIONS = KIT / "tests" / "peers" / "actions"
VENV_BIN = Path(sys.executable).parent
KIT_MAKE_VARIABLES = ("PY", "VENV", "PYTHON", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*([\w.-]+/[\w.-]+)@([\w.-]+)", re.MULTILINE)


class DemoError(Exception):
    """A stage that failed: one line for the stage's result."""


@dataclass
class Sandbox:
    root: Path
    keep: bool
    origin: Path = Path()
    project: Path = Path()  # the maintainer's clone
    github: GitHubStandIn | None = None
    pypi: PypiServer | None = None
    registries: Registries | None = None
    engine: str = "docker"
    wanted_engine: str = ""  # $ENGINE: docker or podman; empty: the first that can run
    engine_env: dict[str, str] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    log: Path = Path()

    @property
    def gh(self) -> GitHubStandIn:
        assert self.github is not None
        return self.github

    @property
    def index(self) -> PypiServer:
        assert self.pypi is not None
        return self.pypi

    @property
    def regs(self) -> Registries:
        assert self.registries is not None
        return self.registries


@dataclass(frozen=True)
class Stage:
    name: str
    run: Callable[[Sandbox], str]
    needs: tuple[str, ...] = ()  # make targets the stage drives; it waits for the kit to have them


# ---- running things ------------------------------------------------------------------------


def run(
    sandbox: Sandbox,
    command: Sequence[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    what: str = "",
    unset: Sequence[str] = (),
) -> str:
    """Run a command, its output to the sandbox's log; raise with the output's tail on failure."""
    environment = {k: v for k, v in os.environ.items() if k not in unset}
    with sandbox.log.open("a", encoding="utf-8") as log:
        log.write(f"\n$ {' '.join(command)}  (in {cwd})\n")
    result = subprocess.run(
        list(command),
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={**environment, **(env or {})},
    )
    with sandbox.log.open("a", encoding="utf-8") as log:
        log.write(result.stdout + result.stderr)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise DemoError(f"{what or command[0]} failed (exit {result.returncode}):\n{tail}")
    return result.stdout


def git(sandbox: Sandbox, cwd: Path, *args: str) -> str:
    return run(sandbox, ["git", *args], cwd, what=f"git {args[0]}").strip()


def kit_targets(project: Path) -> set[str]:
    text = (project / "releasekit.mk").read_text(encoding="utf-8")
    return set(re.findall(r"^([a-zA-Z0-9_.-]+):", text, re.MULTILINE))


def runnable(project: Path) -> set[str]:
    """The make targets the train can reach: in releasekit.mk and, when act runs ci.yml, in a
    job of ci.yml too (a target no job calls publishes nothing in the demo either)."""
    targets = kit_targets(project)
    if not ci_runs_via_act(project):
        return targets
    ci = (project / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    called = set(re.findall(r"\bmake ([a-zA-Z0-9_.-]+)", ci))
    aggregates = {"deploy": "deploy-", "verify": "verify-"}
    return {
        t
        for t in targets
        if t in called
        or t not in {"deploy-dockerhub", "deploy-ghcr", "image", *aggregates}
        or any(c.startswith(aggregates.get(t, "\0")) for c in called)
    }


def actions_env(sandbox: Sandbox) -> dict[str, str]:
    """What Actions sets for the kit's steps: the stand-ins' URLs, repository and engine."""
    return {
        "GITHUB_API_URL": sandbox.gh.api_url,
        "GITHUB_REPOSITORY": sample.REPOSITORY,
        "GITHUB_SERVER_URL": sandbox.gh.api_url,
        "PYPI_REPOSITORY_URL": sandbox.index.url,
        "PYPI_SIMPLE_URL": sandbox.index.simple_url,
        "DOCKER": sandbox.engine,
        "IMAGES_EVERY_BUILD": f"{sandbox.regs.dockerhub.host}/{sample.REPOSITORY}",
        "IMAGES_RELEASE_ONLY": f"{sandbox.regs.ghcr.host}/{sample.REPOSITORY}",
        "BASE_IMAGE": str(sandbox.facts.get("base_image", "")),
        "ACT_ARTIFACTS": str(sandbox.root / "artifacts"),
        "STANDIN_PYTHON": str(sandbox.root / "toolcache" / "python"),
        **sandbox.engine_env,
    }


def secrets(sandbox: Sandbox) -> dict[str, str]:
    return {
        # No RELEASE_TOKEN and no App: rt.yml pushes with the job's own token, as a project
        # that added no secret does, and GitHub's trigger rule decides what runs next.
        "GITHUB_TOKEN": sandbox.gh.token,
        "PYPI_TOKEN": sandbox.index.password,  # ci.yml logs in as __token__ with it
        "TWINE_USERNAME": sandbox.index.username,
        "TWINE_PASSWORD": sandbox.index.password,
        "PYPI_USERNAME": sandbox.index.username,
        "PYPI_PASSWORD": sandbox.index.password,
        "DOCKERHUB_USERNAME": sandbox.regs.dockerhub.username,
        "DOCKERHUB_TOKEN": sandbox.regs.dockerhub.password,
        "GHCR_USERNAME": sandbox.regs.ghcr.username,
        "GHCR_TOKEN": sandbox.regs.ghcr.password,
    }


def runner_checkout(sandbox: Sandbox, ref: str, name: str) -> Path:
    """A fresh clone at `ref`, as actions/checkout leaves it (act copies it into its workspace)."""
    path = sandbox.root / "runners" / name
    git(sandbox, sandbox.root, "clone", "--quiet", str(sandbox.origin), str(path))
    git(sandbox, path, "checkout", "--quiet", ref)
    return path


def act(
    sandbox: Sandbox,
    checkout: Path,
    workflow: str,
    event: str,
    inputs: dict[str, str] | None = None,
    payload: dict[str, Any] | None = None,
) -> str:
    """Run one of the project's workflow files with act on the host; return its output."""
    text = (checkout / ".github" / "workflows" / workflow).read_text(encoding="utf-8")
    command = [
        str(VENV_BIN / "act"),
        event,
        "-W",
        f".github/workflows/{workflow}",
        "-P",
        "ubuntu-latest=-self-hosted",
        "--action-cache-path",
        str(sandbox.root / "act-cache"),
        "--actor",
        "demo-maintainer",
    ]
    for repo, ref in sorted(set(USES.findall(text))):
        if repo == "actions/checkout":
            continue  # act copies the local checkout itself
        stand_in = ACTIONS / repo
        if not (stand_in / "action.yml").is_file():
            raise DemoError(f"{workflow} uses {repo}, which has no stand-in in {ACTIONS}")
        command += ["--local-repository", f"{repo}@{ref}={stand_in}"]
    command += one_python(text)
    for name, value in actions_env(sandbox).items():
        command += ["--env", f"{name}={value}"]
    for name, value in secrets(sandbox).items():
        command += ["-s", f"{name}={value}"]
    # No buildx or QEMU on the host: a workflow reading vars.PLATFORMS builds the host's only.
    command += ["--var", f"PLATFORMS={host_platform()}"]
    for name, value in (inputs or {}).items():
        command += ["--input", f"{name}={value}"]
    if payload is not None:
        event_file = sandbox.root / f"event-{workflow}-{time.monotonic_ns()}.json"
        event_file.write_text(json.dumps(payload), encoding="utf-8")
        command += ["-e", str(event_file)]
    # The host's own python3 first: the setup-python stand-in makes its venv from it.
    path = os.environ.get("PATH", "").replace(f"{VENV_BIN}{os.pathsep}", "")
    toolcache = Path(actions_env(sandbox)["STANDIN_PYTHON"])
    if not (toolcache / "bin" / "python").exists():
        run(sandbox, ["python3", "-m", "venv", str(toolcache)], sandbox.root, {"PATH": path})
    # The kit's own make settings (`make demo` exports PY, VENV, ...) stay out of the runner.
    return run(
        sandbox,
        command,
        checkout,
        env={"PATH": path},
        what=f"act {event} {workflow}",
        unset=KIT_MAKE_VARIABLES,
    )


def one_python(workflow_text: str) -> list[str]:
    """act's --matrix for a job matrix over Python versions: one entry, the host's when the
    matrix has it. The setup-python stand-in gives every entry the host's own python3, so the
    other entries would only run the same thing again."""
    import yaml

    jobs = (yaml.safe_load(workflow_text) or {}).get("jobs") or {}
    versions = [
        str(v)
        for job in jobs.values()
        for v in ((job.get("strategy") or {}).get("matrix") or {}).get("python") or []
    ]
    if not versions:
        return []
    host = f"{sys.version_info.major}.{sys.version_info.minor}"
    return ["--matrix", f"python:{host if host in versions else versions[-1]}"]


def host_platform() -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"linux/{arch}"


def make(sandbox: Sandbox, cwd: Path, *targets: str, env: dict[str, str]) -> str:
    path = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    return run(sandbox, ["make", "--no-print-directory", *targets], cwd, {**env, "PATH": path})


def as_actions_would(sandbox: Sandbox, ref: str, sha: str) -> dict[str, str]:
    """The variables a ci.yml job on a push of `ref` sees, plus the secrets it is given."""
    kind = "tag" if ref.startswith("refs/tags/") else "branch"
    return {
        **actions_env(sandbox),
        **secrets(sandbox),
        "BUILD_NO_ISOLATION": "1",  # the kit's venv has the build backend; a runner fetches it
        "GITHUB_ACTIONS": "true",
        "GITHUB_REF": ref,
        "GITHUB_REF_NAME": ref.rsplit("/", 1)[-1],
        "GITHUB_REF_TYPE": kind,
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_SHA": sha,
    }


# ---- the peers -----------------------------------------------------------------------------


ENGINES = ("docker", "podman")


def choose_engine(wanted: str = "") -> str:
    """$ENGINE when set; else a private dockerd when root can start one, else podman."""
    can_docker = bool(shutil.which("dockerd") and shutil.which("docker") and os.geteuid() == 0)
    if wanted == "docker" and not can_docker:
        raise DemoError("ENGINE=docker needs dockerd and docker (Debian's docker.io) and root")
    if wanted == "podman" and not shutil.which("podman"):
        raise DemoError("ENGINE=podman needs podman (Debian's podman)")
    if wanted:
        return wanted
    if can_docker:
        return "docker"
    if shutil.which("podman"):
        return "podman"
    raise DemoError("no container engine: install docker.io (as root) or podman")


def token_user(htpasswd: Path, password: str) -> None:
    """PyPI's API-token login (`__token__`) on the stand-in index, beside its own user."""
    from passlib.hash import apr_md5_crypt

    with htpasswd.open("a", encoding="utf-8") as users:
        users.write(f"__token__:{apr_md5_crypt.hash(password)}\n")


@contextlib.contextmanager
def peers(sandbox: Sandbox) -> Iterator[None]:
    from tests.peers.engines import private_dockerd, private_podman

    with contextlib.ExitStack() as stack:
        sandbox.origin = sandbox.root / "origin.git"
        git(sandbox, sandbox.root, "init", "--quiet", "--bare", "-b", "main", str(sandbox.origin))
        sandbox.github = stack.enter_context(
            GitHubStandIn(repository=sample.REPOSITORY, login="github-actions[bot]")
        )
        sandbox.github.origin = sandbox.origin  # a dispatch names a ref origin must hold
        sandbox.pypi = stack.enter_context(serve_pypi(sandbox.root / "pypi"))
        token_user(sandbox.root / "pypi" / "htpasswd", sandbox.index.password)
        sandbox.registries = stack.enter_context(serve_registries(sandbox.root / "registries"))
        sandbox.engine = choose_engine(sandbox.wanted_engine)
        if sandbox.engine == "docker":
            base = stack.enter_context(private_dockerd())
            config = sandbox.root / "docker-config"
            config.mkdir()
            (config / "config.json").write_text("{}", encoding="utf-8")
            sandbox.engine_env = {**base, "DOCKER_CONFIG": str(config)}
        else:
            base = stack.enter_context(private_podman(sandbox.regs))
            auth = sandbox.root / "auth.json"
            auth.write_text(json.dumps({"auths": {}}), encoding="utf-8")
            sandbox.engine_env = {**base, "REGISTRY_AUTH_FILE": str(auth)}
        yield


# ---- the stages ----------------------------------------------------------------------------


def stage_sandbox(sandbox: Sandbox) -> str:
    regs = sandbox.regs
    return (
        f"origin {sandbox.origin.name}, GitHub stand-in {sandbox.gh.api_url}, "
        f"pypiserver {sandbox.index.url}, registries {regs.dockerhub.host} (Docker Hub) "
        f"and {regs.ghcr.host} (GHCR), engine {sandbox.engine}"
    )


def dockerfile() -> str:
    kit = KIT / "Dockerfile"
    if kit.is_file():
        text = kit.read_text(encoding="utf-8")
        return re.sub(r"^CMD .*$", f'CMD ["{sample.NAME}"]', text, flags=re.MULTILINE)
    return f'FROM scratch\nCOPY dist/ /dist/\nCMD ["{sample.NAME}"]\n'


def stage_adopt(sandbox: Sandbox) -> str:
    laptop = sandbox.root / "laptop" / sample.NAME
    sample.make_project(laptop, dockerfile())
    sandbox.project = laptop
    out = run(
        sandbox,
        [sys.executable, str(KIT / "src" / "releasekit" / "init.py"), "init", str(laptop)],
        laptop,
        what="releasekit init",
    )
    wrote = sum(1 for line in out.splitlines() if line.startswith("wrote"))
    kept = [line.split()[1] for line in out.splitlines() if line.startswith("kept      ")]
    # The maintainer adds the line init printed for their own Makefile.
    with (laptop / "Makefile").open("a", encoding="utf-8") as makefile:
        makefile.write("\ninclude releasekit.mk\n")
    git(sandbox, laptop, "add", "--all")
    git(
        sandbox,
        laptop,
        "commit",
        "--quiet",
        "-m",
        "chore: adopt the release train (releasekit init)",
    )
    git(sandbox, laptop, "remote", "add", "origin", str(sandbox.origin))
    git(sandbox, laptop, "push", "--quiet", "origin", "main", "--tags")
    commits = git(sandbox, laptop, "rev-list", "--count", "HEAD")
    return (
        f"{sample.NAME}: {commits} commits, tag v{sample.FIRST}; releasekit init wrote {wrote} "
        f"files, kept {', '.join(kept) or 'none'} (include line added by hand)"
    )


def stage_base_image(sandbox: Sandbox) -> str:
    # The root file system tarball is cached in the kit's checkout: a warm demo only imports it.
    cache = str(KIT / ".cache" / "base-image")
    env = {**actions_env(sandbox), "BASE_IMAGE": "", "BASE_IMAGE_CACHE": cache}
    out = make(sandbox, sandbox.project, "base-image", env=env).strip().splitlines()
    sandbox.facts["base_image"] = out[-1] if out else ""
    return f"make base-image: {sandbox.facts['base_image']}"


def stage_rc(sandbox: Sandbox) -> str:
    checkout = runner_checkout(sandbox, "main", "rc")
    act(sandbox, checkout, "rc.yml", "workflow_dispatch")
    pulls = sandbox.gh.pulls("open")
    if len(pulls) != 1:
        raise DemoError(f"expected one open PR on the stand-in, found {len(pulls)}")
    pull = pulls[0]
    sandbox.facts["pull"] = pull
    return f"act workflow_dispatch rc.yml: draft PR #{pull['number']} {pull['title']!r}"


def stage_notes(sandbox: Sandbox) -> str:
    """The maintainer edits the draft on the PR's branch: version, date, one entry; merges."""
    pull = sandbox.facts["pull"]
    branch = pull["head"]["ref"]
    laptop = sandbox.project
    git(sandbox, laptop, "fetch", "--quiet", "origin")
    git(sandbox, laptop, "switch", "--quiet", "-c", branch, f"origin/{branch}")
    changes = laptop / "CHANGES.rst"
    text = changes.read_text(encoding="utf-8")
    match = re.search(r"^(\S+) \(unreleased\)\n-+\n", text, re.MULTILINE)
    if not match:
        raise DemoError("the draft section '... (unreleased)' is not in CHANGES.rst")
    version = "0.2.0"
    today = datetime.now(timezone.utc).date().isoformat()
    title = f"{version} ({today})"
    text = text.replace(match.group(0), f"{title}\n{'-' * len(title)}\n", 1)
    # One entry reworded, as a maintainer does for the people who read the notes.
    text = re.sub(r"^(- .*[Gg]reet.*)$", r"\1 (``rk-demo --name``)", text, count=1, flags=re.M)
    changes.write_text(text, encoding="utf-8")
    git(sandbox, laptop, "commit", "--quiet", "-am", "docs: release notes for 0.2.0")
    git(sandbox, laptop, "push", "--quiet", "origin", branch)
    git(sandbox, laptop, "switch", "--quiet", "main")
    git(
        sandbox,
        laptop,
        "merge",
        "--no-ff",
        "--quiet",
        branch,
        "-m",
        f"Merge pull request #{pull['number']} from {sample.OWNER}/{branch}",
    )
    git(sandbox, laptop, "push", "--quiet", "origin", "main")
    close_pull(sandbox, int(pull["number"]))
    sandbox.facts["version"] = version
    return f"set {version} ({today}) and an entry in CHANGES.rst, merged PR #{pull['number']}"


def close_pull(sandbox: Sandbox, number: int) -> None:
    request = urllib.request.Request(  # noqa: S310 - the stand-in's http URL
        f"{sandbox.gh.api_url}/repos/{sample.REPOSITORY}/pulls/{number}",
        data=json.dumps({"state": "closed"}).encode(),
        method="PATCH",
        headers={
            "Authorization": f"Bearer {sandbox.gh.token}",
            "Accept": "application/vnd.github+json",
        },
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass


def stage_rt(sandbox: Sandbox) -> str:
    checkout = runner_checkout(sandbox, "main", "rt")
    act(sandbox, checkout, "rt.yml", "workflow_dispatch", inputs={"dryrun": "false"})
    tag = f"v{sandbox.facts['version']}"
    sha = git(sandbox, sandbox.origin, "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}^{{}}")
    sandbox.facts["tag"] = tag
    sandbox.facts["tag_sha"] = sha
    sandbox.facts["pushed_with"] = "github-token"  # secrets() holds no RELEASE_TOKEN, no App
    return f"act workflow_dispatch rt.yml (dryrun=false): pushed {tag} at {sha[:12]}"


# GitHub's trigger rule: a push made with the job's own GITHUB_TOKEN starts no workflow run;
# one made with another token (RELEASE_TOKEN, an App's) does; a workflow_dispatch always does.
PUSH_STARTS_RUNS = {"github-token": False, "release-token": True, "app-token": True}


def runs_started(sandbox: Sandbox, ref: str) -> list[str]:
    """The events of the ci.yml runs GitHub starts for `ref` after rt.yml: the push's, if the
    token it was made with starts runs, and one per dispatch the stand-in answered."""
    events = ["push"] if PUSH_STARTS_RUNS[sandbox.facts["pushed_with"]] else []
    dispatched = [r for w, r in sandbox.gh.dispatches if w == "ci.yml" and r == ref]
    return events + ["workflow_dispatch"] * len(dispatched)


CI_TARGETS = ("build", "image", "deploy", "verify")


def ci_runs_via_act(checkout: Path) -> bool:
    """Whether the project's ci.yml is the job graph of make calls act can run here."""
    text = (checkout / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    return all(f"make {target}" in text for target in ("build", "deploy"))


def ci_push(
    sandbox: Sandbox, ref: str, name: str, event: str = "push", workflow: str = "ci.yml"
) -> str:
    short = ref.rsplit("/", 1)[-1]
    sha = git(sandbox, sandbox.origin, "rev-parse", f"{ref}^{{}}")
    checkout = runner_checkout(sandbox, sha, name)
    payload: dict[str, Any] = {"ref": ref, "repository": {"full_name": sample.REPOSITORY}}
    if event == "push":
        payload["after"] = sha
    else:
        payload["inputs"] = {}
    if ci_runs_via_act(checkout):
        if workflow != "ci.yml":
            rerun_workflow(checkout, workflow)
        act(sandbox, checkout, workflow, event, payload=payload)
        return f"act {event} {workflow} ({short})"
    # ci.yml here still runs the kit's own suite in one job: run its make calls as it would.
    targets = [
        t for t in ("check", "test", *CI_TARGETS) if t in kit_targets(checkout) | {"check", "test"}
    ]
    make(sandbox, checkout, *targets, env=as_actions_would(sandbox, ref, sha))
    return f"make {' '.join(targets)} with ci.yml's variables for {short} (not via act: see docs)"


def rerun_workflow(checkout: Path, name: str) -> None:
    """ci.yml's deploy jobs alone, as GitHub's "Re-run jobs" runs them: the artifacts the
    first run made are there (ACT_ARTIFACTS), so nothing is checked, built or packed again."""
    import yaml

    path = checkout / ".github" / "workflows"
    workflow = yaml.safe_load((path / "ci.yml").read_text(encoding="utf-8"))
    jobs = {k: v for k, v in workflow["jobs"].items() if k.startswith("deploy-")}
    for job in jobs.values():
        job["needs"] = [n for n in job.get("needs", []) if n in jobs]
    workflow["jobs"] = jobs
    workflow.pop(True, None)  # YAML 1.1 reads the key `on` as true
    workflow = {"name": "ci (re-run jobs)", "on": {"workflow_dispatch": {}}, **workflow}
    (path / name).write_text(yaml.safe_dump(workflow, sort_keys=False), encoding="utf-8")


def stage_ci_tag(sandbox: Sandbox) -> str:
    ref = f"refs/tags/{sandbox.facts['tag']}"
    events = runs_started(sandbox, ref)
    sandbox.facts["tag_runs"] = events
    if len(events) != 1:
        raise DemoError(f"GitHub would start {len(events)} ci.yml runs on {ref}: {events}")
    return ci_push(sandbox, ref, "ci-tag", event=events[0])


def stage_ci_tag_again(sandbox: Sandbox) -> str:
    before = published(sandbox)
    ref = f"refs/tags/{sandbox.facts['tag']}"
    result = ci_push(sandbox, ref, "ci-tag-again", "workflow_dispatch", "ci-rerun.yml")
    after = published(sandbox)
    sandbox.facts["rerun_same"] = before == after
    if before != after:
        raise DemoError(f"the re-run published again: {before} -> {after}")
    return f"{result}: nothing published twice"


def stage_ci_main(sandbox: Sandbox) -> str:
    laptop = sandbox.project
    git(sandbox, laptop, "pull", "--quiet", "--ff-only", "origin", "main")
    sample.commit(laptop, "fix: a fix after the release", {"docs/after.md": "After.\n"}, 99)
    git(sandbox, laptop, "push", "--quiet", "origin", "main")
    sandbox.facts["ghcr_before_main"] = registry_tags(sandbox.regs.ghcr)
    sandbox.facts["index_before_main"] = index_files(sandbox)
    return ci_push(sandbox, "refs/heads/main", "ci-main")


STAGES = [
    Stage("peers", stage_sandbox),
    Stage("adopt", stage_adopt),
    Stage("base image", stage_base_image, needs=("base-image", "image")),
    Stage("release candidate", stage_rc),
    Stage("release notes", stage_notes),
    Stage("confirmed tag", stage_rt),
    Stage("ci.yml on the tag", stage_ci_tag, needs=("build",)),
    Stage("ci.yml on the tag again", stage_ci_tag_again, needs=("build",)),
    Stage("ci.yml on main", stage_ci_main, needs=("build",)),
]


# ---- what was published --------------------------------------------------------------------


def index_files(sandbox: Sandbox) -> list[str]:
    return sorted(p.name for p in sandbox.index.packages_dir.iterdir() if p.is_file())


def registry_tags(registry: Registry) -> dict[str, str | None]:
    tags = registry.tags(sample.REPOSITORY)
    return {tag: registry.manifest_digest(sample.REPOSITORY, tag) for tag in sorted(tags)}


def release_state(sandbox: Sandbox) -> list[tuple[str, bool, list[str]]]:
    return [
        (
            str(r["tag_name"]),
            bool(r["draft"]),
            sorted(str(a["name"]) for a in sandbox.gh.assets(int(r["id"]))),
        )
        for r in sandbox.gh.releases()
    ]


def published(sandbox: Sandbox) -> dict[str, Any]:
    return {
        "index": index_files(sandbox),
        "dockerhub": registry_tags(sandbox.regs.dockerhub),
        "ghcr": registry_tags(sandbox.regs.ghcr),
        "releases": release_state(sandbox),
    }


# ---- the summary and the claims ------------------------------------------------------------


def summary(sandbox: Sandbox) -> list[tuple[str, str]]:
    pull = sandbox.facts.get("pull") or {}
    state = published(sandbox)
    rows = [
        ("PR", f"#{pull.get('number')} {pull.get('title')} {pull.get('html_url')}"),
        ("tag", f"{sandbox.facts.get('tag')} at {str(sandbox.facts.get('tag_sha'))[:12]}"),
        ("index", ", ".join(state["index"]) or "(empty)"),
    ]
    for name in ("dockerhub", "ghcr"):
        tags = state[name]
        digests = sorted({d for d in tags.values() if d})
        rows.append((name, f"{', '.join(tags) or '(none)'}; digest {', '.join(digests) or '-'}"))
    for tag, draft, assets in state["releases"]:
        kind = "draft release" if draft else "release"
        rows.append(("release", f"{kind} {tag}: {', '.join(assets)}"))
    return rows


@dataclass(frozen=True)
class Claim:
    name: str
    check: Callable[[Sandbox], str]  # returns what it saw; raises DemoError when false
    needs: tuple[str, ...] = ()


def claim_pr(sandbox: Sandbox) -> str:
    pull = sandbox.facts["pull"]
    if not str(pull["title"]).startswith("chore(auto-release-candidate-"):
        raise DemoError(f"title {pull['title']!r}")
    return f"#{pull['number']} {pull['title']} (draft={pull['draft']})"


def claim_tag(sandbox: Sandbox) -> str:
    tag = sandbox.facts["tag"]
    text = git(sandbox, sandbox.origin, "show", f"{tag}:pyproject.toml")
    if f'version = "{sandbox.facts["version"]}"' not in text:
        raise DemoError(f"pyproject.toml at {tag} does not say {sandbox.facts['version']}")
    return f"{tag} on origin; pyproject.toml at {tag} says {sandbox.facts['version']}"


def claim_pip(sandbox: Sandbox) -> str:
    version = sandbox.facts["version"]
    venv = sandbox.root / "pip-check"
    run(sandbox, [sys.executable, "-m", "venv", str(venv)], sandbox.root, what="venv")
    run(
        sandbox,
        [
            *(str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps"),
            *("--index-url", sandbox.index.simple_url, f"{sample.NAME}=={version}"),
        ],
        sandbox.root,
        what="pip install from the index",
    )
    out = run(sandbox, [str(venv / "bin" / sample.NAME)], sandbox.root, what=sample.NAME).strip()
    if out != f"{sample.NAME} {version}":
        raise DemoError(f"it printed {out!r}")
    return f"pip install {sample.NAME}=={version} from the index; it prints {out!r}"


def claim_docker_run(sandbox: Sandbox) -> str:
    version = sandbox.facts["version"]
    image = f"{sandbox.regs.dockerhub.host}/{sample.REPOSITORY}:v{version}"
    env = {**sandbox.engine_env}
    login = [sandbox.engine, "login", "--username", sandbox.regs.dockerhub.username]
    subprocess.run(
        [*login, "--password-stdin", sandbox.regs.dockerhub.host],
        input=sandbox.regs.dockerhub.password,
        text=True,
        capture_output=True,
        check=False,
        env={**os.environ, **env},
    )
    run(sandbox, [sandbox.engine, "pull", "--quiet", image], sandbox.root, env, what="pull")
    out = run(sandbox, [sandbox.engine, "run", "--rm", image], sandbox.root, env, "run").strip()
    if out != f"{sample.NAME} {version}":
        raise DemoError(f"{image} printed {out!r}")
    return f"{sandbox.engine} run {image} prints {out!r}"


def claim_registries(sandbox: Sandbox) -> str:
    version = sandbox.facts["version"]
    hub = registry_tags(sandbox.regs.dockerhub)
    ghcr = registry_tags(sandbox.regs.ghcr)
    wanted = {f"v{version}", "latest"}
    if not wanted <= hub.keys() or not wanted <= ghcr.keys():
        raise DemoError(f"Docker Hub has {sorted(hub)}, GHCR {sorted(ghcr)}")
    if hub[f"v{version}"] != ghcr[f"v{version}"]:
        raise DemoError("the two registries hold different digests for the release")
    if "unstable" not in hub or "unstable" in ghcr:
        raise DemoError(f"`unstable`: Docker Hub {sorted(hub)}, GHCR {sorted(ghcr)}")
    return f"Docker Hub {sorted(hub)}; GHCR {sorted(ghcr)}; same digest {hub[f'v{version}']}"


def claim_main_push(sandbox: Sandbox) -> str:
    if sandbox.facts["index_before_main"] != index_files(sandbox):
        raise DemoError("the push to main changed the index")
    if sandbox.facts["ghcr_before_main"] != registry_tags(sandbox.regs.ghcr):
        raise DemoError("the push to main changed GHCR")
    return "the push to main published nothing to PyPI or GHCR"


def claim_release(sandbox: Sandbox) -> str:
    tag = sandbox.facts["tag"]
    releases = [r for r in release_state(sandbox) if r[0] == tag]
    if len(releases) != 1:
        raise DemoError(f"{len(releases)} releases for {tag}")
    _, draft, assets = releases[0]
    wanted = {"CHANGES.rst", "SHA256SUMS", *index_files(sandbox)}
    if not draft or not wanted <= set(assets):
        raise DemoError(f"draft={draft}, assets {assets}")
    return f"one draft release {tag} with {', '.join(assets)}"


def claim_trigger(sandbox: Sandbox) -> str:
    ref = f"refs/tags/{sandbox.facts['tag']}"
    if sandbox.facts.get("pushed_with") != "github-token":
        raise DemoError(f"rt.yml pushed with {sandbox.facts.get('pushed_with')}")
    if sandbox.facts.get("tag_runs") != ["workflow_dispatch"]:
        raise DemoError(f"the tag's ci.yml runs: {sandbox.facts.get('tag_runs')}")
    return f"rt.yml's POST .../actions/workflows/ci.yml/dispatches (ref {ref}) on the stand-in"


def claim_rerun(sandbox: Sandbox) -> str:
    if not sandbox.facts.get("rerun_same"):
        raise DemoError("re-running the tag's deploy jobs changed what was published")
    return "re-running the tag's deploy jobs published nothing new"


CLAIMS = [
    Claim("the draft PR is on the GitHub stand-in", claim_pr),
    Claim("the tag is on origin and the version files say so", claim_tag),
    Claim(
        "a tag pushed with GITHUB_TOKEN alone starts ci.yml only through the dispatch rt.yml sends",
        claim_trigger,
        ("dispatch-ci",),
    ),
    Claim("pip installs the release from the index and it runs", claim_pip, ("deploy-pypi",)),
    Claim(
        "the draft release has the dists, SHA256SUMS and CHANGES.rst",
        claim_release,
        ("deploy-github-release",),
    ),
    Claim("a re-run on the same tag publishes nothing twice", claim_rerun, ("deploy",)),
    Claim(
        "the registries hold the release, `unstable` only on Docker Hub",
        claim_registries,
        ("deploy-dockerhub", "deploy-ghcr"),
    ),
    Claim("the pushed image prints the version", claim_docker_run, ("deploy-dockerhub",)),
    Claim("the push to main reaches neither PyPI nor GHCR", claim_main_push, ("deploy",)),
]


# ---- the runner ----------------------------------------------------------------------------


def elapsed(start: float) -> str:
    return f"{time.monotonic() - start:5.1f}s"


def run_demo(sandbox: Sandbox) -> int:
    print("releasekit demo: the release train on local stand-ins")
    print(f"  sandbox {sandbox.root}  (log: {sandbox.log})\n")
    failed = False
    skipped: list[str] = []
    with peers(sandbox):
        for stage in STAGES:
            start = time.monotonic()
            missing = [
                t
                for t in stage.needs
                if sandbox.project != Path() and t not in runnable(sandbox.project)
            ]
            if missing:
                skipped.append(stage.name)
                print(f"  SKIP {stage.name:<26} make {' '.join(missing)}: not in this kit yet")
                continue
            try:
                result = stage.run(sandbox)
            except DemoError as error:
                lines = str(error).splitlines()
                print(f"  FAIL {stage.name:<26} {elapsed(start)}  {lines[0]}")
                for line in lines[1:]:
                    print(f"       | {line}")
                failed = True
                break
            print(f"  ok   {stage.name:<26} {elapsed(start)}  {result}")
        print("\nWhat the train left on the stand-ins:")
        for key, value in summary(sandbox):
            print(f"  {key:<10} {value}")
        print("\nChecking each claim against the peers:")
        targets = runnable(sandbox.project) if sandbox.project != Path() else set()
        for claim in CLAIMS:
            if failed:
                print(f"  FAIL {claim.name} (a stage failed)")
                continue
            missing = [t for t in claim.needs if t not in targets]
            if missing:
                print(
                    f"  SKIP {claim.name} (make {' '.join(missing)}: not in this kit's train yet)"
                )
                continue
            try:
                print(f"  PASS {claim.name}: {claim.check(sandbox)}")
            except (DemoError, KeyError, OSError) as error:
                print(f"  FAIL {claim.name}: {str(error).splitlines()[0]}")
                failed = True
    if sandbox.keep:
        print(f"\nKEEP=1: the sandbox stays in {sandbox.root}")
        print(f"  the project:  cd {sandbox.project} && git log --oneline --graph --all")
        print(f"  origin:       git -C {sandbox.origin} log --oneline --all")
        print(f"  the index:    ls {sandbox.root / 'pypi' / 'packages'}")
        print(f"  the log:      less {sandbox.log}")
        print("  (the peers are stopped; remove the folder when done)")
    return 1 if failed else 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="demo", description=__doc__)
    try:  # one line and exit 2, before the sandbox is made
        keep = yes_no("KEEP", os.environ.get("KEEP"))
    except ValueError as bad:
        parser.exit(2, f"demo: error: {bad}\n")
    parser.add_argument(
        "--keep", action="store_true", default=keep, help="keep the sandbox (default: $KEEP)"
    )
    engine = os.environ.get("ENGINE", "")
    if engine not in ("", *ENGINES):
        parser.exit(2, f"demo: error: ENGINE={engine!r}: say docker or podman\n")
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default=engine,
        help="the container engine (default: $ENGINE, else docker as root, else podman)",
    )
    return parser.parse_args(argv)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(line_buffering=True)  # one line per stage, as it happens
    signal.signal(signal.SIGTERM, _interrupt)
    root = Path(tempfile.mkdtemp(prefix="releasekit-demo-"))
    sandbox = Sandbox(root=root, keep=args.keep, wanted_engine=args.engine)
    sandbox.log = root / "demo.log"
    gitconfig = root / "gitconfig"
    gitconfig.write_text(
        "[user]\n\tname = Demo Maintainer\n\temail = maintainer@example.org\n"
        "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n",
        encoding="utf-8",
    )
    os.environ.update(GIT_CONFIG_GLOBAL=str(gitconfig), GIT_CONFIG_NOSYSTEM="1")
    for name in ("GITHUB_ACTIONS", "GITHUB_TOKEN", "DOCKER_HOST", "DOCKER_CONFIG", "DRY_RUN"):
        os.environ.pop(name, None)
    start = time.monotonic()
    status = 1
    try:
        status = run_demo(sandbox)
    except KeyboardInterrupt:
        print("\ninterrupted: stopping the peers and removing the sandbox", file=sys.stderr)
        status = 130
    finally:
        if not sandbox.keep:
            shutil.rmtree(root, ignore_errors=True)
    print(f"\ndemo {'passed' if status == 0 else 'FAILED'} in {elapsed(start).strip()}")
    return status


if __name__ == "__main__":
    sys.exit(main())
