"""Part 1 checks of chapter 4: __repr__ in PyTorch's layout, and __call__ with forward hooks."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor
from .catalog import graded
from .expect import (
    array,
    expect,
    expect_equal,
    expect_raises,
    need,
    text_difference,
)

# ---------------------------------------------------------------------------- repr

SIMPLENET_REPR = """SimpleNet(
  (layer1): Linear(in_features=784, out_features=128, bias=True)
  (activation): ReLU()
  (layer2): Linear(in_features=128, out_features=10, bias=True)
)"""


def _repr_models(nn: Any) -> tuple:
    Module = need(nn, "Module")

    class Linear(Module):
        def __init__(self, i, o):
            super().__init__()
            self.i, self.o = i, o

        def extra_repr(self):
            return f"in_features={self.i}, out_features={self.o}, bias=True"

    class ReLU(Module):
        pass

    class SimpleNet(Module):
        def __init__(self):
            super().__init__()
            self.layer1, self.activation, self.layer2 = Linear(784, 128), ReLU(), Linear(128, 10)

    class Outer(Module):
        def __init__(self):
            super().__init__()
            self.net = SimpleNet()

    return Linear, ReLU, SimpleNet, Outer


@graded("repr", "leaf without extra_repr: 'ReLU()'")
def repr_leaf(nn: Any) -> None:
    text_difference(repr(_repr_models(nn)[1]()), "ReLU()", "repr(ReLU())")


@graded("repr", "leaf with extra_repr on one line")
def repr_extra(nn: Any) -> None:
    want = "Linear(in_features=2, out_features=3, bias=True)"
    text_difference(repr(_repr_models(nn)[0](2, 3)), want, "repr(Linear(2, 3))")


@graded("repr", "SimpleNet text exactly as the course shows")
def repr_simplenet(nn: Any) -> None:
    text_difference(repr(_repr_models(nn)[2]()), SIMPLENET_REPR, "repr(SimpleNet())")


@graded("repr", "two levels of nesting indent by two spaces")
def repr_nested(nn: Any) -> None:
    want = "Outer(\n  (net): " + SIMPLENET_REPR.replace("\n", "\n  ") + "\n)"
    text_difference(repr(_repr_models(nn)[3]()), want, "repr(Outer())")


# ---------------------------------------------------------------------------- forward


def _echo(nn: Any) -> Any:
    class Echo(need(nn, "Module")):
        def forward(self, x, scale=1.0):
            return x * scale

    return Echo()


@graded("forward", "calling a module runs forward with its arguments")
def calls_forward(nn: Any) -> None:
    out = _echo(nn)(Tensor([1.0, 2.0]), scale=3.0)
    expect_equal(array(out, "Echo()(x, scale=3)").tolist(), [3.0, 6.0], "Echo()(x, scale=3)")
    expect_raises(
        NotImplementedError, lambda: nn.Module()(Tensor(1.0)), "calling a Module without forward"
    )


@graded("forward", "forward pre-hook sees (module, args), may replace args")
def pre_hook(nn: Any) -> None:
    m, x, seen = _echo(nn), Tensor([1.0, 2.0]), []
    need(nn, "Module.register_forward_pre_hook")
    m.register_forward_pre_hook(lambda module, args: seen.append((module, args)))
    m.register_forward_pre_hook(lambda module, args: (args[0] * 10,))
    out = m(x)
    expect(len(seen) == 1 and seen[0][0] is m, "the pre-hook was not called once with the module")
    expect(
        isinstance(seen[0][1], tuple) and len(seen[0][1]) == 1 and seen[0][1][0] is x,
        f"the pre-hook got args {seen[0][1]!r}, expected the tuple (x,)",
    )
    expect_equal(
        array(out, "output").tolist(), [10.0, 20.0], "output when a pre-hook returns (10 * x,)"
    )


@graded("forward", "forward hook sees (module, args, output), may replace it")
def forward_hook(nn: Any) -> None:
    m, x, seen = _echo(nn), Tensor([1.0, 2.0]), []
    need(nn, "Module.register_forward_hook")
    m.register_forward_hook(lambda module, args, output: seen.append((module, args, output)))
    m.register_forward_hook(lambda module, args, output: output + 1)
    out = m(x, scale=2.0)
    expect(len(seen) == 1 and seen[0][0] is m, "the hook was not called once with the module")
    expect(isinstance(seen[0][1], tuple) and seen[0][1][0] is x, "the hook did not get args (x,)")
    expect_equal(
        array(seen[0][2], "the hook's output").tolist(), [2.0, 4.0], "output seen by the hook"
    )
    expect_equal(array(out, "output").tolist(), [3.0, 5.0], "output when a hook returns output + 1")


@graded("forward", "handle.remove() unregisters a hook")
def remove_hook(nn: Any) -> None:
    m, calls = _echo(nn), []
    need(nn, "Module.register_forward_hook")
    need(nn, "Module.register_forward_pre_hook")
    pre = m.register_forward_pre_hook(lambda module, args: calls.append("pre"))
    post = m.register_forward_hook(lambda module, args, output: calls.append("post"))
    m(Tensor(1.0))
    expect_equal(calls, ["pre", "post"], "hooks called by one call")
    for handle in (pre, post):
        expect(
            callable(getattr(type(handle), "remove", None)),
            f"register_forward_(pre_)hook returned {type(handle).__name__}, expected a handle "
            "with remove()",
        )
    pre.remove()
    post.remove()
    m(Tensor(1.0))
    expect_equal(calls, ["pre", "post"], "hooks called after both handles were removed")
