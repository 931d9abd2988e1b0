"""The dtypes a Tensor may have, and turning user spellings of them into numpy dtypes."""

from __future__ import annotations

from typing import Any

import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)
SUPPORTED_DTYPES = (float32, float64, int32, int64, bool_)


def as_dtype(dtype: Any) -> np.dtype:
    """`dtype` as a numpy dtype, or a TypeError naming the supported ones."""
    if dtype is bool:
        dtype = np.bool_
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved not in SUPPORTED_DTYPES:
        names = ", ".join(str(d) for d in SUPPORTED_DTYPES)
        raise TypeError(f"unsupported dtype {dtype!r}; supported dtypes are {names}")
    return resolved


def python_data_array(data: Any, dtype: Any) -> np.ndarray:
    """Nested lists / Python numbers as an array: float32 unless `dtype` says otherwise.

    Only numbers (and bools) are accepted: strings, None or other objects inside the data
    are a TypeError, as in PyTorch (numpy would parse "3.5" or turn None into nan).
    """
    try:
        array = np.asarray(data)
    except ValueError as e:  # ragged nesting
        raise TypeError(f"Tensor() cannot be built from {type(data).__name__}: {e}") from None
    if isinstance(data, (str, bytes)):
        raise TypeError(f"Tensor() needs numbers (or nested lists of numbers), got {data!r}")
    if array.dtype.kind not in "biuf":
        bad = _first_non_number(array)
        raise TypeError(
            f"Tensor() needs numbers (or nested lists of numbers), got {type(data).__name__}"
            f" containing {bad}"
        )
    target = float32 if dtype is None else as_dtype(dtype)
    return array if array.dtype == target else array.astype(target)


def _first_non_number(array: np.ndarray) -> str:
    if array.dtype.kind == "c":
        return "complex numbers (not supported)"
    for item in array.flat:
        if not isinstance(item, (bool, int, float, np.bool_, np.integer, np.floating)):
            value = item.item() if isinstance(item, np.generic) else item  # np.str_ -> str
            return f"{type(value).__name__} value {value!r}"
    return f"values of dtype {array.dtype}"
