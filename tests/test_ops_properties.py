"""Property-based tests (hypothesis): broadcasting shapes and reduction shapes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from clownpiece import Tensor

SETTINGS = settings(max_examples=60, deadline=None)


def data_for(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@SETTINGS
@given(
    shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=4),
    op=st.sampled_from(["add", "sub", "mul", "div", "maximum"]),
)
def test_binary_broadcast_shapes_and_gradients(shapes, op):
    (sa, sb), expected_shape = shapes.input_shapes, shapes.result_shape
    a_np, b_np = data_for(sa, 1), data_for(sb, 2) + 5.0  # b away from 0 for div
    a, b = Tensor(a_np, requires_grad=True), Tensor(b_np, requires_grad=True)
    out, ref = {
        "add": (lambda: a + b, lambda: a_np + b_np),
        "sub": (lambda: a - b, lambda: a_np - b_np),
        "mul": (lambda: a * b, lambda: a_np * b_np),
        "div": (lambda: a / b, lambda: a_np / b_np),
        "maximum": (lambda: a.maximum(b), lambda: np.maximum(a_np, b_np)),
    }[op]
    y = out()
    assert y.shape == np.broadcast_shapes(sa, sb) == expected_shape
    np.testing.assert_allclose(y.numpy(), ref(), rtol=1e-12)
    y.backward(np.ones(y.shape))
    assert a.grad.shape == sa and b.grad.shape == sb
    if op == "add":
        # d(sum(a + b))/da counts how many output elements each input element reaches
        n = int(np.prod(expected_shape))
        assert a.grad.numpy().sum() == n and b.grad.numpy().sum() == n


@SETTINGS
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=4, max_side=4))
def test_scalar_on_either_side_keeps_shape(shapes):
    shape = shapes.input_shapes[0]
    x = Tensor(data_for(shape), requires_grad=True)
    for y in (x + 2.0, 2.0 + x, x * 3.0, 3.0 * x, 1.0 - x, x - 1.0, x / 2.0):
        assert y.shape == shape
    (2.0 * x).sum().backward()
    assert x.grad.shape == shape
    np.testing.assert_array_equal(x.grad.numpy(), np.full(shape, 2.0))


@st.composite
def reduction_args(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4))
    ndim = len(shape)
    axes = draw(st.lists(st.integers(0, ndim - 1), unique=True, min_size=0, max_size=ndim))
    # each axis spelled positive or negative
    signed = [a - ndim if draw(st.booleans()) else a for a in axes]
    form = draw(st.sampled_from(["none", "int", "tuple"]))
    if form == "none" or not signed:
        dim, np_axis = None, None
    elif form == "int":
        dim, np_axis = signed[0], signed[0]
    else:
        dim, np_axis = tuple(signed), tuple(signed)
    keepdims = draw(st.booleans())
    spelling = draw(st.sampled_from(["keepdims", "keepdim"]))
    return shape, dim, np_axis, keepdims, spelling


@pytest.mark.filterwarnings("ignore:Degrees of freedom:RuntimeWarning")
@SETTINGS
@given(args=reduction_args(), op=st.sampled_from(["sum", "mean", "var", "max", "min"]))
def test_reduction_shapes_values_and_gradients(args, op):
    shape, dim, np_axis, keepdims, spelling = args
    x_np = data_for(shape, 3)
    if op in ("max", "min"):  # distinct values: no ties
        x_np = np.random.default_rng(3).permutation(x_np.size).reshape(shape).astype(np.float64)
    x = Tensor(x_np, requires_grad=True)
    np_fn = {
        "sum": np.sum,
        "mean": np.mean,
        "max": np.max,
        "min": np.min,
        "var": lambda a, axis, keepdims: np.var(a, axis=axis, keepdims=keepdims, ddof=1),
    }[op]
    with np.errstate(all="ignore"):  # var over a single element is nan, as in numpy/torch
        expected = np.asarray(np_fn(x_np, axis=np_axis, keepdims=keepdims))
        y = getattr(x, op)(dim, **{spelling: keepdims})
    assert y.shape == expected.shape
    np.testing.assert_allclose(y.numpy(), expected, rtol=1e-10, atol=1e-12)
    with np.errstate(all="ignore"):
        y.backward(np.ones(y.shape))
    assert x.grad.shape == shape
    g = x.grad.numpy()
    if op == "sum":
        np.testing.assert_array_equal(g, np.ones(shape))
    elif op == "mean":
        np.testing.assert_allclose(g, np.full(shape, expected.size / x_np.size))
    elif op in ("max", "min"):
        # exactly one element per output receives gradient 1
        assert g.sum() == expected.size and set(np.unique(g)) <= {0.0, 1.0}


@SETTINGS
@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5),
    data=st.data(),
    scale=st.sampled_from([1.0, 100.0, 1e4]),
)
def test_softmax_rows_sum_to_one(shape, data, scale):
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = Tensor(data_for(shape, 4) * scale)
    s = x.softmax(dim).numpy()
    assert s.shape == shape and np.all(np.isfinite(s)) and np.all(s >= 0)
    np.testing.assert_allclose(s.sum(axis=dim), 1.0, rtol=1e-12)
    ls = x.log_softmax(dim).numpy()
    assert np.all(np.isfinite(ls))
    np.testing.assert_allclose(np.exp(ls), s, rtol=1e-9, atol=1e-300)
