"""Part 5 checks, the training-loop helpers of chapters 8a and 8b (`train.py`): `sgd_step`
and `accuracy`. The models they run on come from `clownpiece.nn`, so these checks do not
depend on the student's nn package."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import nn as reference
from ..autograd import is_grad_enabled
from ..tensor import Tensor
from .catalog import graded
from .expect import array, expect, expect_close, need


def _leaves() -> tuple:
    """Two leaves w (2, 3), b (3,) with gradients from the loss sum((x @ w + b)^2)."""
    gen = np.random.default_rng(0)
    w = Tensor(gen.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    b = Tensor(gen.standard_normal(3).astype(np.float32), requires_grad=True)
    x = Tensor(gen.standard_normal((4, 2)).astype(np.float32))
    y = x @ w + b
    (y * y).sum().backward()
    return w, b


@graded("sgd_step", "sgd_step: p <- p - lr * p.grad")
def sgd_values(train: Any) -> None:
    w, b = _leaves()
    want = [p.numpy() - 0.1 * p.grad.numpy() for p in (w, b)]
    need(train, "sgd_step")([w, b], 0.1)
    expect_close(w, want[0], "w after sgd_step([w, b], lr=0.1)")
    expect_close(b, want[1], "b after sgd_step([w, b], lr=0.1)")


@graded("sgd_step", "sgd_step: clears the gradients")
def sgd_clears(train: Any) -> None:
    w, b = _leaves()
    need(train, "sgd_step")([w, b], 0.1)
    for name, p in (("w", w), ("b", b)):
        expect(
            p.grad is None or not np.any(array(p.grad, f"{name}.grad")),
            f"{name}.grad still holds the gradient after sgd_step (clear it: p.grad = None)",
        )


@graded("sgd_step", "sgd_step: in place, parameters stay leaves")
def sgd_in_place(train: Any) -> None:
    w, b = _leaves()
    storage = w.numpy()
    need(train, "sgd_step")([w, b], 0.1)
    expect(
        w.grad_fn is None and w.requires_grad,
        "w is no longer a leaf that requires grad (update it under no_grad)",
    )
    expect(
        np.shares_memory(w.numpy(), storage),
        "sgd_step replaced w's storage (update in place: p -= lr * p.grad)",
    )


@graded("sgd_step", "sgd_step: skips parameters without a gradient")
def sgd_skips(train: Any) -> None:
    w, b = _leaves()
    frozen = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    need(train, "sgd_step")([w, frozen, b], 0.1)
    expect(np.all(array(frozen, "frozen") == 1.0), "a parameter without a gradient changed")


@graded("sgd_step", "sgd_step: works on model.parameters() (a generator)")
def sgd_generator(train: Any) -> None:
    model = reference.Sequential(reference.Linear(3, 4), reference.Tanh(), reference.Linear(4, 1))
    x = Tensor(np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32))
    (model(x) * model(x)).sum().backward()
    params = list(model.parameters())
    assert all(p.grad is not None for p in params)
    before = [(p.numpy().copy(), p.grad.numpy().copy()) for p in params if p.grad is not None]
    need(train, "sgd_step")(model.parameters(), 0.5)
    for (old, grad), p in zip(before, model.parameters()):
        expect_close(p, old - 0.5 * grad, "a parameter after sgd_step(model.parameters(), 0.5)")
        expect(
            p.grad is None or not np.any(p.grad.numpy()),
            "gradients not cleared when given a generator (iterate over it only once)",
        )


class _Logits(reference.Module):
    """A 'model' whose logits are its input; it records the mode and grad mode it ran in."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = reference.Identity()
        self.seen: list = []

    def forward(self, x: Tensor) -> Tensor:
        self.seen.append((self.training, self.inner.training, is_grad_enabled()))
        return self.inner(x)


def _batches() -> list:
    """Batches of 4, 4 and 2 samples with 4, 2 and 0 correct predictions (6 of 10 overall)."""
    gen = np.random.default_rng(2)
    out = []
    for size, correct in ((4, 4), (4, 2), (2, 0)):
        logits = gen.standard_normal((size, 3)).astype(np.float32)
        best = logits.argmax(-1)
        labels = np.where(np.arange(size) < correct, best, (best + 1) % 3)
        out.append((Tensor(logits), Tensor(labels.astype(np.int64))))
    return out


def _accuracy(train: Any, model: Any, batches: Any) -> float:
    got = need(train, "accuracy")(model, batches)
    expect(
        isinstance(got, (int, float, np.floating)),
        f"accuracy returned {type(got).__name__}, expected a float",
    )
    return float(got)


@graded("accuracy", "accuracy: fraction correct over all samples")
def accuracy_value(train: Any) -> None:
    got = _accuracy(train, _Logits(), _batches())
    expect(
        abs(got - 0.6) < 1e-9,
        f"accuracy is {got:.4g}, expected 0.6 (6 of 10 samples; the "
        "mean of per-batch accuracies would be 0.5)",
    )


@graded("accuracy", "accuracy: accepts a generator of batches")
def accuracy_generator(train: Any) -> None:
    got = _accuracy(train, _Logits(), (pair for pair in _batches()))
    expect(abs(got - 0.6) < 1e-9, f"accuracy of a generator of batches is {got:.4g}, expected 0.6")


@graded("accuracy", "accuracy: runs the model in eval mode")
def accuracy_eval(train: Any) -> None:
    model = _Logits()
    _accuracy(train, model, _batches())
    expect(len(model.seen) == 3, f"the model ran {len(model.seen)} times for 3 batches")
    expect(
        all(not mode and not inner for mode, inner, _ in model.seen),
        "the model (and its children) were in training mode: call model.eval() first",
    )


@graded("accuracy", "accuracy: runs under no_grad")
def accuracy_no_grad(train: Any) -> None:
    model = _Logits()
    _accuracy(train, model, _batches())
    expect(
        model.seen and all(not grad for _, _, grad in model.seen),
        "the model ran with gradients enabled: evaluate under `with no_grad():`",
    )
