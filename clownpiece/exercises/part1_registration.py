"""Part 1 checks of chapter 2: registration by assignment, the named iterators, and the
modes (train/eval, zero_grad). Every check takes the package under test (`nn`) and builds
small modules from its `Module`, `Parameter` and `Buffer`."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .catalog import graded
from .expect import (
    array,
    expect,
    expect_equal,
    listed,
    names_of,
    need,
    need_any,
)


def seed_tree(nn: Any) -> Any:
    """The course's A/B example: A holds parameter a and child b; B holds parameter c and
    buffer r."""
    Module, Parameter, Buffer = need(nn, "Module"), need(nn, "Parameter"), need(nn, "Buffer")

    class B(Module):
        def __init__(self):
            super().__init__()
            self.c = Parameter(Tensor.ones(2))
            self.r = Buffer(Tensor.zeros(3))

    class A(Module):
        def __init__(self):
            super().__init__()
            self.a = Parameter(Tensor.ones(2, 2))
            self.b = B()

    return A()


def _named(pairs: Any, what: str) -> list:
    return names_of(pairs, what)


# ---------------------------------------------------------------------------- registration


@graded("registration", "attribute access returns what was assigned")
def attribute_access(nn: Any) -> None:
    m = seed_tree(nn)
    expect(
        isinstance(m.a, nn.Parameter) and m.a.shape == (2, 2),
        f"m.a is {type(m.a).__name__}, expected the (2, 2) Parameter",
    )
    b = m.b
    expect(isinstance(b, nn.Module), f"m.b is {type(b).__name__}, expected the child module")
    expect(
        isinstance(b.c, nn.Parameter) and b.c.shape == (2,),
        f"m.b.c is {type(b.c).__name__}, expected the (2,) Parameter",
    )
    expect(
        isinstance(b.r, nn.Buffer) and b.r.shape == (3,),
        f"m.b.r is {type(b.r).__name__}, expected the (3,) Buffer",
    )


@graded("registration", "plain attributes stay plain")
def plain_attribute(nn: Any) -> None:
    m = seed_tree(nn)
    m.note = 3
    m.data = Tensor.ones(2)  # a plain Tensor is not a Parameter
    expect_equal(m.note, 3, "m.note after m.note = 3")
    got = _named(m.named_parameters(), "named_parameters()")
    expect("note" not in got and "data" not in got, f"plain attributes became parameters: {got}")
    expect(
        _named(m.named_buffers(), "named_buffers()") == ["b.r"], "a plain Tensor became a buffer"
    )


@graded("registration", "dotted recursive names (a, b.c)")
def dotted_names(nn: Any) -> None:
    got = _named(seed_tree(nn).named_parameters(), "named_parameters()")
    expect_equal(got, ["a", "b.c"], "named_parameters() names")

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(Tensor.ones(1))
            self.inner = seed_tree(nn)

    got = _named(Outer().named_parameters(), "named_parameters()")
    expect_equal(got, ["w", "inner.a", "inner.b.c"], "three levels: named_parameters() names")


@graded("registration", "recursive=False gives own parameters only")
def not_recursive(nn: Any) -> None:
    m = seed_tree(nn)
    got = _named(m.named_parameters(recursive=False), "named_parameters(recursive=False)")
    expect_equal(got, ["a"], "named_parameters(recursive=False) names")
    got = listed(m.parameters(recursive=False), "parameters(recursive=False)")
    expect(len(got) == 1 and got[0] is m.a, "parameters(recursive=False) must yield only m.a")


@graded("registration", "parameters() yields the objects, own first")
def parameters_values(nn: Any) -> None:
    m = seed_tree(nn)
    got = listed(m.parameters(), "parameters()")
    expect_equal(len(got), 2, "number of parameters()")
    expect(
        got[0] is m.a and got[1] is m.b.c,
        "parameters() must yield m.a then m.b.c (the objects themselves, own first)",
    )


@graded("registration", "buffers registered and named")
def buffers(nn: Any) -> None:
    m = seed_tree(nn)
    expect_equal(_named(m.named_buffers(), "named_buffers()"), ["b.r"], "named_buffers() names")
    got = listed(m.buffers(), "buffers()")
    expect(len(got) == 1 and got[0] is m.b.r, "buffers() must yield m.b.r itself")
    got = listed(m.buffers(recursive=False), "buffers(recursive=False)")
    expect_equal(len(got), 0, "number of buffers(recursive=False) of A")


@graded("registration", "modules() is self first, then children")
def modules(nn: Any) -> None:
    m = seed_tree(nn)
    expect_equal(_named(m.named_modules(), "named_modules()"), ["", "b"], "named_modules() names")
    got = listed(m.modules(), "modules()")
    expect(len(got) == 2 and got[0] is m and got[1] is m.b, "modules() must yield m, then m.b")
    got = listed(m.modules(recursive=False), "modules(recursive=False)")
    expect(len(got) == 1 and got[0] is m, "modules(recursive=False) must yield m only")


@graded("registration", "register_parameter(name, None) placeholder")
def none_placeholder(nn: Any) -> None:
    m = need(nn, "Module")()
    m.register_parameter("bias", None)
    expect(m.bias is None, "after register_parameter('bias', None), m.bias must be None")
    expect_equal(listed(m.parameters(), "parameters()"), [], "parameters() of a None placeholder")
    m.bias = nn.Parameter(Tensor.ones(1))
    expect_equal(
        _named(m.named_parameters(), "named_parameters()"),
        ["bias"],
        "named_parameters() after filling the placeholder",
    )


@graded("registration", "register_buffer and register_modules by name")
def register_by_name(nn: Any) -> None:
    m = need(nn, "Module")()
    register_module = need_any(nn, "Module", "register_modules", "register_module")
    m.register_buffer("steps", nn.Buffer(Tensor.zeros(1)))
    register_module(m, "child", seed_tree(nn))
    expect_equal(
        _named(m.named_buffers(), "named_buffers()"),
        ["steps", "child.b.r"],
        "named_buffers() names",
    )
    expect_equal(
        _named(m.named_modules(), "named_modules()"),
        ["", "child", "child.b"],
        "named_modules() names",
    )
    expect(isinstance(m.child, nn.Module), "m.child must return the registered module")


@graded("registration", "reassigning a name replaces the registered value")
def reassign(nn: Any) -> None:
    m = need(nn, "Module")()
    first, second = nn.Parameter(Tensor.ones(1)), nn.Parameter(Tensor.zeros(3))
    m.w = first
    m.w = second
    got = listed(m.parameters(), "parameters()")
    expect(
        len(got) == 1 and got[0] is second, "after m.w = p1; m.w = p2, parameters() must be [p2]"
    )
    expect(m.w is second, "m.w must return the parameter assigned last")


@graded("registration", "shared parameter yielded once")
def shared_parameter(nn: Any) -> None:
    m = need(nn, "Module")()
    p = nn.Parameter(Tensor.ones(2))
    m.x, m.y = p, p
    expect_equal(
        len(listed(m.parameters(), "parameters()")),
        1,
        "number of parameters() when one parameter is registered twice",
    )
    expect_equal(
        _named(m.named_parameters(), "named_parameters()"),
        ["x"],
        "named_parameters() names (the first name wins)",
    )


@graded("registration", "shared child module yielded once")
def shared_module(nn: Any) -> None:
    child = seed_tree(nn)
    m = nn.Module()
    m.first, m.second = child, child
    expect_equal(
        _named(m.named_modules(), "named_modules()"),
        ["", "first", "first.b"],
        "named_modules() names",
    )
    expect_equal(
        len(listed(m.parameters(), "parameters()")),
        2,
        "number of parameters() when one child is registered twice",
    )


# ---------------------------------------------------------------------------- modes


@graded("modes", "train() / eval() switch every submodule and return self")
def train_eval(nn: Any) -> None:
    m = seed_tree(nn)
    need(nn, "Module.train")
    need(nn, "Module.eval")
    expect(m.training is True and m.b.training is True, "a new module must be in training mode")
    expect(m.eval() is m, "eval() must return the module itself")
    expect(m.training is False and m.b.training is False, "eval() must reach every submodule")
    expect(m.train() is m, "train() must return the module itself")
    expect(m.training is True and m.b.training is True, "train() must reach every submodule")
    m.train(False)
    expect(m.b.training is False, "train(False) must work like eval()")


@graded("modes", "zero_grad() clears every parameter's gradient")
def zero_grad(nn: Any) -> None:
    m = seed_tree(nn)
    need(nn, "Module.zero_grad")
    (m.a.sum() + (m.b.c * 3).sum()).backward()
    expect(m.b.c.grad is not None, "backward gave m.b.c no gradient (is it a Parameter?)")
    m.zero_grad()
    for name, p in (("a", m.a), ("b.c", m.b.c)):
        grad = p.grad
        expect(
            grad is None or not np.any(array(grad, f"{name}.grad")),
            f"after zero_grad(), {name}.grad is {grad!r}, expected None or zeros",
        )
