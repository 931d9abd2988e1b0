"""Validating integer indices (Embedding lookups, cross-entropy targets) before they are used."""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor


class NonIntegralIndexError(TypeError, ValueError):
    """Float indices with a fractional part: a wrong kind of value (TypeError or ValueError)."""


def integer_indices(values, size: int, owner: object, noun: str) -> np.ndarray:
    """`values` as int64 indices in [0, size); integral floats are accepted, nothing else.

    `owner` (a module or a name, formatted only on error) and `noun` ("index", "target")
    make the messages specific.
    """
    array = values.numpy() if isinstance(values, Tensor) else np.asarray(values)
    if array.dtype.kind == "f":
        if not np.all(array == np.round(array)):
            raise NonIntegralIndexError(
                f"{owner} needs integer {noun} values, got non-integral floats"
            )
    elif array.dtype.kind not in "iu":
        raise TypeError(f"{owner} needs integer {noun} values, got dtype {array.dtype}")
    if array.size and (array.min() < 0 or array.max() >= size):
        bad = array[(array < 0) | (array >= size)].reshape(-1)[0]
        raise IndexError(f"{owner}: {noun} {bad:g} is out of range [0, {size})")
    return array.astype(np.int64, copy=False)
