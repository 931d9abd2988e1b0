"""Reductions of numpy arrays over dims (sum, mean, var, max, min) and the softmax family."""

from __future__ import annotations

import builtins
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .core import (
    BLAS_FLOATS,
    OpResult,
    constant_vector,
    differentiable,
    normalize_dims,
    one_dim,
)


def expand_reduced(g: np.ndarray, axes: Any, keepdims: bool) -> np.ndarray:
    """Re-insert the reduced axes into `g` so that it broadcasts against the input."""
    if axes is not None and not keepdims:
        g = np.expand_dims(g, axes)
    return g


def spread(g: np.ndarray, axes: Any, keepdims: bool, shape: tuple) -> np.ndarray:
    """The gradient of a sum-like reduction: `g` repeated over the reduced axes."""
    out = np.empty(shape, dtype=g.dtype)
    out[...] = g if axes is None else expand_reduced(g, axes, keepdims)
    return out


@differentiable
def sum(x: np.ndarray, *, dim=None, keepdims: bool = False) -> OpResult:
    axes = normalize_dims(dim, x.ndim, "sum")
    out = np.asarray(x.sum(axis=axes, keepdims=keepdims))
    return out, (lambda g: spread(g, axes, keepdims, x.shape),)


@differentiable
def mean(x: np.ndarray, *, dim=None, keepdims: bool = False) -> OpResult:
    axes = normalize_dims(dim, x.ndim, "mean")
    if x.dtype in BLAS_FLOATS and x.size:
        out = mean_of_floats(x, axes, keepdims)
    else:
        out = np.asarray(x.mean(axis=axes, keepdims=keepdims))
    count = x.size // builtins.max(out.size, 1) if x.size else 1
    return out, (lambda g: spread(g / count, axes, keepdims, x.shape),)


def mean_of_floats(x: np.ndarray, axes: tuple | None, keepdims: bool) -> np.ndarray:
    """`x.mean(axes)` for float32/float64 `x`, as a sum divided by the count: the same
    numbers (numpy divides in float64 and rounds to float32, which for one division gives
    the correctly rounded float32 quotient too), without numpy's `_mean` wrapper: 1.4 µs
    instead of 2.6 for a training step's loss of 128 values."""
    total = x.sum(axis=axes, keepdims=keepdims)
    return np.asarray(total / (x.size // builtins.max(np.size(total), 1)))


@differentiable
def var(x: np.ndarray, *, dim=None, correction: int = 1, keepdims: bool = False) -> OpResult:
    """Variance with `correction` subtracted from the count (1: unbiased, 0: biased)."""
    axes = normalize_dims(dim, x.ndim, "var")
    centered = x - x.mean(axis=axes, keepdims=True)
    out = np.asarray(x.var(axis=axes, keepdims=keepdims, ddof=correction))
    count = x.size // builtins.max(out.size, 1) if x.size else 1
    # one element with correction 1: nan (as numpy and PyTorch), not ZeroDivisionError
    scale = 2 / (count - correction) if count > correction else np.nan
    return out, (lambda g: expand_reduced(g, axes, keepdims) * centered * scale,)


def extreme(x: np.ndarray, dim: Any, keepdims: bool, pick: Callable, name: str) -> OpResult:
    """max or min (`pick`); ties share the gradient equally."""
    axes = normalize_dims(dim, x.ndim, name)
    out = np.asarray(pick(x, axis=axes, keepdims=keepdims))

    def grad_x(g):
        hit = x == pick(x, axis=axes, keepdims=True)
        return expand_reduced(g, axes, keepdims) * hit / hit.sum(axis=axes, keepdims=True)

    return out, (grad_x,)


@differentiable
def max(x: np.ndarray, *, dim=None, keepdims: bool = False) -> OpResult:
    return extreme(x, dim, keepdims, np.max, "max")


@differentiable
def min(x: np.ndarray, *, dim=None, keepdims: bool = False) -> OpResult:
    return extreme(x, dim, keepdims, np.min, "min")


@differentiable
def softmax(x: np.ndarray, *, dim: int = -1) -> OpResult:
    """e^x / sum(e^x) along `dim`, shifted by the max so that exp never overflows."""
    axis = one_dim(dim, x.ndim, "softmax")
    out = softmax_along(x, axis)

    def grad_x(g):
        # out * (g - sum(g * out)), in place
        grad = g * out
        grad -= out * sums_along(grad, axis)
        return grad

    return out, (grad_x,)


SAFE_ROW_SUM = math.exp(-40.0)


def softmax_along(x: np.ndarray, axis: int) -> np.ndarray:
    """Softmax along `axis`, shifted by the largest entry of the whole array.

    Speed: numpy's max over a short axis is slow (200 µs for 4096 rows of 16, the
    transformer's attention scores; the whole array's max takes 3 µs). One shift for all
    rows gives the same values as a shift per row unless a row lies far below the largest
    entry; its sum of exponentials shows that (or a non-finite input does), and then the
    rows are shifted one by one.
    """
    if x.dtype.kind in "iu":  # as np.exp made of integers before: float64
        x = x.astype(np.float64)
    if x.size:
        e = x - x.max()
        np.exp(e, out=e)
        total = sums_along(e, axis)
        if total.min() >= SAFE_ROW_SUM:  # False for nan too
            e /= total
            return e
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


def sums_along(x: np.ndarray, axis: int) -> np.ndarray:
    """`x.sum(axis, keepdims=True)`; over the last axis as one matrix-vector product (BLAS),
    several times faster than numpy's reduction over short rows."""
    n = x.shape[axis] if x.ndim else 1
    if axis != x.ndim - 1 or not x.flags.c_contiguous or x.size == 0:
        return x.sum(axis=axis, keepdims=True)
    rows = x.reshape(-1, n) @ constant_vector(n, 1.0, x.dtype)
    return rows.reshape(*x.shape[:-1], 1)


@differentiable
def log_softmax(x: np.ndarray, *, dim: int = -1) -> OpResult:
    """log(softmax(x)) along `dim`, stable for any magnitude: x - max - log(sum(e^(x - max)))."""
    axis = one_dim(dim, x.ndim, "log_softmax")
    shifted = x - x.max(axis=axis, keepdims=True)
    out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return out, (lambda g: g - np.exp(out) * g.sum(axis=axis, keepdims=True),)


@differentiable
def cross_entropy(x: np.ndarray, *, classes: np.ndarray) -> OpResult:
    """Per-sample -log softmax(x)[class], class dim last; `classes` are valid int indices.

    With any shift m: log(sum(e^(x - m))) - (x[class] - m); `shifted_exp` picks m.
    """
    shifted, exp, total = shifted_exp(x)
    rows, picks = np.arange(classes.size), classes.reshape(-1)
    picked = shifted.reshape(-1, x.shape[-1])[rows, picks].reshape(classes.shape)
    out = np.log(total[..., 0]) - picked

    def grad_x(g):
        grad = exp / total  # softmax, minus one at each sample's class
        grad.reshape(-1, x.shape[-1])[rows, picks] -= 1
        scale = g[..., None]
        return np.multiply(grad, scale, out=grad if scale.dtype == grad.dtype else None)

    return out, (grad_x,)


CE_SAFE_ROW_SUM = math.exp(-8.0)


def shifted_exp(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x - m, e^(x - m) and its sums over the last axis, for cross-entropy.

    Speed (the MLP's 128 rows of 10 logits: forward 13.3 -> 7.6 µs, with backward 19 -> 13):
    m is the whole array's largest entry rather than each row's, whose reduction over short
    rows is slow (6 µs), and the sums are one BLAS product. A row far below m would lose precision
    (x - m rounds to the ulp of the gap), so unless every row's sum of exponentials is at
    least e^-8 (its largest logit within 8 + log(classes) of m), rows are shifted one by one.
    """
    if x.dtype.kind in "iu":  # as np.exp made of integers before: float64
        x = x.astype(np.float64)
    if x.size:
        shifted = x - x.max()
        exp = np.exp(shifted)
        total = sums_along(exp, x.ndim - 1)
        if total.min() >= CE_SAFE_ROW_SUM:  # False for nan too
            return shifted, exp, total
    shifted = x - x.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return shifted, exp, exp.sum(axis=-1, keepdims=True)
