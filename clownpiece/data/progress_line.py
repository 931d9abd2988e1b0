"""A live progress line for training loops that leaves stored notebook outputs unchanged.

Why not tqdm: in a Jupyter kernel `tqdm.auto` draws an ipywidgets bar (a dependency the
book does not have) whose saved widget state holds random ids and wall-clock rates, and
which the built book can only draw by loading widget JavaScript from a CDN; without the
widget state JupyterLab shows "Error displaying widget: model not found". Its text mode
writes every refresh, with timings, to stderr, which nbval compares and the book shows.
This display stores one empty output instead, the same on every machine.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any


def kernel_shell() -> Any:
    """The IPython shell when running in a Jupyter kernel, else None (never imports IPython)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell if shell is not None and hasattr(shell, "kernel") else None


class progress:
    """Iterate over `iterable` while showing `desc 12/50 [#####.....] loss=0.1234` live.

    Design (stable for nbval): the display leaves no trace in stored outputs.

    * In a Jupyter kernel it shows one display output that is *empty* when created, is
      updated in place (`display_id`, at most every `min_interval` seconds) and is emptied
      again at the end, even on error. The saved notebook (whose runner applies the updates)
      and nbval (which ignores updates) therefore both record the same empty output.
    * On a terminal (stderr is a TTY) it rewrites one line with ``\\r`` and erases it at the end.
    * Anywhere else it prints nothing. ``CLOWNPIECE_PROGRESS=0`` turns live updates off
      everywhere (the empty kernel placeholder is still emitted, so outputs do not change).

    Print the deterministic per-epoch summary (rounded numbers, no timings) yourself.
    Use ``bar.set(loss=...)`` inside the loop to show values.
    """

    def __init__(
        self,
        iterable: Iterable,
        total: int | None = None,
        desc: str = "",
        min_interval: float = 0.2,
    ) -> None:
        self.iterable, self.desc, self.min_interval = iterable, desc, min_interval
        if total is None and hasattr(iterable, "__len__"):
            total = len(iterable)  # type: ignore[arg-type]
        self.total = total
        self.values: dict[str, Any] = {}
        self.count = 0

    def set(self, **values: Any) -> None:
        """Values shown after the bar, e.g. `bar.set(loss=0.123)`."""
        self.values.update(values)

    def line(self) -> str:
        """The current progress text."""
        done = f"{self.count}/{self.total}" if self.total else str(self.count)
        bar = ""
        if self.total:
            filled = round(20 * min(self.count, self.total) / self.total)
            bar = " [" + "#" * filled + "." * (20 - filled) + "]"
        shown = " ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in self.values.items()
        )
        return " ".join(s for s in (self.desc, done + bar, shown) if s)

    def __iter__(self) -> Iterator:
        live = os.environ.get("CLOWNPIECE_PROGRESS", "1") != "0"
        show, clear = self.kernel_display(live) if kernel_shell() else self.terminal_display(live)
        last = -math.inf
        try:
            for item in self.iterable:
                yield item
                self.count += 1
                now = time.monotonic()
                if show is not None and now - last >= self.min_interval:
                    show(self.line())
                    last = now
        finally:
            if clear is not None:
                clear()

    @staticmethod
    def kernel_display(live: bool) -> tuple[Callable[[str], Any] | None, Callable[[], Any]]:
        """`(show, clear)` for one empty display output updated in place."""
        from IPython.display import display

        handle = display({"text/plain": ""}, raw=True, display_id=True)

        def show(text: str) -> None:
            handle.update({"text/plain": text}, raw=True)

        return (show if live else None), (lambda: handle.update({"text/plain": ""}, raw=True))

    @staticmethod
    def terminal_display(
        live: bool,
    ) -> tuple[Callable[[str], Any] | None, Callable[[], Any] | None]:
        """`(show, clear)` rewriting one stderr line on a terminal, `(None, None)` elsewhere."""
        if not (live and sys.stderr.isatty()):
            return None, None
        width = 0

        def show(text: str) -> None:
            nonlocal width
            sys.stderr.write("\r" + text.ljust(width))
            sys.stderr.flush()
            width = max(width, len(text))

        def clear() -> None:
            sys.stderr.write("\r" + " " * width + "\r")
            sys.stderr.flush()

        return show, clear
