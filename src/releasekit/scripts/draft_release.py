#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = ["requests>=2.28"]
# ///
"""Find or create the draft GitHub Release of a version tag, attach its files, verify them."""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from releasekit.rules.actions import (
    actions_files_problem,
    write_outputs,
    write_summary,
)
from releasekit.rules.cli import PROG, fail, missing_dependency, warn, yes_no
from releasekit.rules.endpoints import is_http_url
from releasekit.rules.github import JSON, Client, add_repository_options, repository_from_remote
from releasekit.rules.manifest import SUMS_NAME, ManifestError, manifest
from releasekit.rules.refs import (
    checkout_head,
    current_ref,
    release_tag_of,
    unmade_tag,
    version_of_tag,
)
from releasekit.rules.repository import (
    valid_repository,
)
from releasekit.rules.retries import MAX_ATTEMPTS, FatalError, TransientError, add_deadline_options
from releasekit.rules.secrets import bad_secret, redact, without_userinfo
from releasekit.rules.worktree import work_tree_problem

if TYPE_CHECKING:  # requests is imported lazily: --help must work without it.
    pass


EXAMPLES = """\
examples:
  draft_release.py version                          # the version of the tag at HEAD, or nothing
  draft_release.py publish --notes build/release-notes.md --dist dist --changes CHANGES.rst
  draft_release.py verify --dist dist --changes CHANGES.rst

Reads GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_TOKEN and the ref (GITHUB_REF, else the
version tag at HEAD). The token is never printed.

exit status: 0 ok (or nothing to do for this ref), 1 failed, 2 bad input
"""


# ---- settings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    command: str
    api_url: str
    repository: str
    token: str = field(repr=False)  # never shown, not even in a repr
    tag_pattern: str = "v*"
    ref: str = "HEAD"  # the full ref being deployed
    tag: str | None = None  # the version tag it releases; None: no release for this ref
    notes: Path | None = None
    assets: tuple[Path, ...] = ()
    update_notes: bool = False
    dry_run: bool = False
    timeout: float = 60.0
    max_wait: float = 300.0


# ---- the release -------------------------------------------------------------


def find_release(client: Client[Settings], tag: str) -> JSON | None:
    """The release of `tag`, drafts included (GET /releases/tags/{tag} never shows drafts)."""
    found = [r for r in client.pages(client.url("/releases")) if r.get("tag_name") == tag]
    if len(found) > 1:
        ids = ", ".join(str(r["id"]) for r in found)
        warn(f"several releases for {tag} ({ids}); using the published one, else the oldest")
    found.sort(key=lambda r: (bool(r.get("draft")), int(r["id"])))
    return found[0] if found else None


def one_release(
    client: Client[Settings], tag: str, ours: JSON, payload: JSON, report: Report
) -> JSON:
    """One release per tag, whatever ran at once: when another run created one too, keep
    the published one, else the oldest; delete the other drafts the kit made (its title and
    body untouched), never one a person edited (one line says so) nor a published one."""
    found = [r for r in client.pages(client.url("/releases")) if r.get("tag_name") == tag]
    found.sort(key=lambda r: (bool(r.get("draft")), int(r["id"])))
    if len(found) < 2:
        return ours
    keep, extras = found[0], found[1:]
    for extra in extras:
        untouched = extra.get("name") == payload["name"] and (extra.get("body") or "") == (
            payload["body"] or ""
        )
        if not extra.get("draft") or not untouched:
            warn(f"release {extra['id']} of {tag} was edited by a person: left alone")
            continue
        try:
            for asset in list_assets(client, extra):
                delete_asset(client, asset)  # the kept release gets every file below
        except FatalError as failure:
            if not gone(failure):
                raise
        with contextlib.suppress(FatalError):  # a run beside this one deleted it already
            client.call("DELETE", client.url(f"/releases/{extra['id']}"))
        report.say(f"deleted the second draft of {tag} (id {extra['id']}); kept id {keep['id']}")
    return keep


def create_draft(client: Client[Settings], payload: JSON) -> JSON:
    """POST a draft release. A POST is retried only once a listing shows it did not land."""

    def attempt(n: int) -> JSON:
        landed = find_release(client, str(payload["tag_name"])) if n else None
        if landed:
            return landed
        return dict(client.send_once("POST", client.url("/releases"), json=payload).json())

    return client.deadline.retried(attempt)


def list_assets(client: Client[Settings], release: JSON) -> list[JSON]:
    return list(client.pages(client.url(f"/releases/{release['id']}/assets")))


def upload_target(release: JSON) -> str:
    """The release's upload URL without its URI template (`...assets{?name,label}`)."""
    return re.sub(r"\{[^}]*\}$", "", str(release["upload_url"]))


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def asset_sha256(client: Client[Settings], asset: JSON) -> str:
    """The asset's sha256: the `digest` GitHub reports, else hashed from its bytes."""
    digest = str(asset.get("digest") or "")
    if digest.startswith("sha256:"):
        return digest[len("sha256:") :]
    return sha256_of(download(client, asset))


def download(client: Client[Settings], asset: JSON) -> bytes:
    response = client.call("GET", str(asset["url"]), headers={"Accept": "application/octet-stream"})
    return bytes(response.content)


def upload(client: Client[Settings], release: JSON, path: Path, data: bytes) -> JSON:
    """Upload one asset; a retry first removes what a failed attempt may have left."""
    target = upload_target(release)
    for attempt in range(MAX_ATTEMPTS):
        try:
            response = client.send_once(
                "POST",
                target,
                params={"name": path.name},
                data=data,
                headers={"Content-Type": "application/octet-stream"},
            )
            return dict(response.json())
        except TransientError as problem:
            client.deadline.wait(problem, attempt)
        except FatalError as failure:
            if "already_exists" not in str(failure) and "already exists" not in str(failure):
                raise
        # The failed attempt may have landed (whole or as a broken "starter" asset).
        there = next((a for a in list_assets(client, release) if a["name"] == path.name), None)
        if there is not None:
            if there.get("state") == "uploaded" and asset_sha256(client, there) == sha256_of(data):
                return there
            delete_asset(client, there)
    raise FatalError(f"upload of {path.name} kept failing; gave up after {MAX_ATTEMPTS} attempts")


def gone(failure: FatalError) -> bool:
    """The API said 404: what was asked for is gone already (a retried DELETE that had
    landed, or a draft a run beside this one deleted)."""
    return ": 404 " in str(failure)


def delete_asset(client: Client[Settings], asset: JSON) -> None:
    """DELETE an asset; gone already is fine too."""
    try:
        client.call("DELETE", client.url(f"/releases/assets/{asset['id']}"))
    except FatalError as failure:
        if not gone(failure):
            raise


# ---- publish -----------------------------------------------------------------


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    assets: list[tuple[str, str, str]] = field(default_factory=list)  # name, sha256, action

    def say(self, text: str) -> None:
        print(text)
        self.lines.append(text)


def resolve_tag(settings: Settings, what: str) -> str | None:
    """The version tag to release; None after `what`'s one skip line (`what` "": silent)."""
    tag = settings.tag
    if tag is None:
        if what:
            print(f"{what}: skipped (not a release tag: {settings.ref})")
        return None
    if version_of_tag(tag, settings.tag_pattern) is None:
        raise FatalError(f"tag {tag} is not a version under TAG_PATTERN {settings.tag_pattern}", 2)
    return tag


def in_work_tree(path: Path) -> Path:
    """`path` when it is inside the work tree (the current folder) and no symlink; else refuse."""
    if work_tree_problem(Path.cwd(), path):
        raise FatalError(f"{path}: outside the work tree or a symlink; refusing to read it", 2)
    return path


def read_assets(settings: Settings) -> list[tuple[Path, bytes]]:
    """The local files to attach, read once, in a stable order."""
    out = []
    for path in settings.assets:
        if not in_work_tree(path).is_file():
            raise FatalError(f"{path}: not a regular file", 2)
        out.append((path, path.read_bytes()))
    names = [stored_name(p.name) for p, _ in out]
    if len(set(names)) != len(names):
        raise FatalError("two assets share a file name (as GitHub stores names)", 2)
    return out


def stored_name(name: str) -> str:
    """An asset's name as GitHub stores it: it renames uploads, every character outside
    A-Z a-z 0-9 . _ + - becoming a dot, and leading and trailing dots dropped
    (`read me.txt` -> `read.me.txt`). Compared so, a re-run finds what it uploaded."""
    return re.sub(r"[^A-Za-z0-9._+-]", ".", name).strip(".")


def publish(settings: Settings) -> int:
    tag = resolve_tag(settings, "deploy-github-release")
    if tag is None:
        return 0
    version = version_of_tag(tag, settings.tag_pattern)
    assert version is not None
    notes = read_notes(settings)
    files = read_assets(settings)
    check_outputs_writable()
    if settings.dry_run and not settings.token:
        print(f"DRY_RUN: no GITHUB_TOKEN to look {tag} up; would create or complete its draft")
        for path, data in files:
            print(f"DRY_RUN: would attach {path.name} sha256:{sha256_of(data)}")
        return 0
    client = Client(settings)
    report = Report()
    release = find_release(client, tag)
    if release is None:
        payload = {
            "tag_name": tag,
            "name": tag,
            "body": notes,
            "draft": True,
            "prerelease": version.is_prerelease,
        }
        if settings.dry_run:
            pre = "yes" if version.is_prerelease else "no"
            report.say(f"DRY_RUN: would create a draft release {tag} (prerelease: {pre})")
            for path, data in files:
                report.say(f"DRY_RUN: would upload {path.name} sha256:{sha256_of(data)}")
            return 0
        release = create_draft(client, payload)
        report.say(f"created draft release {tag} (id {release['id']})")
        release = one_release(client, tag, release, payload, report)
    else:
        state = "draft" if release.get("draft") else "published"
        report.say(f"found {state} release {tag} (id {release['id']})")
        release = one_release(client, tag, release, {"name": tag, "body": notes}, report)
        keep_or_update_notes(client, settings, release, notes, tag, report)
    sync_assets(client, settings, release, files, report)
    if settings.dry_run:
        return 0
    write_outputs({"release-id": str(release["id"]), "release-url": str(release["html_url"])})
    summarize(release, tag, report)
    print(f"deploy-github-release: {tag}: {release['html_url']}")
    return check_assets(client, release, files)


def read_notes(settings: Settings) -> str:
    if settings.notes is None:
        return ""
    path = in_work_tree(settings.notes)
    if not path.is_file():
        raise FatalError(f"{path}: no such notes file", 2)
    return path.read_text(encoding="utf-8").strip() + "\n"


def keep_or_update_notes(
    client: Client[Settings],
    settings: Settings,
    release: JSON,
    notes: str,
    tag: str,
    report: Report,
) -> None:
    """A person's edits to title and body stay, unless --update-notes asks otherwise."""
    same = (release.get("body") or "").strip() == notes.strip() and release.get("name") == tag
    if same:
        return
    if not settings.update_notes:
        report.say("notes: kept the release's title and body (--update-notes replaces them)")
        return
    if settings.dry_run:
        report.say("DRY_RUN: would replace the release's title and body with the notes")
        return
    client.call(
        "PATCH", client.url(f"/releases/{release['id']}"), json={"name": tag, "body": notes}
    )
    report.say("notes: replaced the release's title and body (--update-notes)")


def sync_assets(
    client: Client[Settings],
    settings: Settings,
    release: JSON,
    files: list[tuple[Path, bytes]],
    report: Report,
) -> None:
    """Upload what is missing, skip what is identical, replace a same-named different file."""
    present = {a["name"]: a for a in list_assets(client, release)}
    for path, data in files:
        ours = sha256_of(data)
        there = present.get(stored_name(path.name))
        if (
            there is not None
            and there.get("state") == "uploaded"
            and asset_sha256(client, there) == ours
        ):
            report.say(f"asset {path.name}: identical, skipped")
            report.assets.append((path.name, ours, "already there"))
            continue
        if settings.dry_run:
            verb = "replace" if there is not None else "upload"
            report.say(f"DRY_RUN: would {verb} {path.name} sha256:{ours}")
            continue
        if there is not None:
            delete_asset(client, there)
        upload(client, release, path, data)
        action = "replaced" if there is not None else "uploaded"
        report.say(f"asset {path.name}: {action} sha256:{ours}")
        report.assets.append((path.name, ours, action))


# ---- verify ------------------------------------------------------------------


def check_assets(client: Client[Settings], release: JSON, files: list[tuple[Path, bytes]]) -> int:
    """Each local file is a release asset with the same bytes (downloaded and hashed)."""
    present = {a["name"]: a for a in list_assets(client, release)}
    problems = []
    for path, data in files:
        there = present.get(stored_name(path.name))
        if there is None:
            problems.append(f"{path.name}: not attached to the release")
        elif sha256_of(download(client, there)) != sha256_of(data):
            problems.append(f"{path.name}: the release asset differs from the local file")
    for problem in problems:
        print(f"{PROG}: mismatch: {problem}", file=sys.stderr)
    if problems:
        raise FatalError(f"verify-github-release: {len(problems)} mismatch(es)")
    print(f"verify-github-release: {len(files)} asset(s) match the local files")
    return 0


def verify(settings: Settings) -> int:
    tag = resolve_tag(settings, "verify-github-release")
    if tag is None:
        return 0
    files = read_assets(settings)
    client = Client(settings)
    release = find_release(client, tag)
    if release is None:
        raise FatalError(f"verify-github-release: no release for {tag}")
    return check_assets(client, release, files)


def version_command(settings: Settings) -> int:
    """Print the version of the tag being released; nothing (and exit 0) for other refs:
    `publish` prints the skip line for those."""
    tag = resolve_tag(settings, "")
    if tag is not None:
        print(version_of_tag(tag, settings.tag_pattern))
    return 0


def plan_command(settings: Settings) -> int:
    """`make plan`'s row for deploy-github-release; no request is made."""
    api = without_userinfo(settings.api_url.rstrip("/"))
    where = f"{api}/repos/{settings.repository or 'GITHUB_REPOSITORY'}"
    what = "draft release: notes, DIST/*, CHANGES"
    cell = settings.tag or f"skip: not a release tag: {settings.ref}"
    print(f"deploy-github-release\t{where}\t{what}\t{cell}")
    return 0


# ---- Actions outputs and messages ---------------------------------------------


def check_outputs_writable() -> None:
    """The Actions files are checked before anything is uploaded, not after."""
    problem = actions_files_problem(os.environ)
    if problem:
        raise FatalError(problem, 2)


def summarize(release: JSON, tag: str, report: Report) -> None:
    rows = "".join(f"| `{n}` | `{h}` | {a} |\n" for n, h, a in report.assets)
    text = (
        f"### GitHub Release: {tag}\n\n[{tag}]({release['html_url']}) "
        f"({'draft' if release.get('draft') else 'published'})\n\n"
        f"| asset | sha256 | |\n| --- | --- | --- |\n{rows}\n"
    )
    write_summary(text)


# ---- command line ------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    env = os.environ
    try:  # refused before any work: a typo must not decide whether anything is published
        dry_run = yes_no("DRY_RUN", env.get("DRY_RUN"))
    except ValueError as bad:
        raise FatalError(str(bad), 2) from None
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "For the version tag being released, find its GitHub Release (drafts included) "
            "or create a draft one, with the notes as body and the files as assets. An "
            "existing release keeps its title and body; identical assets are skipped, "
            "same-named different ones replaced."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_repository_options(parser, env)
    parser.add_argument(
        "--tag-pattern",
        default=env.get("TAG_PATTERN") or "v*",
        help="version tags (default: $TAG_PATTERN or %(default)s)",
    )
    parser.add_argument(
        "--tag",
        help="the version tag (default: from $REF, else $GITHUB_REF, else the version tag at HEAD)",
    )
    add_deadline_options(
        parser,
        env,
        timeout=60.0,
        max_wait=300,
        spent_on="requests, uploads, time-outs, retries and rate-limit waits",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    versioner = sub.add_parser(
        "version", help="print the version of the tag being released, or nothing"
    )
    versioner.add_argument(
        "--notes", help="the Markdown file the notes will be written to: refused if it may not be"
    )
    sub.add_parser(
        "plan",
        help="print one TAB-separated row for `make plan`: target, destination, what, tag "
        "(or 'skip: reason'); asks GitHub nothing",
    )
    for name, text in (
        ("publish", "create or complete the draft release"),
        ("verify", "check that every asset matches its local file"),
    ):
        command = sub.add_parser(name, help=text)
        command.add_argument(
            "--dist",
            default=env.get("DIST") or "dist",
            help="attach every regular file of this folder (default: $DIST or dist)",
        )
        command.add_argument(
            "--changes",
            default=env.get("CHANGES") or "CHANGES.rst",
            help="attach this notes file too; '' for none (default: $CHANGES or CHANGES.rst)",
        )
    publisher = sub.choices["publish"]
    publisher.add_argument("--notes", help="Markdown file: the body of a new release")
    publisher.add_argument(
        "--update-notes",
        action="store_true",
        help="replace an existing release's title and body with the notes",
    )
    publisher.add_argument(
        "--dry-run",
        action="store_true",
        default=dry_run,
        help="read only; print what would change (default: on when $DRY_RUN is 1/true/yes/on)",
    )
    return parser


def _bad_usage(message: str) -> NoReturn:
    raise FatalError(message, 2)


def asset_paths(dist: str, changes: str) -> tuple[Path, ...]:
    """The release's assets: what SHA256SUMS lists, SHA256SUMS, the notes file; no stray."""
    folder = in_work_tree(Path(dist))
    try:
        listed = manifest(folder)
    except ManifestError as error:
        raise FatalError(str(error), 2) from None
    files = [*listed, folder / SUMS_NAME]
    return (*files, Path(changes)) if changes else tuple(files)


def settings_from(argv: Sequence[str] | None) -> Settings:
    parser = build_parser()
    parser.error = _bad_usage  # type: ignore[method-assign]
    args = parser.parse_args(argv)
    if not is_http_url(str(args.api_url)):
        raise FatalError(f"--api-url must be an http(s) URL, got {args.api_url!r}", 2)
    pattern = str(args.tag_pattern)
    if "*" not in pattern:
        raise FatalError(f"--tag-pattern must contain '*', got {pattern!r}", 2)
    ref = (
        f"refs/tags/{args.tag}"
        if args.tag
        else current_ref(os.environ, pattern, lambda: checkout_head(pattern, Path.cwd()))
    )
    unmade = None if args.tag else unmade_tag(os.environ, pattern, args.command == "plan")
    if unmade:
        raise FatalError(unmade, 2)
    tag = args.tag or release_tag_of(ref, pattern)
    # A ref that releases nothing is skipped before what only a release needs is checked.
    releasing = args.command in ("publish", "verify") and tag is not None
    token = os.environ.get("GITHUB_TOKEN", "").strip()
    dry_run = bool(getattr(args, "dry_run", False))
    if releasing and not token and not dry_run:
        raise FatalError("GITHUB_TOKEN is not set", 2)
    bad = bad_secret("GITHUB_TOKEN", token) if releasing else None
    if bad:  # before bin/deploy-github-release writes the notes
        raise FatalError(bad, 2)
    repository = (args.repository or "").strip()
    if releasing and repository and not valid_repository(repository):
        raise FatalError(
            f"GITHUB_REPOSITORY/--repository must be OWNER/REPO, got {repository!r}", 2
        )
    if releasing and not repository:  # a laptop: the remote's URL names it, as for `gh`
        repository = repository_from_remote(args.remote)
    if args.command == "plan" and not repository:  # the plan names it when it can, or says so
        with contextlib.suppress(FatalError):
            repository = repository_from_remote(args.remote)
    assets = asset_paths(args.dist, args.changes) if releasing else ()
    notes = getattr(args, "notes", None)
    if notes:  # before bin/deploy-github-release writes it (`version --notes`)
        in_work_tree(Path(notes))
    return Settings(
        command=args.command,
        api_url=str(args.api_url),
        repository=repository,
        token=token,
        tag_pattern=pattern,
        ref=ref,
        tag=tag,
        notes=Path(notes) if notes else None,
        assets=assets,
        update_notes=bool(getattr(args, "update_notes", False)),
        dry_run=dry_run,
        timeout=args.timeout,
        max_wait=args.max_wait,
    )


def main(argv: Sequence[str] | None = None) -> int:
    token = os.environ.get("GITHUB_TOKEN", "").strip()
    try:
        settings = settings_from(argv)
        command = {
            "publish": publish,
            "verify": verify,
            "version": version_command,
            "plan": plan_command,
        }
        return command[settings.command](settings)
    except FatalError as failure:
        fail(redact(str(failure), [token]), failure.status)
    except ModuleNotFoundError as missing:  # run without its PEP 723 dependencies
        fail(missing_dependency(missing), 1)
    except KeyboardInterrupt:
        fail("interrupted", 1)


if __name__ == "__main__":
    sys.exit(main())
