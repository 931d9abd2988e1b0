"""Part 4 checks, activations: Sigmoid, ReLU, LeakyReLU and GELU (forward, backward, repr)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from .catalog import graded
from .expect import expect_close, need, text_difference

_X = np.array([-50.0, -3.0, -0.5, -0.01, 0.02, 0.7, 2.0, 50.0])


def _forward_backward(
    module: Any, values: np.ndarray, slope: np.ndarray, what: str, atol: float = 1e-6
) -> None:
    x = Tensor(_X.copy(), requires_grad=True)
    with np.errstate(over="ignore"):
        out = module(x)
    expect_close(out, values, f"{what}(x)", atol=atol)
    out.sum().backward()
    expect_close(x.grad, slope, f"x.grad of {what}(x).sum()", atol=2 * atol)


@graded("activations", "Sigmoid: forward and backward (stable at +-50)")
def sigmoid(nn: Any) -> None:
    s = 1 / (1 + np.exp(-_X))
    _forward_backward(need(nn, "Sigmoid")(), s, s * (1 - s), "Sigmoid()")


@graded("activations", "ReLU: forward and backward")
def relu(nn: Any) -> None:
    _forward_backward(need(nn, "ReLU")(), np.maximum(_X, 0), (_X > 0).astype(float), "ReLU()")


@graded("activations", "LeakyReLU: default negative_slope 0.01")
def leaky_default(nn: Any) -> None:
    slope = np.where(_X > 0, 1.0, 0.01)
    _forward_backward(need(nn, "LeakyReLU")(), _X * slope, slope, "LeakyReLU()")


@graded("activations", "LeakyReLU(0.2) uses its negative_slope")
def leaky_slope(nn: Any) -> None:
    slope = np.where(_X > 0, 1.0, 0.2)
    _forward_backward(need(nn, "LeakyReLU")(0.2), _X * slope, slope, "LeakyReLU(0.2)")


@graded("activations", "GELU: x * Phi(x), exact or in the tanh form")
def gelu(nn: Any) -> None:
    phi = 0.5 * (1 + np.vectorize(math.erf)(_X / math.sqrt(2)))
    density = np.exp(-0.5 * _X**2) / math.sqrt(2 * math.pi)
    _forward_backward(need(nn, "GELU")(), _X * phi, phi + _X * density, "GELU()", atol=1e-3)


@graded("activations", "repr: Sigmoid(), ReLU(), LeakyReLU(negative_slope=0.2)")
def activation_reprs(nn: Any) -> None:
    text_difference(repr(need(nn, "Sigmoid")()), "Sigmoid()", "repr(Sigmoid())")
    text_difference(repr(need(nn, "ReLU")()), "ReLU()", "repr(ReLU())")
    text_difference(
        repr(need(nn, "LeakyReLU")(negative_slope=0.2)),
        "LeakyReLU(negative_slope=0.2)",
        "repr(LeakyReLU(negative_slope=0.2))",
    )
