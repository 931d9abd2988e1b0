"""What a chapter's first cell calls: ``setup()`` prepares the kernel the same way everywhere.

It seeds clownpiece, draws figures inline in the book's style (text readable on a phone), and
keeps IPython's normal tracebacks (file, line and code context) while printing every file path
relative to its import root, so a stored notebook never shows the machine that ran it.
"""

from __future__ import annotations

import linecache
import os
import re
import sys
import sysconfig
import warnings
from collections.abc import Callable, Iterable
from typing import Any

# Figures are drawn at 100 dpi and shown at their natural size (one image pixel per CSS pixel),
# so 12 pt text is 16.7 px on screen: as large as the book's body text and footnotes (16 px).
FIGURE_DPI = 100
MIN_FONT_PT = 12.0
FIGURE_STYLE: dict[str, Any] = {
    "figure.dpi": FIGURE_DPI,
    "figure.figsize": (6.4, 4.0),  # fits the book's text column (688 px) at 100 dpi
    "font.size": MIN_FONT_PT,
    "axes.titlesize": 13.0,
    "axes.labelsize": MIN_FONT_PT,
    "xtick.labelsize": MIN_FONT_PT,
    "ytick.labelsize": MIN_FONT_PT,
    "legend.fontsize": MIN_FONT_PT,
    "legend.title_fontsize": MIN_FONT_PT,
    "figure.titlesize": 14.0,
}
# PNG text chunks written into every figure, read back by the book's browser test.
PNG_KEY_MIN_FONT = "clownpiece.min_font_pt"
PNG_KEY_DPI = "clownpiece.dpi"


def setup(seed: int = 0, *, figures: bool = True, shell: Any = None) -> None:
    """Seed clownpiece, draw figures in the book's style, and shorten paths in tracebacks."""
    import clownpiece

    shell = shell if shell is not None else _ipython()
    clownpiece.manual_seed(seed)
    show_short_paths(shell)
    if figures and shell is not None:
        use_book_figures(shell)


def path_roots() -> list[str]:
    """Folders whose prefix is cut from printed paths, longest first (so the most specific wins)."""
    import clownpiece

    roots = {os.path.dirname(os.path.dirname(os.path.abspath(clownpiece.__file__))), os.getcwd()}
    roots.update(p for p in sys.path if p and os.path.isabs(p))
    roots.update(sysconfig.get_paths().values())
    roots.update({sys.prefix, sys.base_prefix, sys.exec_prefix})
    roots = {os.path.normpath(r) for r in roots}
    home = os.path.expanduser("~")
    # IPython prints paths under the home folder as "~/..."
    roots.update("~" + r[len(home) :] for r in list(roots) if r.startswith(home + os.sep))
    return sorted((r for r in roots if len(r) > 1), key=len, reverse=True)


def path_shortener(roots: Iterable[str]) -> Callable[[str], str]:
    """A function that cuts any of ``roots`` (followed by a separator) out of a text."""
    alternatives = "|".join(re.escape(root.rstrip("/\\")) for root in roots)
    if not alternatives:
        return lambda text: text
    pattern = re.compile(f"(?:{alternatives})[/\\\\]")
    return lambda text: pattern.sub("", text)


def show_short_paths(shell: Any = None) -> None:
    """Normal (Context) tracebacks and warnings, with paths relative to their import root."""
    shorten = path_shortener(path_roots())
    _shorten_warnings(shorten, shell)
    if shell is None:
        return
    tb = shell.InteractiveTB
    original = getattr(tb.structured_traceback, "__wrapped__", tb.structured_traceback)

    def structured_traceback(*args: Any, **kwargs: Any) -> list[str]:
        return [shorten(line) for line in original(*args, **kwargs)]

    structured_traceback.__wrapped__ = original  # type: ignore[attr-defined]
    tb.structured_traceback = structured_traceback  # what showtraceback() asks for the lines
    tb.set_mode("Context")


def use_book_figures(shell: Any) -> None:
    """Inline figures in the book's style, each PNG carrying its smallest font size."""
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:  # a chapter without figures runs without matplotlib
        return
    shell.run_line_magic("matplotlib", "inline")
    matplotlib.rcParams.update(FIGURE_STYLE)  # type: ignore[arg-type]
    shell.display_formatter.formatters["image/png"].for_type(Figure, figure_png)


def figure_png(fig: Any) -> str | None:
    """Base64 PNG of a figure as the inline backend draws it, plus its smallest font size."""
    from IPython.core.pylabtools import print_figure

    if not fig.axes and not fig.lines:
        return None  # an empty figure shows nothing, as in the inline backend
    metadata = {PNG_KEY_DPI: f"{fig.dpi:g}"}
    smallest = smallest_font_pt(fig)
    if smallest is not None:
        metadata[PNG_KEY_MIN_FONT] = f"{smallest:g}"
    return print_figure(fig, fmt="png", base64=True, bbox_inches="tight", metadata=metadata)


def smallest_font_pt(fig: Any) -> float | None:
    """The smallest font size (points) among the texts a figure draws."""
    from matplotlib.text import Text

    fig.draw_without_rendering()  # creates the tick labels a draw would show
    undrawn = _undrawn_tick_labels(fig)
    sizes = [
        text.get_fontsize()
        for text in fig.findobj(Text)
        if text.get_visible() and text.get_text().strip() and id(text) not in undrawn
    ]
    return min(sizes, default=None)


def _undrawn_tick_labels(fig: Any) -> set[int]:
    """Tick labels that exist but are not drawn: outside the view, or on a hidden axis."""
    undrawn: set[int] = set()
    for axes in fig.axes:
        for axis in (getattr(axes, name, None) for name in ("xaxis", "yaxis", "zaxis")):
            if axis is None:
                continue
            shown = axes.get_visible() and axes.axison and axis.get_visible()
            low, high = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                loc = tick.get_loc()
                if not (shown and tick.get_visible() and loc is not None and low <= loc <= high):
                    undrawn.update((id(tick.label1), id(tick.label2)))
    return undrawn


def _shorten_warnings(shorten: Callable[[str], str], shell: Any) -> None:
    original = getattr(warnings.formatwarning, "__wrapped__", warnings.formatwarning)
    is_cell = getattr(getattr(shell, "compile", None), "format_code_name", lambda name: None)

    def formatwarning(message, category, filename, lineno, line=None):  # noqa: ANN001
        if line is None:
            line = linecache.getline(filename, lineno)  # before the path is shortened
        # a cell's code lives in a temporary file named after the kernel's process id
        short = "<cell>" if is_cell(filename) is not None else shorten(filename)
        return original(message, category, short, lineno, line)

    formatwarning.__wrapped__ = original  # type: ignore[attr-defined]
    warnings.formatwarning = formatwarning


def _ipython() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()
