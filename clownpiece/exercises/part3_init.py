"""Part 3 checks, the initialisers, judged as the course does: 1000 draws of a 10x20 tensor,
the empirical CDF of all values against the target CDF, RMS gap over mean +- 3 std.

Each check runs with fixed seeds (clownpiece's, numpy's and Python's generators), so its
verdict is the same every run whichever generator the student's code draws from.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .. import manual_seed
from ..tensor import Tensor
from .catalog import graded
from .expect import array, expect, expect_raises, fail, need, need_any


def _uniform_cdf(a: float, b: float) -> Callable:
    return lambda x: np.clip((x - a) / (b - a), 0.0, 1.0)


def _normal_cdf(std: float) -> Callable:
    erf = np.vectorize(math.erf)
    return lambda x: 0.5 * (1 + erf(x / (std * math.sqrt(2))))


class InitTarget(NamedTuple):
    """How a random init is called in its check, and the distribution it must produce."""

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
    "uniform_": InitTarget(
        {"low": -2.0, "high": 1.0}, -0.5, math.sqrt(9 / 12), _uniform_cdf(-2.0, 1.0)
    ),
    "normal_": InitTarget({"mean": 0.0, "std": 2.0}, 0.0, 2.0, _normal_cdf(2.0)),
    "xavier_uniform_": InitTarget(
        {"gain": 1.5}, 0.0, _XAVIER_STD, _uniform_cdf(-_XAVIER_BOUND, _XAVIER_BOUND)
    ),
    "xavier_normal_": InitTarget({"gain": 1.5}, 0.0, _XAVIER_STD, _normal_cdf(_XAVIER_STD)),
    "kaiming_uniform_": InitTarget(
        {"a": math.sqrt(5)},
        0.0,
        _SQRT5_GAIN / math.sqrt(_FAN_IN),
        _uniform_cdf(-_KAIMING_BOUND, _KAIMING_BOUND),
    ),
    "kaiming_normal_": InitTarget(
        {"mode": "fan_out", "nonlinearity": "relu"}, 0.0, _KAIMING_STD, _normal_cdf(_KAIMING_STD)
    ),
}
CDF_THRESHOLD = 0.005  # correct inits give <= 0.0011, a 5% wrong std >= 0.0076 (tests)


def empirical_cdf(samples: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """The fraction of `samples` that are <= each grid point."""
    return np.searchsorted(np.sort(samples.ravel()), grid, side="right") / samples.size


def cdf_distance(samples: np.ndarray, target: InitTarget) -> float:
    """RMS gap between the empirical CDF of `samples` and the target CDF on `target.grid()`."""
    grid = target.grid()
    return float(np.sqrt(np.mean((empirical_cdf(samples, grid) - target.cdf(grid)) ** 2)))


def draw(fn: Callable, kwargs: dict, times: int = 1000, shape: tuple = (10, 20)) -> np.ndarray:
    """`times` fresh weights (leaves that require grad) each initialised by `fn(t, **kwargs)`."""
    out = np.empty((times,) + shape)
    for i in range(times):
        t = Tensor.empty(shape, requires_grad=True)
        fn(t, **kwargs)
        out[i] = array(t, "the initialised tensor")
    return out


def _in_place(fn: Callable, args: tuple, kwargs: dict) -> Tensor:
    """Run `fn` on a (10, 20) leaf that requires grad, checking it worked in place."""
    t = Tensor.full((10, 20), 9.0, requires_grad=True)
    storage = t.numpy()
    out = fn(t, *args, **kwargs)
    expect(out is t, f"returned {type(out).__name__}, expected the tensor it was given")
    expect(np.shares_memory(t.numpy(), storage), "must write into the tensor's own storage")
    expect(
        t.grad_fn is None and t.requires_grad,
        "must not record a graph or drop requires_grad (write under no_grad)",
    )
    return t


def _random_checks(name: str) -> None:
    target = INIT_TARGETS[name]

    @graded("init", f"{name}: in place, returns the tensor, no graph")
    def in_place(nn: Any) -> None:
        t = _in_place(need(nn, f"init.{name}"), (), target.kwargs)
        expect(not np.all(array(t, "tensor") == 9.0), "the values were not changed")

    @graded("init", f"{name}: CDF matches the target (1000 x 10x20)")
    def distribution(nn: Any) -> None:
        distance = cdf_distance(draw(need(nn, f"init.{name}"), target.kwargs), target)
        expect(
            distance < CDF_THRESHOLD,
            f"CDF distance {distance:.4f} >= {CDF_THRESHOLD} for {name}(t, "
            + ", ".join(
                f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v!r}"
                for k, v in target.kwargs.items()
            )
            + ")",
        )

    @graded("init", f"{name}: reproducible with clownpiece.manual_seed")
    def reproducible(nn: Any) -> None:
        fn, values = need(nn, f"init.{name}"), []
        for _ in range(2):
            manual_seed(7)
            t = Tensor.empty((10, 20), requires_grad=True)
            fn(t, **target.kwargs)
            values.append(array(t, "tensor").copy())
        expect(
            np.array_equal(values[0], values[1]),
            "the same clownpiece.manual_seed gave different values (draw with the tensor's "
            "uniform_/normal_, which use clownpiece's generator)",
        )


for _name in INIT_TARGETS:
    _random_checks(_name)


def _constant_check(label: str, names: tuple, args: tuple, value: float) -> None:
    @graded("init", f"{label}: fills every element with {value:g}, in place")
    def constant(nn: Any) -> None:
        t = _in_place(need_any(nn, "init", *names), args, {})
        got = array(t, "tensor")
        expect(
            np.all(got == value), f"values {np.unique(got)[:4].tolist()}, expected all {value:g}"
        )


_constant_check("constant_", ("constant_", "constants_", "consants_"), (2.5,), 2.5)
_constant_check("zeros_", ("zeros_",), (), 0.0)
_constant_check("ones_", ("ones_",), (), 1.0)

_GAINS = [
    (("linear",), 1.0),
    (("sigmoid",), 1.0),
    (("tanh",), 5 / 3),
    (("relu",), math.sqrt(2)),
    (("leaky_relu", 0.2), math.sqrt(2 / (1 + 0.2**2))),
    (("leaky_relu",), math.sqrt(2)),
    (("selu",), 3 / 4),
]


@graded("init", "calculate_gain: the course's table")
def gains(nn: Any) -> None:
    gain = need_any(nn, "init", "calculate_gain", "calcuate_gain")
    for args, want in _GAINS:
        got = gain(*args)
        if not isinstance(got, (int, float)) or not math.isclose(got, want, rel_tol=1e-6):
            fail(f"calculate_gain{args!r} returned {got!r}, expected {want:.6g}")


@graded("init", "calculate_gain: an unknown name raises")
def unknown_gain(nn: Any) -> None:
    gain = need_any(nn, "init", "calculate_gain", "calcuate_gain")
    expect_raises((KeyError, ValueError), lambda: gain("swish"), "calculate_gain('swish')")
