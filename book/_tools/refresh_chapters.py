"""Re-execute exactly the chapters whose displayed package code changed, and save them.

A chapter shows library code only through `show_source("module.path:Qualified.name", ...)`
with literal strings, so the functions each chapter displays can be read from the notebook
without running it. A chapter is stale when the source stored in its output no longer
equals the package's current source (nbval would fail it); this script lists the stale
chapters and, unless `--check` is given, re-executes each on a fresh kernel and saves it.

    python book/_tools/refresh_chapters.py            # re-execute the stale chapters
    python book/_tools/refresh_chapters.py --check    # only list them (exit 1 if any)
    python book/_tools/refresh_chapters.py --list     # which chapter shows which function
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

BOOK = Path(__file__).resolve().parents[1]


@dataclass
class ShownCode:
    """One `show_source(...)` cell: the paths it names and the text stored in its output."""

    chapter: str
    cell: int
    paths: tuple[str, ...]
    stored: str | None


def python_source(cell_source: str) -> str:
    """The cell's code with IPython magics and shell lines blanked, so `ast` can parse it."""
    lines = cell_source.splitlines()
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in lines
    )


def shown_paths(cell_source: str) -> list[tuple[str, ...]]:
    """The literal string arguments of every `show_source(...)` call in a code cell."""
    try:
        tree = ast.parse(python_source(cell_source))
    except SyntaxError:
        return []
    calls = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None))
            == "show_source"
        ):
            if not all(
                isinstance(a, ast.Constant) and isinstance(a.value, str)
                for a in node.args
            ):
                raise ValueError(
                    f"show_source takes literal strings only, got {ast.unparse(node)}"
                )
            calls.append(tuple(a.value for a in node.args))
    return calls


def stored_text(cell: dict) -> str | None:
    """The text/plain of the cell's displayed result, as stored in the notebook."""
    for output in cell.get("outputs", []):
        plain = output.get("data", {}).get("text/plain")
        if plain is not None:
            return "".join(plain)
    return None


def shown_code(chapter: Path) -> list[ShownCode]:
    """Every show_source cell of one chapter."""
    cells = json.loads(chapter.read_text(encoding="utf-8"))["cells"]
    found = []
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        for paths in shown_paths("".join(cell["source"])):
            found.append(ShownCode(chapter.name, index, paths, stored_text(cell)))
    return found


def stale_reasons(shown: ShownCode) -> list[str]:
    """Why a show_source cell no longer matches the package (empty when it does)."""
    from clownpiece.exercises.source import source_text

    try:
        current = source_text(*shown.paths)
    except (AttributeError, ImportError, ValueError, OSError, TypeError) as e:
        return [f"cell {shown.cell}: cannot show {', '.join(shown.paths)}: {e}"]
    if shown.stored != current:
        return [f"cell {shown.cell}: the source of {', '.join(shown.paths)} changed"]
    return []


def stale_chapters(chapters: list[Path]) -> dict[Path, list[str]]:
    """Chapter -> the reasons it is stale, for every stale chapter."""
    stale = {}
    for chapter in chapters:
        reasons = [r for shown in shown_code(chapter) for r in stale_reasons(shown)]
        if reasons:
            stale[chapter] = reasons
    return stale


def execute(chapter: Path) -> None:
    """Run a chapter top to bottom on a fresh kernel (in book/) and save it with outputs."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "jupyter",
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--inplace",
            "--ExecutePreprocessor.record_timing=False",
            "--ExecutePreprocessor.timeout=600",
            str(chapter),
        ],
        check=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "chapters", nargs="*", type=Path, help="default: every book/*.ipynb"
    )
    parser.add_argument(
        "--check", action="store_true", help="list stale chapters, run nothing"
    )
    parser.add_argument(
        "--list", action="store_true", help="print which chapter shows what"
    )
    args = parser.parse_args(argv)
    chapters = args.chapters or sorted(BOOK.glob("*.ipynb"))
    if args.list:
        for chapter in chapters:
            for shown in shown_code(chapter):
                print(f"{chapter.name} cell {shown.cell}: {', '.join(shown.paths)}")
        return 0
    stale = stale_chapters(chapters)
    for chapter, reasons in stale.items():
        print(f"{chapter.name}: " + "; ".join(reasons))
    if args.check:
        return 1 if stale else 0
    for chapter in stale:
        print(f"re-executing {chapter.name}")
        execute(chapter)
    left = stale_chapters(list(stale))
    for chapter, reasons in left.items():
        print(f"still stale after re-execution: {chapter.name}: " + "; ".join(reasons))
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
