"""`Parameter`, `Buffer` and `Module`: the state-managing base of every layer."""

from __future__ import annotations

import html
from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor


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


IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])

_REGISTRIES = ("_parameters", "_buffers", "_modules")


class RemovableHandle:
    """Returned by the hook registrations; `remove()` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: dict) -> None:
        self.hooks, self.id = hooks, RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self) -> None:
        self.hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()


def _not_initialised(obj: Any) -> AttributeError:
    cls = type(obj).__name__
    return AttributeError(
        f"cannot assign to {cls} before Module.__init__() was called: "
        f"call super().__init__() first in {cls}.__init__"
    )


def _iter_walk(module: Module, prefix: str, seen: set, out: list) -> None:
    """Pre-order walk: (dotted name, module) of `module` and every descendant, each once."""
    seen.add(id(module))
    out.append((prefix, module))
    for key, child in module._modules.items():
        if child is not None and id(child) not in seen:
            _iter_walk(child, f"{prefix}.{key}" if prefix else key, seen, out)


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
        d["_forward_pre_hooks"] = {}
        d["_forward_hooks"] = {}

    # ------------------------------------------------------------------ attributes
    def __setattr__(self, name: str, value: Any) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if params is None:
            raise _not_initialised(self)
        if isinstance(value, Parameter):
            self._forget(name)
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
            self._forget(name)
            self.register_module(name, value)
        elif name in d["_modules"]:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as child module '{name}' of "
                    f"{type(self).__name__} (a Module or None is expected)"
                )
            d["_modules"][name] = None
        elif isinstance(value, Buffer):
            persistent = name not in d["_non_persistent_buffers"]
            self._forget(name)
            self.register_buffer(name, value, persistent)
        elif name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign {type(value).__name__} as buffer '{name}' of "
                    f"{type(self).__name__} (a Tensor or None is expected)"
                )
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        """Drop `name` from every registry and the instance dict (before re-registering it)."""
        d = self.__dict__
        for key in _REGISTRIES:
            d[key].pop(name, None)
        d["_non_persistent_buffers"].discard(name)
        d.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails, i.e. for registered names (or typos).
        d = self.__dict__
        if "_parameters" in d:
            for key in _REGISTRIES:
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
        for key in _REGISTRIES:
            if name in d.get(key, ()):
                del d[key][name]
                d["_non_persistent_buffers"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list:
        names = set(super().__dir__())
        for key in _REGISTRIES:
            names.update(self.__dict__.get(key, ()))
        return sorted(names)

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    # ------------------------------------------------------------------ registration
    def _check_name(self, kind: str, name: Any, registry: str) -> None:
        """A registrable name: a non-empty str without '.', not an ordinary attribute."""
        if "_parameters" not in self.__dict__:
            raise _not_initialised(self)
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
        """Validate `name` and `value` (an `expected` instance or None), then store it."""
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

    register_modules = register_module  # the course's spelling
    add_module = register_module  # PyTorch's older spelling

    # ------------------------------------------------------------------ iteration
    def named_modules(
        self, recursive: bool = True, prefix: str = "", *, recurse: bool | None = None
    ) -> Iterator[tuple[str, Module]]:
        """(dotted name, module) for self and, if recursive, every descendant (each once)."""
        if recurse is not None:
            recursive = recurse
        if not recursive:
            return iter([(prefix, self)])
        out: list = []
        _iter_walk(self, prefix, set(), out)
        return iter(out)

    def modules(self, recursive: bool = True, *, recurse: bool | None = None) -> Iterator[Module]:
        """Self and, if recursive, every descendant module (each once)."""
        return (m for _, m in self.named_modules(recursive, recurse=recurse))

    def named_children(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(name, child) for the immediate children, each once."""
        seen: set = set()
        out = []
        for key, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                out.append((f"{prefix}.{key}" if prefix else key, child))
        return iter(out)

    def children(self) -> Iterator[Module]:
        """The immediate child modules."""
        return (m for _, m in self.named_children())

    def _named_members(self, registry: str, recursive: bool, prefix: str) -> Iterator:
        out: list = []
        seen: set = set()
        for mod_prefix, module in self.named_modules(recursive, prefix):
            for key, value in module.__dict__[registry].items():
                if value is not None and id(value) not in seen:
                    seen.add(id(value))
                    out.append((f"{mod_prefix}.{key}" if mod_prefix else key, value))
        return iter(out)

    def named_parameters(
        self, recursive: bool = True, prefix: str = "", *, recurse: bool | None = None
    ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter): own parameters first, then each child's, each once."""
        return self._named_members("_parameters", recursive if recurse is None else recurse, prefix)

    def parameters(self, recursive: bool = True, *, recurse: bool | None = None) -> Iterator[Parameter]:
        """Every parameter, in `named_parameters` order."""
        return (p for _, p in self.named_parameters(recursive, recurse=recurse))

    def named_buffers(
        self, recursive: bool = True, prefix: str = "", *, recurse: bool | None = None
    ) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, buffer): own buffers first, then each child's, each once."""
        return self._named_members("_buffers", recursive if recurse is None else recurse, prefix)

    def buffers(self, recursive: bool = True, *, recurse: bool | None = None) -> Iterator[Tensor]:
        """Every buffer, in `named_buffers` order."""
        return (b for _, b in self.named_buffers(recursive, recurse=recurse))

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
                    p.grad._data[...] = 0

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
        d = self.__dict__
        try:
            pre_hooks, hooks = d["_forward_pre_hooks"], d["_forward_hooks"]
        except KeyError:
            cls = type(self).__name__
            raise RuntimeError(
                f"cannot call {cls}: Module.__init__() was never run; "
                f"call super().__init__() first in {cls}.__init__"
            ) from None
        if not (pre_hooks or hooks):
            return self.forward(*args, **kwargs)
        for hook in list(pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in list(hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_pre_hook(self, hook: Callable) -> RemovableHandle:
        """`hook(module, args)` runs before forward; a non-None result replaces args."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    def register_forward_hook(self, hook: Callable) -> RemovableHandle:
        """`hook(module, args, output)` runs after forward; a non-None result replaces output."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    # ------------------------------------------------------------------ state dict
    def _state_slots(self, prefix: str, out: list) -> None:
        """(key, tensor-or-None) of every saved slot: own params, persistent buffers, children."""
        d = self.__dict__
        for key, value in d["_parameters"].items():
            out.append((prefix + key, value))
        skip = d["_non_persistent_buffers"]
        for key, value in d["_buffers"].items():
            if key not in skip:
                out.append((prefix + key, value))
        for key, child in d["_modules"].items():
            if child is not None:
                child._state_slots(f"{prefix}{key}.", out)

    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> OrderedDict[str, Tensor | None]:
        """Dotted name -> tensor sharing storage with the module (None for disabled slots)."""
        slots: list = []
        self._state_slots(prefix, slots)
        if keep_vars:
            return OrderedDict(slots)
        wrap = Tensor._wrap
        return OrderedDict([(k, None if v is None else wrap(v._data)) for k, v in slots])

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy `state_dict` into the module in place; on any error nothing is changed."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict expects a mapping, got {type(state_dict).__name__}")
        slots: list = []
        self._state_slots("", slots)
        expected = {key for key, _ in slots}
        missing = [key for key, _ in slots if key not in state_dict]
        unexpected = [key for key in state_dict if key not in expected]
        problems, writes = [], []
        for key, target in slots:
            if key not in state_dict:
                continue
            source = state_dict[key]
            if source is None or target is None:
                if source is not target:
                    what = "None" if source is None else "a tensor"
                    slot = "a tensor slot" if source is None else "a disabled (None) slot"
                    problems.append(f"{key}: got {what} for {slot} of the model.")
                continue
            array = source._data if isinstance(source, Tensor) else source
            if not isinstance(array, np.ndarray):
                problems.append(f"{key}: expected a Tensor, got {type(source).__name__}.")
            elif array.shape != target._data.shape:
                problems.append(
                    f"size mismatch for {key}: copying a param with shape {array.shape} from "
                    f"checkpoint, the shape in current model is {target._data.shape}."
                )
            elif not np.can_cast(array.dtype, target._data.dtype, "same_kind"):
                problems.append(
                    f"dtype mismatch for {key}: cannot copy {array.dtype} into {target._data.dtype}."
                )
            else:
                writes.append((target._data, array))
        if strict:
            if unexpected:
                problems.insert(0, "Unexpected key(s) in state_dict: " + _quoted(unexpected) + ".")
            if missing:
                problems.insert(0, "Missing key(s) in state_dict: " + _quoted(missing) + ".")
        if problems:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(problems)
            )
        with no_grad():
            for target, source in writes:
                np.copyto(target, source, casting="same_kind")
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
        self._repr_into(out, "", "")
        return "\n".join(out)

    def _repr_into(self, out: list, indent: str, head: str) -> None:
        """Append this module's repr lines: first line `indent + head + ...`, body one level in."""
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        name = self._get_name()
        children = self.__dict__["_modules"]
        if not children and len(extra_lines) <= 1:
            out.append(f"{indent}{head}{name}({extra})")
            return
        out.append(f"{indent}{head}{name}(")
        body = indent + "  "
        for line in extra_lines:
            out.append(body + line)
        if self._collapse_repeated_children:
            _repr_collapsed(children, out, body)
        else:
            for key, child in children.items():
                _repr_child(child, out, body, f"({key}): ")
        out.append(indent + ")")

    def _repr_html_(self) -> str:
        total = sum(p.numel() for p in self.parameters())
        return (
            '<div class="clownpiece-module">'
            + _html_tree(self, "", set())
            + f"<p>Total parameters: {total:,}</p></div>"
        )


def _quoted(keys: list) -> str:
    return ", ".join(f'"{k}"' for k in keys)


def _repr_child(child: Any, out: list, indent: str, head: str) -> None:
    if isinstance(child, Module) and type(child).__repr__ is Module.__repr__:
        child._repr_into(out, indent, head)
    else:
        _repr_text(repr(child), out, indent, head)


def _repr_text(text: str, out: list, indent: str, head: str) -> None:
    lines = text.split("\n")
    out.append(indent + head + lines[0])
    out.extend(indent + line for line in lines[1:])


def _repr_collapsed(children: dict, out: list, indent: str) -> None:
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
        _repr_text(text, out, indent, head)


def _html_tree(module: Module, name: str, seen: set) -> str:
    """One `<details>` node per module: its own parameters with shapes, then its children."""
    own = [(k, p) for k, p in module._parameters.items() if p is not None]
    count = sum(p.numel() for _, p in own)
    extra = module.extra_repr()
    label = (f"({name}): " if name else "") + module._get_name() + (f"({extra})" if extra else "")
    summary = f"<code>{html.escape(label)}</code> &mdash; {count:,} params"
    if id(module) in seen:
        return f"<li>{summary} (shared, shown above)</li>"
    seen.add(id(module))
    items = [
        f"<li><code>{html.escape(k)}</code>: {tuple(p.shape)} = {p.numel():,}</li>" for k, p in own
    ]
    for key, child in module._modules.items():
        if child is not None:
            items.append(_html_tree(child, key, seen))
    inner = f"<ul>{''.join(items)}</ul>" if items else ""
    node = f"<details open><summary>{summary}</summary>{inner}</details>"
    return f"<li>{node}</li>" if name else node
