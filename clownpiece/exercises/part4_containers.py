"""Part 4 checks, containers: Sequential, ModuleList and ModuleDict. Their children are small
modules built here from the package's own Module and Parameter, so these checks do not
depend on the package's Linear."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np

from ..tensor import Tensor
from .catalog import graded
from .expect import array, expect, expect_close, expect_equal, listed, names_of, need


def _parts(nn: Any) -> tuple:
    """(Scale, Square): Scale(n, v) computes x * weight + bias (weight = v), Square x * x."""
    Module, Parameter = need(nn, "Module"), need(nn, "Parameter")

    class Scale(Module):
        def __init__(self, n, value):
            super().__init__()
            self.weight = Parameter(Tensor.full((n,), value))
            self.bias = Parameter(Tensor.full((n,), 0.5))

        def forward(self, x):
            return x * self.weight + self.bias

    class Square(Module):
        def forward(self, x):
            return x * x

    return Scale, Square


def _params(m: Any) -> list:
    return names_of(m.named_parameters(), "named_parameters()")


def _same(got: Any, want: list, what: str) -> None:
    items = listed(got, what)
    expect(
        len(items) == len(want) and all(a is b for a, b in zip(items, want)),
        f"{what} gave {[type(i).__name__ for i in items]}, expected the modules themselves "
        f"({len(want)} of them, in order)",
    )


_X = np.array([[1.0, -2.0, 3.0], [0.5, 0.0, -1.0]])


def _sequential(nn: Any) -> tuple:
    Scale, Square = _parts(nn)
    a, b, c = Scale(3, 2.0), Square(), Scale(3, -1.0)
    return need(nn, "Sequential")(a, b, c), (a, b, c)


@graded("containers", "Sequential: forward runs the children in order")
def seq_order(nn: Any) -> None:
    s, _ = _sequential(nn)
    expect_close(s(Tensor(_X.copy())), -((_X * 2 + 0.5) ** 2) + 0.5, "Sequential(a, b, c)(x)")


@graded("containers", "Sequential: children registered as '0', '1', ...")
def seq_registered(nn: Any) -> None:
    s, _ = _sequential(nn)
    expect_equal(
        _params(s),
        ["0.weight", "0.bias", "2.weight", "2.bias"],
        "named_parameters() of Sequential(a, b, c)",
    )


@graded("containers", "Sequential: indexing, len and iteration")
def seq_indexing(nn: Any) -> None:
    s, (a, b, c) = _sequential(nn)
    expect(s[0] is a and s[1] is b and s[-1] is c, "s[0], s[1], s[-1] must be the modules")
    expect_equal(len(s), 3, "len(Sequential(a, b, c))")
    _same(iter(s), [a, b, c], "iter(Sequential(a, b, c))")


@graded("containers", "Sequential: slicing gives a Sequential")
def seq_slicing(nn: Any) -> None:
    s, (a, b, c) = _sequential(nn)
    tail = s[1:]
    expect(isinstance(tail, nn.Sequential), f"s[1:] is {type(tail).__name__}, expected Sequential")
    _same(iter(tail), [b, c], "iter(s[1:])")
    expect_equal(len(listed(tail.parameters(), "parameters()")), 2, "number of parameters of s[1:]")
    y = np.ones((2, 3))
    expect_close(tail(Tensor(y.copy())), -(y * y) + 0.5, "s[1:](x)")


@graded("containers", "Sequential: append registers and runs the module")
def seq_append(nn: Any) -> None:
    s, _ = _sequential(nn)
    Scale = _parts(nn)[0]
    d = Scale(3, 10.0)
    need(nn, "Sequential.append")
    s.append(d)
    expect(len(s) == 4 and s[3] is d, "append did not add the module at the end")
    expect("3.weight" in _params(s), "the appended module is not registered as '3'")
    expect_close(
        s(Tensor(_X.copy())), (-((_X * 2 + 0.5) ** 2) + 0.5) * 10 + 0.5, "output after append"
    )


@graded("containers", "Sequential: built from an OrderedDict keeps the names")
def seq_ordered_dict(nn: Any) -> None:
    Scale, Square = _parts(nn)
    s = need(nn, "Sequential")(OrderedDict([("scale", Scale(3, 2.0)), ("square", Square())]))
    expect_equal(_params(s), ["scale.weight", "scale.bias"], "named_parameters()")
    expect_close(s(Tensor(_X.copy())), (_X * 2 + 0.5) ** 2, "forward")


def _module_list(nn: Any, n: int = 3) -> tuple:
    Scale = _parts(nn)[0]
    mods = [Scale(2, float(i)) for i in range(n)]
    return need(nn, "ModuleList")(mods), mods


def _module_names(m: Any) -> list:
    return names_of(m.named_modules(), "named_modules()")


@graded("containers", "ModuleList: registers '0', '1', ...; indexing, len")
def list_basics(nn: Any) -> None:
    ml, mods = _module_list(nn)
    expect_equal(
        _params(ml)[:4],
        ["0.weight", "0.bias", "1.weight", "1.bias"],
        "named_parameters() of ModuleList([a, b, c])",
    )
    expect(ml[0] is mods[0] and ml[-1] is mods[2], "ml[0] and ml[-1] must be the modules")
    expect_equal(len(ml), 3, "len(ModuleList([a, b, c]))")
    _same(iter(ml), mods, "iter(ModuleList([a, b, c]))")
    expect_equal(len(need(nn, "ModuleList")()), 0, "len(ModuleList())")


@graded("containers", "ModuleList: append, extend and insert renumber")
def list_grow(nn: Any) -> None:
    ml, mods = _module_list(nn, 2)
    Scale = _parts(nn)[0]
    extra = [Scale(2, 5.0), Scale(2, 6.0), Scale(2, 7.0)]
    for method in ("append", "extend", "insert"):
        need(nn, f"ModuleList.{method}")
    ml.append(extra[0])
    ml.extend([extra[1]])
    ml.insert(1, extra[2])
    want = [mods[0], extra[2], mods[1], extra[0], extra[1]]
    _same(iter(ml), want, "the list after append, extend and insert(1, m)")
    expect_equal(_module_names(ml), ["", "0", "1", "2", "3", "4"], "named_modules() names")
    expect(ml[1] is extra[2], "after insert(1, m), ml[1] must be m")


@graded("containers", "ModuleList: del renumbers, ml[i] = m replaces")
def list_delete(nn: Any) -> None:
    ml, mods = _module_list(nn)
    Scale = _parts(nn)[0]
    need(nn, "ModuleList.__delitem__")
    need(nn, "ModuleList.__setitem__")
    del ml[0]
    _same(iter(ml), mods[1:], "the list after del ml[0]")
    expect_equal(_module_names(ml), ["", "0", "1"], "named_modules() after del ml[0]")
    new = Scale(2, 9.0)
    ml[1] = new
    expect(ml[1] is new, "ml[1] = m did not replace the module")
    expect_equal(len(listed(ml.parameters(), "parameters()")), 4, "number of parameters")
    expect(any(p is new.weight for p in ml.parameters()), "the new module is not registered")


@graded("containers", "ModuleList: slicing and + give ModuleLists")
def list_slice_add(nn: Any) -> None:
    ml, mods = _module_list(nn)
    ModuleList = nn.ModuleList
    part = ml[1:]
    expect(isinstance(part, ModuleList), f"ml[1:] is {type(part).__name__}, expected ModuleList")
    _same(iter(part), mods[1:], "iter(ml[1:])")
    extra = _parts(nn)[0](2, 8.0)
    both = part + ModuleList([extra])
    expect(isinstance(both, ModuleList), f"ml[1:] + other is {type(both).__name__}")
    _same(iter(both), mods[1:] + [extra], "iter(ml[1:] + other)")
    expect_equal(_module_names(both), ["", "0", "1", "2"], "named_modules() of ml[1:] + other")


def _module_dict(nn: Any) -> tuple:
    Scale, Square = _parts(nn)
    a, b = Scale(2, 1.0), Square()
    return need(nn, "ModuleDict")({"first": a, "act": b}), (a, b)


@graded("containers", "ModuleDict: keys register modules; [], in, len, del")
def dict_basics(nn: Any) -> None:
    md, (a, b) = _module_dict(nn)
    expect_equal(_params(md), ["first.weight", "first.bias"], "named_parameters()")
    expect(md["first"] is a and md["act"] is b, "md[key] must return the module")
    expect("act" in md and "nope" not in md, "'key in md' is wrong")
    expect_equal(len(md), 2, "len(md)")
    c = _parts(nn)[0](2, 3.0)
    need(nn, "ModuleDict.__setitem__")
    md["third"] = c
    expect_equal(_params(md)[-2:], ["third.weight", "third.bias"], "names after md['third'] = m")
    need(nn, "ModuleDict.__delitem__")
    del md["first"]
    expect_equal(_params(md), ["third.weight", "third.bias"], "names after del md['first']")


@graded("containers", "ModuleDict: keys, values, items, iteration")
def dict_views(nn: Any) -> None:
    md, (a, b) = _module_dict(nn)
    for method in ("keys", "values", "items"):
        need(nn, f"ModuleDict.{method}")
    expect_equal(list(md.keys()), ["first", "act"], "list(md.keys())")
    expect_equal(list(iter(md)), ["first", "act"], "list(md) (iteration is over keys)")
    _same(md.values(), [a, b], "md.values()")
    items = listed(md.items(), "md.items()")
    expect(
        len(items) == 2 and items[0][0] == "first" and items[0][1] is a,
        "md.items() must give (key, module) pairs in insertion order",
    )


@graded("containers", "ModuleDict: update (dict or pairs), pop, clear")
def dict_update(nn: Any) -> None:
    md, (a, b) = _module_dict(nn)
    Scale = _parts(nn)[0]
    c, d = Scale(2, 3.0), Scale(2, 4.0)
    for method in ("update", "pop", "clear"):
        need(nn, f"ModuleDict.{method}")
    md.update({"c": c})
    md.update([("d", d)])
    expect_equal(list(md.keys()), ["first", "act", "c", "d"], "keys after update")
    expect(md.pop("act") is b, "pop must return the removed module")
    expect_equal(list(md.keys()), ["first", "c", "d"], "keys after pop('act')")
    md.clear()
    expect_equal(len(md), 0, "len after clear()")
    expect_equal(len(listed(md.parameters(), "parameters()")), 0, "parameters after clear()")
    expect(np.all(array(c.weight, "weight") == 3.0), "clear() must not touch the modules")
