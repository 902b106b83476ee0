"""scripts/pypi_publish.py against pypiserver with auth: uploads, re-runs, refusals, verify."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import SCRIPTS, run_script
from tests.peers.pypi import PypiServer, make_sdist, make_wheel, serve_pypi

NAME, VERSION, TAG = "rk-demo", "1.2.0", "v1.2.0"
WHEEL = "rk_demo-1.2.0-py3-none-any.whl"
SDIST = "rk_demo-1.2.0.tar.gz"


def make_dist(root: Path, version: str = VERSION) -> Path:
    """dist/ as `make build` leaves it: a wheel, an sdist and SHA256SUMS."""
    dist = root / "dist"
    files = [make_wheel(dist, NAME, version), make_sdist(dist, NAME, version)]
    write_sums(dist, files)
    return dist


def write_sums(dist: Path, files: list[Path]) -> None:
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in files]
    (dist / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")


def seed(pypi: PypiServer, path: Path) -> None:
    shutil.copy(path, pypi.packages_dir / path.name)


@dataclass
class Run:
    result: subprocess.CompletedProcess[str]
    summary: str

    @property
    def out(self) -> str:
        return self.result.stdout + self.result.stderr


def publish(
    pypi: PypiServer,
    cwd: Path,
    *args: str,
    password: str | None = None,
    env: dict[str, str] | None = None,
) -> Run:
    """Run the script as CI would, then check that no byte it printed or wrote holds a secret."""
    summary, outputs = cwd / "summary.md", cwd / "outputs"
    summary.unlink(missing_ok=True)
    outputs.write_text("", encoding="utf-8")
    secret = password if password is not None else pypi.password
    full_env = {
        "GITHUB_REF": f"refs/tags/{TAG}",
        "GITHUB_REF_NAME": TAG,
        "GITHUB_REF_TYPE": "tag",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
        "PYPI_REPOSITORY_URL": pypi.url,
        "TWINE_USERNAME": pypi.username,
        "TWINE_PASSWORD": secret,
        **(env or {}),
    }
    result = run_script("pypi_publish", *args, cwd=cwd, env=full_env)
    written = summary.read_text(encoding="utf-8") if summary.exists() else ""
    written += outputs.read_text(encoding="utf-8")
    for text in (result.stdout, result.stderr, written):
        assert secret not in text
        assert pypi.password not in text
    assert "Traceback" not in result.stderr
    return Run(result, written)


def on_index(pypi: PypiServer) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in pypi.packages_dir.iterdir()}


# ---- one table: what the index holds before, what the run does --------------------------


@dataclass(frozen=True)
class Case:
    name: str
    args: tuple[str, ...] = ("publish",)
    prepare: Callable[[PypiServer, Path], None] = lambda pypi, dist: None
    env: dict[str, str] = field(default_factory=dict)
    wrong_password: bool = False
    status: int = 0
    says: str = ""
    index_after: tuple[str, ...] = (WHEEL, SDIST)


def _seed_both(pypi: PypiServer, dist: Path) -> None:
    seed(pypi, dist / WHEEL)
    seed(pypi, dist / SDIST)


def _tamper(pypi: PypiServer, dist: Path) -> None:
    make_wheel(pypi.packages_dir, NAME, VERSION, module_text="EVIL = True\n")


def _old_version(pypi: PypiServer, dist: Path) -> None:
    for path in list(dist.iterdir()):
        path.unlink()
    make_dist(dist.parent, "1.1.0")


def _edit_after_build(pypi: PypiServer, dist: Path) -> None:
    make_wheel(dist, NAME, VERSION, module_text="CHANGED = True\n")


def _stray_log(pypi: PypiServer, dist: Path) -> None:
    (dist / "twine-debug.log").write_text("password=hunter2\n", encoding="utf-8")


def _unlisted_wheel(pypi: PypiServer, dist: Path) -> None:
    make_wheel(dist, NAME, "9.9.9")


def _symlinked_wheel(pypi: PypiServer, dist: Path) -> None:
    real = dist.parent / WHEEL
    (dist / WHEEL).rename(real)
    (dist / WHEEL).symlink_to(real)


def _attested(pypi: PypiServer, dist: Path) -> None:
    for name in (WHEEL, SDIST):  # made beforehand, as a signing step in Actions leaves them
        (dist / f"{name}.publish.attestation").write_text(
            '{"version": 1, "verification_material": {}, "envelope": {}}', encoding="utf-8"
        )


def _drop_wheel(pypi: PypiServer, dist: Path) -> None:
    seed(pypi, dist / SDIST)


def _index_wheel_other(pypi: PypiServer, dist: Path) -> None:
    _tamper(pypi, dist)
    seed(pypi, dist / SDIST)


CASES = [
    Case("first-upload", says="uploaded 2 file(s)"),
    Case("re-run-uploads-nothing", prepare=_seed_both, says="every file is on the index already"),
    Case(
        "half-done-run-finishes",
        prepare=lambda pypi, dist: seed(pypi, dist / WHEEL),
        says="uploaded 1 file(s)",
    ),
    Case(
        "tampered-file-refused",
        prepare=_tamper,
        status=1,
        says="is on the index with another sha256",
        index_after=(WHEEL,),
    ),
    Case(
        "dist-of-another-version",
        prepare=_old_version,
        status=1,
        says="is version 1.1.0, not the tag's 1.2.0",
        index_after=(),
    ),
    Case(
        "dist-changed-after-build",
        prepare=_edit_after_build,
        status=2,
        says="does not match SHA256SUMS",
        index_after=(),
    ),
    # dist/ is a manifest: SHA256SUMS lists exactly what is published.
    Case(
        "a wheel SHA256SUMS does not list",
        prepare=_unlisted_wheel,
        status=2,
        says="is not listed in SHA256SUMS",
        index_after=(),
    ),
    Case(
        "no SHA256SUMS",
        prepare=lambda pypi, dist: (dist / "SHA256SUMS").unlink(),
        status=2,
        says="SHA256SUMS: missing",
        index_after=(),
    ),
    Case(
        "a listed wheel that is a symlink",
        prepare=_symlinked_wheel,
        status=2,
        says="is listed in SHA256SUMS but is a symlink",
        index_after=(),
    ),
    Case(
        "a stray file beside the dists is not published",
        prepare=_stray_log,
    ),
    Case(
        "branch-push-skips",
        env={"GITHUB_REF": "refs/heads/main", "GITHUB_REF_NAME": "main"},
        says="deploy-pypi: skipped (not a release tag: refs/heads/main)",
        index_after=(),
    ),
    Case(
        "dist-outside-the-work-tree",
        env={"DIST": "/tmp"},
        status=2,
        says="outside the work tree",
        index_after=(),
    ),
    Case("dry-run", env={"DRY_RUN": "1"}, says="DRY_RUN: would upload", index_after=()),
    Case(
        "wrong-password",
        wrong_password=True,
        status=1,
        says="twine upload failed",
        index_after=(),
    ),
    # A password or token upload never sends attestations: PyPI refuses them there.
    Case(
        "token-upload-skips-attestations",
        says="attestations: skipped (PyPI accepts them only with trusted publishing)",
    ),
    Case("attestation-files-stay-home", prepare=_attested, says="uploaded 2 file(s)"),
    Case(
        "plan-row-on-a-tag",
        args=("plan",),
        says=f"deploy-pypi\t{{url}}\t{WHEEL}, {SDIST}\t1.2.0\n",
        index_after=(),
    ),
    Case(
        "plan-row-on-a-branch",
        args=("plan",),
        env={"GITHUB_REF": "refs/heads/main", "GITHUB_REF_NAME": "main"},
        says="\twheel and sdist\tskip: not a release tag: refs/heads/main\n",
        index_after=(),
    ),
    Case("verify-ok", args=("verify",), prepare=_seed_both, says="2 file(s)"),
    Case(
        "verify-missing-file",
        args=("verify",),
        prepare=_drop_wheel,
        status=1,
        says=f"{WHEEL}: missing from the index",
        index_after=(SDIST,),
    ),
    Case(
        "verify-other-hash",
        args=("verify",),
        prepare=_index_wheel_other,
        status=1,
        says=f"{WHEEL}: the index has sha256",
        index_after=(WHEEL, SDIST),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_publish(case: Case, pypi: PypiServer, tmp_path: Path) -> None:
    dist = make_dist(tmp_path)
    case.prepare(pypi, dist)
    password = "not-the-password-123" if case.wrong_password else None
    run = publish(pypi, tmp_path, *case.args, password=password, env=case.env)
    assert run.result.returncode == case.status, run.out
    assert case.says.replace("{url}", pypi.url) in run.out
    assert sorted(on_index(pypi)) == sorted(case.index_after)
    if case.status:
        lines = run.result.stderr.strip().splitlines()
        assert len(lines) == 1 or case.args == ("verify",) or "twine" in case.says, run.out
        assert lines[-1].startswith("pypi_publish.py: error: "), run.out
    elif case.args == ("publish",) and not case.env:
        local = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in dist.iterdir()}
        assert all(on_index(pypi)[name] == local[name] for name in case.index_after)
        assert "sha256" in run.summary
        assert "project=rk-demo\n" in run.summary  # the outputs file, read with the summary


def test_release_installs_from_the_index_and_rerun_is_a_no_op(
    pypi: PypiServer, repo_with_tag: Path
) -> None:
    make_dist(repo_with_tag)
    first = publish(pypi, repo_with_tag, "publish", env={"GITHUB_REF": ""})
    assert first.result.returncode == 0, first.out
    second = publish(pypi, repo_with_tag, "publish", env={"GITHUB_REF": ""})
    assert second.result.returncode == 0, second.out
    assert "every file is on the index already" in second.out
    fresh = repo_with_tag / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(fresh)], check=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(fresh / "bin" / "python"),
            "install",
            "--quiet",
            "--no-cache-dir",
            "--index-url",
            pypi.simple_url,
            f"{NAME}=={VERSION}",
        ],
        check=True,
        capture_output=True,
    )
    imported = subprocess.run(
        [str(fresh / "bin" / "python"), "-c", "import rk_demo; print(rk_demo.VERSION)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert imported.stdout.strip() == VERSION


@pytest.fixture
def repo_with_tag(tmp_path: Path) -> Path:
    """A checkout whose HEAD carries the version tag (no Actions variables: git decides)."""
    work = tmp_path / "work"
    work.mkdir()
    for args in (
        ["init", "--quiet", "--initial-branch=main"],
        ["commit", "--quiet", "--allow-empty", "-m", "release"],
        ["tag", TAG],
    ):
        subprocess.run(["git", *args], cwd=work, check=True)
    return work


def test_index_stopped_mid_upload_then_rerun_completes(tmp_path: Path) -> None:
    dist = make_dist(tmp_path)
    root = tmp_path / "index"
    with serve_pypi(root, exit_at_upload=2) as dying:
        failed = publish(dying, tmp_path, "publish")
    assert failed.result.returncode == 1, failed.out
    assert failed.result.stderr.strip().splitlines()[-1].startswith("pypi_publish.py: error: ")
    assert len(list((root / "packages").iterdir())) == 1
    with serve_pypi(root) as back:
        again = publish(back, tmp_path, "publish")
        assert again.result.returncode == 0, again.out
        assert "uploaded 1 file(s)" in again.out
        assert sorted(on_index(back)) == sorted([SDIST, WHEEL])
        checked = publish(back, tmp_path, "verify")
        assert checked.result.returncode == 0, checked.out
    assert {p.name for p in dist.iterdir()} >= {WHEEL, SDIST}


def test_a_copied_script_runs_help_alone(tmp_path: Path) -> None:
    shutil.copy(SCRIPTS / "pypi_publish.py", tmp_path)
    helped = subprocess.run(
        [sys.executable, "-I", str(tmp_path / "pypi_publish.py"), "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert helped.returncode == 0
    assert "SHA256SUMS" in helped.stdout
    bad = subprocess.run(
        [sys.executable, "-I", str(tmp_path / "pypi_publish.py"), "publish", "--bogus"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1, bad.stderr
