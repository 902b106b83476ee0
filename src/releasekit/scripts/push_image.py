#!/usr/bin/env python3
# /// script
# requires-python = ">=3.10"
# dependencies = []
# ///
"""Publish the built image under the tags docker_tags.py planned: pushed once, copied by digest.

One registry target a run (`--target dockerhub`: the every-build images, credentials from
DOCKERHUB_USERNAME/DOCKERHUB_TOKEN; `--target ghcr`: the release-only images, credentials from
GHCR_USERNAME/GHCR_TOKEN). The image that `make image` built (build/image.json, else
IMAGE_LOCAL) is pushed with the engine ONCE, to the first tag, unless a tag of the plan already
holds it; every other tag, in any registry, gets that manifest by digest with
`skopeo copy --all --preserve-digests`, so every tag everywhere names one digest and no blob
is uploaded twice. Each tag is then checked with a manifest HEAD. Tags that already hold the
digest are left alone, so a re-run after a failure finishes the job and pushes nothing twice.

`--verify` only checks (every planned tag, both roles, resolves to the built image);
`--plan` prints what each target would publish, as TAB-separated rows. DRY_RUN=1 prints the
commands it would run and touches nothing. Secrets come from the environment only, reach the
engine on stdin and skopeo through a private auth file, and are never printed.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shlex
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from releasekit.rules.children import announced, run_child, watch_parent
from releasekit.rules.cli import PROG, Parser, TerminatedError, fail, unwind_on_sigterm, yes_no
from releasekit.rules.registries import api_host, api_path, insecure_registries, plain_http
from releasekit.rules.retries import Deadline, FatalError, TransientError, add_deadline_options
from releasekit.rules.secrets import bad_secret

EXAMPLE = """\
examples:
  docker_tags.py --format json > build/tags.json
  DOCKERHUB_USERNAME=me DOCKERHUB_TOKEN=... push_image.py --tags build/tags.json --target dockerhub
  GHCR_USERNAME=me GHCR_TOKEN=... push_image.py --tags build/tags.json --target ghcr
  push_image.py --tags build/tags.json --verify
  push_image.py --tags build/tags.json --plan
"""

# target -> (the plan's image role, the credential variables' prefix, the make target)
TARGETS = {
    "dockerhub": ("every-build", "DOCKERHUB", "deploy-dockerhub"),
    "ghcr": ("release-only", "GHCR", "deploy-ghcr"),
}
# target -> the ref kinds (docker_tags.py's) it publishes; it skips every other ref.
PUBLISHES = {"dockerhub": ("release-tag", "base-branch"), "ghcr": ("release-tag",)}
MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
# What build/image.json may describe. A single image is pushed by the engine, an OCI archive
# (docker buildx in Actions) by skopeo; a list or per-platform images by build_image.py (beside
# this file, as `make image` left it).
KINDS = ("image", "list", "per-platform", "oci-archive")
DIGEST_RE = re.compile(r"sha256:[0-9a-f]{64}")
BUILD_IMAGE = Path(__file__).resolve().with_name("build_image.py")
TIMEOUT = 30.0  # seconds per registry request
MAX_WAIT = 1800.0  # seconds for the whole command: registry reads, pushes, copies, retries


class BadInputError(Exception):
    """Bad input or a refusal: one line, exit 2."""


class FailedError(Exception):
    """The deploy failed: one line, exit 1 (a re-run finishes it)."""


# ---- settings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    username: str
    token: str = field(repr=False)


@dataclass(frozen=True)
class Image:
    name: str  # host/path
    role: str
    tags: tuple[str, ...]

    @property
    def host(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def path(self) -> str:
        return self.name.split("/", 1)[1]


@dataclass(frozen=True)
class TagPlan:
    ref: str
    kind: str
    push: bool
    reason: str
    images: tuple[Image, ...]


@dataclass(frozen=True)
class Settings:
    mode: str  # deploy, verify, plan
    target: str  # dockerhub, ghcr ("" for verify and plan)
    plan: TagPlan
    engine: str
    image_local: str
    image_id: str  # the built image's ID (its config digest), or its manifest digest
    kind: str  # build/image.json's kind: image (one platform), list, per-platform, oci-archive
    platform_ids: frozenset[str]  # a list's or per-platform's image IDs, one per platform
    archive: str  # the OCI archive of kind oci-archive (build/image.oci.tar)
    credentials: dict[str, Credentials]  # target -> credentials
    dry_run: bool
    insecure: tuple[str, ...] = ()  # INSECURE_REGISTRIES: plain HTTP beside loopback
    timeout: float = TIMEOUT
    deadline: Deadline = field(
        repr=False, compare=False, default_factory=lambda: Deadline(MAX_WAIT)
    )


def load_plan(path: Path) -> TagPlan:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        images = tuple(
            Image(str(i["name"]), str(i["role"]), tuple(str(t) for t in i["tags"]))
            for i in data["images"]
        )
        return TagPlan(
            str(data["ref"]), str(data["kind"]), bool(data["push"]), str(data["reason"]), images
        )
    except FileNotFoundError:
        raise BadInputError(
            f"{path}: no such file (write it with docker_tags.py --format json)"
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BadInputError(f"{path}: not a docker_tags.py JSON plan ({exc})") from None


@dataclass(frozen=True)
class BuiltImage:
    """What build/image.json describes (the local name alone without it)."""

    local: str
    image_id: str = ""
    kind: str = "image"
    archive: str = ""
    platform_ids: frozenset[str] = frozenset()


def with_algorithm(image_id: str) -> str:
    """podman prints IDs without the algorithm."""
    return f"sha256:{image_id}" if re.fullmatch(r"[0-9a-f]{64}", image_id) else image_id


def load_built(path: Path, image_local: str) -> BuiltImage:
    if not path.is_file():
        return BuiltImage(image_local)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        local, image_id = str(data.get("local") or image_local), str(data.get("id") or "")
        kind = str(data.get("kind") or "image")
        archive = str(data.get("archive") or "")
        per_platform = data.get("per_platform") or {}
        ids = frozenset(with_algorithm(str(e["id"])) for e in per_platform.values())
    except (OSError, ValueError, AttributeError, KeyError, TypeError) as exc:
        raise BadInputError(f"{path}: not an image record ({exc})") from None
    if kind not in KINDS:
        raise BadInputError(f"{path}: unknown kind {kind!r} (one of {', '.join(KINDS)})")
    if kind == "oci-archive" and not archive:
        raise BadInputError(f"{path}: kind oci-archive without an archive")
    return BuiltImage(local, with_algorithm(image_id), kind, archive, ids)


def credentials_from(env: dict[str, str]) -> dict[str, Credentials]:
    found = {}
    for target, (_role, prefix, _make) in TARGETS.items():
        username, token = env.get(f"{prefix}_USERNAME", ""), env.get(f"{prefix}_TOKEN", "")
        bad = bad_secret(f"{prefix}_TOKEN", token)
        if bad:
            raise BadInputError(bad)
        if username and token:
            found[target] = Credentials(username, token)
    return found


# ---- a small registry client (HEAD and GET of manifests, Basic or Bearer token auth) ---------


@dataclass
class Registry:
    """The manifest endpoints of one registry, named as images name it (`docker.io`), called
    at its API host (registry-1.docker.io), with the credentials for it (if any)."""

    host: str
    credentials: Credentials | None
    plain: bool = False  # loopback or INSECURE_REGISTRIES: plain HTTP
    tokens: dict[str, str] = field(default_factory=dict)
    deadline: Deadline = field(default_factory=lambda: Deadline(MAX_WAIT))
    timeout: float = TIMEOUT

    @property
    def base(self) -> str:
        return f"{'http' if self.plain else 'https'}://{api_host(self.host)}"

    def _basic(self) -> str | None:
        if not self.credentials:
            return None
        pair = f"{self.credentials.username}:{self.credentials.token}".encode()
        return "Basic " + base64.b64encode(pair).decode()

    @contextmanager
    def _open(self, request: urllib.request.Request, what: str) -> Iterator[Any]:
        """The answer to `request` within what is left of --max-wait, a line while it waits."""
        timeout = self.deadline.timeout(self.timeout, what)
        with (
            announced(what, self.deadline),
            urllib.request.urlopen(request, timeout=timeout) as reply,  # noqa: S310
        ):
            yield reply

    def _request(self, method: str, url: str, scope: str) -> tuple[int, dict[str, str], bytes]:
        """One answer, its 5xx and silences retried within --max-wait, each wait said."""
        try:
            return self.deadline.retried(lambda n: self._answer(method, url, scope))
        except FatalError as error:
            raise FailedError(str(error)) from None

    def _answer(self, method: str, url: str, scope: str) -> tuple[int, dict[str, str], bytes]:
        for attempt in range(2):
            request = urllib.request.Request(url, method=method)  # noqa: S310 (http[s] only)
            request.add_header("Accept", MANIFEST_TYPES)
            authorization = self.tokens.get(scope) or self._basic()
            if authorization:
                request.add_header("Authorization", authorization)
            what = f"registry {self.host} ({method} {urllib.parse.urlsplit(url).path})"
            try:
                with self._open(request, what) as reply:
                    return reply.status, dict(reply.headers), reply.read()
            except urllib.error.HTTPError as error:
                challenge = error.headers.get("WWW-Authenticate", "")
                if error.code == 401 and attempt == 0 and challenge.lower().startswith("bearer"):
                    self.tokens[scope] = self._token(challenge, scope)
                    continue
                if error.code >= 500:
                    raise TransientError(f"{what} answered {error.code}", error.code) from None
                return error.code, dict(error.headers), b""
            except (urllib.error.URLError, OSError) as error:
                reason = getattr(error, "reason", error)
                raise TransientError(f"{what}: no answer ({reason})") from None
        return 401, {}, b""

    def _token(self, challenge: str, scope: str) -> str:
        fields = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        query = {"service": fields.get("service", ""), "scope": scope}
        url = f"{fields.get('realm', '')}?{urllib.parse.urlencode(query)}"
        if not url.startswith(("https://", "http://")):
            raise FailedError(f"registry {self.host} asked for a token from {url!r}")
        request = urllib.request.Request(url)  # noqa: S310 (checked above)
        basic = self._basic()
        if basic:
            request.add_header("Authorization", basic)
        what = f"the token service of {self.host}"
        try:
            with self._open(request, what) as reply:
                body = json.load(reply)
        except urllib.error.HTTPError as error:
            if error.code in (401, 403):
                return ""
            raise FailedError(f"token service of {self.host} answered {error.code}") from None
        except (urllib.error.URLError, OSError, ValueError) as error:
            raise FailedError(f"token service of {self.host} failed: {error}") from None
        except FatalError as error:
            raise FailedError(str(error)) from None
        token = body.get("token") or body.get("access_token") or ""
        return f"Bearer {token}" if token else ""

    def check_login(self) -> str | None:
        """None when the credentials are accepted, else why not (never the secret)."""
        status, _headers, _body = self._request("GET", f"{self.base}/v2/", "registry:catalog:*")
        if status in (200, 404):
            return None
        if status >= 500:  # the registry failing says nothing of the credentials
            raise FailedError(f"registry {api_host(self.host)} is failing ({status}): try again")
        return f"{self.host} refused the credentials ({status})"

    def manifest(self, path: str, reference: str, method: str = "HEAD") -> tuple[str, bytes] | None:
        """(digest, body) of a tag or digest; None when it is not there."""
        path = api_path(self.host, path)
        url = f"{self.base}/v2/{path}/manifests/{reference}"
        status, headers, body = self._request(method, url, f"repository:{path}:pull")
        if status == 404:
            return None
        if status in (401, 403):
            raise FailedError(f"{self.host} refused access to {path} ({status})")
        if status >= 500:
            raise FailedError(f"registry {api_host(self.host)} is failing ({status}): try again")
        if status != 200:
            raise FailedError(f"{self.host} answered {status} for {path}:{reference}")
        digest = {k.lower(): v for k, v in headers.items()}.get("docker-content-digest", "")
        return digest, body


# ---- what each step does ---------------------------------------------------------------------


def plan_of(settings: Settings, target: str) -> tuple[list[tuple[Image, str]], str]:
    """The (image, tag) pairs this target publishes, or why it skips the ref: the same words
    in `make plan`'s cell and in the deploy's one line."""
    role, plan = TARGETS[target][0], settings.plan
    if plan.kind not in PUBLISHES[target]:
        return [], skip_reason(plan, PUBLISHES[target])
    pairs = [(i, t) for i in plan.images if i.role == role for t in i.tags]
    if not pairs:
        return [], f"no {role} images configured"
    return pairs, ""


def skip_reason(plan: TagPlan, kinds: tuple[str, ...]) -> str:
    """A target of release tags alone says what PyPI's and the GitHub Release's say; Docker
    Hub's every-build images say why docker_tags.py tags nothing for the ref."""
    if kinds == ("release-tag",):
        return f"not a release tag: {plan.ref}"
    return plan.reason


def skipped(make_target: str, reason: str) -> str:
    """The one line a target prints for a ref it does not publish."""
    return f"{make_target}: skipped ({reason})"


def scrub(text: str, settings: Settings) -> str:
    for credentials in settings.credentials.values():
        text = text.replace(credentials.token, "***")
    return text


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def run(settings: Settings, command: list[str], secret: str | None = None) -> str:
    """Run a command (shown, never with a secret: those go on stdin); fail with one line."""
    shown = shlex.join(command)
    if settings.dry_run:
        print(f"DRY_RUN: would run: {shown}", file=sys.stderr)
        return ""
    what = f"{command[0]} {command[1]} {command[-1]}"  # never the username in between
    try:
        result = run_child(command, what, settings.deadline, stdin=secret)
    except OSError as exc:
        raise FailedError(f"{command[0]}: {exc}") from None
    except FatalError as exc:
        raise FailedError(str(exc)) from None
    if result.returncode != 0:
        reason = scrub(last_line(result.stderr or result.stdout), settings)
        raise FailedError(f"{command[0]} {command[1]} failed: {reason}")
    return result.stdout


def built_id(settings: Settings) -> str:
    if settings.image_id:
        return settings.image_id
    if not settings.image_local:
        raise BadInputError("no image: run `make image` (build/image.json) or set IMAGE_LOCAL")
    out = run(
        settings,
        [settings.engine, "image", "inspect", "--format", "{{.Id}}", settings.image_local],
    )
    image_id = out.strip()
    if not image_id.startswith("sha256:"):
        image_id = f"sha256:{image_id}"
    return image_id


def manifest_json(body: bytes) -> dict[str, object]:
    try:
        manifest = json.loads(body)
    except ValueError:
        return {}
    return manifest if isinstance(manifest, dict) else {}


def config_of(manifest: dict[str, object]) -> str:
    config = manifest.get("config")
    return str(config.get("digest", "")) if isinstance(config, dict) else ""


def list_configs(registry: Registry, path: str, index: dict[str, object]) -> set[str]:
    """The config digests of an index's platform manifests (empty when one is unreadable)."""
    entries = index.get("manifests")
    configs: set[str] = set()
    for entry in entries if isinstance(entries, list) else []:
        child = str(entry.get("digest", "")) if isinstance(entry, dict) else ""
        found = registry.manifest(path, child, method="GET") if DIGEST_RE.fullmatch(child) else None
        if found is None or not config_of(manifest_json(found[1])):
            return set()
        configs.add(config_of(manifest_json(found[1])))
    return configs


def holds_built(
    registry: Registry, path: str, tag: str, image_id: str, platform_ids: frozenset[str]
) -> str | None:
    """The tag's digest when it holds the built image: by manifest or config digest; for a
    list or per-platform images (`platform_ids`), an index whose platform manifests' configs
    are exactly the built platforms' images (the local list's ID is no registry digest)."""
    found = registry.manifest(path, tag, method="GET")
    if found is None:
        return None
    digest, body = found
    if digest == image_id:
        return digest
    manifest = manifest_json(body)
    if platform_ids:
        is_list = "manifests" in manifest
        held = is_list and list_configs(registry, path, manifest) == platform_ids
        return digest if held else None
    return digest if config_of(manifest) == image_id else None


# What an engine keeps in its config folder besides logins: a private folder links to them.
ENGINE_CONFIG_KEPT = ("buildx", "cli-plugins", "contexts")


@contextmanager
def auth_file(settings: Settings, source_host: str | None = None) -> Iterator[Path]:
    """A private folder (0700, removed on the way out, SIGTERM and SIGINT included) for this
    target's credentials alone (and the source registry's, when a copy reads from one):
    skopeo's auth file (0600) and the engine's logins, which
    `docker login` (DOCKER_CONFIG) and `podman login` (REGISTRY_AUTH_FILE) write there
    instead of the runner's ~/.docker, where they would outlive the step."""
    auths = {}
    role = TARGETS[settings.target][0] if settings.target else ""
    hosts = {i.host for i in settings.plan.images if i.role == role} | {source_host or ""}
    for host in sorted(hosts - {""}):
        credentials = credentials_for(host, settings)
        if credentials is not None:
            pair = f"{credentials.username}:{credentials.token}".encode()
            auths[host] = {"auth": base64.b64encode(pair).decode()}
    saved = {name: os.environ.get(name) for name in ("DOCKER_CONFIG", "REGISTRY_AUTH_FILE")}
    with tempfile.TemporaryDirectory(prefix="push-image-") as folder:  # mode 0700
        path = Path(folder) / "auth.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"auths": auths}, handle)
        engine_config = Path(folder) / "engine"
        engine_config.mkdir(mode=0o700)
        kept = Path(saved["DOCKER_CONFIG"] or Path.home() / ".docker")
        for name in ENGINE_CONFIG_KEPT:
            if (kept / name).exists():
                (engine_config / name).symlink_to(kept / name)
        os.environ["DOCKER_CONFIG"] = str(engine_config)
        os.environ["REGISTRY_AUTH_FILE"] = str(path)
        try:
            yield path
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def credentials_for(host: str, settings: Settings) -> Credentials | None:
    """The credentials of the target whose images are named under `host`."""
    found = None
    for target, credentials in settings.credentials.items():
        if any(i.host == host and i.role == TARGETS[target][0] for i in settings.plan.images):
            found = credentials
    return found


def registry_for(host: str, settings: Settings, cache: dict[str, Registry]) -> Registry:
    if host not in cache:
        plain = plain_http(host, settings.insecure)
        credentials = credentials_for(host, settings)
        cache[host] = Registry(
            host, credentials, plain, deadline=settings.deadline, timeout=settings.timeout
        )
    return cache[host]


def find_source(
    settings: Settings, image_id: str, cache: dict[str, Registry]
) -> tuple[Image, str] | None:
    """A planned tag (any role) that already holds the built image: copy from it, don't push."""
    for image in (image for image in settings.plan.images if image.tags):
        registry = registry_for(image.host, settings, cache)
        try:
            tag = image.tags[0]
            digest = holds_built(registry, image.path, tag, image_id, settings.platform_ids)
        except FailedError:
            continue  # not readable with what we have: not a source
        if digest:
            return image, digest
    return None


def deploy(settings: Settings) -> str:
    target = settings.target
    pairs, reason = plan_of(settings, target)
    if not pairs:
        return skipped(TARGETS[target][2], reason)
    prefix = TARGETS[target][1]
    credentials = settings.credentials.get(target)
    if credentials is None and not settings.dry_run:
        raise BadInputError(f"set {prefix}_USERNAME and {prefix}_TOKEN for {target}")
    if settings.dry_run:
        return dry_run(settings, pairs)
    cache: dict[str, Registry] = {}
    for host in dict.fromkeys(image.host for image, _tag in pairs):
        refused = registry_for(host, settings, cache).check_login()
        if refused:
            raise FailedError(f"{refused}: check {prefix}_USERNAME and {prefix}_TOKEN")
    image_id = built_id(settings)
    source = find_source(settings, image_id, cache)
    pushed = ""
    with auth_file(settings, source[0].host if source else None) as auth:
        if source is None:
            first, tag = pairs[0]
            pushed = f"{first.name}:{tag}"
            printed = push(settings, first, tag, credentials, auth)
            registry = registry_for(first.host, settings, cache)
            digest = holds_built(registry, first.path, tag, image_id, settings.platform_ids)
            found = registry.manifest(first.path, tag)
            if printed and found and found[0] == printed:
                digest = printed  # a list recorded without its platforms' IDs: as pushed
            if not digest:
                raise FailedError(f"{pushed} does not hold the built image {image_id}")
            source = (first, digest)
        image, digest = source
        copied, kept = copy_tags(settings, pairs, image, digest, cache, auth)
    parts = [f"pushed {pushed}" if pushed else f"copied from {image.name}@{digest}"]
    parts += [f"copied {len(copied)}", f"already right {len(kept)}"]
    refs = " ".join(f"{i.name}:{t}" for i, t in pairs)
    return f"{TARGETS[target][2]}: {digest}: {', '.join(parts)}: {refs}"


def push_commands(settings: Settings, remote: str, auth: Path) -> list[list[str]]:
    """The commands that push the built image to `remote` (host/path:tag)."""
    if settings.kind == "image":
        engine = settings.engine
        return [[engine, "tag", settings.image_local, remote], [engine, "push", remote]]
    if settings.kind == "oci-archive":
        return [skopeo_copy(f"oci-archive:{settings.archive}", remote, auth, settings.insecure)]
    if not BUILD_IMAGE.is_file():
        raise BadInputError(f"a {settings.kind} is pushed by {BUILD_IMAGE.name}: copy it beside")
    return [[sys.executable, str(BUILD_IMAGE), "push", remote]]


def push(
    settings: Settings, image: Image, tag: str, credentials: Credentials | None, auth: Path
) -> str:
    """Push the built image to image:tag; the digest build_image.py printed, if it ran."""
    assert credentials is not None
    if settings.kind != "oci-archive":  # skopeo reads the private auth file instead
        engine, host = settings.engine, image.host
        login = [engine, "login", "--username", credentials.username, "--password-stdin", host]
        run(settings, login, secret=credentials.token)
    output = ""
    for command in push_commands(settings, f"{image.name}:{tag}", auth):
        output = run(settings, command)
    found = DIGEST_RE.findall(output) if settings.kind != "image" else []
    return found[-1] if found else ""


def skopeo_copy(
    source: str, dest: str, auth: Path | None, insecure: tuple[str, ...] = ()
) -> list[str]:
    """skopeo copy of a source (host/path@digest, or transport:path) to host/path:tag."""
    command = ["skopeo", "copy", "--all", "--preserve-digests", "--retry-times", "2"]
    if auth is not None:
        command += ["--src-authfile", str(auth), "--dest-authfile", str(auth)]
    transport = source if source.startswith("oci-archive:") else f"docker://{source}"
    if transport.startswith("docker://") and plain_http(source.split("/", 1)[0], insecure):
        command.append("--src-tls-verify=false")
    if plain_http(dest.split("/", 1)[0], insecure):
        command.append("--dest-tls-verify=false")
    return [*command, transport, f"docker://{dest}"]


def copy_tags(
    settings: Settings,
    pairs: list[tuple[Image, str]],
    source: Image,
    digest: str,
    cache: dict[str, Registry],
    auth: Path,
) -> tuple[list[str], list[str]]:
    copied: list[str] = []
    kept: list[str] = []
    for image, tag in pairs:
        registry = registry_for(image.host, settings, cache)
        found = registry.manifest(image.path, tag)
        if found and found[0] == digest:
            kept.append(f"{image.name}:{tag}")
            continue
        src = f"{source.name}@{digest}"
        run(settings, skopeo_copy(src, f"{image.name}:{tag}", auth, settings.insecure))
        copied.append(f"{image.name}:{tag}")
    for image, tag in pairs:
        found = registry_for(image.host, settings, cache).manifest(image.path, tag)
        if not found or found[0] != digest:
            got = found[0] if found else "nothing"
            raise FailedError(f"{image.name}:{tag} resolves to {got}, not {digest}")
    return copied, kept


def dry_run(settings: Settings, pairs: list[tuple[Image, str]]) -> str:
    """Print the commands a deploy would run when no registry holds anything yet."""
    target = settings.target
    prefix = TARGETS[target][1]
    first, tag = pairs[0]
    username = f"${prefix}_USERNAME"
    print(
        f"DRY_RUN: would look for the built image ({settings.image_id or settings.image_local})"
        f" under {', '.join(f'{i.name}:{i.tags[0]}' for i in settings.plan.images if i.tags)}",
        file=sys.stderr,
    )
    print(f"DRY_RUN: if none holds it, would push it once to {first.name}:{tag}:", file=sys.stderr)
    engine = settings.engine
    if settings.kind != "oci-archive":
        run(settings, [engine, "login", "--username", username, "--password-stdin", first.host])
    for command in push_commands(settings, f"{first.name}:{tag}", Path("AUTHFILE")):
        run(settings, command)
    for image, other in pairs:
        dest = f"{image.name}:{other}"
        copy = skopeo_copy(f"{first.name}@DIGEST", dest, Path("AUTHFILE"), settings.insecure)
        run(settings, copy)
    refs = " ".join(f"{i.name}:{t}" for i, t in pairs)
    return (
        f"DRY_RUN: {TARGETS[target][2]}: would publish {refs} "
        "(tags already at the digest are left alone; each tag checked by manifest HEAD)"
    )


def verify(settings: Settings) -> str:
    """Every planned tag of a pushed plan resolves to one digest that holds the built image."""
    images = [image for image in settings.plan.images if image.tags]
    if not settings.plan.push or not images:
        return skipped("verify-images", settings.plan.reason)
    image_id = built_id(settings)
    cache: dict[str, Registry] = {}
    digests: dict[str, str] = {}
    for image in images:
        registry = registry_for(image.host, settings, cache)
        for tag in image.tags:
            found = registry.manifest(image.path, tag)
            if found is None:
                raise FailedError(f"{image.name}:{tag} is not published")
            digests[f"{image.name}:{tag}"] = found[0]
    if len(set(digests.values())) != 1:
        spread = ", ".join(f"{ref}={d}" for ref, d in digests.items())
        raise FailedError(f"the tags do not share one digest: {spread}")
    first = images[0]
    registry = registry_for(first.host, settings, cache)
    digest = holds_built(registry, first.path, first.tags[0], image_id, settings.platform_ids)
    if not digest:
        raise FailedError(f"{first.name}:{first.tags[0]} does not hold the built image {image_id}")
    return f"verify-images: {digest}: {' '.join(digests)}"


def plan_rows(settings: Settings) -> str:
    """TAB-separated rows: target, destination, what, tags (or skip: reason)."""
    what = settings.image_local or "the built image"
    rows = []
    for target, (role, _prefix, make) in TARGETS.items():
        pairs, reason = plan_of(settings, target)
        if not pairs:
            images = [i.name for i in settings.plan.images if i.role == role] or ["-"]
            rows.append(f"{make}\t{' '.join(images)}\t{what}\tskip: {reason}")
            continue
        for image in dict.fromkeys(i for i, _t in pairs):
            rows.append(f"{make}\t{image.name}\t{what}\t{' '.join(image.tags)}")
    return "\n".join(rows)


# ---- command line ----------------------------------------------------------------------------


def build_parser(env: dict[str, str]) -> argparse.ArgumentParser:
    parser = Parser(
        prog=PROG,
        description=__doc__,
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--target", choices=sorted(TARGETS), help="publish to this target")
    mode.add_argument("--verify", action="store_true", help="only check every planned tag")
    mode.add_argument("--plan", action="store_true", help="print TAB-separated plan rows")
    parser.add_argument(
        "--tags", type=Path, required=True, help="the JSON plan of docker_tags.py --format json"
    )
    parser.add_argument(
        "--image-json",
        type=Path,
        default=Path("build/image.json"),
        help='what `make image` built: {"local": NAME, "id": ID} (default: build/image.json)',
    )
    parser.add_argument(
        "--image-local",
        default=env.get("IMAGE_LOCAL", ""),
        help="the local image name when there is no image record (default: $IMAGE_LOCAL)",
    )
    parser.add_argument(
        "--engine",
        default=env.get("DOCKER") or "docker",
        help="docker or podman (default: $DOCKER, else docker)",
    )
    spent_on = "registry reads, engine logins and pushes, copies and retries"
    add_deadline_options(parser, env, TIMEOUT, MAX_WAIT, spent_on)
    return parser


def settings_from(args: argparse.Namespace, env: dict[str, str]) -> Settings:
    try:  # first: a typo must not decide whether anything is pushed
        dry_run = yes_no("DRY_RUN", env.get("DRY_RUN"))
    except ValueError as bad:
        raise BadInputError(str(bad)) from None
    mode = "plan" if args.plan else "verify" if args.verify else "deploy"
    built = load_built(args.image_json, args.image_local)
    return Settings(
        mode=mode,
        target=args.target or "",
        plan=load_plan(args.tags),
        engine=args.engine,
        image_local=built.local,
        image_id=built.image_id,
        kind=built.kind,
        archive=built.archive,
        platform_ids=built.platform_ids,
        credentials=credentials_from(env),
        dry_run=dry_run,
        insecure=insecure_registries(env.get("INSECURE_REGISTRIES")),
        timeout=float(args.timeout),
        deadline=Deadline(float(args.max_wait)),
    )


def main(argv: Sequence[str] | None = None) -> int:
    env = dict(os.environ)
    args = build_parser(env).parse_args(argv)
    settings: Settings | None = None
    unwind_on_sigterm()  # the engine or skopeo gets the signal too (run_child)
    watch_parent()  # make gone, even by SIGKILL: the same unwinding
    try:
        settings = settings_from(args, env)
        if settings.mode == "plan":
            line = plan_rows(settings)
        elif settings.mode == "verify":
            line = verify(settings)
        else:
            line = deploy(settings)
    except BadInputError as exc:
        fail(scrub(str(exc), settings) if settings else str(exc), 2)
    except FailedError as exc:
        fail(scrub(str(exc), settings) if settings else str(exc), 1)
    except KeyboardInterrupt:
        fail("interrupted: the private credentials folder is removed; run it again", 130)
    except TerminatedError:
        fail("terminated: the private credentials folder is removed; run it again", 143)
    print(line)
    summary = env.get("GITHUB_STEP_SUMMARY")
    if summary and settings.mode != "plan":
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write(f"- `{line}`\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
