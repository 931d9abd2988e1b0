"""Tensor-layer cases: the cost of autograd bookkeeping on tiny tensors."""

from __future__ import annotations

import numpy as np

import clownpiece as cp

from .harness import Case, torch

STEPS = 100


def chain_case() -> Case:
    """y = tanh(1.01 * y + 0.1), 100 steps on a (64,) float32 tensor, forward + backward."""
    start = np.linspace(-1, 1, 64, dtype=np.float32)

    def ours():
        x = cp.Tensor(start, requires_grad=True)
        y = x
        for _ in range(STEPS):
            y = (1.01 * y + 0.1).tanh()
        y.sum().backward()
        return x.grad

    def numpy_by_hand():
        ys = [start]
        y = start
        for _ in range(STEPS):
            y = np.tanh(np.float32(1.01) * y + np.float32(0.1))
            ys.append(y)
        g = np.ones_like(start)
        for k in range(STEPS, 0, -1):
            g = g * (1 - ys[k] * ys[k]) * np.float32(1.01)
        return g

    def pytorch():
        x = torch.tensor(start, requires_grad=True)
        y = x
        for _ in range(STEPS):
            y = (1.01 * y + 0.1).tanh()
        y.sum().backward()
        return x.grad

    return Case(
        "autograd chain (100 steps, (64,))",
        {"clownpiece": ours, "numpy": numpy_by_hand, "pytorch": pytorch if torch else None},
        targets={"pytorch": 2.0},
    )


def cases() -> list:
    return [chain_case()]
