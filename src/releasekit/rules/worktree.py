"""The work tree: every file a step reads or writes is a regular file inside it."""

from __future__ import annotations

from pathlib import Path


def work_tree_problem(top: Path, path: Path) -> str | None:
    """Why a step may not read or write `path` (as open() finds it), or None when it may.

    A symlink could point at a secret; a path resolving outside the work tree `top` (`..`,
    an absolute path, a linked folder) is not the project's. `top` itself is inside."""
    if path.is_symlink():
        return "is a symlink"
    top, resolved = top.resolve(), path.resolve()
    if resolved != top and top not in resolved.parents:
        return f"resolves outside the work tree {top}"
    return None
