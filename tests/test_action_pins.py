"""Every `uses:` of the kit's workflows, and of the ones `releasekit init` writes, is the commit
of the tag in its comment, one version per action, as .github/action-pins.json records them
from the actions' own repositories."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ROOT

REFERENCE = ROOT.parent / "shared" / "reference" / "github-actions-tags.json"


def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("action_pins", ROOT / "tools" / "action_pins.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


PINS = tool()


def test_every_uses_line_is_backed_by_the_table() -> None:
    uses = PINS.uses_in()
    assert {u.file for u in uses} == {"ci.yml", "rc.yml", "rt.yml"}
    assert PINS.problems(PINS.load(), uses) == []


def test_one_version_per_action_across_the_workflows() -> None:
    versions: dict[str, set[str]] = {}
    for use in PINS.uses_in():
        versions.setdefault(use.action, set()).add(use.tag)
    assert {a: v for a, v in versions.items() if len(v) > 1} == {}


def test_the_workflows_init_writes_pin_the_same(tmp_path: Path) -> None:
    from releasekit.init import Layout, kit_files, kit_source

    layout = Layout("trunk", "rel-*", "bin", "check", "test")
    written = tmp_path / "workflows"
    written.mkdir()
    for file in kit_files(kit_source(), layout):
        if file.dest.startswith(".github/workflows/"):
            (written / Path(file.dest).name).write_bytes(file.content)
    uses = PINS.uses_in(written)
    assert len(uses) == len(PINS.uses_in())
    assert PINS.problems(PINS.load(), uses) == []


# The table's own rows: a pin it does not back is named, one line each.
BAD = [
    ("actions/checkout@0000000000000000000000000000000000000000 # v7.0.1", "v7.0.1 is 3d3c42e5"),
    ("actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v9.9.9", "names no tag"),
    ("actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1", "names no tag"),
    ("actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0", "workflows use v7.0.1"),
    ("someone/else@3d3c42e5aac5ba805825da76410c181273ba90b1 # v1", "not in action-pins.json"),
]


@pytest.mark.parametrize(("line", "said"), BAD, ids=[row[1] for row in BAD])
def test_a_pin_the_table_does_not_back_is_named(line: str, said: str, tmp_path: Path) -> None:
    (tmp_path / "x.yml").write_text(f"jobs:\n  a:\n    steps:\n      - uses: {line}\n", "utf-8")
    [problem] = PINS.problems(PINS.load(), PINS.uses_in(tmp_path))
    assert problem.startswith("x.yml:4: ") and said in problem, problem


def test_the_table_copies_the_reference_list() -> None:
    """Each action's tags are the reference list's, read from the actions' repositories."""
    if not REFERENCE.is_file():
        pytest.fail(f"{REFERENCE} is missing: the table is refreshed from it", pytrace=False)
    reference = json.loads(REFERENCE.read_text(encoding="utf-8"))["actions"]
    for name, entry in PINS.load()["actions"].items():
        assert entry["tags"] == reference[name]["tags"], name
        assert entry["use"] in entry["tags"], name
