"""`make demo` runs the whole train through the sample project's workflow files, in CI too."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

# A guard against a hang, not a measure: the demo takes about 6 minutes alone and may take
# twice that beside the rest of the suite on 2 cores.
HANG = 1500


@pytest.mark.timeout(HANG + 60)
def test_the_demo_runs_every_stage_and_every_claim_passes(tmp_path: Path) -> None:
    # The workflows' own `pip install` steps may reuse the machine's pip cache, as a runner's
    # cache action would; everything else stays in this test's private HOME.
    pip_cache = Path(pwd.getpwuid(os.getuid()).pw_dir) / ".cache" / "pip"
    result = subprocess.run(
        [sys.executable, "-m", "demo.train"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=HANG,
        env={**os.environ, "PIP_CACHE_DIR": str(pip_cache), "TMPDIR": str(tmp_path)},
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    claims = out.split("Checking each claim against the peers:", 1)[1].splitlines()
    verdicts = [line.split()[0] for line in claims if line.startswith("  ")]
    assert verdicts and set(verdicts) <= {"PASS", "SKIP"}, out
    assert "FAIL" not in out
    assert "demo passed" in out
    assert not list(tmp_path.glob("releasekit-demo-*")), "the sandbox was not removed"
