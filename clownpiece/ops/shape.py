"""Ops that move values without changing them: reshape, transpose, cat, indexing, ..."""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import OpResult, differentiable, normalize_dims, one_dim, unbroadcast


def int_sizes(sizes: Any, name: str) -> tuple[int, ...]:
    """Sizes given as varargs `(2, 3)` or as one tuple/list `((2, 3),)`, checked to be ints."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    for n in sizes:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
            raise TypeError(f"{name}: sizes must be ints, got {sizes!r}")
    return tuple(int(n) for n in sizes)


@differentiable
def reshape(x: np.ndarray, *, shape: tuple) -> OpResult:
    if shape.count(-1) > 1:
        raise ValueError(f"reshape: only one dimension can be -1, got {shape}")
    try:
        out = x.reshape(shape)
    except ValueError:
        raise ValueError(
            f"reshape: cannot view a tensor of shape {x.shape} ({x.size} elements) as {shape}"
        ) from None
    return out, (lambda g: g.reshape(x.shape),)


@differentiable
def transpose(x: np.ndarray, *, dim0: int = -2, dim1: int = -1) -> OpResult:
    if x.ndim < 2:
        return x, (lambda g: g,)
    dim0, dim1 = one_dim(dim0, x.ndim, "transpose"), one_dim(dim1, x.ndim, "transpose")
    return x.swapaxes(dim0, dim1), (lambda g: g.swapaxes(dim0, dim1),)


@differentiable
def permute(x: np.ndarray, *, dims: tuple) -> OpResult:
    if sorted(d % max(x.ndim, 1) for d in dims if -x.ndim <= d < x.ndim) != list(range(x.ndim)):
        raise ValueError(f"permute: {dims} is not a permutation of the {x.ndim} dims of {x.shape}")
    inverse = np.argsort([d % x.ndim for d in dims])
    return np.transpose(x, dims), (lambda g: np.transpose(g, inverse),)


@differentiable
def unsqueeze(x: np.ndarray, *, dim: int) -> OpResult:
    if not -x.ndim - 1 <= dim <= x.ndim:
        raise IndexError(f"unsqueeze: dim {dim} is out of range for a {x.ndim}-d tensor")
    return np.expand_dims(x, int(dim)), (lambda g: g.reshape(x.shape),)


@differentiable
def squeeze(x: np.ndarray, *, dim=None) -> OpResult:
    axes = normalize_dims(dim, x.ndim, "squeeze")
    if axes is not None:
        axes = tuple(d for d in axes if x.shape[d] == 1)
    return np.squeeze(x, axis=axes), (lambda g: g.reshape(x.shape),)


@differentiable
def flatten(x: np.ndarray, *, start_dim: int = 0, end_dim: int = -1) -> OpResult:
    if x.ndim == 0:
        return reshape(x, shape=(1,))
    start, end = one_dim(start_dim, x.ndim, "flatten"), one_dim(end_dim, x.ndim, "flatten")
    if start > end:
        return reshape(x, shape=x.shape)
    return reshape(x, shape=x.shape[:start] + (-1,) + x.shape[end + 1 :])


@differentiable
def broadcast_to(x: np.ndarray, *, shape: tuple) -> OpResult:
    # -1 keeps the existing size, as in PyTorch's expand
    offset = len(shape) - x.ndim
    if -1 in shape[: max(offset, 0)]:
        raise ValueError(f"broadcast_to: -1 is not allowed in a new leading dim, got {shape}")
    shape = tuple(x.shape[i - offset] if n == -1 else n for i, n in enumerate(shape))
    try:
        out = np.broadcast_to(x, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}") from None
    return out, (lambda g: unbroadcast(g, x.shape),)


@differentiable
def cat(*xs: np.ndarray, dim: int = 0) -> OpResult:
    if not xs:
        raise ValueError("cat: expected a non-empty sequence of tensors")
    axis = one_dim(dim, np.ndim(xs[0]), "cat")
    try:
        out = np.concatenate(xs, axis=axis)
    except ValueError:
        raise ValueError(
            f"cat: shapes {[np.shape(x) for x in xs]} differ outside dim {dim}"
        ) from None
    ends = np.cumsum([np.shape(x)[axis] for x in xs])

    def piece(start: int, stop: int):
        return lambda g: g[(slice(None),) * axis + (slice(start, stop),)]

    return out, tuple(piece(end - np.shape(x)[axis], end) for x, end in zip(xs, ends))


@differentiable
def stack(*xs: np.ndarray, dim: int = 0) -> OpResult:
    if not xs:
        raise ValueError("stack: expected a non-empty sequence of tensors")
    if not -np.ndim(xs[0]) - 1 <= dim <= np.ndim(xs[0]):
        raise IndexError(f"stack: dim {dim} is out of range for {np.ndim(xs[0])}-d tensors")
    try:
        out = np.stack(xs, axis=dim)
    except ValueError:
        raise ValueError(
            f"stack: all tensors need the same shape, got {[np.shape(x) for x in xs]}"
        ) from None
    axis = dim % out.ndim

    def piece(i: int):
        return lambda g: g[(slice(None),) * axis + (i,)]

    return out, tuple(piece(i) for i in range(len(xs)))


@differentiable
def contiguous(x: np.ndarray) -> OpResult:
    return np.ascontiguousarray(x), (lambda g: g,)


@differentiable
def clone(x: np.ndarray) -> OpResult:
    return x.copy(), (lambda g: g,)


def index_array(index: Any) -> Any:
    """A `__getitem__` index with tensors and lists turned into numpy int or bool arrays."""
    if isinstance(index, tuple):
        return tuple(index_array(i) for i in index)
    if index is None or index is Ellipsis or isinstance(index, (slice, int, np.integer)):
        return index
    index = np.asarray(index)  # lists, numpy arrays, and tensors (through __array__)
    if index.dtype.kind == "f":
        if not np.all(index == np.round(index)):
            raise IndexError("index tensor has non-integral values; expected integers")
        index = index.astype(np.int64)
    return index


def is_basic(index: Any) -> bool:
    """True for an index of ints, slices, None and ... only (no repeated elements)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (slice, int, np.integer)) for p in parts)


@differentiable
def getitem(x: np.ndarray, *, index: Any) -> OpResult:
    """`x[index]`; `index` as made by `index_array`."""
    try:
        out = x[index]
    except IndexError as e:
        raise IndexError(f"index into a tensor of shape {x.shape} failed: {e}") from None
    basic = is_basic(index)

    def grad_x(g):
        full = np.zeros_like(x, dtype=g.dtype)  # in x's memory order: later reshapes stay views
        if basic:
            full[index] = g
        else:
            np.add.at(full, index, g)  # repeated indices accumulate
        return full

    return np.asarray(out) if basic else out, (grad_x,)
