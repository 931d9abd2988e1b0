"""None placeholders in Sequential, ModuleList and ModuleDict, as PyTorch allows them.

A None entry keeps its index or key: it is listed by iteration, len and repr, skipped by
children(), named_modules() and state_dict(); a Sequential cannot run through it.
"""

from __future__ import annotations

from collections import OrderedDict

import pytest

import clownpiece as cp
from clownpiece import nn


def observe(container) -> dict:
    """Everything a user can see of a container, library-independent."""
    names = [type(m).__name__ if m is not None else None for m in container]
    if hasattr(container, "keys"):
        names = [
            (k, type(container[k]).__name__ if container[k] is not None else None)
            for k in container.keys()
        ]
    return {
        "entries": names,
        "len": len(container),
        "repr": repr(container),
        "children": [n for n, _ in container.named_children()],
        "modules": [n for n, _ in container.named_modules()],
        "state_dict": list(container.state_dict()),
    }


def list_scenario(lib):
    ml = lib.nn.ModuleList([lib.nn.Tanh(), lib.nn.Linear(2, 2), lib.nn.Tanh()])
    ml[1] = None
    ml.append(None)
    ml.extend([None, lib.nn.Tanh()])
    ml.insert(0, None)
    del ml[2]
    return [observe(ml), observe(ml[0:3]), observe(ml + lib.nn.ModuleList([None]))]


def sequential_scenario(lib):
    seq = lib.nn.Sequential(lib.nn.Tanh(), lib.nn.Linear(2, 2), None)
    seq[1] = None
    seq.append(None)
    named = lib.nn.Sequential(OrderedDict([("a", None), ("b", lib.nn.Tanh())]))
    return [observe(seq), observe(seq[1:]), observe(named)]


def dict_scenario(lib):
    md = lib.nn.ModuleDict({"a": lib.nn.Tanh(), "b": lib.nn.Linear(2, 2)})
    md["a"] = None  # keeps its position
    md.update({"c": None, "d": lib.nn.Tanh()})
    md.update([("e", None)])
    popped = md.pop("c")
    return [observe(md), popped, observe(lib.nn.ModuleDict({"x": None}))]


EXPECTED_LIST_REPR = """ModuleList(
  (0): None
  (1-2): 2 x Tanh()
  (3-4): 2 x None
  (5): Tanh()
)"""


@pytest.mark.parametrize("scenario", [list_scenario, sequential_scenario, dict_scenario])
def test_none_placeholders_match_torch(scenario):
    torch = pytest.importorskip("torch")
    assert scenario(cp) == scenario(torch)


def test_modulelist_with_none_by_hand():
    first = list_scenario(cp)[0]
    assert first["entries"] == [None, "Tanh", "Tanh", None, None, "Tanh"] and first["len"] == 6
    assert first["repr"] == EXPECTED_LIST_REPR
    assert first["children"] == ["1", "2", "5"] and first["state_dict"] == []


def test_moduledict_with_none_by_hand():
    md, popped, single = dict_scenario(cp)
    assert md["entries"] == [("a", None), ("b", "Linear"), ("d", "Tanh"), ("e", None)]
    assert popped is None and md["state_dict"] == ["b.weight", "b.bias"]
    assert single["repr"] == "ModuleDict(\n  (x): None\n)"


def test_sequential_cannot_run_through_a_placeholder():
    seq = nn.Sequential(nn.Tanh(), None, nn.Tanh())
    with pytest.raises(TypeError, match=r"Sequential entry \(1\) is None"):
        seq(cp.ones(2))
    seq[1] = nn.Tanh()
    assert seq(cp.zeros(2)).numpy().tolist() == [0.0, 0.0]
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError):  # PyTorch: 'NoneType' object is not callable
        torch.nn.Sequential(torch.nn.Tanh(), None)(torch.ones(2))


def test_non_modules_are_still_refused():
    for action in (
        lambda: nn.ModuleList([3]),
        lambda: nn.Sequential(nn.Tanh(), "relu"),
        lambda: nn.ModuleDict({"a": 1.5}),
        lambda: nn.ModuleList().append(lambda x: x),
    ):
        with pytest.raises(TypeError, match="expects a Module, got"):
            action()


# The checks above, run against the old containers: each must be caught.
class RefusesNone(nn.ModuleList):
    def __setitem__(self, idx, module):
        if module is None:
            raise TypeError("ModuleList[i] expects a Module, got NoneType")
        super().__setitem__(idx, module)


class SkipsNone(nn.Sequential):
    def forward(self, x):
        for module in self:
            if module is not None:
                x = module(x)
        return x


def test_checks_catch_the_old_containers():
    with pytest.raises(TypeError):
        RefusesNone([nn.Tanh()])[0] = None
    quiet = SkipsNone(nn.Tanh(), None)
    assert quiet(cp.zeros(1)).numpy().tolist() == [0.0]  # runs, where PyTorch raises
