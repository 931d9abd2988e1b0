"""Part 1 checks of chapter 3: state_dict shares storage, load_state_dict copies in place and
is strict and all-or-nothing."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor
from .catalog import graded
from .expect import (
    array,
    expect,
    expect_equal,
    expect_raises,
    fail,
    need,
)
from .part1_registration import seed_tree

# ---------------------------------------------------------------------------- state dict


def _linear_like(nn: Any, bias: bool = True) -> Any:
    """Net(fc=Lin(weight (2, 3) = 0..5, bias (2,) = ones or None))."""
    Module, Parameter = need(nn, "Module"), need(nn, "Parameter")

    class Lin(Module):
        def __init__(self):
            super().__init__()
            self.weight = Parameter(Tensor(np.arange(6.0).reshape(2, 3)))
            if bias:
                self.bias = Parameter(Tensor.ones(2))
            else:
                self.register_parameter("bias", None)

    class Net(Module):
        def __init__(self):
            super().__init__()
            self.fc = Lin()

    return Net()


def _state(nn: Any, m: Any) -> dict:
    need(nn, "Module.state_dict")
    sd = m.state_dict()
    expect(
        hasattr(sd, "keys") and hasattr(sd, "__getitem__"),
        f"state_dict() returned {type(sd).__name__}, expected a dict",
    )
    return sd


def _fill(t: Tensor, value: float) -> None:
    with no_grad():
        t.fill_(value)


@graded("state_dict", "keys are dotted names, params then buffers")
def keys(nn: Any) -> None:
    expect_equal(list(_state(nn, seed_tree(nn))), ["a", "b.c", "b.r"], "state_dict() keys")
    expect_equal(list(_state(nn, _linear_like(nn))), ["fc.weight", "fc.bias"], "state_dict() keys")


@graded("state_dict", "state_dict shares storage (no copy)")
def shallow(nn: Any) -> None:
    m = _linear_like(nn)
    sd = _state(nn, m)
    _fill(m.fc.weight, 42.0)
    got = array(sd["fc.weight"], "state_dict()['fc.weight']")
    expect(
        np.all(got == 42.0),
        "after changing the weight, state_dict()['fc.weight'] still holds the old values "
        "(it must refer to the module's tensor, not copy it)",
    )


@graded("state_dict", "disabled weight present as None")
def none_slot(nn: Any) -> None:
    sd = _state(nn, _linear_like(nn, bias=False))
    expect("fc.bias" in sd, f"state_dict() keys {list(sd)} lack 'fc.bias' (a None slot)")
    expect(sd["fc.bias"] is None, f"state_dict()['fc.bias'] is {sd['fc.bias']!r}, expected None")
    m = _linear_like(nn, bias=False)
    need(nn, "Module.load_state_dict")
    m.load_state_dict(sd)
    expect(m.fc.bias is None, "loading a None slot must keep the bias None")


@graded("state_dict", "load_state_dict copies in place")
def load_copies(nn: Any) -> None:
    m, src = seed_tree(nn), seed_tree(nn)
    need(nn, "Module.load_state_dict")
    _fill(src.a, 5.0)
    with no_grad():
        src.b.r.fill_(7.0)
    weight, storage = m.a, m.a.numpy()
    m.load_state_dict(src.state_dict())
    expect(m.a is weight, "load_state_dict replaced the parameter object (copy values into it)")
    expect(
        np.shares_memory(weight.numpy(), storage),
        "load_state_dict replaced the parameter's storage (write into it with copy_)",
    )
    expect(np.all(array(weight, "m.a") == 5.0), "the parameter's values were not loaded")
    expect(np.all(array(m.b.r, "m.b.r") == 7.0), "the buffer's values were not loaded")
    _fill(src.a, 6.0)
    expect(
        np.all(array(weight, "m.a") == 5.0),
        "the loaded parameter changes with the source tensor (it aliases it: copy instead)",
    )


def _strict_raises(nn: Any, edit: Any, what: str) -> None:
    m, sd = _linear_like(nn), dict(_state(nn, _linear_like(nn)))
    need(nn, "Module.load_state_dict")
    edit(sd)
    expect_raises(
        RuntimeError, lambda: m.load_state_dict(sd, strict=True), f"strict load with {what}"
    )


@graded("state_dict", "strict: unexpected key raises RuntimeError")
def strict_unexpected(nn: Any) -> None:
    _strict_raises(nn, lambda sd: sd.update(extra=Tensor.ones(1)), "an extra key")


@graded("state_dict", "strict: missing key raises RuntimeError")
def strict_missing(nn: Any) -> None:
    _strict_raises(nn, lambda sd: sd.pop("fc.bias"), "a missing key")


@graded("state_dict", "strict: shape mismatch raises RuntimeError")
def strict_shape(nn: Any) -> None:
    _strict_raises(nn, lambda sd: sd.update({"fc.weight": Tensor.ones(3, 2)}), "a wrong shape")


@graded("state_dict", "a failed strict load changes nothing")
def all_or_nothing(nn: Any) -> None:
    need(nn, "Module.load_state_dict")
    for what, bad in (
        ("a wrong shape", {"fc.bias": Tensor.ones(5)}),
        ("an extra key", {"extra": Tensor.ones(1)}),
    ):
        m = _linear_like(nn)
        sd = {"fc.weight": Tensor.full((2, 3), 9.0), "fc.bias": Tensor.full((2,), 9.0)}
        sd.update(bad)
        expect_raises(
            RuntimeError, lambda m=m, sd=sd: m.load_state_dict(sd), f"strict load with {what}"
        )
        if np.any(array(m.fc.weight, "fc.weight") == 9.0):
            fail(
                f"a strict load with {what} raised but had already written fc.weight "
                "(check every key before copying any)"
            )


@graded("state_dict", "non-strict loads what matches")
def non_strict(nn: Any) -> None:
    m = _linear_like(nn)
    need(nn, "Module.load_state_dict")
    sd = {"fc.weight": Tensor.full((2, 3), 3.0), "extra": Tensor.ones(1)}
    m.load_state_dict(sd, strict=False)
    expect(np.all(array(m.fc.weight, "fc.weight") == 3.0), "non-strict load skipped a matching key")
    expect(np.all(array(m.fc.bias, "fc.bias") == 1.0), "non-strict load changed a missing key")


@graded("state_dict", "state_dict survives pickle")
def pickles(nn: Any) -> None:
    sd = _state(nn, _linear_like(nn))
    back = pickle.loads(pickle.dumps(dict(sd)))
    expect_equal(list(back), list(sd), "keys after a pickle round trip")
    expect(
        np.array_equal(array(back["fc.weight"], "fc.weight"), np.arange(6.0).reshape(2, 3)),
        "values changed in a pickle round trip",
    )
