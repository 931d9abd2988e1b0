"""Activation modules: hand-computed values, finite-difference gradients, PyTorch parity."""

import math

import numpy as np
import pytest

import clownpiece as cp
from clownpiece import nn
from clownpiece.nn.activations import SELU

SELU_ALPHA = 1.6732632423543772848170429916717  # from the paper (Klambauer et al., 2017)
SELU_SCALE = 1.0507009873554804934193349852946


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
    ("SELU", lambda: SELU()),
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
        ("SELU", SELU(), torch.nn.SELU()),
        ("ReLUinplace", nn.ReLU(inplace=True), torch.nn.ReLU(inplace=True)),
        ("LeakyReLUinplace", nn.LeakyReLU(0.2, inplace=True), torch.nn.LeakyReLU(0.2, True)),
        ("SELUinplace", SELU(inplace=True), torch.nn.SELU(inplace=True)),
    ]


PAIR_IDS = [
    "Sigmoid",
    "Tanh",
    "ReLU",
    "LeakyReLU",
    "LeakyReLU0.3",
    "Softmax1",
    "Softmax-1",
    "GELU",
    "GELUnone",
    "GELUtanh",
    "Identity",
    "SELU",
    "ReLUinplace",
    "LeakyReLUinplace",
    "SELUinplace",
]


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
    tout = theirs(tx * 1)  # through a non-leaf: torch's inplace=True may write into it
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


def test_activation_reprs_with_inplace_text():
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.ReLU(inplace=False)) == "ReLU()"
    assert repr(nn.LeakyReLU(0.2, inplace=True)) == "LeakyReLU(negative_slope=0.2, inplace=True)"
    assert repr(nn.LeakyReLU(negative_slope=0.2, inplace=False)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(SELU()) == "SELU()" and repr(SELU(True)) == "SELU(inplace=True)"


@pytest.mark.parametrize(
    "inplace,plain",
    [
        (nn.ReLU(inplace=True), nn.ReLU()),
        (nn.LeakyReLU(0.1, inplace=True), nn.LeakyReLU(0.1)),
        (SELU(inplace=True), SELU()),
    ],
    ids=["ReLU", "LeakyReLU", "SELU"],
)
def test_inplace_is_a_documented_no_op(inplace, plain):
    x = cp.Tensor([-2.0, 0.5, 3.0], requires_grad=True)
    out = inplace(x)
    assert out is not x
    np.testing.assert_array_equal(x.numpy(), [-2.0, 0.5, 3.0])  # the input is untouched
    np.testing.assert_array_equal(out.numpy(), plain(x).numpy())
    out.sum().backward()
    assert x.grad is not None
    assert "inplace" in nn.activations.__doc__ and "changes\nnothing" in nn.activations.__doc__


# ---------------------------------------------------------------- SELU
def test_selu_values_by_hand():
    x = cp.Tensor([1.0, 2.5, 0.0, -1.0, -30.0])
    want = [
        SELU_SCALE,
        2.5 * SELU_SCALE,
        0.0,
        SELU_SCALE * SELU_ALPHA * (math.exp(-1) - 1),
        -SELU_SCALE * SELU_ALPHA,
    ]  # saturates at -scale * alpha (about -1.7581)
    np.testing.assert_allclose(SELU()(x).numpy(), want, rtol=1e-6)
    assert SELU().alpha == SELU_ALPHA and SELU().scale == SELU_SCALE


def test_selu_gradient_by_hand_and_finite_for_huge_inputs():
    x = cp.Tensor([2.0, -1.0, 0.0, 100.0, -100.0], requires_grad=True)
    SELU()(x).sum().backward()
    # x > 0: scale; x <= 0: scale * alpha * e^x (PyTorch takes this branch at 0 too)
    want = [
        SELU_SCALE,
        SELU_SCALE * SELU_ALPHA * math.exp(-1),
        SELU_SCALE * SELU_ALPHA,
        SELU_SCALE,
        SELU_SCALE * SELU_ALPHA * math.exp(-100),
    ]
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-6, atol=1e-40)  # float32 denormal

    class UnclampedSELU(SELU):  # e^x of the whole input: inf at 100, then 0 * inf = nan
        def forward(self, x):
            return self.scale * cp.where(x > 0, x, self.alpha * (x.exp() - 1))

    y = cp.Tensor([100.0, -1.0], requires_grad=True)
    with np.errstate(over="ignore", invalid="ignore"):
        UnclampedSELU()(y).sum().backward()
    assert np.isnan(y.grad.numpy()[0])


def test_selu_matches_torch_at_zero_and_extremes(monkeypatch):
    torch = pytest.importorskip("torch")
    data = np.array([0.0, -0.0, 1e-7, -1e-7, 88.0, 100.0, -100.0, -3.0], dtype=np.float32)
    x, tx = cp.Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    out, tout = SELU()(x), torch.nn.SELU()(tx)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-6, atol=1e-7)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6)

    # constants to 3 digits: caught at float32 tolerance
    monkeypatch.setattr(cp.nn.functional, "SELU_ALPHA", 1.673)
    monkeypatch.setattr(cp.nn.functional, "SELU_SCALE", 1.051)
    rounded = SELU()(cp.Tensor(data)).numpy()
    assert not np.allclose(rounded, tout.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_selu_gain_stays_three_quarters():
    assert nn.init.calculate_gain("selu") == 0.75
