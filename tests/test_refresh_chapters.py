"""book/_tools/refresh_chapters.py finds the chapters whose displayed package code changed."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from clownpiece.exercises.source import source_text

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location(
    "refresh_chapters", ROOT / "book" / "_tools" / "refresh_chapters.py"
)
refresh = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = refresh  # dataclasses look their module up there
spec.loader.exec_module(refresh)

PATH = "clownpiece.nn.module:Module.__getattr__"


def notebook(tmp_path, source: str, stored: str | None) -> Path:
    outputs = (
        []
        if stored is None
        else [
            {
                "output_type": "execute_result",
                "execution_count": 1,
                "metadata": {},
                "data": {"text/plain": stored},
            }
        ]
    )
    cell = {
        "cell_type": "code",
        "source": source,
        "metadata": {},
        "execution_count": 1,
        "outputs": outputs,
    }
    path = tmp_path / "99_demo.ipynb"
    path.write_text(
        json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    return path


def test_reads_literal_paths_and_skips_magics():
    src = f'%matplotlib inline\nfrom x import show_source\nshow_source("{PATH}", "a.b:C")'
    assert refresh.shown_paths(src) == [(PATH, "a.b:C")]
    assert refresh.shown_paths("print(1)") == []
    with pytest.raises(ValueError, match="literal strings"):
        refresh.shown_paths("name = 'a:b'\nshow_source(name)")


def test_up_to_date_chapter_is_not_stale(tmp_path):
    path = notebook(tmp_path, f'show_source("{PATH}")', source_text(PATH))
    assert refresh.stale_chapters([path]) == {}


def test_changed_source_makes_the_chapter_stale(tmp_path):
    # what a chapter stored before someone edited a comment in the shown function
    old = source_text(PATH).replace("# Only reached", "# Reached only", 1)
    assert old != source_text(PATH)
    path = notebook(tmp_path, f'show_source("{PATH}")', old)
    assert refresh.stale_chapters([path]) == {path: [f"cell 0: the source of {PATH} changed"]}
    assert refresh.main(["--check", str(path)]) == 1


def test_renamed_function_makes_the_chapter_stale(tmp_path):
    path = notebook(
        tmp_path, 'show_source("clownpiece.nn.module:Module._gone")', "def _gone(): ..."
    )
    (reason,) = refresh.stale_chapters([path])[path]
    assert "cannot show clownpiece.nn.module:Module._gone" in reason


def test_no_chapter_is_stale():
    """Run `python book/_tools/refresh_chapters.py` when this fails."""
    stale = refresh.stale_chapters(sorted((ROOT / "book").glob("*.ipynb")))
    assert stale == {}
