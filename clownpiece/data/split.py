"""Preparing arrays for training: a seeded train/test split and standardisation."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor


def check_same_rows(arrays: tuple, who: str) -> list[np.ndarray]:
    """The arrays as numpy arrays (Tensors via `.numpy()`), checked to share a first dimension.

    `who` names the caller in the error messages."""
    if not arrays:
        raise ValueError(f"{who}: expected at least one array")
    out = [a.numpy() if isinstance(a, Tensor) else np.asarray(a) for a in arrays]
    if any(a.ndim == 0 for a in out):
        raise ValueError(f"{who}: arrays must have at least one dimension")
    lengths = [len(a) for a in out]
    if len(set(lengths)) > 1:
        raise ValueError(f"{who}: arrays must have the same first dimension, got lengths {lengths}")
    return out


def train_test_split(*arrays: Any, test_fraction: float = 0.2, seed: int = 0) -> list[np.ndarray]:
    """Shuffle rows with `np.random.default_rng(seed)` and split every array the same way.

    Returns `[a_train, a_test, b_train, b_test, ...]` (as scikit-learn does).
    """
    arrays_ = check_same_rows(arrays, "train_test_split")
    n = len(arrays_[0])
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(
            f"train_test_split: test_fraction must be in (0, 1), got {test_fraction!r}"
        )
    n_test = int(round(n * test_fraction))
    if not 0 < n_test < n:
        raise ValueError(
            f"train_test_split: {n} rows with test_fraction={test_fraction} "
            f"leave an empty train or test part"
        )
    order = np.random.default_rng(seed).permutation(n)
    test, train = order[:n_test], order[n_test:]
    out: list[np.ndarray] = []
    for a in arrays_:
        out += [a[train], a[test]]
    return out


def standardize(
    train: Any, test: Any
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """`(train - mean) / std` and `(test - mean) / std` with mean and std (per column) fitted
    on `train` only. Constant columns get std 1. Returns `(train_z, test_z, (mean, std))`,
    all float32."""
    train, test = np.asarray(train, dtype=np.float64), np.asarray(test, dtype=np.float64)
    mean, std = train.mean(axis=0), train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    f32 = np.float32
    return (
        ((train - mean) / std).astype(f32),
        ((test - mean) / std).astype(f32),
        (mean.astype(f32), std.astype(f32)),
    )
