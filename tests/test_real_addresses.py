"""The deploy targets with their DEFAULT endpoints, answered at the real names, offline.

No PYPI_REPOSITORY_URL, PYPI_SIMPLE_URL or GITHUB_API_URL is set: the kit reaches
https://upload.pypi.org/legacy/, https://pypi.org/simple/, https://api.github.com and the
release's upload_url on https://uploads.github.com as it would in a real release. HTTPS_PROXY
is the real-address proxy (tests/peers/real_addresses.py): TLS from a test CA for those names,
warehouse's own rules (the OIDC audience and token exchange, attestations only with trusted
publishing, 404 and "File already exists") in front of pypiserver, and the GitHub stand-in
answering as github.com. Every host asked for is recorded: each row asserts the table of
hosts its target reached, and that nothing else was asked for.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.peers.github_api import GitHubStandIn
from tests.peers.kit_project import Project, kit_project, kit_project_template
from tests.peers.pypi import PypiServer, make_sdist, make_wheel, serve_pypi
from tests.peers.real_addresses import (
    ActionsIdentity,
    RealAddresses,
    Service,
    TrustedPublisher,
    actions_token_service,
    pypi_services,
)

__all__ = ["kit_project", "kit_project_template"]  # fixtures used by this module

REPOSITORY = "octo-org/project"  # the GitHub stand-in's repository
API_TOKEN = "pypi-AgEIcHlwaS5vcmcCJGFwaS10b2tlbi1mb3ItdGVzdHM"  # an API token's shape
ATTESTATION = ".publish.attestation"


@dataclass
class Stage:
    project: Project
    pypi: PypiServer
    proxy: RealAddresses
    publisher: TrustedPublisher
    oidc: dict[str, str]
    dist: list[Path] = field(default_factory=list)

    def make(self, target: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        venv_bin = str(Path(sys.executable).parent)
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("PYPI_", "TWINE_", "GITHUB_", "ACTIONS_"))
        }
        return subprocess.run(
            ["make", "--no-print-directory", "-s", target],
            cwd=self.project.path,
            env={
                **base,
                **self.proxy.env(),
                "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}",
                "PYTHON": sys.executable,
                "GITHUB_ACTIONS": "true",
                "GITHUB_REPOSITORY": REPOSITORY,
                "GITHUB_REF": "refs/tags/v1.2.0",
                "GITHUB_TOKEN": self.project.gh.token,
                **env,
            },
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    def index_files(self) -> list[str]:
        return sorted(p.name for p in self.pypi.packages_dir.iterdir() if p.is_file())


def add_token_users(pypi: PypiServer, *passwords: str) -> None:
    """PyPI's token login (`__token__`) on pypiserver: the minted token, or an API token."""
    from passlib.hash import apr_md5_crypt

    htpasswd = pypi.packages_dir.parent / "htpasswd"
    with htpasswd.open("a", encoding="utf-8") as users:
        for password in passwords:
            users.write(f"__token__:{apr_md5_crypt.hash(password)}\n")


@pytest.fixture
def stage(kit_project: Project, github_api: GitHubStandIn, tmp_path: Path) -> Iterator[Stage]:
    publisher = TrustedPublisher(REPOSITORY, "ci.yml", "pypi")
    identity = ActionsIdentity(REPOSITORY, "ci.yml", "pypi", "refs/tags/v1.2.0")
    github_api.answer_as("https://api.github.com", "https://uploads.github.com")
    with (
        serve_pypi(tmp_path / "pypi") as pypi,
        actions_token_service(identity) as oidc,
    ):
        services = {
            **pypi_services(pypi.url, publisher),
            "api.github.com": Service(github_api.listen_api_url),
            "uploads.github.com": Service(github_api.listen_uploads_url),
        }
        proxy = RealAddresses(tmp_path / "proxy", services)
        try:
            dist = kit_project.path / "dist"
            files = [make_wheel(dist, "demo", "1.2.0"), make_sdist(dist, "demo", "1.2.0")]
            sums = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in files]
            (dist / "SHA256SUMS").write_text("".join(sums), encoding="utf-8")
            yield Stage(kit_project, pypi, proxy, publisher, oidc, files)
        finally:
            proxy.close()
            github_api.answer_as(github_api.listen_api_url, github_api.listen_uploads_url)


def make_attestations(stage: Stage) -> None:
    """Attestations made before the upload (as a signing step would leave them in dist/)."""
    for path in stage.dist:
        statement = {"version": 1, "verification_material": {}, "envelope": {}}
        Path(f"{path}{ATTESTATION}").write_text(json.dumps(statement), encoding="utf-8")


@dataclass(frozen=True)
class Row:
    name: str
    target: str
    env: dict[str, str]
    hosts: set[str]  # the real names the target reached
    status: int = 0
    says: str = ""
    with_oidc: bool = True
    attested: bool = False
    publisher_repository: str = REPOSITORY
    published: bool = True


ROWS = [
    Row(
        "trusted publishing, as Actions passes unset secrets",
        "deploy-pypi",
        {"TWINE_USERNAME": "", "TWINE_PASSWORD": ""},
        {"pypi.org", "upload.pypi.org"},
        says="trusted publishing",
        attested=True,
    ),
    Row(
        "an API token with an OIDC identity: no attestations sent",
        "deploy-pypi",
        {"TWINE_USERNAME": "__token__", "TWINE_PASSWORD": API_TOKEN},
        {"pypi.org", "upload.pypi.org"},
        says="attestations: skipped (PyPI accepts them only with trusted publishing)",
        attested=True,
    ),
    Row(
        "no trusted publisher for this workflow: PyPI's reason and what to configure",
        "deploy-pypi",
        {"TWINE_USERNAME": "", "TWINE_PASSWORD": ""},
        {"pypi.org", "upload.pypi.org"},
        status=2,
        says="no corresponding publisher",
        publisher_repository="someone/else",
        published=False,
    ),
    Row(
        "the draft release at api.github.com, its assets at uploads.github.com",
        "deploy-github-release",
        {},
        {"api.github.com", "uploads.github.com"},
        with_oidc=False,
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.name)
def test_a_deploy_target_at_the_real_addresses(row: Row, stage: Stage) -> None:
    # pypiserver's htpasswd holds one password per user: the one this row logs in with.
    add_token_users(
        stage.pypi, API_TOKEN if row.env.get("TWINE_PASSWORD") else stage.publisher.minted
    )
    stage.publisher.repository = row.publisher_repository
    if row.attested:
        make_attestations(stage)
    env = {**row.env, **(stage.oidc if row.with_oidc else {})}

    done = stage.make(row.target, env)

    assert done.returncode == row.status, done.stdout + done.stderr
    assert row.says in done.stdout + done.stderr
    assert set(stage.proxy.hosts()) == row.hosts
    assert stage.proxy.refused == []
    for secret in (stage.publisher.minted, API_TOKEN, stage.project.gh.token):
        assert secret not in done.stdout + done.stderr
    if row.target == "deploy-pypi":
        wanted = sorted(p.name for p in stage.dist) if row.published else []
        assert stage.index_files() == wanted
    else:
        [release] = stage.project.gh.releases()
        assert release["draft"] is True
        assert release["upload_url"].startswith("https://uploads.github.com/")


def test_a_host_outside_the_table_is_refused_and_recorded(stage: Stage) -> None:
    """The proxy itself: a name it does not play is never reached, and the test sees it."""
    done = subprocess.run(
        [sys.executable, "-c", "import requests; requests.get('https://example.org/', timeout=5)"],
        env={**os.environ, **stage.proxy.env()},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert stage.proxy.refused == ["example.org:443"]
