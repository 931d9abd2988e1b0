"""Elementwise ops on numpy arrays (broadcasting like numpy): arithmetic and activations.

Each op returns its result and one closure per operand, mapping the output's gradient to
that operand's gradient. An operand may be a Python number: its closure is never called.
"""

from __future__ import annotations

import math

import numpy as np

from .core import Operand, OpResult, broadcasting, differentiable, sum_to_shape, unbroadcast


@differentiable
def add(x: Operand, y: Operand) -> OpResult:
    """x + y; each input's gradient is the output's (summed back over broadcast dims)."""

    def grad_x(g):
        return sum_to_shape(g, x.shape)  # unbroadcast, faster for a bias (core.py)

    def grad_y(g):
        return sum_to_shape(g, y.shape)

    return broadcasting("add", np.add, x, y), (grad_x, grad_y)


@differentiable
def sub(x: Operand, y: Operand) -> OpResult:
    """x - y; d/dx = 1, d/dy = -1."""

    def grad_x(g):
        return unbroadcast(g, x.shape)

    def grad_y(g):
        return unbroadcast(-g, y.shape)

    return broadcasting("sub", np.subtract, x, y), (grad_x, grad_y)


@differentiable
def mul(x: Operand, y: Operand) -> OpResult:
    """x * y; d/dx = y, d/dy = x."""

    def grad_x(g):
        return unbroadcast(g * y, x.shape)

    def grad_y(g):
        return unbroadcast(g * x, y.shape)

    return broadcasting("mul", np.multiply, x, y), (grad_x, grad_y)


@differentiable
def div(x: Operand, y: Operand) -> OpResult:
    """x / y; d/dx = 1/y, d/dy = -x/y^2 = -out/y."""
    out = broadcasting("div", np.divide, x, y)

    def grad_x(g):
        return unbroadcast(g / y, x.shape)

    def grad_y(g):
        return unbroadcast(-g * out / y, y.shape)

    return out, (grad_x, grad_y)


@differentiable
def pow(x: Operand, y: Operand) -> OpResult:
    """x ** y; d/dx = y x^(y-1), d/dy = out * log(x) (taken as 0 where x <= 0)."""
    out = broadcasting("pow", np.power, x, y)

    def grad_x(g):
        return unbroadcast(g * y * x ** (y - 1), x.shape)

    def grad_y(g):
        return unbroadcast(g * out * np.log(np.where(x > 0, x, 1)), y.shape)

    return out, (grad_x, grad_y)


@differentiable
def neg(x: np.ndarray) -> OpResult:
    return -x, (lambda g: -g,)


@differentiable
def abs(x: np.ndarray) -> OpResult:
    return np.abs(x), (lambda g: g * np.sign(x),)


@differentiable
def exp(x: np.ndarray) -> OpResult:
    """e^x; d/dx = e^x, the saved output."""
    out = np.exp(x)
    return out, (lambda g: g * out,)


@differentiable
def log(x: np.ndarray) -> OpResult:
    """log(x); d/dx = 1/x."""
    return np.log(x), (lambda g: g / x,)


@differentiable
def sqrt(x: np.ndarray) -> OpResult:
    out = np.sqrt(x)
    return out, (lambda g: g / (2 * out),)


@differentiable
def tanh(x: np.ndarray) -> OpResult:
    """tanh(x); d/dx = 1 - tanh(x)^2, computed from the saved output."""
    out = np.tanh(x)
    return out, (lambda g: g * (1 - out * out),)


@differentiable
def sigmoid(x: np.ndarray) -> OpResult:
    """1 / (1 + e^-x); d/dx = out * (1 - out)."""
    # exp of a non-positive number only, so large |x| never overflows
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
    return out, (lambda g: g * out * (1 - out),)


@differentiable
def relu(x: np.ndarray) -> OpResult:
    """max(x, 0); d/dx = 1 where x > 0, else 0 (also at 0, as PyTorch)."""
    return np.maximum(x, 0), (lambda g: g * (x > 0),)


@differentiable
def leaky_relu(x: np.ndarray, *, negative_slope: float = 0.01) -> OpResult:
    slope = np.where(x > 0, 1, negative_slope).astype(x.dtype)
    return x * slope, (lambda g: g * slope,)


_ERF_P = 0.3275911
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


@differentiable
def erf(x: np.ndarray) -> OpResult:
    """Error function (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7); exact derivative."""
    t = 1.0 / (1.0 + _ERF_P * np.abs(x))
    poly = t * (_ERF_A[0] + t * (_ERF_A[1] + t * (_ERF_A[2] + t * (_ERF_A[3] + t * _ERF_A[4]))))
    out = (np.sign(x) * (1.0 - poly * np.exp(-x * x))).astype(x.dtype, copy=False)
    scale = 2.0 / math.sqrt(math.pi)
    return out, (lambda g: g * scale * np.exp(-x * x),)


@differentiable
def clamp(x: np.ndarray, *, min=None, max=None) -> OpResult:
    inside = np.ones(x.shape, dtype=bool)
    if min is not None:
        inside &= x >= min
    if max is not None:
        inside &= x <= max
    return np.clip(x, min, max), (lambda g: g * inside,)


@differentiable
def maximum(x: Operand, y: Operand) -> OpResult:
    out = broadcasting("maximum", np.maximum, x, y)
    # ties split the gradient evenly, as PyTorch does
    x_wins = np.where(x > y, 1.0, np.where(x == y, 0.5, 0.0)).astype(out.dtype)

    def grad_x(g):
        return unbroadcast(g * x_wins, x.shape)

    def grad_y(g):
        return unbroadcast(g * (1 - x_wins), y.shape)

    return out, (grad_x, grad_y)


@differentiable
def where(x: Operand, y: Operand, *, condition: np.ndarray) -> OpResult:
    """`x` where `condition` holds, else `y` (the condition is not differentiated)."""
    try:
        out: np.ndarray = np.where(condition, x, y)  # type: ignore[assignment]
    except ValueError:
        raise ValueError(
            f"where: condition of shape {np.shape(condition)} and operands of shapes "
            f"{np.shape(x)} and {np.shape(y)} cannot be broadcast together"
        ) from None

    def grad_x(g):
        return unbroadcast(np.where(condition, g, 0), x.shape)

    def grad_y(g):
        return unbroadcast(np.where(condition, 0, g), y.shape)

    return out, (grad_x, grad_y)
