"""Data for the book's training chapters: a synthetic estate set, digits, MNIST IDX files,
mini-batches of Tensors and a progress display that keeps notebook outputs stable.

    from clownpiece import data
    estate = data.make_estate(1000, seed=0)
    x_tr, x_te, y_tr, y_te = data.train_test_split(estate.features, estate.price)
    x_tr, x_te, _ = data.standardize(x_tr, x_te)
    for xb, yb in data.batches(x_tr, y_tr, batch_size=64):
        ...
"""

from __future__ import annotations

import gzip
import math
import os
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from . import rng
from .tensor import Tensor

__all__ = [
    "Digits", "Estate", "Mnist", "batches", "load_digits", "load_mnist", "make_estate",
    "progress", "read_idx", "standardize", "train_test_split", "write_idx",
]

# ---------------------------------------------------------------------------------------------
# The real-estate regression set
# ---------------------------------------------------------------------------------------------

ESTATE_FEATURES = ("area_m2", "age_years", "distance_km", "stores", "yard")


class Estate(NamedTuple):
    """A synthetic estate set. Prices are in thousands of euros (k€)."""

    features: np.ndarray  # float32 (n, 5), columns as in feature_names
    price: np.ndarray  # float32 (n,), noisy price: the regression target
    feature_names: tuple[str, ...]
    noise_free_price: np.ndarray  # float32 (n,), the price before noise (the best any model can do)


def estate_price(area, age, distance, stores, yard) -> np.ndarray:
    """The noise-free price (k€) of `make_estate`: non-linear, with interactions.

    * area × a location factor that decays with distance to the centre (×2 in the centre,
      ×0.35 far away) × a depreciation curve that loses up to 40 % with age;
    * a saturating bonus of up to 80 k€ for shops nearby;
    * a yard premium of 30 k€ plus 0.4 k€ per m² of floor area (an interaction).
    """
    location = 0.35 + 1.65 * np.exp(-distance / 5.0)
    depreciation = 0.6 + 0.4 * np.exp(-age / 20.0)
    shops = 80.0 * (1.0 - np.exp(-stores / 3.0))
    garden = yard * (30.0 + 0.4 * area)
    return 5.0 * area * location * depreciation + shops + garden


def make_estate(n: int = 1000, noise: float = 30.0, seed: int = 0) -> Estate:
    """`n` seeded houses: area 30–200 m², age 0–80 years, distance 0.3–40 km (gamma, most
    within 15 km), stores nearby (Poisson, more near the centre), yard 0/1 (likelier far
    out); price = `estate_price(...)` + Gaussian noise of std `noise` k€.

    Uses its own `np.random.default_rng(seed)`, never the package generator. With the
    default noise the best possible R² is about 0.985, a linear model reaches about 0.83,
    and a small MLP on standardised features reaches R² ≥ 0.95.
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"make_estate: n must be a positive int, got {n!r}")
    if not noise >= 0:
        raise ValueError(f"make_estate: noise must be >= 0, got {noise!r}")
    g = np.random.default_rng(seed)
    area = g.uniform(30.0, 200.0, n)
    age = g.uniform(0.0, 80.0, n)
    distance = g.gamma(2.0, 4.0, n).clip(0.3, 40.0)
    stores = g.poisson(12.0 * np.exp(-distance / 5.0) + 0.5).astype(np.float64)
    yard = (g.random(n) < 0.15 + 0.6 * (1.0 - np.exp(-distance / 8.0))).astype(np.float64)
    clean = estate_price(area, age, distance, stores, yard)
    price = clean + g.normal(0.0, noise, n)
    features = np.stack([area, age, distance, stores, yard], axis=1).astype(np.float32)
    return Estate(features, price.astype(np.float32), ESTATE_FEATURES, clean.astype(np.float32))


def train_test_split(*arrays: Any, test_fraction: float = 0.2, seed: int = 0) -> list[np.ndarray]:
    """Shuffle rows with `np.random.default_rng(seed)` and split every array the same way.

    Returns `[a_train, a_test, b_train, b_test, ...]` (as scikit-learn does).
    """
    arrays_ = _check_lengths(arrays, "train_test_split")
    n = len(arrays_[0])
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"train_test_split: test_fraction must be in (0, 1), got {test_fraction!r}")
    n_test = int(round(n * test_fraction))
    if not 0 < n_test < n:
        raise ValueError(f"train_test_split: {n} rows with test_fraction={test_fraction} "
                         f"leave an empty train or test part")
    order = np.random.default_rng(seed).permutation(n)
    test, train = order[:n_test], order[n_test:]
    out: list[np.ndarray] = []
    for a in arrays_:
        out += [a[train], a[test]]
    return out


def standardize(train: Any, test: Any) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """`(train - mean) / std` and `(test - mean) / std` with mean and std (per column) fitted
    on `train` only. Constant columns get std 1. Returns `(train_z, test_z, (mean, std))`,
    all float32."""
    train, test = np.asarray(train, dtype=np.float64), np.asarray(test, dtype=np.float64)
    mean, std = train.mean(axis=0), train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    f32 = np.float32
    return (((train - mean) / std).astype(f32), ((test - mean) / std).astype(f32),
            (mean.astype(f32), std.astype(f32)))


# ---------------------------------------------------------------------------------------------
# Handwritten digits (scikit-learn's bundled copy: offline)
# ---------------------------------------------------------------------------------------------


class Digits(NamedTuple):
    images: np.ndarray  # float32 (n, 8, 8) in [0, 1]
    labels: np.ndarray  # int64 (n,) in 0..9


def load_digits() -> Digits:
    """scikit-learn's 1797 handwritten 8×8 digits, pixels scaled from 0..16 to [0, 1]."""
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
    except ImportError as e:
        raise ImportError("clownpiece.data.load_digits needs scikit-learn, which ships the digits "
                          "offline: pip install scikit-learn") from e
    d = _sk_load_digits()
    return Digits((d.images / 16.0).astype(np.float32), d.target.astype(np.int64))


# ---------------------------------------------------------------------------------------------
# Mini-batches
# ---------------------------------------------------------------------------------------------


def _as_array(a: Any) -> np.ndarray:
    return a.numpy() if isinstance(a, Tensor) else np.asarray(a)


def _check_lengths(arrays: tuple, who: str) -> list[np.ndarray]:
    if not arrays:
        raise ValueError(f"{who}: expected at least one array")
    out = [_as_array(a) for a in arrays]
    if any(a.ndim == 0 for a in out):
        raise ValueError(f"{who}: arrays must have at least one dimension")
    lengths = [len(a) for a in out]
    if len(set(lengths)) > 1:
        raise ValueError(f"{who}: arrays must have the same first dimension, got lengths {lengths}")
    return out


def _batch_dtype(a: np.ndarray) -> np.dtype:
    if a.dtype.kind == "f":
        return np.dtype(np.float32)
    if a.dtype.kind in "iu":
        return np.dtype(np.int64)
    if a.dtype.kind == "b":
        return np.dtype(np.bool_)
    raise TypeError(f"batches: unsupported array dtype {a.dtype}")


def batches(*arrays: Any, batch_size: int, shuffle: bool = True,
            drop_last: bool = False) -> Iterator[tuple[Tensor, ...]]:
    """Yield tuples of Tensor mini-batches, one Tensor per array (a 1-tuple for one array).

    Floats become float32, integers int64. With `shuffle` the row order is drawn from the
    package generator when `batches` is called, so `clownpiece.manual_seed` makes it
    reproducible. Each epoch visits every row once; the last batch is smaller unless
    `drop_last`.
    """
    if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batches: batch_size must be a positive int, got {batch_size!r}")
    arrays_ = _check_lengths(arrays, "batches")
    arrays_ = [a.astype(_batch_dtype(a), copy=False) for a in arrays_]
    n = len(arrays_[0])
    order = rng.generator().permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n

    def generate() -> Iterator[tuple[Tensor, ...]]:
        for start in range(0, stop, batch_size):
            rows = order[start:start + batch_size]
            yield tuple(Tensor(a[rows]) for a in arrays_)

    return generate()


# ---------------------------------------------------------------------------------------------
# MNIST IDX files
# ---------------------------------------------------------------------------------------------

IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.int16, 0x0C: np.int32,
              0x0D: np.float32, 0x0E: np.float64}
_IDX_CODES = {np.dtype(t): code for code, t in IDX_DTYPES.items()}


def _open(path: Path):
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def _read_exact(f, n: int, path: Path, what: str) -> bytes:
    chunks, left = [], n
    while left:
        chunk = f.read(min(left, 1 << 20))
        if not chunk:
            raise ValueError(f"{path}: truncated IDX file: {what} needs {n} bytes, only {n - left} present")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (MNIST's format; gzip-compressed or not) into a numpy array.

    Layout: two zero bytes, a dtype code, the number of dimensions, one big-endian uint32
    per dimension, then the big-endian data. A malformed file raises ValueError; the
    declared size is checked against the file before the data is read.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found: {path}")
    with _open(path) as f:
        try:
            header = _read_exact(f, 4, path, "the header")
        except (OSError, EOFError) as e:  # e.g. a corrupt gzip stream
            raise ValueError(f"{path}: cannot read IDX file: {e}") from None
        if header[:2] != b"\x00\x00":
            raise ValueError(f"{path}: not an IDX file (bad magic: first two bytes are "
                             f"{header[:2].hex()}, expected 0000)")
        code, ndim = header[2], header[3]
        if code not in IDX_DTYPES:
            raise ValueError(f"{path}: unknown IDX dtype code 0x{code:02X} (known: "
                             + ", ".join(f"0x{c:02X}" for c in IDX_DTYPES) + ")")
        shape = tuple(int(d) for d in np.frombuffer(_read_exact(f, 4 * ndim, path, "the dimensions"), ">u4"))
        dtype = np.dtype(IDX_DTYPES[code]).newbyteorder(">")
        nbytes = math.prod(shape) * dtype.itemsize
        if not isinstance(f, gzip.GzipFile):
            available = path.stat().st_size - 4 - 4 * ndim
            if available != nbytes:
                kind = "truncated" if available < nbytes else "too long"
                raise ValueError(f"{path}: {kind} IDX file: shape {shape} of {dtype.name} needs "
                                 f"{nbytes} data bytes, the file has {available}")
        try:
            body = _read_exact(f, nbytes, path, f"shape {shape} of {dtype.name}")
            if f.read(1):
                raise ValueError(f"{path}: too long IDX file: trailing bytes after the "
                                 f"{nbytes} data bytes of shape {shape}")
        except (OSError, EOFError) as e:
            raise ValueError(f"{path}: cannot read IDX file: {e}") from None
    return np.frombuffer(body, dtype).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: Any) -> Path:
    """Write `array` as an IDX file (gzip-compressed when `path` ends in .gz); returns the path."""
    path, array = Path(path), np.asarray(array)
    if array.dtype not in _IDX_CODES:
        raise TypeError(f"write_idx: dtype {array.dtype} has no IDX code; use one of "
                        + ", ".join(np.dtype(t).name for t in IDX_DTYPES.values()))
    if array.ndim > 255 or any(d >= 2**32 for d in array.shape):
        raise ValueError(f"write_idx: shape {array.shape} does not fit in an IDX header")
    header = bytes([0, 0, _IDX_CODES[array.dtype], array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    body = array.astype(array.dtype.newbyteorder(">")).tobytes()
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as f:
        f.write(header + body)
    return path


class Mnist(NamedTuple):
    train_images: np.ndarray  # float32 (60000, 28, 28) in [0, 1]
    train_labels: np.ndarray  # int64 (60000,)
    test_images: np.ndarray
    test_labels: np.ndarray


MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def load_mnist(folder: str | os.PathLike) -> Mnist:
    """MNIST from the four standard IDX files in `folder` (each may end in .gz, and some
    mirrors spell them train-images.idx3-ubyte). Images are scaled to float32 [0, 1]."""
    folder = Path(folder)
    found, missing = [], []
    for name in MNIST_FILES:
        dotted = name.replace("-idx", ".idx")  # e.g. train-images.idx3-ubyte
        candidates = [folder / (n + gz) for n in (name, dotted) for gz in ("", ".gz")]
        hit = next((p for p in candidates if p.is_file()), None)
        (found if hit else missing).append(hit or name)
    if missing:
        raise FileNotFoundError(f"MNIST files missing in {folder}: {', '.join(missing)} "
                                f"(with or without .gz)")
    arrays = [read_idx(p) for p in found]
    return Mnist(*(a.astype(np.float32) / np.float32(255) if i % 2 == 0 else a.astype(np.int64)
                   for i, a in enumerate(arrays)))


# ---------------------------------------------------------------------------------------------
# Progress display
# ---------------------------------------------------------------------------------------------


def _kernel_shell():
    """The IPython shell when running in a Jupyter kernel, else None (never imports IPython)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell if shell is not None and hasattr(shell, "kernel") else None


class progress:
    """Iterate over `iterable` while showing `desc 12/50 [#####.....] loss=0.1234` live.

    Design (stable for nbval): the display leaves no trace in stored outputs.

    * In a Jupyter kernel it shows one display output that is *empty* when created, is
      updated in place (`display_id`, at most every `min_interval` seconds) and is emptied
      again at the end, even on error. The saved notebook (whose runner applies the updates)
      and nbval (which ignores updates) therefore both record the same empty output.
    * On a terminal (stderr is a TTY) it rewrites one line with ``\\r`` and erases it at the end.
    * Anywhere else it prints nothing. ``CLOWNPIECE_PROGRESS=0`` turns live updates off
      everywhere (the empty kernel placeholder is still emitted, so outputs do not change).

    Print the deterministic per-epoch summary (rounded numbers, no timings) yourself.
    Use ``bar.set(loss=...)`` inside the loop to show values.
    """

    def __init__(self, iterable: Iterable, total: int | None = None, desc: str = "",
                 min_interval: float = 0.2) -> None:
        self.iterable, self.desc, self.min_interval = iterable, desc, min_interval
        self.total = total if total is not None else (len(iterable) if hasattr(iterable, "__len__") else None)
        self.values: dict[str, Any] = {}
        self.count = 0

    def set(self, **values: Any) -> None:
        """Values shown after the bar, e.g. `bar.set(loss=0.123)`."""
        self.values.update(values)

    def line(self) -> str:
        """The current progress text."""
        done = f"{self.count}/{self.total}" if self.total else str(self.count)
        bar = ""
        if self.total:
            filled = round(20 * min(self.count, self.total) / self.total)
            bar = " [" + "#" * filled + "." * (20 - filled) + "]"
        shown = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                         for k, v in self.values.items())
        return " ".join(s for s in (self.desc, done + bar, shown) if s)

    def __iter__(self) -> Iterator:
        live = os.environ.get("CLOWNPIECE_PROGRESS", "1") != "0"
        shell = _kernel_shell()
        if shell is not None:
            from IPython.display import display
            handle = display({"text/plain": ""}, raw=True, display_id=True)
            show = (lambda text: handle.update({"text/plain": text}, raw=True)) if live else None
            clear = lambda: handle.update({"text/plain": ""}, raw=True)  # noqa: E731
        elif live and sys.stderr.isatty():
            width = [0]

            def show(text: str) -> None:
                sys.stderr.write("\r" + text.ljust(width[0]))
                sys.stderr.flush()
                width[0] = max(width[0], len(text))

            clear = lambda: (sys.stderr.write("\r" + " " * width[0] + "\r"), sys.stderr.flush())  # noqa: E731
        else:
            show = clear = None
        last = -math.inf
        try:
            for item in self.iterable:
                yield item
                self.count += 1
                now = time.monotonic()
                if show is not None and now - last >= self.min_interval:
                    show(self.line())
                    last = now
        finally:
            if clear is not None:
                clear()
