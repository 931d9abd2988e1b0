"""Checking what layers are built and called with, so that mistakes fail early and say where.

Constructors check their sizes and numbers before anything is allocated; `forward` checks
its inputs before any state (such as BatchNorm's running statistics) changes.
"""

from __future__ import annotations

import math
import numbers

from ..tensor import Tensor


def describe(module) -> str:
    """A module on one line, as its repr starts: `LayerNorm((8,), eps=1e-05, ...)`."""
    return f"{type(module).__name__}({module.extra_repr()})"


def expect_tensor(module, value, what: str = "input") -> None:
    """Raise a TypeError naming `module` unless `value` is a Tensor."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{describe(module)} expected a Tensor {what}, got {type(value).__name__}")


def check_size(layer: str, name: str, value, minimum: int = 0) -> int:
    """`value` as a plain int >= minimum; numpy integers count, bools and floats do not."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        kind = "positive" if minimum == 1 else "non-negative"
        raise ValueError(f"{layer}: {name} must be a {kind} int, got {value!r}")
    return int(value)


def check_number(layer: str, name: str, value, low: float = 0.0, high: float = math.inf) -> float:
    """`value` as a finite float in [low, high]; numpy numbers count, bools and strings do not."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not (low <= float(value) <= high and math.isfinite(value))
    ):
        where = f">= {low}" if high == math.inf else f"in [{low}, {high}]"
        raise ValueError(f"{layer}: {name} must be a finite number {where}, got {value!r}")
    return float(value)
