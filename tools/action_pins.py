"""The pins of the actions the workflows use, held in .github/action-pins.json.

The file names, for each action, the version the workflows use (`use`) and every tag with its
commit, copied from a reference list read from the actions' own repositories (`source`).
`refresh FILE` copies those entries in again from a newer list; `apply` writes each
`uses: OWNER/NAME@SHA # vX.Y.Z` line of .github/workflows/*.yml from the file; `check` names
every `uses:` line whose commit is not its tag's, whose action the file lacks, or that pins
another version than the one the file chooses (one version per action, in every workflow).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PINS = ROOT / ".github" / "action-pins.json"
WORKFLOWS = ROOT / ".github" / "workflows"
USES = re.compile(
    r"(?P<lead>uses:\s*)(?P<action>[\w.-]+/[\w./-]+)@(?P<ref>[^\s#]+)(?:\s*#\s*(?P<tag>\S+))?"
)


@dataclass(frozen=True)
class Use:
    file: str
    line: int
    action: str
    ref: str
    tag: str


def load(path: Path = PINS) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def uses_in(folder: Path = WORKFLOWS) -> list[Use]:
    found = []
    for path in sorted(folder.glob("*.yml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            match = USES.search(line)
            if match and not match["action"].startswith("./"):
                found.append(
                    Use(path.name, number, match["action"], match["ref"], match["tag"] or "")
                )
    return found


def problems(pins: dict[str, Any], uses: list[Use]) -> list[str]:
    """One line per `uses:` that the pin table does not back."""
    said = []
    for use in uses:
        where = f"{use.file}:{use.line}: {use.action}@{use.ref[:12]}"
        entry = pins["actions"].get(use.action)
        if entry is None:
            said.append(f"{where}: not in {PINS.name}: add it with its tags")
            continue
        tag = entry["tags"].get(use.tag)
        if not use.tag or tag is None:
            said.append(f"{where}: the comment names no tag of the table ({use.tag or 'none'})")
        elif tag["commit"] != use.ref:
            said.append(f"{where}: {use.tag} is {tag['commit']}, not this commit")
        elif use.tag != entry["use"]:
            said.append(f"{where}: {use.tag}, but the workflows use {entry['use']}")
    return said


def apply(pins: dict[str, Any], folder: Path = WORKFLOWS) -> list[Path]:
    """Rewrite every pinned `uses:` line to the table's choice; the files changed."""
    changed = []

    def pinned(match: re.Match[str]) -> str:
        entry = pins["actions"].get(match["action"])
        if entry is None:
            return match[0]
        commit = entry["tags"][entry["use"]]["commit"]
        return f"{match['lead']}{match['action']}@{commit} # {entry['use']}"

    for path in sorted(folder.glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        new = USES.sub(pinned, text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


def refresh(pins: dict[str, Any], reference: Path) -> dict[str, Any]:
    """The table with each action's tags copied in again from `reference`."""
    source = json.loads(reference.read_text(encoding="utf-8"))["actions"]
    actions = {}
    for name, entry in pins["actions"].items():
        if name not in source:
            raise SystemExit(f"action_pins.py: error: {reference} lists no {name}")
        if entry["use"] not in source[name]["tags"]:
            raise SystemExit(f"action_pins.py: error: {reference} has no {name} {entry['use']}")
        actions[name] = {**entry, **source[name]}
    return {**pins, "source": str(reference.name), "actions": actions}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="action_pins.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="name every uses: line the table does not back")
    commands.add_parser("apply", help="pin every uses: line to the table's choice")
    again = commands.add_parser("refresh", help="copy the tags in again from a reference list")
    again.add_argument("reference", type=Path)
    args = parser.parse_args(argv)
    pins = load()
    if args.command == "refresh":
        PINS.write_text(json.dumps(refresh(pins, args.reference), indent=1) + "\n", "utf-8")
        return 0
    if args.command == "apply":
        for path in apply(pins):
            print(f"action_pins.py: pinned {path.relative_to(ROOT)}")
    said = problems(pins, uses_in())
    for line in said:
        print(f"action_pins.py: {line}", file=sys.stderr)
    return 1 if said else 0


if __name__ == "__main__":
    sys.exit(main())
