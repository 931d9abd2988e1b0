"""`Parameter`, `Buffer` and `Module`: the state-managing base of every layer.

The helpers below the class (`forget_name`, `walk_modules`, `named_members`,
`append_module_repr`, ...) are pieces the chapters show, as are those of `state.py`
(state dicts), `hooks.py` (forward hooks) and `module_html.py` (the Jupyter tree). All of
them use only the public API of `Tensor`.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..autograd import no_grad
from ..tensor import Tensor
from .hooks import RemovableHandle, add_hook, call_with_hooks
from .module_html import module_html
from .state import (
    cast_for_loading,
    copy_sources_that_alias_targets,
    quoted_keys,
    state_slots,
    unexpected_keys,
)

__all__ = ["Buffer", "IncompatibleKeys", "Module", "Parameter", "RegistrationError"]


class Parameter(Tensor):
    """A Tensor that a Module registers as learnable state (requires grad by default)."""

    __slots__ = ()

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        super().__init__(data, requires_grad=requires_grad)


class Buffer(Tensor):
    """A Tensor that a Module registers as non-learnable state (saved, never trained)."""

    __slots__ = ()

    def __init__(self, data: Any = None) -> None:
        super().__init__(data, requires_grad=False)


class RegistrationError(KeyError):
    """A bad name in a register_* call: a KeyError (as in PyTorch) that prints plainly."""

    __str__ = Exception.__str__


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What `load_state_dict` could not match; prints like PyTorch's when nothing is left."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


REGISTRIES = ("_parameters", "_buffers", "_modules")


class Module:
    """Base class of all layers: registers parameters, buffers and child modules by assignment."""

    _collapse_repeated_children = False  # list-like containers print `(0-11): 12 x Block(...)`
    training: bool

    def __init__(self) -> None:
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_modules"] = {}
        d["_non_persistent_buffers"] = set()
        d["_forward_pre_hooks"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()

    # ------------------------------------------------------------------ attributes
    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if params is None:
            raise init_not_called_error(self)
        if isinstance(value, Parameter):
            forget_name(name, d, d["_buffers"], d["_modules"], d["_non_persistent_buffers"])
            self.register_parameter(name, value)
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter '{name}' of "
                    f"{type(self).__name__} (a Parameter or None is expected; wrap it: "
                    f"Parameter(value))"
                )
            params[name] = None
        elif isinstance(value, Module):
            forget_name(name, d, d["_buffers"], d["_non_persistent_buffers"])
            self.register_module(name, value)
        elif name in d["_modules"]:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as child module '{name}' of "
                    f"{type(self).__name__} (a Module or None is expected)"
                )
            d["_modules"][name] = None
        elif isinstance(value, Buffer):
            self.register_buffer(name, value)  # a Buffer is persistent, as PyTorch's Buffer
        elif name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign {type(value).__name__} as buffer '{name}' of "
                    f"{type(self).__name__} (a Tensor or None is expected)"
                )
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails, i.e. for registered names (or typos).
        d = self.__dict__
        if "_parameters" in d:
            for key in REGISTRIES:
                registry = d[key]
                if name in registry:
                    return registry[name]
        else:
            cls = type(self).__name__
            raise AttributeError(
                f"'{cls}' object has no attribute '{name}' (Module.__init__() was never run: "
                f"call super().__init__() first in {cls}.__init__)"
            )
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        d = self.__dict__
        for key in REGISTRIES:
            if name in d.get(key, ()):
                del d[key][name]
                d["_non_persistent_buffers"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list:
        names = set(super().__dir__())
        for key in REGISTRIES:
            names.update(self.__dict__.get(key, ()))
        return sorted(names)

    # ------------------------------------------------------------------ registration
    def _check_name(self, kind: str, name: Any, registry: str) -> None:
        """A registrable name: a non-empty str without '.', not an ordinary attribute."""
        if "_parameters" not in self.__dict__:
            raise init_not_called_error(self)
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a str, got {type(name).__name__}")
        if name == "":
            raise RegistrationError(f'{kind} name can\'t be empty string ""')
        if "." in name:
            raise RegistrationError(f"{kind} name can't contain \".\", got '{name}'")
        if name not in self.__dict__[registry] and hasattr(self, name):
            raise RegistrationError(
                f"attribute '{name}' already exists on {type(self).__name__}; "
                f"cannot register a {kind} with that name"
            )

    def _register(self, kind: str, registry: str, name: Any, value: Any, expected: type) -> None:
        """Validate `name` and `value` (an `expected` instance or None), then store it.

        A name already in `registry` keeps its position: order is what `parameters()` and
        `state_dict()` follow, and optimizers rely on it.
        """
        self._check_name(kind, name, registry)
        if value is not None and not isinstance(value, expected):
            what = "child module" if kind == "module" else kind
            raise TypeError(
                f"cannot register {type(value).__name__} as {what} '{name}' of "
                f"{type(self).__name__} (a {expected.__name__} or None is expected)"
            )
        self.__dict__[registry][name] = value

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register `param` (or a `None` placeholder for a disabled optional weight)."""
        self._register("parameter", "_parameters", name, param, Parameter)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register a non-learnable tensor; non-persistent buffers stay out of `state_dict`."""
        self._register("buffer", "_buffers", name, tensor, Tensor)
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def register_module(self, name: str, module: Module | None) -> None:
        """Register a child module (or a `None` placeholder)."""
        self._register("module", "_modules", name, module, Module)

    register_modules = register_module  # course spelling (clownpiece/course.py)
    add_module = register_module  # PyTorch's older spelling

    # ------------------------------------------------------------------ iteration
    # Positional arguments bind as in PyTorch; the course's `recursive=` is keyword-only.
    def named_modules(
        self,
        memo: set | None = None,
        prefix: str = "",
        remove_duplicate: bool = True,
        *,
        recurse: bool = True,
        recursive: bool | None = None,
    ) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for self and every descendant, each once (PyTorch's order)."""
        if memo is not None and not isinstance(memo, set):
            raise TypeError(
                f"named_modules(memo) expects a set of modules or None, got "
                f"{type(memo).__name__} (the first positional argument is PyTorch's memo; "
                f"pass recursive=... by keyword)"
            )
        check_prefix("named_modules", prefix)
        if recursive is not None:
            recurse = recursive
        if not recurse:
            return iter([(prefix, self)])
        return iter(walk_modules(self, prefix, set() if memo is None else memo, remove_duplicate))

    def modules(
        self, *, recurse: bool = True, recursive: bool | None = None, remove_duplicate: bool = True
    ) -> Iterator[Module]:
        """Self and every descendant module, each once (all arguments by keyword)."""
        named = self.named_modules(
            remove_duplicate=remove_duplicate, recurse=recurse, recursive=recursive
        )
        return (module for _, module in named)

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, child) for the immediate children, each once; None placeholders skipped."""
        seen: set = set()
        found = []
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                found.append((name, child))
        return iter(found)

    def children(self) -> Iterator[Module]:
        """The immediate child modules."""
        return (child for _, child in self.named_children())

    def named_parameters(
        self,
        prefix: str = "",
        recurse: bool = True,
        remove_duplicate: bool = True,
        *,
        recursive: bool | None = None,
    ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter): own parameters first, then each child's, each once."""
        check_prefix("named_parameters", prefix)
        if recursive is not None:
            recurse = recursive
        return iter(named_members(self, "_parameters", prefix, recurse, remove_duplicate))

    def parameters(
        self, recurse: bool = True, *, recursive: bool | None = None
    ) -> Iterator[Parameter]:
        """Every parameter, in `named_parameters` order."""
        return (p for _, p in self.named_parameters(recurse=recurse, recursive=recursive))

    def named_buffers(
        self,
        prefix: str = "",
        recurse: bool = True,
        remove_duplicate: bool = True,
        *,
        recursive: bool | None = None,
    ) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, buffer): own buffers first, then each child's, each once."""
        check_prefix("named_buffers", prefix)
        if recursive is not None:
            recurse = recursive
        return iter(named_members(self, "_buffers", prefix, recurse, remove_duplicate))

    def buffers(self, recurse: bool = True, *, recursive: bool | None = None) -> Iterator[Tensor]:
        """Every buffer, in `named_buffers` order."""
        return (b for _, b in self.named_buffers(recurse=recurse, recursive=recursive))

    def get_submodule(self, target: str) -> Module:
        """The descendant at dotted path `target` ("" is self)."""
        module = self
        for part in target.split(".") if target else ():
            child = module._modules.get(part)
            if not isinstance(child, Module):
                raise AttributeError(
                    f"{type(module).__name__} has no submodule '{part}' (looking up '{target}')"
                )
            module = child
        return module

    # ------------------------------------------------------------------ modes and helpers
    def train(self, mode: bool = True) -> Module:
        """Set training mode on self and every descendant; returns self."""
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode) expects a bool, got {type(mode).__name__}")
        self.__dict__["training"] = mode
        for child in self.children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        """Same as `train(False)`."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear every parameter's `.grad` (to None, or to zeros with set_to_none=False)."""
        for p in self.parameters():
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    with no_grad():
                        p.grad.zero_()

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Switch gradient tracking of every parameter; returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call `fn` on every descendant (children first) and then on self; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ forward and hooks
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} has no forward(): subclasses of Module must define forward()"
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run `forward`; with hooks registered, the pre-hooks run before it, the hooks after."""
        d = self.__dict__
        if "_forward_hooks" not in d:
            cls = type(self).__name__
            raise RuntimeError(
                f"cannot call {cls}: Module.__init__() was never run; "
                f"call super().__init__() first in {cls}.__init__"
            )
        if d["_forward_pre_hooks"] or d["_forward_hooks"]:
            return call_with_hooks(self, args, kwargs)
        return self.forward(*args, **kwargs)

    def register_forward_pre_hook(
        self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """`hook(module, args)` runs before forward; a non-None result replaces args.

        With `with_kwargs=True` it is `hook(module, args, kwargs)` and may return a new
        `(args, kwargs)` pair. `prepend=True` runs it before the hooks already registered.
        """
        return add_hook(self._forward_pre_hooks, (hook, with_kwargs), prepend)

    def register_forward_hook(
        self,
        hook: Callable,
        *,
        prepend: bool = False,
        with_kwargs: bool = False,
        always_call: bool = False,
    ) -> RemovableHandle:
        """`hook(module, args, output)` runs after forward; a non-None result replaces output.

        With `with_kwargs=True` it is `hook(module, args, kwargs, output)`; `always_call=True`
        runs it even when forward (or an earlier hook) raised, with the output so far.
        """
        return add_hook(self._forward_hooks, (hook, with_kwargs, always_call), prepend)

    # ------------------------------------------------------------------ state dict
    def state_dict(
        self, *, destination: dict | None = None, prefix: str = "", keep_vars: bool = False
    ) -> dict[str, Tensor | None]:
        """Dotted name -> tensor sharing storage with the module (None for disabled slots)."""
        if destination is None:
            destination = OrderedDict()
        for key, value in state_slots(self, prefix):
            if value is not None and not keep_vars:
                value = value.detach()  # same storage, no autograd history
            destination[key] = value
        return destination

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True
    ) -> IncompatibleKeys:
        """Copy `state_dict` into the module in place; on any error nothing is changed.

        Every check (keys, shapes, dtype casts) runs before the first write.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict expects a mapping, got {type(state_dict).__name__}")
        slots = state_slots(self)
        missing = [key for key, _ in slots if key not in state_dict]
        unexpected = unexpected_keys(state_dict, slots)
        problems, writes = [], []
        for key, target in slots:
            if key not in state_dict:
                continue
            source = state_dict[key]
            if target is None:  # a tensor for a disabled slot is an unexpected key
                if source is not None and strict:
                    problems.append(f"{key}: got a tensor for a disabled (None) slot of the model.")
                continue
            value, problem = cast_for_loading(key, source, target)
            if problem:
                problems.append(problem)
            else:
                writes.append((target, value))
        if strict:
            if unexpected:
                problems.insert(0, f"Unexpected key(s) in state_dict: {quoted_keys(unexpected)}.")
            if missing:
                problems.insert(0, f"Missing key(s) in state_dict: {quoted_keys(missing)}.")
        if problems:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(problems)
            )
        writes = copy_sources_that_alias_targets(writes)  # e.g. a.weight <- b.weight and back
        with no_grad():
            for target, value in writes:
                target.copy_(value)
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        """One line (or several) of layer arguments shown inside the module's repr."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        if "_modules" not in self.__dict__:
            return f"{type(self).__name__}(<super().__init__() was not called>)"
        out: list = []
        append_module_repr(out, self, "", "")
        return "\n".join(out)

    def _repr_html_(self) -> str:
        return module_html(self)


# ---------------------------------------------------------------------- attribute helpers
def init_not_called_error(obj: Any) -> AttributeError:
    """The error for using a Module whose `__init__` did not call `super().__init__()`."""
    cls = type(obj).__name__
    return AttributeError(
        f"cannot assign to {cls} before Module.__init__() was called: "
        f"call super().__init__() first in {cls}.__init__"
    )


def forget_name(name: str, *places: dict | set) -> None:
    """Remove `name` from each dict or set in `places` (before registering it elsewhere)."""
    for place in places:
        if isinstance(place, dict):
            place.pop(name, None)
        else:
            place.discard(name)


# ---------------------------------------------------------------------- iteration helpers
def join_name(prefix: str, name: str) -> str:
    """A dotted path: "" + "fc" is "fc", "net" + "fc" is "net.fc"."""
    return f"{prefix}.{name}" if prefix else name


def check_prefix(method: str, prefix: Any) -> None:
    """`prefix` must be a str: a bool there is the course's `recursive` passed by position."""
    if not isinstance(prefix, str):
        raise TypeError(
            f"{method}(prefix) expects a str, got {type(prefix).__name__} {prefix!r}; "
            f"the first positional argument is the prefix, as in PyTorch: pass "
            f"recursive=... (or recurse=...) by keyword"
        )


def walk_modules(module: Module, prefix: str, memo: set, remove_duplicate: bool) -> list:
    """(dotted name, module) of `module` and every descendant, parents before children.

    Modules in `memo` are skipped; with `remove_duplicate` each one visited is added to it,
    so a module reachable by two paths is listed once, under the first path.
    """
    if module in memo:
        return []
    if remove_duplicate:
        memo.add(module)
    found = [(prefix, module)]
    for name, child in module._modules.items():
        if child is not None:
            found += walk_modules(child, join_name(prefix, name), memo, remove_duplicate)
    return found


def named_members(
    module: Module, registry: str, prefix: str, recurse: bool, remove_duplicate: bool
) -> list:
    """(dotted name, tensor) from one registry ("_parameters" or "_buffers") of every module.

    Each module's own entries come before its children's; a tensor held twice (tied
    weights) is listed once unless `remove_duplicate` is False; None placeholders are skipped.
    """
    if recurse:
        modules = walk_modules(module, prefix, set(), remove_duplicate)
    else:
        modules = [(prefix, module)]
    found, seen = [], set()
    for module_prefix, owner in modules:
        for name, value in owner.__dict__[registry].items():
            if value is None or id(value) in seen:
                continue
            if remove_duplicate:
                seen.add(id(value))
            found.append((join_name(module_prefix, name), value))
    return found


# ---------------------------------------------------------------------- text repr helpers
def append_module_repr(out: list, module: Module, indent: str, head: str) -> None:
    """Append `module`'s repr lines: first line `indent + head + ...`, body one level in.

    A blank line inside a nested module stays empty (no trailing spaces), as in PyTorch.
    """
    extra = module.extra_repr()
    extra_lines = extra.split("\n") if extra else []
    name = module._get_name()
    children = module.__dict__["_modules"]
    if not children and len(extra_lines) <= 1:
        out.append(f"{indent}{head}{name}({extra})")
        return
    out.append(f"{indent}{head}{name}(")
    body = indent + "  "
    for line in extra_lines:
        out.append(body + line if indent == "" or line.strip() else "")
    if module._collapse_repeated_children:
        append_collapsed_children(out, children, body)
    else:
        for key, child in children.items():
            append_child_repr(out, child, body, f"({key}): ")
    out.append(indent + ")")


def append_child_repr(out: list, child: Any, indent: str, head: str) -> None:
    """A standard module is written in place; anything else (None, a custom repr) via repr()."""
    if isinstance(child, Module) and type(child).__repr__ is Module.__repr__:
        append_module_repr(out, child, indent, head)
    else:
        append_text(out, repr(child), indent, head)


def append_text(out: list, text: str, indent: str, head: str) -> None:
    """Append `text` with `head` before its first line and `indent` before every line."""
    lines = text.split("\n")
    out.append(indent + head + lines[0])
    out.extend(indent + line if line.strip() else "" for line in lines[1:])


def append_collapsed_children(out: list, children: dict, indent: str) -> None:
    """PyTorch's ModuleList layout: runs of identical children print once as `(a-b): n x ...`."""
    groups: list = []  # [first key, last key, count, text]
    for key, child in children.items():
        text = repr(child)
        if groups and groups[-1][3] == text:
            groups[-1][1] = key
            groups[-1][2] += 1
        else:
            groups.append([key, key, 1, text])
    for first, last, count, text in groups:
        head = f"({first}): " if count == 1 else f"({first}-{last}): {count} x "
        append_text(out, text, indent, head)
