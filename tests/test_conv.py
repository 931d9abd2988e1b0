"""Conv2d / Conv2D: forward and gradients against torch.nn.Conv2d on the same weights,
finite differences, PyTorch's default init and repr, and clear errors for bad input."""

import ast
import math

import numpy as np
import pytest

import clownpiece as cp
from clownpiece import Tensor, gradcheck
from clownpiece.nn.conv import Conv2D, Conv2d
from clownpiece.nn.module import Parameter

_rng = np.random.default_rng(5)

CONFIGS = [  # (args, kwargs, input shape)
    ((3, 8, 3), {}, (2, 3, 7, 6)),
    ((2, 4, (2, 3)), {"stride": (2, 1), "padding": (1, 2)}, (3, 2, 6, 5)),
    ((4, 6, 3), {"dilation": 2, "groups": 2, "bias": False}, (1, 4, 8, 7)),
    ((1, 2, 1), {"stride": 3}, (2, 1, 5, 5)),
    ((3, 2, 5), {"padding": 2}, (3, 7, 7)),  # unbatched (C, H, W)
]


def as_float64(conv):
    """The same layer with float64 parameters (for exact comparisons and gradcheck)."""
    conv.weight = Parameter(conv.weight.numpy().astype(np.float64))
    if conv.bias is not None:
        conv.bias = Parameter(conv.bias.numpy().astype(np.float64))
    return conv


def torch_twin(conv, torch):
    """A torch.nn.Conv2d with the same hyper-parameters and weights as `conv`."""
    twin = torch.nn.Conv2d(
        conv.in_channels,
        conv.out_channels,
        conv.kernel_size,
        conv.stride,
        conv.padding,
        conv.dilation,
        conv.groups,
        conv.bias is not None,
    )
    twin = twin.double()
    with torch.no_grad():
        twin.weight.copy_(torch.tensor(conv.weight.numpy()))
        if conv.bias is not None:
            twin.bias.copy_(torch.tensor(conv.bias.numpy()))
    return twin


def check_against_torch(conv, shape, torch):
    """Output, input gradient and parameter gradients equal torch's (float64)."""
    x_np = _rng.standard_normal(shape)
    x, tx = Tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    twin = torch_twin(conv, torch)
    out, tout = conv(x), twin(tx)
    g = _rng.standard_normal(tuple(tout.shape))
    out.backward(Tensor(g))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(conv.weight.grad.numpy(), twin.weight.grad.numpy(), atol=1e-12)
    if conv.bias is not None:
        np.testing.assert_allclose(conv.bias.grad.numpy(), twin.bias.grad.numpy(), atol=1e-12)


@pytest.mark.parametrize("args, kwargs, shape", CONFIGS)
def test_forward_and_gradients_match_torch(args, kwargs, shape):
    torch = pytest.importorskip("torch")
    check_against_torch(as_float64(Conv2d(*args, **kwargs)), shape, torch)


def test_torch_check_catches_a_flipped_kernel():
    """A true convolution (kernel flipped) instead of PyTorch's cross-correlation is caught."""
    torch = pytest.importorskip("torch")

    class FlippedConv(Conv2d):
        def forward(self, x):
            flipped = Parameter(self.weight.numpy()[:, :, ::-1, ::-1].copy())
            real, self.weight = self.weight, flipped
            try:
                return super().forward(x)
            finally:
                self.weight = real

    with pytest.raises(AssertionError):
        check_against_torch(as_float64(FlippedConv(2, 3, 3)), (1, 2, 5, 5), torch)


@pytest.mark.parametrize("args, kwargs, shape", CONFIGS[:4])
def test_gradcheck(args, kwargs, shape):
    conv = as_float64(Conv2d(*args, **kwargs))
    x = Tensor(_rng.standard_normal(shape), requires_grad=True)
    params = [p for p in (conv.weight, conv.bias) if p is not None]

    def run(x, *ps):
        return conv(x)

    assert gradcheck(run, [x, *params])


def test_no_python_loop_per_output_pixel():
    """unfold loops over kernel offsets only: 1x1 and 3x3 kernels on a big image stay cheap."""
    ops_im2col = __import__("clownpiece.ops.im2col", fromlist=["window_slices"])
    calls = []
    real = ops_im2col.window_slices

    def counting(*args):
        for item in real(*args):
            calls.append(item)
            yield item

    ops_im2col.window_slices = counting
    try:
        Conv2d(2, 2, 3)(Tensor(np.zeros((1, 2, 40, 40))))
    finally:
        ops_im2col.window_slices = real
    assert len(calls) == 9  # 3x3 kernel offsets, for 38*38 output pixels


# ------------------------------------------------------------------ init and repr


def test_default_init_is_pytorchs():
    """kaiming_uniform(a=sqrt(5)) gives U(-1/sqrt(fan_in), +): same bound for the bias."""
    cp.manual_seed(0)
    conv = Conv2d(16, 32, 3)
    bound = 1 / math.sqrt(16 * 9)
    for p in (conv.weight, conv.bias):
        values = p.numpy()
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.97 * bound  # fills the range
    assert np.std(conv.weight.numpy()) == pytest.approx(bound / math.sqrt(3), rel=0.05)
    wrong = np.sqrt(6 / (16 * 9))  # kaiming_uniform with a=0: a common mistake
    assert wrong > 1.4 * bound  # the check above would reject it


def test_default_init_bounds_equal_torchs():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ours, theirs = Conv2d(64, 256, (3, 2), groups=2), torch.nn.Conv2d(64, 256, (3, 2), groups=2)
    for mine, other in ((ours.weight, theirs.weight), (ours.bias, theirs.bias)):
        assert mine.shape == tuple(other.shape)
        # both fill U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = 32 * 3 * 2
        ours_max, theirs_max = np.abs(mine.numpy()).max(), np.abs(other.detach().numpy()).max()
        assert ours_max == pytest.approx(theirs_max, rel=0.03)
        assert ours_max <= 1 / math.sqrt(32 * 6)


REPRS = [
    ((3, 8, 3), {}, "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))"),
    (
        (3, 8, (3, 5)),
        {"stride": 2, "padding": (1, 0)},
        "Conv2d(3, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 0))",
    ),
    ((4, 4, 1), {"bias": False}, "Conv2d(4, 4, kernel_size=(1, 1), stride=(1, 1), bias=False)"),
    (
        (4, 2, 3),
        {"dilation": 2, "groups": 2},
        "Conv2d(4, 2, kernel_size=(3, 3), stride=(1, 1), dilation=(2, 2), groups=2)",
    ),
]


@pytest.mark.parametrize("args, kwargs, text", REPRS)
def test_repr(args, kwargs, text):
    assert repr(Conv2d(*args, **kwargs)) == text


@pytest.mark.parametrize("args, kwargs, text", REPRS)
def test_repr_equals_torchs(args, kwargs, text):
    torch = pytest.importorskip("torch")
    assert repr(torch.nn.Conv2d(*args, **kwargs)) == text


def test_positional_arguments_bind_as_in_torch():
    conv = Conv2d(4, 2, 3, 2, 1, 2, 2, False)
    assert (conv.stride, conv.padding, conv.dilation, conv.groups) == ((2, 2), (1, 1), (2, 2), 2)
    assert conv.bias is None


def test_course_spelling_conv2D():
    cp.manual_seed(1)
    course = Conv2D(3, 5, 2, 4)
    assert repr(course) == "Conv2D(3, 5, kernel_size=(2, 4), stride=(1, 1))"
    assert course.weight.shape == (5, 3, 2, 4) and list(course.state_dict()) == ["weight", "bias"]
    same = Conv2d(3, 5, (2, 4))
    same.load_state_dict(course.state_dict())
    x = Tensor(_rng.standard_normal((2, 3, 6, 6)).astype(np.float32))
    np.testing.assert_array_equal(course(x).numpy(), same(x).numpy())
    assert repr(Conv2D(1, 1, 3, 3, stride=2, padding=1, bias=False)) == (
        "Conv2D(1, 1, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)"
    )


def test_numpy_integers_are_valid_sizes():
    conv = Conv2d(np.int64(3), np.int32(4), np.int64(3), stride=(np.int64(2), 1))
    assert repr(conv) == "Conv2d(3, 4, kernel_size=(3, 3), stride=(2, 1))"
    assert conv(Tensor(np.zeros((1, 3, 5, 5), np.float32))).shape == (1, 4, 2, 3)


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "args, kwargs, error, words",
    [
        ((0, 4, 3), {}, ValueError, ["Conv2d", "in_channels", "0"]),
        ((3, -1, 3), {}, ValueError, ["out_channels", "-1"]),
        ((3.0, 4, 3), {}, ValueError, ["in_channels", "3.0"]),
        ((True, 4, 3), {}, ValueError, ["in_channels", "True"]),
        ((3, 4, (3,)), {}, ValueError, ["kernel_size", "(3,)"]),
        ((3, 4, (3, 0)), {}, ValueError, ["kernel_size", "0"]),
        ((3, 4, 3), {"stride": 0}, ValueError, ["stride", ">= 1"]),
        ((3, 4, 3), {"padding": -1}, ValueError, ["padding", ">= 0"]),
        ((3, 4, 3), {"padding": "same"}, ValueError, ["padding", "'same'"]),
        ((3, 4, 3), {"groups": 2}, ValueError, ["divisible by groups", "3", "2"]),
        ((3, 4, 3), {"bias": "yes"}, TypeError, ["bias", "'yes'"]),
    ],
)
def test_bad_arguments(args, kwargs, error, words):
    with pytest.raises(error) as info:
        Conv2d(*args, **kwargs)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


@pytest.mark.parametrize(
    "value, error, words",
    [
        ([[1.0]], TypeError, ["Conv2d(3, 4", "Tensor", "list"]),
        (Tensor(np.zeros((2, 3))), ValueError, ["Conv2d(3, 4", "(N, 3, H, W)", "(2, 3)"]),
        (Tensor(np.zeros((1, 2, 5, 5))), ValueError, ["(N, 3, H, W)", "(1, 2, 5, 5)"]),
        (Tensor(np.zeros((1, 3, 2, 5))), ValueError, ["spatial size (2, 5)", "kernel (3, 3)"]),
    ],
)
def test_bad_input(value, error, words):
    conv = Conv2d(3, 4, 3)
    with pytest.raises(error) as info:
        conv(value)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def private_attributes(path):
    """`obj._name` accesses in a source file, except dunders and the class's own `self._x`."""
    tree = ast.parse(open(path).read())
    return [
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
        and not (isinstance(node.value, ast.Name) and node.value.id == "self")
    ]


def test_conv_touches_no_private_tensor_attribute(tmp_path):
    import clownpiece.nn.conv as module

    assert private_attributes(module.__file__) == []
    bad = tmp_path / "bad.py"
    bad.write_text(
        "def f(self, x):\n    return self._own(x._data, self.weight._data, x.__len__())\n"
    )
    assert sorted(private_attributes(bad)) == ["_data", "_data"]
