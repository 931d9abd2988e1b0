"""Part 2 checks: Linear (y = x @ W.T + b, weight (out, in), U(-1/sqrt(in), 1/sqrt(in)) init)
and the Tanh module."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from .catalog import graded
from .expect import (
    array,
    expect,
    expect_close,
    expect_equal,
    listed,
    names_of,
    need,
    text_difference,
)


@graded("linear", "weight (out, in) and bias (out,)")
def linear_shapes(nn: Any) -> None:
    m = need(nn, "Linear")(3, 2)
    pairs = listed(m.named_parameters(), "named_parameters()")
    names_of(pairs, "named_parameters()")
    got = [(name, tuple(p.shape)) for name, p in pairs]
    expect_equal(got, [("weight", (2, 3)), ("bias", (2,))], "Linear(3, 2) parameters")
    expect(
        isinstance(m.weight, nn.Parameter) and isinstance(m.bias, nn.Parameter),
        "weight and bias must be Parameters",
    )
    expect_equal((m.in_features, m.out_features), (3, 2), "(in_features, out_features)")


@graded("linear", "bias=False keeps a None slot")
def linear_no_bias(nn: Any) -> None:
    m = need(nn, "Linear")(3, 2, bias=False)
    expect(
        m.bias is None, f"Linear(3, 2, bias=False).bias is {type(m.bias).__name__}, expected None"
    )
    expect_equal(
        names_of(m.named_parameters(), "named_parameters()"),
        ["weight"],
        "named_parameters() of Linear(3, 2, bias=False)",
    )
    out = m(Tensor(np.ones((4, 3))))
    expect_close(out, np.ones((4, 3)) @ array(m.weight, "weight").T, "output without bias")


@graded("linear", "forward and backward match numpy")
def linear_forward_backward(nn: Any) -> None:
    m = need(nn, "Linear")(3, 2)
    x_np = np.random.default_rng(0).standard_normal((4, 5, 3)).astype(np.float32)
    x = Tensor(x_np, requires_grad=True)
    y = m(x)
    w, b = array(m.weight, "weight").astype(np.float64), array(m.bias, "bias").astype(np.float64)
    expect_close(y, x_np @ w.T + b, "Linear(3, 2) on a (4, 5, 3) batch (x @ W.T + b)")
    g = np.random.default_rng(1).standard_normal((4, 5, 2))
    (y * Tensor(g.astype(np.float32))).sum().backward()
    expect_close(m.weight.grad, g.reshape(-1, 2).T @ x_np.reshape(-1, 3), "weight.grad", atol=1e-4)
    expect_close(m.bias.grad, g.sum(axis=(0, 1)), "bias.grad", atol=1e-4)
    expect_close(x.grad, g @ w, "input grad", atol=1e-4)


@graded("linear", "reset_parameters draws U(-1/sqrt(in), 1/sqrt(in))")
def linear_init(nn: Any) -> None:
    m = need(nn, "Linear")(64, 48)
    bound = 1 / math.sqrt(64)
    for name, p in (("weight", m.weight), ("bias", m.bias)):
        values = array(p, name)
        expect(
            values.min() >= -bound - 1e-7 and values.max() <= bound + 1e-7,
            f"{name} has values in [{values.min():.3f}, {values.max():.3f}], outside "
            f"[-{bound:.3f}, {bound:.3f}]",
        )
    values = array(m.weight, "weight")
    spread = float(values.std()) / (bound / math.sqrt(3))
    expect(
        0.9 < spread < 1.1,
        f"weight std is {spread:.2f} x that of U(-b, b), expected 1 "
        "(not uniform over the whole range?)",
    )
    expect(len(np.unique(values)) > 1000, "weight values are not random")


@graded("linear", "extra_repr")
def linear_repr(nn: Any) -> None:
    text_difference(
        repr(need(nn, "Linear")(3, 2, bias=False)),
        "Linear(in_features=3, out_features=2, bias=False)",
        "repr(Linear(3, 2, bias=False))",
    )


_X = np.linspace(-3, 3, 7)


@graded("tanh", "forward is tanh")
def tanh_forward(nn: Any) -> None:
    expect_close(need(nn, "Tanh")()(Tensor(_X.copy())), np.tanh(_X), "Tanh()(x)", atol=1e-6)


@graded("tanh", "backward is 1 - tanh^2")
def tanh_backward(nn: Any) -> None:
    x = Tensor(_X.copy(), requires_grad=True)
    need(nn, "Tanh")()(x).sum().backward()
    expect_close(x.grad, 1 - np.tanh(_X) ** 2, "x.grad of Tanh()(x).sum()", atol=1e-6)


@graded("tanh", "repr 'Tanh()'")
def tanh_repr(nn: Any) -> None:
    text_difference(repr(need(nn, "Tanh")()), "Tanh()", "repr(Tanh())")
