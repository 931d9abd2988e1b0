"""The exercise groups: which grader part each belongs to, which chapter asks for it, and what
the student writes for it in `book/student`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Group:
    """One chapter exercise: its checks run on `subject` ("nn", "train" or "function")."""

    name: str
    part: str
    chapter: str
    subject: str
    task: str
    checks: list = field(default_factory=list, compare=False)


PARTS: dict[str, str] = {
    "part1": "Module core: registration, iterators, state_dict, repr, forward (nn/module.py)",
    "part2": "Linear and Tanh (nn/layers.py, nn/activations.py)",
    "part3": "init (nn/init.py)",
    "part4": "activations, containers, layers and losses (nn/*.py)",
    "part5": "training loop helpers (train.py)",
}

_MODULE = "nn/module.py: Module."
GROUPS: dict[str, Group] = {
    g.name: g
    for g in [
        Group("function", "", "1", "function", "a Function subclass written in the notebook"),
        Group(
            "registration",
            "part1",
            "2",
            "nn",
            _MODULE + "__init__, __setattr__, __getattr__, register_parameter, "
            "register_buffer, register_modules, parameters, named_parameters, buffers, "
            "named_buffers, modules, named_modules",
        ),
        Group("modes", "part1", "2", "nn", _MODULE + "train, eval, zero_grad"),
        Group("state_dict", "part1", "3", "nn", _MODULE + "state_dict, load_state_dict"),
        Group("repr", "part1", "4", "nn", _MODULE + "__repr__ (extra_repr)"),
        Group(
            "forward",
            "part1",
            "4",
            "nn",
            _MODULE + "__call__, register_forward_pre_hook, register_forward_hook "
            "(and RemovableHandle)",
        ),
        Group("init", "part3", "5", "nn", "nn/init.py: every function"),
        Group(
            "linear",
            "part2",
            "6",
            "nn",
            "nn/layers.py: Linear.__init__, reset_parameters, forward, extra_repr",
        ),
        Group("tanh", "part2", "6", "nn", "nn/activations.py: Tanh"),
        Group(
            "activations", "part4", "7", "nn", "nn/activations.py: Sigmoid, ReLU, LeakyReLU, GELU"
        ),
        Group(
            "containers", "part4", "7", "nn", "nn/containers.py: Sequential, ModuleList, ModuleDict"
        ),
        Group("embedding", "part4", "7", "nn", "nn/layers.py: Embedding"),
        Group("layernorm", "part4", "7", "nn", "nn/layers.py: LayerNorm"),
        Group("batchnorm", "part4", "7", "nn", "nn/layers.py: BatchNorm"),
        Group("attention", "part4", "7", "nn", "nn/layers.py: MultiheadAttention"),
        Group("losses", "part4", "7", "nn", "nn/loss.py: MSELoss, CrossEntropyLoss"),
        Group("sgd_step", "part5", "8a", "train", "train.py: sgd_step"),
        Group("accuracy", "part5", "8b", "train", "train.py: accuracy"),
    ]
}


def graded(group: str, name: str) -> Callable:
    """Register the decorated function as the check `name` of `group` (in definition order)."""

    def register(fn: Callable) -> Callable:
        GROUPS[group].checks.append((name, fn))
        return fn

    return register


def groups_of(selection: str) -> list[Group]:
    """The groups a name selects: a group name, or a part name (all its groups, in order)."""
    if selection in GROUPS:
        return [GROUPS[selection]]
    if selection in PARTS:
        return [g for g in GROUPS.values() if g.part == selection]
    raise KeyError(
        f"unknown exercise group or part {selection!r}; groups: {', '.join(GROUPS)}; "
        f"parts: {', '.join(PARTS)}"
    )
