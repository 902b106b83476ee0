"""Write scripts/*.py, the copy-alone scripts, from their single sources.

Each script's own code lives in src/releasekit/scripts/NAME.py; the rules several scripts
share live once, in src/releasekit/rules/*.py. A source says which rules it uses with
`from releasekit.rules.MODULE import NAME, ...`. The assembled script is one readable file, as
SQLite's sqlite3.c is: the source's PEP 723 header and docstring, every import merged once,
then each rule module it uses (and the rule modules those use), in dependency order, between
marked lines, then the script's own code. Nothing in scripts/ is edited by hand.

    python tools/assemble.py            # write scripts/*.py (`make scripts`)
    python tools/assemble.py --check    # exit 1 naming each script that is not what it writes

Standard library only. A rule module is inlined whole; the assembler refuses a source that
imports a rule module as a module (`from releasekit.rules import refs`), a name a rule module
does not define, a rule module cycle, and two blocks that define the same top-level name.
"""

from __future__ import annotations

import argparse
import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "releasekit"
SOURCES = PACKAGE / "scripts"
RULES = PACKAGE / "rules"
OUTPUT = ROOT / "scripts"
RULES_PACKAGE = "releasekit.rules"
# A rule module's assignment with this comment is a default the script may set again.
OVERRIDABLE = "# a script may set its own"
LINE_LENGTH = 100  # ruff's line-length in pyproject.toml
ASSEMBLED_NOTE = (
    "# Assembled by tools/assemble.py (`make scripts`) from src/releasekit/scripts/{name}\n"
    "# and the rule modules it uses: edit those, never this file. Copy this one file to use it\n"
    "# alone.\n"
)


class AssemblyError(Exception):
    """A source the assembler cannot turn into one file, said in one line."""


@dataclass(frozen=True, order=True)
class Import:
    """One imported name: `import module [as alias]` (name "") or `from module import name`."""

    module: str
    name: str = ""
    alias: str = ""

    @property
    def bound(self) -> str:
        """The name the import binds in the module."""
        if self.alias:
            return self.alias
        return self.name or self.module  # `import a.b` and `import a.c` may stand together


@dataclass(frozen=True)
class Statement:
    """A top-level statement of a module's body, with the comments that stand above it."""

    text: str
    binds: frozenset[str]  # the names it defines (or changes, for `x |= ...`)
    uses: frozenset[str]  # every name it reads
    is_block: bool  # a def or class: two blank lines around it


@dataclass
class Module:
    """A source file cut into what the assembler handles apart."""

    path: Path
    header: str  # the lines before the docstring: shebang, PEP 723 block
    docstring: str  # as written, quotes included ("" when none)
    imports: list[Import] = field(default_factory=list)
    type_checking: list[Import] = field(default_factory=list)  # under `if TYPE_CHECKING:`
    rules: dict[str, list[str]] = field(default_factory=dict)  # rule module -> names used
    body: str = ""  # everything after the imports, as written
    statements: list[Statement] = field(default_factory=list)
    defines: set[str] = field(default_factory=set)  # top-level names the body binds
    defaults: set[str] = field(default_factory=set)  # names a script may bind again

    @property
    def label(self) -> str:
        return self.path.relative_to(ROOT / "src").as_posix()


def _imports_of(node: ast.stmt, where: Path) -> list[Import] | None:
    """The imports a top-level statement makes, or None when it is no import."""
    if isinstance(node, ast.Import):
        return [Import(a.name, "", a.asname or "") for a in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            raise AssemblyError(f"{where}:{node.lineno}: relative imports cannot be assembled")
        return [Import(node.module or "", a.name, a.asname or "") for a in node.names]
    return None


def _is_type_checking(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
        and not node.orelse
        and all(isinstance(inner, ast.Import | ast.ImportFrom) for inner in node.body)
    )


def _bound_names(node: ast.stmt) -> set[str]:
    """The top-level names a statement binds (annotations alone bind nothing)."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return {node.name}
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = node.targets
    elif isinstance(node, ast.AnnAssign) and node.value is not None:
        targets = [node.target]
    elif isinstance(node, ast.AugAssign):
        return set()
    names: set[str] = set()
    for target in targets:
        for inner in ast.walk(target):
            if isinstance(inner, ast.Name):
                names.add(inner.id)
    return names


def _changed_names(node: ast.stmt) -> set[str]:
    """`x |= ...` changes x: it goes wherever x goes."""
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        return {node.target.id}
    return set()


def _used_names(node: ast.stmt) -> set[str]:
    return {inner.id for inner in ast.walk(node) if isinstance(inner, ast.Name)}


def read_module(path: Path) -> Module:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    tree = ast.parse(text, filename=str(path))
    statements = list(tree.body)
    docstring = ""
    header_end = 0
    if (
        statements
        and isinstance(statements[0], ast.Expr)
        and isinstance(statements[0].value, ast.Constant)
        and isinstance(statements[0].value.value, str)
    ):
        first = statements.pop(0)
        header_end = first.lineno - 1
        docstring = "".join(lines[header_end : first.end_lineno]).rstrip("\n")
    else:
        header_end = statements[0].lineno - 1 if statements else len(lines)
    module = Module(path, "".join(lines[:header_end]), docstring)
    body_start = None
    for node in statements:
        found = _imports_of(node, path)
        if found is not None:
            for item in found:
                if item.module == "__future__":
                    continue
                if item.module == RULES_PACKAGE or (
                    item.module.startswith(RULES_PACKAGE + ".") and not item.name
                ):
                    raise AssemblyError(
                        f"{path}:{node.lineno}: import rule names "
                        f"(`from {RULES_PACKAGE}.MODULE import NAME`), not rule modules"
                    )
                if item.module.startswith(RULES_PACKAGE + "."):
                    if item.alias:
                        raise AssemblyError(f"{path}:{node.lineno}: a rule name keeps its name")
                    rule = item.module.removeprefix(RULES_PACKAGE + ".")
                    module.rules.setdefault(rule, []).append(item.name)
                else:
                    module.imports.append(item)
            continue
        if isinstance(node, ast.If) and _is_type_checking(node):
            for inner in node.body:
                module.type_checking.extend(_imports_of(inner, path) or [])
            continue
        body_start = node
        break
    if body_start is not None:
        # The body starts after the last import, with the comments that stand above it.
        start = body_start.lineno - 1
        while start > 0 and lines[start - 1].lstrip().startswith("#"):
            start -= 1
        module.body = "".join(lines[start:]).strip("\n") + "\n"
        previous_end = start
        for node in statements[statements.index(body_start) :]:
            decorators: list[ast.expr] = getattr(node, "decorator_list", [])
            begin = (decorators[0].lineno if decorators else node.lineno) - 1
            while begin > previous_end and lines[begin - 1].lstrip().startswith("#"):
                begin -= 1
            text = "".join(lines[begin : node.end_lineno]).strip("\n") + "\n"
            previous_end = node.end_lineno or begin
            module.statements.append(
                Statement(
                    text,
                    frozenset(_bound_names(node) | _changed_names(node)),
                    frozenset(_used_names(node)),
                    isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef),
                )
            )
            if _imports_of(node, path) is not None and not isinstance(node, ast.If):
                raise AssemblyError(f"{path}:{node.lineno}: imports go at the top of a module")
            bound = _bound_names(node)
            module.defines |= bound
            if OVERRIDABLE in lines[node.lineno - 1]:
                module.defaults |= bound
    return module


def rule_order(script: Module, load: dict[str, Module]) -> list[Module]:
    """The rule modules a script uses, each after the rule modules it uses itself."""
    order: list[Module] = []
    visiting: list[str] = []

    def visit(name: str, needed_by: Module) -> None:
        if any(m.path.stem == name for m in order):
            return
        if name in visiting:
            raise AssemblyError(f"rule modules import each other: {' -> '.join(visiting)}")
        path = RULES / f"{name}.py"
        if not path.is_file():
            raise AssemblyError(f"{needed_by.path}: no rule module {RULES_PACKAGE}.{name}")
        module = load.setdefault(name, read_module(path))
        visiting.append(name)
        for inner in module.rules:
            visit(inner, module)
        visiting.pop()
        order.append(module)

    for name in script.rules:
        visit(name, script)
    return order


def _check_defined_once(
    script: Module, rules: list[Module], kept: dict[str, list[Statement]]
) -> None:
    """No name is defined twice in the assembled file (a default the script sets aside)."""
    owner: dict[str, Module] = {}
    for block in (*rules, script):
        names = (
            block.defines
            if block is script
            else set().union(*(st.binds for st in kept[block.path.stem]))
        )
        for name in sorted(names):
            if name in owner and block is script and name in owner[name].defaults:
                continue  # the script's own value, assigned after the default
            if name in owner:
                raise AssemblyError(
                    f"{name} is defined by both {owner[name].label} and {block.label}"
                )
            owner[name] = block


def _check_names(script: Module, rules: list[Module]) -> None:
    by_name = {m.path.stem: m for m in rules}
    for user in (script, *rules):
        for rule, names in user.rules.items():
            missing = sorted(set(names) - by_name[rule].defines)
            if missing:
                raise AssemblyError(
                    f"{user.path}: {RULES_PACKAGE}.{rule} defines no {', '.join(missing)}"
                )


def needed(script: Module, rules: list[Module]) -> dict[str, list[Statement]]:
    """The statements of each rule module the script needs: those that bind a name the script
    imports, and, in turn, what those read, across modules, until nothing more is needed. A
    statement that binds no name (none so far) always goes."""
    by_stem = {m.path.stem: m for m in rules}
    wanted: dict[str, set[str]] = {m.path.stem: set() for m in rules}
    for rule, names in script.rules.items():
        wanted[rule] |= set(names)
    kept: dict[str, list[Statement]] = {}
    changed = True
    while changed:
        changed = False
        for stem, module in by_stem.items():
            chosen = [st for st in module.statements if not st.binds or st.binds & wanted[stem]]
            if chosen == kept.get(stem):
                continue
            kept[stem] = chosen
            changed = True
            used = set().union(*(st.uses for st in chosen)) if chosen else set()
            wanted[stem] |= used & module.defines
            for rule, names in module.rules.items():
                wanted[rule] |= used & set(names)
    return {stem: kept.get(stem, []) for stem in by_stem}


def _joined(statements: list[Statement]) -> str:
    """Statements one after another, spaced as ruff formats them."""
    text = ""
    for number, statement in enumerate(statements):
        if number:
            apart = statement.is_block or statements[number - 1].is_block
            text += "\n\n" if apart else "\n"
        text += statement.text
    return text


def _imports_used(module: Module, statements: list[Statement]) -> Module:
    """The module with only the imports its kept statements read."""
    used = set().union(*(st.uses for st in statements)) if statements else set()
    return Module(
        module.path,
        module.header,
        module.docstring,
        [i for i in module.imports if i.bound.partition(".")[0] in used],
        [i for i in module.type_checking if i.bound.partition(".")[0] in used],
    )


def _member_key(name: str) -> tuple[int, str]:
    """ruff's isort order of imported names: CONSTANTS, then Classes, then the rest."""
    if name.isupper() and len(name) > 1:
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def _from_line(module: str, names: list[str], indent: str) -> str:
    line = f"{indent}from {module} import {', '.join(names)}"
    if len(line) <= LINE_LENGTH:
        return line + "\n"
    inner = "".join(f"{indent}    {name},\n" for name in names)
    return f"{indent}from {module} import (\n{inner}{indent})\n"


def _section(imports: list[Import], indent: str = "") -> str:
    plain = sorted({(i.module, i.alias) for i in imports if not i.name})
    members: dict[str, set[str]] = {}
    for item in imports:
        if item.name:
            shown = f"{item.name} as {item.alias}" if item.alias else item.name
            members.setdefault(item.module, set()).add(shown)
    text = "".join(
        f"{indent}import {module}{f' as {alias}' if alias else ''}\n" for module, alias in plain
    )
    for module in sorted(members):
        text += _from_line(module, sorted(members[module], key=_member_key), indent)
    return text


def _is_stdlib(module: str) -> bool:
    return module.partition(".")[0] in sys.stdlib_module_names


def import_block(blocks: list[Module]) -> str:
    everything = [i for block in blocks for i in block.imports]
    checking = [i for block in blocks for i in block.type_checking]
    guard = Import("typing", "TYPE_CHECKING")
    if checking and guard not in everything:  # a rule's guard, in a script that has none
        everything.append(guard)
    bound: dict[str, Import] = {}
    for item in everything:
        other = bound.setdefault(item.bound, item)
        if other != item:
            raise AssemblyError(f"two imports bind {item.bound}: {other} and {item}")
    stdlib = [i for i in everything if _is_stdlib(i.module)]
    others = [i for i in everything if not _is_stdlib(i.module)]
    text = "from __future__ import annotations\n\n" + _section(stdlib)
    if others:
        text += "\n" + _section(others)
    if checking:
        text += "\nif TYPE_CHECKING:\n" + _section(checking, "    ")
    return text


def assemble(source: Path, load: dict[str, Module] | None = None) -> str:
    """The text of the copy-alone script made from `source`."""
    cache = {} if load is None else load
    script = read_module(source)
    if not script.header.startswith("#!"):
        raise AssemblyError(f"{source}: a script source starts with its #! line and PEP 723 block")
    rules = rule_order(script, cache)
    _check_names(script, rules)
    kept = needed(script, rules)
    _check_defined_once(script, rules, kept)
    rules = [rule for rule in rules if kept[rule.path.stem]]
    imports = [_imports_used(rule, kept[rule.path.stem]) for rule in rules]
    parts = [
        script.header.rstrip("\n") + "\n" + ASSEMBLED_NOTE.format(name=source.name),
        script.docstring + "\n\n" if script.docstring else "",
        import_block([*imports, script]),
    ]
    for number, rule in enumerate(rules):
        # One blank line after the imports (ruff's isort), two between blocks.
        gap = "\n" if number == 0 else "\n\n"
        body = _joined(kept[rule.path.stem])
        parts.append(
            f"{gap}# --- {rule.label} (assembled; edit the source) {_rule(rule.label, 60)}"
        )
        parts.append(f"\n\n\n{body}\n\n# --- end of {rule.label} {_rule(rule.label, 76)}\n")
    gap = "\n\n" if rules else "\n"
    parts.append(f"{gap}# --- {script.label}: the script's own code {_rule(script.label, 54)}")
    parts.append(f"\n\n\n{script.body}")
    return "".join(parts)


def _rule(label: str, width: int) -> str:
    """The dashes that end a marker line, so that marker lines end in one column."""
    return "-" * max(3, width - len(label))


def sources() -> list[Path]:
    return sorted(p for p in SOURCES.glob("*.py") if p.name != "__init__.py")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 on a stale script"
    )
    args = parser.parse_args(argv)
    load: dict[str, Module] = {}
    stale = []
    try:
        for source in sources():
            text = assemble(source, load)
            target = OUTPUT / source.name
            if target.is_file() and target.read_text(encoding="utf-8") == text:
                continue
            stale.append(target)
            if not args.check:
                target.write_text(text, encoding="utf-8")
                target.chmod(0o755)
    except AssemblyError as error:
        print(f"assemble.py: error: {error}", file=sys.stderr)
        return 2
    written = {OUTPUT / s.name for s in sources()}
    strays = sorted(p for p in OUTPUT.glob("*.py") if p not in written)
    for path in strays:
        print(f"assemble.py: {path.relative_to(ROOT)} has no source in src/releasekit/scripts/")
    if args.check:
        for path in stale:
            shown = path.relative_to(ROOT)
            print(f"assemble.py: {shown} is not what its sources make; run 'make scripts'")
        return 1 if stale or strays else 0
    for path in stale:
        print(f"assemble.py: wrote {path.relative_to(ROOT)}")
    return 1 if strays else 0


if __name__ == "__main__":
    sys.exit(main())
