"""Every differentiable op against finite differences (float64 `gradcheck`) and numpy.

`CASES` maps each name in `clownpiece.ops.DIFFERENTIABLE_OPS` to a list of cases
`(label, fn, arrays)`: `fn(*tensors)` is checked with every array turned into a float64
leaf that requires grad. Constants (conditions, index tensors) live inside `fn`.
`test_every_differentiable_op_has_a_gradcheck` fails when a new op has no case here.

Inputs are chosen away from kinks (abs/relu at 0, clamp bounds, max ties) so the
central differences are valid; the tie rules themselves are tested in test_autograd.py.
"""

import numpy as np
import pytest

import clownpiece as cp
from clownpiece import Tensor, gradcheck, ops
from clownpiece.nn import functional as F
from clownpiece.ops import DIFFERENTIABLE_OPS
from clownpiece.tensor import apply_op

_rng = np.random.default_rng(1234)


def r(*shape, lo=-2.0, hi=2.0):
    """Random float64 data in [lo, hi)."""
    return _rng.uniform(lo, hi, size=shape)


def away(*shape, gap=0.2, lo=-2.0, hi=2.0, center=0.0):
    """Random data with |x - center| >= gap (away from a kink at `center`)."""
    x = r(*shape, lo=lo, hi=hi)
    return np.where(np.abs(x - center) < gap, center + np.where(x >= center, gap, -gap) * 2, x)


def distinct(*shape):
    """Values that are pairwise at least 0.1 apart (no ties for max/min), shuffled."""
    n = int(np.prod(shape))
    return (_rng.permutation(n) * 0.1 - n * 0.05).reshape(shape)


def pos(*shape):
    return r(*shape, lo=0.5, hi=2.0)


MASK = np.array([[True, False, True], [False, False, True]])

CASES = {
    "add": [
        ("same shape", lambda a, b: a + b, [r(2, 3), r(2, 3)]),
        ("broadcast right", lambda a, b: a + b, [r(2, 3), r(3)]),
        ("broadcast left", lambda a, b: a + b, [r(1, 3), r(4, 1, 3)]),
        ("broadcast both", lambda a, b: a + b, [r(2, 1), r(1, 3)]),
        ("0-d operand", lambda a, b: a + b, [r(2, 3), r()]),
        ("scalar right", lambda a: a + 2.5, [r(2, 3)]),
        ("scalar left", lambda a: 2.5 + a, [r(2, 3)]),
        ("x + x", lambda a: a + a, [r(3)]),
        ("apply_op", lambda a, b: apply_op(ops.add, a, b), [r(3, 1), r(3)]),
    ],
    "sub": [
        ("same shape", lambda a, b: a - b, [r(2, 3), r(2, 3)]),
        ("broadcast both", lambda a, b: a - b, [r(4, 1), r(1, 3)]),
        ("broadcast leading", lambda a, b: a - b, [r(3), r(2, 3)]),
        ("scalar right", lambda a: a - 1.5, [r(2, 3)]),
        ("scalar left", lambda a: 1.5 - a, [r(2, 3)]),
    ],
    "mul": [
        ("same shape", lambda a, b: a * b, [r(2, 3), r(2, 3)]),
        ("broadcast right", lambda a, b: a * b, [r(2, 3), r(3)]),
        ("broadcast left", lambda a, b: a * b, [r(3, 1), r(2, 3, 4)]),
        ("0-d operand", lambda a, b: a * b, [r(), r(2, 3)]),
        ("scalar right", lambda a: a * -3.0, [r(2, 3)]),
        ("scalar left", lambda a: -3.0 * a, [r(2, 3)]),
        ("x * x", lambda a: a * a, [r(4)]),
    ],
    "div": [
        ("same shape", lambda a, b: a / b, [r(2, 3), away(2, 3, gap=0.5)]),
        ("broadcast right", lambda a, b: a / b, [r(2, 3), away(3, gap=0.5)]),
        ("broadcast left", lambda a, b: a / b, [r(3), away(4, 3, gap=0.5)]),
        ("scalar right", lambda a: a / 4.0, [r(2, 3)]),
        ("scalar left", lambda a: 4.0 / a, [away(2, 3, gap=0.5)]),
    ],
    "pow": [
        ("int exponent", lambda a: a**3, [r(2, 3)]),
        ("square", lambda a: a**2, [r(2, 3)]),
        ("fractional exponent", lambda a: a**0.5, [pos(2, 3)]),
        ("negative exponent", lambda a: a**-1.5, [pos(2, 3)]),
        ("tensor ** tensor", lambda a, b: a**b, [pos(2, 3), r(2, 3)]),
        ("tensor ** tensor broadcast", lambda a, b: a**b, [pos(2, 3), r(3)]),
        ("scalar ** tensor", lambda b: 2.0**b, [r(2, 3)]),
    ],
    "neg": [
        ("unary minus", lambda a: -a, [r(2, 3)]),
        ("apply_op", lambda a: apply_op(ops.neg, a), [r(4)]),
    ],
    "abs": [("method", lambda a: a.abs(), [away(2, 3)]), ("builtin", lambda a: abs(a), [away(5)])],
    "exp": [("exp", lambda a: a.exp(), [r(2, 3)])],
    "log": [("log", lambda a: a.log(), [pos(2, 3)])],
    "sqrt": [("sqrt", lambda a: a.sqrt(), [pos(2, 3)])],
    "tanh": [("tanh", lambda a: a.tanh(), [r(2, 3)])],
    "sigmoid": [("sigmoid", lambda a: a.sigmoid(), [r(2, 3, lo=-6, hi=6)])],
    "relu": [("relu", lambda a: a.relu(), [away(3, 4)])],
    "leaky_relu": [
        ("default slope", lambda a: F.leaky_relu(a), [away(3, 4)]),
        ("slope 0.2", lambda a: F.leaky_relu(a, 0.2), [away(3, 4)]),
    ],
    "erf": [("erf", lambda a: a.erf(), [r(3, 4, lo=-3, hi=3)])],
    "gelu": [
        ("gelu", lambda a: F.gelu(a), [r(3, 4, lo=-4, hi=4)]),
        ("large |x|", lambda a: F.gelu(a), [np.array([-12.0, -7.5, -5.0, 5.0, 7.5, 12.0])]),
        ("apply_op", lambda a: apply_op(ops.gelu, a), [r(2, 3)]),
    ],
    "layer_norm": [
        ("weight and bias", lambda x, w, b: F.layer_norm(x, 4, w, b), [r(2, 3, 4), r(4), r(4)]),
        ("two trailing dims, no affine", lambda x: F.layer_norm(x, (3, 4)), [r(2, 3, 4)]),
        ("weight only, eps", lambda x, w: F.layer_norm(x, 5, w, eps=0.1), [r(3, 5), r(5)]),
        (
            "apply_op, bias only",
            lambda x, b: apply_op(ops.layer_norm, x, None, b, eps=1e-5),
            [r(4, 3), r(3)],
        ),
    ],
    "clamp": [
        (
            "min and max",
            lambda a: a.clamp(-0.5, 0.5),
            [np.array([-1.5, -0.7, -0.3, 0.0, 0.2, 0.45, 0.8, 1.9])],
        ),
        ("min only", lambda a: a.clamp(min=0.1), [away(2, 4, center=0.1)]),
        ("max only", lambda a: a.clamp(max=-0.1), [away(2, 4, center=-0.1)]),
    ],
    "maximum": [
        (
            "same shape",
            lambda a, b: cp.maximum(a, b),
            [np.array([1.0, -2.0, 3.0]), np.array([2.0, -3.0, 0.5])],
        ),
        ("broadcast", lambda a, b: a.maximum(b), [distinct(2, 3), np.array([-0.25, 0.05, 0.35])]),
        ("scalar", lambda a: cp.maximum(a, 0.05), [away(2, 3, center=0.05)]),
    ],
    "where": [
        ("same shape", lambda a, b: cp.where(Tensor(MASK), a, b), [r(2, 3), r(2, 3)]),
        ("broadcast operands", lambda a, b: cp.where(MASK, a, b), [r(3), r(2, 1)]),
        ("scalar other", lambda a: cp.where(MASK, a, 0.0), [r(2, 3)]),
        ("scalar first", lambda b: cp.where(MASK, 1.0, b), [r(2, 3)]),
    ],
    "linear": [
        ("batch of rows", lambda x, w, b: F.linear(x, w, b), [r(5, 3), r(4, 3), r(4)]),
        ("3-d input", lambda x, w, b: F.linear(x, w, b), [r(2, 5, 3), r(4, 3), r(4)]),
        ("1-d input, no bias", lambda x, w: F.linear(x, w), [r(3), r(4, 3)]),
        (
            "broadcast bias of size 1",
            lambda x, w, b: apply_op(ops.linear, x, w, b),
            [r(5, 3), r(4, 3), r(1)],
        ),
    ],
    "matmul": [
        ("2-D @ 2-D", lambda a, b: a @ b, [r(3, 4), r(4, 5)]),
        ("1-D @ 1-D", lambda a, b: a @ b, [r(4), r(4)]),
        ("1-D @ 2-D", lambda a, b: a @ b, [r(4), r(4, 5)]),
        ("2-D @ 1-D", lambda a, b: a @ b, [r(3, 4), r(4)]),
        ("batched @ 2-D", lambda a, b: a @ b, [r(2, 3, 4), r(4, 5)]),
        ("4-D @ transposed 2-D (Linear)", lambda a, b: a @ b.transpose(), [r(2, 2, 3, 4), r(5, 4)]),
        ("2-D @ transposed 2-D", lambda a, b: a @ b.transpose(), [r(3, 4), r(5, 4)]),
        ("2-D @ batched", lambda a, b: a.matmul(b), [r(3, 4), r(2, 4, 5)]),
        ("batched @ batched", lambda a, b: a @ b, [r(2, 3, 4), r(2, 4, 5)]),
        ("broadcast batch dims", lambda a, b: a @ b, [r(2, 1, 3, 4), r(5, 4, 2)]),
        ("1-D @ batched", lambda a, b: a @ b, [r(4), r(2, 4, 3)]),
        ("batched @ 1-D", lambda a, b: a @ b, [r(2, 3, 4), r(4)]),
        ("apply_op", lambda a, b: apply_op(ops.matmul, a, b), [r(1, 4), r(4, 1)]),
    ],
    "sum": [
        ("all", lambda a: a.sum(), [r(2, 3, 4)]),
        ("dim 0", lambda a: a.sum(0), [r(2, 3, 4)]),
        ("negative dim", lambda a: a.sum(dim=-1), [r(2, 3, 4)]),
        ("tuple dims", lambda a: a.sum(dim=(0, 2)), [r(2, 3, 4)]),
        ("tuple dims negative keepdims", lambda a: a.sum(dim=(-1, 0), keepdims=True), [r(2, 3, 4)]),
        ("keepdim alias", lambda a: a.sum(1, keepdim=True), [r(2, 3, 4)]),
        ("all keepdims", lambda a: a.sum(keepdims=True), [r(2, 3)]),
        ("0-d", lambda a: a.sum(), [r()]),
    ],
    "mean": [
        ("all", lambda a: a.mean(), [r(2, 3, 4)]),
        ("negative dim", lambda a: a.mean(-2), [r(2, 3, 4)]),
        ("tuple dims keepdims", lambda a: a.mean((0, -1), keepdims=True), [r(2, 3, 4)]),
        ("keepdim alias", lambda a: a.mean(dim=0, keepdim=True), [r(3, 2)]),
    ],
    "var": [
        ("all unbiased", lambda a: a.var(), [r(2, 3, 4)]),
        ("all biased", lambda a: a.var(unbiased=False), [r(2, 3, 4)]),
        ("negative dim", lambda a: a.var(-1), [r(2, 3, 4)]),
        ("tuple dims keepdims", lambda a: a.var((0, 2), keepdims=True), [r(2, 3, 4)]),
        ("biased dim keepdim", lambda a: a.var(1, keepdim=True, unbiased=False), [r(2, 3, 4)]),
    ],
    "max": [
        ("all", lambda a: a.max(), [distinct(2, 3, 4)]),
        ("dim", lambda a: a.max(1), [distinct(2, 3, 4)]),
        ("negative dim keepdims", lambda a: a.max(-1, keepdims=True), [distinct(2, 3, 4)]),
        ("tuple dims", lambda a: a.max(dim=(0, 2)), [distinct(2, 3, 4)]),
    ],
    "min": [
        ("all", lambda a: a.min(), [distinct(2, 3, 4)]),
        ("negative dim", lambda a: a.min(-2), [distinct(2, 3, 4)]),
        ("tuple dims keepdim", lambda a: a.min((-1, 0), keepdim=True), [distinct(2, 3, 4)]),
    ],
    "softmax": [
        ("last dim", lambda a: a.softmax(-1), [r(2, 3, 4)]),
        ("dim 0", lambda a: a.softmax(0), [r(2, 3, 4)]),
        ("middle dim", lambda a: a.softmax(dim=1), [r(2, 3, 4)]),
        ("large inputs", lambda a: a.softmax(-1), [r(2, 5) + 500.0]),
    ],
    "cross_entropy": [
        ("2-d", lambda a: F.cross_entropy(a, np.array([0, 2, 1]), reduction="none"), [r(3, 4)]),
        (
            "3-d, repeated class",
            lambda a: F.cross_entropy(a, np.array([[1, 1], [0, 3]]), reduction="none"),
            [r(2, 2, 4)],
        ),
        (
            "large logits",
            lambda a: F.cross_entropy(a, np.array([2, 0]), reduction="none"),
            [r(2, 3) * 100.0],
        ),
    ],
    "log_softmax": [
        ("last dim", lambda a: a.log_softmax(-1), [r(2, 3, 4)]),
        ("dim 0", lambda a: a.log_softmax(0), [r(2, 3, 4)]),
        ("large inputs", lambda a: a.log_softmax(1), [r(2, 5) * 100.0]),
    ],
    "reshape": [
        ("varargs", lambda a: a.reshape(3, 4), [r(2, 6)]),
        ("tuple", lambda a: a.reshape((4, 3)), [r(2, 6)]),
        ("list with -1", lambda a: a.reshape([2, -1, 2]), [r(2, 6)]),
        ("view", lambda a: a.view(-1), [r(2, 6)]),
        ("to 0-d", lambda a: a.reshape(()), [r(1, 1)]),
    ],
    "transpose": [
        ("no args: last two dims", lambda a: a.transpose(), [r(2, 3, 4)]),
        ("explicit dims", lambda a: a.transpose(0, 2), [r(2, 3, 4)]),
        ("negative dims", lambda a: a.transpose(-3, -2), [r(2, 3, 4)]),
        ("T", lambda a: a.T, [r(2, 3)]),
    ],
    "permute": [
        ("varargs", lambda a: a.permute(2, 0, 1), [r(2, 3, 4)]),
        ("tuple with negatives", lambda a: a.permute((-1, -3, -2)), [r(2, 3, 4)]),
    ],
    "unsqueeze": [
        ("dim 0", lambda a: a.unsqueeze(0), [r(2, 3)]),
        ("dim -1", lambda a: a.unsqueeze(-1), [r(2, 3)]),
        ("middle", lambda a: a.unsqueeze(1), [r(2, 3)]),
    ],
    "squeeze": [
        ("all", lambda a: a.squeeze(), [r(1, 3, 1, 2)]),
        ("one dim", lambda a: a.squeeze(2), [r(1, 3, 1, 2)]),
        ("negative dim", lambda a: a.squeeze(-4), [r(1, 3, 1, 2)]),
    ],
    "flatten": [
        ("all", lambda a: a.flatten(), [r(2, 3, 4)]),
        ("from dim 1", lambda a: a.flatten(1), [r(2, 3, 4)]),
        ("dims 0..1", lambda a: a.flatten(0, 1), [r(2, 3, 4)]),
        ("negative dims", lambda a: a.flatten(-2, -1), [r(2, 3, 4)]),
    ],
    "broadcast_to": [
        ("new leading dims", lambda a: a.broadcast_to(2, 3), [r(3)]),
        ("size-1 dims", lambda a: a.broadcast_to((4, 2, 3)), [r(2, 1)]),
        ("expand with -1", lambda a: a.expand(3, -1, 4), [r(2, 1)]),
    ],
    "cat": [
        ("dim 0", lambda a, b: cp.cat([a, b]), [r(2, 3), r(1, 3)]),
        (
            "negative dim, three",
            lambda a, b, c: cp.cat([a, b, c], dim=-1),
            [r(2, 1), r(2, 3), r(2, 2)],
        ),
        ("same tensor twice", lambda a: cp.cat((a, a), 1), [r(2, 2)]),
    ],
    "stack": [
        ("dim 0", lambda a, b: cp.stack([a, b]), [r(2, 3), r(2, 3)]),
        ("dim 1", lambda a, b, c: cp.stack([a, b, c], dim=1), [r(2, 3), r(2, 3), r(2, 3)]),
        ("negative dim", lambda a, b: cp.stack((a, b), dim=-1), [r(2, 3), r(2, 3)]),
    ],
    "contiguous": [("after transpose", lambda a: a.transpose().contiguous(), [r(2, 3)])],
    "clone": [("clone", lambda a: a.clone() * 2, [r(2, 3)])],
    "unfold": [
        ("3x3 kernel", lambda a: F.unfold(a, 3), [r(2, 2, 5, 4)]),
        (
            "pairs: dilation, padding, stride",
            lambda a: F.unfold(a, (2, 3), dilation=(2, 1), padding=(1, 0), stride=(2, 1)),
            [r(1, 2, 6, 5)],
        ),
    ],
    "fold": [
        ("overlapping windows", lambda a: F.fold(a, (4, 5), 2), [r(2, 3 * 4, 3 * 4)]),
        (
            "padding and stride",
            lambda a: F.fold(a, (5, 5), (2, 3), padding=1, stride=2),
            [r(1, 2 * 6, 9)],
        ),
    ],
    "getitem": [
        ("int", lambda a: a[1], [r(3, 4)]),
        ("negative int", lambda a: a[-1, -2], [r(3, 4)]),
        ("slices", lambda a: a[1:, ::2], [r(3, 4)]),
        ("negative step", lambda a: a[::-1], [r(3, 4)]),
        ("None and ellipsis", lambda a: a[None, ..., 1], [r(3, 4)]),
        ("repeated index tensor", lambda a: a[Tensor([0, 0, 2])], [r(3, 4)]),
        ("repeated index list", lambda a: a[[1, 1]], [r(3, 4)]),
        ("repeated numpy index", lambda a: a[np.array([2, 0, 2, 2])], [r(3, 4)]),
        ("index list + slice", lambda a: a[[0, 0, 1], 1:3], [r(3, 4)]),
        ("slice + index list", lambda a: a[:, [3, 0, 3]], [r(3, 4)]),
        ("two index tensors", lambda a: a[Tensor([0, 0, 2]), Tensor([1, 1, 3])], [r(3, 4)]),
        ("2-D index tensor", lambda a: a[Tensor([[0, 1], [1, 1]])], [r(3, 4)]),
        ("boolean mask", lambda a: a[Tensor(MASK, dtype=bool)], [r(2, 3)]),
    ],
}


def _case_params():
    for name, cases in CASES.items():
        for label, fn, arrays in cases:
            yield pytest.param(fn, arrays, id=f"{name}-{label}")


def leaves(arrays):
    return [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]


def test_every_differentiable_op_has_a_gradcheck():
    missing = set(DIFFERENTIABLE_OPS) - set(CASES)
    assert not missing, f"differentiable ops without a gradcheck case: {sorted(missing)}"
    assert all(CASES[name] for name in DIFFERENTIABLE_OPS)


def test_registry_names_are_callable_ops():
    assert set(CASES) <= set(DIFFERENTIABLE_OPS), "CASES names an op that is not registered"
    for name, fn in DIFFERENTIABLE_OPS.items():
        assert callable(fn) and fn.__name__ == name


@pytest.mark.parametrize("fn, arrays", _case_params())
def test_gradcheck(fn, arrays):
    inputs = leaves(arrays)
    out = fn(*inputs)
    assert out.requires_grad and out.grad_fn is not None
    assert out.dtype == np.float64
    assert gradcheck(fn, inputs)


def test_gradcheck_detects_a_wrong_backward():
    """The checker itself can fail: a Function with a deliberately wrong derivative."""

    class BadSquare(cp.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x  # should be 2 * g * x

    x = leaves([r(3)])
    with pytest.raises(AssertionError, match="gradcheck"):
        gradcheck(BadSquare.apply, x)
    assert gradcheck(BadSquare.apply, x, raise_exception=False) is False


def test_gradcheck_rejects_float32():
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda a: a * 2, [Tensor([1.0, 2.0], requires_grad=True)])


# ------------------------------------------------------------------ forward vs numpy

A = r(2, 3, 4)
B = r(3, 4)
P = pos(2, 3, 4)
D = distinct(2, 3, 4)

FORWARD = [
    ("add", lambda a, b: a + b, np.add, [A, B]),
    ("sub", lambda a, b: a - b, np.subtract, [A, B]),
    ("rsub", lambda a: 1.0 - a, lambda a: 1.0 - a, [A]),
    ("mul", lambda a, b: a * b, np.multiply, [A, B]),
    ("div", lambda a, b: a / b, np.divide, [A, P]),
    ("rdiv", lambda a: 2.0 / a, lambda a: 2.0 / a, [P]),
    ("pow", lambda a, b: a**b, np.power, [P, A]),
    ("rpow", lambda a: 3.0**a, lambda a: 3.0**a, [A]),
    ("neg", lambda a: -a, np.negative, [A]),
    ("abs", abs, np.abs, [A]),
    ("exp", Tensor.exp, np.exp, [A]),
    ("log", Tensor.log, np.log, [P]),
    ("sqrt", Tensor.sqrt, np.sqrt, [P]),
    ("tanh", Tensor.tanh, np.tanh, [A]),
    ("sigmoid", Tensor.sigmoid, lambda a: 1 / (1 + np.exp(-a)), [A * 20]),
    ("relu", Tensor.relu, lambda a: np.maximum(a, 0), [A]),
    ("leaky_relu", F.leaky_relu, lambda a: np.where(a > 0, a, 0.01 * a), [A]),
    ("clamp", lambda a: a.clamp(-0.5, 1.0), lambda a: np.clip(a, -0.5, 1.0), [A]),
    ("maximum", cp.maximum, np.maximum, [A, B]),
    ("where", lambda a, b: cp.where(a > b, a, b), lambda a, b: np.where(a > b, a, b), [A, B]),
    ("matmul", lambda a, b: a @ b, np.matmul, [A, B.T]),
    ("matmul 1-D", lambda a, b: a @ b, np.matmul, [B[0], B[1]]),
    ("sum", lambda a: a.sum((0, -1)), lambda a: a.sum(axis=(0, 2)), [A]),
    ("mean", lambda a: a.mean(1, keepdims=True), lambda a: a.mean(axis=1, keepdims=True), [A]),
    ("var", lambda a: a.var(-1), lambda a: a.var(axis=-1, ddof=1), [A]),
    ("var biased", lambda a: a.var(unbiased=False), lambda a: a.var(), [A]),
    ("max", lambda a: a.max(1), lambda a: a.max(axis=1), [D]),
    ("min", lambda a: a.min((0, 1)), lambda a: a.min(axis=(0, 1)), [D]),
    (
        "softmax",
        lambda a: a.softmax(1),
        lambda a: np.exp(a) / np.exp(a).sum(axis=1, keepdims=True),
        [A],
    ),
    (
        "log_softmax",
        lambda a: a.log_softmax(-1),
        lambda a: a - np.log(np.exp(a).sum(axis=-1, keepdims=True)),
        [A],
    ),
    ("reshape", lambda a: a.reshape(4, -1), lambda a: a.reshape(4, -1), [A]),
    ("transpose", lambda a: a.transpose(), lambda a: np.swapaxes(a, -1, -2), [A]),
    ("permute", lambda a: a.permute(1, 2, 0), lambda a: a.transpose(1, 2, 0), [A]),
    ("unsqueeze", lambda a: a.unsqueeze(-1), lambda a: a[..., None], [A]),
    ("squeeze", lambda a: a[:, :1].squeeze(1), lambda a: a[:, 0], [A]),
    ("flatten", lambda a: a.flatten(1), lambda a: a.reshape(2, 12), [A]),
    (
        "broadcast_to",
        lambda a: a.broadcast_to(2, 3, 4),
        lambda a: np.broadcast_to(a, (2, 3, 4)),
        [B],
    ),
    ("cat", lambda a, b: cp.cat([a, b], -1), lambda a, b: np.concatenate([a, b], -1), [A, A]),
    ("stack", lambda a, b: cp.stack([a, b], 1), lambda a, b: np.stack([a, b], 1), [A, A]),
    ("getitem", lambda a: a[[1, 0, 1], ::-1], lambda a: a[[1, 0, 1], ::-1], [B]),
]


@pytest.mark.parametrize("fn, np_fn, arrays", [pytest.param(*c[1:], id=c[0]) for c in FORWARD])
def test_forward_matches_numpy(fn, np_fn, arrays):
    out = fn(*(Tensor(a) for a in arrays))
    expected = np_fn(*arrays)
    assert isinstance(out, Tensor)
    assert out.shape == np.shape(expected)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_forward_float32_stays_float32():
    a = Tensor(r(2, 3).astype(np.float32))
    for out in (
        a + 1.5,
        2.0 * a,
        a / 3,
        a**2,
        1.0 - a,
        a.exp(),
        a.tanh(),
        a.sigmoid(),
        a.softmax(-1),
        a.log_softmax(-1),
        a.var(),
        a.mean(0),
        a @ a.T,
    ):
        assert out.dtype == np.float32, out


def test_softmax_and_log_softmax_are_stable():
    x = Tensor([[1000.0, 1000.0, -1000.0], [-1000.0, 0.0, 1000.0]])
    s = x.softmax(-1).numpy()
    ls = x.log_softmax(-1).numpy()
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(ls[:, :2][0]))
    np.testing.assert_allclose(s.sum(-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(s[0], [0.5, 0.5, 0.0], atol=1e-7)
    np.testing.assert_allclose(ls[0, :2], [np.log(0.5)] * 2, rtol=1e-6)
    assert ls[1, 2] == pytest.approx(0.0, abs=1e-6)


def test_sigmoid_extreme_inputs_do_not_overflow():
    with np.errstate(over="raise"):
        out = Tensor(np.array([-1000.0, 0.0, 1000.0])).sigmoid().numpy()
    np.testing.assert_allclose(out, [0.0, 0.5, 1.0])


def test_erf_matches_math_erf():
    import math

    xs = np.linspace(-3, 3, 25)
    out = cp.erf(Tensor(xs)).numpy()
    np.testing.assert_allclose(out, [math.erf(v) for v in xs], atol=2e-7)
