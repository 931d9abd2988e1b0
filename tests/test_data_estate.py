"""The synthetic real-estate set of chapter 8a (clownpiece.data.estate)."""

from __future__ import annotations

import numpy as np
import pytest

import clownpiece
from clownpiece import data


def r2(y: np.ndarray, pred: np.ndarray) -> float:
    y, pred = np.asarray(y, np.float64), np.asarray(pred, np.float64)
    return 1.0 - ((y - pred) ** 2).sum() / ((y - y.mean()) ** 2).sum()


def test_first_houses_of_seed_0():
    # Recorded from the single-file implementation (commit db77816) the chapters were run with.
    e = data.make_estate(3, seed=0)
    expected_features = np.array(
        [
            [138.2835, 1.3222108, 15.922167, 1.0, 1.0],
            [75.86374, 65.06162, 3.6529233, 6.0, 0.0],
            [36.9655, 73.02045, 3.9382677, 10.0, 0.0],
        ],
        np.float32,
    )
    np.testing.assert_array_equal(e.features, expected_features)
    np.testing.assert_array_equal(e.price, np.array([400.47974, 316.79218, 197.4234], np.float32))
    np.testing.assert_array_equal(
        e.noise_free_price, np.array([389.81857, 336.40704, 201.31181], np.float32)
    )


def test_estate_price_formula_by_hand():
    # area 100, age 0, distance 0, no stores, no yard: 5 * 100 * 2.0 * 1.0 = 1000 k€
    assert data.estate_price(100.0, 0.0, 0.0, 0.0, 0.0) == pytest.approx(1000.0)
    # a yard adds 30 + 0.4 * area; 3 stores add 80 * (1 - e^-1)
    with_yard = data.estate_price(100.0, 0.0, 0.0, 3.0, 1.0)
    assert with_yard == pytest.approx(1000.0 + 70.0 + 80.0 * (1 - np.exp(-1.0)))
    # far away and old: 5 * 50 * (0.35 + 1.65 e^-4) * (0.6 + 0.4 e^-2)
    far_old = data.estate_price(50.0, 40.0, 20.0, 0.0, 0.0)
    assert far_old == pytest.approx(250 * (0.35 + 1.65 * np.exp(-4)) * (0.6 + 0.4 * np.exp(-2)))


def test_estate_deterministic_per_seed():
    a, b, c = (data.make_estate(300, seed=s) for s in (1, 1, 2))
    np.testing.assert_array_equal(a.features, b.features)
    np.testing.assert_array_equal(a.price, b.price)
    assert not np.array_equal(a.features, c.features)
    assert not np.array_equal(a.price, c.price)


def test_estate_ignores_package_rng():
    clownpiece.manual_seed(0)
    a = data.make_estate(100)
    clownpiece.manual_seed(123)
    clownpiece.randn(10)
    np.testing.assert_array_equal(a.price, data.make_estate(100).price)


def test_estate_shapes_dtypes_ranges():
    e = data.make_estate(1000)
    assert e.features.shape == (1000, 5) and e.features.dtype == np.float32
    assert e.price.shape == (1000,) and e.price.dtype == np.float32
    assert e.noise_free_price.shape == (1000,) and e.noise_free_price.dtype == np.float32
    assert e.feature_names == ("area_m2", "age_years", "distance_km", "stores", "yard")
    area, age, dist, stores, yard = e.features.T
    assert area.min() >= 30 and area.max() <= 200
    assert age.min() >= 0 and age.max() <= 80
    assert dist.min() >= 0.3 and dist.max() <= 40
    assert np.all(stores == np.round(stores)) and stores.min() >= 0
    assert set(np.unique(yard)) == {0.0, 1.0}
    assert e.price.min() > 0
    quiet = data.make_estate(7, noise=0.0)
    np.testing.assert_array_equal(quiet.price, quiet.noise_free_price)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_estate_is_nonlinear_but_learnable(seed):
    e = data.make_estate(1000, seed=seed)
    z = (e.features - e.features.mean(0)) / e.features.std(0)
    design = np.c_[z, np.ones(len(z))].astype(np.float64)
    coef = np.linalg.lstsq(design, e.price.astype(np.float64), rcond=None)[0]
    linear = r2(e.price, design @ coef)
    best = r2(e.price, e.noise_free_price)
    assert linear < 0.93, linear
    assert best > 0.96, best


@pytest.mark.parametrize(
    "bad, message",
    [
        (dict(n=0), "n must be a positive int, got 0"),
        (dict(n=2.5), "n must be a positive int, got 2.5"),
        (dict(n=True), "n must be a positive int, got True"),
        (dict(noise=-1.0), "noise must be >= 0, got -1.0"),
        (dict(noise=float("nan")), "noise must be >= 0, got nan"),
    ],
)
def test_estate_bad_arguments(bad, message):
    with pytest.raises(ValueError, match=f"make_estate: {message}"):
        data.make_estate(**bad)
