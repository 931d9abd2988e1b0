"""Chapter 1's exercise: a hand-written autograd `Function` (for example Sigmoid), checked
against a reference op: forward values, backward against finite differences (float64), use
inside a larger expression, and a batched input. The subject is a `Namespace` holding
`function` (the Function subclass) and `reference` (a Tensor -> Tensor callable)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..autograd import gradcheck
from ..tensor import Tensor
from .catalog import graded
from .expect import expect, expect_close


def _close(actual: Any, expected: Tensor, what: str, atol: float, rtol: float) -> None:
    expect_close(actual, expected.numpy(), what, atol=atol, rtol=rtol)


@graded("function", "forward values")
def forward_values(ns: Any) -> None:
    rng = np.random.default_rng(0)
    x = np.concatenate([np.linspace(-4, 4, 9), rng.standard_normal(7)]).astype(np.float32)
    _close(
        ns.function.apply(Tensor(x.copy())), ns.reference(Tensor(x.copy())), "output", 1e-5, 1e-4
    )


@graded("function", "backward vs finite differences")
def finite_differences(ns: Any) -> None:
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True, dtype=np.float64)
    out = ns.function.apply(x)
    expect(isinstance(out, Tensor), f"forward returned {type(out).__name__}, expected a Tensor")
    expect(out.grad_fn is not None, "the output of an input that requires grad has no grad_fn")
    out.sum().backward()
    expect(x.grad is not None, "backward gave no gradient for the input (did it return None?)")
    expect(
        gradcheck(ns.function.apply, [x], raise_exception=False),
        "backward disagrees with finite differences (gradcheck)",
    )


def _gradients(op: Any, x_data: np.ndarray, w_data: np.ndarray) -> tuple:
    """Value and gradients of sum(op(x * w + 0.5) * x + op(2 x)) for fresh float64 leaves."""
    x = Tensor(x_data.copy(), requires_grad=True, dtype=np.float64)
    w = Tensor(w_data.copy(), requires_grad=True, dtype=np.float64)
    loss = (op(x * w + 0.5) * x + op(2 * x)).sum()
    loss.backward()
    return loss, x.grad, w.grad


@graded("function", "inside a larger expression")
def larger_expression(ns: Any) -> None:
    rng = np.random.default_rng(2)
    x_data, w_data = rng.standard_normal(5), rng.standard_normal(5)
    loss, gx, gw = _gradients(ns.function.apply, x_data, w_data)
    ref_loss, ref_gx, ref_gw = _gradients(ns.reference, x_data, w_data)
    _close(loss, ref_loss, "value", 1e-8, 1e-6)
    _close(gx, ref_gx, "gradient of x", 1e-8, 1e-6)
    _close(gw, ref_gw, "gradient of w", 1e-8, 1e-6)


@graded("function", "batch of shape (2, 3, 4)")
def batch_shape(ns: Any) -> None:
    rng = np.random.default_rng(3)
    data = rng.standard_normal((2, 3, 4)).astype(np.float32)
    weights = rng.standard_normal((2, 3, 4)).astype(np.float32)
    grads = []
    for op in (ns.function.apply, ns.reference):
        x = Tensor(data.copy(), requires_grad=True)
        out = op(x)
        if op is not ns.reference:
            _close(out, ns.reference(Tensor(data.copy())), "output", 1e-5, 1e-4)
        (out * Tensor(weights.copy())).sum().backward()
        assert x.grad is not None, "backward() left x.grad at None"
        grads.append(x.grad)
    _close(grads[0], grads[1], "gradient", 1e-5, 1e-4)
