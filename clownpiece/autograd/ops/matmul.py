"""Matrix products: 1-D, 2-D and batched operands, broadcasting like numpy."""

from __future__ import annotations

import numpy as np

from ...tensor import Tensor
from .core import _array, _result, _tensor_or_none, differentiable, unbroadcast


@differentiable
def matmul(a, b) -> Tensor:
    x, y = _array(a), _array(b)
    if np.ndim(x) == 0 or np.ndim(y) == 0:
        raise ValueError("matmul: both operands need at least 1 dimension, got a scalar")
    flat = np.ndim(x) >= 2 and np.ndim(y) == 2  # (..., k) @ (k, n) as one 2-D product
    try:
        if flat:
            data = (x.reshape(-1, x.shape[-1]) @ y).reshape(*x.shape[:-1], y.shape[-1])
        else:
            data = np.matmul(x, y)
    except ValueError:
        raise ValueError(
            f"matmul: shapes {tuple(np.shape(x))} and {tuple(np.shape(y))} are not aligned "
            f"(last dim of the left {np.shape(x)[-1]} != "
            f"{'first' if np.ndim(y) == 1 else 'second-to-last'} dim of the right "
            f"{np.shape(y)[0 if np.ndim(y) == 1 else -2]})"
        ) from None

    def flat_backward(g):
        g2 = g.reshape(-1, g.shape[-1])
        ga = gb = None
        if isinstance(a, Tensor) and a.requires_grad:
            ga = (g2 @ y.T).reshape(x.shape)
        if isinstance(b, Tensor) and b.requires_grad:
            x2 = x.reshape(-1, x.shape[-1])
            # a transposed right operand (Linear's weight.T) gets its gradient in the same
            # layout, so the transpose's backward hands back a C-ordered array
            gb = x2.T @ g2 if y.flags.c_contiguous else (g2.T @ x2).T
        return ga, gb

    def general_backward(g):
        x2 = x[None, :] if x.ndim == 1 else x
        y2 = y[:, None] if y.ndim == 1 else y
        g2 = g
        if y.ndim == 1:  # first: for 1-D @ 1-D, g is 0-d
            g2 = np.expand_dims(g2, -1)
        if x.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        ga = gb = None
        if isinstance(a, Tensor) and a.requires_grad:
            ga = g2 @ y2.swapaxes(-1, -2)
            ga = unbroadcast(ga, x2.shape).reshape(x.shape) if x.ndim > 1 else ga.reshape(
                -1, x.shape[0]
            ).sum(axis=0)
        if isinstance(b, Tensor) and b.requires_grad:
            gb = x2.swapaxes(-1, -2) @ g2
            gb = unbroadcast(gb, y2.shape).reshape(y.shape) if y.ndim > 1 else gb.reshape(
                -1, y.shape[0]
            ).sum(axis=0)
        return ga, gb

    backward = flat_backward if flat else general_backward
    return _result(data, (_tensor_or_none(a), _tensor_or_none(b)), backward, "Matmul")
