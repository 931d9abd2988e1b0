"""MSELoss and CrossEntropyLoss: formulas, gradients, stability, errors, PyTorch parity."""

import math

import numpy as np
import pytest

import clownpiece as cp
from clownpiece import nn

REDUCTIONS = ["mean", "sum", "none"]


def f64(values, requires_grad=True):
    return cp.Tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


# ---------------------------------------------------------------- MSELoss
def test_mse_hand_values_all_reductions():
    x, y = cp.Tensor([1.0, 2.0, 3.0]), cp.Tensor([1.0, 0.0, 0.0])
    np.testing.assert_allclose(nn.MSELoss("none")(x, y).numpy(), [0.0, 4.0, 9.0])
    assert nn.MSELoss("sum")(x, y).item() == pytest.approx(13.0)
    assert nn.MSELoss()(x, y).item() == pytest.approx(13.0 / 3)
    assert nn.MSELoss().reduction == "mean"


def test_mse_gradient_by_hand():
    x = cp.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    nn.MSELoss()(x, cp.Tensor([[0.0, 0.0], [0.0, 0.0]])).backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.5, 1.0], [1.5, 2.0]])  # 2 x / n


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_gradcheck_input_and_target(reduction):
    rng = np.random.default_rng(0)
    x, y = f64(rng.standard_normal((3, 4))), f64(rng.standard_normal((3, 4)))
    assert cp.gradcheck(nn.MSELoss(reduction), [x, y])


def test_mse_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match=r"MSELoss.*\(2, 3\).*\(3, 2\).*must match"):
        nn.MSELoss()(cp.zeros(2, 3), cp.zeros(3, 2))


@pytest.mark.parametrize("cls", [nn.MSELoss, nn.CrossEntropyLoss])
def test_invalid_reduction_is_an_error(cls):
    with pytest.raises(ValueError, match=rf"{cls.__name__}: reduction must be one of .*'avg'"):
        cls(reduction="avg")


# ---------------------------------------------------------------- CrossEntropyLoss: formula
def test_cross_entropy_hand_values():
    # softmax([0, ln 2, ln 3]) = [1/6, 2/6, 3/6]
    logits = cp.Tensor([[0.0, math.log(2), math.log(3)], [0.0, math.log(2), math.log(3)]])
    target = cp.Tensor([2, 0])
    none = nn.CrossEntropyLoss("none")(logits, target).numpy()
    np.testing.assert_allclose(none, [math.log(2), math.log(6)], rtol=1e-6)
    total = math.log(2) + math.log(6)
    assert nn.CrossEntropyLoss("sum")(logits, target).item() == pytest.approx(total, rel=1e-6)
    assert nn.CrossEntropyLoss()(logits, target).item() == pytest.approx(total / 2, rel=1e-6)


def test_cross_entropy_gradient_is_softmax_minus_onehot():
    logits = cp.Tensor([[0.0, math.log(2), math.log(3)]], requires_grad=True)
    nn.CrossEntropyLoss("sum")(logits, cp.Tensor([1])).backward()
    np.testing.assert_allclose(logits.grad.numpy(), [[1 / 6, 2 / 6 - 1, 3 / 6]], rtol=1e-6)


def test_cross_entropy_class_dim_is_last_for_extra_dims():
    logits = np.zeros((2, 3, 4), dtype=np.float32)
    logits[1, 2, 3] = math.log(5)  # softmax -> [1, 1, 1, 5] / 8
    target = np.full((2, 3), 3)
    out = nn.CrossEntropyLoss("none")(cp.Tensor(logits), cp.Tensor(target)).numpy()
    expected = np.full((2, 3), math.log(4))
    expected[1, 2] = math.log(8 / 5)
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_cross_entropy_single_sample_without_batch_dim():
    out = nn.CrossEntropyLoss()(cp.Tensor([0.0, math.log(3)]), cp.Tensor(1))
    assert out.shape == ()
    assert out.item() == pytest.approx(math.log(4 / 3), rel=1e-6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_gradcheck(reduction):
    rng = np.random.default_rng(1)
    logits = f64(rng.standard_normal((2, 3, 5)))
    target = cp.Tensor(rng.integers(0, 5, size=(2, 3)))
    assert cp.gradcheck(lambda z: nn.CrossEntropyLoss(reduction)(z, target), [logits])


# ---------------------------------------------------------------- CrossEntropyLoss: stability, targets
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_is_stable_for_huge_logits(dtype):
    logits = cp.Tensor(
        np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, 1e4]], dtype=dtype), requires_grad=True
    )
    target = cp.Tensor([1, 2])
    losses = nn.CrossEntropyLoss("none")(logits, target)
    np.testing.assert_allclose(losses.numpy(), [1e4, 0.0], rtol=1e-6, atol=1e-6)
    losses.sum().backward()
    grad = logits.grad.numpy()
    assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad, [[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]], atol=1e-6)


def test_cross_entropy_int_and_integral_float_targets_agree():
    rng = np.random.default_rng(2)
    logits = cp.Tensor(rng.standard_normal((4, 3)).astype(np.float32))
    ints = rng.integers(0, 3, size=4)
    loss = nn.CrossEntropyLoss()
    as_int = loss(logits, cp.Tensor(ints.astype(np.int64))).item()
    as_int32 = loss(logits, cp.Tensor(ints.astype(np.int32))).item()
    as_float = loss(logits, cp.Tensor(ints.astype(np.float32))).item()
    expected = -np.mean(
        np.log(np.exp(logits.numpy()) / np.exp(logits.numpy()).sum(-1, keepdims=True))[
            np.arange(4), ints
        ]
    )
    assert as_int == pytest.approx(expected, rel=1e-5)
    assert as_int32 == as_int and as_float == as_int


def test_cross_entropy_rejects_fractional_targets():
    with pytest.raises(
        ValueError, match=r"CrossEntropyLoss needs integer target values, got non-integral"
    ):
        nn.CrossEntropyLoss()(cp.zeros(2, 3), cp.Tensor([0.0, 1.5]))


def test_cross_entropy_rejects_non_numeric_targets():
    with pytest.raises(TypeError, match=r"CrossEntropyLoss needs integer target values.*bool"):
        nn.CrossEntropyLoss()(cp.zeros(2, 3), cp.Tensor(np.array([True, False])))


@pytest.mark.parametrize("bad", [3, -1, 7.0])
def test_cross_entropy_rejects_out_of_range_targets(bad):
    with pytest.raises(
        IndexError, match=rf"CrossEntropyLoss: target {bad:g} is out of range \[0, 3\)"
    ):
        nn.CrossEntropyLoss()(cp.zeros(2, 3), cp.Tensor(np.array([0, bad])))


@pytest.mark.parametrize("target_shape", [(3,), (2, 1), (2, 3), ()])
def test_cross_entropy_rejects_target_shape_mismatch(target_shape):
    target = cp.Tensor(np.zeros(target_shape, dtype=np.int64))
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: logits of shape \(2, 3\).*\(2,\)"):
        nn.CrossEntropyLoss()(cp.zeros(2, 3), target)


def test_cross_entropy_rejects_scalar_logits():
    with pytest.raises(ValueError, match="CrossEntropyLoss: logits need a class dimension"):
        nn.CrossEntropyLoss()(cp.Tensor(1.0), cp.Tensor(0))


# ---------------------------------------------------------------- PyTorch parity
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_matches_torch(reduction):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    a = rng.standard_normal((3, 4, 5)).astype(np.float32)
    b = rng.standard_normal((3, 4, 5)).astype(np.float32)
    x, y = cp.Tensor(a, requires_grad=True), cp.Tensor(b, requires_grad=True)
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out = nn.MSELoss(reduction)(x, y)
    tout = torch.nn.MSELoss(reduction=reduction)(tx, ty)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    w = rng.standard_normal(out.shape).astype(np.float32)
    (out * cp.Tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(6, 5), (2, 3, 4, 5), (5,)], ids=["NC", "NdDC", "C"])
def test_cross_entropy_matches_torch(reduction, shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    data = (rng.standard_normal(shape) * 4).astype(np.float32)
    target = rng.integers(0, shape[-1], size=shape[:-1])
    x = cp.Tensor(data, requires_grad=True)
    out = nn.CrossEntropyLoss(reduction)(x, cp.Tensor(target))
    tx = torch.tensor(data, requires_grad=True)
    # PyTorch wants the class dim second: (N, C, d1, ...); unbatched (C,) stays as is
    tlogits = tx if len(shape) == 1 else tx.movedim(-1, 1)
    tout = torch.nn.CrossEntropyLoss(reduction=reduction)(tlogits, torch.tensor(target))
    assert out.shape == tuple(tout.shape)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    w = rng.standard_normal(out.shape).astype(np.float32)
    (out * cp.Tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_cross_entropy_huge_logits_match_torch():
    torch = pytest.importorskip("torch")
    data = np.array([[1e4, 0.0, -1e4], [3e4, 3e4, -2e4]], dtype=np.float32)
    x = cp.Tensor(data, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    out = nn.CrossEntropyLoss()(x, cp.Tensor([2, 1]))
    tout = torch.nn.CrossEntropyLoss()(tx, torch.tensor([2, 1]))
    out.backward()
    tout.backward()
    np.testing.assert_allclose(out.item(), tout.item(), rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_loss_repr_matches_torch(reduction):
    torch = pytest.importorskip("torch")
    assert repr(nn.MSELoss(reduction)) == repr(torch.nn.MSELoss(reduction=reduction))
    assert repr(nn.CrossEntropyLoss(reduction)) == repr(
        torch.nn.CrossEntropyLoss(reduction=reduction)
    )


def test_loss_repr_text():
    assert repr(nn.MSELoss("sum")) == "MSELoss()"
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
