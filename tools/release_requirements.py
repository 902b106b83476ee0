"""Print requirements/release.in: every runtime dependency of the kit's scripts.

That is pyproject.toml's [project].dependencies and the PEP 723 `dependencies` of each
scripts/*.py, one per line, sorted, duplicates dropped. `make requirements` pins this list
with hashes into requirements/release.txt, which the workflows install with
`pip install --require-hashes`; tests/test_requirements.py checks both files are current.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
# The reference regular expression of PEP 723 (inline script metadata).
SCRIPT_BLOCK = re.compile(
    r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$"
)
HEADER = (
    "# The runtime dependencies of the kit's scripts: pyproject.toml's [project].dependencies\n"
    "# and the PEP 723 headers of scripts/*.py. Written by `make requirements`; do not edit.\n"
)


def script_dependencies(path: Path) -> list[str]:
    for block in SCRIPT_BLOCK.finditer(path.read_text(encoding="utf-8")):
        if block.group("type") == "script":
            content = "".join(
                line[2:] if line.startswith("# ") else line[1:]
                for line in block.group("content").splitlines(keepends=True)
            )
            return list(tomllib.loads(content).get("dependencies", []))
    return []


def release_in(root: Path = ROOT) -> str:
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    wanted = set(pyproject["project"].get("dependencies", []))
    for script in sorted((root / "scripts").glob("*.py")):
        wanted.update(script_dependencies(script))
    lines = sorted({str(Requirement(spec)) for spec in wanted}, key=str.lower)
    return HEADER + "".join(f"{line}\n" for line in lines)


if __name__ == "__main__":
    sys.stdout.write(release_in())
