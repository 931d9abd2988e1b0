"""Elementwise ops (with numpy broadcasting): arithmetic, activations, maximum, where."""

from __future__ import annotations

import math

import numpy as np

from ...tensor import Tensor
from .core import _array, _broadcast_error, _result, _tensor_or_none, differentiable, unbroadcast


@differentiable
def add(a, b) -> Tensor:
    try:
        data = _array(a) + _array(b)
    except ValueError:
        raise _broadcast_error("add", a, b) from None

    def backward(g):
        return (
            unbroadcast(g, a._data.shape) if isinstance(a, Tensor) else None,
            unbroadcast(g, b._data.shape) if isinstance(b, Tensor) else None,
        )

    return _result(data, (_tensor_or_none(a), _tensor_or_none(b)), backward, "Add")


@differentiable
def sub(a, b) -> Tensor:
    try:
        data = _array(a) - _array(b)
    except ValueError:
        raise _broadcast_error("sub", a, b) from None

    def backward(g):
        return (
            unbroadcast(g, a._data.shape) if isinstance(a, Tensor) else None,
            unbroadcast(-g, b._data.shape) if isinstance(b, Tensor) else None,
        )

    return _result(data, (_tensor_or_none(a), _tensor_or_none(b)), backward, "Sub")


@differentiable
def mul(a, b) -> Tensor:
    x, y = _array(a), _array(b)
    try:
        data = x * y
    except ValueError:
        raise _broadcast_error("mul", a, b) from None

    def backward(g):
        return (
            unbroadcast(g * y, a._data.shape) if isinstance(a, Tensor) and a.requires_grad else None,
            unbroadcast(g * x, b._data.shape) if isinstance(b, Tensor) and b.requires_grad else None,
        )

    return _result(data, (_tensor_or_none(a), _tensor_or_none(b)), backward, "Mul")


@differentiable
def div(a, b) -> Tensor:
    x, y = _array(a), _array(b)
    try:
        data = x / y
    except ValueError:
        raise _broadcast_error("div", a, b) from None

    def backward(g):
        return (
            unbroadcast(g / y, a._data.shape) if isinstance(a, Tensor) and a.requires_grad else None,
            unbroadcast(-g * data / y, b._data.shape)
            if isinstance(b, Tensor) and b.requires_grad
            else None,
        )

    return _result(data, (_tensor_or_none(a), _tensor_or_none(b)), backward, "Div")


@differentiable
def pow(a, b) -> Tensor:
    x, y = _array(a), _array(b)
    try:
        data = x**y
    except ValueError:
        raise _broadcast_error("pow", a, b) from None

    def backward(g):
        ga = gb = None
        if isinstance(a, Tensor) and a.requires_grad:
            ga = unbroadcast(g * y * x ** (y - 1), a._data.shape)
        if isinstance(b, Tensor) and b.requires_grad:
            gb = unbroadcast(g * data * np.log(np.where(x > 0, x, 1)), b._data.shape)
        return ga, gb

    return _result(data, (_tensor_or_none(a), _tensor_or_none(b)), backward, "Pow")


@differentiable
def neg(a: Tensor) -> Tensor:
    return _result(-a._data, (a,), lambda g: (-g,), "Neg")


@differentiable
def abs(a: Tensor) -> Tensor:
    x = a._data
    return _result(np.abs(x), (a,), lambda g: (g * np.sign(x),), "Abs")


@differentiable
def exp(a: Tensor) -> Tensor:
    data = np.exp(a._data)
    return _result(data, (a,), lambda g: (g * data,), "Exp")


@differentiable
def log(a: Tensor) -> Tensor:
    x = a._data
    return _result(np.log(x), (a,), lambda g: (g / x,), "Log")


@differentiable
def sqrt(a: Tensor) -> Tensor:
    data = np.sqrt(a._data)
    return _result(data, (a,), lambda g: (g / (2 * data),), "Sqrt")


@differentiable
def tanh(a: Tensor) -> Tensor:
    data = np.tanh(a._data)
    return _result(data, (a,), lambda g: (g * (1 - data * data),), "Tanh")


@differentiable
def sigmoid(a: Tensor) -> Tensor:
    x = a._data
    # exp of a non-positive number only, so large |x| never overflows
    e = np.exp(-np.abs(x))
    data = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
    return _result(data, (a,), lambda g: (g * data * (1 - data),), "Sigmoid")


@differentiable
def relu(a: Tensor) -> Tensor:
    x = a._data
    data = np.maximum(x, 0)
    return _result(data, (a,), lambda g: (g * (x > 0),), "Relu")


@differentiable
def leaky_relu(a: Tensor, negative_slope: float = 0.01) -> Tensor:
    x = a._data
    slope = np.where(x > 0, 1, negative_slope).astype(x.dtype)
    return _result(x * slope, (a,), lambda g: (g * slope,), "LeakyRelu")


_ERF_P = 0.3275911
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


@differentiable
def erf(a: Tensor) -> Tensor:
    """Error function (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7); exact derivative."""
    x = a._data
    t = 1.0 / (1.0 + _ERF_P * np.abs(x))
    poly = t * (_ERF_A[0] + t * (_ERF_A[1] + t * (_ERF_A[2] + t * (_ERF_A[3] + t * _ERF_A[4]))))
    data = (np.sign(x) * (1.0 - poly * np.exp(-x * x))).astype(x.dtype, copy=False)
    scale = 2.0 / math.sqrt(math.pi)
    return _result(data, (a,), lambda g: (g * scale * np.exp(-x * x),), "Erf")


@differentiable
def clamp(a: Tensor, min=None, max=None) -> Tensor:
    x = a._data
    data = np.clip(x, min, max)
    inside = np.ones(x.shape, dtype=bool)
    if min is not None:
        inside &= x >= min
    if max is not None:
        inside &= x <= max
    return _result(data, (a,), lambda g: (g * inside,), "Clamp")


@differentiable
def maximum(a, b) -> Tensor:
    x, y = _array(a), _array(b)
    try:
        data = np.maximum(x, y)
    except ValueError:
        raise _broadcast_error("maximum", a, b) from None
    # ties split the gradient evenly, as PyTorch does
    a_wins = np.where(x > y, 1.0, np.where(x == y, 0.5, 0.0)).astype(data.dtype)

    def backward(g):
        return (
            unbroadcast(g * a_wins, a._data.shape) if isinstance(a, Tensor) else None,
            unbroadcast(g * (1 - a_wins), b._data.shape) if isinstance(b, Tensor) else None,
        )

    return _result(data, (_tensor_or_none(a), _tensor_or_none(b)), backward, "Maximum")


@differentiable
def where(condition, a, b) -> Tensor:
    cond = np.asarray(_array(condition), dtype=bool)
    try:
        data = np.where(cond, _array(a), _array(b))
    except ValueError:
        raise _broadcast_error("where", a, b) from None

    def backward(g):
        return (
            None,
            unbroadcast(np.where(cond, g, 0), a._data.shape) if isinstance(a, Tensor) else None,
            unbroadcast(np.where(cond, 0, g), b._data.shape) if isinstance(b, Tensor) else None,
        )

    return _result(data, (None, _tensor_or_none(a), _tensor_or_none(b)), backward, "Where")
