"""Shuffled mini-batches of Tensors (clownpiece.data.batching)."""

from __future__ import annotations

import numpy as np
import pytest

import clownpiece
from clownpiece import data


def epoch_rows(batches) -> list[list[int]]:
    return [b.numpy().tolist() for (b,) in batches]


def test_order_after_manual_seed_0():
    # The package generator seeded with 0 permutes 10 rows as 4 6 2 7 3 5 9 0 8 1;
    # the next epoch continues the same stream.
    clownpiece.manual_seed(0)
    assert epoch_rows(data.batches(np.arange(10), batch_size=4)) == [
        [4, 6, 2, 7],
        [3, 5, 9, 0],
        [8, 1],
    ]
    assert epoch_rows(data.batches(np.arange(10), batch_size=4)) == [
        [2, 9, 3, 6],
        [0, 4, 8, 7],
        [5, 1],
    ]


def check_every_row_once_and_pairs_kept(batches) -> None:
    """The check the next test runs on `data.batches` and on a buggy variant."""
    x = np.arange(23, dtype=np.float64).reshape(23, 1) * 10
    y = np.arange(23)
    seen = []
    for xb, yb in batches(x, y, batch_size=5):
        assert isinstance(xb, clownpiece.Tensor) and isinstance(yb, clownpiece.Tensor)
        np.testing.assert_array_equal(xb.numpy()[:, 0], yb.numpy() * 10)
        seen += yb.numpy().tolist()
    assert sorted(seen) == list(range(23)) and seen != list(range(23))


def test_batches_cover_every_row_once_and_keep_pairs():
    check_every_row_once_and_pairs_kept(data.batches)

    def shuffled_separately(*arrays, batch_size):  # a classic bug: one permutation per array
        n = len(arrays[0])
        orders = [np.random.default_rng(i).permutation(n) for i in range(len(arrays))]
        for start in range(0, n, batch_size):
            yield tuple(
                clownpiece.Tensor(a[o[start : start + batch_size]]) for a, o in zip(arrays, orders)
            )

    with pytest.raises(AssertionError):
        check_every_row_once_and_pairs_kept(shuffled_separately)


def test_batches_partial_last_batch_and_drop_last():
    x = np.zeros((23, 2))
    assert [len(b[0].numpy()) for b in data.batches(x, batch_size=5)] == [5, 5, 5, 5, 3]
    assert [len(b[0].numpy()) for b in data.batches(x, batch_size=5, drop_last=True)] == [5] * 4
    assert [len(b[0].numpy()) for b in data.batches(x, batch_size=50)] == [23]
    assert list(data.batches(x, batch_size=50, drop_last=True)) == []
    assert [b[0].shape for b in data.batches(x, batch_size=20)] == [(20, 2), (3, 2)]


def test_batches_unshuffled_keeps_order():
    y = np.arange(7)
    assert epoch_rows(data.batches(y, batch_size=3, shuffle=False)) == [[0, 1, 2], [3, 4, 5], [6]]


def test_batches_reproducible_with_manual_seed():
    y = np.arange(40)

    def epoch():
        return np.concatenate([b.numpy() for (b,) in data.batches(y, batch_size=8)])

    clownpiece.manual_seed(7)
    a, b = epoch(), epoch()
    clownpiece.manual_seed(7)
    np.testing.assert_array_equal(epoch(), a)
    assert not np.array_equal(a, b)  # successive epochs differ


def test_batches_order_drawn_at_call_time():
    y = np.arange(40)
    clownpiece.manual_seed(1)
    expected = next(data.batches(y, batch_size=40))[0].numpy()
    clownpiece.manual_seed(1)
    it = data.batches(y, batch_size=40)
    clownpiece.manual_seed(99)  # reseeding after the call does not change this epoch
    np.testing.assert_array_equal(next(it)[0].numpy(), expected)


def test_batches_dtype_mapping():
    arrays = (
        np.zeros((4, 2), np.float64),
        np.zeros(4, np.float16),
        np.zeros(4, np.uint8),
        np.zeros(4, np.int32),
        np.zeros(4, bool),
        clownpiece.zeros(4, 3),
    )
    dtypes = [t.numpy().dtype for t in next(data.batches(*arrays, batch_size=4))]
    assert dtypes == [np.float32, np.float32, np.int64, np.int64, np.bool_, np.float32]


def test_batches_errors_before_any_draw():
    clownpiece.manual_seed(5)
    with pytest.raises(ValueError, match=r"batches: .*same first dimension, got lengths \[4, 5\]"):
        data.batches(np.zeros(4), np.zeros(5), batch_size=2)
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match=f"batch_size must be a positive int, got {bad!r}"):
            data.batches(np.zeros(4), batch_size=bad)
    with pytest.raises(ValueError, match="batches: expected at least one array"):
        data.batches(batch_size=2)
    with pytest.raises(TypeError, match="unsupported array dtype <U1; expected floats"):
        data.batches(np.array(["a", "b"]), batch_size=1)
    after_errors = clownpiece.randn(3).numpy()
    clownpiece.manual_seed(5)
    np.testing.assert_array_equal(after_errors, clownpiece.randn(3).numpy())  # nothing was drawn
