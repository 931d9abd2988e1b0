"""Reductions over dims (sum, mean, var, max, min) and the softmax family."""

from __future__ import annotations

import builtins

import numpy as np

from ...tensor import Tensor
from .core import _result, differentiable, normalize_dims


def _expand_reduced(g: np.ndarray, axes, keepdims: bool) -> np.ndarray:
    """Re-insert reduced axes into `g` so it broadcasts against the input."""
    if axes is not None and not keepdims:
        g = np.expand_dims(g, axes)
    return g


def _spread(g: np.ndarray, axes, keepdims: bool, shape: tuple) -> np.ndarray:
    """The gradient of a sum-like reduction: `g` repeated over the reduced axes."""
    out = np.empty(shape, dtype=g.dtype)
    out[...] = g if axes is None else _expand_reduced(g, axes, keepdims)
    return out


@differentiable
def sum(a: Tensor, dim=None, keepdims: bool = False) -> Tensor:
    x = a._data
    axes = normalize_dims(dim, x.ndim, "sum")
    data = np.asarray(x.sum(axis=axes, keepdims=keepdims))
    return _result(data, (a,), lambda g: (_spread(g, axes, keepdims, x.shape),), "Sum")


@differentiable
def mean(a: Tensor, dim=None, keepdims: bool = False) -> Tensor:
    x = a._data
    axes = normalize_dims(dim, x.ndim, "mean")
    data = np.asarray(x.mean(axis=axes, keepdims=keepdims))
    count = x.size // builtins.max(data.size, 1) if x.size else 1
    return _result(data, (a,), lambda g: (_spread(g / count, axes, keepdims, x.shape),), "Mean")


@differentiable
def var(a: Tensor, dim=None, keepdims: bool = False, unbiased: bool = True) -> Tensor:
    x = a._data
    axes = normalize_dims(dim, x.ndim, "var")
    ddof = 1 if unbiased else 0
    centered = x - x.mean(axis=axes, keepdims=True)
    data = np.asarray(x.var(axis=axes, keepdims=keepdims, ddof=ddof))
    count = x.size // builtins.max(data.size, 1) if x.size else 1

    # one element with unbiased=True: nan (as numpy and PyTorch), not ZeroDivisionError
    scale = 2 / (count - ddof) if count > ddof else np.nan

    def backward(g):
        return (_expand_reduced(g, axes, keepdims) * centered * scale,)

    return _result(data, (a,), backward, "Var")


def _extreme(a: Tensor, dim, keepdims: bool, pick, name: str) -> Tensor:
    x = a._data
    axes = normalize_dims(dim, x.ndim, name)
    data = np.asarray(pick(x, axis=axes, keepdims=keepdims))

    def backward(g):
        full = pick(x, axis=axes, keepdims=True)
        hit = x == full
        # ties share the gradient equally
        share = hit / hit.sum(axis=axes, keepdims=True)
        return (_expand_reduced(g, axes, keepdims) * share,)

    return _result(data, (a,), backward, name.capitalize())


@differentiable
def max(a: Tensor, dim=None, keepdims: bool = False) -> Tensor:
    return _extreme(a, dim, keepdims, np.max, "max")


@differentiable
def min(a: Tensor, dim=None, keepdims: bool = False) -> Tensor:
    return _extreme(a, dim, keepdims, np.min, "min")


@differentiable
def softmax(a: Tensor, dim: int = -1) -> Tensor:
    x = a._data
    (axis,) = normalize_dims(dim, x.ndim, "softmax") or (0,)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    data = e / e.sum(axis=axis, keepdims=True)

    def backward(g):
        return (data * (g - (g * data).sum(axis=axis, keepdims=True)),)

    return _result(data, (a,), backward, "Softmax")


@differentiable
def log_softmax(a: Tensor, dim: int = -1) -> Tensor:
    x = a._data
    (axis,) = normalize_dims(dim, x.ndim, "log_softmax") or (0,)
    shifted = x - x.max(axis=axis, keepdims=True)
    data = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))

    def backward(g):
        return (g - np.exp(data) * g.sum(axis=axis, keepdims=True),)

    return _result(data, (a,), backward, "LogSoftmax")


@differentiable
def cross_entropy(logits: Tensor, classes: np.ndarray) -> Tensor:
    """Per-sample -log softmax(logits)[class], class dim last; `classes` are valid int indices."""
    x = logits._data
    shifted = x - x.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=-1, keepdims=True)
    rows, picks = np.arange(classes.size), classes.reshape(-1)
    picked = shifted.reshape(-1, x.shape[-1])[rows, picks].reshape(classes.shape)
    data = np.log(total[..., 0]) - picked

    def backward(g):
        grad = exp / total  # softmax, minus one at each sample's class
        grad.reshape(-1, x.shape[-1])[rows, picks] -= 1
        return (grad * g[..., None],)

    return _result(data, (logits,), backward, "CrossEntropy")
