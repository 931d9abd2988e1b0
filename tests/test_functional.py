"""`clownpiece.nn.functional` against `torch.nn.functional` (values and gradients), finite
differences, and its errors. Comparisons with PyTorch skip cleanly without torch.

Every comparison goes through `compare`, and `test_compare_catches_wrong_implementations`
shows that it fails on deliberately wrong versions of the functions.
"""

import math

import numpy as np
import pytest

from clownpiece import Tensor, gradcheck
from clownpiece.nn import functional as F

_rng = np.random.default_rng(11)


def r(*shape, lo=-2.0, hi=2.0):
    return _rng.uniform(lo, hi, size=shape)


def away(*shape, gap=0.2):
    """Random values at least `gap` away from 0 (the kink of relu and friends)."""
    x = r(*shape)
    return np.where(np.abs(x) < gap, np.sign(x + 1e-12) * gap * 2, x)


CLASSES = np.array([[2, 0, 1], [1, 1, 3]])
TARGET = r(2, 3, 4)

# name -> (clownpiece fn, torch fn (built from torch.nn.functional as TF), input arrays)
CASES = {
    "relu": (F.relu, lambda TF, x: TF.relu(x), [away(3, 4)]),
    "leaky_relu": (
        lambda x: F.leaky_relu(x, 0.2),
        lambda TF, x: TF.leaky_relu(x, 0.2),
        [away(3, 4)],
    ),
    "leaky_relu default": (F.leaky_relu, lambda TF, x: TF.leaky_relu(x), [away(3, 4)]),
    "sigmoid": (F.sigmoid, lambda TF, x: TF.sigmoid(x), [r(3, 4, lo=-6, hi=6)]),
    "tanh": (F.tanh, lambda TF, x: TF.tanh(x), [r(3, 4)]),
    "gelu": (F.gelu, lambda TF, x: TF.gelu(x), [r(3, 4, lo=-4, hi=4)]),
    "gelu tanh": (
        lambda x: F.gelu(x, approximate="tanh"),
        lambda TF, x: TF.gelu(x, approximate="tanh"),
        [r(3, 4, lo=-4, hi=4)],
    ),
    "selu": (F.selu, lambda TF, x: TF.selu(x), [away(3, 4)]),
    "softmax": (lambda x: F.softmax(x, 1), lambda TF, x: TF.softmax(x, 1), [r(2, 3, 4)]),
    "log_softmax": (
        lambda x: F.log_softmax(x, -1),
        lambda TF, x: TF.log_softmax(x, -1),
        [r(2, 3, 4) * 50],
    ),
    "cross_entropy mean": (
        lambda x: F.cross_entropy(x, CLASSES),
        lambda TF, x: TF.cross_entropy(x.permute(0, 2, 1), _torch().tensor(CLASSES)),
        [r(2, 3, 4)],
    ),
    "cross_entropy sum, float targets": (
        lambda x: F.cross_entropy(x, Tensor(CLASSES[0]), reduction="sum"),
        lambda TF, x: TF.cross_entropy(x, _torch().tensor(CLASSES[0]), reduction="sum"),
        [r(3, 4)],
    ),
    "cross_entropy none": (
        lambda x: F.cross_entropy(x, CLASSES, reduction="none"),
        lambda TF, x: TF.cross_entropy(
            x.permute(0, 2, 1), _torch().tensor(CLASSES), reduction="none"
        ),
        [r(2, 3, 4) * 30],
    ),
    "mse_loss mean": (
        lambda x: F.mse_loss(x, Tensor(TARGET)),
        lambda TF, x: TF.mse_loss(x, _torch().tensor(TARGET)),
        [r(2, 3, 4)],
    ),
    "mse_loss sum": (
        lambda x: F.mse_loss(x, Tensor(TARGET), reduction="sum"),
        lambda TF, x: TF.mse_loss(x, _torch().tensor(TARGET), reduction="sum"),
        [r(2, 3, 4)],
    ),
    "mse_loss none": (
        lambda x: F.mse_loss(x, Tensor(TARGET), reduction="none"),
        lambda TF, x: TF.mse_loss(x, _torch().tensor(TARGET), reduction="none"),
        [r(2, 3, 4)],
    ),
    "layer_norm": (
        lambda x, w, b: F.layer_norm(x, (3, 4), w, b),
        lambda TF, x, w, b: TF.layer_norm(x, (3, 4), w, b),
        [r(2, 3, 4), r(3, 4), r(3, 4)],
    ),
    "layer_norm int shape, no affine": (
        lambda x: F.layer_norm(x, 4, eps=1e-3),
        lambda TF, x: TF.layer_norm(x, (4,), eps=1e-3),
        [r(2, 3, 4)],
    ),
    "linear": (F.linear, lambda TF, x, w, b: TF.linear(x, w, b), [r(2, 5, 3), r(4, 3), r(4)]),
    "linear no bias": (F.linear, lambda TF, x, w: TF.linear(x, w), [r(5, 3), r(4, 3)]),
    "unfold": (
        lambda x: F.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
        lambda TF, x: TF.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
        [r(2, 3, 6, 7)],
    ),
    "fold": (
        lambda x: F.fold(x, (5, 6), 3, padding=1, stride=2),
        lambda TF, x: TF.fold(x, (5, 6), 3, padding=1, stride=2),
        [r(2, 2 * 9, 9)],
    ),
}


def _torch():
    return pytest.importorskip("torch")


def compare(ours, theirs, arrays, atol=1e-10):
    """Values and input gradients of `ours` equal torch's `theirs` on float64 `arrays`."""
    torch = _torch()
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    out = ours(*xs)
    weights = np.random.default_rng(0).standard_normal(out.shape)
    (out * Tensor(weights)).sum().backward()
    txs = [torch.tensor(a, requires_grad=True) for a in arrays]
    tout = theirs(torch.nn.functional, *txs)
    (tout * torch.tensor(weights)).sum().backward()
    assert out.shape == tuple(tout.shape)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), atol=atol, rtol=1e-7)
    for x, tx in zip(xs, txs):
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=atol, rtol=1e-7)


@pytest.mark.parametrize("name", list(CASES))
def test_matches_torch(name):
    ours, theirs, arrays = CASES[name]
    # erf is a 1.5e-7-accurate approximation: gelu gets a matching tolerance
    compare(ours, theirs, arrays, atol=1e-6 if name == "gelu" else 1e-10)


@pytest.mark.parametrize("name", list(CASES))
def test_gradcheck(name):
    ours, _, arrays = CASES[name]
    assert gradcheck(ours, [Tensor(a, requires_grad=True) for a in arrays])


WRONG = {  # plausible mistakes, each of which the comparison must catch
    "gelu with the tanh formula": ("gelu", lambda x: F.gelu(x, approximate="tanh")),
    "selu without scale": ("selu", lambda x: F.selu(x) / 1.0507009873554805),
    "layer_norm with unbiased variance": (
        "layer_norm int shape, no affine",
        lambda x: (x - x.mean(-1, keepdim=True)) / (x.var(-1, keepdim=True) + 1e-3).sqrt(),
    ),
    "cross_entropy with log_softmax over dim 1": (
        "cross_entropy none",
        lambda x: -(x.log_softmax(1) * Tensor(np.eye(4)[CLASSES])).sum(-1),
    ),
    "mse mean over the last dim only": (
        "mse_loss mean",
        lambda x: ((x - Tensor(TARGET)) ** 2).mean(-1).sum(),
    ),
    "linear adding the bias twice": ("linear", lambda x, w, b: F.linear(x, w, b) + b),
    "unfold with kernel offsets in the wrong order": (
        "unfold",
        lambda x: (
            F.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
            .reshape(2, 3, 2, 3, -1)
            .transpose(2, 3)
            .reshape(2, 18, -1)
        ),
    ),
}


@pytest.mark.parametrize("mistake", list(WRONG))
def test_compare_catches_wrong_implementations(mistake):
    name, wrong = WRONG[mistake]
    _, theirs, arrays = CASES[name]
    with pytest.raises(AssertionError):
        compare(wrong, theirs, arrays)


# ------------------------------------------------------------------ values without torch


def test_selu_constants_and_large_inputs():
    x = Tensor([-1000.0, -1.0, 0.0, 2.0, 1000.0], requires_grad=True)
    with np.errstate(over="raise"):
        y = F.selu(x)
        y.sum().backward()
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    expected = [-scale * alpha, scale * alpha * (math.exp(-1) - 1), 0.0, 2 * scale, 1000 * scale]
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(
        x.grad.numpy(), [0, scale * alpha * math.exp(-1), scale * alpha, scale, scale], rtol=1e-6
    )


def test_gelu_known_values():
    y = F.gelu(Tensor(np.array([-1.0, 0.0, 1.0]))).numpy()
    phi = [0.5 * (1 + math.erf(v / math.sqrt(2))) for v in (-1.0, 0.0, 1.0)]
    np.testing.assert_allclose(y, [-phi[0], 0.0, phi[2]], atol=1e-7)


def test_cross_entropy_class_dim_is_last():
    """logits (N, C) = (2, 3): a target is a class index into the last dim."""
    logits = Tensor(np.array([[0.0, 0.0, 10.0], [10.0, 0.0, 0.0]]))
    right = F.cross_entropy(logits, Tensor([2, 0]), reduction="none").numpy()
    wrong = F.cross_entropy(logits, Tensor([0, 2]), reduction="none").numpy()
    assert np.all(right < 1e-4) and np.all(wrong > 9.9)


def test_unfold_layout_by_hand():
    """One channel, 3x3 image, 2x2 kernel: column k holds window k, row-major."""
    image = np.arange(9.0).reshape(1, 1, 3, 3)
    columns = F.unfold(Tensor(image), 2).numpy()
    assert columns.shape == (1, 4, 4)
    np.testing.assert_array_equal(columns[0, :, 0], [0, 1, 3, 4])  # top-left window
    np.testing.assert_array_equal(columns[0, :, 3], [4, 5, 7, 8])  # bottom-right window
    np.testing.assert_array_equal(columns[0, 0], [0, 1, 3, 4])  # each window's top-left value


def test_fold_is_the_adjoint_of_unfold():
    """<unfold(x), c> == <x, fold(c)> for random x, c: fold is unfold's transpose."""
    x, c = r(2, 3, 5, 6), r(2, 3 * 6, 3 * 2)
    ux = F.unfold(Tensor(x), (2, 3), padding=(1, 0), stride=(2, 2)).numpy()
    fc = F.fold(Tensor(c), (5, 6), (2, 3), padding=(1, 0), stride=(2, 2)).numpy()
    assert ux.shape == c.shape
    assert np.sum(ux * c) == pytest.approx(np.sum(x * fc), rel=1e-12)


def test_fold_sums_overlaps():
    ones = Tensor(np.ones((1, 4, 4)))  # 2x2 kernel over a 3x3 image: 4 windows
    np.testing.assert_array_equal(
        F.fold(ones, 3, 2).numpy()[0, 0], [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
    )


def test_numpy_integers_are_valid_sizes():
    x = Tensor(r(1, 2, 5, 5))
    expected = F.unfold(x, 3, padding=1, stride=2).numpy()
    got = F.unfold(x, np.int64(3), padding=np.int32(1), stride=(np.int64(2), 2)).numpy()
    np.testing.assert_array_equal(got, expected)


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: F.relu([1.0, 2.0]), TypeError, ["relu", "Tensor", "list"]),
        (lambda: F.gelu(Tensor([1.0]), approximate="fast"), ValueError, ["gelu", "'fast'"]),
        (lambda: F.softmax(np.ones(3), 0), TypeError, ["softmax", "ndarray"]),
        (
            lambda: F.cross_entropy(Tensor(np.ones((2, 3))), Tensor([0, 1]), reduction="avg"),
            ValueError,
            ["cross_entropy", "reduction", "'avg'"],
        ),
        (
            lambda: F.cross_entropy(Tensor(np.ones((2, 3))), Tensor([0, 1, 2])),
            ValueError,
            ["cross_entropy", "(2,)", "(3,)"],
        ),
        (
            lambda: F.cross_entropy(Tensor(np.ones((2, 3))), Tensor([0, 3])),
            IndexError,
            ["cross_entropy", "3", "[0, 3)"],
        ),
        (lambda: F.cross_entropy(Tensor(1.0), Tensor(0)), ValueError, ["class dimension"]),
        (
            lambda: F.mse_loss(Tensor(np.ones(3)), Tensor(np.ones(4))),
            ValueError,
            ["mse_loss", "(3,)", "(4,)"],
        ),
        (
            lambda: F.mse_loss(Tensor(np.ones(3)), Tensor(np.ones(3)), reduction="max"),
            ValueError,
            ["mse_loss", "reduction"],
        ),
        (
            lambda: F.linear(Tensor(np.ones((2, 3))), Tensor(np.ones((4, 5)))),
            ValueError,
            ["linear", "(2, 3)", "(4, 5)"],
        ),
        (
            lambda: F.linear(Tensor(np.ones((2, 3))), np.ones((4, 3))),
            TypeError,
            ["linear", "weight"],
        ),
        (
            lambda: F.layer_norm(Tensor(np.ones((2, 3))), (4,)),
            ValueError,
            ["layer_norm", "(2, 3)", "(4,)"],
        ),
        (
            lambda: F.unfold(Tensor(np.ones((3, 5, 5))), 2),
            ValueError,
            ["unfold", "4-D", "(3, 5, 5)"],
        ),
        (lambda: F.unfold(Tensor(np.ones((1, 1, 5, 5))), 0), ValueError, ["unfold", "kernel_size"]),
        (
            lambda: F.unfold(Tensor(np.ones((1, 1, 5, 5))), 2, stride=(1, 0)),
            ValueError,
            ["unfold", "stride"],
        ),
        (
            lambda: F.unfold(Tensor(np.ones((1, 1, 5, 5))), 2, padding=-1),
            ValueError,
            ["unfold", "padding"],
        ),
        (
            lambda: F.unfold(Tensor(np.ones((1, 1, 2, 2))), 3),
            ValueError,
            ["unfold", "does not fit"],
        ),
        (lambda: F.fold(Tensor(np.ones((1, 5, 4))), 3, 2), ValueError, ["fold", "(1, 5, 4)"]),
    ],
)
def test_errors_name_the_function_and_what_was_expected(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_inplace_flags_are_accepted_and_leave_the_input_alone():
    x = Tensor([-1.0, 2.0])
    for out in (F.relu(x, inplace=True), F.leaky_relu(x, 0.1, True), F.selu(x, inplace=True)):
        assert out is not x
    assert x.tolist() == [-1.0, 2.0]


def test_functional_touches_no_private_tensor_attribute():
    from test_conv import private_attributes

    import clownpiece.nn.functional as module

    assert private_attributes(module.__file__) == []


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_of_classes_is_cross_entropy_without_the_target_check(reduction):
    logits = Tensor(np.array([[2.0, -1.0, 0.5], [0.0, 3.0, -2.0]]), requires_grad=True)
    classes = np.array([2, 1], np.int64)
    got = F.cross_entropy_of_classes(logits, classes, reduction)
    want = F.cross_entropy(logits, Tensor(classes), reduction=reduction)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)
    rows = logits.numpy() - logits.numpy().max(-1, keepdims=True)
    terms = np.log(np.exp(rows).sum(-1)) - rows[[0, 1], classes]
    expected = {"mean": terms.mean(), "sum": terms.sum(), "none": terms}[reduction]
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-12)
