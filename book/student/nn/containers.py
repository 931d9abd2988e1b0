"""Your containers (course Part 4): modules that hold other modules and register them as
children, so their parameters are found, saved and printed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .module import Module


class Sequential(Module):
    """Runs its children in order: Sequential(a, b, c)(x) == c(b(a(x))).

    Children are registered as "0", "1", ... or, when built from one OrderedDict, under its
    keys. s[i] returns a child (negative i counts from the end), s[i:j] a new Sequential of
    those children; len(s), iteration over the children, and append(module) work too.
    """

    def __init__(self, *modules: Any) -> None:
        pass

    def forward(self, x: Any) -> Any:
        pass

    def __getitem__(self, index: int | slice) -> Any:
        pass

    def __len__(self) -> int:
        pass

    def __iter__(self) -> Iterator[Module]:
        pass

    def append(self, module: Module) -> Sequential:
        pass


class ModuleList(Module):
    """A list of modules registered as "0", "1", ...; it has no forward of its own.

    Supports ml[i] (get and set), del ml[i] (the later ones are renumbered), ml[i:j] and
    ml + other (new ModuleLists), len, iteration, append, extend and insert.
    """

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        pass

    def __getitem__(self, index: int | slice) -> Any:
        pass

    def __setitem__(self, index: int, module: Module) -> None:
        pass

    def __delitem__(self, index: int) -> None:
        pass

    def __len__(self) -> int:
        pass

    def __iter__(self) -> Iterator[Module]:
        pass

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        pass

    def append(self, module: Module) -> ModuleList:
        pass

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        pass

    def insert(self, index: int, module: Module) -> None:
        pass


class ModuleDict(Module):
    """A dict of modules registered under their keys; it has no forward of its own.

    Built from a mapping or from (key, module) pairs. Supports md[key] (get, set and del),
    `key in md`, len, iteration over the keys, keys(), values(), items(), update(mapping or
    pairs), pop(key) and clear(), all in insertion order.
    """

    def __init__(self, modules: Mapping[str, Module] | Iterable | None = None) -> None:
        pass

    def __getitem__(self, key: str) -> Module:
        pass

    def __setitem__(self, key: str, module: Module) -> None:
        pass

    def __delitem__(self, key: str) -> None:
        pass

    def __contains__(self, key: object) -> bool:
        pass

    def __len__(self) -> int:
        pass

    def __iter__(self) -> Iterator[str]:
        pass

    def keys(self) -> Iterable[str]:
        pass

    def values(self) -> Iterable[Module]:
        pass

    def items(self) -> Iterable[tuple[str, Module]]:
        pass

    def update(self, modules: Mapping[str, Module] | Iterable) -> None:
        pass

    def pop(self, key: str) -> Module:
        pass

    def clear(self) -> None:
        pass
