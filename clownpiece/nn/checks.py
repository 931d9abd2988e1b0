"""Behavioural checks that the book's exercises run on a student's implementation.

Each `check_*` runs several named sub-checks and returns a `CheckReport`: it prints as a
pass/fail table, is truthy only when every sub-check passed, and `assert_ok()` raises
with the failures.  The unit tests run the same checks on the reference classes.

    check_registration(Module, Parameter, Buffer)
    check_state_dict(Module, Parameter, Buffer)
    check_repr(Module)
    check_init("xavier_uniform_", my_xavier_uniform_)      # any name in INIT_TARGETS
    check_linear(Linear)
    check_tanh(Tanh)
    check_sequential(Sequential)
    check_layernorm(LayerNorm)
    check_cross_entropy(CrossEntropyLoss)
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import rng
from ..checking import CheckReport
from ..tensor import Tensor
from .module import Buffer, Module, Parameter


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


# ---------------------------------------------------------------------------- init

# name -> (target CDF given the tensor shape (10, 20), or None for constants)
def _uniform_cdf(a: float, b: float) -> Callable:
    return lambda x: np.clip((x - a) / (b - a), 0.0, 1.0)


def _normal_cdf(std: float) -> Callable:
    erf = np.vectorize(math.erf)
    return lambda x: 0.5 * (1 + erf(x / (std * math.sqrt(2))))


_FAN_IN, _FAN_OUT = 20, 10  # a (10, 20) weight
_SQRT5_GAIN = math.sqrt(2 / (1 + 5))  # kaiming with a = sqrt(5), nonlinearity leaky_relu
INIT_TARGETS: dict[str, tuple[dict, float, Callable]] = {
    # name: (kwargs, std of the target, target CDF)
    "uniform_": ({"low": -2.0, "high": 1.0}, math.sqrt(9 / 12), _uniform_cdf(-2.0, 1.0)),
    "normal_": ({"mean": 0.0, "std": 2.0}, 2.0, _normal_cdf(2.0)),
    "xavier_uniform_": ({"gain": 1.5}, 1.5 * math.sqrt(2 / 30), _uniform_cdf(-1.5 * math.sqrt(6 / 30), 1.5 * math.sqrt(6 / 30))),
    "xavier_normal_": ({"gain": 1.5}, 1.5 * math.sqrt(2 / 30), _normal_cdf(1.5 * math.sqrt(2 / 30))),
    "kaiming_uniform_": ({"a": math.sqrt(5)}, _SQRT5_GAIN / math.sqrt(_FAN_IN), _uniform_cdf(-_SQRT5_GAIN * math.sqrt(3 / 20), _SQRT5_GAIN * math.sqrt(3 / 20))),
    "kaiming_normal_": ({"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(2 / _FAN_OUT), _normal_cdf(math.sqrt(2 / _FAN_OUT))),
}
CDF_THRESHOLD = 0.005  # correct impls give <= 0.001, a 5% wrong std >= 0.0076 (tests/test_init.py)


def cdf_distance(samples: np.ndarray, std: float, cdf: Callable, mean: float = 0.0) -> float:
    """RMS gap between the empirical CDF and `cdf` on a 601-point grid over mean ± 3 std."""
    grid = np.linspace(mean - 3 * std, mean + 3 * std, 601)
    empirical = np.searchsorted(np.sort(samples.ravel()), grid, side="right") / samples.size
    return float(np.sqrt(np.mean((empirical - cdf(grid)) ** 2)))


def draw(fn: Callable, kwargs: dict, times: int = 1000, shape: tuple = (10, 20)) -> np.ndarray:
    """`times` fresh (10, 20) Parameters each initialised by `fn(t, **kwargs)`, stacked."""
    out = np.empty((times,) + shape)
    for i in range(times):
        t = Parameter(Tensor.empty(shape))
        fn(t, **kwargs)
        out[i] = t._data
    return out


def check_init(fn_name: str, fn: Callable) -> CheckReport:
    """Run the checks for one init function (`fn_name` as in clownpiece.nn.init)."""
    rep = CheckReport(f"check_init({fn_name})")
    if fn_name in ("constant_", "consants_", "constants_", "zeros_", "ones_"):
        value = {"zeros_": 0.0, "ones_": 1.0}.get(fn_name, 2.5)
        args = () if fn_name in ("zeros_", "ones_") else (value,)
        kwargs: dict = {}
    elif fn_name in INIT_TARGETS:
        kwargs, std, cdf = INIT_TARGETS[fn_name]
        args = ()
        mean = -0.5 if fn_name == "uniform_" else 0.0
    else:
        raise ValueError(f"check_init: unknown init {fn_name!r}; choices: {sorted(INIT_TARGETS)} and constants")

    def in_place():
        t = Parameter(Tensor.full((10, 20), 9.0))
        storage = t._data
        out = fn(t, *args, **kwargs)
        assert out is t, "must return the tensor it was given"
        assert t._data is storage or np.shares_memory(t._data, storage), "must write in place"
        assert t.grad_fn is None and t.requires_grad, "must not record a graph or drop requires_grad"

    rep.run("in place on a Parameter, returns it, no graph", in_place)
    if fn_name not in INIT_TARGETS:
        def values():
            t = fn(Parameter(Tensor.full((10, 20), 9.0)), *args, **kwargs)
            assert np.all(t._data == value), f"expected every element to be {value}"

        rep.run(f"every element equals {value}", values)
        return rep

    def distribution():
        rng.manual_seed(0)
        dist = cdf_distance(draw(fn, kwargs), std, cdf, mean)
        assert dist < CDF_THRESHOLD, f"CDF distance {dist:.4f} >= {CDF_THRESHOLD}"

    def reproducible():
        rng.manual_seed(7)
        a = fn(Parameter(Tensor.empty(10, 20)), **kwargs)._data.copy()
        rng.manual_seed(7)
        b = fn(Parameter(Tensor.empty(10, 20)), **kwargs)._data
        assert np.array_equal(a, b), "same seed gave different values (use clownpiece's RNG)"

    def not_constant():
        t = fn(Parameter(Tensor.zeros(10, 20)), **kwargs)
        assert len(np.unique(t._data)) > 100, "values are not random"

    rep.run("empirical CDF matches the target (1000 x 10x20)", distribution)
    rep.run("reproducible with clownpiece.manual_seed", reproducible)
    rep.run("values differ (symmetry broken)", not_constant)
    return rep


# ---------------------------------------------------------------------------- layers


def check_linear(linear_cls: type) -> CheckReport:
    """Shapes, None bias, forward/backward against numpy, init bounds and extra_repr."""
    rep = CheckReport(f"check_linear({linear_cls.__name__})")

    def shapes():
        m = linear_cls(3, 2)
        got = [(n, tuple(p.shape)) for n, p in m.named_parameters()]
        assert got == [("weight", (2, 3)), ("bias", (2,))], f"named_parameters {got}"

    def no_bias():
        m = linear_cls(3, 2, bias=False)
        assert m.bias is None, "bias=False must leave bias None"
        assert list(m.state_dict()) == ["weight", "bias"], "bias slot must stay in state_dict"

    def forward_backward():
        m = linear_cls(3, 2)
        x = Tensor(np.random.default_rng(0).standard_normal((4, 5, 3)), requires_grad=True)
        y = m(x)
        w, b = m.weight._data, m.bias._data
        assert np.allclose(y._data, x._data @ w.T + b, atol=1e-5), "forward is not x @ W.T + b"
        y.sum().backward()
        assert np.allclose(m.weight.grad._data, np.ones((4, 5, 2)).reshape(-1, 2).T @ x._data.reshape(-1, 3), atol=1e-4), "weight grad"
        assert np.allclose(m.bias.grad._data, np.full(2, 20.0)), "bias grad"
        assert np.allclose(x.grad._data, np.ones((4, 5, 2)) @ w, atol=1e-5), "input grad"

    def init_bounds():
        m = linear_cls(16, 32)
        for p in (m.weight, m.bias):
            assert np.abs(p._data).max() <= 0.25 + 1e-7, "values outside U(-1/sqrt(in), 1/sqrt(in))"
            assert np.abs(p._data).max() > 0.15, "values do not spread over the range"

    def text():
        got = repr(linear_cls(3, 2, bias=False))
        want = "Linear(in_features=3, out_features=2, bias=False)"
        assert got == want, f"got {got!r}, expected {want!r}"

    for name, fn in [
        ("weight (out, in) and bias (out,)", shapes),
        ("bias=False keeps a None slot", no_bias),
        ("forward and backward match numpy", forward_backward),
        ("reset_parameters draws U(-1/sqrt(in), 1/sqrt(in))", init_bounds),
        ("extra_repr", text),
    ]:
        rep.run(name, fn)
    return rep


def check_tanh(tanh_cls: type) -> CheckReport:
    """Forward, backward and repr of a Tanh module."""
    rep = CheckReport(f"check_tanh({tanh_cls.__name__})")
    x_np = np.linspace(-3, 3, 7)

    def forward():
        assert np.allclose(tanh_cls()(Tensor(x_np))._data, np.tanh(x_np), atol=1e-6), "forward"

    def backward():
        x = Tensor(x_np, requires_grad=True)
        tanh_cls()(x).sum().backward()
        assert np.allclose(x.grad._data, 1 - np.tanh(x_np) ** 2, atol=1e-6), "backward"

    def text():
        assert repr(tanh_cls()) == "Tanh()", f"repr is {tanh_cls()!r}"

    for name, fn in [("forward is tanh", forward), ("backward is 1 - tanh^2", backward), ("repr 'Tanh()'", text)]:
        rep.run(name, fn)
    return rep




# ---------------------------------------------------------------------------- Part 4


def check_sequential(sequential_cls: type) -> CheckReport:
    """Runs children in order, registers them as "0", "1", ...; indexing, slicing, len, append."""
    from .activations import Tanh
    from .layers import Linear

    rep = CheckReport(f"check_sequential({sequential_cls.__name__})")
    x_np = np.random.default_rng(0).standard_normal((5, 3))

    def make():
        rng.manual_seed(0)
        a, b, c = Linear(3, 4), Tanh(), Linear(4, 2)
        return sequential_cls(a, b, c), (a, b, c)

    def runs_in_order():
        s, (a, b, c) = make()
        x = Tensor(x_np)
        got, want = s(x), c(b(a(x)))
        assert isinstance(got, Tensor) and np.allclose(got._data, want._data, atol=1e-6), (
            "output differs from c(b(a(x)))"
        )

    def registered():
        s, _ = make()
        got = _names(s.named_parameters())
        want = ["0.weight", "0.bias", "2.weight", "2.bias"]
        assert got == want, f"named_parameters() gave {got}, expected {want}"
        keys = list(s.state_dict())
        assert keys == want, f"state_dict keys {keys}, expected {want}"

    def indexing():
        s, (a, b, c) = make()
        assert s[0] is a and s[1] is b, "s[i] must return the i-th module itself"
        assert s[-1] is c, "s[-1] must return the last module"

    def slicing():
        s, (a, b, c) = make()
        tail = s[1:]
        assert isinstance(tail, sequential_cls), f"s[1:] is a {type(tail).__name__}, not a Sequential"
        assert len(tail) == 2 and tail[0] is b and tail[1] is c, "s[1:] holds the wrong modules"
        got = len(list(tail.parameters()))
        assert got == 2, f"s[1:] has {got} parameters, expected 2 (the last Linear's)"
        y = Tensor(np.ones((2, 4)))
        assert np.allclose(tail(y)._data, c(b(y))._data, atol=1e-6), "s[1:] does not run its modules"

    def length_and_iteration():
        s, mods = make()
        assert len(s) == 3, f"len gave {len(s)}, expected 3"
        got = list(s)
        assert len(got) == 3 and all(p is q for p, q in zip(got, mods, strict=True)), (
            "iterating must yield the modules in order"
        )

    def append():
        s, (a, b, c) = make()
        rng.manual_seed(1)
        d = Linear(2, 1)
        s.append(d)
        assert len(s) == 4 and s[3] is d, "append did not add the module at the end"
        assert "3.weight" in _names(s.named_parameters()), "appended module is not registered as '3'"
        x = Tensor(x_np)
        assert s(x).shape == (5, 1), "forward does not run the appended module"

    def ordered_dict():
        from collections import OrderedDict

        rng.manual_seed(0)
        s = sequential_cls(OrderedDict([("fc", Linear(3, 4)), ("act", Tanh())]))
        got = _names(s.named_parameters())
        assert got == ["fc.weight", "fc.bias"], f"named from an OrderedDict: got {got}"
        assert s(Tensor(x_np)).shape == (5, 4), "forward from an OrderedDict"

    for name, fn in [
        ("forward runs the children in order", runs_in_order),
        ("children registered as '0', '1', ...", registered),
        ("indexing, including negative", indexing),
        ("slicing gives a Sequential of those modules", slicing),
        ("len and iteration", length_and_iteration),
        ("append registers and runs the new module", append),
        ("built from an OrderedDict keeps the names", ordered_dict),
    ]:
        rep.run(name, fn)
    return rep


def _layer_norm_np(x: np.ndarray, n_dims: int, eps: float) -> np.ndarray:
    axes = tuple(range(x.ndim - n_dims, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)  # biased, as LayerNorm uses
    return (x - mean) / np.sqrt(var + eps)


def check_layernorm(layernorm_cls: type) -> CheckReport:
    """Per-sample normalisation over the trailing dims, eps, affine parameters, gradient."""
    rep = CheckReport(f"check_layernorm({layernorm_cls.__name__})")
    x_np = np.random.default_rng(0).standard_normal((4, 6)) * 3 + 1

    def parameters():
        m = layernorm_cls(6)
        got = [(n, tuple(p.shape)) for n, p in m.named_parameters()]
        assert got == [("weight", (6,)), ("bias", (6,))], f"named_parameters {got}"
        assert np.all(m.weight._data == 1) and np.all(m.bias._data == 0), "weight ones, bias zeros"

    def no_affine():
        m = layernorm_cls(6, affine=False)
        assert list(m.parameters()) == [], "affine=False must have no parameters"

    def forward():
        got = layernorm_cls(6)(Tensor(x_np))._data
        assert np.allclose(got, _layer_norm_np(x_np, 1, 1e-5), atol=1e-4), (
            "output differs from (x - mean) / sqrt(var + eps) over the last dim (biased var)"
        )

    def trailing_dims():
        x = np.random.default_rng(1).standard_normal((2, 3, 4)) * 2
        got = layernorm_cls(12)(Tensor(x))
        assert tuple(got.shape) == (2, 3, 4), f"output shape {tuple(got.shape)}, expected (2, 3, 4)"
        assert np.allclose(got._data, _layer_norm_np(x, 2, 1e-5), atol=1e-4), (
            "LayerNorm(12) on (2, 3, 4) must normalise over the last two dims (3 * 4 = 12)"
        )

    def eps():
        got = layernorm_cls(6, eps=1.0)(Tensor(x_np))._data
        assert np.allclose(got, _layer_norm_np(x_np, 1, 1.0), atol=1e-4), "eps is not used"
        flat = layernorm_cls(6)(Tensor(np.full((2, 6), 7.0)))._data
        assert np.all(np.isfinite(flat)) and np.allclose(flat, 0), "a constant row must give zeros"

    def affine():
        m = layernorm_cls(6)
        m.weight._data[...] = np.arange(1.0, 7.0)
        m.bias._data[...] = -1.0
        want = _layer_norm_np(x_np, 1, 1e-5) * np.arange(1.0, 7.0) - 1.0
        assert np.allclose(m(Tensor(x_np))._data, want, atol=1e-4), "output * weight + bias"

    def backward():
        x = Tensor(x_np, requires_grad=True)
        g = np.random.default_rng(2).standard_normal((4, 6))
        (layernorm_cls(6)(x) * Tensor(g)).sum().backward()
        xhat = _layer_norm_np(x_np, 1, 1e-5)
        inv = 1 / np.sqrt(x_np.var(axis=-1, keepdims=True) + 1e-5)
        want = inv * (g - g.mean(-1, keepdims=True) - xhat * (g * xhat).mean(-1, keepdims=True))
        assert x.grad is not None, "no gradient reached the input"
        assert np.allclose(x.grad._data, want, atol=1e-4), "input gradient is wrong"

    for name, fn in [
        ("weight (ones) and bias (zeros) of shape (num_features,)", parameters),
        ("affine=False has no parameters", no_affine),
        ("forward: per-sample, biased variance", forward),
        ("trailing dims whose product is num_features", trailing_dims),
        ("eps inside the square root", eps),
        ("affine: * weight + bias", affine),
        ("backward matches the analytic gradient", backward),
    ]:
        rep.run(name, fn)
    return rep


def _cross_entropy_np(logits: np.ndarray, target: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return -np.take_along_axis(log_probs, target[..., None], axis=-1)[..., 0]


def check_cross_entropy(loss_cls: type) -> CheckReport:
    """Class dim last, reductions, huge logits stay finite, gradient softmax - one-hot."""
    rep = CheckReport(f"check_cross_entropy({loss_cls.__name__})")
    gen = np.random.default_rng(0)
    logits_np = gen.standard_normal((4, 5)) * 2
    target_np = np.array([0, 3, 4, 1])

    def mean():
        got = loss_cls()(Tensor(logits_np), Tensor(target_np))
        want = _cross_entropy_np(logits_np, target_np).mean()
        assert got.shape == (), f"mean reduction must give a scalar, got shape {tuple(got.shape)}"
        assert np.allclose(got._data, want, atol=1e-5), f"loss {float(got._data):.5f}, expected {want:.5f}"

    def reductions():
        per = _cross_entropy_np(logits_np, target_np)
        s = loss_cls(reduction="sum")(Tensor(logits_np), Tensor(target_np))
        assert np.allclose(s._data, per.sum(), atol=1e-5), "reduction='sum'"
        n = loss_cls(reduction="none")(Tensor(logits_np), Tensor(target_np))
        assert tuple(n.shape) == (4,) and np.allclose(n._data, per, atol=1e-5), "reduction='none'"

    def class_dim_last():
        logits = np.random.default_rng(1).standard_normal((2, 3, 5))
        target = np.array([[0, 1, 2], [4, 4, 3]])
        got = loss_cls()(Tensor(logits), Tensor(target))
        want = _cross_entropy_np(logits, target).mean()
        assert np.allclose(got._data, want, atol=1e-5), "logits (2, 3, 5): classes are the LAST dim"

    def huge_logits():
        logits = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 0.0]])
        got = loss_cls(reduction="none")(Tensor(logits), Tensor(np.array([1, 1])))._data
        assert np.all(np.isfinite(got)), f"logits of 1e4 gave {got} (use the log-sum-exp trick)"
        assert np.allclose(got, [1e4, 0.0], rtol=1e-5, atol=1e-3), f"got {got}, expected [1e4, 0]"

    def backward():
        x = Tensor(logits_np, requires_grad=True)
        loss_cls()(x, Tensor(target_np)).backward()
        p = np.exp(logits_np - logits_np.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        want = (p - np.eye(5)[target_np]) / 4
        assert x.grad is not None, "no gradient reached the logits"
        assert np.allclose(x.grad._data, want, atol=1e-5), "gradient is not (softmax - one_hot) / N"

    for name, fn in [
        ("mean over the batch matches -log softmax[target]", mean),
        ("reduction 'sum' and 'none'", reductions),
        ("class dim last: logits (2, 3, 5), targets (2, 3)", class_dim_last),
        ("huge logits (1e4) stay finite", huge_logits),
        ("backward is (softmax - one_hot) / N", backward),
    ]:
        rep.run(name, fn)
    return rep
