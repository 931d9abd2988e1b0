"""Bit-for-bit compatibility of clownpiece.data with the single-file implementation it replaced.

The fingerprints below were recorded from `clownpiece/data.py` at commit db77816, before it
was split into the `clownpiece.data` package; the stored chapters 8a/8b were executed with
that code, so the same seeds must still give the same houses, splits, batches and digits.
(They depend on numpy's PCG64 streams, as the chapters' stored outputs do.) Each test also
runs a plausible near-miss implementation and shows that the fingerprint catches it.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

import clownpiece
from clownpiece import data
from clownpiece.rng import generator


def fingerprint(*arrays: np.ndarray) -> str:
    """A short hash of the arrays' dtypes, shapes and bytes."""
    digest = hashlib.sha256()
    for a in arrays:
        a = np.ascontiguousarray(a)
        digest.update(f"{a.dtype.str}{a.shape}".encode())
        digest.update(a.tobytes())
    return digest.hexdigest()[:16]


ESTATE = {  # (n, noise, seed) -> fingerprint of features, price, noise_free_price
    (1000, 30.0, 0): "af31cac99cfd2b3c",
    (1000, 30.0, 1): "1c0406f459416dfb",
    (1000, 30.0, 2): "932c43cb65c1d165",
    (37, 0.0, 5): "18e3f67944b75fb5",
    (1, 30.0, 0): "467d9d6ce91f9754",
}


def estate_fingerprint(make=data.make_estate, n=1000, noise=30.0, seed=0) -> str:
    e = make(n, noise=noise, seed=seed)
    return fingerprint(e.features, e.price, e.noise_free_price)


@pytest.mark.parametrize("args", ESTATE, ids=str)
def test_make_estate_matches_the_old_implementation(args):
    assert estate_fingerprint(data.make_estate, *args) == ESTATE[args]


def test_estate_fingerprint_catches_a_changed_draw_order():
    def swapped_draws(n, noise=30.0, seed=0):  # draws age before area: same ranges, other houses
        g = np.random.default_rng(seed)
        age, area = g.uniform(0.0, 80.0, n), g.uniform(30.0, 200.0, n)
        distance = g.gamma(2.0, 4.0, n).clip(0.3, 40.0)
        stores = g.poisson(12.0 * np.exp(-distance / 5.0) + 0.5).astype(np.float64)
        yard = (g.random(n) < 0.15 + 0.6 * (1.0 - np.exp(-distance / 8.0))).astype(np.float64)
        clean = data.estate_price(area, age, distance, stores, yard)
        price = clean + g.normal(0.0, noise, n)
        features = np.stack([area, age, distance, stores, yard], axis=1).astype(np.float32)
        return data.Estate(features, price.astype(np.float32), (), clean.astype(np.float32))

    assert estate_fingerprint(swapped_draws) != ESTATE[(1000, 30.0, 0)]


SPLIT_ESTATE = "00903f8ca56ba2af"  # train_test_split(features, price, test_fraction=0.2, seed=0)
SPLIT_CLEAN = "c9061ba4e7b7eea2"  # train_test_split(features, noise_free_price, seed=0)
SPLIT_ODD = "bca1fd098413edeb"  # train_test_split(arange(37), (37, 2), test_fraction=0.3, seed=11)
STANDARDIZE_X = "0f6503247354aa24"  # standardize(x_train, x_test) of SPLIT_ESTATE
STANDARDIZE_Y = "ce493ff6073d9366"  # standardize(y_train[:, None], y_test[:, None])


def split_fingerprints(split=data.train_test_split, standardize=data.standardize) -> list[str]:
    e = data.make_estate(1000, seed=0)
    x_tr, x_te, y_tr, y_te = split(e.features, e.price, test_fraction=0.2, seed=0)
    odd = split(np.arange(37), np.arange(74).reshape(37, 2), test_fraction=0.3, seed=11)
    xz, xz_te, (x_mean, x_std) = standardize(x_tr, x_te)
    yz, yz_te, (y_mean, y_std) = standardize(y_tr[:, None], y_te[:, None])
    return [
        fingerprint(x_tr, x_te, y_tr, y_te),
        fingerprint(*split(e.features, e.noise_free_price, seed=0)),
        fingerprint(*odd),
        fingerprint(xz, xz_te, x_mean, x_std),
        fingerprint(yz, yz_te, y_mean, y_std),
    ]


GOLDEN_SPLITS = [SPLIT_ESTATE, SPLIT_CLEAN, SPLIT_ODD, STANDARDIZE_X, STANDARDIZE_Y]


def test_split_and_standardize_match_the_old_implementation():
    assert split_fingerprints() == GOLDEN_SPLITS


def test_split_fingerprints_catch_near_misses():
    def test_rows_last(*arrays, test_fraction=0.2, seed=0):  # same permutation, other end
        n = len(arrays[0])
        order = np.random.default_rng(seed).permutation(n)
        n_test = int(round(n * test_fraction))
        train, test = order[: n - n_test], order[n - n_test :]
        return [part for a in arrays for part in (np.asarray(a)[train], np.asarray(a)[test])]

    def sample_std(train, test):  # ddof=1 instead of the population std
        train, test = np.asarray(train, np.float64), np.asarray(test, np.float64)
        mean, std = train.mean(0), train.std(0, ddof=1)
        f32 = np.float32
        return (
            ((train - mean) / std).astype(f32),
            ((test - mean) / std).astype(f32),
            (
                mean.astype(f32),
                std.astype(f32),
            ),
        )

    got = split_fingerprints(split=test_rows_last)
    assert got[:3] != GOLDEN_SPLITS[:3]
    got = split_fingerprints(standardize=sample_std)
    assert got[:3] == GOLDEN_SPLITS[:3] and got[3] != STANDARDIZE_X and got[4] != STANDARDIZE_Y


BATCHES = {
    "epoch1": "ab79f3af2e0297a4",  # manual_seed(0); the standardized estate, batch_size=32
    "epoch2": "560a9420f9eeadcf",  # the next epoch, without reseeding
    "drop_last": "fa1904fcab818982",  # manual_seed(3); arange(23) and float, batch 5, drop_last
    "no_shuffle": "7d29dd9c5902b08f",  # int32 arange(23), batch 5, shuffle=False
    "rng_after": "c036b7814a7b1b22",  # clownpiece.randn(5) after all of the above
}


def batch_fingerprints(batches=data.batches) -> dict[str, str]:
    e = data.make_estate(1000, seed=0)
    x_tr, x_te, y_tr, y_te = data.train_test_split(e.features, e.price, seed=0)
    xz, yz = data.standardize(x_tr, x_te)[0], data.standardize(y_tr[:, None], y_te[:, None])[0]

    def epoch(*arrays, **kwargs) -> str:
        return fingerprint(*[t.numpy() for b in batches(*arrays, **kwargs) for t in b])

    clownpiece.manual_seed(0)
    out = {"epoch1": epoch(xz, yz, batch_size=32), "epoch2": epoch(xz, yz, batch_size=32)}
    clownpiece.manual_seed(3)
    out["drop_last"] = epoch(np.arange(23), np.arange(23.0), batch_size=5, drop_last=True)
    ints = np.arange(23, dtype=np.int32)
    out["no_shuffle"] = epoch(ints, batch_size=5, shuffle=False)
    out["rng_after"] = fingerprint(clownpiece.randn(5).numpy())
    return out


def test_batches_match_the_old_implementation():
    assert batch_fingerprints() == BATCHES


def test_batch_fingerprints_catch_another_shuffle():
    def choice_order(*arrays, batch_size, shuffle=True, drop_last=False):
        arrays = [np.asarray(a) for a in arrays]
        arrays = [a.astype(np.float32 if a.dtype.kind == "f" else np.int64) for a in arrays]
        n = len(arrays[0])
        order = generator().choice(n, n, replace=False) if shuffle else np.arange(n)
        stop = n - n % batch_size if drop_last else n
        for start in range(0, stop, batch_size):
            rows = order[start : start + batch_size]
            yield tuple(clownpiece.Tensor(a[rows]) for a in arrays)

    got = batch_fingerprints(choice_order)
    assert got["epoch1"] != BATCHES["epoch1"] and got["no_shuffle"] == BATCHES["no_shuffle"]


DIGITS = "5799c97b6c540ff1"  # load_digits(): images, labels
DIGITS_SPLIT = "7305e03e63c7a39e"  # train_test_split(images.reshape(n, -1), labels, seed=0)


def digits_fingerprints(digits: data.Digits) -> tuple[str, str]:
    flat = digits.images.reshape(len(digits.images), -1)
    return fingerprint(*digits), fingerprint(*data.train_test_split(flat, digits.labels, seed=0))


def test_digits_match_the_old_implementation():
    pytest.importorskip("sklearn")
    assert digits_fingerprints(data.load_digits()) == (DIGITS, DIGITS_SPLIT)


def test_digits_fingerprint_catches_int32_labels():
    pytest.importorskip("sklearn")
    images, labels = data.load_digits()
    assert digits_fingerprints(data.Digits(images, labels.astype(np.int32)))[0] != DIGITS
