"""Switches that decide whether operations record the graph for backward."""

from __future__ import annotations

import functools

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

    def __exit__(self, *exc) -> None:
        global _enabled
        _enabled = self.prev


class _GradMode:
    """Base of no_grad/enable_grad: a context manager that also works as a decorator."""

    mode = True

    def __enter__(self) -> None:
        global _enabled
        self.prev = _enabled
        _enabled = self.mode

    def __exit__(self, *exc) -> None:
        global _enabled
        _enabled = self.prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Operations inside do not record the graph (and in-place edits of leaves are allowed)."""

    mode = False


class enable_grad(_GradMode):
    """Turn recording back on inside a `no_grad` block."""

    mode = True
