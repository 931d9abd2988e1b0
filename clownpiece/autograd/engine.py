"""Reverse-mode differentiation: the graph node and the backward pass over it."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..tensor import Tensor


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
    push, pop, finish, visit = stack.append, stack.pop, order.append, visited.add
    while stack:
        node, expanded = pop()
        if expanded:
            finish(node)
        elif node not in visited:
            visit(node)
            push((node, True))
            for tensor in node.inputs:
                if tensor is not None:
                    fn = tensor.grad_fn
                    if fn is not None and fn not in visited:
                        push((fn, False))
    order.reverse()
    return order


def run_backward(root, gradient: np.ndarray) -> None:
    """Propagate `gradient` from tensor `root` to every leaf that requires grad."""
    # Arrays a leaf's .grad may adopt without a copy are fresh ones that no other leaf
    # holds yet; the caller's own `gradient` is never adopted.
    claimed = {id(_owner(gradient))}
    if root.grad_fn is None:
        _accumulate(root, gradient, claimed)
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
                _accumulate(tensor, input_grad, claimed)
            else:
                previous = pending.get(fn)
                pending[fn] = input_grad if previous is None else previous + input_grad


def _owner(array: np.ndarray) -> np.ndarray:
    """The array that owns `array`'s memory (numpy keeps views pointing at the owner)."""
    return array if array.base is None else array.base


def _accumulate(leaf, grad: np.ndarray, claimed: set) -> None:
    """Add `grad` into `leaf.grad` (gradients of leaves accumulate across backward calls)."""
    data = leaf._data
    if grad.shape != data.shape:
        grad = np.broadcast_to(grad, data.shape)
    if leaf.grad is not None:
        # out of place: the old array may be adopted, and still pending for another node
        total = leaf.grad._data + grad
        leaf.grad._data = total if total.dtype == data.dtype else total.astype(data.dtype)
        return
    owner = _owner(grad)
    adoptable = (
        grad.dtype == data.dtype
        and grad.flags.c_contiguous
        and grad.flags.writeable
        and isinstance(owner, np.ndarray)
        and owner.size == grad.size
        and id(owner) not in claimed
    )
    if adoptable:
        claimed.add(id(owner))
    else:
        grad = np.array(grad, dtype=data.dtype)
    leaf.grad = Tensor._wrap(grad)
