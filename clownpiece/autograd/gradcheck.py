"""Finite-difference gradient check in float64."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..tensor import Tensor


def gradcheck(
    fn: Callable,
    inputs: Sequence,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    raise_exception: bool = True,
) -> bool:
    """Compare autograd's gradients of `fn(*inputs)` with central differences.

    Inputs are float64 Tensors; those with `requires_grad` are checked. The output may be
    any shape: it is reduced against a fixed random weighting so every element counts.
    """
    checked = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    for t in checked:
        if t.dtype != np.float64:
            raise TypeError(f"gradcheck needs float64 inputs, got {t.dtype}")
    for t in checked:
        t.data = t.numpy().copy()  # own storage, so nudging an element moves only this input
    out = fn(*inputs)
    weights = np.random.default_rng(0).standard_normal(out.shape)

    def objective() -> float:
        return float((fn(*inputs).numpy() * weights).sum())

    for t in checked:
        t.grad = None
    (out * Tensor(weights)).sum().backward()
    for position, t in enumerate(checked):
        analytic = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
        numeric = np.zeros(t.shape)
        flat = t.numpy().reshape(-1)
        for i in range(flat.size):
            keep = flat[i]
            flat[i] = keep + eps
            up = objective()
            flat[i] = keep - eps
            down = objective()
            flat[i] = keep
            numeric.reshape(-1)[i] = (up - down) / (2 * eps)
        if not np.allclose(analytic, numeric, atol=atol, rtol=rtol):
            if raise_exception:
                worst = np.abs(analytic - numeric).max()
                raise AssertionError(
                    f"gradcheck: gradient of input {position} (shape {t.shape}) differs from "
                    f"finite differences by up to {worst:.3g}\n"
                    f"analytic:\n{analytic}\nnumeric:\n{numeric}"
                )
            return False
    return True
