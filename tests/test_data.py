"""Tests for clownpiece.data: estate set, digits, batches, IDX files, progress."""

from __future__ import annotations

import gzip
import io
import sys

import numpy as np
import pytest

import clownpiece
from clownpiece import data


def r2(y: np.ndarray, pred: np.ndarray) -> float:
    y, pred = np.asarray(y, np.float64), np.asarray(pred, np.float64)
    return 1.0 - ((y - pred) ** 2).sum() / ((y - y.mean()) ** 2).sum()


# --- estate ----------------------------------------------------------------------------------

def test_estate_deterministic_per_seed():
    a, b, c = data.make_estate(300, seed=1), data.make_estate(300, seed=1), data.make_estate(300, seed=2)
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
    assert e.feature_names == ("area_m2", "age_years", "distance_km", "stores", "yard")
    area, age, dist, stores, yard = e.features.T
    assert area.min() >= 30 and area.max() <= 200
    assert age.min() >= 0 and age.max() <= 80
    assert dist.min() >= 0.3 and dist.max() <= 40
    assert np.all(stores == np.round(stores)) and stores.min() >= 0
    assert set(np.unique(yard)) == {0.0, 1.0}
    assert e.price.min() > 0
    np.testing.assert_array_equal(data.make_estate(7, noise=0.0).price, data.make_estate(7, noise=0.0).noise_free_price)


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


@pytest.mark.parametrize("bad", [dict(n=0), dict(n=2.5), dict(noise=-1.0)])
def test_estate_bad_arguments(bad):
    with pytest.raises(ValueError):
        data.make_estate(**bad)


# --- split and standardize -------------------------------------------------------------------

def test_train_test_split_partitions_rows_consistently():
    x = np.arange(50).reshape(25, 2)
    y = np.arange(25)
    x_tr, x_te, y_tr, y_te = data.train_test_split(x, y, test_fraction=0.2, seed=3)
    assert len(x_te) == len(y_te) == 5 and len(x_tr) == len(y_tr) == 20
    np.testing.assert_array_equal(x_tr[:, 0] // 2, y_tr)
    np.testing.assert_array_equal(x_te[:, 0] // 2, y_te)
    assert sorted(np.r_[y_tr, y_te]) == list(range(25))
    again = data.train_test_split(x, y, test_fraction=0.2, seed=3)
    np.testing.assert_array_equal(again[3], y_te)
    assert not np.array_equal(data.train_test_split(x, y, seed=4)[3], y_te)


def test_train_test_split_errors():
    with pytest.raises(ValueError, match=r"lengths \[3, 4\]"):
        data.train_test_split(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="test_fraction"):
        data.train_test_split(np.zeros(10), test_fraction=1.0)
    with pytest.raises(ValueError, match="empty"):
        data.train_test_split(np.zeros(2), test_fraction=0.1)


def test_standardize_fits_on_train_only():
    g = np.random.default_rng(0)
    train, test = g.normal(5, 3, (200, 3)), g.normal(7, 2, (50, 3))
    train[:, 2] = 4.0  # constant column
    tz, sz, (mean, std) = data.standardize(train, test)
    assert tz.dtype == sz.dtype == np.float32
    np.testing.assert_allclose(tz[:, :2].mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(tz[:, :2].std(0), 1, atol=1e-5)
    np.testing.assert_allclose(mean, train.mean(0), rtol=1e-6)
    np.testing.assert_allclose(sz, (test - mean) / std, rtol=1e-4, atol=1e-5)
    assert std[2] == 1.0 and np.all(tz[:, 2] == 0)
    ty, sy, _ = data.standardize(np.arange(4.0), np.arange(2.0))  # 1-D targets work too
    assert ty.shape == (4,) and sy.shape == (2,)


# --- digits ----------------------------------------------------------------------------------

def test_load_digits():
    pytest.importorskip("sklearn")
    d = data.load_digits()
    images, labels = d
    assert images.shape == (1797, 8, 8) and images.dtype == np.float32
    assert images.min() == 0.0 and images.max() == 1.0
    assert labels.shape == (1797,) and labels.dtype == np.int64
    assert set(labels.tolist()) == set(range(10))


def test_load_digits_without_sklearn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        data.load_digits()


# --- batches ---------------------------------------------------------------------------------

def test_batches_cover_every_row_once_and_keep_pairs():
    x = np.arange(23, dtype=np.float64).reshape(23, 1) * 10
    y = np.arange(23)
    seen = []
    for xb, yb in data.batches(x, y, batch_size=5):
        assert isinstance(xb, clownpiece.Tensor) and isinstance(yb, clownpiece.Tensor)
        np.testing.assert_array_equal(xb.numpy()[:, 0], yb.numpy() * 10)
        seen += yb.numpy().tolist()
    assert sorted(seen) == list(range(23)) and seen != list(range(23))


def test_batches_partial_last_batch_and_drop_last():
    x = np.zeros((23, 2))
    assert [len(b[0].numpy()) for b in data.batches(x, batch_size=5)] == [5, 5, 5, 5, 3]
    assert [len(b[0].numpy()) for b in data.batches(x, batch_size=5, drop_last=True)] == [5] * 4
    assert [len(b[0].numpy()) for b in data.batches(x, batch_size=50)] == [23]
    assert list(data.batches(x, batch_size=50, drop_last=True)) == []


def test_batches_unshuffled_keeps_order():
    y = np.arange(7)
    got = [b.numpy().tolist() for (b,) in data.batches(y, batch_size=3, shuffle=False)]
    assert got == [[0, 1, 2], [3, 4, 5], [6]]


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
    arrays = (np.zeros((4, 2), np.float64), np.zeros(4, np.float16), np.zeros(4, np.uint8),
              np.zeros(4, np.int32), np.zeros(4, bool), clownpiece.zeros(4, 3))
    dtypes = [t.numpy().dtype for t in next(data.batches(*arrays, batch_size=4))]
    assert dtypes == [np.float32, np.float32, np.int64, np.int64, np.bool_, np.float32]


def test_batches_errors():
    with pytest.raises(ValueError, match=r"same first dimension, got lengths \[4, 5\]"):
        data.batches(np.zeros(4), np.zeros(5), batch_size=2)
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match="batch_size must be a positive int"):
            data.batches(np.zeros(4), batch_size=bad)
    with pytest.raises(ValueError, match="at least one array"):
        data.batches(batch_size=2)
    with pytest.raises(TypeError):
        data.batches(np.array(["a", "b"]), batch_size=1)


# --- IDX files -------------------------------------------------------------------------------

def test_idx_round_trip_uint8_3d(tmp_path):
    a = np.random.default_rng(0).integers(0, 256, (5, 4, 3)).astype(np.uint8)
    path = data.write_idx(tmp_path / "images-idx3-ubyte", a)
    raw = path.read_bytes()
    assert raw[:4] == b"\x00\x00\x08\x03" and raw[4:8] == b"\x00\x00\x00\x05"
    assert len(raw) == 4 + 12 + a.size
    b = data.read_idx(path)
    assert b.dtype == np.uint8 and b.shape == (5, 4, 3)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int8, np.int16, np.int32])
def test_idx_round_trip_1d(tmp_path, dtype):
    a = (np.arange(-3, 9) * 1.5).astype(dtype)
    b = data.read_idx(data.write_idx(tmp_path / "x.idx", a))
    assert b.dtype == np.dtype(dtype) and b.dtype.isnative
    np.testing.assert_array_equal(a, b)


def test_idx_big_endian_on_disk(tmp_path):
    path = data.write_idx(tmp_path / "f.idx", np.array([1.0], np.float32))
    assert path.read_bytes()[2:4] == b"\x0d\x01"
    assert path.read_bytes()[8:] == np.array([1.0], ">f4").tobytes()


def test_idx_gz(tmp_path):
    a = np.arange(60, dtype=np.uint8).reshape(3, 4, 5)
    path = data.write_idx(tmp_path / "x-idx3-ubyte.gz", a)
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    np.testing.assert_array_equal(data.read_idx(path), a)
    # a gzip file without the .gz suffix is recognised by its content too
    renamed = path.rename(tmp_path / "plain-name")
    np.testing.assert_array_equal(data.read_idx(renamed), a)


def _idx(tmp_path, raw: bytes, gz: bool = False):
    path = tmp_path / ("bad.gz" if gz else "bad")
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


GOOD = b"\x00\x00\x08\x02" + b"\x00\x00\x00\x02\x00\x00\x00\x03" + bytes(range(6))


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("raw, message", [
    (GOOD[:-1], r"truncated IDX file: shape \(2, 3\) of uint8 needs 6"),
    (GOOD[:10], r"truncated IDX file"),
    (GOOD[:2], r"truncated IDX file: the header"),
    (b"", r"truncated IDX file: the header"),
    (GOOD + b"\x00", r"too long IDX file"),
    (b"\x01\x00" + GOOD[2:], r"bad magic"),
    (GOOD[:2] + b"\x07" + GOOD[3:], r"unknown IDX dtype code 0x07"),
    (b"\x00\x00\x08\x01\xff\xff\xff\xff" + bytes(3), r"truncated IDX file"),
])
def test_idx_malformed(tmp_path, raw, message, gz):
    if gz and raw == b"":
        raw = b"\x00"  # an empty file cannot be gzipped-and-detected; one byte is still truncated
    with pytest.raises(ValueError, match=message):
        data.read_idx(_idx(tmp_path, raw, gz))


def test_idx_corrupt_gzip(tmp_path):
    with pytest.raises(ValueError, match="cannot read IDX file"):
        data.read_idx(_idx(tmp_path, b"\x1f\x8b" + b"garbage" * 10))


def test_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope-idx1-ubyte"):
        data.read_idx(tmp_path / "nope-idx1-ubyte")


def test_write_idx_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(TypeError, match="no IDX code"):
        data.write_idx(tmp_path / "x", np.zeros(3, np.int64))


def test_load_mnist(tmp_path):
    g = np.random.default_rng(0)
    train_x, test_x = g.integers(0, 256, (6, 28, 28), dtype=np.uint8), g.integers(0, 256, (2, 28, 28), dtype=np.uint8)
    train_y, test_y = g.integers(0, 10, 6, dtype=np.uint8), g.integers(0, 10, 2, dtype=np.uint8)
    data.write_idx(tmp_path / "train-images-idx3-ubyte.gz", train_x)
    data.write_idx(tmp_path / "train-labels-idx1-ubyte", train_y)
    data.write_idx(tmp_path / "t10k-images.idx3-ubyte", test_x)  # dotted mirror name
    with pytest.raises(FileNotFoundError, match=r"missing in .*: t10k-labels-idx1-ubyte") as info:
        data.load_mnist(tmp_path)
    assert "train-images" not in str(info.value)
    data.write_idx(tmp_path / "t10k-labels-idx1-ubyte", test_y)
    m = data.load_mnist(tmp_path)
    assert m.train_images.dtype == np.float32 and m.train_images.shape == (6, 28, 28)
    np.testing.assert_allclose(m.test_images * 255, test_x, atol=1e-4)
    assert m.train_labels.dtype == np.int64
    np.testing.assert_array_equal(m.test_labels, test_y)


# --- progress --------------------------------------------------------------------------------

def test_progress_silent_outside_kernel_and_tty(capsys):
    bar = data.progress(range(5), desc="epoch")
    out = []
    for i in bar:
        bar.set(loss=0.5 / (i + 1))
        out.append(i)
    assert out == [0, 1, 2, 3, 4]
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert bar.line() == "epoch 5/5 [####################] loss=0.1"


def test_progress_on_tty_erases_its_line(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True

    err = Tty()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.delenv("CLOWNPIECE_PROGRESS", raising=False)
    assert list(data.progress(range(3), desc="x", min_interval=0)) == [0, 1, 2]
    text = err.getvalue()
    assert "x 1/3" in text and text.endswith("\r") and text.rsplit("\r", 2)[-2].strip() == ""
    err2 = Tty()
    monkeypatch.setattr(sys, "stderr", err2)
    monkeypatch.setenv("CLOWNPIECE_PROGRESS", "0")
    list(data.progress(range(3)))
    assert err2.getvalue() == ""


def test_progress_without_len():
    bar = data.progress(iter([1, 2]))
    assert list(bar) == [1, 2] and bar.line() == "2"
