"""Checks for concrete layers: Linear, Tanh (Part 2) and Sequential, LayerNorm, CrossEntropyLoss (Part 4)."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from ... import rng
from ...checking import CheckReport
from ...tensor import Tensor
from ..activations import Tanh
from ..layers import Linear
from .modules import _names

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
