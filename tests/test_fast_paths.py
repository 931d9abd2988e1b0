"""The speed paths below the public ops (clownpiece/ops/fused.py, the BLAS sums and the
one-shift softmax and cross-entropy of reductions.py, the heap setting of ops/heap.py): each against a plain reference, and each check shown
to fail on a deliberately wrong variant written here.

Gradients of the fused ops are also gradchecked (test_ops_gradcheck.py) and compared with
PyTorch (test_ops_torch.py); this file tests what those do not: agreement with the
readable tensor-op formulas, edge values, and the fallbacks.
"""

import math
import os
import platform
import subprocess
import sys

import numpy as np
import pytest

from clownpiece import Tensor, ops
from clownpiece.nn import functional as F
from clownpiece.ops import core, fused, reductions
from clownpiece.tensor import apply_op

_rng = np.random.default_rng(2024)
ERF = np.vectorize(math.erf)


# ------------------------------------------------------------------ GELU


def gelu_reference(x):
    """x * Phi(x) with the standard library's erf, in float64."""
    return 0.5 * x * (1.0 + ERF(x / math.sqrt(2.0)))


def gelu_slope_reference(x):
    return 0.5 * (1.0 + ERF(x / math.sqrt(2.0))) + x * np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def gelu_errors(gelu_op, x):
    """Largest error of `gelu_op`'s value and slope against the references."""
    out, (grad_x,) = gelu_op(x)
    slope = grad_x(np.ones_like(x))
    return np.abs(out - gelu_reference(x)).max(), np.abs(slope - gelu_slope_reference(x)).max()


def gelu_without_the_flip(x):
    """Wrong: Phi(-|x|) used for every x (the mask that turns it into Phi(x) forgotten)."""
    density = np.exp(-0.5 * x * x)
    tail = fused.lower_tail(np.abs(x), density)
    return x * tail, (lambda g: g * (tail + x * density / math.sqrt(2 * math.pi)),)


def gelu_without_the_density_term(x):
    """Wrong slope: Phi(x) alone, the x * phi(x) term of the product rule dropped."""
    out, _ = fused.gelu(x)
    cdf = 0.5 * (1.0 + ERF(x / math.sqrt(2.0)))
    return out, (lambda g: g * cdf,)


GELU_POINTS = np.concatenate([np.linspace(-9.0, 9.0, 3601), [-40.0, -13.5, 0.0, 13.5, 40.0]])


def test_gelu_matches_the_erf_formula_in_value_and_slope():
    value_error, slope_error = gelu_errors(fused.gelu, GELU_POINTS)
    # Abramowitz & Stegun 7.1.26: |erf error| < 1.5e-7, so Phi's < 7.5e-8 (times |x| <= 9)
    assert value_error < 7e-7 and slope_error < 1e-6


@pytest.mark.parametrize("wrong", [gelu_without_the_flip, gelu_without_the_density_term])
def test_gelu_check_catches_a_wrong_gelu(wrong):
    value_error, slope_error = gelu_errors(wrong, GELU_POINTS)
    assert max(value_error, slope_error) > 1e-3


def test_gelu_float32_stays_float32_and_finite_far_out():
    x = np.array([-1e4, -30.0, -1.0, 0.0, 1.0, 30.0, 1e4], dtype=np.float32)
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # underflow is fine
        out, (grad_x,) = fused.gelu(x)
        slope = grad_x(np.ones_like(x))
    assert out.dtype == np.float32 and slope.dtype == np.float32
    np.testing.assert_allclose(out, gelu_reference(x.astype(np.float64)), atol=1e-6)
    assert out[0] == 0.0 and out[-1] == 1e4 and slope.tolist()[:2] == [0.0, 0.0]
    assert slope[-1] == 1.0


def lower_tail_in_t(abs_x, density):
    """The readable form of Phi(-|x|): t = 1 / (1 + p |x| / sqrt 2), the polynomial in t."""
    t = 1.0 / (1.0 + fused.ERF_P * abs_x / math.sqrt(2.0))
    a1, a2, a3, a4, a5 = fused.HALF_ERF_A
    return (a1 * t + a2 * t**2 + a3 * t**3 + a4 * t**4 + a5 * t**5) * density


def lower_tail_with_shifted_powers(abs_x, density):
    """Wrong: the monic coefficients divided by c^(i-1) instead of c^i."""
    c = fused.U_SCALE
    u = c / (1.0 + fused.ERF_P * abs_x / math.sqrt(2.0))
    b1, b2, b3, b4 = (a / c**i for i, a in enumerate(fused.HALF_ERF_A[:4]))
    return (b1 * u + b2 * u**2 + b3 * u**3 + b4 * u**4 + u**5) * density


TAIL_POINTS = np.linspace(0.0, 12.0, 2401)


@pytest.mark.parametrize("tail", [fused.lower_tail, lower_tail_with_shifted_powers])
def test_lower_tail_equals_the_polynomial_in_t(tail):
    """The monic polynomial in u = c t (11 passes) is the A&S polynomial in t (13)."""
    density = np.exp(-0.5 * TAIL_POINTS**2)
    got = tail(TAIL_POINTS.copy(), density)
    matches = np.allclose(got, lower_tail_in_t(TAIL_POINTS, density), rtol=1e-12, atol=1e-15)
    assert matches == (tail is fused.lower_tail)


def gelu_cdf_without_the_abs(x):
    """Wrong: Phi(x) as s - tail, so -tail (not tail) where x < 0."""
    density = np.exp(-0.5 * x * x)
    tail = fused.lower_tail(np.abs(x), density)
    return x * ((x >= 0) - tail), ()


@pytest.mark.parametrize("gelu", [fused.gelu, gelu_cdf_without_the_abs])
def test_gelu_cdf_as_absolute_difference_on_both_sides_of_zero(gelu):
    """Phi(x) = |s - tail|: the value x Phi(x) at points where each branch is taken."""
    x = np.array([-3.0, -0.5, -1e-9, 0.0, 1e-9, 0.5, 3.0])
    out, _ = gelu(x)
    close = np.allclose(out, gelu_reference(x), rtol=0, atol=3e-7)  # A&S: 7.5e-8 |x|
    signs = out[3] == 0.0 and (out[:3] < 0).all() and (out[4:] > 0).all()
    assert (close and signs) == (gelu is fused.gelu)


def test_functional_gelu_records_one_node():
    x = Tensor(_rng.standard_normal((2, 3)), requires_grad=True)
    y = F.gelu(x)
    assert repr(y.grad_fn) == "<GeluBackward>"
    assert all(p is x for p in y.grad_fn.parents)


# ------------------------------------------------------------------ LayerNorm


def layer_norm_by_tensor_ops(x, weight, bias, eps):
    """The readable formula the fused op replaces, in tensor ops (autograd differentiates it)."""
    centered = x - x.mean(-1, keepdim=True)
    out = centered / ((centered * centered).mean(-1, keepdim=True) + eps).sqrt()
    if weight is not None:
        out = out * weight
    return out if bias is None else out + bias


def layer_norm_unbiased(x, weight, bias, eps):
    """Wrong: the unbiased variance (dividing by n - 1), a classic slip."""
    centered = x - x.mean(-1, keepdim=True)
    out = centered / (x.var(-1, keepdim=True) + eps).sqrt()
    if weight is not None:
        out = out * weight
    return out if bias is None else out + bias


def layer_norm_gap(reference, affine: str, eps: float = 1e-5) -> float:
    """Largest difference between the fused op and `reference`, in values and gradients."""
    data = _rng.standard_normal((3, 4, 6)) * 3.0 + 1.5
    w_data, b_data = _rng.standard_normal(6), _rng.standard_normal(6)
    upstream = _rng.standard_normal((3, 4, 6))
    results = []
    for fn in (
        lambda x, w, b: apply_op(ops.layer_norm, x, w, b, eps=eps),
        lambda x, w, b: reference(x, w, b, eps),
    ):
        x = Tensor(data, requires_grad=True)
        w = Tensor(w_data, requires_grad=True) if "w" in affine else None
        b = Tensor(b_data, requires_grad=True) if "b" in affine else None
        out = fn(x, w, b)
        (out * Tensor(upstream)).sum().backward()
        results.append([out.numpy()] + [t.grad.numpy() for t in (x, w, b) if t is not None])
    return max(np.abs(a - b).max() for a, b in zip(*results))


@pytest.mark.parametrize("affine", ["wb", "w", "b", ""])
def test_layer_norm_op_equals_the_tensor_op_formula(affine):
    assert layer_norm_gap(layer_norm_by_tensor_ops, affine) < 1e-12


def test_layer_norm_check_catches_the_unbiased_variance():
    assert layer_norm_gap(layer_norm_unbiased, "wb") > 1e-2


def test_functional_layer_norm_broadcasting_weight_still_works():
    """A weight that only broadcasts to normalized_shape goes through the tensor ops."""
    x = Tensor(_rng.standard_normal((2, 3, 4)), requires_grad=True)
    w = Tensor(_rng.standard_normal((1, 4)), requires_grad=True)
    out = F.layer_norm(x, (3, 4), w)
    plain = F.layer_norm(x, (3, 4)) * w
    np.testing.assert_allclose(out.numpy(), plain.numpy(), atol=1e-12)
    out.sum().backward()
    assert w.grad.shape == (1, 4)


# ------------------------------------------------------------------ softmax: one shift for all rows


def softmax_row_by_row(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_one_shift_only(x, axis):
    """Wrong: the whole array's max for every row, with no fallback."""
    e = np.exp(x - x.max())
    return e / e.sum(axis=axis, keepdims=True)


FAR_APART = np.array([[0.0, 1.0, 2.0], [-1000.0, -999.0, -998.5], [50.0, -50.0, 0.0]])


@pytest.mark.parametrize("softmax", [reductions.softmax_along, softmax_one_shift_only])
def test_softmax_rows_far_below_the_largest_entry(softmax):
    with np.errstate(all="ignore"):
        got = softmax(FAR_APART, 1)
    matches = np.allclose(got, softmax_row_by_row(FAR_APART, 1), rtol=1e-12, atol=0)
    assert matches == (softmax is reductions.softmax_along)


def test_softmax_one_shift_equals_row_by_row_on_ordinary_scores():
    x = _rng.standard_normal((5, 4, 7)).astype(np.float32) * 4
    for axis in (0, 1, 2):
        np.testing.assert_allclose(
            reductions.softmax_along(x, axis), softmax_row_by_row(x, axis), rtol=2e-6, atol=1e-7
        )


def test_softmax_non_finite_inputs_behave_as_row_by_row():
    inf, nan = math.inf, math.nan
    x = np.array([[0.0, -inf, 1.0], [-inf, -inf, -inf], [inf, 0.0, 1.0], [nan, 0.0, 1.0]])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(reductions.softmax_along(x, 1), softmax_row_by_row(x, 1))


def test_softmax_of_empty_rows_and_empty_batches():
    assert reductions.softmax_along(np.zeros((0, 3)), 1).shape == (0, 3)
    with pytest.raises(ValueError):  # as numpy's max over an empty axis
        reductions.softmax_along(np.zeros((3, 0)), 1)


# ------------------------------------------------------------------ cross-entropy: one shift


def cross_entropy_row_by_row(x, classes):
    """The textbook form in float64: log-sum-exp shifted by each row's own max."""
    x = x.astype(np.float64)
    m = x.max(axis=-1, keepdims=True)
    lse = np.log(np.exp(x - m).sum(axis=-1)) + m[..., 0]
    return lse - np.take_along_axis(x, classes[..., None], axis=-1)[..., 0]


def cross_entropy_one_shift_only(x, *, classes):
    """Wrong: the whole array's max for every row, with no fallback."""
    shifted = x - x.max()
    total = np.exp(shifted).sum(axis=-1)
    return np.log(total) - np.take_along_axis(shifted, classes[..., None], axis=-1)[..., 0], ()


LOGITS_FAR_APART = np.array([[0.0, 1.0, 2.0], [-1000.0, -999.0, -998.5], [50.0, -50.0, 0.0]])


@pytest.mark.parametrize("op", [reductions.cross_entropy, cross_entropy_one_shift_only])
def test_cross_entropy_rows_far_below_the_largest_logit(op):
    classes = np.array([2, 0, 1])
    with np.errstate(all="ignore"):
        got, _ = op(LOGITS_FAR_APART, classes=classes)
    want = cross_entropy_row_by_row(LOGITS_FAR_APART, classes)
    assert np.allclose(got, want, rtol=1e-12, atol=0) == (op is reductions.cross_entropy)


@pytest.mark.parametrize("spread", [1.0, 4.0, 30.0])
def test_cross_entropy_one_shift_equals_row_by_row_in_float32(spread):
    """Ordinary logits (one shift for all rows) and rows far apart (shifted one by one): as
    close to the float64 reference as float32 allows (the row-by-row float32 formula is
    1.8e-6 and 1e-5 off in loss at spreads 4 and 30)."""
    x = (_rng.standard_normal((128, 10)) * spread).astype(np.float32)
    classes = _rng.integers(0, 10, 128)
    one_shift = (reductions.shifted_exp(x)[0].max(axis=-1) < 0).any()
    assert one_shift == (spread == 1.0)
    out, (grad_x,) = reductions.cross_entropy(x, classes=classes)
    assert out.dtype == np.float32
    want = cross_entropy_row_by_row(x, classes)
    np.testing.assert_allclose(out, want, rtol=0, atol=1e-6 * max(spread, 2) ** 1.5)
    g = _rng.standard_normal(128).astype(np.float32)
    softmax = softmax_row_by_row(x.astype(np.float64), 1)
    softmax[np.arange(128), classes] -= 1
    np.testing.assert_allclose(grad_x(g), softmax * g[:, None], rtol=1e-5, atol=1e-6)


def test_cross_entropy_gradient_keeps_a_float64_upstream():
    x = _rng.standard_normal((4, 3)).astype(np.float32)
    _, (grad_x,) = reductions.cross_entropy(x, classes=np.array([0, 1, 2, 0]))
    assert grad_x(np.ones(4, np.float64)).dtype == np.float64


# ------------------------------------------------------------------ sums as BLAS products


SUM_ARRAYS = [
    _rng.standard_normal((4, 5, 6)).astype(np.float32),
    _rng.standard_normal((4, 5, 6)),
    _rng.standard_normal((6, 5, 4)).transpose(2, 1, 0),  # not contiguous: numpy's own sum
    np.zeros((0, 3)),
    _rng.standard_normal(7),
]


def sums_agree_with_numpy(sums_along, array) -> bool:
    """`sums_along(array, axis)` equals numpy's keepdims sum for every axis."""
    tol = 1e-5 if array.dtype == np.float32 else 1e-12
    return all(
        np.allclose(sums_along(array, axis), array.sum(axis=axis, keepdims=True), atol=tol)
        for axis in range(array.ndim)
    )


def sums_always_along_the_last_axis(array, axis):
    """Wrong: the BLAS product used whatever `axis` says."""
    rows = array.reshape(-1, array.shape[-1]) @ np.ones(array.shape[-1], array.dtype)
    return rows.reshape(*array.shape[:-1], 1)


@pytest.mark.parametrize("array", SUM_ARRAYS)
def test_blas_sums_equal_numpy_sums(array):
    assert sums_agree_with_numpy(reductions.sums_along, array)


def test_blas_sum_check_catches_summing_the_wrong_axis():
    assert not sums_agree_with_numpy(sums_always_along_the_last_axis, SUM_ARRAYS[1])


GRAD_TARGETS = [
    (_rng.standard_normal((4, 5, 6)), (6,)),  # a bias: one BLAS product
    (_rng.standard_normal((7, 3)).astype(np.float32), (3,)),
    (_rng.standard_normal((7, 1)), (1,)),
    (_rng.standard_normal((6, 5, 4)).transpose(2, 1, 0), (6,)),  # not contiguous: unbroadcast
    (_rng.standard_normal((4, 5, 6)), (5, 1)),  # not a vector: unbroadcast
    (_rng.standard_normal((4, 6)), (4, 6)),  # nothing to sum
    (np.zeros((0, 3)), (3,)),
]


def sums_like_unbroadcast(sum_to_shape, grad, shape) -> bool:
    got = sum_to_shape(grad, shape)
    tol = 1e-5 if grad.dtype == np.float32 else 1e-12
    want = core.unbroadcast(grad, shape)
    return got.shape == want.shape and np.allclose(got, want, rtol=tol, atol=tol)


def bias_sums_over_the_wrong_axis(grad, shape):
    """Wrong: sums along each row (grad @ ones) where the columns should be summed."""
    return grad.reshape(-1, shape[0]) @ np.ones(shape[0])


@pytest.mark.parametrize("grad, shape", GRAD_TARGETS)
def test_bias_gradient_sums_equal_unbroadcast(grad, shape):
    assert sums_like_unbroadcast(core.sum_to_shape, grad, shape)


def test_bias_gradient_check_catches_summing_the_rows():
    grad = _rng.standard_normal((6, 6))
    assert not sums_like_unbroadcast(bias_sums_over_the_wrong_axis, grad, (6,))


def test_add_sends_a_bias_its_column_sums():
    x = Tensor(_rng.standard_normal((3, 4, 5)), requires_grad=True)
    b = Tensor(_rng.standard_normal(5), requires_grad=True)
    upstream = _rng.standard_normal((3, 4, 5))
    ((x + b) * Tensor(upstream)).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), upstream.sum(axis=(0, 1)), rtol=1e-12)
    np.testing.assert_array_equal(x.grad.numpy(), upstream)


def test_cached_constant_vectors_cannot_be_changed():
    ones = core.constant_vector(4, 1.0, np.dtype(np.float32))
    assert ones is core.constant_vector(4, 1.0, np.dtype(np.float32))
    with pytest.raises(ValueError, match="read-only"):
        ones[0] = 2.0


def test_getitem_gradient_keeps_the_input_memory_order():
    """The gradient of a slice of a permuted array is laid out like that array, so the
    permute's backward hands on a C-contiguous gradient (no copy when reshaped)."""
    base = Tensor(_rng.standard_normal((2, 3, 4)), requires_grad=True)
    picked = base.permute(2, 0, 1)[1]
    (picked * Tensor(_rng.standard_normal(picked.shape))).sum().backward()
    assert base.grad.numpy().flags.c_contiguous
    assert np.count_nonzero(base.grad.numpy()[:, :, [0, 2, 3]]) == 0


# ------------------------------------------------------------------ keeping freed memory

FAULTS_SCRIPT = """
import resource, numpy as np, clownpiece
def round_trip():
    arrays = [np.ones(2**18, np.float32) for _ in range(48)]  # 48 MiB, then all freed
    del arrays
round_trip()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(3):
    round_trip()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def page_faults_of_reallocation(keep: str) -> int:
    env = {**os.environ, "CLOWNPIECE_KEEP_FREED_MEMORY": keep}
    run = subprocess.run(
        [sys.executable, "-c", FAULTS_SCRIPT], env=env, capture_output=True, text=True, check=True
    )
    return int(run.stdout)


@pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only"
)
def test_freed_arrays_are_reused_without_page_faults():
    """Three rounds of 48 MiB of arrays: with the setting, the heap is reused (a handful
    of faults); with it switched off, every round faults its pages in again."""
    kept, returned = page_faults_of_reallocation("1"), page_faults_of_reallocation("0")
    assert kept < 1000 < returned
    assert returned > 3 * 48 * 2**20 // 4096 // 2  # most of the 3 x 12,288 pages


# ------------------------------------------------------------------ integer inputs, as before

INTS = np.array([[1, 2, 3], [4, 5, 7]])


def gelu_without_promotion(x):
    """Wrong: the in-place float passes run on the integer array itself."""
    density = np.square(x)
    density *= -0.5  # numpy refuses to write floats into an int array
    return x * density, (lambda g: g,)


@pytest.mark.parametrize(
    "fn, want",
    [
        (lambda t: F.gelu(t), gelu_reference(INTS.astype(np.float64))),
        (lambda t: t.softmax(-1), softmax_row_by_row(INTS.astype(np.float64), 1)),
        (lambda t: t.softmax(0), softmax_row_by_row(INTS.astype(np.float64), 0)),
        (
            lambda t: F.layer_norm(t, 3),
            (INTS - INTS.mean(1, keepdims=True)) / np.sqrt(INTS.var(1, keepdims=True) + 1e-5),
        ),
    ],
)
def test_integer_inputs_give_float64_as_the_unfused_formulas_did(fn, want):
    out = fn(Tensor(INTS))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-6, atol=1e-6)


def test_integer_check_catches_the_missing_promotion():
    with pytest.raises(TypeError):  # numpy's UFuncTypeError is a TypeError
        apply_op(gelu_without_promotion, Tensor(INTS))


def sum_then_divide_in_float64(x, axes, keepdims):  # a wrong variant: float64 out
    total = np.add.reduce(x.astype(np.float64), axis=axes, keepdims=keepdims)
    return np.asarray(total / (x.size // max(np.size(total), 1)))


def divide_then_sum(x, axes, keepdims):  # a wrong variant: rounds each term first
    count = x.size // max(np.size(np.add.reduce(x, axis=axes, keepdims=keepdims)), 1)
    return np.asarray(np.add.reduce(x / count, axis=axes, keepdims=keepdims))


def mean_matches_numpy_bitwise(mean_fn) -> bool:
    rng = np.random.default_rng(3)
    for dtype in (np.float32, np.float64):
        for shape, axes, keepdims in [
            ((128,), None, False),
            ((64, 16, 64), (1,), False),
            ((7, 5), (0, 1), True),
            ((3, 4, 5), (0, 2), False),
            ((), None, False),
        ]:
            x = (rng.standard_normal(shape) * 10 + 3).astype(dtype)
            got, want = mean_fn(x, axes, keepdims), np.asarray(x.mean(axis=axes, keepdims=keepdims))
            if got.dtype != want.dtype or got.shape != want.shape:
                return False
            if not np.array_equal(got, want):
                return False
    return True


def test_mean_of_floats_equals_numpy_mean_bit_for_bit():
    assert mean_matches_numpy_bitwise(reductions.mean_of_floats)


@pytest.mark.parametrize("wrong", [sum_then_divide_in_float64, divide_then_sum])
def test_mean_check_catches_a_wrong_mean(wrong):
    assert not mean_matches_numpy_bitwise(wrong)


# ------------------------------------------------------------------ linear: one node


def linear_by_tensor_ops(x, weight, bias):
    """What `Linear.forward` would write without the fused op: transpose, product, sum."""
    out = x @ weight.transpose()
    return out if bias is None else out + bias


def linear_with_transposed_weight_grad(x, weight, bias):
    """Wrong: a hand-written node whose weight gradient is the transpose of the right one
    (it has the right shape only for a square weight)."""

    def op(x, w, b):
        out, (gx, gw, gb) = ops.linear(x, w, b)
        return out, (gx, lambda g: gw(g).T, gb)

    return apply_op(op, x, weight, bias)


def linear_gap(reference, x_shape, bias: bool, dtype=np.float64) -> float:
    """Largest difference between the fused op and `reference`, in values and gradients."""
    rng = np.random.default_rng(7)
    data = rng.standard_normal(x_shape).astype(dtype)
    w_data = rng.standard_normal((x_shape[-1], x_shape[-1])).astype(dtype)
    b_data = rng.standard_normal(x_shape[-1]).astype(dtype)
    upstream = rng.standard_normal(x_shape).astype(dtype)
    results = []
    for fn in (F.linear, reference):
        x, w = Tensor(data, requires_grad=True), Tensor(w_data, requires_grad=True)
        b = Tensor(b_data, requires_grad=True) if bias else None
        out = fn(x, w, b)
        assert out.dtype == dtype
        (out * Tensor(upstream)).sum().backward()
        results.append([out.numpy()] + [t.grad.numpy() for t in (x, w, b) if t is not None])
    return max(float(np.abs(a - b).max()) for a, b in zip(*results))


@pytest.mark.parametrize("x_shape", [(5, 4), (2, 3, 4), (4,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_op_equals_transpose_product_and_sum(x_shape, bias):
    assert linear_gap(linear_by_tensor_ops, x_shape, bias) < 1e-12
    assert linear_gap(linear_by_tensor_ops, x_shape, bias, np.float32) < 1e-5


def test_linear_check_catches_a_transposed_weight_gradient():
    assert linear_gap(linear_with_transposed_weight_grad, (5, 4), True) > 1e-2


def test_linear_keeps_numpy_promotion_for_a_bias_of_another_dtype():
    x = Tensor(np.ones((2, 3), np.float32))
    w = Tensor(np.ones((4, 3), np.float32))
    b = Tensor(np.full(4, 0.5), requires_grad=True)  # float64
    out = F.linear(x, w, b)
    assert out.dtype == np.float64 and np.allclose(out.numpy(), 3.5)
    out.sum().backward()
    assert b.grad.dtype == np.float64 and np.allclose(b.grad.numpy(), 2.0)


# ------------------------------------------------------------------ Python numbers as 0-d arrays


def number_operand_for_any_dtype(value, tensor):  # wrong: casts into an int tensor's dtype
    if type(value) is float or type(value) is int:
        return np.array(value, tensor.numpy().dtype)
    return value


def number_operand_as_float64(value, tensor):  # wrong: a strong float64 promotes float32
    if type(value) is float or type(value) is int:
        return np.array(value, np.float64)
    return value


def arithmetic_matches_python_numbers() -> bool:
    """`tensor <op> number` (with `number_operand` as installed) equals numpy's own result for the
    Python number (value and dtype), for float and int tensors, forward and backward."""
    cases = [(np.float32, 1.01), (np.float32, 3), (np.float64, -0.0), (np.float64, 0.1)]
    cases += [(np.int64, 0.5), (np.int64, 3), (np.float32, True)]
    for dtype, number in cases:
        data = np.array([1.5, -2.0, 4.0]).astype(dtype)
        for expr in (
            lambda t, n=number: t * n,
            lambda t, n=number: n * t,
            lambda t, n=number: t / n if n else t,
            lambda t, n=number: n / t,
        ):
            with np.errstate(divide="ignore"):
                want = expr(data)
                t = Tensor(data, requires_grad=data.dtype.kind == "f")
                got = expr(t)
            if got.dtype != want.dtype or not np.array_equal(got.numpy(), want, equal_nan=True):
                return False
            if t.requires_grad:
                got.sum().backward()
                if t.grad.dtype != data.dtype:
                    return False
    return True


def test_python_numbers_as_0d_arrays_give_numpys_results():
    assert arithmetic_matches_python_numbers()


@pytest.mark.parametrize("wrong", [number_operand_for_any_dtype, number_operand_as_float64])
def test_number_operand_check_catches_a_wrong_conversion(monkeypatch, wrong):
    monkeypatch.setattr(sys.modules["clownpiece.tensor"], "number_operand", wrong)
    assert not arithmetic_matches_python_numbers()


def test_number_operand_keeps_a_float_tensors_dtype_and_value():
    from clownpiece.tensor import number_operand

    t = Tensor(np.ones(2, np.float32))
    converted = number_operand(1.01, t)
    assert (
        isinstance(converted, np.ndarray)
        and converted.shape == ()
        and converted.dtype == np.float32
    )
    assert converted == np.float32(1.01)
    assert number_operand(1.01, Tensor(np.ones(2, np.int64))) == 1.01  # int tensor: untouched
    assert number_operand(True, t) is True  # bools are not numbers here
    with pytest.raises(OverflowError):
        Tensor(np.ones(1, np.float32)) * 2**1030  # as numpy: int too large to convert
