"""MNIST from the four standard IDX files in a local folder (this package never downloads).

folder = data.mnist_path()  # $CLOWNPIECE_MNIST, or None when it is not set
if folder is not None:
    mnist = data.load_mnist(folder)  # float32 images in [0, 1], int64 labels
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .idx import read_idx

MNIST_ENV = "CLOWNPIECE_MNIST"
MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)


class Mnist(NamedTuple):
    train_images: np.ndarray  # float32 (60000, 28, 28) in [0, 1], or (60000, 784) flattened
    train_labels: np.ndarray  # int64 (60000,)
    test_images: np.ndarray  # float32 (10000, 28, 28) or (10000, 784)
    test_labels: np.ndarray  # int64 (10000,)


def find_mnist_files(folder: str | os.PathLike) -> list[Path]:
    """The four files' paths in `folder`, in MNIST_FILES order; each may end in .gz, and
    some mirrors spell them train-images.idx3-ubyte. Raises FileNotFoundError naming the
    missing ones."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"MNIST folder not found: {folder}")
    found, missing = [], []
    for name in MNIST_FILES:
        dotted = name.replace("-idx", ".idx")  # e.g. train-images.idx3-ubyte
        candidates = [folder / (n + gz) for n in (name, dotted) for gz in ("", ".gz")]
        hit = next((p for p in candidates if p.is_file()), None)
        if hit is None:
            missing.append(name)
        else:
            found.append(hit)
    if missing:
        raise FileNotFoundError(
            f"MNIST files missing in {folder}: {', '.join(missing)} (with or without .gz)"
        )
    return found


def mnist_path() -> Path | None:
    """The MNIST folder named by the environment variable CLOWNPIECE_MNIST, or None when
    it is unset or empty (so a chapter can skip cleanly). A folder that is named but does
    not hold the four files raises FileNotFoundError."""
    value = os.environ.get(MNIST_ENV, "").strip()
    if not value:
        return None
    folder = Path(value).expanduser()
    try:
        find_mnist_files(folder)
    except FileNotFoundError as e:
        raise FileNotFoundError(f"{MNIST_ENV}={value!r}: {e}") from None
    return folder


def check_mnist_array(array: np.ndarray, path: Path, kind: str) -> None:
    """Refuse a file that is valid IDX but not what MNIST stores there."""
    magic, ndim = ("0x00000803", 3) if kind == "images" else ("0x00000801", 1)
    if array.dtype != np.uint8 or array.ndim != ndim:
        raise ValueError(
            f"{path}: expected MNIST {kind} (IDX magic {magic}: unsigned bytes, {ndim} "
            f"dimension{'s' if ndim > 1 else ''}), got {array.dtype} of shape {array.shape}"
        )


def load_mnist(folder: str | os.PathLike | None = None, *, flatten: bool = False) -> Mnist:
    """MNIST from the four standard IDX files in `folder` (default: `mnist_path()`).

    Images become float32 in [0, 1] shaped (n, 28, 28), or (n, 784) with `flatten`;
    labels become int64. Files may be gzipped. Nothing is ever downloaded.
    """
    if folder is None:
        folder = mnist_path()
        if folder is None:
            raise FileNotFoundError(
                f"load_mnist: no folder given and {MNIST_ENV} is not set; point it at a "
                f"folder with the four MNIST IDX files ({', '.join(MNIST_FILES)})"
            )
    paths = find_mnist_files(folder)
    arrays = [read_idx(p) for p in paths]
    for i, (array, path) in enumerate(zip(arrays, paths)):
        check_mnist_array(array, path, "images" if i % 2 == 0 else "labels")
    for images, labels, images_path, labels_path in (
        (arrays[0], arrays[1], paths[0], paths[1]),
        (arrays[2], arrays[3], paths[2], paths[3]),
    ):
        if len(images) != len(labels):
            raise ValueError(
                f"MNIST: {images_path} holds {len(images)} images but {labels_path} "
                f"holds {len(labels)} labels; expected one label per image"
            )
    train_x, train_y, test_x, test_y = arrays
    return Mnist(
        scale_images(train_x, flatten),
        train_y.astype(np.int64),
        scale_images(test_x, flatten),
        test_y.astype(np.int64),
    )


def scale_images(images: np.ndarray, flatten: bool) -> np.ndarray:
    """uint8 pixels 0..255 as float32 in [0, 1], one row of pixels per image if `flatten`."""
    scaled = images.astype(np.float32) / np.float32(255)
    return scaled.reshape(len(scaled), -1) if flatten else scaled
