"""Reverse-mode differentiation: the graph node and the backward pass over it.

The engine never imports `Tensor`. It works on any object that has `requires_grad`,
`grad_fn` and `accumulate_grad(array)` (the `Differentiable` protocol below), so it sits
below the tensor layer and `tensor.py` imports it, never the other way round.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

GradFn = Callable[[np.ndarray], np.ndarray]


class Differentiable(Protocol):
    """What the engine needs from a tensor."""

    requires_grad: bool
    grad_fn: Node | None

    def accumulate_grad(self, grad: np.ndarray) -> None: ...


Parent = Any  # a Node, a leaf that requires grad (a Differentiable), or None


class Node:
    """One recorded operation: where each input's gradient goes, and how to compute it."""

    __slots__ = ("grad_fns", "name", "parents")

    def __init__(self, parents: Sequence[Parent], grad_fns: Sequence[GradFn], name: str) -> None:
        # per input: the Node that produced it, the leaf itself, or None (no gradient wanted)
        self.parents = parents
        # per input: output gradient -> that input's gradient (closures over forward values);
        # None once a backward pass has freed them
        self.grad_fns: Sequence[GradFn] | None = grad_fns
        self.name = name

    def __repr__(self) -> str:
        camel = "".join(part[:1].upper() + part[1:] for part in self.name.split("_"))
        return f"<{camel}Backward>"


def parent_of(value: Any) -> Parent:
    """Where `value`'s gradient goes: the Node that made it, itself if it is a leaf that
    requires grad, or None (constants, and tensors that want no gradient)."""
    if not getattr(value, "requires_grad", False):
        return None
    return value if value.grad_fn is None else value.grad_fn


def topological_order(root: Node) -> list[Node]:
    """Every node behind `root`, each one placed before the nodes it sends gradient to."""
    order, visited = [], set()
    stack = [(root, False)]  # (node, are its parents already in `order`?)
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            for parent in node.parents:
                if isinstance(parent, Node):
                    stack.append((parent, False))
    order.reverse()
    return order


def run_backward(root: Differentiable, gradient: np.ndarray, retain_graph: bool = False) -> None:
    """Send `gradient` (d root / d root) back through the graph into every leaf's `.grad`.

    Each node's saved values are freed once it has run, unless `retain_graph` is true.
    """
    if root.grad_fn is None:  # the root is itself a leaf
        root.accumulate_grad(gradient)
        return
    pending = {root.grad_fn: gradient}  # node -> gradient of its output, summed over its uses
    for node in topological_order(root.grad_fn):
        grad = pending.pop(node, None)
        if grad is None:  # no gradient reached this node
            continue
        if node.grad_fns is None:
            raise graph_freed_error(node)
        for parent, grad_fn in zip(node.parents, node.grad_fns):
            if parent is None:  # a constant, or a tensor that wants no gradient
                continue
            input_grad = grad_fn(grad)
            if input_grad is None:  # a Function's backward may give None for an input
                continue
            if isinstance(parent, Node):  # an operation: sum the gradients of all its uses
                previous = pending.get(parent)
                pending[parent] = input_grad if previous is None else previous + input_grad
            else:  # a leaf: its .grad collects the gradient
                parent.accumulate_grad(input_grad)
        if not retain_graph:
            node.grad_fns = None  # free the closures, and every value they saved


def graph_freed_error(node: Node) -> RuntimeError:
    """The error for a second backward pass through a node whose saved values are gone."""
    return RuntimeError(
        f"{node!r}: trying to backward through the graph a second time, but the first "
        "backward() freed the values this node saved. Call backward(retain_graph=True) the "
        "first time if you need to backward through the same graph again."
    )
