"""Fused ops: what `nn.functional` writes as several tensor ops, done as one graph node.

Speed, not new maths: each op here equals a formula of public ops (written out in its
docstring and checked against it in the tests), but runs in a few in-place numpy passes
and records one node instead of five to ten. Measured with `python -m benchmarks.op_profile`
on the course's MNIST transformer step (2 GELUs, 5 LayerNorms, forward and backward):
GELU from ~2.4 ms (erf alone 1.9 ms) to ~1.3 ms per step, LayerNorm from ~1.5 ms to
~0.9 ms. numpy makes one pass over the array per operation, single-threaded, so both stay
2-3x slower than PyTorch's one-pass, two-thread kernels (see the benchmark notes).
"""

from __future__ import annotations

import math

import numpy as np

from .core import Operand, OpResult, constant_vector, differentiable

INV_SQRT2 = 1 / math.sqrt(2)
INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
# Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), coefficients halved: with t = 1/(1 + p z),
# erfc(z) / 2 = (a1 t + ... + a5 t^5) e^(-z^2) for z >= 0.
ERF_P = 0.3275911
HALF_ERF_A = (0.127414796, -0.142248368, 0.7107068705, -0.7265760135, 0.5307027145)


def as_float(x: np.ndarray) -> np.ndarray:
    """Integer and bool arrays as float64 (what numpy's arithmetic made of them in the
    unfused formulas); float arrays as they are."""
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def lower_tail(abs_x: np.ndarray, density: np.ndarray) -> np.ndarray:
    """Phi(-|x|), the normal CDF's smaller tail, from |x| (overwritten) and e^(-x^2/2)."""
    t = abs_x
    t *= ERF_P * INV_SQRT2
    t += 1.0
    np.reciprocal(t, out=t)
    tail = np.multiply(t, HALF_ERF_A[4])  # Horner's rule for the polynomial in t
    for a in HALF_ERF_A[3::-1]:
        tail += a
        tail *= t
    tail *= density
    return tail


@differentiable
def gelu(x: np.ndarray) -> OpResult:
    """x * Phi(x) (Phi: the standard normal CDF), i.e. 0.5 * x * (1 + erf(x / sqrt 2));
    d/dx = Phi(x) + x * phi(x).

    Without masks (numpy's masked and `where` passes are ~50x slower than plain arithmetic
    on this data): with s = 1 where x >= 0, else 0, Phi(x) = tail + s * (1 - 2 tail),
    where tail = Phi(-|x|).
    """
    x = as_float(x)
    density = np.square(x)  # e^(-x^2/2), shared by Phi and the derivative
    density *= -0.5
    np.exp(density, out=density)
    scratch = np.abs(x)
    tail = lower_tail(scratch, density)
    cdf = np.greater_equal(x, 0, out=np.empty_like(tail))  # 1.0 or 0.0
    flip = np.multiply(tail, -2.0, out=scratch)
    flip += 1.0
    cdf *= flip
    cdf += tail

    def grad_x(g):
        slope = np.multiply(x, density)
        slope *= INV_SQRT_2PI
        slope += cdf
        slope *= g
        return slope

    return np.multiply(x, cdf), (grad_x,)


def row_means(rows: np.ndarray) -> np.ndarray:
    """Means of the rows of a 2-D array, as one matrix-vector product: numpy's own
    reduction over short rows is several times slower (22 µs vs 5 µs for 1024 rows of 64)."""
    return rows @ constant_vector(rows.shape[1], 1 / max(rows.shape[1], 1), rows.dtype)


def column_sums(rows: np.ndarray) -> np.ndarray:
    """Sums of the columns of a 2-D array, as one vector-matrix product (BLAS)."""
    return constant_vector(rows.shape[0], 1.0, rows.dtype) @ rows


@differentiable
def layer_norm(x: np.ndarray, weight: Operand, bias: Operand, *, eps: float) -> OpResult:
    """Normalise over the last dim, then scale and shift; `weight`/`bias` (the size of the
    last dim) may be None. As tensor ops: c = x - x.mean(-1, keepdim=True);
    out = c / ((c * c).mean(-1, keepdim=True) + eps).sqrt() * weight + bias.
    """
    rows = as_float(x).reshape(math.prod(x.shape[:-1]), x.shape[-1])
    xhat = rows - row_means(rows)[:, None]
    inv_std = row_means(np.square(xhat))
    inv_std += eps
    np.sqrt(inv_std, out=inv_std)
    np.reciprocal(inv_std, out=inv_std)
    xhat *= inv_std[:, None]
    out = xhat if weight is None else xhat * weight
    if bias is not None:
        out = out + bias

    def grad_x(g):
        g = g.reshape(rows.shape)
        g_xhat = g if weight is None else g * weight
        # inv_std * (g_xhat - mean(g_xhat) - xhat * mean(g_xhat * xhat)), row by row
        grad = xhat * row_means(g_xhat * xhat)[:, None]
        grad += row_means(g_xhat)[:, None]
        np.subtract(g_xhat, grad, out=grad)
        grad *= inv_std[:, None]
        return grad.reshape(x.shape)

    def grad_weight(g):
        return column_sums(g.reshape(rows.shape) * xhat)

    def grad_bias(g):
        return column_sums(g.reshape(rows.shape))

    return out.reshape(x.shape), (grad_x, grad_weight, grad_bias)
