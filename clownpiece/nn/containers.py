"""Containers that hold child modules: Sequential (runs them in order), ModuleList, ModuleDict."""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .module import Module


def _check_module(container: str, value: Any, where: str) -> Module | None:
    """`value` if it is a Module or a None placeholder (as PyTorch allows), else a TypeError."""
    if value is not None and not isinstance(value, Module):
        raise TypeError(f"{container}{where} expects a Module, got {type(value).__name__}")
    return value


class _IndexedModules(Module):
    """Shared behaviour of Sequential and ModuleList: children named "0", "1", ... in order."""

    def _index(self, idx: Any) -> int:
        """`idx` as a non-negative position, with a clear error when it is out of range."""
        try:
            idx = operator.index(idx)
        except TypeError:
            raise TypeError(
                f"{type(self).__name__} indices must be integers or slices, got {type(idx).__name__}"
            ) from None
        size = len(self._modules)
        if not -size <= idx < size:
            raise IndexError(f"{type(self).__name__} index {idx} is out of range for length {size}")
        return idx % size

    def _renumber(self, modules: Iterable[Module | None]) -> None:
        self._modules.clear()
        for i, module in enumerate(modules):
            self._modules[str(i)] = module

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module | None]:
        return iter(self._modules.values())

    def __getitem__(self, idx: Any):
        if isinstance(idx, slice):
            return self._slice(idx)
        return list(self._modules.values())[self._index(idx)]

    def __setitem__(self, idx: Any, module: Module | None) -> None:
        key = list(self._modules)[self._index(idx)]  # a Sequential built from a dict keeps names
        self._modules[key] = _check_module(type(self).__name__, module, f"[{idx}]")

    def __delitem__(self, idx: Any) -> None:
        modules = list(self._modules.values())
        if isinstance(idx, slice):
            del modules[idx]
        else:
            del modules[self._index(idx)]
        self._renumber(modules)

    def append(self, module: Module | None) -> _IndexedModules:
        _check_module(type(self).__name__, module, ".append")
        key = str(len(self._modules))
        if key in self._modules:  # a slice of a Sequential keeps its keys, e.g. "1", "2"
            key = str(1 + max(int(k) for k in self._modules if k.isdigit()))
        self._modules[key] = module
        return self

    def __dir__(self) -> list:
        return [k for k in super().__dir__() if not k.isdigit()]


class Sequential(_IndexedModules):
    """Runs its children one after another: `Sequential(a, b)(x) == b(a(x))`."""

    def __init__(self, *modules: Any) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (OrderedDict, dict)):
            for name, module in modules[0].items():
                self.register_module(name, _check_module("Sequential", module, f"[{name!r}]"))
        else:
            for i, module in enumerate(modules):
                self._modules[str(i)] = _check_module("Sequential", module, f" argument {i}")

    def _slice(self, idx: slice) -> Sequential:
        return Sequential(OrderedDict(list(self._modules.items())[idx]))

    def forward(self, x: Any) -> Any:
        for key, module in self._modules.items():
            if module is None:
                raise TypeError(
                    f"Sequential entry ({key}) is None, a placeholder that cannot run: "
                    f"assign a module to it or delete it"
                )
            x = module(x)
        return x


class ModuleList(_IndexedModules):
    """A list of modules whose parameters are registered; it has no forward of its own."""

    _collapse_repeated_children = True

    def __init__(self, modules: Iterable[Module | None] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def extend(self, modules: Iterable[Module | None]) -> ModuleList:
        single = isinstance(modules, Module) and not isinstance(modules, _IndexedModules)
        if single or not hasattr(modules, "__iter__"):
            raise TypeError(
                f"ModuleList.extend expects an iterable of Modules, got {type(modules).__name__}"
            )
        modules = list(modules)
        for i, module in enumerate(modules):  # check all first: a bad element changes nothing
            _check_module("ModuleList", module, f".extend element {i}")
        for module in modules:
            self.append(module)
        return self

    def _slice(self, idx: slice) -> ModuleList:
        return ModuleList(list(self._modules.values())[idx])

    def insert(self, index: int, module: Module | None) -> None:
        modules = list(self._modules.values())
        modules.insert(index, _check_module("ModuleList", module, ".insert"))
        self._renumber(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList(list(self) + list(other))

    def __iadd__(self, other: Iterable[Module]) -> ModuleList:
        return self.extend(other)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("ModuleList has no forward: iterate over it and call each module")


class ModuleDict(Module):
    """A dict of named modules whose parameters are registered; it has no forward of its own."""

    def __init__(self, dict_: Mapping[str, Module] | Iterable | None = None) -> None:
        super().__init__()
        if dict_ is not None:
            self.update(dict_)

    def __getitem__(self, key: str) -> Module | None:
        if key not in self._modules:
            raise KeyError(f"ModuleDict has no key {key!r}; keys are {list(self._modules)}")
        return self._modules[key]

    def __setitem__(self, key: str, module: Module | None) -> None:
        self.register_module(key, _check_module("ModuleDict", module, f"[{key!r}]"))

    def __delitem__(self, key: str) -> None:
        if key not in self._modules:
            raise KeyError(f"ModuleDict has no key {key!r}; keys are {list(self._modules)}")
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules: Mapping[str, Module] | Iterable) -> None:
        if isinstance(modules, (Mapping, ModuleDict)):
            pairs = list(modules.items())
        elif isinstance(modules, (str, Module)) or not hasattr(modules, "__iter__"):
            raise TypeError(
                f"ModuleDict.update expects a mapping or (name, module) pairs, "
                f"got {type(modules).__name__}"
            )
        else:
            pairs = list(modules)
        for i, pair in enumerate(pairs):  # check all first: a bad entry changes nothing
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise TypeError(
                    f"ModuleDict.update expects a mapping or (name, module) pairs; "
                    f"element {i} is {pair!r}"
                )
            if pair[0] not in self._modules:
                self._check_name("module", pair[0], "_modules")
            _check_module("ModuleDict", pair[1], f"[{pair[0]!r}]")
        for key, module in pairs:
            self[key] = module

    def pop(self, key: str) -> Module | None:
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        self._modules.clear()

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("ModuleDict has no forward: look modules up by key and call them")
