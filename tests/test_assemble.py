"""tools/assemble.py writes scripts/ from the single sources; a stale script fails here.

Each committed script is what the assembler writes from src/releasekit/scripts/NAME.py and the
rule modules it uses; the refusals of the assembler are one table.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ROOT, SCRIPTS


def _assembler() -> ModuleType:
    spec = importlib.util.spec_from_file_location("assemble", ROOT / "tools" / "assemble.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["assemble"] = module
    spec.loader.exec_module(module)
    return module


ASSEMBLE = _assembler()
SOURCES = sorted((ROOT / "src/releasekit/scripts").glob("[!_]*.py"))


def test_every_script_has_a_source_and_every_source_a_script() -> None:
    assert sorted(p.name for p in SOURCES) == sorted(p.name for p in SCRIPTS.glob("*.py"))


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_the_committed_script_is_what_the_assembler_writes(source: Path) -> None:
    script = SCRIPTS / source.name
    assert script.read_text(encoding="utf-8") == ASSEMBLE.assemble(source), (
        f"scripts/{source.name} is not what its sources make: run 'make scripts'"
    )


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_a_script_names_each_rule_module_it_carries(source: Path) -> None:
    text = (SCRIPTS / source.name).read_text(encoding="utf-8")
    used = set(re.findall(r"(?m)^from releasekit\.rules\.(\w+) import", source.read_text()))
    carried = set(re.findall(r"(?m)^# --- releasekit/rules/(\w+)\.py \(assembled", text))
    assert used <= carried
    assert "releasekit.rules" not in text  # inlined: nothing is imported from the package


HEADER = '#!/usr/bin/env python3\n# /// script\n# dependencies = []\n# ///\n"""Doc."""\n\n'
FUTURE = "from __future__ import annotations\n\n"

# (rule modules, the script source) -> a part of the one-line refusal, or None: assembled
REFUSALS: list[tuple[dict[str, str], str, str | None]] = [
    ({"a": "X = 1\n"}, f"{HEADER}{FUTURE}from releasekit.rules.a import X\n\nprint(X)\n", None),
    ({"a": "X = 1\n"}, f"{HEADER}{FUTURE}from releasekit.rules import a\n", "not rule modules"),
    ({"a": "X = 1\n"}, f"{HEADER}{FUTURE}from releasekit.rules.a import Y\n", "defines no Y"),
    ({}, f"{HEADER}{FUTURE}from releasekit.rules.b import Y\n", "no rule module"),
    (
        {
            "a": "from releasekit.rules.b import Y\nX = 1\n",
            "b": "from releasekit.rules.a import X\nY = 2\n",
        },
        f"{HEADER}{FUTURE}from releasekit.rules.a import X\n",
        "import each other",
    ),
    (
        {"a": "X = 1\n"},
        f"{HEADER}{FUTURE}from releasekit.rules.a import X\n\nX = 2\n",
        "X is defined by both",
    ),
    (  # a default the rule module marks may be set again by the script
        {"a": f"X = 1  {ASSEMBLE.OVERRIDABLE}\n"},
        f"{HEADER}{FUTURE}from releasekit.rules.a import X\n\nX = 2\n",
        None,
    ),
    ({"a": "X = 1\n"}, f"{FUTURE}from releasekit.rules.a import X\n", "starts with its #! line"),
    (
        {"a": "from .b import Y\n"},
        f"{HEADER}{FUTURE}from releasekit.rules.a import Y\n",
        "relative",
    ),
    (
        {"a": "import os\n", "b": "import os.path as os\n"},
        f"{HEADER}{FUTURE}from releasekit.rules.a import os\nfrom releasekit.rules.b import os\n",
        "",  # either refusal: two imports bind os, or os defined twice
    ),
]


@pytest.mark.parametrize(("rules", "source", "refusal"), REFUSALS)
def test_what_the_assembler_refuses(
    rules: dict[str, str],
    source: str,
    refusal: str | None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rules_dir = tmp_path / "src" / "releasekit" / "rules"
    rules_dir.mkdir(parents=True)
    for name, text in rules.items():
        (rules_dir / f"{name}.py").write_text(text, encoding="utf-8")
    script = tmp_path / "src" / "releasekit" / "scripts" / "thing.py"
    script.parent.mkdir()
    script.write_text(source, encoding="utf-8")
    monkeypatch.setattr(ASSEMBLE, "RULES", rules_dir)
    monkeypatch.setattr(ASSEMBLE, "ROOT", tmp_path)
    if refusal is None:
        text = ASSEMBLE.assemble(script)
        namespace: dict[str, object] = {"__name__": "thing"}
        exec(compile(text, "thing.py", "exec"), namespace)  # noqa: S102 - it is our own output
        assert namespace["X"] == (2 if "X = 2" in source else 1)
        return
    with pytest.raises(ASSEMBLE.AssemblyError) as refused:
        ASSEMBLE.assemble(script)
    assert refusal in str(refused.value)
    assert "\n" not in str(refused.value)
