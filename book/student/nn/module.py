"""Your Module system: Parameter, Buffer and the Module base class (course Part 1).

Replace each `pass` with your code, then re-run the chapter's check cell, or run
`python -m clownpiece.grade part1` from the repository root. Use only `clownpiece`'s tensor
layer here (Tensor, no_grad): this package is the one you are building.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from clownpiece import Tensor
from clownpiece.autograd import no_grad  # noqa: F401  (you will need it in load_state_dict)


class Parameter(Tensor):
    """A Tensor that a Module treats as learnable state: it requires grad by default."""

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        super().__init__(data, requires_grad=requires_grad)


class Buffer(Tensor):
    """A Tensor that a Module saves with its state but never trains (e.g. running averages)."""

    def __init__(self, data: Any) -> None:
        super().__init__(data, requires_grad=False)


class RemovableHandle:
    """What the hook registrations return: `handle.remove()` takes the hook out again."""

    def __init__(self, hooks: dict, key: int) -> None:
        """Remember the registry `hooks` and the key under which the hook was stored."""
        pass

    def remove(self) -> None:
        """Delete the hook from its registry (doing nothing if it is already gone)."""
        pass


class Module:
    """Base class of every layer and model.

    It keeps three registries of what belongs directly to this module, by attribute name:
    `_parameters` (name -> Parameter or None), `_buffers` (name -> Buffer or None) and
    `_modules` (name -> child Module or None). Assigning an attribute files the value in the
    right registry, and every other method walks these registries.
    """

    # ------------------------------------------------------------------ chapter 2: registration
    def __init__(self) -> None:
        """Create the three empty registries, the `training` flag (True) and two empty
        registries of forward hooks.

        Hint: your own `__setattr__` runs for these assignments too; write through
        `self.__dict__` (or `object.__setattr__`) to put them in place.
        """
        pass

    def __setattr__(self, name: str, value: Any) -> None:
        """`self.name = value`: a Parameter, a Buffer or a Module goes into its registry
        (and out of the others); anything else becomes a plain attribute."""
        pass

    def __getattr__(self, name: str) -> Any:
        """Python calls this only when normal lookup fails: find `name` in the registries,
        else raise AttributeError (never return None for an unknown name)."""
        pass

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register `param` under `name`. `None` is allowed: it keeps a slot for an optional
        weight that is switched off (e.g. a Linear layer without bias)."""
        pass

    def register_buffer(self, name: str, buffer: Tensor | None) -> None:
        """Register `buffer` (or a None placeholder) under `name`."""
        pass

    def register_modules(self, name: str, module: Module | None) -> None:
        """Register a child `module` (or a None placeholder) under `name`."""
        pass

    def register_module(self, name: str, module: Module | None) -> None:
        """PyTorch's spelling of `register_modules`."""
        self.register_modules(name, module)

    def named_parameters(self, recursive: bool = True) -> Iterator[tuple[str, Parameter]]:
        """Yield (name, parameter): this module's own parameters first, then (if recursive)
        each child's, named with dots ("b.c"). Skip None slots, and yield a parameter that
        is reachable twice only once. Hint: `yield` and `yield from`."""
        pass

    def parameters(self, recursive: bool = True) -> Iterator[Parameter]:
        """Yield the parameters of `named_parameters`, without their names."""
        pass

    def named_buffers(self, recursive: bool = True) -> Iterator[tuple[str, Tensor]]:
        """Like `named_parameters`, for buffers."""
        pass

    def buffers(self, recursive: bool = True) -> Iterator[Tensor]:
        """Like `parameters`, for buffers."""
        pass

    def named_modules(self, recursive: bool = True) -> Iterator[tuple[str, Module]]:
        """Yield ("", self) first, then (if recursive) every descendant with its dotted
        name, each module once."""
        pass

    def modules(self, recursive: bool = True) -> Iterator[Module]:
        """Yield the modules of `named_modules`, without their names."""
        pass

    # ------------------------------------------------------------------ chapter 2: modes
    def train(self, mode: bool = True) -> Module:
        """Set `training = mode` on this module and every descendant; return self."""
        pass

    def eval(self) -> Module:
        """Evaluation mode: the same as `train(False)`; return self."""
        pass

    def zero_grad(self) -> None:
        """Clear the gradient of every parameter (set `.grad` to None)."""
        pass

    # ------------------------------------------------------------------ chapter 3: state dict
    def state_dict(self) -> dict[str, Tensor | None]:
        """A flat dict: dotted name -> tensor, for every parameter and buffer, with None for
        switched-off slots. The values are the module's own tensors (no copies)."""
        pass

    def load_state_dict(self, state: dict[str, Tensor | None], strict: bool = True) -> None:
        """Copy the values of `state` into this module's tensors, in place (`copy_` under
        `no_grad`). With `strict`, raise RuntimeError (listing every problem) when a key is
        unexpected, a key is missing or a shape differs, and then change nothing at all.
        Without `strict`, load the keys that match and ignore the rest."""
        pass

    # ------------------------------------------------------------------ chapter 4: repr
    def extra_repr(self) -> str:
        """The layer's arguments, shown inside its repr; subclasses override this."""
        return ""

    def __repr__(self) -> str:
        """`Name(extra)` for a module without children; otherwise `Name(`, one line per
        child `(child_name): child_repr` indented by two more spaces, and `)`."""
        pass

    # ------------------------------------------------------------------ chapter 4: forward
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """What the module computes; every subclass defines its own."""
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Calling the module runs `forward`. Once hooks exist: run each forward pre-hook,
        then forward, then each forward hook, in the order they were registered."""
        return self.forward(*args, **kwargs)

    def register_forward_pre_hook(self, hook: Callable) -> RemovableHandle:
        """Keep `hook(module, args)` to run before forward; if it returns something other
        than None, that tuple replaces the positional args. Return a RemovableHandle."""
        pass

    def register_forward_hook(self, hook: Callable) -> RemovableHandle:
        """Keep `hook(module, args, output)` to run after forward; if it returns something
        other than None, that replaces the output. Return a RemovableHandle."""
        pass
