"""`CheckReport`: the pass/fail table every exercise check in the book prints."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class CheckReport:
    """Named pass/fail results of one `check_*` call: truthy only when every sub-check passed."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.results: list[tuple[str, bool, str]] = []

    def run(self, name: str, fn: Callable[[], Any]) -> None:
        """Run one sub-check: it passes unless it raises (an AssertionError's text is the detail)."""
        try:
            fn()
            self.results.append((name, True, ""))
        except AssertionError as e:
            self.results.append((name, False, str(e) or "assertion failed"))
        except Exception as e:  # a student's code may raise anything
            self.results.append((name, False, f"raised {type(e).__name__}: {e}"[:200]))

    @property
    def passed(self) -> int:
        return sum(ok for _, ok, _ in self.results)

    @property
    def failed(self) -> list[str]:
        return [name for name, ok, _ in self.results if not ok]

    def __bool__(self) -> bool:
        return bool(self.results) and not self.failed

    def assert_ok(self) -> None:
        if self.failed:
            raise AssertionError(f"{self.title}: failed {self.failed}\n{self}")

    def __repr__(self) -> str:
        width = max([len(n) for n, _, _ in self.results] + [10])
        lines = [f"{self.title}: {self.passed}/{len(self.results)} passed"]
        for name, ok, detail in self.results:
            lines.append(f"  {'PASS' if ok else 'FAIL'}  {name:<{width}}  {detail}".rstrip())
        return "\n".join(lines)
