"""Ops that move values without changing them: reshape, transpose, cat, indexing, ..."""

from __future__ import annotations

import numpy as np

from ...tensor import Tensor
from .core import _result, differentiable, normalize_dims, unbroadcast


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
    if not all(-x.ndim <= d < x.ndim for d in dims) or sorted(
        d % max(x.ndim, 1) for d in dims
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
    if -1 in shape[: max(offset, 0)]:
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
