"""Matrix products on numpy arrays: 1-D, 2-D and batched operands, broadcasting like numpy."""

from __future__ import annotations

import numpy as np

from .core import Operand, OpResult, differentiable, sum_to_shape, unbroadcast


@differentiable
def matmul(x: Operand, y: Operand) -> OpResult:
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError("matmul: both operands need at least 1 dimension, got a scalar")
    try:
        if x.ndim >= 2 and y.ndim == 2:
            return matrix_times_batch(x, y)
        out = np.matmul(x, y)
    except ValueError:
        raise ValueError(
            f"matmul: shapes {x.shape} and {y.shape} are not aligned (last dim of the left "
            f"{x.shape[-1]} != {'first' if y.ndim == 1 else 'second-to-last'} dim of the "
            f"right {y.shape[0 if y.ndim == 1 else -2]})"
        ) from None
    # 1-D operands act as a row (left) or a column (right) that is dropped from the result
    x2 = x[None, :] if x.ndim == 1 else x
    y2 = y[:, None] if y.ndim == 1 else y

    def as_matrix(g):
        if y.ndim == 1:
            g = np.expand_dims(g, -1)
        if x.ndim == 1:
            g = np.expand_dims(g, -2)
        return g

    def grad_x(g):
        grad = unbroadcast(as_matrix(g) @ y2.swapaxes(-1, -2), x2.shape)
        return grad.reshape(x.shape)

    def grad_y(g):
        grad = unbroadcast(x2.swapaxes(-1, -2) @ as_matrix(g), y2.shape)
        return grad.reshape(y.shape)

    return out, (grad_x, grad_y)


def matrix_times_batch(x: np.ndarray, y: np.ndarray) -> OpResult:
    """matmul of (..., k) @ (k, n), forward and gradients, as single 2-D products.

    Speed (benchmarks "MLP train step" and "transformer block"): folding the batch dims
    into rows makes each product one BLAS call, instead of one call per matrix of the
    batch and, for y's gradient, a batched product followed by a sum.
    """
    rows_x = x.reshape(-1, x.shape[-1])
    out = (rows_x @ y).reshape(*x.shape[:-1], y.shape[-1])

    def grad_x(g):
        return (g.reshape(-1, g.shape[-1]) @ y.T).reshape(x.shape)

    def grad_y(g):
        rows_g = g.reshape(-1, g.shape[-1])
        # a transposed right operand (Linear's weight.T) gets its gradient in the same
        # layout, so the transpose's backward hands back a C-ordered array
        return rows_x.T @ rows_g if y.flags.c_contiguous else (rows_g.T @ rows_x).T

    return out, (grad_x, grad_y)


@differentiable
def linear(x: np.ndarray, weight: np.ndarray, bias: Operand) -> OpResult:
    """x @ weight.T + bias (`bias` may be None) as one node: `nn.functional.linear`.

    Equals `matmul(x, transpose(weight))` plus `add(..., bias)` (the tests check it), but
    records one node instead of three, adds the bias into the fresh product in place, and
    computes the weight's gradient as one product in the weight's own layout, which
    `Tensor.accumulate_grad` can then keep without a copy (see `gradient_buffers`).
    """
    rows = x.reshape(-1, x.shape[-1])
    out = (rows @ weight.T).reshape(*x.shape[:-1], weight.shape[0])
    if bias is not None:
        if np.shape(bias) == out.shape[-1:] and np.result_type(out, bias) == out.dtype:
            out += bias
        else:  # a bias of another dtype or shape: numpy's promotion and broadcasting
            out = out + bias

    def grad_x(g):
        return (g.reshape(-1, g.shape[-1]) @ weight).reshape(x.shape)

    def grad_weight(g):
        return g.reshape(-1, g.shape[-1]).T @ rows

    def grad_bias(g):
        return sum_to_shape(g, np.shape(bias))

    return out, (grad_x, grad_weight, grad_bias)
