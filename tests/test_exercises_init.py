"""The init checks judge distributions as the course does, deterministically: a correct
package passes under 30 different seeds, a 5% error in the std fails, and a student who draws
from Python's or numpy's generator gets the same verdict every run (and is told to use
clownpiece's generator for reproducibility)."""

import math
import random
import time

import numpy as np
import pytest
from student_packages import SOLUTION

import clownpiece as cp
from clownpiece import nn
from clownpiece.exercises import (
    CDF_THRESHOLD,
    INIT_TARGETS,
    Namespace,
    cdf_distance,
    draw,
    run,
)
from clownpiece.exercises.checking import student_subject

RANDOM = list(INIT_TARGETS)
ROWS_PER_RANDOM_INIT = [
    "in place, returns the tensor, no graph",
    "CDF matches the target (1000 x 10x20)",
    "reproducible with clownpiece.manual_seed",
]


def with_init(**functions):
    return Namespace(nn, init=Namespace(nn.init, **functions))


def test_reference_init_passes_every_check():
    report = run("init", nn)
    report.assert_ok()
    assert report.total == 3 * len(RANDOM) + 3 + 2


@pytest.mark.parametrize("name", RANDOM)
def test_cdf_distance_separates_correct_from_wrong_std(name):
    target = INIT_TARGETS[name]
    cp.manual_seed(3)
    x = draw(getattr(nn.init, name), target.kwargs)
    assert cdf_distance(x, target) < 0.0012  # the noise level, well below the threshold
    for factor in (0.95, 1.05):
        stretched = target.mean + (x - target.mean) * factor
        assert cdf_distance(stretched, target) > CDF_THRESHOLD


def test_a_correct_package_passes_under_30_seeds():
    subject = student_subject("nn", SOLUTION)
    start = time.perf_counter()
    for seed in range(30):
        report = run("init", subject, base_seed=seed)
        assert report, (seed, report.failed)
    assert time.perf_counter() - start < 60


def test_skeleton_functions_and_a_wrong_formula_fail():
    skeleton = lambda tensor, *args, **kwargs: None  # noqa: E731 (returns nothing, like `pass`)
    report = run("init", with_init(**{name: skeleton for name in RANDOM + ["zeros_"]}))
    failed = set(report.failed)
    for name in RANDOM:
        assert {f"{name}: {row}" for row in ROWS_PER_RANDOM_INIT} <= failed
    assert "zeros_: fills every element with 0, in place" in failed

    def xavier_with_fan_in_only(tensor, gain=1.0):
        bound = gain * math.sqrt(6 / tensor.shape[-1])
        return nn.init.uniform_(tensor, -bound, bound)

    report = run("init", with_init(xavier_uniform_=xavier_with_fan_in_only))
    assert report.failed == ["xavier_uniform_: CDF matches the target (1000 x 10x20)"]
    assert (
        report.reasons[report.failed[0]]
        == "CDF distance 0.0447 >= 0.005 for xavier_uniform_(t, gain=1.5)"
    )


def python_random_normal(tensor, mean=0.0, std=1.0):
    """A student's normal_ drawing each value from Python's `random` (as the seed hints)."""
    values = [random.gauss(mean, std) for _ in range(tensor.numel())]
    with cp.no_grad():
        tensor.copy_(np.array(values).reshape(tensor.shape))
    return tensor


def numpy_random_normal(tensor, mean=0.0, std=1.0):
    with cp.no_grad():
        return tensor.copy_(np.random.normal(mean, std, tensor.shape))


@pytest.mark.parametrize("fn", [python_random_normal, numpy_random_normal])
def test_other_generators_get_a_stable_verdict_and_a_hint(fn):
    first = run("init", with_init(normal_=fn))
    second = run("init", with_init(normal_=fn))
    assert first.failed == second.failed == ["normal_: reproducible with clownpiece.manual_seed"]
    assert (
        "use clownpiece's generator"
        in first.reasons["normal_: reproducible with clownpiece.manual_seed"]
    )


def test_an_init_that_records_a_graph_fails_in_place_row():
    def out_of_place(tensor, low=0.0, high=1.0):
        return tensor * 0 + cp.rand(*tensor.shape) * (high - low) + low

    report = run("init", with_init(uniform_=out_of_place))
    assert "uniform_: in place, returns the tensor, no graph" in report.failed
    assert report.reasons["uniform_: in place, returns the tensor, no graph"] == (
        "returned Tensor, expected the tensor it was given"
    )
