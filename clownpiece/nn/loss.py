"""Loss functions: MSELoss and CrossEntropyLoss (class dimension last, as in the course)."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .functional import _cross_entropy_terms as cross_entropy
from .indices import integer_indices
from .module import Module

REDUCTIONS = ("mean", "sum", "none")


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__}: reduction must be one of {REDUCTIONS}, got {reduction!r}"
            )
        self.reduction = reduction

    def _reduce(self, losses: Tensor) -> Tensor:
        if self.reduction == "mean":
            return losses.mean()
        if self.reduction == "sum":
            return losses.sum()
        return losses


class MSELoss(_Loss):
    """Mean squared error between a prediction and a target of the same shape."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        if tuple(input.shape) != tuple(np.shape(target)):
            raise ValueError(
                f"MSELoss: input shape {tuple(input.shape)} and target shape "
                f"{tuple(np.shape(target))} must match"
            )
        diff = input - target
        return self._reduce(diff * diff)


class CrossEntropyLoss(_Loss):
    """Cross-entropy of logits (..., C) against integer class targets (...), via log-sum-exp."""

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        return self._reduce(cross_entropy(logits, class_indices(logits, target)))


def class_indices(logits: Tensor, target) -> np.ndarray:
    """Validate cross-entropy targets and return them as an int64 array."""
    if logits.ndim < 1:
        raise ValueError("CrossEntropyLoss: logits need a class dimension (last), got a scalar")
    values = np.asarray(target._data if isinstance(target, Tensor) else target)
    if values.shape != tuple(logits.shape[:-1]):
        raise ValueError(
            f"CrossEntropyLoss: logits of shape {tuple(logits.shape)} (classes last) need targets "
            f"of shape {tuple(logits.shape[:-1])}, got {values.shape}"
        )
    return integer_indices(values, logits.shape[-1], "CrossEntropyLoss", "target")
