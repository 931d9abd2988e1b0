"""Your training-loop helpers (chapters 8a and 8b). They work on any model, whichever nn
package built it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from clownpiece import Tensor, no_grad  # noqa: F401  (you will need no_grad)


def sgd_step(parameters: Iterable[Tensor], lr: float) -> None:
    """One step of plain gradient descent on `parameters` (any iterable, e.g. the generator
    `model.parameters()`, so go through it only once): for each parameter that has a
    gradient, p <- p - lr * p.grad, in place and without recording a graph; then clear its
    gradient (p.grad = None) so the next backward starts from zero."""
    pass


def accuracy(model: Any, batches: Iterable[tuple[Tensor, Tensor]]) -> float:
    """The fraction of samples, over all the (inputs, labels) batches, whose largest logit
    (last dim of model(inputs)) is at their label. Put the model in evaluation mode and
    run it without recording a graph."""
    pass
