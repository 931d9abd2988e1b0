"""Behavioural checks for a hand-written `Function` (the exercise of the book's chapter 1).

`check_function(MyFunction, reference)` runs a few named sub-checks on `MyFunction.apply`,
each one isolated (an exception fails that row only), prints a pass/fail table and returns
a `CheckReport` that is truthy only when every row passed. The checks draw their
inputs from their own fixed generator, so they never disturb `clownpiece.manual_seed`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..checking import CheckReport
from ..tensor import Tensor
from .function import Function
from .gradcheck import gradcheck


def _close(actual, expected, what: str, atol: float, rtol: float) -> None:
    """Raise AssertionError unless tensor `actual` matches `expected` in shape and value."""
    if not isinstance(actual, Tensor):
        raise AssertionError(f"{what} is {type(actual).__name__}, expected a Tensor")
    a, e = np.asarray(actual._data), np.asarray(expected._data)
    if a.shape != e.shape:
        raise AssertionError(f"{what} has shape {a.shape}, expected {e.shape}")
    if not np.allclose(a, e, atol=atol, rtol=rtol):
        worst = float(np.abs(a.astype(np.float64) - e).max())
        raise AssertionError(f"{what} differs from the reference by up to {worst:.3g}")


def _forward_values(apply, reference, rng) -> None:
    x = np.concatenate([np.linspace(-4, 4, 9), rng.standard_normal(7)]).astype(np.float32)
    _close(apply(Tensor(x)), reference(Tensor(x)), "output", atol=1e-5, rtol=1e-4)


def _finite_differences(apply, reference, rng) -> None:
    x = Tensor(rng.standard_normal((3, 4)), requires_grad=True, dtype=np.float64)
    out = apply(x)
    if not isinstance(out, Tensor) or out.grad_fn is None:
        raise AssertionError("output of an input that requires grad has no grad_fn")
    out.sum().backward()
    if x.grad is None:
        raise AssertionError("backward gave no gradient for the input (did it return None?)")
    if not gradcheck(apply, [x], raise_exception=False):
        raise AssertionError("backward disagrees with finite differences (gradcheck)")


def _gradients(expression, x_data, w_data):
    """Values and gradients of `expression(x, w)` for fresh leaves x and w (float64)."""
    x = Tensor(x_data.copy(), requires_grad=True, dtype=np.float64)
    w = Tensor(w_data.copy(), requires_grad=True, dtype=np.float64)
    loss = expression(x, w)
    loss.backward()
    return loss, x.grad, w.grad


def _larger_expression(apply, reference, rng) -> None:
    x_data, w_data = rng.standard_normal(5), rng.standard_normal(5)

    def expression(op):
        # op is used twice on related inputs, and its output feeds further ops
        return lambda x, w: (op(x * w + 0.5) * x + op(2 * x)).sum()

    loss, gx, gw = _gradients(expression(apply), x_data, w_data)
    ref_loss, ref_gx, ref_gw = _gradients(expression(reference), x_data, w_data)
    _close(loss, ref_loss, "value", atol=1e-8, rtol=1e-6)
    _close(gx, ref_gx, "gradient of x", atol=1e-8, rtol=1e-6)
    _close(gw, ref_gw, "gradient of w", atol=1e-8, rtol=1e-6)


def _batch_shape(apply, reference, rng) -> None:
    data = rng.standard_normal((2, 3, 4)).astype(np.float32)
    weights = Tensor(rng.standard_normal((2, 3, 4)).astype(np.float32))
    grads = []
    for op in (apply, reference):
        x = Tensor(data.copy(), requires_grad=True)
        out = op(x)
        if op is apply:
            _close(out, reference(Tensor(data)), "output", atol=1e-5, rtol=1e-4)
        (out * weights).sum().backward()
        grads.append(x.grad)
    _close(grads[0], grads[1], "gradient", atol=1e-5, rtol=1e-4)


_CHECKS = (
    ("forward values", _forward_values),
    ("backward vs finite differences", _finite_differences),
    ("inside a larger expression", _larger_expression),
    ("batch of shape (2, 3, 4)", _batch_shape),
)


def check_function(
    fn_cls: type, reference: Callable, name: str | None = None, verbose: bool = True
) -> CheckReport:
    """Check the `Function` subclass `fn_cls` against `reference` (a Tensor -> Tensor callable).

    Sub-checks: forward values on a fixed input; backward against finite differences
    (`gradcheck`, float64); gradients inside a larger expression that uses the op twice;
    a batched (2, 3, 4) input. Prints the table when `verbose`; returns a `CheckReport`.
    """
    name = name or getattr(fn_cls, "__name__", repr(fn_cls))
    report = CheckReport(f"check_function({name})")
    if not (isinstance(fn_cls, type) and issubclass(fn_cls, Function)):
        report.results.append(
            ("is a Function subclass", False, f"{name} is not a subclass of Function")
        )
    else:
        for index, (label, check) in enumerate(_CHECKS):
            rng = np.random.default_rng(index)
            report.run(label, lambda check=check, rng=rng: check(fn_cls.apply, reference, rng))
    if verbose:
        print(report)
    return report


__all__ = ["check_function"]
