"""News fragments, as towncrier keeps them: where its configuration is and which files are
fragments. towncrier reads towncrier.toml first, then pyproject.toml ([tool.towncrier] in
both); its fragments are the files of its `directory`, its template and dotfiles aside."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any


def towncrier_table(base: Path) -> dict[str, Any] | None:
    """The [tool.towncrier] table of the package folder `base`, or None when it has none."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    for name in ("towncrier.toml", "pyproject.toml"):
        path = base / name
        if not path.is_file() or path.is_symlink():
            continue
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8")).get("tool", {}).get("towncrier")
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(table, dict):
            return table
    return None


def fragment_folder(base: Path) -> Path | None:
    """Where the news fragments are; None when the configuration names no `directory`
    (towncrier's default is inside the package it imports, which this does not guess)."""
    table = towncrier_table(base)
    if not table or not table.get("directory"):
        return None
    return (base / str(table["directory"])).resolve()


def fragments(base: Path) -> list[Path]:
    """The news fragment files waiting to be released, sorted."""
    folder = fragment_folder(base)
    if folder is None or not folder.is_dir():
        return []
    template = str((towncrier_table(base) or {}).get("template", ""))
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and not path.name.startswith((".", "_"))  # .gitignore, .gitkeep, _template.rst
        and not (template and path.name == Path(template).name)
    )
