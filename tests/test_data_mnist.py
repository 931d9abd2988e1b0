"""MNIST from a local folder: mnist_path() and load_mnist() (clownpiece.data.mnist)."""

from __future__ import annotations

import re
import socket

import numpy as np
import pytest
from test_data_golden import fingerprint

from clownpiece import data


def write_tiny_mnist(folder, n_train=6, n_test=3, gz=False, seed=0):
    """The four IDX files with random pixels and labels; returns the uint8/uint8 arrays."""
    g = np.random.default_rng(seed)
    arrays = (
        g.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        g.integers(0, 10, n_train, dtype=np.uint8),
        g.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        g.integers(0, 10, n_test, dtype=np.uint8),
    )
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in zip(data.MNIST_FILES, arrays):
        data.write_idx(folder / (name + (".gz" if gz else "")), array)
    return arrays


def test_load_mnist_values_shapes_dtypes(tmp_path):
    train_x, train_y, test_x, test_y = write_tiny_mnist(tmp_path)
    m = data.load_mnist(tmp_path)
    assert m.train_images.shape == (6, 28, 28) and m.train_images.dtype == np.float32
    assert m.test_images.shape == (3, 28, 28) and m.test_images.dtype == np.float32
    assert m.train_labels.dtype == m.test_labels.dtype == np.int64
    np.testing.assert_array_equal(m.train_labels, train_y)
    np.testing.assert_array_equal(m.test_labels, test_y)
    np.testing.assert_array_equal(m.test_images, test_x.astype(np.float32) / np.float32(255))
    # what the single-file implementation (commit db77816) loaded from these same files
    assert fingerprint(*m) == "c31f4feb33bc6d7c"
    divided_by_256 = [a / np.float32(256 / 255) if a.dtype == np.float32 else a for a in m]
    assert fingerprint(*divided_by_256) != "c31f4feb33bc6d7c"  # the check sees a wrong scale


def test_pixel_scaling_by_hand(tmp_path):
    write_tiny_mnist(tmp_path)
    data.write_idx(tmp_path / "t10k-images-idx3-ubyte", np.array([[[0, 51, 255]]], np.uint8))
    data.write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([7], np.uint8))
    m = data.load_mnist(tmp_path)
    assert m.test_images.tolist() == [[[0.0, np.float32(0.2), 1.0]]] and m.test_labels.tolist() == [
        7
    ]


def test_flatten(tmp_path):
    train_x, _, test_x, _ = write_tiny_mnist(tmp_path, gz=True)
    m = data.load_mnist(tmp_path, flatten=True)
    assert m.train_images.shape == (6, 784) and m.test_images.shape == (3, 784)
    np.testing.assert_array_equal(m.train_images[2, 28:56] * 255, train_x[2, 1].astype(np.float32))


def test_gzip_and_dotted_mirror_names(tmp_path):
    g = np.random.default_rng(1)
    train_x, test_x = (
        g.integers(0, 256, (6, 28, 28), np.uint8),
        g.integers(0, 256, (2, 28, 28), np.uint8),
    )
    train_y, test_y = g.integers(0, 10, 6, np.uint8), g.integers(0, 10, 2, np.uint8)
    data.write_idx(tmp_path / "train-images-idx3-ubyte.gz", train_x)
    data.write_idx(tmp_path / "train-labels-idx1-ubyte", train_y)
    data.write_idx(tmp_path / "t10k-images.idx3-ubyte", test_x)  # dotted mirror name
    with pytest.raises(
        FileNotFoundError, match=r"missing in .*: t10k-labels-idx1-ubyte \(with or"
    ) as info:
        data.load_mnist(tmp_path)
    assert "train-images" not in str(info.value)
    data.write_idx(tmp_path / "t10k-labels.idx1-ubyte.gz", test_y)
    m = data.load_mnist(tmp_path)
    np.testing.assert_array_equal(m.train_images * 255, train_x.astype(np.float32))
    np.testing.assert_array_equal(m.test_labels, test_y)


def test_mnist_path_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("CLOWNPIECE_MNIST", raising=False)
    assert data.mnist_path() is None
    monkeypatch.setenv("CLOWNPIECE_MNIST", "  ")
    assert data.mnist_path() is None
    write_tiny_mnist(tmp_path / "mnist")
    monkeypatch.setenv("CLOWNPIECE_MNIST", str(tmp_path / "mnist"))
    assert data.mnist_path() == tmp_path / "mnist"
    assert data.load_mnist().train_images.shape == (6, 28, 28)  # no folder: mnist_path()
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("CLOWNPIECE_MNIST", "~/mnist")
    assert data.mnist_path() == tmp_path / "mnist"


def test_mnist_path_named_but_wrong(tmp_path, monkeypatch):
    monkeypatch.setenv("CLOWNPIECE_MNIST", str(tmp_path / "nowhere"))
    with pytest.raises(
        FileNotFoundError, match=r"CLOWNPIECE_MNIST='.*nowhere': MNIST folder not found"
    ):
        data.mnist_path()
    (tmp_path / "half").mkdir()
    data.write_idx(tmp_path / "half" / "train-images-idx3-ubyte", np.zeros((1, 28, 28), np.uint8))
    monkeypatch.setenv("CLOWNPIECE_MNIST", str(tmp_path / "half"))
    message = "CLOWNPIECE_MNIST='.*half': MNIST files missing in .*: train-labels-idx1-ubyte, t10k-"
    with pytest.raises(FileNotFoundError, match=message):
        data.mnist_path()


def test_load_mnist_without_folder_or_variable(monkeypatch):
    monkeypatch.delenv("CLOWNPIECE_MNIST", raising=False)
    with pytest.raises(FileNotFoundError, match="no folder given and CLOWNPIECE_MNIST is not set"):
        data.load_mnist()


def test_never_touches_the_network(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("load_mnist opened a socket")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    with pytest.raises(FileNotFoundError):
        data.load_mnist(tmp_path)
    write_tiny_mnist(tmp_path)
    assert len(data.load_mnist(tmp_path).train_labels) == 6


def test_labels_where_images_belong(tmp_path):
    write_tiny_mnist(tmp_path)
    wrong = tmp_path / "train-images-idx3-ubyte"
    data.write_idx(wrong, np.arange(6, dtype=np.uint8))
    expected = r"expected MNIST images \(IDX magic 0x00000803: unsigned bytes, 3 dimensions\)"
    with pytest.raises(
        ValueError, match=re.escape(str(wrong)) + ": " + expected + r", got uint8 of shape \(6,\)"
    ):
        data.load_mnist(tmp_path)


def test_float_labels(tmp_path):
    write_tiny_mnist(tmp_path)
    wrong = tmp_path / "t10k-labels-idx1-ubyte"
    data.write_idx(wrong, np.zeros(3, np.float32))
    expected = (
        r"expected MNIST labels \(IDX magic 0x00000801: unsigned bytes, 1 dimension\), got float32"
    )
    with pytest.raises(ValueError, match=re.escape(str(wrong)) + ": " + expected):
        data.load_mnist(tmp_path)


def test_counts_must_match(tmp_path):
    write_tiny_mnist(tmp_path)
    data.write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(5, np.uint8))
    message = r"train-images-idx3-ubyte holds 6 images but .*train-labels-idx1-ubyte holds 5 "
    with pytest.raises(ValueError, match=message + "labels; expected one label per image"):
        data.load_mnist(tmp_path)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x08\x03\x00\x00" + bytes(12), r"bad magic: first two bytes are 0803, expected 0000"),
        (
            b"\x00\x00\x08\x03\x00\x00\x00\x06\x00\x00\x00\x1c",
            r"truncated IDX file: the dimensions",
        ),
        (b"\x1f\x8b" + b"not really gzip", r"cannot read IDX file \(corrupt gzip stream"),
    ],
    ids=["bad-magic", "truncated", "corrupt-gzip"],
)
def test_corrupt_file_is_named(tmp_path, content, message):
    write_tiny_mnist(tmp_path)
    bad = tmp_path / "train-images-idx3-ubyte"
    bad.write_bytes(content)
    with pytest.raises(ValueError, match=re.escape(str(bad)) + ": .*" + message):
        data.load_mnist(tmp_path)
