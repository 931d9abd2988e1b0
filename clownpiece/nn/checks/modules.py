"""Checks for Parts 1-3 of the course: registration, state dict and repr."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from typing import Any

import numpy as np

from ...checking import CheckReport
from ...tensor import Tensor
from ..module import Buffer, Module, Parameter


def _names(pairs) -> list:
    return [name for name, _ in pairs]


def _tree(module_cls: type, parameter_cls: type, buffer_cls: type) -> Any:
    """The seed's A/B example: A has parameter a and child b; B has parameter c and buffer r."""

    class B(module_cls):
        def __init__(self):
            super().__init__()
            self.c = parameter_cls(Tensor.ones(2))
            self.r = buffer_cls(Tensor.zeros(3))

    class A(module_cls):
        def __init__(self):
            super().__init__()
            self.a = parameter_cls(Tensor.ones(2, 2))
            self.b = B()

    return A()


def check_registration(
    module_cls: type = Module, parameter_cls: type = Parameter, buffer_cls: type = Buffer
) -> CheckReport:
    """Parameters, buffers and children are registered on assignment and found recursively."""
    rep = CheckReport(f"check_registration({module_cls.__name__})")

    def attribute_access():
        m = _tree(module_cls, parameter_cls, buffer_cls)
        assert isinstance(m.a, Tensor) and m.a.shape == (2, 2), "m.a is not the assigned parameter"
        assert isinstance(m.b.c, Tensor) and m.b.c.shape == (2,), "m.b.c is not the parameter"

    def plain_attribute():
        m = _tree(module_cls, parameter_cls, buffer_cls)
        m.note = 3
        assert m.note == 3, "plain attribute lost"
        assert "note" not in _names(m.named_parameters()), "plain attribute became a parameter"

    def dotted_names():
        got = _names(_tree(module_cls, parameter_cls, buffer_cls).named_parameters())
        assert got == ["a", "b.c"], f"named_parameters() gave {got}, expected ['a', 'b.c']"

    def not_recursive():
        got = _names(_tree(module_cls, parameter_cls, buffer_cls).named_parameters(recursive=False))
        assert got == ["a"], f"named_parameters(recursive=False) gave {got}, expected ['a']"

    def parameters_values():
        m = _tree(module_cls, parameter_cls, buffer_cls)
        got = list(m.parameters())
        assert len(got) == 2 and got[0] is m.a and got[1] is m.b.c, "parameters() order/identity"

    def buffers():
        m = _tree(module_cls, parameter_cls, buffer_cls)
        got = _names(m.named_buffers())
        assert got == ["b.r"], f"named_buffers() gave {got}, expected ['b.r']"
        assert len(list(m.buffers())) == 1, "buffers() should yield one buffer"

    def modules():
        m = _tree(module_cls, parameter_cls, buffer_cls)
        got = _names(m.named_modules())
        assert got == ["", "b"], f"named_modules() gave {got}, expected ['', 'b']"
        assert list(m.modules())[0] is m, "modules() must start with the module itself"

    def none_placeholder():
        m = module_cls()
        m.register_parameter("bias", None)
        assert m.bias is None, "a None placeholder must read back as None"
        assert list(m.parameters()) == [], "a None placeholder is not a parameter"

    def shared_once():
        m = module_cls()
        p = parameter_cls(Tensor.ones(2))
        m.x, m.y = p, p
        assert len(list(m.parameters())) == 1, "a parameter reachable twice must be yielded once"

    for name, fn in [
        ("attribute access returns what was assigned", attribute_access),
        ("plain attributes stay plain", plain_attribute),
        ("dotted recursive names (a, b.c)", dotted_names),
        ("recursive=False gives own parameters only", not_recursive),
        ("parameters() yields the objects, own first", parameters_values),
        ("buffers registered and named", buffers),
        ("modules() is self first, then children", modules),
        ("register_parameter(name, None) placeholder", none_placeholder),
        ("shared parameter yielded once", shared_once),
    ]:
        rep.run(name, fn)
    return rep


def _linear_like(module_cls: type, parameter_cls: type, bias: bool = True) -> Any:
    class Lin(module_cls):
        def __init__(self):
            super().__init__()
            self.weight = parameter_cls(Tensor(np.arange(6.0).reshape(2, 3)))
            if bias:
                self.bias = parameter_cls(Tensor.ones(2))
            else:
                self.register_parameter("bias", None)

    class Net(module_cls):
        def __init__(self):
            super().__init__()
            self.fc = Lin()

    return Net()


def check_state_dict(
    module_cls: type = Module, parameter_cls: type = Parameter, buffer_cls: type = Buffer
) -> CheckReport:
    """state_dict shares storage, keeps None slots; load_state_dict copies and checks strictly."""
    rep = CheckReport(f"check_state_dict({module_cls.__name__})")
    make = lambda bias=True: _linear_like(module_cls, parameter_cls, bias)  # noqa: E731

    def keys():
        got = list(_tree(module_cls, parameter_cls, buffer_cls).state_dict())
        assert got == ["a", "b.c", "b.r"], f"state_dict keys {got}, expected ['a', 'b.c', 'b.r']"

    def shallow():
        m = make()
        sd = m.state_dict()
        m.fc.weight._data[0, 0] = 42.0
        assert float(sd["fc.weight"]._data[0, 0]) == 42.0, "state_dict copied the tensor"

    def none_slot():
        sd = make(bias=False).state_dict()
        assert "fc.bias" in sd and sd["fc.bias"] is None, "disabled bias must be present as None"

    def load_copies():
        m, src = make(), make()
        src.fc.weight._data[...] = 5.0
        weight = m.fc.weight
        m.load_state_dict(src.state_dict())
        assert m.fc.weight is weight, "load_state_dict replaced the parameter object"
        assert np.all(weight._data == 5.0), "values were not loaded"
        src.fc.weight._data[...] = 6.0
        assert np.all(weight._data == 5.0), "loaded by reference instead of copying"

    def raises(sd_edit: Callable[[dict], None], what: str) -> Callable[[], None]:
        def sub():
            m = make()
            sd = dict(make().state_dict())
            sd_edit(sd)
            try:
                m.load_state_dict(sd, strict=True)
            except RuntimeError:
                return
            raise AssertionError(f"strict load with {what} did not raise RuntimeError")

        return sub

    def non_strict():
        m, src = make(), make()
        src.fc.weight._data[...] = 3.0
        sd = dict(src.state_dict())
        del sd["fc.bias"]
        sd["extra"] = Tensor.ones(1)
        m.load_state_dict(sd, strict=False)
        assert np.all(m.fc.weight._data == 3.0), "non-strict load skipped a matching key"

    def pickles():
        sd = make().state_dict()
        back = pickle.loads(pickle.dumps(sd))
        assert list(back) == list(sd), "pickled state_dict lost keys"
        assert np.array_equal(np.asarray(back["fc.weight"]._data), sd["fc.weight"]._data)

    for name, fn in [
        ("keys are dotted names, params then buffers", keys),
        ("state_dict shares storage (no copy)", shallow),
        ("disabled weight present as None", none_slot),
        ("load_state_dict copies in place", load_copies),
        ("strict: unexpected key raises", raises(lambda sd: sd.update(extra=Tensor.ones(1)), "an extra key")),
        ("strict: missing key raises", raises(lambda sd: sd.pop("fc.bias"), "a missing key")),
        ("strict: shape mismatch raises", raises(lambda sd: sd.update({"fc.weight": Tensor.ones(3, 2)}), "a wrong shape")),
        ("non-strict loads what matches", non_strict),
        ("state_dict survives pickle", pickles),
    ]:
        rep.run(name, fn)
    return rep


SIMPLENET_REPR = """SimpleNet(
  (layer1): Linear(in_features=784, out_features=128, bias=True)
  (activation): ReLU()
  (layer2): Linear(in_features=128, out_features=10, bias=True)
)"""


def check_repr(module_cls: type = Module) -> CheckReport:
    """__repr__ prints class names, extra_repr and indented children (SimpleNet exactly)."""
    rep = CheckReport(f"check_repr({module_cls.__name__})")

    class Linear(module_cls):
        def __init__(self, i, o):
            super().__init__()
            self.i, self.o = i, o

        def extra_repr(self):
            return f"in_features={self.i}, out_features={self.o}, bias=True"

    class ReLU(module_cls):
        pass

    class SimpleNet(module_cls):
        def __init__(self):
            super().__init__()
            self.layer1, self.activation, self.layer2 = Linear(784, 128), ReLU(), Linear(128, 10)

    class Outer(module_cls):
        def __init__(self):
            super().__init__()
            self.net = SimpleNet()

    def equal(got: str, want: str) -> None:
        assert got == want, f"got {got!r}, expected {want!r}"

    nested = "Outer(\n  (net): " + SIMPLENET_REPR.replace("\n", "\n  ") + "\n)"
    for name, fn in [
        ("leaf without extra_repr: 'ReLU()'", lambda: equal(repr(ReLU()), "ReLU()")),
        ("leaf with extra_repr on one line", lambda: equal(repr(Linear(2, 3)), "Linear(in_features=2, out_features=3, bias=True)")),
        ("SimpleNet text exactly as the course shows", lambda: equal(repr(SimpleNet()), SIMPLENET_REPR)),
        ("two levels of nesting indent by two spaces", lambda: equal(repr(Outer()), nested)),
    ]:
        rep.run(name, fn)
    return rep
