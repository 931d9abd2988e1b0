"""Forward values and gradients of every differentiable op compared with PyTorch.

Skipped as a whole when torch is not importable. Each case is
`(op name, label, clownpiece fn, torch fn, arrays)`; `SAME` marks cases whose code is
identical for both libraries. Conventions that differ: clownpiece's `max(dim)` returns
values only (torch returns (values, indices)); `var` is unbiased by default in both.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
F = torch.nn.functional

import clownpiece as cp  # noqa: E402
from clownpiece import Tensor  # noqa: E402
from clownpiece.nn import functional as cpF  # noqa: E402
from clownpiece.ops import DIFFERENTIABLE_OPS  # noqa: E402

_rng = np.random.default_rng(7)


def r(*shape, lo=-2.0, hi=2.0):
    return _rng.uniform(lo, hi, size=shape)


def pos(*shape):
    return r(*shape, lo=0.5, hi=2.0)


def distinct(*shape):
    n = int(np.prod(shape))
    return (_rng.permutation(n) * 0.1 - n * 0.05).reshape(shape)


SAME = object()
MASK = np.array([[True, False, True], [False, True, True]])

CASES = [
    ("add", "broadcast", lambda a, b: a + b, SAME, [r(2, 1, 3), r(4, 1)]),
    ("add", "scalar left", lambda a: 1.5 + a, SAME, [r(2, 3)]),
    ("sub", "broadcast", lambda a, b: a - b, SAME, [r(3), r(2, 3)]),
    ("sub", "scalar left", lambda a: 1.5 - a, SAME, [r(2, 3)]),
    ("mul", "broadcast", lambda a, b: a * b, SAME, [r(2, 3), r(3)]),
    ("mul", "0-d", lambda a, b: a * b, SAME, [r(), r(2, 3)]),
    ("div", "broadcast", lambda a, b: a / b, SAME, [r(2, 3), pos(2, 1)]),
    ("div", "scalar left", lambda a: 3.0 / a, SAME, [pos(2, 3)]),
    ("pow", "tensor ** tensor", lambda a, b: a**b, SAME, [pos(2, 3), r(3)]),
    ("pow", "tensor ** 3", lambda a: a**3, SAME, [r(2, 3)]),
    ("pow", "scalar ** tensor", lambda a: 2.0**a, SAME, [r(2, 3)]),
    ("neg", "neg", lambda a: -a, SAME, [r(2, 3)]),
    ("abs", "abs", lambda a: a.abs(), SAME, [r(2, 3)]),
    ("exp", "exp", lambda a: a.exp(), SAME, [r(2, 3)]),
    ("log", "log", lambda a: a.log(), SAME, [pos(2, 3)]),
    ("sqrt", "sqrt", lambda a: a.sqrt(), SAME, [pos(2, 3)]),
    ("tanh", "tanh", lambda a: a.tanh(), SAME, [r(2, 3)]),
    ("sigmoid", "sigmoid", lambda a: a.sigmoid(), SAME, [r(2, 3, lo=-8, hi=8)]),
    ("relu", "relu", lambda a: a.relu(), SAME, [r(3, 4)]),
    (
        "leaky_relu",
        "slope 0.1",
        lambda a: cpF.leaky_relu(a, 0.1),
        lambda a: F.leaky_relu(a, 0.1),
        [r(3, 4)],
    ),
    ("erf", "erf", cp.erf, torch.erf, [r(3, 4, lo=-3, hi=3)]),
    ("gelu", "exact", cpF.gelu, F.gelu, [r(3, 4, lo=-3, hi=3)]),
    ("gelu", "large |x|", cpF.gelu, F.gelu, [np.array([-30.0, -9.0, -4.0, 4.0, 9.0, 30.0])]),
    (
        "layer_norm",
        "weight and bias",
        lambda x, w, b: cpF.layer_norm(x, 4, w, b),
        lambda x, w, b: F.layer_norm(x, (4,), w, b),
        [r(2, 3, 4), r(4), r(4)],
    ),
    (
        "layer_norm",
        "two trailing dims, no affine",
        lambda x: cpF.layer_norm(x, (3, 4), eps=1e-3),
        lambda x: F.layer_norm(x, (3, 4), eps=1e-3),
        [r(2, 3, 4)],
    ),
    ("clamp", "both", lambda a: a.clamp(-0.5, 0.5), SAME, [r(3, 4)]),
    ("clamp", "min only", lambda a: a.clamp(min=0.0), SAME, [r(3, 4)]),
    ("maximum", "broadcast", cp.maximum, torch.maximum, [r(2, 3), r(3)]),
    (
        "maximum",
        "ties",
        cp.maximum,
        torch.maximum,
        [np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 3.0])],
    ),
    (
        "where",
        "broadcast",
        lambda a, b: cp.where(Tensor(MASK), a, b),
        lambda a, b: torch.where(torch.tensor(MASK), a, b),
        [r(2, 3), r(3)],
    ),
    ("linear", "3-d input", cpF.linear, F.linear, [r(2, 5, 3), r(4, 3), r(4)]),
    ("linear", "1-d input, no bias", cpF.linear, F.linear, [r(3), r(4, 3)]),
    ("matmul", "2-D", lambda a, b: a @ b, SAME, [r(3, 4), r(4, 5)]),
    ("matmul", "1-D @ 1-D", lambda a, b: a @ b, SAME, [r(4), r(4)]),
    ("matmul", "1-D @ batched", lambda a, b: a @ b, SAME, [r(4), r(2, 4, 3)]),
    ("matmul", "batched @ 1-D", lambda a, b: a @ b, SAME, [r(2, 3, 4), r(4)]),
    ("matmul", "broadcast batch", lambda a, b: a @ b, SAME, [r(2, 1, 3, 4), r(5, 4, 2)]),
    ("sum", "all", lambda a: a.sum(), SAME, [r(2, 3, 4)]),
    ("sum", "tuple keepdim", lambda a: a.sum((0, -1), keepdim=True), SAME, [r(2, 3, 4)]),
    ("mean", "negative dim", lambda a: a.mean(-2), SAME, [r(2, 3, 4)]),
    ("mean", "tuple", lambda a: a.mean((0, 2)), SAME, [r(2, 3, 4)]),
    ("var", "default (unbiased)", lambda a: a.var(), SAME, [r(2, 3, 4)]),
    ("var", "dim keepdim", lambda a: a.var(1, keepdim=True), SAME, [r(2, 3, 4)]),
    (
        "var",
        "tuple biased",
        lambda a: a.var((0, 2), unbiased=False),
        lambda a: a.var((0, 2), correction=0),
        [r(2, 3, 4)],
    ),
    ("max", "all", lambda a: a.max(), SAME, [distinct(2, 3, 4)]),
    (
        "max",
        "dim keepdim",
        lambda a: a.max(-1, keepdim=True),
        lambda a: a.max(-1, keepdim=True).values,
        [distinct(2, 3, 4)],
    ),
    ("max", "tuple dims", lambda a: a.max((0, 2)), lambda a: a.amax((0, 2)), [distinct(2, 3, 4)]),
    ("min", "dim", lambda a: a.min(1), lambda a: a.min(1).values, [distinct(2, 3, 4)]),
    ("min", "all", lambda a: a.min(), SAME, [distinct(2, 3, 4)]),
    ("softmax", "dim 1", lambda a: a.softmax(1), lambda a: a.softmax(1), [r(2, 3, 4)]),
    ("softmax", "large", lambda a: a.softmax(-1), lambda a: a.softmax(-1), [r(2, 5) * 300]),
    (
        "cross_entropy",
        "class dim last",
        lambda a: cpF.cross_entropy(a, np.array([[1, 0, 3], [2, 2, 0]]), reduction="none"),
        lambda a: torch.nn.functional.cross_entropy(
            a.permute(0, 2, 1), torch.tensor([[1, 0, 3], [2, 2, 0]]), reduction="none"
        ),
        [r(2, 3, 4)],
    ),
    (
        "log_softmax",
        "dim -1",
        lambda a: a.log_softmax(-1),
        lambda a: a.log_softmax(-1),
        [r(2, 3, 4)],
    ),
    (
        "log_softmax",
        "large",
        lambda a: a.log_softmax(0),
        lambda a: a.log_softmax(0),
        [r(3, 2) * 300],
    ),
    ("reshape", "-1", lambda a: a.reshape(4, -1), SAME, [r(2, 3, 4)]),
    ("reshape", "view tuple", lambda a: a.view((3, 8)), SAME, [r(2, 3, 4)]),
    ("transpose", "no args", lambda a: a.transpose(), lambda a: a.transpose(-2, -1), [r(2, 3, 4)]),
    ("transpose", "dims", lambda a: a.transpose(0, -1), SAME, [r(2, 3, 4)]),
    ("permute", "permute", lambda a: a.permute(2, 0, 1), SAME, [r(2, 3, 4)]),
    ("unsqueeze", "negative", lambda a: a.unsqueeze(-2), SAME, [r(2, 3)]),
    ("squeeze", "all", lambda a: a.squeeze(), SAME, [r(1, 3, 1)]),
    ("squeeze", "dim", lambda a: a.squeeze(-1), SAME, [r(1, 3, 1)]),
    ("flatten", "from 1", lambda a: a.flatten(1), SAME, [r(2, 3, 4)]),
    ("broadcast_to", "expand", lambda a: a.expand(2, -1, 3), SAME, [r(4, 1)]),
    ("broadcast_to", "broadcast_to", lambda a: a.broadcast_to((2, 4, 3)), SAME, [r(4, 1)]),
    (
        "cat",
        "dim -1",
        lambda a, b: cp.cat([a, b], -1),
        lambda a, b: torch.cat([a, b], -1),
        [r(2, 3), r(2, 1)],
    ),
    (
        "stack",
        "dim 1",
        lambda a, b: cp.stack([a, b], 1),
        lambda a, b: torch.stack([a, b], 1),
        [r(2, 3), r(2, 3)],
    ),
    (
        "contiguous",
        "after transpose",
        lambda a: a.transpose().contiguous(),
        lambda a: a.transpose(-2, -1).contiguous(),
        [r(2, 3)],
    ),
    ("clone", "clone", lambda a: a.clone(), SAME, [r(2, 3)]),
    (
        "unfold",
        "3x3 padding 1",
        lambda a: cpF.unfold(a, 3, padding=1),
        lambda a: F.unfold(a, 3, padding=1),
        [r(2, 3, 5, 4)],
    ),
    (
        "unfold",
        "pairs",
        lambda a: cpF.unfold(a, (2, 3), dilation=(2, 1), padding=(1, 0), stride=(2, 1)),
        lambda a: F.unfold(a, (2, 3), dilation=(2, 1), padding=(1, 0), stride=(2, 1)),
        [r(1, 2, 6, 5)],
    ),
    (
        "fold",
        "overlapping",
        lambda a: cpF.fold(a, (4, 5), 2),
        lambda a: F.fold(a, (4, 5), 2),
        [r(2, 12, 12)],
    ),
    (
        "fold",
        "padding stride",
        lambda a: cpF.fold(a, (5, 5), (2, 3), padding=1, stride=2),
        lambda a: F.fold(a, (5, 5), (2, 3), padding=1, stride=2),
        [r(1, 12, 9)],
    ),
    ("getitem", "repeated list", lambda a: a[[1, 1, 0]], SAME, [r(3, 4)]),
    ("getitem", "mixed", lambda a: a[[0, 0, 2], 1:3], SAME, [r(3, 4)]),
    ("getitem", "two index lists", lambda a: a[[0, 2, 0], [1, 1, 1]], SAME, [r(3, 4)]),
    ("getitem", "basic", lambda a: a[None, 1:, -1], SAME, [r(3, 4)]),
    (
        "getitem",
        "index tensor",
        lambda a: a[Tensor([2, 2, 0])],
        lambda a: a[torch.tensor([2, 2, 0])],
        [r(3, 4)],
    ),
]


def _run_clownpiece(fn, arrays, weights_seed=0, dtype=np.float64):
    xs = [Tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    out = fn(*xs)
    w = np.random.default_rng(weights_seed).standard_normal(out.shape).astype(dtype)
    (out * Tensor(w)).sum().backward()
    return out.numpy(), [x.grad.numpy() for x in xs], w


def _run_torch(fn, arrays, w, dtype=torch.float64):
    xs = [torch.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    out = fn(*xs)
    (out * torch.tensor(w, dtype=dtype)).sum().backward()
    return out.detach().numpy(), [x.grad.numpy() for x in xs]


def test_every_differentiable_op_is_compared_with_torch():
    missing = set(DIFFERENTIABLE_OPS) - {c[0] for c in CASES}
    assert not missing, f"differentiable ops without a PyTorch comparison: {sorted(missing)}"


@pytest.mark.parametrize(
    "fn, torch_fn, arrays",
    [pytest.param(c[2], c[2] if c[3] is SAME else c[3], c[4], id=f"{c[0]}-{c[1]}") for c in CASES],
)
def test_matches_torch_float64(fn, torch_fn, arrays):
    out, grads, w = _run_clownpiece(fn, arrays)
    t_out, t_grads = _run_torch(torch_fn, arrays, w)
    assert out.shape == t_out.shape
    np.testing.assert_allclose(out, t_out, rtol=1e-7, atol=1e-7)
    for g, tg in zip(grads, t_grads):
        assert g.shape == tg.shape
        np.testing.assert_allclose(g, tg, rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize(
    "fn, torch_fn, arrays",
    [
        pytest.param(c[2], c[2] if c[3] is SAME else c[3], c[4], id=f"{c[0]}-{c[1]}")
        for c in CASES
        if c[0]
        in (
            "add",
            "mul",
            "matmul",
            "linear",
            "tanh",
            "sigmoid",
            "softmax",
            "log_softmax",
            "var",
            "gelu",
            "layer_norm",
        )
    ],
)
def test_matches_torch_float32(fn, torch_fn, arrays):
    out, grads, w = _run_clownpiece(fn, arrays, dtype=np.float32)
    t_out, t_grads = _run_torch(torch_fn, arrays, w, dtype=torch.float32)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, t_out, rtol=1e-4, atol=1e-5)
    for g, tg in zip(grads, t_grads):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, tg, rtol=1e-4, atol=1e-5)


def test_tie_rules_match_torch():
    """max/min over ties share the gradient equally; maximum ties split 0.5/0.5."""
    data = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    for reduce_cp, reduce_t in [
        (lambda a: a.max(), lambda a: a.max()),
        (lambda a: a.max(1), lambda a: a.amax(1)),
        (lambda a: a.min(-1), lambda a: a.amin(-1)),
    ]:
        x = Tensor(data, requires_grad=True)
        reduce_cp(x).sum().backward()
        t = torch.tensor(data, requires_grad=True)
        reduce_t(t).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


def test_conventions_differ_from_torch_as_documented():
    data = r(2, 3)
    x, t = Tensor(data), torch.tensor(data)
    assert isinstance(x.max(1), Tensor)  # values only
    np.testing.assert_allclose(x.max(1).numpy(), t.max(1).values.numpy())
    np.testing.assert_allclose(x.var().item(), t.var().item())  # both unbiased by default
    assert Tensor([0, 1]).dtype == np.float32
    assert torch.Tensor([0, 1]).dtype == torch.float32
