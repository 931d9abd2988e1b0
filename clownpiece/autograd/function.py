"""`Function`: the extension point for writing a new differentiable op in Tensors."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import GradFn, Node, parent_of
from ..grad_mode import is_grad_enabled, no_grad
from ..tensor import Tensor


class Context:
    """Scratch space shared by one op's forward and backward."""

    def __init__(self) -> None:
        self.saved_tensors: tuple = ()

    def save_for_backward(self, *tensors: Any) -> None:
        self.saved_tensors = tensors


class Function:
    """Subclass with static `forward(ctx, *args)` and `backward(ctx, *grads)`; call `apply`.

    `forward` runs without recording; `backward` receives the output's gradient as a
    Tensor and returns one gradient (Tensor or None) per positional input of `forward`.
    """

    @staticmethod
    def forward(ctx: Context, *args: Any, **kwargs: Any) -> Tensor:
        raise NotImplementedError("Function subclasses must implement forward(ctx, *args)")

    @staticmethod
    def backward(ctx: Context, *grad_outputs: Tensor) -> Any:
        raise NotImplementedError("Function subclasses must implement backward(ctx, *grads)")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Tensor:
        ctx = Context()
        with no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        if not isinstance(out, Tensor):
            raise TypeError(
                f"{cls.__name__}.forward must return a Tensor, got {type(out).__name__}"
            )
        parents = [parent_of(a) for a in args]
        if is_grad_enabled() and any(parent is not None for parent in parents):
            if any(out is a for a in args):
                out = out.detach()  # never rewire an input's own graph
            out.requires_grad = True
            out.grad_fn = Node(parents, grad_fn_per_input(cls, ctx, len(args)), cls.__name__)
        return out


def grad_fn_per_input(function: type[Function], ctx: Context, count: int) -> list[GradFn]:
    """The node's closures, one per input, sharing one call of `function.backward`.

    The engine asks each input of a node for its gradient in turn, with the same upstream
    gradient: the first ask runs the user's backward, the others take their share of it.
    """
    shares: dict[int, Any] = {}  # input index -> its gradient from the last call, not yet taken

    def grad_fn(i: int) -> GradFn:
        def input_grad(grad: np.ndarray) -> Any:
            if i not in shares:  # a new pass: one call of the user's backward for all inputs
                shares.clear()
                shares.update(enumerate(call_backward(function, ctx, grad, count)))
            return shares.pop(i)

        return input_grad

    return [grad_fn(i) for i in range(count)]


def call_backward(function: type[Function], ctx: Context, grad: np.ndarray, count: int) -> list:
    """`function.backward(ctx, grad)` checked to give one gradient (or None) per input."""
    grads = function.backward(ctx, Tensor(grad))
    if not isinstance(grads, tuple):
        grads = (grads,)
    if len(grads) != count:
        raise RuntimeError(
            f"{function.__name__}.backward returned {len(grads)} gradient(s) "
            f"but forward took {count} input(s)"
        )
    return [None if g is None else np.asarray(g) for g in grads]
