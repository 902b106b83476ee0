"""Which reST -> GitHub Markdown writer makes the better release body?

Runs a dozen changelog sections, written the way real projects write them, through
changes.py's docutils-based writer and through pandoc (pypandoc-binary, `-t gfm
--wrap=none`), then scores each output against what a reader of the GitHub Release should
see: each output is rendered to HTML by a CommonMark/GFM reader (pandoc's `gfm` reader),
which must contain every `want` fragment, and neither it nor the Markdown any `never` text.

    .venv/bin/python bench/compare_md_writers.py           # table on stdout
    .venv/bin/python bench/compare_md_writers.py --show    # and every output

The result is recorded in docs/markdown-writers.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Case:
    """`want`: HTML that the Markdown must render to (any one of each tuple's alternatives,
    separated by `|`); `never`: text that must not appear in the Markdown or its HTML."""

    name: str
    rst: str
    want: tuple[str, ...]
    never: tuple[str, ...] = ("<span", "<div", "title-ref")


CASES = [
    Case(
        "double-backtick literals",
        "- Add ``make deploy`` and ``DRY_RUN=1``.\n",
        ("<code>make deploy</code>", "<code>DRY_RUN=1</code>"),
    ),
    Case(
        "single backticks (Markdown habit)",
        "- Fix `tag_for` when the pattern has no prefix.\n",
        ("<code>tag_for</code>|<em>tag_for</em>",),
    ),
    Case(
        "named link",
        "- Publish to `PyPI <https://pypi.org/project/releasekit/>`_.\n",
        ('<a href="https://pypi.org/project/releasekit/">PyPI</a>',),
    ),
    Case(
        "bare URL",
        "- See https://github.com/octo-org/project/issues/7 for the details.\n",
        ('<a href="https://github.com/octo-org/project/issues/7"',),
    ),
    Case(
        "nested list",
        "- Deploy:\n\n  - PyPI uploads only missing files\n  - the release keeps edits\n\n"
        "- Verify.\n",
        ("<li>Deploy:<ul><li>PyPI uploads only missing files</li>", "<li>Verify.</li>"),
    ),
    Case(
        "numbered list",
        "#. build\n#. deploy\n#. verify\n",
        ("<li>build</li><li>deploy</li><li>verify</li></ol>",),
    ),
    Case(
        "note directive",
        ".. note::\n\n   The wheel is built once and uploaded as is.\n",
        # A quote, or one of GitHub's alerts (`> [!NOTE]`, read as a div by pandoc too).
        ('<blockquote>|<div class="note">', "The wheel is built once and uploaded as is."),
        ("<span", "title-ref"),
    ),
    Case(
        "code-block directive",
        ".. code-block:: console\n\n   $ make deploy DRY_RUN=1\n",
        ('<pre class="console"><code>$ make deploy DRY_RUN=1',),
    ),
    Case(
        "emphasis and strong",
        "- **Breaking:** the *default* tag pattern is ``v*``.\n",
        ("<strong>Breaking:</strong>", "<em>default</em>", "<code>v*</code>"),
    ),
    Case(
        "subsections",
        "Features\n~~~~~~~~\n\n- One.\n\nBug fixes\n~~~~~~~~~\n\n- Two.\n",
        (">Features</h3>", ">Bug fixes</h3>", "<li>One.</li>", "<li>Two.</li>"),
    ),
    Case(
        "literal with Markdown characters",
        "- Accept ``*`` and ``[extras]`` in ``TAG_PATTERN``; keep *args* as written.\n",
        ("<code>*</code>", "<code>[extras]</code>", "<code>TAG_PATTERN</code>", "<em>args</em>"),
    ),
    Case(
        "Sphinx role from an extension",
        "- Fix the upload retry (:issue:`42`).\n",
        ("42",),
        ("<span", ":issue:", "title-ref", "System Message"),
    ),
]


def load_changes() -> ModuleType:
    spec = importlib.util.spec_from_file_location("changes", ROOT / "scripts" / "changes.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["changes"] = module
    spec.loader.exec_module(module)
    return module


def section(body: str) -> str:
    return f"Changelog\n=========\n\n1.0.0 (2026-11-20)\n------------------\n\n{body}"


def with_docutils(changes: ModuleType, body: str) -> str:
    parsed = changes.parse_changes("CHANGES.rst", section(body))
    return str(changes.to_markdown(parsed, parsed.find("1.0.0")))


def with_pandoc(body: str) -> str:
    import pypandoc

    # The section's own body, its sub-headings at level 3 as on the release page.
    text = f"Title\n=====\n\nVersion\n-------\n\n{body}"
    out = str(pypandoc.convert_text(text, "gfm", format="rst", extra_args=["--wrap=none"]))
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("## Version")) + 1
    return "\n".join(lines[start:]).strip()


def render(markdown: str) -> str:
    """The HTML a CommonMark/GFM reader makes of `markdown`, without line breaks."""
    import pypandoc

    html = str(pypandoc.convert_text(markdown, "html", format="gfm", extra_args=["--wrap=none"]))
    return html.replace("\n", "")


def score(case: Case, markdown: str) -> bool:
    html = render(markdown)
    wanted = all(any(alt in html for alt in want.split("|")) for want in case.want)
    return wanted and not any(n in markdown or n in html for n in case.never)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="print every output too")
    args = parser.parse_args(argv)
    changes = load_changes()
    totals = {"docutils": 0, "pandoc": 0}
    print("| case | changes.py (docutils) | pandoc gfm |\n| --- | --- | --- |")
    for case in CASES:
        ours, theirs = with_docutils(changes, case.rst), with_pandoc(case.rst)
        marks = []
        for writer, output in (("docutils", ours), ("pandoc", theirs)):
            ok = score(case, output)
            totals[writer] += ok
            marks.append("right" if ok else "wrong")
        print(f"| {case.name} | {marks[0]} | {marks[1]} |")
        if args.show:
            for writer, output in (("docutils", ours), ("pandoc", theirs)):
                print(f"\n<!-- {case.name} / {writer} -->\n{output}\n", file=sys.stderr)
    print(f"| **right, of {len(CASES)}** | **{totals['docutils']}** | **{totals['pandoc']}** |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
