"""Your losses (course Part 4). `reduction` is "mean" (the default), "sum" or "none"
(one loss per sample)."""

from __future__ import annotations

from clownpiece import Tensor

from .module import Module


class MSELoss(Module):
    """The squared error (input - target)^2, reduced over every element."""

    def __init__(self, reduction: str = "mean") -> None:
        pass

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        pass


class CrossEntropyLoss(Module):
    """-log softmax(logits)[target] for logits (..., C), the classes in the LAST dim, and
    integer targets (...). Subtract each row's max before exponentiating, so that logits of
    any size give a finite loss."""

    def __init__(self, reduction: str = "mean") -> None:
        pass

    def forward(self, logits: Tensor, target: Tensor) -> Tensor:
        pass
