"""Loss functions: MSELoss and CrossEntropyLoss (class dimension last, as in the course)."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from . import functional as F
from .arguments import expect_tensor
from .indices import integer_indices
from .module import Module


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in F.REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__}: reduction must be one of {F.REDUCTIONS}, got {reduction!r}"
            )
        self.reduction = reduction


class MSELoss(_Loss):
    """Mean squared error between a prediction and a target of the same shape."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        expect_tensor(self, input)
        expect_tensor(self, target, "target")
        if tuple(input.shape) != tuple(target.shape):
            raise ValueError(
                f"MSELoss: input shape {tuple(input.shape)} and target shape "
                f"{tuple(target.shape)} must match"
            )
        return F.mse_loss(input, target, reduction=self.reduction)


class CrossEntropyLoss(_Loss):
    """Cross-entropy of logits (..., C) against integer class targets (...), via log-sum-exp."""

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        expect_tensor(self, logits)
        expect_tensor(self, target, "target")
        classes = class_indices(logits, target)  # checked here so errors name this module
        return F.cross_entropy_of_classes(logits, classes, self.reduction)


def class_indices(logits: Tensor, target: Tensor) -> np.ndarray:
    """Validate cross-entropy targets and return them as an int64 array."""
    if logits.ndim < 1:
        raise ValueError("CrossEntropyLoss: logits need a class dimension (last), got a scalar")
    if tuple(target.shape) != tuple(logits.shape[:-1]):
        raise ValueError(
            f"CrossEntropyLoss: logits of shape {tuple(logits.shape)} (classes last) need targets "
            f"of shape {tuple(logits.shape[:-1])}, got {tuple(target.shape)}"
        )
    return integer_indices(target, logits.shape[-1], "CrossEntropyLoss", "target")
