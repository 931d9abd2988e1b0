"""Embedding, LayerNorm, BatchNorm, MultiheadAttention: formulas, gradients, modes, errors, parity."""

import math
import re

import numpy as np
import pytest

import clownpiece as cp
from clownpiece import nn


def to_f64(module):
    """Cast every parameter of `module` to float64 in place (for gradcheck); returns them."""
    params = list(module.parameters())
    for p in params:
        p.data = p.numpy().astype(np.float64)
    return params


def f64(values, requires_grad=True):
    return cp.Tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def check_module_grads(module, x):
    """gradcheck w.r.t. the input and every parameter of `module`."""
    params = to_f64(module)
    assert cp.gradcheck(lambda inp, *ps: module(inp), [x, *params])


def set_param(param, values):
    param.data = np.asarray(values, dtype=param.dtype).reshape(param.shape)


def backward_with(out, rng):
    """Backpropagate a fixed random weighting of `out`; returns the weights (for torch)."""
    w = rng.standard_normal(out.shape).astype(np.float32)
    (out * cp.Tensor(w)).sum().backward()
    return w


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


# ================================================================ Embedding
def test_embedding_shape_init_and_lookup():
    cp.manual_seed(0)
    emb = nn.Embedding(1000, 16)
    assert emb.weight.shape == (1000, 16) and emb.weight.requires_grad
    w = emb.weight.numpy()
    assert abs(w.mean()) < 0.02 and abs(w.std() - 1) < 0.02  # N(0, 1)
    small = nn.Embedding(4, 2)
    set_param(small.weight, [[0, 1], [10, 11], [20, 21], [30, 31]])
    out = small(cp.Tensor(np.array([[3, 0], [1, 1]])))
    assert out.shape == (2, 2, 2)
    np.testing.assert_array_equal(out.numpy(), [[[30, 31], [0, 1]], [[10, 11], [10, 11]]])
    np.testing.assert_array_equal(small(cp.Tensor(np.int64(2))).numpy(), [20, 21])


def test_embedding_accepts_integral_float_indices():
    emb = nn.Embedding(5, 3)
    ints = emb(cp.Tensor(np.array([4, 0, 2]))).numpy()
    floats = emb(cp.Tensor([4.0, 0.0, 2.0])).numpy()  # Python floats -> float32 tensor
    np.testing.assert_array_equal(ints, floats)
    np.testing.assert_array_equal(ints, emb.weight.numpy()[[4, 0, 2]])


def test_embedding_repeated_indices_accumulate_gradient():
    emb = nn.Embedding(4, 2)
    emb(cp.Tensor(np.array([[1, 3, 1], [1, 0, 3]]))).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy(), [[1, 1], [3, 3], [0, 0], [2, 2]])


def test_embedding_gradcheck():
    emb = nn.Embedding(5, 3)
    (weight,) = to_f64(emb)
    index = cp.Tensor(np.array([[0, 4, 4], [2, 0, 1]]))
    assert cp.gradcheck(lambda w: emb(index), [weight])


def test_embedding_errors():
    emb = nn.Embedding(5, 3)
    with pytest.raises(IndexError, match=r"Embedding\(5, 3\): index 5 is out of range \[0, 5\)"):
        emb(cp.Tensor(np.array([0, 5])))
    with pytest.raises(IndexError, match=r"index -1 is out of range \[0, 5\)"):
        emb(cp.Tensor(np.array([[1, -1]])))
    with pytest.raises(
        TypeError, match=r"Embedding\(5, 3\) needs integer index values, got non-integral"
    ):
        emb(cp.Tensor([0.0, 1.5]))
    with pytest.raises(TypeError, match=r"needs integer index values, got dtype bool"):
        emb(cp.Tensor(np.array([True, False])))


def test_embedding_matches_torch():
    torch = pytest.importorskip("torch")
    ours = nn.Embedding(7, 4)
    theirs = torch.nn.Embedding(7, 4)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(ours.weight.numpy()))
    index = np.array([[0, 6, 6, 2], [3, 3, 3, 1]])
    out = ours(cp.Tensor(index))
    tout = theirs(torch.tensor(index))
    close(out.numpy(), tout.detach().numpy())
    w = backward_with(out, np.random.default_rng(0))
    (tout * torch.tensor(w)).sum().backward()
    close(ours.weight.grad.numpy(), theirs.weight.grad.numpy())
    assert repr(ours) == repr(theirs) == "Embedding(7, 4)"


# ================================================================ LayerNorm
def test_layernorm_hand_values():
    ln = nn.LayerNorm(4)
    x = cp.Tensor([[1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 2.0, 2.0]])
    # mean 2.5, biased variance 1.25; a constant row normalises to 0
    expected = np.array([[-1.5, -0.5, 0.5, 1.5], [0, 0, 0, 0]]) / math.sqrt(1.25 + 1e-5)
    np.testing.assert_allclose(ln(x).numpy(), expected, rtol=1e-5, atol=1e-6)
    set_param(ln.weight, [1.0, 2.0, 1.0, 1.0])
    set_param(ln.bias, [0.0, 0.0, 0.0, 1.0])
    np.testing.assert_allclose(
        ln(x).numpy(), expected * [1, 2, 1, 1] + [0, 0, 0, 1], rtol=1e-5, atol=1e-6
    )


def test_layernorm_course_interface_normalises_trailing_dims():
    ln = nn.LayerNorm(6)  # 6 = 2 * 3: normalise over the last two dims
    assert ln.weight.shape == (6,) and ln.bias.shape == (6,)
    x = np.arange(24, dtype=np.float32).reshape(4, 2, 3) ** 2
    out = ln(cp.Tensor(x)).numpy()
    flat = x.reshape(4, 6)
    ref = (flat - flat.mean(1, keepdims=True)) / np.sqrt(flat.var(1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(out, ref.reshape(4, 2, 3), rtol=1e-4, atol=1e-5)


def test_layernorm_without_affine_has_no_parameters():
    ln = nn.LayerNorm(3, eps=0.5, affine=False)
    assert list(ln.parameters()) == [] and ln.weight is None and ln.bias is None
    out = ln(cp.Tensor([[0.0, 1.0, 2.0]])).numpy()
    np.testing.assert_allclose(out, [[-1, 0, 1] / np.sqrt(2 / 3 + 0.5)], rtol=1e-6)


@pytest.mark.parametrize("shape,num_features", [((3, 4), 4), ((2, 2, 3), 6), ((2, 3), (3,))])
def test_layernorm_gradcheck(shape, num_features):
    rng = np.random.default_rng(0)
    ln = nn.LayerNorm(num_features)
    for p in ln.parameters():
        set_param(p, rng.standard_normal(p.shape))
    check_module_grads(ln, f64(rng.standard_normal(shape)))


def test_layernorm_wrong_shape_errors():
    with pytest.raises(ValueError, match=r"LayerNorm\(\(7,\).*multiply to 7.*\(2, 5\)"):
        nn.LayerNorm(7)(cp.zeros(2, 5))
    with pytest.raises(ValueError, match=r"multiply to 6.*\(2, 4, 5\)"):
        nn.LayerNorm(6)(cp.zeros(2, 4, 5))
    with pytest.raises(ValueError, match=r"LayerNorm\(\(4, 5\).*\(2, 5, 4\)"):
        nn.LayerNorm((4, 5))(cp.zeros(2, 5, 4))  # right product, wrong shape


@pytest.mark.parametrize(
    "ours_arg,torch_shape,input_shape",
    [
        (5, (5,), (3, 5)),
        (20, (4, 5), (2, 3, 4, 5)),
        ((4, 5), (4, 5), (3, 4, 5)),
        (8, (8,), (2, 3, 8)),
        # sizes of one (issue 10): these crashed or were refused before
        (1, (1,), (3, 1)),
        ((1,), (1,), (2, 3, 1)),
        ((1, 4), (1, 4), (2, 1, 4)),
        ((1, 4), (1, 4), (1, 4)),
        ((2, 1, 3), (2, 1, 3), (5, 2, 1, 3)),
        # the course's int over trailing dims that include a 1; a 1-D (unbatched) input
        (4, (4, 1), (2, 4, 1)),
        (6, (6,), (3, 1, 6)),
        (4, (4,), (4,)),
    ],
    ids=[
        "int",
        "course-int-2dims",
        "tuple",
        "3d-input",
        "int-1",
        "tuple-1",
        "tuple-1x4",
        "tuple-1x4-unbatched",
        "tuple-2x1x3",
        "int-over-4x1",
        "int-after-a-1",
        "1d-input",
    ],
)
def test_layernorm_matches_torch(ours_arg, torch_shape, input_shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    ours = nn.LayerNorm(ours_arg)
    theirs = torch.nn.LayerNorm(torch_shape)
    weight = rng.standard_normal(torch_shape).astype(np.float32)
    bias = rng.standard_normal(torch_shape).astype(np.float32)
    set_param(ours.weight, weight)
    set_param(ours.bias, bias)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor(weight))
        theirs.bias.copy_(torch.tensor(bias))
    data = (rng.standard_normal(input_shape) * 3 + 1).astype(np.float32)
    x = cp.Tensor(data, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    out, tout = ours(x), theirs(tx)
    close(out.numpy(), tout.detach().numpy())
    w = backward_with(out, rng)
    (tout * torch.tensor(w)).sum().backward()
    close(x.grad.numpy(), tx.grad.numpy(), 1e-4)
    close(ours.weight.grad.numpy().reshape(torch_shape), theirs.weight.grad.numpy(), 1e-4)
    close(ours.bias.grad.numpy().reshape(torch_shape), theirs.bias.grad.numpy(), 1e-4)


def test_layernorm_repr_matches_torch():
    torch = pytest.importorskip("torch")
    assert repr(nn.LayerNorm(5)) == repr(torch.nn.LayerNorm(5))
    assert repr(nn.LayerNorm((4, 5), eps=1e-3)) == repr(torch.nn.LayerNorm((4, 5), eps=1e-3))
    assert repr(nn.LayerNorm(3, affine=False)) == repr(
        torch.nn.LayerNorm(3, elementwise_affine=False)
    )


def test_layernorm_repr_text():
    assert repr(nn.LayerNorm(5)) == "LayerNorm((5,), eps=1e-05, elementwise_affine=True, bias=True)"


class WhileLoopLayerNorm(nn.LayerNorm):
    """The shape logic before issue 10: grow k while the product is too small, then compare."""

    def normalized_dims(self, shape):
        sizes, k = 1, 0
        while sizes < self.num_features and k < len(shape):
            k += 1
            sizes *= shape[-k]
        if sizes != self.num_features or (
            len(self.normalized_shape) > 1 and tuple(shape[-k:]) != self.normalized_shape
        ):
            return None
        return k


def layer_norm_np(x, n_dims, eps=1e-5):
    axes = tuple(range(x.ndim - n_dims, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)


@pytest.mark.parametrize(
    "arg,input_shape,n_dims",
    [(1, (3, 1), 1), ((1,), (3, 1), 1), ((1, 4), (2, 1, 4), 2), (4, (2, 4, 1), 2)],
    ids=["int-1", "tuple-1", "tuple-1x4", "int-over-4x1"],
)
def test_layernorm_sizes_of_one(arg, input_shape, n_dims):
    x = (np.arange(math.prod(input_shape), dtype=np.float32).reshape(input_shape) - 3) ** 2
    ln = nn.LayerNorm(arg)
    set_param(ln.bias, np.arange(ln.num_features))  # a group of one value normalises to 0
    out = ln(cp.Tensor(x))
    assert out.shape == input_shape
    want = layer_norm_np(x.astype(np.float64), n_dims) + ln.bias.numpy().reshape(
        ln.normalized_shape if isinstance(arg, tuple) else (-1,) + (1,) * (n_dims - 1)
    )
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-5, atol=1e-5)
    # the old shape logic crashes on the first three and gets the course's (4,) on 4x1 right
    if n_dims == 1 or isinstance(arg, tuple):
        with pytest.raises((ValueError, TypeError)):
            WhileLoopLayerNorm(arg)(cp.Tensor(x))


def test_layernorm_tuple_is_the_exact_trailing_shape_an_int_a_product():
    x = cp.randn(4, 2, 3)
    np.testing.assert_allclose(
        nn.LayerNorm(6)(x).numpy(), layer_norm_np(x.numpy(), 2), rtol=1e-4, atol=1e-5
    )
    with pytest.raises(
        ValueError,
        match=r"LayerNorm\(\(6,\), eps=1e-05, .*\) expected trailing "
        r"dims \(6,\), got input of shape \(4, 2, 3\)",
    ):
        nn.LayerNorm((6,))(x)
    with pytest.raises(
        ValueError,
        match=r"expected trailing dims \(1, 4\), got input of shape "
        r"\(2, 4\)",
    ):
        nn.LayerNorm((1, 4))(cp.zeros(2, 4))
    # the old logic read a 1-tuple as the course's product
    assert WhileLoopLayerNorm((6,))(x).shape == (4, 2, 3)


def test_layernorm_tuple_refusals_agree_with_torch():
    torch = pytest.importorskip("torch")
    for arg, shape in [((6,), (4, 2, 3)), ((1, 4), (2, 4)), ((4, 5), (2, 5, 4))]:
        with pytest.raises(RuntimeError):
            torch.nn.LayerNorm(arg)(torch.zeros(shape))
        with pytest.raises(ValueError, match=r"expected trailing dims"):
            nn.LayerNorm(arg)(cp.zeros(*shape))


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"num_features": ()}, r"LayerNorm: num_features must name at least one dim, got \(\)"),
        (
            {"num_features": 4, "eps": -1e-5},
            r"LayerNorm: eps must be a finite number >= 0.0, got -1e-05",
        ),
        (
            {"num_features": 4, "eps": "1e-5"},
            r"LayerNorm: eps must be a finite number >= 0.0, got '1e-5'",
        ),
        ({"num_features": 4, "eps": float("nan")}, r"LayerNorm: eps .* got nan"),
        (
            {"num_features": (2, True)},
            r"LayerNorm: num_features must be a non-negative int, got True",
        ),
    ],
    ids=["empty", "eps-negative", "eps-str", "eps-nan", "bool-inside"],
)
def test_layernorm_bad_construction(kwargs, message):
    with pytest.raises(ValueError, match=message):
        nn.LayerNorm(**kwargs)


# ================================================================ BatchNorm
def test_batchnorm_buffers_and_state_dict():
    bn = nn.BatchNorm(3)
    assert [k for k, _ in bn.named_parameters()] == ["weight", "bias"]
    assert list(bn.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    np.testing.assert_array_equal(bn.running_mean.numpy(), [0, 0, 0])
    np.testing.assert_array_equal(bn.running_var.numpy(), [1, 1, 1])
    assert bn.num_batches_tracked.item() == 0
    assert bn.num_batches_tracked.dtype == np.int64
    assert not bn.running_mean.requires_grad
    assert list(nn.BatchNorm(3, affine=False).parameters()) == []


def test_batchnorm_training_hand_values_and_running_stats():
    bn = nn.BatchNorm(2)
    x = cp.Tensor([[1.0, 10.0], [3.0, 10.0], [5.0, 16.0]])
    out = bn(x).numpy()
    # channel 0: mean 3, biased var 8/3, unbiased var 4; channel 1: mean 12, var 8 (unbiased 12)
    expected = np.stack(
        [
            np.array([-2.0, 0.0, 2.0]) / math.sqrt(8 / 3 + 1e-5),
            np.array([-2.0, -2.0, 4.0]) / math.sqrt(8 + 1e-5),
        ],
        axis=1,
    )
    np.testing.assert_allclose(out, expected, rtol=1e-5)
    np.testing.assert_allclose(bn.running_mean.numpy(), [0.3, 1.2], rtol=1e-6)
    np.testing.assert_allclose(bn.running_var.numpy(), [0.9 + 0.4, 0.9 + 1.2], rtol=1e-6)
    assert bn.num_batches_tracked.item() == 1
    bn(x)
    np.testing.assert_allclose(bn.running_mean.numpy(), [0.9 * 0.3 + 0.3, 0.9 * 1.2 + 1.2])
    assert bn.num_batches_tracked.item() == 2


def test_batchnorm_eval_uses_running_stats_and_changes_nothing():
    bn = nn.BatchNorm(2, eps=0.0, momentum=0.5)
    set_param(bn.weight, [2.0, 1.0])
    set_param(bn.bias, [0.0, -1.0])
    bn(cp.Tensor([[0.0, 1.0], [4.0, 3.0]]))  # mean [2, 2], unbiased var [8, 2]
    np.testing.assert_allclose(bn.running_mean.numpy(), [1.0, 1.0])
    np.testing.assert_allclose(bn.running_var.numpy(), [4.5, 1.5])
    bn.eval()
    out = bn(cp.Tensor([[1.0, 1.0], [4.0, 2.0]])).numpy()
    expected = [[0.0, -1.0], [2 * 3 / math.sqrt(4.5), 1 / math.sqrt(1.5) - 1]]
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    np.testing.assert_allclose(bn.running_mean.numpy(), [1.0, 1.0])  # not updated in eval
    assert bn.num_batches_tracked.item() == 1
    # a single sample is fine in eval (no batch statistics needed)
    assert bn(cp.Tensor([[1.0, 1.0]])).shape == (1, 2)


def test_batchnorm_3d_input_normalises_per_channel_over_batch_and_length():
    bn = nn.BatchNorm(2)
    x = np.arange(12, dtype=np.float32).reshape(2, 2, 3) ** 1.5
    out = bn(cp.Tensor(x)).numpy()
    mean = x.mean(axis=(0, 2), keepdims=True)
    var = x.var(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-5), rtol=1e-4, atol=1e-5)
    unbiased = x.var(axis=(0, 2), ddof=1)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.9 + 0.1 * unbiased, rtol=1e-5)


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 2)], ids=["NC", "NCL"])
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_batchnorm_gradcheck(shape, training):
    rng = np.random.default_rng(2)
    bn = nn.BatchNorm(3)
    set_param(bn.weight, rng.standard_normal(3))
    set_param(bn.bias, rng.standard_normal(3))
    bn.running_mean.copy_(rng.standard_normal(3))
    bn.running_var.copy_(rng.random(3) + 0.5)
    bn.train(training)
    check_module_grads(bn, f64(rng.standard_normal(shape)))


def test_batchnorm_errors_change_no_state():
    bn = nn.BatchNorm(3)
    with pytest.raises(
        ValueError,
        match=r"BatchNorm\(3,.*expected input of shape \(N, 3\) or "
        r"\(N, 3, L\), got \(4, 2\)",
    ):
        bn(cp.zeros(4, 2))
    with pytest.raises(ValueError, match=r"got \(3,\)"):
        bn(cp.zeros(3))
    with pytest.raises(ValueError, match=r"got \(2, 3, 4, 5\)"):
        bn(cp.zeros(2, 3, 4, 5))
    with pytest.raises(ValueError, match="more than one value per channel in training"):
        bn(cp.ones(1, 3))
    assert bn.num_batches_tracked.item() == 0
    np.testing.assert_array_equal(bn.running_mean.numpy(), [0, 0, 0])
    np.testing.assert_array_equal(bn.running_var.numpy(), [1, 1, 1])


@pytest.mark.parametrize("shape", [(8, 3), (4, 3, 5)], ids=["NC", "NCL"])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("momentum", [0.2, None], ids=["momentum0.2", "cumulative"])
def test_batchnorm_matches_torch_over_training_then_eval(shape, affine, momentum):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    ours = nn.BatchNorm(3, eps=1e-3, momentum=momentum, affine=affine)
    theirs = torch.nn.BatchNorm1d(3, eps=1e-3, momentum=momentum, affine=affine)
    if affine:
        weight, bias = rng.standard_normal(3), rng.standard_normal(3)
        set_param(ours.weight, weight)
        set_param(ours.bias, bias)
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(weight))
            theirs.bias.copy_(torch.tensor(bias))

    def step(training):
        ours.train(training)
        theirs.train(training)
        data = (rng.standard_normal(shape) * 2 + 3).astype(np.float32)
        x = cp.Tensor(data, requires_grad=True)
        tx = torch.tensor(data, requires_grad=True)
        out, tout = ours(x), theirs(tx)
        close(out.numpy(), tout.detach().numpy(), 1e-4)
        w = backward_with(out, rng)
        (tout * torch.tensor(w)).sum().backward()
        close(x.grad.numpy(), tx.grad.numpy(), 1e-4)
        if affine:
            close(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), 1e-4)
            close(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), 1e-4)
            ours.zero_grad()
            theirs.zero_grad()
        close(ours.running_mean.numpy(), theirs.running_mean.numpy())
        close(ours.running_var.numpy(), theirs.running_var.numpy())
        assert ours.num_batches_tracked.item() == theirs.num_batches_tracked.item()

    for _ in range(4):
        step(True)
    assert ours.num_batches_tracked.item() == 4
    step(False)
    step(False)
    step(True)


def test_batchnorm_repr_matches_torch():
    torch = pytest.importorskip("torch")
    for kwargs in ({}, {"eps": 1e-3, "momentum": 0.2, "affine": False}):
        ours = repr(nn.BatchNorm(4, **kwargs))
        theirs = repr(torch.nn.BatchNorm1d(4, **kwargs))
        assert ours == theirs.replace("BatchNorm1d", "BatchNorm", 1)


def test_batchnorm_repr_text():
    assert repr(nn.BatchNorm(4)) == (
        "BatchNorm(4, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    )


def running_stats_after(bn, batches):
    for batch in batches:
        bn(cp.Tensor(batch))
    return bn.running_mean.numpy().copy(), bn.running_var.numpy().copy()


def test_batchnorm_momentum_none_is_the_cumulative_average():
    rng = np.random.default_rng(7)
    batches = [rng.normal([1.0, -2.0, 5.0], [1.0, 3.0, 0.5], size=(6, 3)) for _ in range(5)]
    want_mean = np.mean([b.mean(0) for b in batches], axis=0)  # the initial 0 and 1 are
    want_var = np.mean([b.var(0, ddof=1) for b in batches], axis=0)  # forgotten at once
    bn = nn.BatchNorm(3, momentum=None)
    assert bn.momentum is None and "momentum=None" in repr(bn)
    mean, var = running_stats_after(bn, batches)
    np.testing.assert_allclose(mean, want_mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(var, want_var, rtol=1e-5)
    assert bn.num_batches_tracked.item() == 5

    class NoneMeansDefault(nn.BatchNorm):  # a tempting wrong reading of momentum=None
        def __init__(self, num_features, momentum=None):
            super().__init__(num_features, momentum=0.1 if momentum is None else momentum)

    wrong_mean, _ = running_stats_after(NoneMeansDefault(3), batches)
    assert not np.allclose(wrong_mean, want_mean, rtol=1e-3)


def test_batchnorm_momentum_bounds_and_numpy_numbers():
    batch = np.array([[0.0, 2.0], [2.0, 6.0]], dtype=np.float32)  # mean (1, 4), var (2, 8)
    keep, _ = running_stats_after(nn.BatchNorm(2, momentum=0), [batch])
    np.testing.assert_array_equal(keep, [0.0, 0.0])
    replace, var = running_stats_after(nn.BatchNorm(2, momentum=1), [batch])
    np.testing.assert_array_equal(replace, [1.0, 4.0])
    np.testing.assert_array_equal(var, [2.0, 8.0])
    bn = nn.BatchNorm(np.int64(2), eps=np.float32(0.5), momentum=np.float64(0.25))
    assert repr(bn) == (
        "BatchNorm(2, eps=0.5, momentum=0.25, affine=True, bias=True, track_running_stats=True)"
    )


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"num_features": 0}, "BatchNorm: num_features must be a positive int, got 0"),
        ({"eps": -1.0}, r"BatchNorm: eps must be a finite number >= 0.0, got -1.0"),
        ({"eps": None}, r"BatchNorm: eps must be a finite number >= 0.0, got None"),
        ({"eps": "1e-5"}, r"BatchNorm: eps must be .* got '1e-5'"),
        ({"eps": math.inf}, r"BatchNorm: eps must be a finite number >= 0.0, got inf"),
        ({"eps": True}, r"BatchNorm: eps must be .* got True"),
        (
            {"momentum": 1.5},
            r"BatchNorm: momentum \(or None\) must be a finite number in "
            r"\[0.0, 1.0\], got 1.5",
        ),
        ({"momentum": -0.1}, r"BatchNorm: momentum .* got -0.1"),
        ({"momentum": "0.1"}, r"BatchNorm: momentum .* got '0.1'"),
        ({"momentum": float("nan")}, r"BatchNorm: momentum .* got nan"),
        ({"momentum": True}, r"BatchNorm: momentum .* got True"),
    ],
    ids=[
        "zero-features",
        "eps-negative",
        "eps-none",
        "eps-str",
        "eps-inf",
        "eps-bool",
        "momentum-big",
        "momentum-negative",
        "momentum-str",
        "momentum-nan",
        "momentum-bool",
    ],
)
def test_batchnorm_bad_construction(kwargs, message):
    kwargs = {"num_features": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        nn.BatchNorm(**kwargs)


# ================================================================ MultiheadAttention
def reference_attention(x, w_in, b_in, w_out, b_out, heads, mask=None):
    """Plain numpy multi-head self-attention (float64), PyTorch's formula."""
    batch, seq, hidden = x.shape
    d = hidden // heads
    q, k, v = np.split(x @ w_in.T + b_in, 3, axis=-1)

    def split(t):
        return t.reshape(batch, seq, heads, d).transpose(0, 2, 1, 3)

    q, k, v = split(q), split(k), split(v)
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d)
    if mask is not None:
        if mask.dtype == bool:
            mask = np.where(mask, -np.inf, 0.0)
        scores = scores + (mask[:, None] if mask.ndim == 3 else mask)
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    weights = scores / scores.sum(-1, keepdims=True)
    context = (weights @ v).transpose(0, 2, 1, 3).reshape(batch, seq, hidden)
    return context @ w_out.T + b_out


def mha_params(mha):
    return [
        p.numpy().astype(np.float64)
        for p in (mha.in_proj.weight, mha.in_proj.bias, mha.out_proj.weight, mha.out_proj.bias)
    ]


def test_mha_structure():
    mha = nn.MultiheadAttention(8, 2)
    assert mha.head_dim == 4
    assert [(k, tuple(p.shape)) for k, p in mha.named_parameters()] == [
        ("in_proj.weight", (24, 8)),
        ("in_proj.bias", (24,)),
        ("out_proj.weight", (8, 8)),
        ("out_proj.bias", (8,)),
    ]
    no_bias = nn.MultiheadAttention(8, 2, bias=False)
    assert [k for k, _ in no_bias.named_parameters()] == ["in_proj.weight", "out_proj.weight"]


def test_mha_identity_projections_hand_values():
    # one head, q = k = v = x, out = attention(x): softmax(x x^T / sqrt(2)) x
    mha = nn.MultiheadAttention(2, 1)
    set_param(mha.in_proj.weight, np.vstack([np.eye(2)] * 3))
    set_param(mha.in_proj.bias, np.zeros(6))
    set_param(mha.out_proj.weight, np.eye(2))
    set_param(mha.out_proj.bias, np.zeros(2))
    x = np.array([[[1.0, 0.0], [0.0, 2.0]]])
    # scores / sqrt(2): [[1, 0], [0, 4]] / sqrt(2)
    a = 1 / (1 + math.exp(-1 / math.sqrt(2)))  # weight on itself for token 0
    b = 1 / (1 + math.exp(-4 / math.sqrt(2)))  # weight on itself for token 1
    expected = [[[a, 2 * (1 - a)], [1 - b, 2 * b]]]
    np.testing.assert_allclose(mha(cp.Tensor(x)).numpy(), expected, rtol=1e-6)
    # causal mask: token 0 may only attend to itself, so its output is itself
    causal = np.triu(np.ones((2, 2), dtype=bool), k=1)
    out = mha(cp.Tensor(x), attn_mask=causal).numpy()
    np.testing.assert_allclose(out, [[[1.0, 0.0], [1 - b, 2 * b]]], rtol=1e-6)
    # an additive mask of -inf is the same as the boolean one; a finite one shifts scores
    additive = np.where(causal, -np.inf, 0.0).astype(np.float32)
    np.testing.assert_allclose(mha(cp.Tensor(x), attn_mask=cp.Tensor(additive)).numpy(), out)
    shift = np.array([[0.0, 1 / math.sqrt(2)], [0.0, 0.0]], dtype=np.float32)
    out = mha(cp.Tensor(x), attn_mask=shift).numpy()  # token 0 now scores both keys equally
    np.testing.assert_allclose(out[0, 0], [0.5, 1.0], rtol=1e-6)


@pytest.mark.parametrize("mask_kind", ["none", "bool", "float", "bool-per-batch"])
def test_mha_matches_numpy_reference(mask_kind):
    rng = np.random.default_rng(4)
    cp.manual_seed(4)
    mha = nn.MultiheadAttention(12, 3)
    x = rng.standard_normal((2, 5, 12)).astype(np.float32)
    mask = {
        "none": None,
        "bool": np.triu(np.ones((5, 5), dtype=bool), k=1),
        "float": rng.standard_normal((5, 5)).astype(np.float32),
        "bool-per-batch": np.stack(
            [np.triu(np.ones((5, 5), dtype=bool), k=1), np.tril(np.ones((5, 5), dtype=bool), k=-1)]
        ),
    }[mask_kind]
    out = mha(cp.Tensor(x), attn_mask=mask).numpy()
    ref = reference_attention(x.astype(np.float64), *mha_params(mha), heads=3, mask=mask)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("mask_kind", ["none", "bool", "float"])
def test_mha_gradcheck(mask_kind):
    rng = np.random.default_rng(5)
    mha = nn.MultiheadAttention(4, 2)
    mask = {
        "none": None,
        "bool": cp.Tensor(np.triu(np.ones((3, 3), dtype=bool), k=1)),
        "float": cp.Tensor(rng.standard_normal((3, 3))),
    }[mask_kind]
    params = to_f64(mha)
    x = f64(rng.standard_normal((2, 3, 4)))
    assert cp.gradcheck(lambda inp, *ps: mha(inp, attn_mask=mask), [x, *params])


def test_mha_errors():
    with pytest.raises(
        ValueError,
        match=r"MultiheadAttention: hidden_dim=10 must be divisible by "
        r"num_heads=3",
    ):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(
        ValueError, match="MultiheadAttention: num_heads must be a positive int, got 0"
    ):
        nn.MultiheadAttention(8, 0)
    mha = nn.MultiheadAttention(8, 2)
    with pytest.raises(
        ValueError,
        match=r"MultiheadAttention\(hidden_dim=8\) expected input "
        r"\(batch, seq, 8\), got \(5, 8\)",
    ):
        mha(cp.zeros(5, 8))
    with pytest.raises(ValueError, match=r"expected input \(batch, seq, 8\), got \(2, 5, 6\)"):
        mha(cp.zeros(2, 5, 6))
    with pytest.raises(ValueError, match=r"attn_mask of shape \(4, 4\) does not fit.*\(5, 5\)"):
        mha(cp.zeros(2, 5, 8), attn_mask=np.zeros((4, 4), dtype=bool))


def _torch_mha(torch, ours, bias=True):
    theirs = torch.nn.MultiheadAttention(
        ours.hidden_dim, ours.num_heads, bias=bias, batch_first=True
    )
    with torch.no_grad():
        theirs.in_proj_weight.copy_(torch.tensor(ours.in_proj.weight.numpy()))
        theirs.out_proj.weight.copy_(torch.tensor(ours.out_proj.weight.numpy()))
        if bias:
            theirs.in_proj_bias.copy_(torch.tensor(ours.in_proj.bias.numpy()))
            theirs.out_proj.bias.copy_(torch.tensor(ours.out_proj.bias.numpy()))
    return theirs


@pytest.mark.parametrize(
    "mask_kind", ["none", "bool", "float", "bool-per-batch", "float-causal", "float-per-batch"]
)
@pytest.mark.parametrize("bias", [True, False])
def test_mha_matches_torch(mask_kind, bias):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    batch, seq, hidden, heads = 3, 6, 16, 4
    ours = nn.MultiheadAttention(hidden, heads, bias=bias)
    theirs = _torch_mha(torch, ours, bias)
    causal = np.triu(np.ones((seq, seq), dtype=bool), k=1)
    mask = tmask = None
    if mask_kind == "bool":
        mask, tmask = causal, torch.tensor(causal)
    elif mask_kind == "float":
        mask = rng.standard_normal((seq, seq)).astype(np.float32)
        tmask = torch.tensor(mask)
    elif mask_kind == "bool-per-batch":
        # ours: (batch, seq, seq) shared by the heads; torch: (batch * heads, seq, seq)
        mask = rng.random((batch, seq, seq)) < 0.4
        mask[:, :, 0] = False  # every query can attend to something
        tmask = torch.tensor(mask).repeat_interleave(heads, dim=0)
    elif mask_kind == "float-causal":  # additive -inf above the diagonal = the bool mask
        mask = np.where(causal, -np.inf, 0.0).astype(np.float32)
        tmask = torch.tensor(mask)
    elif mask_kind == "float-per-batch":
        mask = rng.standard_normal((batch, seq, seq)).astype(np.float32) * 2
        tmask = torch.tensor(mask).repeat_interleave(heads, dim=0)
    data = rng.standard_normal((batch, seq, hidden)).astype(np.float32)
    x = cp.Tensor(data, requires_grad=True)
    tx = torch.tensor(data, requires_grad=True)
    out = ours(x, attn_mask=None if mask is None else cp.Tensor(mask))
    tout, _ = theirs(tx, tx, tx, attn_mask=tmask, need_weights=False)
    close(out.numpy(), tout.detach().numpy(), 1e-4)
    w = backward_with(out, rng)
    (tout * torch.tensor(w)).sum().backward()
    close(x.grad.numpy(), tx.grad.numpy(), 1e-4)
    close(ours.in_proj.weight.grad.numpy(), theirs.in_proj_weight.grad.numpy(), 1e-4)
    close(ours.out_proj.weight.grad.numpy(), theirs.out_proj.weight.grad.numpy(), 1e-4)
    if bias:
        close(ours.in_proj.bias.grad.numpy(), theirs.in_proj_bias.grad.numpy(), 1e-4)
        close(ours.out_proj.bias.grad.numpy(), theirs.out_proj.bias.grad.numpy(), 1e-4)


def test_mha_repr():
    # differs from PyTorch's by design: in_proj is a Linear child here
    assert repr(nn.MultiheadAttention(8, 2)) == (
        "MultiheadAttention(\n"
        "  hidden_dim=8, num_heads=2\n"
        "  (in_proj): Linear(in_features=8, out_features=24, bias=True)\n"
        "  (out_proj): Linear(in_features=8, out_features=8, bias=True)\n"
        ")"
    )


def mha_init_problems(w_in, b_in, w_out, b_out):
    """What differs from PyTorch's MultiheadAttention init (empty list: nothing)."""
    hidden = w_in.shape[1]
    xavier = math.sqrt(6 / (hidden + 3 * hidden))  # over the whole (3E, E) matrix
    linear = 1 / math.sqrt(hidden)  # out_proj: any Linear's U(-1/sqrt(in), 1/sqrt(in))
    problems = []
    if not 0.99 * xavier < np.abs(w_in).max() <= xavier:
        problems.append(f"in_proj max {np.abs(w_in).max():.4f}, xavier bound {xavier:.4f}")
    if abs(w_in.std() / (xavier / math.sqrt(3)) - 1) > 0.02 or abs(w_in.mean()) > 0.01 * xavier:
        problems.append("in_proj is not uniform over the xavier range")
    if not 0.98 * linear < np.abs(w_out).max() <= linear:
        problems.append(f"out_proj max {np.abs(w_out).max():.4f}, bound {linear:.4f}")
    if np.any(b_in != 0) or np.any(b_out != 0):
        problems.append("biases are not zero")
    return problems


def test_mha_default_init_is_pytorchs():
    cp.manual_seed(0)
    ours = nn.MultiheadAttention(96, 4)
    assert mha_init_problems(*mha_params(ours)) == []

    class LinearInitMHA(nn.MultiheadAttention):  # the init before issue 10
        def reset_parameters(self):
            self.in_proj.reset_parameters()
            self.out_proj.reset_parameters()

    problems = mha_init_problems(*mha_params(LinearInitMHA(96, 4)))
    assert [p.split(" ")[0] + " " + p.split(" ")[1] for p in problems] == [
        "in_proj max",
        "in_proj is",
        "biases are",
    ]
    no_bias = nn.MultiheadAttention(96, 4, bias=False)
    w_in, w_out = no_bias.in_proj.weight.numpy(), no_bias.out_proj.weight.numpy()
    assert mha_init_problems(w_in, 0, w_out, 0) == []
    cp.manual_seed(0)
    assert np.array_equal(
        nn.MultiheadAttention(96, 4).in_proj.weight.numpy(), ours.in_proj.weight.numpy()
    )


def test_mha_init_check_describes_torch_too():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(96, 4, batch_first=True)
    params = (
        theirs.in_proj_weight,
        theirs.in_proj_bias,
        theirs.out_proj.weight,
        theirs.out_proj.bias,
    )
    assert mha_init_problems(*[p.detach().numpy() for p in params]) == []


@pytest.mark.parametrize(
    "dtype,as_tensor",
    [(np.int64, True), (np.int32, True), (np.int64, False), (np.uint8, False)],
    ids=["int64-Tensor", "int32-Tensor", "int64-numpy", "uint8-numpy"],
)
def test_mha_integer_mask_is_refused_with_both_conventions(dtype, as_tensor):
    mha = nn.MultiheadAttention(8, 2)
    allowed = np.tril(np.ones((4, 4), dtype=dtype))  # the course: 1 = may attend
    mask = cp.Tensor(allowed) if as_tensor else allowed
    with pytest.raises(TypeError) as info:
        mha(cp.randn(2, 4, 8), attn_mask=mask)
    message = str(info.value)
    for part in [
        "attn_mask",
        f"integer dtype {np.dtype(dtype)}",
        "bool mask (True = may NOT attend, PyTorch's convention)",
        "float mask",
        "added to the scores",
        "0/1 mask",
        "1 = may attend",
        "mask == 0",
    ]:
        assert part in message, (part, message)


def test_mha_course_01_mask_converted_matches_the_bool_mask_and_torch():
    rng = np.random.default_rng(8)
    mha = nn.MultiheadAttention(8, 2)
    x = cp.Tensor(rng.standard_normal((2, 4, 8)).astype(np.float32))
    allowed = cp.Tensor(np.tril(np.ones((4, 4), dtype=np.int64)))  # the course's 0/1 mask
    blocked = np.triu(np.ones((4, 4), dtype=bool), k=1)
    out = mha(x, attn_mask=allowed == 0).numpy()
    np.testing.assert_array_equal(out, mha(x, attn_mask=blocked).numpy())
    ref = reference_attention(x.numpy().astype(np.float64), *mha_params(mha), heads=2, mask=blocked)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-5)
    # what an int mask did before: added 0/1 to the scores, which is neither convention
    added = mha(x, attn_mask=allowed.numpy().astype(np.float32)).numpy()
    assert not np.allclose(added, out, atol=1e-3)
    assert not np.allclose(added, mha(x).numpy(), atol=1e-3)


def test_mha_bad_masks_are_named():
    mha = nn.MultiheadAttention(8, 2)
    x = cp.zeros(2, 5, 8)
    with pytest.raises(TypeError, match=r"attn_mask must be a bool or float Tensor, got list"):
        mha(x, attn_mask=[[True] * 5] * 5)
    with pytest.raises(TypeError, match=r"attn_mask must be bool or float, got dtype complex128"):
        mha(x, attn_mask=np.zeros((5, 5), dtype=complex))
    for shape in [(5,), (4, 5, 5), (1, 5, 5), (2, 2, 5, 5), (5, 4)]:
        # (4, 5, 5) is PyTorch's (batch * heads, seq, seq) layout
        with pytest.raises(
            ValueError,
            match=rf"attn_mask of shape {re.escape(str(shape))} does "
            r"not fit .*\(5, 5\).*\(2, 5, 5\) \(one mask per "
            r"sample, shared by every head\)",
        ):
            mha(x, attn_mask=np.zeros(shape, dtype=bool))


def test_mha_pytorch_style_call_is_refused():
    mha = nn.MultiheadAttention(8, 2)
    x = cp.zeros(2, 8, 8)  # seq == hidden: x itself would fit as a (batch, seq, seq) mask
    with pytest.raises(TypeError, match="positional argument"):
        mha(x, x, x)  # PyTorch's (query, key, value)
    with pytest.raises(TypeError, match="positional argument"):
        mha(x, None, True)
    out, weights = mha(x, None, need_weights=True)
    assert out.shape == (2, 8, 8) and weights.shape == (2, 2, 8, 8)


# ================================================================ constructor arguments
@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: nn.Embedding(-1, 2), "Embedding: num_embd must be a non-negative int, got -1"),
        (lambda: nn.Embedding(3, 2.0), "Embedding: embd_dim must be a non-negative int, got 2.0"),
        (lambda: nn.LayerNorm(2.5), "LayerNorm: num_features must be a non-negative int, got 2.5"),
        (lambda: nn.LayerNorm((4, "5")), "LayerNorm: num_features must be a non-negative int"),
        (lambda: nn.BatchNorm(None), "BatchNorm: num_features must be a positive int, got None"),
        (lambda: nn.MultiheadAttention(8.0, 2), "MultiheadAttention: hidden_dim must be a positiv"),
    ],
    ids=["embd-neg", "embd-float", "ln-float", "ln-tuple-str", "bn-none", "mha-float"],
)
def test_bad_constructor_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()
