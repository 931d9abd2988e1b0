"""Every differentiable operation, each written once: a numpy forward and its backward.

Each op computes its result on the tensors' numpy arrays and, when the graph is being
recorded, attaches a closure that maps the output's gradient to its inputs' gradients.
`DIFFERENTIABLE_OPS` names them all so the tests can check that each has a gradient check.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from ..tensor import Tensor
from . import grad_mode
from .engine import Node

DIFFERENTIABLE_OPS: dict = {}


def differentiable(fn):
    """Register `fn` as a public differentiable op."""
    DIFFERENTIABLE_OPS[fn.__name__] = fn
    return fn


def _result(data: np.ndarray, inputs: tuple, backward, name: str) -> Tensor:
    """Wrap `data` as a Tensor and, if any input needs a gradient, record how to get it."""
    out = Tensor._wrap(data)
    if grad_mode._enabled:
        for t in inputs:
            if t is not None and t.requires_grad:
                out.requires_grad = True
                out.grad_fn = Node(backward, inputs, name)
                break
    return out


def _array(x):
    """The numpy value of a Tensor operand or a Python/numpy constant."""
    return x._data if isinstance(x, Tensor) else x


def _tensor_or_none(x):
    return x if isinstance(x, Tensor) else None


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum `grad` down to `shape`, undoing numpy broadcasting."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad


def _shape_of(x) -> tuple:
    return x._data.shape if isinstance(x, Tensor) else np.shape(x)


def _broadcast_error(name: str, a, b) -> ValueError:
    return ValueError(
        f"{name}: operands of shapes {tuple(_shape_of(a))} and {tuple(_shape_of(b))} "
        "cannot be broadcast together"
    )


# ----------------------------------------------------------------------------- arithmetic


@differentiable
def add(a, b) -> Tensor:
    try:
        data = _array(a) + _array(b)
    except ValueError:
        raise _broadcast_error("add", a, b) from None

    def backward(g):
        return (
            unbroadcast(g, a._data.shape) if isinstance(a, Tensor) else None,
            unbroadcast(g, b._data.shape) if isinstance(b, Tensor) else None,
        )

    return _result(data, (_tensor_or_none(a), _tensor_or_none(b)), backward, "Add")


@differentiable
def sub(a, b) -> Tensor:
    try:
        data = _array(a) - _array(b)
    except ValueError:
        raise _broadcast_error("sub", a, b) from None

    def backward(g):
        return (
            unbroadcast(g, a._data.shape) if isinstance(a, Tensor) else None,
            unbroadcast(-g, b._data.shape) if isinstance(b, Tensor) else None,
        )

    return _result(data, (_tensor_or_none(a), _tensor_or_none(b)), backward, "Sub")


@differentiable
def mul(a, b) -> Tensor:
    x, y = _array(a), _array(b)
    try:
        data = x * y
    except ValueError:
        raise _broadcast_error("mul", a, b) from None

    def backward(g):
        return (
            unbroadcast(g * y, a._data.shape) if isinstance(a, Tensor) and a.requires_grad else None,
            unbroadcast(g * x, b._data.shape) if isinstance(b, Tensor) and b.requires_grad else None,
        )

    return _result(data, (_tensor_or_none(a), _tensor_or_none(b)), backward, "Mul")


@differentiable
def div(a, b) -> Tensor:
    x, y = _array(a), _array(b)
    try:
        data = x / y
    except ValueError:
        raise _broadcast_error("div", a, b) from None

    def backward(g):
        return (
            unbroadcast(g / y, a._data.shape) if isinstance(a, Tensor) and a.requires_grad else None,
            unbroadcast(-g * data / y, b._data.shape)
            if isinstance(b, Tensor) and b.requires_grad
            else None,
        )

    return _result(data, (_tensor_or_none(a), _tensor_or_none(b)), backward, "Div")


@differentiable
def pow(a, b) -> Tensor:
    x, y = _array(a), _array(b)
    try:
        data = x**y
    except ValueError:
        raise _broadcast_error("pow", a, b) from None

    def backward(g):
        ga = gb = None
        if isinstance(a, Tensor) and a.requires_grad:
            ga = unbroadcast(g * y * x ** (y - 1), a._data.shape)
        if isinstance(b, Tensor) and b.requires_grad:
            gb = unbroadcast(g * data * np.log(np.where(x > 0, x, 1)), b._data.shape)
        return ga, gb

    return _result(data, (_tensor_or_none(a), _tensor_or_none(b)), backward, "Pow")


@differentiable
def neg(a: Tensor) -> Tensor:
    return _result(-a._data, (a,), lambda g: (-g,), "Neg")


@differentiable
def abs(a: Tensor) -> Tensor:
    x = a._data
    return _result(np.abs(x), (a,), lambda g: (g * np.sign(x),), "Abs")


@differentiable
def exp(a: Tensor) -> Tensor:
    data = np.exp(a._data)
    return _result(data, (a,), lambda g: (g * data,), "Exp")


@differentiable
def log(a: Tensor) -> Tensor:
    x = a._data
    return _result(np.log(x), (a,), lambda g: (g / x,), "Log")


@differentiable
def sqrt(a: Tensor) -> Tensor:
    data = np.sqrt(a._data)
    return _result(data, (a,), lambda g: (g / (2 * data),), "Sqrt")


@differentiable
def tanh(a: Tensor) -> Tensor:
    data = np.tanh(a._data)
    return _result(data, (a,), lambda g: (g * (1 - data * data),), "Tanh")


@differentiable
def sigmoid(a: Tensor) -> Tensor:
    x = a._data
    # exp of a non-positive number only, so large |x| never overflows
    e = np.exp(-np.abs(x))
    data = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
    return _result(data, (a,), lambda g: (g * data * (1 - data),), "Sigmoid")


@differentiable
def relu(a: Tensor) -> Tensor:
    x = a._data
    data = np.maximum(x, 0)
    return _result(data, (a,), lambda g: (g * (x > 0),), "Relu")


@differentiable
def leaky_relu(a: Tensor, negative_slope: float = 0.01) -> Tensor:
    x = a._data
    slope = np.where(x > 0, 1, negative_slope).astype(x.dtype)
    return _result(x * slope, (a,), lambda g: (g * slope,), "LeakyRelu")


_ERF_P = 0.3275911
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


@differentiable
def erf(a: Tensor) -> Tensor:
    """Error function (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7); exact derivative."""
    x = a._data
    t = 1.0 / (1.0 + _ERF_P * np.abs(x))
    poly = t * (_ERF_A[0] + t * (_ERF_A[1] + t * (_ERF_A[2] + t * (_ERF_A[3] + t * _ERF_A[4]))))
    data = (np.sign(x) * (1.0 - poly * np.exp(-x * x))).astype(x.dtype, copy=False)
    scale = 2.0 / math.sqrt(math.pi)
    return _result(data, (a,), lambda g: (g * scale * np.exp(-x * x),), "Erf")


@differentiable
def clamp(a: Tensor, min=None, max=None) -> Tensor:
    x = a._data
    data = np.clip(x, min, max)
    inside = np.ones(x.shape, dtype=bool)
    if min is not None:
        inside &= x >= min
    if max is not None:
        inside &= x <= max
    return _result(data, (a,), lambda g: (g * inside,), "Clamp")


@differentiable
def maximum(a, b) -> Tensor:
    x, y = _array(a), _array(b)
    try:
        data = np.maximum(x, y)
    except ValueError:
        raise _broadcast_error("maximum", a, b) from None
    # ties split the gradient evenly, as PyTorch does
    a_wins = np.where(x > y, 1.0, np.where(x == y, 0.5, 0.0)).astype(data.dtype)

    def backward(g):
        return (
            unbroadcast(g * a_wins, a._data.shape) if isinstance(a, Tensor) else None,
            unbroadcast(g * (1 - a_wins), b._data.shape) if isinstance(b, Tensor) else None,
        )

    return _result(data, (_tensor_or_none(a), _tensor_or_none(b)), backward, "Maximum")


@differentiable
def where(condition, a, b) -> Tensor:
    cond = np.asarray(_array(condition), dtype=bool)
    try:
        data = np.where(cond, _array(a), _array(b))
    except ValueError:
        raise _broadcast_error("where", a, b) from None

    def backward(g):
        return (
            None,
            unbroadcast(np.where(cond, g, 0), a._data.shape) if isinstance(a, Tensor) else None,
            unbroadcast(np.where(cond, 0, g), b._data.shape) if isinstance(b, Tensor) else None,
        )

    return _result(data, (None, _tensor_or_none(a), _tensor_or_none(b)), backward, "Where")


# ------------------------------------------------------------------------------- matmul


@differentiable
def matmul(a, b) -> Tensor:
    x, y = _array(a), _array(b)
    if np.ndim(x) == 0 or np.ndim(y) == 0:
        raise ValueError("matmul: both operands need at least 1 dimension, got a scalar")
    stacked = np.ndim(x) > 2 and np.ndim(y) == 2  # (..., k) @ (k, n): one 2-D product
    try:
        if stacked:
            data = (x.reshape(-1, x.shape[-1]) @ y).reshape(*x.shape[:-1], y.shape[-1])
        else:
            data = np.matmul(x, y)
    except ValueError:
        raise ValueError(
            f"matmul: shapes {tuple(np.shape(x))} and {tuple(np.shape(y))} are not aligned "
            f"(last dim of the left {np.shape(x)[-1]} != "
            f"{'first' if np.ndim(y) == 1 else 'second-to-last'} dim of the right "
            f"{np.shape(y)[0 if np.ndim(y) == 1 else -2]})"
        ) from None

    def backward(g):
        if stacked:
            return _stacked_matmul_backward(g)
        x2 = x[None, :] if x.ndim == 1 else x
        y2 = y[:, None] if y.ndim == 1 else y
        g2 = g
        if y.ndim == 1:  # first: for 1-D @ 1-D, g is 0-d
            g2 = np.expand_dims(g2, -1)
        if x.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        ga = gb = None
        if isinstance(a, Tensor) and a.requires_grad:
            ga = g2 @ y2.swapaxes(-1, -2)
            ga = unbroadcast(ga, x2.shape).reshape(x.shape) if x.ndim > 1 else ga.reshape(
                -1, x.shape[0]
            ).sum(axis=0)
        if isinstance(b, Tensor) and b.requires_grad:
            if y2.ndim == 2 and x2.ndim == 2 and not y2.flags.c_contiguous:
                # b is a transposed view (Linear's weight.T): produce its gradient in the
                # same layout, so the transpose's backward hands back a C-ordered array
                gb = (g2.swapaxes(-1, -2) @ x2).swapaxes(-1, -2)
            else:
                gb = x2.swapaxes(-1, -2) @ g2
            gb = unbroadcast(gb, y2.shape).reshape(y.shape) if y.ndim > 1 else gb.reshape(
                -1, y.shape[0]
            ).sum(axis=0)
        return ga, gb

    def _stacked_matmul_backward(g):
        g2 = g.reshape(-1, g.shape[-1])
        ga = gb = None
        if isinstance(a, Tensor) and a.requires_grad:
            ga = (g2 @ y.T).reshape(x.shape)
        if isinstance(b, Tensor) and b.requires_grad:
            x2 = x.reshape(-1, x.shape[-1])
            gb = (g2.T @ x2).T if not y.flags.c_contiguous else x2.T @ g2
        return ga, gb

    return _result(data, (_tensor_or_none(a), _tensor_or_none(b)), backward, "Matmul")


# ---------------------------------------------------------------------------- reductions


def normalize_dims(dim, ndim: int, name: str):
    """`dim` (None, int or tuple, negatives allowed) as a sorted tuple of axes, or None."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    axes = []
    for d in dims:
        if not isinstance(d, (int, np.integer)) or isinstance(d, bool):
            raise TypeError(f"{name}: dim must be an int or a tuple of ints, got {dim!r}")
        if not -builtins.max(ndim, 1) <= d < builtins.max(ndim, 1):
            raise IndexError(
                f"{name}: dim {d} is out of range for a tensor with {ndim} dimension(s)"
            )
        axes.append(int(d) % builtins.max(ndim, 1))
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}: dim {dim!r} names the same dimension twice")
    return tuple(sorted(axes)) if ndim else None


def _expand_reduced(g: np.ndarray, axes, keepdims: bool, shape: tuple) -> np.ndarray:
    """Re-insert reduced axes into `g` so it broadcasts against the input's `shape`."""
    if axes is not None and not keepdims:
        g = np.expand_dims(g, axes)
    return g


@differentiable
def sum(a: Tensor, dim=None, keepdims: bool = False) -> Tensor:
    x = a._data
    axes = normalize_dims(dim, x.ndim, "sum")
    data = np.asarray(x.sum(axis=axes, keepdims=keepdims))
    shape = x.shape
    return _result(
        data,
        (a,),
        lambda g: (np.broadcast_to(_expand_reduced(g, axes, keepdims, shape), shape),),
        "Sum",
    )


@differentiable
def mean(a: Tensor, dim=None, keepdims: bool = False) -> Tensor:
    x = a._data
    axes = normalize_dims(dim, x.ndim, "mean")
    data = np.asarray(x.mean(axis=axes, keepdims=keepdims))
    shape = x.shape
    count = x.size // builtins.max(data.size, 1) if x.size else 1

    def backward(g):
        return (np.broadcast_to(_expand_reduced(g, axes, keepdims, shape) / count, shape),)

    return _result(data, (a,), backward, "Mean")


@differentiable
def var(a: Tensor, dim=None, keepdims: bool = False, unbiased: bool = True) -> Tensor:
    x = a._data
    axes = normalize_dims(dim, x.ndim, "var")
    ddof = 1 if unbiased else 0
    centered = x - x.mean(axis=axes, keepdims=True)
    data = np.asarray(x.var(axis=axes, keepdims=keepdims, ddof=ddof))
    count = x.size // builtins.max(data.size, 1) if x.size else 1

    # one element with unbiased=True: nan (as numpy and PyTorch), not ZeroDivisionError
    scale = 2 / (count - ddof) if count > ddof else np.nan

    def backward(g):
        return (_expand_reduced(g, axes, keepdims, x.shape) * centered * scale,)

    return _result(data, (a,), backward, "Var")


def _extreme(a: Tensor, dim, keepdims: bool, pick, name: str) -> Tensor:
    x = a._data
    axes = normalize_dims(dim, x.ndim, name)
    data = np.asarray(pick(x, axis=axes, keepdims=keepdims))

    def backward(g):
        full = pick(x, axis=axes, keepdims=True)
        hit = x == full
        # ties share the gradient equally
        share = hit / hit.sum(axis=axes, keepdims=True)
        return (_expand_reduced(g, axes, keepdims, x.shape) * share,)

    return _result(data, (a,), backward, name.capitalize())


@differentiable
def max(a: Tensor, dim=None, keepdims: bool = False) -> Tensor:
    return _extreme(a, dim, keepdims, np.max, "max")


@differentiable
def min(a: Tensor, dim=None, keepdims: bool = False) -> Tensor:
    return _extreme(a, dim, keepdims, np.min, "min")


@differentiable
def softmax(a: Tensor, dim: int = -1) -> Tensor:
    x = a._data
    (axis,) = normalize_dims(dim, x.ndim, "softmax") or (0,)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    data = e / e.sum(axis=axis, keepdims=True)

    def backward(g):
        return (data * (g - (g * data).sum(axis=axis, keepdims=True)),)

    return _result(data, (a,), backward, "Softmax")


@differentiable
def log_softmax(a: Tensor, dim: int = -1) -> Tensor:
    x = a._data
    (axis,) = normalize_dims(dim, x.ndim, "log_softmax") or (0,)
    shifted = x - x.max(axis=axis, keepdims=True)
    data = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))

    def backward(g):
        return (g - np.exp(data) * g.sum(axis=axis, keepdims=True),)

    return _result(data, (a,), backward, "LogSoftmax")


@differentiable
def cross_entropy(logits: Tensor, classes: np.ndarray) -> Tensor:
    """Per-sample -log softmax(logits)[class], class dim last; `classes` are valid int indices."""
    x = logits._data
    shifted = x - x.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=-1, keepdims=True)
    rows, picks = np.arange(classes.size), classes.reshape(-1)
    picked = shifted.reshape(-1, x.shape[-1])[rows, picks].reshape(classes.shape)
    data = np.log(total[..., 0]) - picked

    def backward(g):
        grad = exp / total  # softmax, minus one at each sample's class
        grad.reshape(-1, x.shape[-1])[rows, picks] -= 1
        return (grad * g[..., None],)

    return _result(data, (logits,), backward, "CrossEntropy")


# --------------------------------------------------------------------------- shape ops


def _shape_arg(shape, name: str) -> tuple:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for n in shape:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"{name}: sizes must be ints, got {shape!r}")
    return tuple(int(n) for n in shape)


@differentiable
def reshape(a: Tensor, *shape) -> Tensor:
    x = a._data
    shape = _shape_arg(shape, "reshape")
    if shape.count(-1) > 1:
        raise ValueError(f"reshape: only one dimension can be -1, got {shape}")
    try:
        data = x.reshape(shape)
    except ValueError:
        raise ValueError(
            f"reshape: cannot view a tensor of shape {x.shape} ({x.size} elements) as {shape}"
        ) from None
    return _result(data, (a,), lambda g: (g.reshape(x.shape),), "Reshape")


@differentiable
def transpose(a: Tensor, dim0: int = -2, dim1: int = -1) -> Tensor:
    x = a._data
    if x.ndim < 2:
        return _result(x, (a,), lambda g: (g,), "Transpose")
    if (dim0, dim1) != (-2, -1):
        dim0, dim1 = (normalize_dims(d, x.ndim, "transpose")[0] for d in (dim0, dim1))
    return _result(x.swapaxes(dim0, dim1), (a,), lambda g: (g.swapaxes(dim0, dim1),), "Transpose")


@differentiable
def permute(a: Tensor, *dims) -> Tensor:
    x = a._data
    dims = _shape_arg(dims, "permute")
    if not builtins.all(-x.ndim <= d < x.ndim for d in dims) or sorted(
        d % builtins.max(x.ndim, 1) for d in dims
    ) != list(range(x.ndim)):
        raise ValueError(f"permute: {dims} is not a permutation of the {x.ndim} dims of {x.shape}")
    data = np.transpose(x, dims)
    inverse = np.argsort([d % x.ndim for d in dims])
    return _result(data, (a,), lambda g: (np.transpose(g, inverse),), "Permute")


@differentiable
def unsqueeze(a: Tensor, dim: int) -> Tensor:
    x = a._data
    if not -x.ndim - 1 <= dim <= x.ndim:
        raise IndexError(f"unsqueeze: dim {dim} is out of range for a {x.ndim}-d tensor")
    data = np.expand_dims(x, dim)
    return _result(data, (a,), lambda g: (g.reshape(x.shape),), "Unsqueeze")


@differentiable
def squeeze(a: Tensor, dim=None) -> Tensor:
    x = a._data
    axes = normalize_dims(dim, x.ndim, "squeeze")
    if axes is not None:
        axes = tuple(d for d in axes if x.shape[d] == 1)
    data = np.squeeze(x, axis=axes)
    return _result(data, (a,), lambda g: (g.reshape(x.shape),), "Squeeze")


@differentiable
def flatten(a: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    x = a._data
    if x.ndim == 0:
        return reshape(a, 1)
    start, end = (normalize_dims(d, x.ndim, "flatten")[0] for d in (start_dim, end_dim))
    shape = x.shape[:start] + (-1,) + x.shape[end + 1 :]
    return reshape(a, shape) if start <= end else reshape(a, x.shape)


@differentiable
def broadcast_to(a: Tensor, *shape) -> Tensor:
    x = a._data
    shape = _shape_arg(shape, "broadcast_to")
    # -1 keeps the existing size, as in PyTorch's expand
    offset = len(shape) - x.ndim
    if -1 in shape[: builtins.max(offset, 0)]:
        raise ValueError(f"broadcast_to: -1 is not allowed in a new leading dim, got {shape}")
    shape = tuple(x.shape[i - offset] if n == -1 else n for i, n in enumerate(shape))
    try:
        data = np.broadcast_to(x, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}") from None
    return _result(data, (a,), lambda g: (unbroadcast(g, x.shape),), "BroadcastTo")


@differentiable
def cat(tensors, dim: int = 0) -> Tensor:
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    arrays = [t._data for t in tensors]
    axis = normalize_dims(dim, arrays[0].ndim, "cat")[0]
    try:
        data = np.concatenate(arrays, axis=axis)
    except ValueError:
        raise ValueError(
            f"cat: shapes {[a.shape for a in arrays]} differ outside dim {dim}"
        ) from None
    cuts = np.cumsum([a.shape[axis] for a in arrays])[:-1]
    return _result(
        data, tuple(tensors), lambda g: tuple(np.split(g, cuts, axis=axis)), "Cat"
    )


@differentiable
def stack(tensors, dim: int = 0) -> Tensor:
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    arrays = [t._data for t in tensors]
    if not -arrays[0].ndim - 1 <= dim <= arrays[0].ndim:
        raise IndexError(f"stack: dim {dim} is out of range for {arrays[0].ndim}-d tensors")
    try:
        data = np.stack(arrays, axis=dim)
    except ValueError:
        raise ValueError(f"stack: all tensors need the same shape, got {[a.shape for a in arrays]}") from None
    n = len(arrays)
    return _result(
        data,
        tuple(tensors),
        lambda g: tuple(np.squeeze(p, axis=dim) for p in np.split(g, n, axis=dim)),
        "Stack",
    )


@differentiable
def contiguous(a: Tensor) -> Tensor:
    return _result(np.ascontiguousarray(a._data), (a,), lambda g: (g,), "Contiguous")


@differentiable
def clone(a: Tensor) -> Tensor:
    return _result(a._data.copy(), (a,), lambda g: (g,), "Clone")


def index_array(index):
    """A `__getitem__` index with Tensors/lists turned into numpy integer or bool arrays."""
    if isinstance(index, tuple):
        return tuple(index_array(i) for i in index)
    if isinstance(index, Tensor):
        index = index._data
    if isinstance(index, list):
        index = np.asarray(index)
    if isinstance(index, np.ndarray) and index.dtype.kind == "f":
        if not np.all(index == np.round(index)):
            raise IndexError("index tensor has non-integral values; expected integers")
        index = index.astype(np.int64)
    return index


def _is_basic(index) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(
        p is None or p is Ellipsis or isinstance(p, (slice, int, np.integer)) for p in parts
    )


@differentiable
def getitem(a: Tensor, index) -> Tensor:
    x = a._data
    index = index_array(index)
    try:
        data = x[index]
    except IndexError as e:
        raise IndexError(f"index into a tensor of shape {x.shape} failed: {e}") from None
    basic = _is_basic(index)

    def backward(g):
        full = np.zeros(x.shape, dtype=g.dtype)
        if basic:
            full[index] = g
        else:
            np.add.at(full, index, g)  # repeated indices accumulate
        return (full,)

    return _result(np.asarray(data) if basic else data, (a,), backward, "Index")
