"""A leaf's first gradient is taken without a copy only when nothing else can see it.

Each scenario below runs a backward pass and says whether the leaf's `.grad` came out right:
shared arrays copied, private ones taken. The real `first_grad` passes all of them; each
wrong variant at the bottom fails the scenario written to catch it.
"""

from __future__ import annotations

import sys
import weakref

import numpy as np
import pytest

from clownpiece import Tensor, gradient_buffers
from clownpiece.tensor import apply_op

TENSOR_MODULE = sys.modules["clownpiece.tensor"]


def leaf() -> Tensor:
    return Tensor(np.zeros((4, 3), np.float32), requires_grad=True)


def backward_through(x: Tensor, grad_fn) -> None:
    """Record an op on `x` whose backward closure is `grad_fn`, then run backward."""

    def custom(array):
        return array * 2, (grad_fn,)

    apply_op(custom, x).sum().backward()


def fresh_product_is_taken() -> bool:
    x, made = leaf(), []

    def grad_fn(g):
        fresh = np.full((4, 3), 3.0, np.float32)
        made.append(weakref.ref(fresh))
        return fresh

    backward_through(x, grad_fn)
    return x.grad._data is made[0]() and float(x.grad._data[0, 0]) == 3.0


def whole_view_of_a_private_array_is_taken() -> bool:
    x, made = leaf(), []

    def grad_fn(g):
        fresh = np.full((4, 3), 6.0, np.float32)
        made.append(weakref.ref(fresh))
        return fresh[:]  # a view of all of an array that only the view refers to

    backward_through(x, grad_fn)
    return x.grad._data.base is made[0]() and made[0]() is not None


def partial_view_is_copied() -> bool:
    x, kept = leaf(), []

    def grad_fn(g):
        rows = np.full((8, 3), 6.0, np.float32)
        kept.append(weakref.ref(rows))
        return rows[:4]  # taking it would keep all 8 rows alive

    backward_through(x, grad_fn)
    return x.grad._data.base is None and kept[0]() is None and float(x.grad._data[3, 2]) == 6.0


def array_kept_by_a_closure_is_copied() -> bool:
    x, kept = leaf(), np.ones((4, 3), np.float32)
    backward_through(x, lambda g: kept)
    x.grad._data[...] = 7.0
    return not np.shares_memory(x.grad._data, kept) and float(kept[0, 0]) == 1.0


def view_of_a_kept_array_is_copied() -> bool:
    x, kept = leaf(), np.ones((4, 3), np.float32)
    backward_through(x, lambda g: kept[:])
    return not np.shares_memory(x.grad._data, kept)


def callers_own_array_is_copied() -> bool:
    x, mine = leaf(), np.ones((4, 3), np.float32)
    x.accumulate_grad(mine)
    return not np.shares_memory(x.grad._data, mine)


def one_gradient_for_two_leaves_is_copied() -> bool:
    a, b = leaf(), leaf()
    (a + b).backward(Tensor(np.ones((4, 3), np.float32)))
    c, d = leaf(), leaf()
    (c + d).sum().backward()
    return not np.shares_memory(a.grad._data, b.grad._data) and not np.shares_memory(
        c.grad._data, d.grad._data
    )


SCENARIOS = [
    fresh_product_is_taken,
    whole_view_of_a_private_array_is_taken,
    partial_view_is_copied,
    array_kept_by_a_closure_is_copied,
    view_of_a_kept_array_is_copied,
    callers_own_array_is_copied,
    one_gradient_for_two_leaves_is_copied,
]


TAKING = {fresh_product_is_taken, whole_view_of_a_private_array_is_taken}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
def test_first_grad_takes_only_private_arrays(scenario):
    if gradient_buffers.UNSHARED_COUNT == 0 and scenario in TAKING:
        # another interpreter: everything is copied, which is safe; CPython 3.11 (the
        # version the repository pins) must have the trick on
        assert sys.implementation.name != "cpython" or sys.version_info >= (3, 14)
        pytest.skip("reference counts do not show every holder here: gradients are copied")
    assert scenario()


def test_gradients_stay_right_across_accumulation_and_broadcast():
    x = Tensor(np.zeros(3, np.float32), requires_grad=True)
    (x * 2).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 5.0, 5.0])
    y = Tensor(np.zeros((2, 3), np.float64), requires_grad=True)
    y.accumulate_grad(np.float32(1.5))  # a scalar, broadcast and cast
    assert y.grad.dtype == np.float64 and y.grad.shape == (2, 3)


# ------------------------------------------------------------------ wrong variants


def first_grad_without(*skipped: str):
    """`first_grad` with some of its tests left out: "count" (the reference count),
    "caller" (called from the engine), "owner" (owns its memory, or views all of a private
    array); all three out means: take every array of the right shape and dtype."""

    def variant(grad, shape, dtype):
        if not (isinstance(grad, np.ndarray) and grad.shape == shape and grad.dtype == dtype):
            return np.array(np.broadcast_to(grad, shape), dtype)
        counted = "count" in skipped or sys.getrefcount(grad) == gradient_buffers.UNSHARED_COUNT
        called = "caller" in skipped or sys._getframe(2).f_code is gradient_buffers.ENGINE_CODE
        owned = "owner" in skipped or grad.flags.owndata  # (views: always copied here)
        return grad if counted and called and owned else np.array(grad, dtype)

    variant.__name__ = "without_" + "_".join(skipped)
    return variant


def always_copies(grad, shape, dtype):
    return np.array(np.broadcast_to(grad, shape), dtype)


@pytest.mark.parametrize(
    "wrong, caught_by",
    [
        (first_grad_without("count", "caller", "owner"), array_kept_by_a_closure_is_copied),
        (first_grad_without("count"), one_gradient_for_two_leaves_is_copied),
        (first_grad_without("caller"), callers_own_array_is_copied),
        (first_grad_without("owner"), view_of_a_kept_array_is_copied),
        (always_copies, fresh_product_is_taken),
        (always_copies, whole_view_of_a_private_array_is_taken),
    ],
    ids=lambda f: f.__name__,
)
def test_each_wrong_variant_fails_its_scenario(monkeypatch, wrong, caught_by):
    monkeypatch.setattr(TENSOR_MODULE, "first_grad", wrong)
    assert not caught_by()


@pytest.mark.parametrize(
    "scenario",
    [s for s in SCENARIOS if s is not whole_view_of_a_private_array_is_taken],
    ids=lambda s: s.__name__,
)
def test_the_variants_with_nothing_left_out_pass(monkeypatch, scenario):
    """So each wrong variant fails only because of the test it leaves out."""
    monkeypatch.setattr(TENSOR_MODULE, "first_grad", first_grad_without())
    assert scenario()
