"""Wall time of each chapter run top to bottom on a fresh kernel: `python -m benchmarks.book_timing`.

Budgets from the workbook issue: each training chapter under 60 s, and the nbval run over
every chapter under 180 s on a 2-core machine. This only measures and reports.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

BOOK = Path(__file__).resolve().parents[1] / "book"
TRAINING_BUDGET_S, NBVAL_BUDGET_S = 60.0, 180.0


def run_chapter(path: Path) -> float:
    """Seconds to execute one notebook in a fresh kernel (outputs are discarded)."""
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(notebook, timeout=600, resources={"metadata": {"path": str(BOOK)}}).execute()
    return time.perf_counter() - start


def run_nbval() -> float:
    """Seconds for `pytest book/` (nbval re-runs and compares every chapter)."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(BOOK)],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def main() -> None:
    print(f"{'chapter':<32}{'seconds':>9}   budget")
    for path in sorted(BOOK.glob("*.ipynb")):
        seconds = run_chapter(path)
        training = path.stem.startswith("08")
        budget = (
            f"<= {TRAINING_BUDGET_S:.0f} s ({'met' if seconds <= TRAINING_BUDGET_S else 'MISSED'})"
        )
        print(f"{path.name:<32}{seconds:>9.1f}   {budget if training else ''}")
    seconds = run_nbval()
    verdict = "met" if seconds <= NBVAL_BUDGET_S else "MISSED"
    print(f"{'nbval over book/':<32}{seconds:>9.1f}   <= {NBVAL_BUDGET_S:.0f} s ({verdict})")


if __name__ == "__main__":
    main()
