"""`Report`: the PASS/FAIL table that every exercise check and the grader print."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

WIDTH = 90  # a chapter's output column; reasons wrap below their check's name


@dataclass(frozen=True)
class Row:
    """One check's verdict: its name, where it belongs, and why it failed ("" when it passed)."""

    name: str
    passed: bool
    reason: str = ""
    group: str = ""
    part: str = ""


class Report:
    """The rows of one run of checks; truthy only when there is at least one row and all pass."""

    def __init__(self, title: str, rows: list[Row] | None = None) -> None:
        self.title = title
        self.rows: list[Row] = list(rows or [])
        self.printed = False  # `check()` printed the table: don't show it a second time

    def _ipython_display_(self) -> None:
        """In a notebook the table is the report: `check(...)` as a cell's last line shows it
        once (check printed it already), and `report` in a later cell shows it again."""
        if self.printed:
            self.printed = False
        else:
            print(self.text())

    def add(self, row: Row) -> None:
        self.rows.append(row)

    @property
    def passed(self) -> int:
        """How many checks passed."""
        return sum(row.passed for row in self.rows)

    @property
    def total(self) -> int:
        return len(self.rows)

    @property
    def failed(self) -> list[str]:
        """Names of the failing checks, in order."""
        return [row.name for row in self.rows if not row.passed]

    @property
    def reasons(self) -> dict[str, str]:
        """Check name -> reason of every failing check."""
        return {row.name: row.reason for row in self.rows if not row.passed}

    def __bool__(self) -> bool:
        return bool(self.rows) and self.passed == self.total

    def assert_ok(self) -> None:
        """Raise AssertionError listing the failures (for tests; chapters never call it)."""
        if not self:
            raise AssertionError(f"{self.title}: {self.total - self.passed} failed\n{self.text()}")

    def text(self, width: int | None = WIDTH) -> str:
        """The table: a title line, then `PASS name` / `FAIL name` rows with wrapped reasons."""
        lines = [f"{self.title}: {self.passed}/{self.total} passed"]
        for row in self.rows:
            lines.extend(format_row(row, width))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"<Report {self.title}: {self.passed}/{self.total} passed>"


def format_row(row: Row, width: int | None = WIDTH, indent: str = "  ") -> list[str]:
    """A row as lines: with a width the reason wraps under the name, without it stays inline."""
    head = f"{indent}{'PASS' if row.passed else 'FAIL'}  {row.name}"
    if row.passed or not row.reason:
        return [head]
    if width is None:
        return [f"{head} -- {row.reason}"]
    body = indent + " " * 6
    return [head] + textwrap.wrap(row.reason, width, initial_indent=body, subsequent_indent=body)


def one_line(text: str, limit: int = 240) -> str:
    """`text` on one line (line breaks become spaces), cut to `limit` characters with '...'."""
    flat = " ".join(line.strip() for line in str(text).strip().splitlines())
    return flat if len(flat) <= limit else flat[: limit - 3].rstrip() + "..."
