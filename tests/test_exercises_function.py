"""Chapter 1's exercise check: passes on a correct Function, fails on broken ones with a
reason, never raises, and leaves the package's generator and grad mode alone."""

import numpy as np
import pytest
from seed_examples import Sigmoid, Tanh

import clownpiece as cp
from clownpiece import Function, Tensor
from clownpiece.exercises import Report, check, check_function


class Skeleton(Function):
    @staticmethod
    def forward(ctx, x):
        pass

    @staticmethod
    def backward(ctx, grad):
        pass


class WrongBackward(Sigmoid):
    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad * y  # missing the (1 - y) factor


class NoBackward(Sigmoid):
    @staticmethod
    def backward(ctx, grad):
        return None


class WrongForward(Sigmoid):
    @staticmethod
    def forward(ctx, x):
        y = x.tanh()
        ctx.save_for_backward(y)
        return y


NAMES = [
    "forward values",
    "backward vs finite differences",
    "inside a larger expression",
    "batch of shape (2, 3, 4)",
]


@pytest.mark.parametrize(
    "fn_cls, reference", [(Sigmoid, lambda x: x.sigmoid()), (Tanh, lambda x: x.tanh())]
)
def test_correct_function_passes(fn_cls, reference, capsys):
    result = check_function(fn_cls, reference)
    assert isinstance(result, Report)
    assert result and result.failed == [] and result.passed == 4
    assert [row.name for row in result.rows] == NAMES
    out = capsys.readouterr().out
    assert out.count("PASS") == 4 and "FAIL" not in out
    assert "4/4 passed" in out


def test_skeleton_fails_every_row_without_raising(capsys):
    result = check_function(Skeleton, lambda x: x.sigmoid(), name="Sigmoid")
    assert not result
    assert result.failed == NAMES
    out = capsys.readouterr().out
    assert out.startswith("check_function(Sigmoid): 0/4 passed")
    assert out.count("FAIL") == 4
    line = Skeleton.forward.__code__.co_firstlineno
    assert f"not implemented yet: Skeleton.forward (test_exercises_function.py:{line})" in out


def test_the_chapter_api_runs_the_same_check(capsys):
    assert check("function", function=Sigmoid, reference=Tensor.sigmoid)
    assert not check("function", function=WrongBackward, reference=Tensor.sigmoid)


@pytest.mark.parametrize("broken", [WrongBackward, NoBackward])
def test_wrong_backward_fails_gradient_rows(broken):
    result = check_function(broken, lambda x: x.sigmoid(), verbose=False)
    assert not result
    assert "forward values" not in result.failed
    assert "backward vs finite differences" in result.failed
    assert "inside a larger expression" in result.failed


def test_no_backward_is_explained():
    result = check_function(NoBackward, lambda x: x.sigmoid(), verbose=False)
    assert "did it return None" in result.reasons["backward vs finite differences"]


def test_wrong_forward_fails_forward_row():
    result = check_function(WrongForward, lambda x: x.sigmoid(), verbose=False)
    assert "forward values" in result.failed and not result.passed
    assert (
        result.reasons["forward values"]
        == "output is wrong at (2,): got -0.964028, expected 0.119203"
    )


def test_not_a_function_subclass():
    result = check_function(len, lambda x: x.sigmoid(), verbose=False)
    assert not result and result.rows[0].name == "is a Function subclass"


def test_output_is_deterministic_and_leaves_package_rng_alone(capsys):
    cp.manual_seed(0)
    expected = cp.randn(3).tolist()
    cp.manual_seed(0)
    check_function(WrongBackward, lambda x: x.sigmoid())
    first = capsys.readouterr().out
    assert cp.randn(3).tolist() == expected
    check_function(WrongBackward, lambda x: x.sigmoid())
    assert capsys.readouterr().out == first


def test_grad_mode_restored_after_a_failing_forward():
    class Raises(Function):
        @staticmethod
        def forward(ctx, x):
            raise ValueError("boom")

    result = check_function(Raises, lambda x: x.sigmoid(), verbose=False)
    assert result.reasons["forward values"] == (
        f"ValueError: boom (test_exercises_function.py:{Raises.forward.__code__.co_firstlineno + 2}, in "
        "test_grad_mode_restored_after_a_failing_forward.<locals>.Raises.forward)"
    )
    assert cp.is_grad_enabled()
    x = Tensor(np.ones(2), requires_grad=True)
    assert (x * 2).grad_fn is not None
