"""Switches that decide whether operations record the graph for backward.

This module sits below `Tensor` (it imports nothing of the package); users reach it as
`clownpiece.no_grad` or `clownpiece.autograd.no_grad`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_enabled = True


def is_grad_enabled() -> bool:
    """True when new operations are being recorded for backward."""
    return _enabled


class set_grad_enabled:
    """Turn recording on or off; as a call it applies now, as a context it restores on exit."""

    def __init__(self, mode: bool) -> None:
        global _enabled
        self.prev = _enabled
        _enabled = bool(mode)

    def __enter__(self) -> set_grad_enabled:
        return self

    def __exit__(self, *exc: object) -> None:
        global _enabled
        _enabled = self.prev


class _GradMode:
    """Base of no_grad/enable_grad: a context manager that also works as a decorator."""

    mode = True

    def __enter__(self) -> None:
        global _enabled
        self.prev = _enabled
        _enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        global _enabled
        _enabled = self.prev

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):
    """Operations inside do not record the graph, and in-place edits of tensors that take part
    in one (leaves that require grad, intermediate results) are allowed."""

    mode = False


class enable_grad(_GradMode):
    """Turn recording back on inside a `no_grad` block."""

    mode = True
