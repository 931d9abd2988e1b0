"""Seeded train/test split and standardisation (clownpiece.data.split)."""

from __future__ import annotations

import numpy as np
import pytest

import clownpiece
from clownpiece import data


def test_split_of_ten_rows_seed_0():
    # The permutation of np.random.default_rng(0) over 10 rows is 4 6 2 7 3 5 9 0 8 1:
    # the first 30 % of it is the test part, the rest (in that order) the train part.
    x_tr, x_te, y_tr, y_te = data.train_test_split(
        np.arange(10), np.arange(10) * 10, test_fraction=0.3, seed=0
    )
    assert x_te.tolist() == [4, 6, 2] and x_tr.tolist() == [7, 3, 5, 9, 0, 8, 1]
    assert y_te.tolist() == [40, 60, 20] and y_tr.tolist() == [70, 30, 50, 90, 0, 80, 10]


def test_split_partitions_rows_consistently():
    x = np.arange(50).reshape(25, 2)
    y = np.arange(25)
    x_tr, x_te, y_tr, y_te = data.train_test_split(x, y, test_fraction=0.2, seed=3)
    assert len(x_te) == len(y_te) == 5 and len(x_tr) == len(y_tr) == 20
    np.testing.assert_array_equal(x_tr[:, 0] // 2, y_tr)
    np.testing.assert_array_equal(x_te[:, 0] // 2, y_te)
    assert sorted(np.r_[y_tr, y_te]) == list(range(25))
    again = data.train_test_split(x, y, test_fraction=0.2, seed=3)
    np.testing.assert_array_equal(again[3], y_te)
    assert not np.array_equal(data.train_test_split(x, y, seed=4)[3], y_te)


def test_split_accepts_tensors_and_rounds_the_test_size():
    x_tr, x_te = data.train_test_split(clownpiece.arange(7), test_fraction=0.25)
    assert isinstance(x_tr, np.ndarray) and len(x_te) == 2 and len(x_tr) == 5  # round(1.75)


def test_split_errors():
    with pytest.raises(ValueError, match=r"train_test_split: .*lengths \[3, 4\]"):
        data.train_test_split(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match=r"test_fraction must be in \(0, 1\), got 1.0"):
        data.train_test_split(np.zeros(10), test_fraction=1.0)
    with pytest.raises(ValueError, match="2 rows with test_fraction=0.1 leave an empty"):
        data.train_test_split(np.zeros(2), test_fraction=0.1)
    with pytest.raises(ValueError, match="train_test_split: expected at least one array"):
        data.train_test_split()
    with pytest.raises(ValueError, match="at least one dimension"):
        data.train_test_split(np.float32(3.0))


def test_standardize_by_hand():
    train = np.array([[1.0, 5.0], [3.0, 5.0]])  # column 0: mean 2, std 1; column 1 constant
    test = np.array([[4.0, 7.0]])
    tz, sz, (mean, std) = data.standardize(train, test)
    np.testing.assert_array_equal(tz, np.array([[-1.0, 0.0], [1.0, 0.0]], np.float32))
    np.testing.assert_array_equal(sz, np.array([[2.0, 2.0]], np.float32))
    np.testing.assert_array_equal(mean, np.array([2.0, 5.0], np.float32))
    np.testing.assert_array_equal(std, np.array([1.0, 1.0], np.float32))


def test_standardize_fits_on_train_only():
    g = np.random.default_rng(0)
    train, test = g.normal(5, 3, (200, 3)), g.normal(7, 2, (50, 3))
    train[:, 2] = 4.0  # constant column
    tz, sz, (mean, std) = data.standardize(train, test)
    assert tz.dtype == sz.dtype == mean.dtype == std.dtype == np.float32
    np.testing.assert_allclose(tz[:, :2].mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(tz[:, :2].std(0), 1, atol=1e-5)
    np.testing.assert_allclose(mean, train.mean(0), rtol=1e-6)
    np.testing.assert_allclose(sz, (test - train.mean(0)) / std, rtol=1e-4, atol=1e-5)
    assert std[2] == 1.0 and np.all(tz[:, 2] == 0)
    ty, sy, _ = data.standardize(np.arange(4.0), np.arange(2.0))  # 1-D targets work too
    assert ty.shape == (4,) and sy.shape == (2,)
