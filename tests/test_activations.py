"""Activation modules: hand-computed values, finite-difference gradients, PyTorch parity."""

import math

import numpy as np
import pytest

import clownpiece as cp
from clownpiece import nn


def f64(values, requires_grad=True):
    return cp.Tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


# ---------------------------------------------------------------- forward on hand-computed values
def test_sigmoid_values():
    out = nn.Sigmoid()(cp.Tensor([0.0, math.log(3), -math.log(3)]))
    np.testing.assert_allclose(out.numpy(), [0.5, 0.75, 0.25], rtol=1e-6)


def test_tanh_values():
    out = nn.Tanh()(cp.Tensor([0.0, math.log(2)]))
    np.testing.assert_allclose(out.numpy(), [0.0, 0.6], rtol=1e-6, atol=1e-7)  # (4-1)/(4+1)


def test_relu_values():
    out = nn.ReLU()(cp.Tensor([-2.0, -0.0, 0.5, 3.0]))
    np.testing.assert_array_equal(out.numpy(), [0.0, 0.0, 0.5, 3.0])


def test_leaky_relu_values_default_and_custom_slope():
    x = cp.Tensor([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(nn.LeakyReLU()(x).numpy(), [-0.02, 0.0, 3.0], rtol=1e-6)
    np.testing.assert_allclose(nn.LeakyReLU(0.5)(x).numpy(), [-1.0, 0.0, 3.0], rtol=1e-6)
    assert nn.LeakyReLU().negative_slope == 0.01


def test_softmax_values_and_dim():
    x = cp.Tensor([[0.0, math.log(2), math.log(3)], [5.0, 5.0, 5.0]])
    out = nn.Softmax(dim=-1)(x).numpy()
    np.testing.assert_allclose(out, [[1 / 6, 2 / 6, 3 / 6], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)
    out0 = nn.Softmax(dim=0)(cp.Tensor([[0.0, 1.0], [math.log(3), 1.0]])).numpy()
    np.testing.assert_allclose(out0, [[0.25, 0.5], [0.75, 0.5]], rtol=1e-6)


def test_softmax_is_stable_for_large_inputs():
    out = nn.Softmax(-1)(cp.Tensor([1e4, 1e4 + math.log(3)])).numpy()
    np.testing.assert_allclose(out, [0.25, 0.75], rtol=1e-3)


def test_gelu_exact_values():
    xs = [-2.0, -0.5, 0.0, 1.0, 3.0]
    expected = [0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in xs]
    # erf is the Abramowitz-Stegun approximation (|error| < 1.5e-7): float32 accuracy
    np.testing.assert_allclose(nn.GELU()(cp.Tensor(xs)).numpy(), expected, rtol=1e-6, atol=5e-7)
    assert nn.GELU().approximate == "none"


def test_gelu_tanh_values():
    xs = [-2.0, -0.5, 0.0, 1.0, 3.0]
    c = math.sqrt(2 / math.pi)
    expected = [0.5 * v * (1 + math.tanh(c * (v + 0.044715 * v**3))) for v in xs]
    out = nn.GELU(approximate="tanh")(cp.Tensor(xs)).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-7)
    # the two modes really differ (by ~1e-4 around |x| = 2)
    assert abs(out[0] - nn.GELU()(cp.Tensor(xs)).numpy()[0]) > 1e-5


def test_identity_returns_input_and_ignores_arguments():
    x = cp.Tensor([1.0, -2.0], requires_grad=True)
    ident = nn.Identity(54, unused="argument")
    assert ident(x) is x
    assert list(ident.parameters()) == []


# ---------------------------------------------------------------- gradients (float64 finite differences)
ACTIVATIONS = [
    ("Sigmoid", lambda: nn.Sigmoid()),
    ("Tanh", lambda: nn.Tanh()),
    ("ReLU", lambda: nn.ReLU()),
    ("LeakyReLU", lambda: nn.LeakyReLU(0.2)),
    ("Softmax0", lambda: nn.Softmax(dim=0)),
    ("Softmax-1", lambda: nn.Softmax(dim=-1)),
    ("GELU", lambda: nn.GELU()),
    ("GELUtanh", lambda: nn.GELU(approximate="tanh")),
    ("Identity", lambda: nn.Identity()),
]


@pytest.mark.parametrize("name,make", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_gradcheck(name, make):
    # values kept away from ReLU's kink at 0
    x = f64([[-2.1, -0.7, 0.3], [0.9, 1.7, -3.2]])
    assert cp.gradcheck(make(), [x])


def test_relu_and_leaky_gradients_by_hand():
    x = cp.Tensor([-1.0, 2.0], requires_grad=True)
    nn.LeakyReLU(0.25)(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.25, 1.0])
    x.grad = None
    nn.ReLU()(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 1.0])


# ---------------------------------------------------------------- errors
def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match=r"GELU.*approximate.*'none' or 'tanh'.*'sigmoid'"):
        nn.GELU(approximate="sigmoid")


# ---------------------------------------------------------------- PyTorch parity
def _torch_pairs(torch):
    return [
        ("Sigmoid", nn.Sigmoid(), torch.nn.Sigmoid()),
        ("Tanh", nn.Tanh(), torch.nn.Tanh()),
        ("ReLU", nn.ReLU(), torch.nn.ReLU()),
        ("LeakyReLU", nn.LeakyReLU(), torch.nn.LeakyReLU()),
        ("LeakyReLU0.3", nn.LeakyReLU(0.3), torch.nn.LeakyReLU(0.3)),
        ("Softmax1", nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
        ("Softmax-1", nn.Softmax(dim=-1), torch.nn.Softmax(dim=-1)),
        ("GELU", nn.GELU(), torch.nn.GELU()),
        ("GELUnone", nn.GELU("none"), torch.nn.GELU("none")),
        ("GELUtanh", nn.GELU(approximate="tanh"), torch.nn.GELU(approximate="tanh")),
        ("Identity", nn.Identity(), torch.nn.Identity()),
    ]


PAIR_IDS = ["Sigmoid", "Tanh", "ReLU", "LeakyReLU", "LeakyReLU0.3", "Softmax1", "Softmax-1",
            "GELU", "GELUnone", "GELUtanh", "Identity"]


@pytest.mark.parametrize("index", range(len(PAIR_IDS)), ids=PAIR_IDS)
def test_activation_matches_torch(index):
    torch = pytest.importorskip("torch")
    _, ours, theirs = _torch_pairs(torch)[index]
    rng = np.random.default_rng(index)
    data = (rng.standard_normal((4, 5, 6)) * 3).astype(np.float32)
    data[0, 0, :3] = [-12.0, 12.0, 0.001]  # saturated and near-zero values too
    grad_out = rng.standard_normal(data.shape).astype(np.float32)

    x = cp.Tensor(data.copy(), requires_grad=True)
    out = ours(x)
    (out * cp.Tensor(grad_out)).sum().backward()

    tx = torch.tensor(data, requires_grad=True)
    tout = theirs(tx)
    (tout * torch.tensor(grad_out)).sum().backward()

    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("index", range(len(PAIR_IDS)), ids=PAIR_IDS)
def test_activation_repr_matches_torch(index):
    torch = pytest.importorskip("torch")
    _, ours, theirs = _torch_pairs(torch)[index]
    assert repr(ours) == repr(theirs)


def test_activation_reprs_text():
    # also checked without torch: the texts PyTorch prints
    assert repr(nn.LeakyReLU(0.3)) == "LeakyReLU(negative_slope=0.3)"
    assert repr(nn.Softmax(1)) == "Softmax(dim=1)"
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"
    assert repr(nn.ReLU()) == "ReLU()"
