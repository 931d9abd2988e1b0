"""The IDX file format (MNIST's): read and write n-dimensional arrays, gzipped or not.

Layout: two zero bytes, a dtype code, the number of dimensions, one big-endian uint32 per
dimension, then the data, big-endian, in C order.
"""

from __future__ import annotations

import gzip
import math
import os
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

IDX_DTYPES = {
    0x08: np.uint8,
    0x09: np.int8,
    0x0B: np.int16,
    0x0C: np.int32,
    0x0D: np.float32,
    0x0E: np.float64,
}
IDX_CODES = {np.dtype(t): code for code, t in IDX_DTYPES.items()}

ByteStream = gzip.GzipFile | BinaryIO  # what `open_maybe_gzipped` returns


def open_maybe_gzipped(path: Path) -> ByteStream:
    """Open `path` for reading, through gzip when its first bytes are gzip's magic."""
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def read_exact(f: ByteStream, n: int, path: Path, what: str) -> bytes:
    """Exactly `n` bytes from `f`, or a ValueError naming the file and what was cut short."""
    chunks, left = [], n
    while left:
        chunk = f.read(min(left, 1 << 20))
        if not chunk:
            raise ValueError(
                f"{path}: truncated IDX file: {what} needs {n} bytes, only {n - left} present"
            )
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (gzip-compressed or not, told apart by content) into a numpy array.

    A malformed file raises ValueError naming the file and what was expected; the declared
    size is checked against the file before the data is read.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found: {path}")
    with open_maybe_gzipped(path) as f:
        try:
            return read_idx_stream(f, path)
        except (OSError, EOFError) as e:  # a corrupt or cut gzip stream
            raise ValueError(f"{path}: cannot read IDX file (corrupt gzip stream?): {e}") from None


def read_idx_stream(f: ByteStream, path: Path) -> np.ndarray:
    """The array in the open IDX file `f` (named `path` in errors)."""
    header = read_exact(f, 4, path, "the header")
    if header[:2] != b"\x00\x00":
        raise ValueError(
            f"{path}: not an IDX file (bad magic: first two bytes are "
            f"{header[:2].hex()}, expected 0000)"
        )
    code, ndim = header[2], header[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ValueError(f"{path}: unknown IDX dtype code 0x{code:02X} (known: {known})")
    dims = read_exact(f, 4 * ndim, path, "the dimensions")
    shape = tuple(int(d) for d in np.frombuffer(dims, ">u4"))
    dtype = np.dtype(IDX_DTYPES[code]).newbyteorder(">")
    nbytes = math.prod(shape) * dtype.itemsize
    if not isinstance(f, gzip.GzipFile):
        available = path.stat().st_size - 4 - 4 * ndim
        if available != nbytes:
            kind = "truncated" if available < nbytes else "too long"
            raise ValueError(
                f"{path}: {kind} IDX file: shape {shape} of {dtype.name} needs "
                f"{nbytes} data bytes, the file has {available}"
            )
    body = read_exact(f, nbytes, path, f"shape {shape} of {dtype.name}")
    if f.read(1):
        raise ValueError(
            f"{path}: too long IDX file: trailing bytes after the "
            f"{nbytes} data bytes of shape {shape}"
        )
    return np.frombuffer(body, dtype).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: Any) -> Path:
    """Write `array` as an IDX file (gzip-compressed when `path` ends in .gz); returns the path."""
    path, array = Path(path), np.asarray(array)
    if array.dtype not in IDX_CODES:
        names = ", ".join(np.dtype(t).name for t in IDX_DTYPES.values())
        raise TypeError(f"write_idx: dtype {array.dtype} has no IDX code; use one of {names}")
    if any(d >= 2**32 for d in array.shape):  # numpy's 64 dimensions fit IDX's 255
        raise ValueError(
            f"write_idx: shape {array.shape} does not fit in an IDX header "
            f"(each dimension must be below 2**32)"
        )
    header = bytes([0, 0, IDX_CODES[array.dtype], array.ndim])
    header += np.asarray(array.shape, ">u4").tobytes()
    body = array.astype(array.dtype.newbyteorder(">")).tobytes()
    if path.suffix == ".gz":
        with gzip.open(path, "wb") as f:
            f.write(header + body)
    else:
        with open(path, "wb") as f:
            f.write(header + body)
    return path
