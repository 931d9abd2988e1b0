"""Linear and Tanh: checks, errors, gradients and equality with torch.nn."""

import numpy as np
import pytest

import clownpiece as cp
from clownpiece.nn import Linear, Parameter, Tanh


def test_linear_without_bias_and_gradcheck():
    lin = Linear(3, 2, bias=False)
    assert lin.bias is None and [n for n, _ in lin.named_parameters()] == ["weight"]
    assert repr(lin) == "Linear(in_features=3, out_features=2, bias=False)"
    x = cp.randn(4, 3, dtype=cp.float64, requires_grad=True)
    w = Parameter(lin.weight.numpy().astype(np.float64))
    lin.weight = w
    assert cp.gradcheck(lambda x, w: lin(x), (x, w))


def test_wrong_input_width_is_a_clear_error():
    lin = Linear(3, 2)
    with pytest.raises(
        ValueError,
        match=r"^Linear\(in_features=3, out_features=2, bias=True\) "
        r"expected last dim 3, got 5 \(input shape \(4, 5\)\)",
    ):
        lin(cp.ones(4, 5))
    with pytest.raises(ValueError, match="got a 0-d tensor"):
        lin(cp.Tensor(1.0))
    with pytest.raises(TypeError, match="expected a Tensor input, got list"):
        lin([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="in_features must be a non-negative int, got -1"):
        Linear(-1, 2)


def test_reset_parameters_is_seeded():
    cp.manual_seed(5)
    a = Linear(6, 4)
    cp.manual_seed(5)
    b = Linear(6, 4)
    assert np.array_equal(a.weight.numpy(), b.weight.numpy()) and np.array_equal(
        a.bias.numpy(), b.bias.numpy()
    )


def test_linear_and_tanh_match_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = Linear(5, 3), torch.nn.Linear(5, 3)
    ours.load_state_dict(
        {k: cp.Tensor(v.detach().numpy().copy()) for k, v in theirs.state_dict().items()}
    )
    x_np = np.random.default_rng(0).standard_normal((2, 4, 5)).astype(np.float32)
    x, tx = cp.Tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    y, ty = Tanh()(ours(x)), torch.nn.Tanh()(theirs(tx))
    assert np.allclose(y.numpy(), ty.detach().numpy(), atol=1e-6)
    g = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
    y.backward(cp.Tensor(g))
    ty.backward(torch.tensor(g))
    assert np.allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-5)
    assert np.allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), atol=1e-5)
    assert np.allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), atol=1e-5)
    assert repr(ours) == repr(theirs) and repr(Tanh()) == repr(torch.nn.Tanh())
