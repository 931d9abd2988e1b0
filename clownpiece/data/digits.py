"""Handwritten 8×8 digits: scikit-learn's bundled copy, so the book trains offline."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Digits(NamedTuple):
    images: np.ndarray  # float32 (n, 8, 8) in [0, 1]
    labels: np.ndarray  # int64 (n,) in 0..9


def load_digits() -> Digits:
    """scikit-learn's 1797 handwritten 8×8 digits, pixels scaled from 0..16 to [0, 1]."""
    try:
        from sklearn.datasets import load_digits as _sk_load_digits  # type: ignore[import-untyped]
    except ImportError as e:
        raise ImportError(
            "clownpiece.data.load_digits needs scikit-learn, which ships the digits "
            "offline: pip install scikit-learn"
        ) from e
    d = _sk_load_digits()
    return Digits((d.images / 16.0).astype(np.float32), d.target.astype(np.int64))
