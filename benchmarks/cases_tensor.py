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


def graph_memory(retain_graph: bool = False) -> dict:
    """What the autograd graph keeps alive around backward(), in KiB (tracemalloc).

    One MLP step 784-256-10, batch 128: memory held after the forward pass, the peak during
    backward(), what is still held after it while `loss` is alive (the graph, plus the
    gradients), and after `del loss` (the gradients alone).
    """
    import gc
    import tracemalloc

    from clownpiece import nn

    rng = np.random.default_rng(0)
    x = cp.Tensor(rng.standard_normal((128, 784)).astype(np.float32))
    y = cp.Tensor(rng.integers(0, 10, 128), dtype=cp.int64)
    cp.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))
    loss_fn = nn.CrossEntropyLoss()
    loss_fn(model(x), y).backward()  # warm up, then measure a step from zeroed gradients
    model.zero_grad(set_to_none=True)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    loss = loss_fn(model(x), y)
    after_forward = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.reset_peak()
    loss.backward(retain_graph=retain_graph)
    peak_backward = tracemalloc.get_traced_memory()[1] - base
    after_backward = tracemalloc.get_traced_memory()[0] - base
    del loss
    gc.collect()
    gradients_only = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    return {
        "after forward": after_forward / 1024,
        "peak in backward": peak_backward / 1024,
        "after backward (loss alive)": after_backward / 1024,
        "after del loss": gradients_only / 1024,
    }


if __name__ == "__main__":  # python -m benchmarks.cases_tensor
    for retain in (False, True):
        row = ", ".join(f"{k} {v:.0f}" for k, v in graph_memory(retain).items())
        print(f"graph memory KiB, retain_graph={retain}: {row}")
