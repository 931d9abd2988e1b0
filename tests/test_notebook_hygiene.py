"""The stored chapters keep the conventions of book/AUTHORING.md (nbval checks the outputs)."""

import json
import re
from pathlib import Path

import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
CHAPTERS = sorted(BOOK.glob("*.ipynb"))
MACHINE_TEXT = re.compile(r"/work/|/home/|/tmp/|/root/|0x[0-9a-f]{8,}|site-packages")


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _output_text(output) -> str:
    if output.get("output_type") == "stream":
        return "".join(output["text"])
    if output.get("output_type") == "error":
        return "\n".join(output["traceback"])
    data = output.get("data", {})
    return "".join(data.get("text/plain", "")) + "".join(data.get("text/html", ""))


def test_every_toc_chapter_is_here():
    toc = (BOOK.parent / "_toc.yml").read_text(encoding="utf-8")
    listed = re.findall(r"file: book/(\w+)", toc)
    assert sorted(f"{name}.ipynb" for name in listed) == [p.name for p in CHAPTERS]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_is_stored_executed_and_clean(path):
    cells = _cells(path)
    assert cells[0]["cell_type"] == "markdown" and "".join(cells[0]["source"]).startswith("# ")
    code = [c for c in cells if c["cell_type"] == "code" and "".join(c["source"]).strip()]
    assert all(c["execution_count"] is not None for c in code), "run it top to bottom and save"
    counts = [c["execution_count"] for c in code]
    assert counts == sorted(counts), "cells were run out of order"
    assert "setup()" in "".join(code[0]["source"]), "the first code cell calls setup()"
    for cell in code:
        assert "execution" not in cell["metadata"], "store without timing metadata"
        for output in cell["outputs"]:
            found = MACHINE_TEXT.search(_output_text(output))
            assert found is None, f"machine-specific text {found.group()!r} in {path.name}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_deliberate_errors_are_tagged(path):
    for cell in _cells(path):
        errors = [o for o in cell.get("outputs", []) if o["output_type"] == "error"]
        if errors:
            assert "raises-exception" in cell["metadata"].get("tags", []), "".join(cell["source"])
