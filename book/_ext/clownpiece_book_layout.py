"""Code cells too wide for the text column get the wide column (loaded from _config.yml).

At 1280 px the text column holds 77 characters of 14 px monospace; a code cell whose longest
line (source, text output or displayed listing) or natural-size figure is wider is marked
``cp-wide`` (and the theme's ``full-width``).  Figures drawn by ``clownpiece.exercises.notebook.setup()`` are marked
``natural-size`` (shown one image pixel per CSS pixel, so their text stays readable).
book/_static/clownpiece.css then spans it over the text column and the right-hand "Contents"
column (109 characters), which sphinx-book-theme folds away while such a cell is on screen.
Longer lines still overflow (code) or wrap (text outputs): tests/test_book_browser.py lists them.
"""

from __future__ import annotations

import html
import re
import struct
import unicodedata
from pathlib import Path

from docutils import nodes

# Characters of the text column at 1280 px: (688 px cell - 3 px border - 2 x 16 px padding)
# / (0.6 x 14 px per monospace character).  Figures: 688 px.
COLUMN_CHARS = 77
COLUMN_PX = 688
WIDE_CLASS = "cp-wide"
# sphinx-book-theme folds its "Contents" column away while a "full-width" cell is on screen;
# its script fails on a page without that column (a page with no sections), so such a page
# gets only our own class.
THEME_WIDE_CLASS = "full-width"
# Figures whose PNG carries this text chunk were drawn by clownpiece.exercises.notebook.setup()
# at 100 dpi with readable fonts; they are shown at their natural size.
FIGURE_KEY = "clownpiece.min_font_pt"
NATURAL_SIZE_CLASS = "natural-size"

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_PRE = re.compile(r"<pre[^>]*>(.*?)</pre>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")


def display_width(line: str) -> int:
    """Columns a line takes in a monospace block: tabs to 8, wide (CJK, emoji) characters as 2."""
    line = _ANSI.sub("", line).expandtabs(8)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def longest_line(text: str) -> int:
    return max((display_width(line) for line in text.splitlines()), default=0)


def cell_text_width(cell: nodes.Element) -> int:
    """Longest line of a cell's source, text outputs and displayed code listings."""
    widths = [
        longest_line(block.astext()) for block in cell.findall(nodes.literal_block)
    ]
    for raw in cell.findall(nodes.raw):
        for pre in _PRE.findall(raw.astext()):
            widths.append(longest_line(html.unescape(_TAG.sub("", pre))))
    return max(widths, default=0)


def png_header(path: Path) -> tuple[int, set[str]] | None:
    """(pixel width, tEXt keywords) of a PNG file; None for anything else."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if data[:8] != b"\x89PNG\r\n\x1a\n" or len(data) < 24:
        return None
    keys, pos = set(), 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        if data[pos + 4 : pos + 8] == b"tEXt":
            keys.add(
                data[pos + 8 : pos + 8 + length].split(b"\0", 1)[0].decode("latin-1")
            )
        pos += 12 + length
    return struct.unpack(">I", data[16:20])[0], keys


def mark_figures(cell: nodes.Element, srcdir: Path) -> int:
    """Mark figures drawn by setup() (natural size on the page); return the widest one's width."""
    widest = 0
    for image in cell.findall(nodes.image):
        header = png_header(srcdir / image["uri"])
        if header is None:
            continue
        width, keys = header
        if FIGURE_KEY in keys:
            image["classes"].append(NATURAL_SIZE_CLASS)
            widest = max(widest, width)
    return widest


def has_contents_column(doctree: nodes.document) -> bool:
    """The theme shows a "Contents" column when the page has sections below its title."""
    return any(
        isinstance(s.parent, nodes.section) for s in doctree.findall(nodes.section)
    )


def mark_wide_cells(app, doctree) -> None:
    srcdir = Path(app.srcdir)
    wide = (
        [WIDE_CLASS, THEME_WIDE_CLASS] if has_contents_column(doctree) else [WIDE_CLASS]
    )
    for cell in doctree.findall(nodes.container):
        if "cell" not in cell.get("classes", []):
            continue
        figure_width = mark_figures(cell, srcdir)
        if WIDE_CLASS in cell["classes"] or THEME_WIDE_CLASS in cell["classes"]:
            continue
        if cell_text_width(cell) > COLUMN_CHARS or figure_width > COLUMN_PX:
            cell["classes"].extend(wide)


def setup(app):
    app.connect("doctree-read", mark_wide_cells)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
