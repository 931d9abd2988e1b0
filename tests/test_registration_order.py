"""Registration order: re-assigning a name keeps its place, as in PyTorch.

Order is a contract: optimizers, `zip(a.parameters(), b.parameters())`, `state_dict()` keys
and the printed model all follow it. Each case is written out by hand, and a random
sequence of assignments is replayed on a clownpiece module and a torch module side by side.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

import clownpiece as cp
from clownpiece.nn import Buffer, Linear, Module, Parameter, Tanh


def registries(m) -> tuple:
    """Names in each registry, in order, and the non-persistent buffer names."""
    non_persistent = m.__dict__.get("_non_persistent_buffers")
    if non_persistent is None:  # torch
        non_persistent = m._non_persistent_buffers_set
    return list(m._parameters), list(m._buffers), list(m._modules), sorted(non_persistent)


class MovesToEnd(Module):
    """The old behaviour: a re-assigned name is dropped and registered again, at the end."""

    def __setattr__(self, name, value):
        if isinstance(value, (Parameter, Buffer, Module)):
            for registry in ("_parameters", "_buffers", "_modules"):
                self.__dict__[registry].pop(name, None)
        Module.__setattr__(self, name, value)


def order_after_reassignments(cls) -> tuple:
    """Registers a, b (params), r, s (buffers), c1, c2 (children), then re-assigns a, r, c1."""
    m = cls()
    m.a = Parameter(cp.ones(1))
    m.b = Parameter(cp.ones(1))
    m.register_buffer("r", cp.ones(1))
    m.register_buffer("s", cp.ones(1))
    m.c1 = Tanh()
    m.c2 = Tanh()
    m.a = Parameter(cp.zeros(2))
    m.r = Buffer(cp.zeros(2))
    m.c1 = Linear(1, 1)
    return registries(m)


EXPECTED = (["a", "b"], ["r", "s"], ["c1", "c2"], [])


def test_reassignment_keeps_the_position_of_every_kind():
    assert order_after_reassignments(Module) == EXPECTED
    assert order_after_reassignments(MovesToEnd) != EXPECTED  # the check sees the old bug


def test_replacing_a_layer_keeps_its_place_in_print_parameters_and_state_dict():
    def net(base):
        model = base()
        model.fc1 = Linear(3, 4)
        model.act = Tanh()
        model.fc2 = Linear(4, 2)
        return model

    for base, keeps in ((Module, True), (MovesToEnd, False)):
        model = net(base)
        model.fc1 = Linear(3, 4, bias=False)
        names = ["fc1.weight", "fc2.weight", "fc2.bias"]
        assert ([n for n, _ in model.named_parameters()] == names) is keeps
        assert (list(model.state_dict()) == ["fc1.weight", "fc1.bias", *names[1:]]) is keeps
        assert repr(model).split("\n")[1].startswith("  (fc1): Linear") is keeps


def test_weight_tying_keeps_weight_before_bias():
    enc, dec = Linear(3, 3), Linear(3, 3)
    dec.weight = enc.weight
    assert list(dec._parameters) == ["weight", "bias"]
    assert list(dec.state_dict()) == ["weight", "bias"]
    assert dec.weight is enc.weight


def test_none_then_a_parameter_again_keeps_the_slot():
    lin = Linear(2, 2)
    lin.weight = None
    lin.weight = Parameter(cp.ones(2, 2))
    assert list(lin._parameters) == ["weight", "bias"]


def test_moving_a_name_between_kinds_follows_pytorch():
    m = Module()
    m.register_buffer("x", cp.ones(1))
    m.y = Parameter(cp.ones(1))
    m.x = Parameter(cp.ones(1))  # buffer -> parameter: leaves the buffers, appended to params
    assert registries(m) == (["y", "x"], [], [], [])
    m.child = Tanh()
    m.child = Parameter(cp.ones(1))  # module -> parameter
    assert registries(m) == (["y", "x", "child"], [], [], [])
    with pytest.raises(TypeError, match="parameter 'y'"):
        m.y = Tanh()  # parameter -> module is refused, as in PyTorch
    with pytest.raises(TypeError, match="parameter 'y'"):
        m.y = Buffer(cp.ones(1))
    m.plain = 3
    with pytest.raises(KeyError, match="attribute 'plain' already exists"):
        m.plain = Buffer(cp.ones(1))  # PyTorch refuses a Buffer over a plain attribute too
    m.register_buffer("scratch", cp.ones(1), persistent=False)
    m.scratch = cp.zeros(1)  # a plain tensor keeps the buffer's persistence
    assert "scratch" not in m.state_dict()
    m.scratch = Buffer(cp.zeros(1))  # a Buffer is persistent (PyTorch's Buffer default)
    assert "scratch" in m.state_dict()


# ---------------------------------------------------------------------------- side by side

NAMES = ["a", "b", "c", "d"]
KINDS = [
    "parameter",
    "buffer",
    "plain tensor",
    "module",
    "None",
    "int",
    "delete",
    "register_buffer non-persistent",
]


def apply(lib, m, kind: str, name: str) -> str:
    """One operation on module `m` of library `lib` (clownpiece or torch); the error type or ok."""
    nn = lib.nn
    try:
        if kind == "parameter":
            setattr(m, name, nn.Parameter(lib.ones(1)))
        elif kind == "buffer":
            setattr(m, name, nn.Buffer(lib.ones(1)))
        elif kind == "plain tensor":
            setattr(m, name, lib.ones(1))
        elif kind == "module":
            setattr(m, name, nn.Tanh())
        elif kind == "None":
            setattr(m, name, None)
        elif kind == "int":
            setattr(m, name, 3)
        elif kind == "delete":
            delattr(m, name)
        else:
            m.register_buffer(name, lib.ones(1), persistent=False)
    except (TypeError, KeyError, AttributeError) as error:
        return type(error).__name__ if not isinstance(error, KeyError) else "KeyError"
    return "ok"


def replay(lib, module_cls, ops) -> list:
    m = module_cls()
    trace = []
    for kind, name in ops:
        outcome = apply(lib, m, kind, name)
        trace.append(
            (kind, name, outcome, registries(m), sorted(n for n in vars(m) if len(n) == 1))
        )
    return trace


def random_ops(seed: int) -> list:
    rng = random.Random(seed)
    return [(rng.choice(KINDS), rng.choice(NAMES)) for _ in range(14)]


def test_random_assignments_match_torch():
    torch = pytest.importorskip("torch")
    mismatches = 0
    for seed in range(300):
        ops = random_ops(seed)
        ours, theirs = replay(cp, Module, ops), replay(torch, torch.nn.Module, ops)
        assert ours == theirs, (
            seed,
            next(i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b),
        )
        mismatches += replay(cp, MovesToEnd, ops) != theirs
    assert mismatches > 50  # the same replay catches the old behaviour


def test_parameters_zip_pairs_the_same_tensors_after_edits():
    torch = pytest.importorskip("torch")

    def build(nn):
        net = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
        net[0].weight = nn.Parameter(net[0].weight.detach().clone())
        net[2].bias = None
        net[2].bias = nn.Parameter(
            net[2].weight.new_zeros(1) if hasattr(net[2].weight, "new_zeros") else cp.zeros(1)
        )
        return net

    ours, theirs = build(cp.nn), build(torch.nn)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [tuple(p.shape) for p in ours.parameters()] == [
        tuple(p.shape) for p in theirs.parameters()
    ]
    assert np.all([a.numel() == b.numel() for a, b in zip(ours.parameters(), theirs.parameters())])
