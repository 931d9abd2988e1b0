"""The reference answers to `book/student/train.py` (what `--impl reference` grades in part5)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..autograd import no_grad
from ..tensor import Tensor


def sgd_step(parameters: Iterable[Tensor], lr: float) -> None:
    """One step of gradient descent: p -= lr * p.grad for each parameter with a gradient, in
    place and unrecorded, then clear the gradients so the next backward starts from zero."""
    with no_grad():
        for p in parameters:
            if p.grad is not None:
                p -= lr * p.grad
                p.grad = None


def accuracy(model: Any, batches: Iterable[tuple[Tensor, Tensor]]) -> float:
    """The fraction of samples whose largest logit is at their label, over every batch, with
    the model in evaluation mode and no graph recorded."""
    model.eval()
    correct, total = 0, 0
    with no_grad():
        for x, labels in batches:
            predictions = model(x).argmax(-1)
            correct += int((predictions == labels).float().sum().item())
            total += labels.shape[0]
    return correct / total
