"""What every array op shares: the registry, undoing broadcasting, checking dims."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

GradFn = Callable[[np.ndarray], np.ndarray]
Operand = Any  # an ndarray, or a Python number that stands for a constant
OpResult = tuple[np.ndarray, tuple[GradFn, ...]]
"""An op returns its result and, per positional operand, output grad -> that operand's grad."""

DIFFERENTIABLE_OPS: dict[str, Callable[..., OpResult]] = {}


def differentiable(op: Callable[..., OpResult]) -> Callable[..., OpResult]:
    """Register `op` as a public differentiable op (the gradcheck tests enumerate them all)."""
    DIFFERENTIABLE_OPS[op.__name__] = op
    return op


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum `grad` down to `shape`, undoing numpy broadcasting."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad


@functools.lru_cache(maxsize=64)
def constant_vector(size: int, value: float, dtype: np.dtype) -> np.ndarray:
    """A read-only vector of `size` copies of `value`: the ones (or 1/n) that the BLAS sums
    of `reductions.sums_along` and `fused` multiply by, cached because every training step
    asks for the same few."""
    vector = np.full(size, value, dtype=dtype)
    vector.flags.writeable = False
    return vector


def sum_to_shape(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """`unbroadcast(grad, shape)`, with a bias's gradient (a vector the size of grad's last
    dim) as one BLAS product: the transformer's bias gradients of (64, 16, 64) take 3 µs
    instead of 15, (64, 16, 256) 11 instead of 27 (~0.1 ms per training step)."""
    if grad.shape == shape:
        return grad
    n = shape[0] if len(shape) == 1 else -1
    if (
        grad.ndim >= 2
        and grad.shape[-1] == n
        and grad.dtype in BLAS_FLOATS
        and grad.flags.c_contiguous
        and grad.size
    ):
        rows = grad.reshape(-1, n)
        return constant_vector(rows.shape[0], 1.0, grad.dtype) @ rows
    return unbroadcast(grad, shape)


BLAS_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def broadcasting(name: str, ufunc: Callable[..., Any], x: Any, y: Any) -> np.ndarray:
    """`ufunc(x, y)`, or a ValueError naming op `name` and both shapes if they don't broadcast."""
    try:
        return ufunc(x, y)
    except ValueError:
        raise ValueError(
            f"{name}: operands of shapes {np.shape(x)} and {np.shape(y)} cannot be broadcast "
            "together"
        ) from None


def normalize_dims(dim: Any, ndim: int, name: str) -> tuple[int, ...] | None:
    """`dim` (None, int or tuple, negatives allowed) as a sorted tuple of axes, or None."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    axes = []
    for d in dims:
        if not isinstance(d, (int, np.integer)) or isinstance(d, bool):
            raise TypeError(f"{name}: dim must be an int or a tuple of ints, got {dim!r}")
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(
                f"{name}: dim {d} is out of range for a tensor with {ndim} dimension(s)"
            )
        axes.append(int(d) % max(ndim, 1))
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: dim {dim!r} names the same dimension twice")
    return tuple(sorted(axes)) if ndim else None


def one_dim(dim: Any, ndim: int, name: str) -> int:
    """A single `dim` (negatives allowed) as an axis in [0, ndim); 0 for a 0-d array."""
    if type(dim) is int and -ndim <= dim < ndim:  # the usual case, without building tuples
        return dim % ndim
    axes = normalize_dims(dim, ndim, name)
    if axes is None:
        return 0
    if len(axes) != 1:
        raise TypeError(f"{name}: dim must be a single int, got {dim!r}")
    return axes[0]
