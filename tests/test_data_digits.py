"""scikit-learn's bundled 8×8 digits (clownpiece.data.digits)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from clownpiece import data


def test_load_digits():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    images, labels = data.load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.float32
    assert images.min() == 0.0 and images.max() == 1.0
    assert labels.shape == (1797,) and labels.dtype == np.int64
    assert np.bincount(labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    raw = sklearn_datasets.load_digits()
    np.testing.assert_array_equal(images * 16, raw.images)  # /16 is exact in float32
    assert images[0, 0].tolist() == [0.0, 0.0, 0.3125, 0.8125, 0.5625, 0.0625, 0.0, 0.0]


def test_load_digits_without_sklearn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(
        ImportError, match="load_digits needs scikit-learn.*pip install scikit-learn"
    ):
        data.load_digits()
