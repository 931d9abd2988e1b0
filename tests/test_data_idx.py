"""The IDX file format, MNIST's (clownpiece.data.idx)."""

from __future__ import annotations

import gzip
import re

import numpy as np
import pytest

from clownpiece import data


def test_idx_bytes_of_a_small_uint8_array(tmp_path):
    path = data.write_idx(tmp_path / "a-idx2-ubyte", np.array([[1, 2, 3], [4, 5, 255]], np.uint8))
    assert path == tmp_path / "a-idx2-ubyte"
    assert path.read_bytes() == (
        b"\x00\x00\x08\x02"  # magic: two zero bytes, uint8, 2 dimensions
        b"\x00\x00\x00\x02\x00\x00\x00\x03"  # the dimensions, big-endian uint32
        b"\x01\x02\x03\x04\x05\xff"
    )


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
    assert path.read_bytes()[8:] == np.array([1.0], ">f4").tobytes() == b"\x3f\x80\x00\x00"
    path = data.write_idx(tmp_path / "i.idx", np.array([258], np.int16))
    assert path.read_bytes()[8:] == b"\x01\x02"
    assert data.read_idx(path).tolist() == [258]


def test_idx_gz(tmp_path):
    a = np.arange(60, dtype=np.uint8).reshape(3, 4, 5)
    path = data.write_idx(tmp_path / "x-idx3-ubyte.gz", a)
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress(path.read_bytes())[:4] == b"\x00\x00\x08\x03"
    np.testing.assert_array_equal(data.read_idx(path), a)
    # a gzip file without the .gz suffix is recognised by its content too
    renamed = path.rename(tmp_path / "plain-name")
    np.testing.assert_array_equal(data.read_idx(renamed), a)


GOOD = b"\x00\x00\x08\x02" + b"\x00\x00\x00\x02\x00\x00\x00\x03" + bytes(range(6))


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
@pytest.mark.parametrize(
    "raw, message",
    [
        (GOOD[:-1], r"truncated IDX file: shape \(2, 3\) of uint8 needs 6"),
        (GOOD[:10], r"truncated IDX file: the dimensions needs 8 bytes, only 6 present"),
        (GOOD[:2], r"truncated IDX file: the header needs 4 bytes, only 2 present"),
        (GOOD + b"\x00", r"too long IDX file"),
        (
            b"\x01\x00" + GOOD[2:],
            r"not an IDX file \(bad magic: first two bytes are 0100, expected 0000\)",
        ),
        (GOOD[:2] + b"\x07" + GOOD[3:], r"unknown IDX dtype code 0x07 \(known: 0x08, 0x09, "),
        (b"\x00\x00\x08\x01\xff\xff\xff\xff" + bytes(3), r"truncated IDX file"),
    ],
    ids=["short-data", "short-dims", "short-header", "trailing", "magic", "dtype", "huge-shape"],
)
def test_idx_malformed_names_the_file_and_the_expectation(tmp_path, raw, message, gz):
    path = tmp_path / ("bad.gz" if gz else "bad")
    path.write_bytes(gzip.compress(raw) if gz else raw)
    with pytest.raises(ValueError, match=re.escape(str(path)) + ": " + message):
        data.read_idx(path)


def test_idx_empty_file(tmp_path):
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(
        ValueError, match="empty: truncated IDX file: the header needs 4 bytes, only 0"
    ):
        data.read_idx(tmp_path / "empty")


def test_idx_size_is_checked_before_reading_the_data(tmp_path, monkeypatch):
    path = tmp_path / "huge"
    path.write_bytes(b"\x00\x00\x08\x02\x00\x01\x00\x00\x00\x01\x00\x00" + bytes(10))
    monkeypatch.setattr("clownpiece.data.idx.read_exact", refuse_large_reads(data.idx.read_exact))
    with pytest.raises(ValueError, match=r"shape \(65536, 65536\) of uint8 needs 4294967296 data"):
        data.read_idx(path)


def refuse_large_reads(read_exact):
    def guarded(f, n, path, what):
        assert n <= 64, f"read {n} bytes before checking the file size"
        return read_exact(f, n, path, what)

    return guarded


def test_idx_corrupt_gzip_names_the_file(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(b"\x1f\x8b" + b"garbage" * 10)
    with pytest.raises(
        ValueError, match=re.escape(str(path)) + r": cannot read IDX file \(corrupt gzip"
    ):
        data.read_idx(path)
    good = gzip.compress(GOOD)
    path.write_bytes(good[: len(good) // 2] + b"\x00" * 8)  # a gzip stream cut in the middle
    with pytest.raises(ValueError, match=re.escape(str(path))):
        data.read_idx(path)


def test_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="IDX file not found: .*nope-idx1-ubyte"):
        data.read_idx(tmp_path / "nope-idx1-ubyte")


def test_write_idx_rejects_what_idx_cannot_hold(tmp_path):
    with pytest.raises(
        TypeError, match="write_idx: dtype int64 has no IDX code; use one of uint8, int8"
    ):
        data.write_idx(tmp_path / "x", np.zeros(3, np.int64))
    too_long = np.broadcast_to(np.uint8(0), (2**32,))  # a view: no 4 GiB in memory
    with pytest.raises(ValueError, match=r"shape \(4294967296,\) does not fit .* below 2\*\*32"):
        data.write_idx(tmp_path / "x", too_long)
    assert not (tmp_path / "x").exists()
