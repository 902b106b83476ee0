#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = ["packaging>=23.0", "pypi-simple>=1.5", "requests>=2.28", "twine>=6.1"]
# ///
"""Upload a release's dists to a package index, re-run safe on any index, and verify them."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import NoReturn

from releasekit.rules.actions import (
    actions_files_problem,
    write_outputs,
    write_summary,
)
from releasekit.rules.children import run_child, watch_parent
from releasekit.rules.cli import (
    PROG,
    TerminatedError,
    fail,
    missing_dependency,
    unwind_on_sigterm,
    yes_no,
)
from releasekit.rules.endpoints import PYPI, Index, is_http_url, pypi_index
from releasekit.rules.index import IndexReadError, index_digests, simple_url_for
from releasekit.rules.manifest import SUMS_NAME, ManifestError, file_sha256, manifest, read_sums
from releasekit.rules.refs import (
    checkout_head,
    current_ref,
    release_tag_of,
    unmade_tag,
    version_of_tag,
)
from releasekit.rules.retries import Deadline, FatalError, add_deadline_options
from releasekit.rules.secrets import (
    MIN_SECRET,
    bad_secret,
    redact,
    url_secrets,
    without_userinfo,
)
from releasekit.rules.versions import Version
from releasekit.rules.worktree import work_tree_problem

ATTESTATION_SUFFIX = ".publish.attestation"
TIMEOUT = 30.0  # seconds for one answer of the index or of Actions' token service
MAX_WAIT = 900.0  # seconds for the whole command: index reads, token exchange, uploads

EXAMPLES = """\
examples:
  pypi_publish.py publish                        # the tag at HEAD, dist/, PyPI
  pypi_publish.py --repository-url http://127.0.0.1:8080/ publish --dry-run
  pypi_publish.py verify                         # the index's hashes against dist/SHA256SUMS

Credentials: TWINE_PASSWORD (an API token; TWINE_USERNAME defaults to __token__ on PyPI),
else, on PyPI or TestPyPI inside GitHub Actions with `id-token: write`, trusted publishing:
this script exchanges the job's OIDC token for a short-lived upload token, as
pypa/gh-action-pypi-publish does. An empty variable (an unset secret) is not set.
PEP 740 attestations go only with trusted publishing (PyPI refuses them otherwise).

exit status: 0 ok (or nothing to do for this ref), 1 failed or refused, 2 bad input
"""


class RefusalError(Exception):
    """A named reason to stop, printed as one line; `status` is the exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


# ---- settings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    command: str
    dist: Path
    repository_url: str
    simple_url: str
    tag_pattern: str
    ref: str  # the full ref being deployed
    tag: str | None  # the version tag it releases; None: this ref is not for PyPI
    dry_run: bool
    attestations: str  # auto | never | always
    username: str = field(repr=False, default="")  # empty: not set
    password: str = field(repr=False, default="")
    secrets: tuple[str, ...] = field(repr=False, default=())
    timeout: float = TIMEOUT
    deadline: Deadline = field(
        repr=False, compare=False, default_factory=lambda: Deadline(MAX_WAIT)
    )

    @property
    def index(self) -> Index | None:
        """PyPI or TestPyPI, or None for any other index."""
        return pypi_index(self.repository_url)

    @property
    def shown_repository_url(self) -> str:
        return without_userinfo(self.repository_url)

    @property
    def shown_simple_url(self) -> str:
        return without_userinfo(self.simple_url)


@dataclass(frozen=True)
class IndexFile:
    filename: str
    sha256: str | None
    url: str


# ---- the dists -------------------------------------------------------------------------------


def in_work_tree(path: Path) -> Path:
    """`path` when it is inside the work tree (the current folder) and no symlink; else refuse."""
    if work_tree_problem(Path.cwd(), path):
        raise RefusalError(f"{path}: outside the work tree or a symlink; refusing to read it", 2)
    return path


def dist_files(dist: Path) -> list[Path]:
    """The wheels and sdists SHA256SUMS lists, each checked: exactly what is uploaded."""
    try:
        listed = manifest(in_work_tree(dist))
    except ManifestError as error:
        raise RefusalError(str(error), 2) from None
    files = [p for p in listed if p.name.endswith((".whl", ".tar.gz"))]
    if not files:
        raise RefusalError(f"{dist}: no wheel or sdist to upload; run 'make build' first", 2)
    return files


def name_and_version(path: Path) -> tuple[str, Version]:
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    try:
        if path.name.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(path.name)
        else:
            name, version = parse_sdist_filename(path.name)
    except (InvalidWheelFilename, InvalidSdistFilename):
        raise RefusalError(f"{path}: not a wheel or sdist file name", 2) from None
    return str(name), Version(str(version))  # packaging's, read as the kit's


def project_of(files: list[Path], version: Version | None) -> str:
    """The one project the files belong to; refuse files of another version or project."""
    projects = set()
    for path in files:
        name, found = name_and_version(path)
        if version is not None and found != version:
            raise RefusalError(f"{path} is version {found}, not the tag's {version}; rebuild dist/")
        projects.add(name)
    if len(projects) != 1:
        raise RefusalError(
            f"{files[0].parent} holds several projects: {', '.join(sorted(projects))}"
        )
    return projects.pop()


def listed_sums(dist: Path) -> dict[str, str]:
    """SHA256SUMS as {file name: hex}, or its one-line refusal."""
    try:
        return read_sums(in_work_tree(dist))
    except ManifestError as error:
        raise RefusalError(str(error), 2) from None


# ---- the index -------------------------------------------------------------------------------


def index_files(settings: Settings, project: str) -> dict[str, IndexFile]:
    """What the index holds for `project` (PEP 503 HTML or PEP 691 JSON), by file name."""
    auth = None
    if settings.username and settings.password and settings.index is None:
        auth = (settings.username, settings.password)  # a private index's reads
    try:
        held = index_digests(
            settings.simple_url, project, auth, settings.deadline, settings.timeout
        )
    except IndexReadError as error:
        raise RefusalError(without_userinfo(str(error))) from None
    return {name: IndexFile(name, sha256, url) for name, (sha256, url) in held.items()}


@dataclass(frozen=True)
class Plan:
    project: str
    upload: list[Path]
    present: list[Path]


def plan_upload(settings: Settings, files: list[Path], project: str) -> Plan:
    """Which files to upload: the missing ones; refuse a name the index holds with other bytes."""
    on_index = index_files(settings, project)
    upload, present = [], []
    for path in files:
        there = on_index.get(path.name)
        if there is None:
            upload.append(path)
            continue
        if there.sha256 is None:
            raise RefusalError(f"{path.name} is on the index without a sha256; cannot compare it")
        if there.sha256.lower() != file_sha256(path):
            raise RefusalError(
                f"{path.name} is on the index with another sha256 ({there.sha256[:12]}..., "
                f"ours {file_sha256(path)[:12]}...): refusing to publish over it"
            )
        present.append(path)
    return Plan(project, upload, present)


# ---- publishing ------------------------------------------------------------------------------


def oidc_identity() -> bool:
    """True inside GitHub Actions with `id-token: write`: the job can ask for OIDC tokens."""
    return bool(os.environ.get("ACTIONS_ID_TOKEN_REQUEST_URL")) and bool(
        os.environ.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    )


@dataclass(frozen=True)
class Credentials:
    """What twine uploads with, and whether it came from trusted publishing."""

    username: str = field(repr=False)
    password: str = field(repr=False)
    trusted: bool


def credentials(settings: Settings) -> Credentials:
    """An API token (or a private index's user and password) when TWINE_PASSWORD is set;
    else trusted publishing, on PyPI or TestPyPI with an OIDC identity; else one line."""
    index = settings.index
    if settings.password:
        username = settings.username or ("__token__" if index else "")
        if not username:
            raise RefusalError(
                "TWINE_PASSWORD is set but TWINE_USERNAME is not, for "
                f"{settings.shown_repository_url}",
                2,
            )
        return Credentials(username, settings.password, trusted=False)
    if index is None:
        raise RefusalError(
            f"no credentials for {settings.shown_repository_url}: set TWINE_USERNAME and "
            "TWINE_PASSWORD (trusted publishing is PyPI's and TestPyPI's only)",
            2,
        )
    if not oidc_identity():
        raise RefusalError(
            f"no credentials for {index.name}: set TWINE_PASSWORD to an API token, or run in "
            "GitHub Actions with `id-token: write` and a trusted publisher on "
            f"{index.name} (docs/deploy.md)",
            2,
        )
    return Credentials("__token__", trusted_token(settings, index), trusted=True)


def trusted_token(settings: Settings, index: Index) -> str:
    """PyPI trusted publishing, as pypa/gh-action-pypi-publish and twine do it: the index
    names the OIDC audience (`/_/oidc/audience`), the Actions token service gives a token for
    it, and the index mints a short-lived upload token from that (`/_/oidc/mint-token`,
    warehouse's oidc views). A refusal names PyPI's own reasons and what to configure."""
    import requests

    base = f"https://{index.upload_host}/_/oidc"
    what = "trusted publishing's token exchange"

    def timeout() -> float:
        return settings.deadline.timeout(settings.timeout, what)

    try:
        audience = requests.get(f"{base}/audience", timeout=timeout())
        audience.raise_for_status()
        wanted = str(audience.json()["audience"])
        oidc = requests.get(
            os.environ["ACTIONS_ID_TOKEN_REQUEST_URL"],
            params={"audience": wanted},
            headers={"Authorization": f"bearer {os.environ['ACTIONS_ID_TOKEN_REQUEST_TOKEN']}"},
            timeout=timeout(),
        )
        oidc.raise_for_status()
        identity = str(oidc.json()["value"])
        minted = requests.post(f"{base}/mint-token", json={"token": identity}, timeout=timeout())
    except (requests.RequestException, ValueError, KeyError, TypeError) as error:
        raise RefusalError(
            f"trusted publishing failed: {type(error).__name__} asking {index.name} or "
            "Actions for a token"
        ) from None
    try:
        answer = minted.json()
    except ValueError:
        answer = {}
    if minted.ok and isinstance(answer, dict) and answer.get("token"):
        return str(answer["token"])
    reasons = (
        "; ".join(
            str(e.get("description") or e.get("code") or "")
            for e in (answer.get("errors") or [] if isinstance(answer, dict) else [])
            if isinstance(e, dict)
        )
        or f"HTTP {minted.status_code}"
    )
    raise RefusalError(
        f"trusted publishing refused by {index.name}: {reasons}; on {index.name}, add a "
        f"trusted publisher for {publisher_of(identity)}"
    )


def publisher_of(identity: str) -> str:
    """What a trusted publisher on PyPI must name for this job, read from the claims of its
    OIDC token (GitHub's: repository, job_workflow_ref, environment)."""
    import base64
    import json

    try:
        payload = identity.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return "this repository and workflow"
    repository = str(claims.get("repository") or "this repository")
    workflow_ref = str(claims.get("job_workflow_ref") or claims.get("workflow_ref") or "")
    workflow = workflow_ref.split("@", 1)[0].rsplit("/", 1)[-1] or "this workflow"
    environment = str(claims.get("environment") or "")
    owner, _, name = repository.partition("/")
    said = f"owner {owner}, repository {name or repository}, workflow {workflow}"
    return said + (f", environment {environment}" if environment else ", no environment")


def attestation_of(path: Path) -> Path:
    return path.with_name(path.name + ATTESTATION_SUFFIX)


def attest(settings: Settings, files: list[Path], trusted: bool) -> bool:
    """PEP 740 attestations: signed here (sigstore, with the job's OIDC identity) or made
    before. Only with trusted publishing: PyPI refuses them on any other upload
    (warehouse: "Attestations are only supported when using Trusted Publishing"), and so
    does this, on any index, unless --attestations always. False: none are sent."""
    if settings.attestations == "never":
        return False
    if not trusted and settings.attestations != "always":
        print("attestations: skipped (PyPI accepts them only with trusted publishing)")
        return False
    missing = [p for p in files if not attestation_of(p).is_file()]
    if not missing:
        return True
    if not oidc_identity():
        if len(missing) < len(files):
            raise RefusalError(
                f"{missing[0].name} has no {ATTESTATION_SUFFIX} file and the others do"
            )
        print("attestations: skipped (no OIDC identity to sign with)")
        return False
    if settings.dry_run:
        print(f"DRY_RUN: would sign {len(missing)} file(s) with pypi-attestations")
        return True
    command = [sys.executable, "-m", "pypi_attestations", "sign", *map(str, missing)]
    run_quiet(command, settings, "pypi-attestations sign")
    print(f"attestations: signed {len(missing)} file(s)")
    return True


def run_tool(
    command: list[str], settings: Settings, what: str, env: Mapping[str, str] | None = None
) -> tuple[int, str]:
    """Run a tool within --max-wait (a line while it takes long): its status and its output
    with every secret masked."""
    try:
        done = run_child(command, what, settings.deadline, env=env)
    except OSError as error:
        raise RefusalError(f"{what} failed: {command[0]}: {error.strerror}") from None
    return done.returncode, redact(done.stdout + done.stderr, settings.secrets)


def tool_failed(what: str, status: int, output: str) -> RefusalError:
    """Pass a failed tool's output on (never its traceback); the refusal's line is its last."""
    lines = [line for line in output.splitlines() if line.strip()]
    shown = lines[: next((i for i, x in enumerate(lines) if x.startswith("Traceback")), None)]
    sys.stderr.writelines(line + "\n" for line in shown)
    last = lines[-1].strip() if lines else "no output"
    return RefusalError(f"{what} failed (exit {status}): {last}")


def run_quiet(
    command: list[str], settings: Settings, what: str, env: Mapping[str, str] | None = None
) -> str:
    """Run a tool; pass its output on with every secret masked; one line when it fails."""
    status, output = run_tool(command, settings, what, env)
    if status != 0:
        raise tool_failed(what, status, output)
    return output


def upload_missing(
    settings: Settings, twine: list[str], plan: Plan, files: list[Path], env: Mapping[str, str]
) -> list[Path]:
    """twine upload of what the index lacks; the files the last twine run uploaded. Another
    run at once (same dist, same index) makes the index refuse a file it put there first (400
    on pypiserver): the index is read again, a file now there with our sha256 is published,
    one with another sha256 is refused in one line, and what is still missing is uploaded
    again. A failure after which the index holds nothing more is twine's own, said as such."""
    todo = plan.upload
    while todo:
        status, output = run_tool(
            [*twine, *upload_arguments(todo, twine)], settings, "twine upload", env
        )
        if status == 0:
            sys.stdout.write(output)
            return todo
        again = plan_upload(settings, files, plan.project)
        landed = [p for p in todo if p not in again.upload]
        if not landed:
            raise tool_failed("twine upload", status, output)
        for path in landed:
            print(f"present: {path.name} (same sha256, published meanwhile by another run)")
        todo = [p for p in todo if p in again.upload]
    return []


def upload_arguments(todo: list[Path], twine: list[str]) -> list[str]:
    """The files for twine: each dist, then its attestation when they are sent."""
    paths = [str(p) for p in todo]
    if "--attestations" in twine:
        paths += [str(attestation_of(p)) for p in todo]
    return paths


def dry_run_upload(settings: Settings, plan: Plan) -> int:
    """What an upload would do, and how it would sign in; nothing is asked of the index or
    of Actions' token service (a minted token is a credential: none is made)."""
    if settings.password:
        how = "an API token" if settings.index else "TWINE_USERNAME and TWINE_PASSWORD"
    elif settings.index and oidc_identity():
        how = "trusted publishing"
    else:
        credentials(settings)  # the one line that says which credentials are missing
        how = ""
    trusted = how == "trusted publishing"
    if settings.attestations != "never" and not trusted and settings.attestations != "always":
        print("attestations: skipped (PyPI accepts them only with trusted publishing)")
    for path in plan.upload:
        print(f"DRY_RUN: would upload {path.name} to {settings.shown_repository_url} with {how}")
    return 0


def skipped(target: str, settings: Settings) -> int:
    """The one line a target prints for a ref it does not publish."""
    print(f"{target}: skipped (not a release tag: {settings.ref})")
    return 0


def publish(settings: Settings) -> int:
    tag = settings.tag
    if tag is None:
        return skipped("deploy-pypi", settings)
    version = version_of_tag(tag, settings.tag_pattern)
    if version is None:
        raise RefusalError(
            f"tag {tag} is not a version under TAG_PATTERN {settings.tag_pattern}", 2
        )
    check_outputs_writable()
    files = dist_files(settings.dist)
    project = project_of(files, version)
    plan = plan_upload(settings, files, project)
    for path in plan.present:
        print(f"present: {path.name} (same sha256)")
    if not plan.upload:
        print(f"deploy-pypi: {project} {version}: every file is on the index already")
        summarize(settings, project, version, files, [])
        write_outputs({"project": project, "version": str(version), "uploaded": ""})
        return check_index(settings, project, {p.name: file_sha256(p) for p in files})
    if settings.dry_run:
        return dry_run_upload(settings, plan)
    creds = credentials(settings)
    settings = replace(settings, secrets=(*settings.secrets, creds.password))
    with_attestations = attest(settings, plan.upload, creds.trusted)
    command = [
        sys.executable,
        "-m",
        "twine",
        "upload",
        "--non-interactive",
        "--disable-progress-bar",
        "--repository-url",
        settings.repository_url,
    ]
    if with_attestations:
        command.append("--attestations")
    # twine gets the credentials chosen here, and none of the job's own: an empty variable
    # would be a password to twine (and keep it off its trusted-publishing path).
    twine_env = {k: v for k, v in os.environ.items() if not k.startswith("TWINE_")}
    twine_env |= {"TWINE_USERNAME": creds.username, "TWINE_PASSWORD": creds.password}
    how = (
        "trusted publishing"
        if creds.trusted
        else "an API token"
        if settings.index
        else "a password"
    )
    print(
        f"deploy-pypi: uploading {len(plan.upload)} file(s) to "
        f"{settings.shown_repository_url} with {how}"
    )
    sent = upload_missing(settings, command, plan, files, twine_env)
    for path in sent:
        print(f"uploaded: {path.name} sha256:{file_sha256(path)}")
    done = f"uploaded {len(sent)} file(s)" if sent else "already published"
    print(f"deploy-pypi: {project} {version}: {done}")
    summarize(settings, project, version, files, sent)
    uploaded = " ".join(p.name for p in sent)
    write_outputs({"project": project, "version": str(version), "uploaded": uploaded})
    return check_index(settings, project, {p.name: file_sha256(p) for p in files})


def check_outputs_writable() -> None:
    """The Actions files are checked before anything is uploaded, not after."""
    problem = actions_files_problem(os.environ)
    if problem:
        raise RefusalError(problem, 2)


def summarize(
    settings: Settings, project: str, version: Version, files: list[Path], uploaded: list[Path]
) -> None:
    rows = "".join(
        f"| `{p.name}` | `{file_sha256(p)}` | {state} |\n"
        for p in files
        for state in ["uploaded" if p in uploaded else "already there"]
    )
    text = (
        f"### PyPI: {project} {version}\n\n{settings.shown_repository_url} "
        f"(index {settings.shown_simple_url}{project}/)\n\n"
        f"| file | sha256 | |\n| --- | --- | --- |\n{rows}\n"
    )
    write_summary(text)


def plan(settings: Settings) -> int:
    """`make plan`'s row: what deploy-pypi would upload for this ref, without asking the index."""
    tag = settings.tag
    if tag is None:
        row = ("wheel and sdist", f"skip: not a release tag: {settings.ref}")
        print("\t".join(("deploy-pypi", settings.shown_repository_url, *row)))
        return 0
    version = version_of_tag(tag, settings.tag_pattern)
    try:
        files = ", ".join(p.name for p in dist_files(settings.dist))
    except RefusalError as missing:
        files = f"none yet ({missing})"
    print("\t".join(("deploy-pypi", settings.shown_repository_url, files, str(version))))
    return 0


# ---- verifying -------------------------------------------------------------------------------


def verify(settings: Settings) -> int:
    """Every dist named in SHA256SUMS is on the index with that hash; exit 1 naming each miss."""
    if settings.tag is None:
        return skipped("verify-pypi", settings)
    sums = {
        name: hexdigest
        for name, hexdigest in listed_sums(settings.dist).items()
        if name.endswith((".whl", ".tar.gz"))
    }
    if not sums:
        raise RefusalError(f"{settings.dist / SUMS_NAME} names no wheel or sdist", 2)
    project = project_of([settings.dist / name for name in sums], None)
    return check_index(settings, project, sums)


def check_index(settings: Settings, project: str, expected: dict[str, str]) -> int:
    """Exit status 0 when the index serves each file with the expected sha256; name each miss."""
    on_index = index_files(settings, project)
    problems = []
    for name, hexdigest in sorted(expected.items()):
        there = on_index.get(name)
        if there is None:
            problems.append(f"{name}: missing from the index")
        elif (there.sha256 or "").lower() != hexdigest:
            problems.append(f"{name}: the index has sha256 {there.sha256}, we built {hexdigest}")
    for problem in problems:
        print(f"{PROG}: mismatch: {problem}", file=sys.stderr)
    if problems:
        where = settings.shown_simple_url
        raise RefusalError(f"verify-pypi: {len(problems)} mismatch(es) on {where}")
    print(f"verify-pypi: {len(expected)} file(s) on {settings.shown_simple_url}{project}/ match")
    return 0


# ---- command line ----------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    env = os.environ
    try:  # refused before any work: a typo must not decide whether anything is uploaded
        dry_run = yes_no("DRY_RUN", env.get("DRY_RUN"))
    except ValueError as bad:
        raise RefusalError(str(bad), 2) from None
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Upload exactly the wheels and sdists in DIST for the version tag being "
            "released; files the index already has with the same sha256 are skipped, "
            "a file it has with another sha256 is refused. 'verify' checks the index "
            "against DIST/SHA256SUMS."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--dist", default=env.get("DIST") or "dist", help="folder of dists (default: $DIST or dist)"
    )
    parser.add_argument(
        "--repository-url",
        default=env.get("PYPI_REPOSITORY_URL") or PYPI.upload_url,
        help="upload URL (default: $PYPI_REPOSITORY_URL or %(default)s)",
    )
    parser.add_argument(
        "--simple-url",
        default=env.get("PYPI_SIMPLE_URL") or None,
        help="the index's simple API root (default: $PYPI_SIMPLE_URL, else derived from "
        "the upload URL: PyPI and TestPyPI by name, '.../legacy/' -> '.../simple/', "
        "else '<url>/simple/')",
    )
    parser.add_argument(
        "--tag-pattern",
        default=env.get("TAG_PATTERN") or "v*",
        help="version tags (default: $TAG_PATTERN or %(default)s)",
    )
    parser.add_argument(
        "--tag",
        help="the version tag to publish (default: from $REF, else $GITHUB_REF, else the "
        "version tag at HEAD)",
    )
    add_deadline_options(
        parser, env, TIMEOUT, MAX_WAIT, "index reads, token exchange, uploads and retries"
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    publisher = sub.add_parser("publish", help="upload the files the index does not have")
    publisher.add_argument(
        "--dry-run",
        action="store_true",
        default=dry_run,
        help="read the index, upload nothing, print what would be uploaded "
        "(default: on when $DRY_RUN is 1/true/yes/on)",
    )
    publisher.add_argument(
        "--attestations",
        choices=("auto", "never", "always"),
        default="auto",
        help="auto: PEP 740 attestations with trusted publishing only (PyPI refuses them on a "
        "token upload); always: also with a token, for an index that takes them; never. They "
        "are signed when there is an OIDC identity (GitHub Actions with "
        "id-token: write) or <file>.publish.attestation files exist (default: auto)",
    )
    sub.add_parser("verify", help="check that each file of SHA256SUMS is on the index, same hash")
    sub.add_parser(
        "plan",
        help="print one TAB-separated row for `make plan`: target, destination, files, version "
        "(or 'skip: reason'); reads nothing remote",
    )
    return parser


def settings_from(argv: Sequence[str] | None) -> Settings:
    parser = build_parser()
    parser.error = _bad_usage  # type: ignore[method-assign]
    args = parser.parse_args(argv)
    url = str(args.repository_url)
    if not is_http_url(url):
        raise RefusalError(
            f"--repository-url must be an http(s) URL with a host (PYPI_REPOSITORY_URL), "
            f"got {without_userinfo(url)!r}",
            2,
        )
    simple = str(args.simple_url or simple_url_for(url))
    simple = simple if simple.endswith("/") else simple + "/"
    if not is_http_url(simple):
        raise RefusalError(
            f"--simple-url must be an http(s) URL with a host (PYPI_SIMPLE_URL), "
            f"got {without_userinfo(simple)!r}",
            2,
        )
    if "*" not in args.tag_pattern:
        raise RefusalError(f"--tag-pattern must contain '*', got {args.tag_pattern!r}", 2)
    pattern = str(args.tag_pattern)
    ref = (
        f"refs/tags/{args.tag}"
        if args.tag
        else current_ref(os.environ, pattern, lambda: checkout_head(pattern, Path.cwd()))
    )
    unmade = None if args.tag else unmade_tag(os.environ, pattern, args.command == "plan")
    if unmade:
        raise RefusalError(unmade, 2)
    # Actions passes a secret that is not set as an empty string: empty is "not set".
    username = os.environ.get("TWINE_USERNAME") or ""
    password = os.environ.get("TWINE_PASSWORD") or ""
    bad = bad_secret("TWINE_PASSWORD", password)
    if bad:
        raise RefusalError(bad, 2)
    named = (password, username if len(username) >= MIN_SECRET else "")
    secrets = tuple(v for v in named if v and v != "__token__") + url_secrets(url)
    secrets += url_secrets(simple)
    return Settings(
        command=args.command,
        dist=Path(args.dist),
        repository_url=url,
        simple_url=simple,
        tag_pattern=pattern,
        ref=ref,
        tag=args.tag or release_tag_of(ref, pattern),
        dry_run=bool(getattr(args, "dry_run", False)),
        attestations=str(getattr(args, "attestations", "never")),
        username=username,
        password=password,
        secrets=secrets,
        timeout=float(args.timeout),
        deadline=Deadline(float(args.max_wait)),
    )


def _bad_usage(message: str) -> NoReturn:
    raise RefusalError(message, 2)


def main(argv: Sequence[str] | None = None) -> int:
    secrets = [os.environ.get("TWINE_PASSWORD", "")]
    unwind_on_sigterm()  # twine gets the signal too (run_child), then the one line
    watch_parent()  # make gone, even by SIGKILL: the same unwinding
    try:
        settings = settings_from(argv)
        secrets = list(settings.secrets)
        core = {"publish": publish, "verify": verify, "plan": plan}[settings.command]
        return core(settings)
    except (RefusalError, FatalError) as refusal:
        fail(redact(str(refusal), secrets), refusal.status)
    except ModuleNotFoundError as missing:  # run without its PEP 723 dependencies
        fail(missing_dependency(missing), 1)
    except KeyboardInterrupt:
        fail("interrupted: run it again, it uploads only what the index lacks", 130)
    except TerminatedError:
        fail("terminated: run it again, it uploads only what the index lacks", 143)


if __name__ == "__main__":
    sys.exit(main())
