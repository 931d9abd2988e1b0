"""The machinery every op shares: the registry, wrapping a result into the graph, broadcasting."""

from __future__ import annotations

import numpy as np

from ...tensor import Tensor
from .. import grad_mode
from ..engine import Node

DIFFERENTIABLE_OPS: dict = {}


def differentiable(fn):
    """Register `fn` as a public differentiable op."""
    DIFFERENTIABLE_OPS[fn.__name__] = fn
    return fn


def _result(data: np.ndarray, inputs: tuple, backward, name: str) -> Tensor:
    """Wrap `data` as a Tensor and, if any input needs a gradient, record how to get it."""
    out = Tensor._wrap(data)
    if grad_mode._enabled:
        for t in inputs:
            if t is not None and t.requires_grad:
                out.requires_grad = True
                out.grad_fn = Node(backward, inputs, name)
                break
    return out


def _array(x):
    """The numpy value of a Tensor operand or a Python/numpy constant."""
    return x._data if isinstance(x, Tensor) else x


def _tensor_or_none(x):
    return x if isinstance(x, Tensor) else None


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


def _shape_of(x) -> tuple:
    return x._data.shape if isinstance(x, Tensor) else np.shape(x)


def _broadcast_error(name: str, a, b) -> ValueError:
    return ValueError(
        f"{name}: operands of shapes {tuple(_shape_of(a))} and {tuple(_shape_of(b))} "
        "cannot be broadcast together"
    )


def normalize_dims(dim, ndim: int, name: str):
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
