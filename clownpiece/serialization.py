"""`save` / `load` for state dicts in a small self-describing format that never runs code.

File layout (all integers little-endian):

    offset  size  field
    0       8     magic  b"CLOWNPC\\x00"
    8       4     format version (uint32, currently 1)
    12      8     header length H in bytes (uint64)
    20      32    sha256 of everything after this field (header + data)
    52      H     header: UTF-8 JSON, padded with spaces so the data starts 64-byte aligned
    52+H    ...   data: the raw little-endian bytes of every tensor

The header is `{"entries": [...]}`, one entry per state-dict key in order:
`{"name": str, "tensor": null}` for a disabled (None) slot, or
`{"name": str, "tensor": {"dtype": one of float32/float64/int32/int64/bool,
"shape": [int, ...], "offset": int, "nbytes": int}}` where `offset` counts from the
start of the data section.  Entries may not overlap and must lie inside the file.

Loading only reads JSON and raw bytes (no pickle), checks the checksum and every field
against the real file size before allocating anything, and raises `CorruptFileError`
for any malformed file.  Saving writes a temporary file in the same folder, fsyncs it
and renames it over the target, so a crash mid-save leaves the old file intact.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import struct
import tempfile
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np

from .tensor import Tensor

MAGIC = b"CLOWNPC\x00"
VERSION = 1
_PREFIX = struct.Struct("<8sIQ32s")  # magic, version, header length, sha256
_ALIGN = 64
_DTYPES = {name: np.dtype(name).newbyteorder("<") for name in ("float32", "float64", "int32", "int64")}
_DTYPES["bool"] = np.dtype(np.bool_)
_MAX_NDIM = 64


class CorruptFileError(ValueError):
    """The file is not a valid clownpiece state-dict file (truncated, edited or foreign)."""


def _dtype_name(dtype: np.dtype) -> str:
    for name, known in _DTYPES.items():
        if dtype == known.newbyteorder("="):
            return name
    raise TypeError(f"save: unsupported dtype {dtype}; supported are {sorted(_DTYPES)}")


def dumps(state_dict: Mapping[str, Any]) -> bytes:
    """The file bytes for `state_dict` (a mapping of str -> Tensor or None)."""
    if not isinstance(state_dict, Mapping):
        hint = " (save model.state_dict(), not the model)" if hasattr(state_dict, "state_dict") else ""
        raise TypeError(f"save expects a mapping of str -> Tensor{hint}, got {type(state_dict).__name__}")
    entries, chunks, offset = [], [], 0
    for name, value in state_dict.items():
        if not isinstance(name, str):
            raise TypeError(f"save: keys must be str, got {type(name).__name__} ({name!r})")
        if value is None:
            entries.append({"name": name, "tensor": None})
            continue
        if not isinstance(value, Tensor):
            raise TypeError(f"save: '{name}' must be a Tensor or None, got {type(value).__name__}")
        dtype_name = _dtype_name(value.dtype)
        raw = np.ascontiguousarray(value._data, dtype=_DTYPES[dtype_name]).tobytes()
        pad = -offset % _ALIGN
        chunks.append(b"\x00" * pad)
        offset += pad
        meta = {"dtype": dtype_name, "shape": list(value.shape), "offset": offset, "nbytes": len(raw)}
        entries.append({"name": name, "tensor": meta})
        chunks.append(raw)
        offset += len(raw)
    header = json.dumps({"entries": entries}, separators=(",", ":")).encode("utf-8")
    header += b" " * (-(_PREFIX.size + len(header)) % _ALIGN)
    return _pack(header, b"".join(chunks))


def _pack(header: bytes, data: bytes, version: int = VERSION) -> bytes:
    """Prefix + header + data with a correct checksum (tests use it to craft bad headers)."""
    digest = hashlib.sha256(header + data).digest()
    return _PREFIX.pack(MAGIC, version, len(header), digest) + header + data


def save(state_dict: Mapping[str, Any], path: str | os.PathLike) -> None:
    """Write `state_dict` to `path` atomically (temporary file, fsync, rename)."""
    blob = dumps(state_dict)
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable
        dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def load(path: str | os.PathLike) -> OrderedDict[str, Tensor | None]:
    """Read a file written by `save`; raises CorruptFileError for any malformed file."""
    with open(path, "rb") as f:
        buf = bytearray(os.fstat(f.fileno()).st_size)
        n = f.readinto(buf)
    return loads(buf[:n] if n != len(buf) else buf)


def _bad(msg: str) -> CorruptFileError:
    return CorruptFileError(f"corrupt clownpiece file: {msg}")


def _read_prefix(buf: bytes | bytearray) -> int:
    """Check magic, version, header length and checksum; returns the header length."""
    if len(buf) < _PREFIX.size:
        if bytes(buf[:1]) == b"\x80":
            raise _bad("this looks like a pickle file; clownpiece.load never unpickles")
        raise _bad(f"only {len(buf)} bytes, shorter than the {_PREFIX.size}-byte prefix")
    magic, version, hlen, digest = _PREFIX.unpack_from(buf)
    if magic != MAGIC:
        if bytes(buf[:1]) == b"\x80":
            raise _bad("this looks like a pickle file; clownpiece.load never unpickles")
        raise _bad(f"wrong magic bytes {magic!r} (expected {MAGIC!r}); not a clownpiece file")
    if version != VERSION:
        raise _bad(f"unsupported format version {version} (this clownpiece reads {VERSION})")
    if hlen > len(buf) - _PREFIX.size:
        raise _bad(f"header length {hlen} exceeds the {len(buf)}-byte file")
    if hashlib.sha256(memoryview(buf)[_PREFIX.size:]).digest() != digest:
        raise _bad("checksum mismatch (the file is truncated or was modified)")
    return hlen


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def _check_entry(i: int, entry: Any, data_len: int) -> tuple[str, dict | None]:
    if not isinstance(entry, dict) or set(entry) != {"name", "tensor"}:
        raise _bad(f"entry {i} must be an object with keys 'name' and 'tensor'")
    name, meta = entry["name"], entry["tensor"]
    if not isinstance(name, str):
        raise _bad(f"entry {i}: name must be a string")
    if meta is None:
        return name, None
    if not isinstance(meta, dict) or set(meta) != {"dtype", "shape", "offset", "nbytes"}:
        raise _bad(f"'{name}': tensor must have exactly dtype, shape, offset, nbytes")
    dtype, shape, offset, nbytes = meta["dtype"], meta["shape"], meta["offset"], meta["nbytes"]
    if not isinstance(dtype, str) or dtype not in _DTYPES:
        raise _bad(f"'{name}': dtype {dtype!r} is not one of {sorted(_DTYPES)}")
    if not isinstance(shape, list) or len(shape) > _MAX_NDIM or not all(map(_is_int, shape)):
        raise _bad(f"'{name}': shape must be a list of at most {_MAX_NDIM} non-negative ints")
    if not (_is_int(offset) and _is_int(nbytes)):
        raise _bad(f"'{name}': offset and nbytes must be non-negative ints")
    if offset + nbytes > data_len:
        raise _bad(f"'{name}': bytes {offset}..{offset + nbytes} lie outside the {data_len}-byte data")
    if math.prod(shape) * _DTYPES[dtype].itemsize != nbytes:
        raise _bad(f"'{name}': nbytes {nbytes} does not match shape {shape} of {dtype}")
    return name, meta


def loads(buf: bytes | bytearray) -> OrderedDict[str, Tensor | None]:
    """Parse file bytes produced by `dumps`; raises CorruptFileError for any malformed input."""
    hlen = _read_prefix(buf)
    start = _PREFIX.size + hlen
    data_len = len(buf) - start
    try:
        header = json.loads(bytes(buf[_PREFIX.size:start]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise _bad(f"header is not valid JSON ({type(e).__name__})") from None
    if not isinstance(header, dict) or not isinstance(header.get("entries"), list):
        raise _bad("header must be an object with an 'entries' list")
    checked = [_check_entry(i, e, data_len) for i, e in enumerate(header["entries"])]
    names = [name for name, _ in checked]
    if len(set(names)) != len(names):
        raise _bad("duplicate entry names")
    spans = sorted((m["offset"], m["offset"] + m["nbytes"], n) for n, m in checked if m and m["nbytes"])
    for (_, end, a), (begin, _, b) in zip(spans, spans[1:], strict=False):
        if begin < end:
            raise _bad(f"the bytes of '{a}' and '{b}' overlap")
    if not isinstance(buf, bytearray):
        buf = bytearray(buf)  # writable storage for the loaded tensors
    out: OrderedDict = OrderedDict()
    for name, meta in checked:
        if meta is None:
            out[name] = None
            continue
        dtype = _DTYPES[meta["dtype"]]
        count = meta["nbytes"] // dtype.itemsize
        array = np.frombuffer(buf, dtype, count, start + meta["offset"]).reshape(meta["shape"])
        if dtype.kind == "b" and array.view(np.uint8).max(initial=0) > 1:
            raise _bad(f"'{name}': bool data holds bytes other than 0 and 1")
        out[name] = Tensor._wrap(array.astype(dtype.newbyteorder("="), copy=False))
    return out
