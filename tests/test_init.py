"""clownpiece.nn.init: distributions (CDF test), gains, fans, in-place semantics, errors.

CDF test (the course's grading): 1000 draws of a 10x20 tensor, all 200,000 values
combined; the empirical CDF is compared with the target CDF on 601 points spread over
mean +- 3 std and the RMS gap is the distance.  For n samples the gap at a point has
std sqrt(F(1-F)/n) <= 0.0011, and measured over seeds 0-4 a correct init gives at most
0.0010.  Scaling the std by 0.95 or 1.05 gives >= 0.0076 (uniform: >= 0.0104), so the
threshold 0.005 (clownpiece.exercises.CDF_THRESHOLD) is ~5 noise levels from a correct implementation
and still catches a 5% std error; the wrong-std test below proves it.
"""

import math

import numpy as np
import pytest

import clownpiece as cp
from clownpiece.exercises import INIT_TARGETS
from clownpiece.nn import Parameter, init

RANDOM = list(INIT_TARGETS)
CONSTANT = ["constant_", "consants_", "constants_", "zeros_", "ones_"]


@pytest.mark.parametrize(
    "name, a, expected",
    [
        ("linear", 0, 1.0),
        ("identity", 0, 1.0),
        ("idenity", 0, 1.0),
        ("conv2d", 0, 1.0),
        ("sigmoid", 0, 1.0),
        ("tanh", 0, 5 / 3),
        ("relu", 0, math.sqrt(2)),
        ("leaky_relu", 0, math.sqrt(2)),
        ("leaky_relu", 0.2, math.sqrt(2 / 1.04)),
        ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))),
        ("selu", 0, 0.75),
        ("TANH", 0, 5 / 3),
    ],
)
def test_gains(name, a, expected):
    assert init.calculate_gain(name, a) == pytest.approx(expected)
    assert init.calcuate_gain(name, a) == pytest.approx(expected)


def test_gains_match_torch():
    torch = pytest.importorskip("torch")
    for name in ["linear", "conv1d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]:
        assert init.calculate_gain(name) == pytest.approx(
            torch.nn.init.calculate_gain(name, 0 if name == "leaky_relu" else None)
        )


def test_unknown_nonlinearity_and_bad_mode():
    with pytest.raises(
        ValueError, match=r"unknown nonlinearity 'swish'; choices are .*'tanh'"
    ) as info:
        init.calculate_gain("swish")
    assert isinstance(info.value, KeyError)  # the course raises KeyError
    w = Parameter(cp.empty(3, 4))
    with pytest.raises(ValueError, match="unknown nonlinearity 'gelu'"):
        init.kaiming_normal_(w, nonlinearity="gelu")
    with pytest.raises(ValueError, match="mode must be 'fan_in' or 'fan_out', got 'fan_avg'"):
        init.kaiming_uniform_(w, mode="fan_avg")
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", "big")


@pytest.mark.parametrize(
    "fn", [init.xavier_uniform_, init.xavier_normal_, init.kaiming_uniform_, init.kaiming_normal_]
)
def test_fans_need_two_dims(fn):
    with pytest.raises(ValueError, match=r"at least 2 dims, got shape \(5,\)"):
        fn(Parameter(cp.empty(5)))


def test_fans_follow_the_course_for_2d_and_torch_beyond():
    assert init._calculate_fan_in_and_fan_out(cp.empty(3, 7)) == (7, 3)
    assert init._calculate_fan_in_and_fan_out(cp.empty(8, 4, 3, 3)) == (36, 72)
    cp.manual_seed(0)
    w = init.kaiming_uniform_(Parameter(cp.empty(400, 500)), mode="fan_out", nonlinearity="relu")
    assert np.abs(w.numpy()).max() <= math.sqrt(2) * math.sqrt(3 / 400) + 1e-6
    assert np.abs(w.numpy()).max() > 0.99 * math.sqrt(2) * math.sqrt(3 / 400)


def test_in_place_under_no_grad_and_errors():
    w = Parameter(cp.empty(2, 3))
    assert init.normal_(w) is w and w.requires_grad and cp.is_grad_enabled()
    with pytest.raises(ValueError, match="low <= high"):
        init.uniform_(w, 1.0, -1.0)
    with pytest.raises(ValueError, match="std >= 0"):
        init.normal_(w, std=-1.0)
    with pytest.raises(TypeError, match="floating-point"):
        init.normal_(cp.Tensor([1, 2], dtype=cp.int64))
    with pytest.raises(TypeError, match="expects a Tensor"):
        init.zeros_(np.zeros(3))
    assert init.constant_(cp.Tensor([1, 2], dtype=cp.int64), 7).tolist() == [7, 7]
    assert init.xavier_uniform_(Parameter(cp.empty(0, 3))).shape == (0, 3)


def test_seeded_reproducibility_across_all_random_inits():
    def run():
        cp.manual_seed(11)
        return [
            getattr(init, n)(Parameter(cp.empty(4, 5)), **INIT_TARGETS[n].kwargs).numpy().copy()
            for n in RANDOM
        ]

    first, second = run(), run()
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert not np.array_equal(first[0], first[1])


@pytest.mark.parametrize("fn", [init.kaiming_uniform_, init.kaiming_normal_])
@pytest.mark.parametrize("mode", ["FAN_IN", "Fan_Out"])
def test_kaiming_mode_is_case_insensitive_like_torch(fn, mode, monkeypatch):
    cp.manual_seed(4)
    got = fn(Parameter(cp.empty(30, 50)), mode=mode, nonlinearity="ReLU").numpy().copy()
    cp.manual_seed(4)
    want = fn(Parameter(cp.empty(30, 50)), mode=mode.lower(), nonlinearity="relu").numpy()
    np.testing.assert_array_equal(got, want)
    cp.manual_seed(4)
    other = "fan_out" if mode.lower() == "fan_in" else "fan_in"
    assert not np.allclose(fn(Parameter(cp.empty(30, 50)), mode=other).numpy(), want)

    def case_sensitive_fan(tensor, mode):  # the check before issue 10
        if mode not in ("fan_in", "fan_out"):
            raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
        fan_in, fan_out = init._calculate_fan_in_and_fan_out(tensor)
        return fan_in if mode == "fan_in" else fan_out

    monkeypatch.setattr(init, "_fan", case_sensitive_fan)
    with pytest.raises(ValueError, match=f"got '{mode}'"):
        fn(Parameter(cp.empty(30, 50)), mode=mode)


def test_kaiming_mode_upper_case_agrees_with_torch():
    torch = pytest.importorskip("torch")
    torch.nn.init.kaiming_uniform_(torch.empty(3, 4), mode="FAN_IN")  # accepted there too
    with pytest.raises(ValueError):
        torch.nn.init.kaiming_uniform_(torch.empty(3, 4), mode="fan_avg")


@pytest.mark.parametrize("mode", ["fan_avg", "", None, 3])
def test_kaiming_bad_modes_still_fail_clearly(mode):
    with pytest.raises(ValueError, match=rf"mode must be 'fan_in' or 'fan_out', got {mode!r}"):
        init.kaiming_normal_(Parameter(cp.empty(3, 4)), mode=mode)
