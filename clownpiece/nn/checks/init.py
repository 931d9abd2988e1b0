"""Checks for the initialisers: each random init's empirical CDF against its target."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from ... import rng
from ...checking import CheckReport
from ...tensor import Tensor
from ..module import Parameter

# ---------------------------------------------------------------------------- init

def _uniform_cdf(a: float, b: float) -> Callable:
    return lambda x: np.clip((x - a) / (b - a), 0.0, 1.0)


def _normal_cdf(std: float) -> Callable:
    erf = np.vectorize(math.erf)
    return lambda x: 0.5 * (1 + erf(x / (std * math.sqrt(2))))


class InitTarget(NamedTuple):
    """How `check_init` calls one random init, and the distribution it must produce."""

    kwargs: dict
    mean: float
    std: float
    cdf: Callable

    def grid(self) -> np.ndarray:
        """601 points over mean ± 3 std, where the CDFs are compared (tails clipped off)."""
        return np.linspace(self.mean - 3 * self.std, self.mean + 3 * self.std, 601)


_FAN_IN, _FAN_OUT = 20, 10  # a (10, 20) weight
_SQRT5_GAIN = math.sqrt(2 / (1 + 5))  # kaiming with a = sqrt(5), nonlinearity leaky_relu
_XAVIER_STD = 1.5 * math.sqrt(2 / (_FAN_IN + _FAN_OUT))
_XAVIER_BOUND = 1.5 * math.sqrt(6 / (_FAN_IN + _FAN_OUT))
_KAIMING_BOUND = _SQRT5_GAIN * math.sqrt(3 / _FAN_IN)
_KAIMING_STD = math.sqrt(2 / _FAN_OUT)
INIT_TARGETS: dict[str, InitTarget] = {
    "uniform_": InitTarget({"low": -2.0, "high": 1.0}, -0.5, math.sqrt(9 / 12), _uniform_cdf(-2.0, 1.0)),
    "normal_": InitTarget({"mean": 0.0, "std": 2.0}, 0.0, 2.0, _normal_cdf(2.0)),
    "xavier_uniform_": InitTarget(
        {"gain": 1.5}, 0.0, _XAVIER_STD, _uniform_cdf(-_XAVIER_BOUND, _XAVIER_BOUND)
    ),
    "xavier_normal_": InitTarget({"gain": 1.5}, 0.0, _XAVIER_STD, _normal_cdf(_XAVIER_STD)),
    "kaiming_uniform_": InitTarget(
        {"a": math.sqrt(5)}, 0.0, _SQRT5_GAIN / math.sqrt(_FAN_IN),
        _uniform_cdf(-_KAIMING_BOUND, _KAIMING_BOUND),
    ),
    "kaiming_normal_": InitTarget(
        {"mode": "fan_out", "nonlinearity": "relu"}, 0.0, _KAIMING_STD, _normal_cdf(_KAIMING_STD)
    ),
}
CDF_THRESHOLD = 0.005  # correct impls give <= 0.001, a 5% wrong std >= 0.0076 (tests/test_init.py)


def empirical_cdf(samples: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """The fraction of `samples` that are <= each grid point."""
    return np.searchsorted(np.sort(samples.ravel()), grid, side="right") / samples.size


def cdf_distance(samples: np.ndarray, target: InitTarget) -> float:
    """RMS gap between the empirical CDF of `samples` and the target CDF on `target.grid()`."""
    grid = target.grid()
    return float(np.sqrt(np.mean((empirical_cdf(samples, grid) - target.cdf(grid)) ** 2)))


def draw(fn: Callable, kwargs: dict, times: int = 1000, shape: tuple = (10, 20)) -> np.ndarray:
    """`times` fresh (10, 20) Parameters each initialised by `fn(t, **kwargs)`, stacked."""
    out = np.empty((times,) + shape)
    for i in range(times):
        t = Parameter(Tensor.empty(shape))
        fn(t, **kwargs)
        out[i] = t._data
    return out


def check_init(fn_name: str, fn: Callable) -> CheckReport:
    """Run the checks for one init function (`fn_name` as in clownpiece.nn.init)."""
    rep = CheckReport(f"check_init({fn_name})")
    if fn_name in ("constant_", "consants_", "constants_", "zeros_", "ones_"):
        value = {"zeros_": 0.0, "ones_": 1.0}.get(fn_name, 2.5)
        args = () if fn_name in ("zeros_", "ones_") else (value,)
        kwargs: dict = {}
    elif fn_name in INIT_TARGETS:
        kwargs, args = INIT_TARGETS[fn_name].kwargs, ()
    else:
        raise ValueError(f"check_init: unknown init {fn_name!r}; choices: {sorted(INIT_TARGETS)} and constants")

    def in_place():
        t = Parameter(Tensor.full((10, 20), 9.0))
        storage = t._data
        out = fn(t, *args, **kwargs)
        assert out is t, "must return the tensor it was given"
        assert t._data is storage or np.shares_memory(t._data, storage), "must write in place"
        assert t.grad_fn is None and t.requires_grad, "must not record a graph or drop requires_grad"

    rep.run("in place on a Parameter, returns it, no graph", in_place)
    if fn_name not in INIT_TARGETS:
        def values():
            t = fn(Parameter(Tensor.full((10, 20), 9.0)), *args, **kwargs)
            assert np.all(t._data == value), f"expected every element to be {value}"

        rep.run(f"every element equals {value}", values)
        return rep

    def distribution():
        rng.manual_seed(0)
        dist = cdf_distance(draw(fn, kwargs), INIT_TARGETS[fn_name])
        assert dist < CDF_THRESHOLD, f"CDF distance {dist:.4f} >= {CDF_THRESHOLD}"

    def reproducible():
        rng.manual_seed(7)
        a = fn(Parameter(Tensor.empty(10, 20)), **kwargs)._data.copy()
        rng.manual_seed(7)
        b = fn(Parameter(Tensor.empty(10, 20)), **kwargs)._data
        assert np.array_equal(a, b), "same seed gave different values (use clownpiece's RNG)"

    def not_constant():
        t = fn(Parameter(Tensor.zeros(10, 20)), **kwargs)
        assert len(np.unique(t._data)) > 100, "values are not random"

    rep.run("empirical CDF matches the target (1000 x 10x20)", distribution)
    rep.run("reproducible with clownpiece.manual_seed", reproducible)
    rep.run("values differ (symmetry broken)", not_constant)
    return rep
