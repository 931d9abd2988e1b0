"""Sliding windows over images: unfold (im2col) and its adjoint fold (col2im).

Layouts as PyTorch's: `unfold` turns (N, C, H, W) into (N, C*kh*kw, L), one column per
window position (L of them, row-major); `fold` sums such columns back into (N, C, H, W).
Both loop over the kh*kw kernel offsets only, each one a strided slice of the whole batch.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .core import OpResult, differentiable

Pair = tuple[int, int]


def pair(value: Any, name: str, what: str, minimum: int) -> Pair:
    """An int or a pair of ints (numpy ints too) as a pair, each at least `minimum`."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(values) != 2 or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= minimum
        for v in values
    ):
        raise ValueError(
            f"{name}: {what} must be an int >= {minimum} or a pair of them, got {value!r}"
        )
    return int(values[0]), int(values[1])


def blocks(size: Pair, kernel: Pair, dilation: Pair, padding: Pair, stride: Pair) -> Pair:
    """How many window positions fit along height and width."""
    return tuple(  # type: ignore[return-value]
        (size[i] + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1
        for i in (0, 1)
    )


def window_slices(
    kernel: Pair, dilation: Pair, stride: Pair, count: Pair
) -> Iterator[tuple[int, int, slice, slice]]:
    """For each kernel offset (i, j): the rows and columns of the padded image it visits."""
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            top, left = i * dilation[0], j * dilation[1]
            rows = slice(top, top + stride[0] * (count[0] - 1) + 1, stride[0])
            cols = slice(left, left + stride[1] * (count[1] - 1) + 1, stride[1])
            yield i, j, rows, cols


def im2col(x: np.ndarray, kernel: Pair, dilation: Pair, padding: Pair, stride: Pair) -> np.ndarray:
    """(N, C, H, W) -> (N, C*kh*kw, L): the values each window position sees."""
    n, c, h, w = x.shape
    count = blocks((h, w), kernel, dilation, padding, stride)
    padded = np.pad(x, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    columns = np.empty((n, c, kernel[0], kernel[1], count[0], count[1]), dtype=x.dtype)
    for i, j, rows, cols in window_slices(kernel, dilation, stride, count):
        columns[:, :, i, j] = padded[:, :, rows, cols]
    return columns.reshape(n, c * kernel[0] * kernel[1], count[0] * count[1])


def col2im(
    columns: np.ndarray, size: Pair, kernel: Pair, dilation: Pair, padding: Pair, stride: Pair
) -> np.ndarray:
    """(N, C*kh*kw, L) -> (N, C, H, W): each column's values added back where they came from."""
    n = columns.shape[0]
    count = blocks(size, kernel, dilation, padding, stride)
    c = columns.shape[1] // (kernel[0] * kernel[1])
    patches = columns.reshape(n, c, kernel[0], kernel[1], count[0], count[1])
    height, width = size[0] + 2 * padding[0], size[1] + 2 * padding[1]
    padded = np.zeros((n, c, height, width), dtype=columns.dtype)
    for i, j, rows, cols in window_slices(kernel, dilation, stride, count):
        padded[:, :, rows, cols] += patches[:, :, i, j]
    return padded[:, :, padding[0] : height - padding[0], padding[1] : width - padding[1]].copy()


def geometry(
    name: str, kernel_size: Any, dilation: Any, padding: Any, stride: Any
) -> tuple[Pair, Pair, Pair, Pair]:
    return (
        pair(kernel_size, name, "kernel_size", 1),
        pair(dilation, name, "dilation", 1),
        pair(padding, name, "padding", 0),
        pair(stride, name, "stride", 1),
    )


def check_blocks(name: str, size: Pair, count: Pair, kernel: Pair, padding: Pair) -> None:
    if count[0] < 1 or count[1] < 1:
        raise ValueError(
            f"{name}: a kernel of size {kernel} (with dilation) does not fit in an image of "
            f"size {size} with padding {padding}"
        )


@differentiable
def unfold(x: np.ndarray, *, kernel_size, dilation=1, padding=0, stride=1) -> OpResult:
    """im2col of a batch (N, C, H, W) into (N, C*kh*kw, L)."""
    if np.ndim(x) != 4:
        raise ValueError(f"unfold: expected a 4-D input (N, C, H, W), got shape {np.shape(x)}")
    kernel, dilation, padding, stride = geometry("unfold", kernel_size, dilation, padding, stride)
    size = x.shape[2:]
    check_blocks("unfold", size, blocks(size, kernel, dilation, padding, stride), kernel, padding)
    out = im2col(x, kernel, dilation, padding, stride)
    return out, (lambda g: col2im(g, size, kernel, dilation, padding, stride),)


@differentiable
def fold(x: np.ndarray, *, output_size, kernel_size, dilation=1, padding=0, stride=1) -> OpResult:
    """col2im: columns (N, C*kh*kw, L) summed back into images (N, C, H, W)."""
    kernel, dilation, padding, stride = geometry("fold", kernel_size, dilation, padding, stride)
    size = pair(output_size, "fold", "output_size", 1)
    count = blocks(size, kernel, dilation, padding, stride)
    check_blocks("fold", size, count, kernel, padding)
    per_window = kernel[0] * kernel[1]
    if np.ndim(x) != 3 or x.shape[1] % per_window or x.shape[2] != count[0] * count[1]:
        raise ValueError(
            f"fold: expected input (N, C*{per_window}, {count[0] * count[1]}) for kernel "
            f"{kernel} and output size {size}, got shape {np.shape(x)}"
        )
    out = col2im(x, size, kernel, dilation, padding, stride)
    return out, (lambda g: im2col(g, kernel, dilation, padding, stride),)
