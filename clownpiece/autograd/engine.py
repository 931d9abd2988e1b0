"""Reverse-mode differentiation: the graph node and the backward pass over it."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


class Node:
    """One recorded operation: how to turn the output's gradient into its inputs' gradients."""

    __slots__ = ("backward", "inputs", "name")

    def __init__(self, backward: Callable, inputs: tuple, name: str) -> None:
        self.backward = backward  # grad of output (ndarray) -> tuple of grads, one per input
        self.inputs = inputs  # the input Tensors, None where an input is a constant
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}Backward>"


def _topological_order(root: Node) -> list:
    """Nodes ordered so that each comes before every node it feeds gradient into."""
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        for tensor in node.inputs:
            if tensor is not None and tensor.grad_fn is not None and tensor.grad_fn not in visited:
                stack.append((tensor.grad_fn, False))
    order.reverse()
    return order


def run_backward(root, gradient: np.ndarray) -> None:
    """Propagate `gradient` from tensor `root` to every leaf that requires grad."""
    from ..tensor import Tensor

    if root.grad_fn is None:
        _accumulate(root, gradient, Tensor)
        return
    pending = {root.grad_fn: gradient}
    for node in _topological_order(root.grad_fn):
        grad = pending.pop(node, None)
        if grad is None:
            continue
        for tensor, input_grad in zip(node.inputs, node.backward(grad)):
            if tensor is None or input_grad is None or not tensor.requires_grad:
                continue
            fn = tensor.grad_fn
            if fn is None:
                _accumulate(tensor, input_grad, Tensor)
            else:
                previous = pending.get(fn)
                pending[fn] = input_grad if previous is None else previous + input_grad


def _accumulate(leaf, grad: np.ndarray, tensor_cls) -> None:
    """Add `grad` into `leaf.grad` (gradients of leaves accumulate across backward calls)."""
    if grad.shape != leaf._data.shape:
        grad = np.broadcast_to(grad, leaf._data.shape)
    if leaf.grad is None:
        leaf.grad = tensor_cls._wrap(np.array(grad, dtype=leaf._data.dtype))
    else:
        total = leaf.grad._data + grad
        # .grad keeps the leaf's dtype (a float64 upstream must not promote a float32 grad)
        leaf.grad._data = total if total.dtype == leaf._data.dtype else total.astype(leaf._data.dtype)
