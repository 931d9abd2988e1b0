"""Mini-batches of Tensors, shuffled by the package generator so `manual_seed` fixes them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import rng
from ..tensor import Tensor
from .split import check_same_rows


def batch_dtype(a: np.ndarray) -> np.dtype:
    """The dtype a batch of `a` gets: floats become float32, integers int64, bools stay."""
    if a.dtype.kind == "f":
        return np.dtype(np.float32)
    if a.dtype.kind in "iu":
        return np.dtype(np.int64)
    if a.dtype.kind == "b":
        return np.dtype(np.bool_)
    raise TypeError(
        f"batches: unsupported array dtype {a.dtype}; expected floats, integers or bools"
    )


def batches(
    *arrays: Any, batch_size: int, shuffle: bool = True, drop_last: bool = False
) -> Iterator[tuple[Tensor, ...]]:
    """Yield tuples of Tensor mini-batches, one Tensor per array (a 1-tuple for one array).

    Floats become float32, integers int64. With `shuffle` the row order is drawn from the
    package generator when `batches` is called, so `clownpiece.manual_seed` makes it
    reproducible. Each epoch visits every row once; the last batch is smaller unless
    `drop_last`.
    """
    if (
        not isinstance(batch_size, (int, np.integer))
        or isinstance(batch_size, bool)
        or batch_size < 1
    ):
        raise ValueError(f"batches: batch_size must be a positive int, got {batch_size!r}")
    arrays_ = check_same_rows(arrays, "batches")
    arrays_ = [a.astype(batch_dtype(a), copy=False) for a in arrays_]
    n = len(arrays_[0])
    order = rng.generator().permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n

    def generate() -> Iterator[tuple[Tensor, ...]]:
        for start in range(0, stop, batch_size):
            rows = order[start : start + batch_size]
            yield tuple(Tensor(a[rows]) for a in arrays_)

    return generate()
