"""`Function`: the extension point for writing a new differentiable op in Tensors."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from . import grad_mode
from .engine import Node


class Context:
    """Scratch space shared by one op's forward and backward."""

    def __init__(self) -> None:
        self.saved_tensors: tuple = ()

    def save_for_backward(self, *tensors) -> None:
        self.saved_tensors = tensors


class Function:
    """Subclass with static `forward(ctx, *args)` and `backward(ctx, *grads)`; call `apply`.

    `forward` runs without recording; `backward` receives the output's gradient as a
    Tensor and returns one gradient (Tensor or None) per positional input of `forward`.
    """

    @staticmethod
    def forward(ctx: Context, *args: Any, **kwargs: Any):
        raise NotImplementedError("Function subclasses must implement forward(ctx, *args)")

    @staticmethod
    def backward(ctx: Context, *grad_outputs):
        raise NotImplementedError("Function subclasses must implement backward(ctx, *grads)")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any):
        ctx = Context()
        with grad_mode.no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        if not isinstance(out, Tensor):
            raise TypeError(f"{cls.__name__}.forward must return a Tensor, got {type(out).__name__}")
        inputs = tuple(a if isinstance(a, Tensor) else None for a in args)
        if not (grad_mode._enabled and any(t is not None and t.requires_grad for t in inputs)):
            return out
        if any(out is t for t in inputs):
            out = Tensor._wrap(out._data)  # never rewire an input's own graph

        def backward(grad):
            grads = cls.backward(ctx, Tensor._wrap(grad))
            if not isinstance(grads, tuple):
                grads = (grads,)
            if len(grads) != len(inputs):
                raise RuntimeError(
                    f"{cls.__name__}.backward returned {len(grads)} gradient(s) "
                    f"but forward took {len(inputs)} input(s)"
                )
            return tuple(None if g is None else (g._data if isinstance(g, Tensor) else g) for g in grads)

        out.requires_grad = True
        out.grad_fn = Node(backward, inputs, cls.__name__)
        return out
