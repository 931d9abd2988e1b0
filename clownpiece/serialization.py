"""`save` / `load`: state dicts as safetensors files, with an integrity digest on top.

A checkpoint is a plain safetensors file (https://huggingface.co/docs/safetensors), written
and read by the `safetensors` library, so PyTorch and the Hugging Face tools open it too:

    8 bytes   header length N (little-endian uint64)
    N bytes   header: UTF-8 JSON, space-padded; one entry per tensor,
              {"dtype": "F32", "shape": [3, 4], "data_offsets": [begin, end]},
              plus "__metadata__", a str -> str mapping
    the rest  data: the raw little-endian bytes of every tensor, back to back

What safetensors cannot hold goes into `__metadata__`, under four keys:

    clownpiece.format  "1", the version of this layout
    clownpiece.order   JSON list of every state-dict key, in the state dict's order
    clownpiece.none    JSON list of the keys whose value is None (disabled slots)
    clownpiece.sha256  sha256 of the whole file, computed with these 64 hex digits as zeros

The digest covers every byte of the file except itself (header length, tensor table,
metadata, padding and data), so any change to a file written by `save` -- a flipped bit,
a truncation, trailing bytes -- raises `CorruptFileError`, never loads wrong weights.
A safetensors file written by another tool has no digest: it is checked for structure
only (by the library and here) and loads with its keys sorted by name.

Loading never executes code (there is no pickle), reads the header before anything else
and allocates only what the file really holds.  Saving writes a temporary file next to
the target (mode from the umask like `open()`, or the old file's mode on overwrite),
fsyncs it and renames it over the target, so a crash leaves the old file or the new one.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import secrets
import stat
import struct
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np
import safetensors
import safetensors.numpy

from .tensor import Tensor

fcntl: Any
try:
    import fcntl
except ImportError:  # Windows: no advisory locks, so temp files of killed saves stay
    fcntl = None

FORMAT_VERSION = "1"
FORMAT_KEY, ORDER_KEY, NONE_KEY, DIGEST_KEY = (
    "clownpiece.format",
    "clownpiece.order",
    "clownpiece.none",
    "clownpiece.sha256",
)
_OUR_KEYS = {FORMAT_KEY, ORDER_KEY, NONE_KEY, DIGEST_KEY}
_ZEROS = b"0" * 64  # the digest field while the digest is computed
_DIGEST_FIELD = re.compile(rb'"clownpiece\.sha256":"([0-9a-f]{64})"')
_DTYPES: dict[str, np.dtype] = {  # safetensors code -> numpy dtype, every dtype Tensor has
    "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"),
    "I32": np.dtype("<i4"),
    "I64": np.dtype("<i8"),
    "BOOL": np.dtype("?"),
}
_MAX_HEADER = 100_000_000  # the safetensors library refuses longer headers


class CorruptFileError(ValueError):
    """The file is not a valid checkpoint (damaged, truncated, crafted or another format)."""


# ----------------------------------------------------------------------------- save


def save(state_dict: Mapping[str, Any], path: str | os.PathLike) -> None:
    """Write `state_dict` (str -> Tensor or None) to `path` as a safetensors file, atomically."""
    path = _as_path(path, "save", state_dict)
    blob, digest_at = _serialize(state_dict)
    _write_atomically(path, blob, digest_at)


def _serialize(state_dict: Mapping[str, Any]) -> tuple[bytes, int]:
    """The file's bytes with the digest field still zero, and where that field starts."""
    arrays, order, nones = _arrays(state_dict)
    metadata = {
        FORMAT_KEY: FORMAT_VERSION,
        ORDER_KEY: json.dumps(order, separators=(",", ":")),
        NONE_KEY: json.dumps(nones, separators=(",", ":")),
        DIGEST_KEY: _ZEROS.decode(),
    }
    blob = safetensors.numpy.save(arrays, metadata=metadata)
    (header_len,) = struct.unpack_from("<Q", blob)
    fields = list(_DIGEST_FIELD.finditer(blob, 8, 8 + header_len))
    if len(fields) != 1:
        raise RuntimeError(
            "save: the safetensors library wrote a header layout clownpiece does not know"
        )
    return blob, fields[0].start(1)


def _arrays(state_dict: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], list[str], list[str]]:
    """Checks the state dict and returns its tensors as little-endian arrays, its keys, its None keys."""
    if not isinstance(state_dict, Mapping):
        hint = (
            " (save model.state_dict(), not the model)" if hasattr(state_dict, "state_dict") else ""
        )
        raise TypeError(
            f"save expects a mapping of str -> Tensor{hint}, got {type(state_dict).__name__}"
        )
    arrays, order, nones = {}, [], []
    for key, value in state_dict.items():
        if not isinstance(key, str):
            raise TypeError(f"save: keys must be str, got {type(key).__name__} ({key!r})")
        if key == "__metadata__":
            raise ValueError("save: the key '__metadata__' is reserved by the safetensors format")
        order.append(key)
        if value is None:
            nones.append(key)
            continue
        if not isinstance(value, Tensor):
            raise TypeError(f"save: '{key}' must be a Tensor or None, got {type(value).__name__}")
        code = next((c for c, d in _DTYPES.items() if value.dtype == d.newbyteorder("=")), None)
        if code is None:
            raise TypeError(
                f"save: '{key}' has dtype {value.dtype}, which safetensors cannot hold here"
            )
        arrays[key] = np.require(value.numpy(), _DTYPES[code], "C")
    return arrays, order, nones


def _write_atomically(path: str, blob: bytes, digest_at: int) -> None:
    """Temp file next to `path`, digest filled in, fsync, rename over `path`, fsync the folder."""
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, "save: the target is a directory", path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(errno.ENOENT, "save: the folder does not exist", folder)
    _remove_stale_temps(path)
    fd, tmp = _create_temp(path)
    view = memoryview(blob)
    try:
        try:
            old_mode = stat.S_IMODE(os.stat(path).st_mode) & 0o777
        except FileNotFoundError:
            old_mode = None  # a new file keeps 0o666 minus the umask, as open() gives
        if old_mode is not None:
            os.chmod(tmp, old_mode)  # an overwrite keeps the old file's mode
        with open(fd, "wb", closefd=False) as f:
            f.write(view[:digest_at])
            f.write(hashlib.sha256(blob).hexdigest().encode())
            f.write(view[digest_at + 64 :])
        os.fsync(fd)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    finally:
        os.close(fd)  # releases the lock that marks the temp file as in use
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable
        dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


# ------------------------------------------------------- temp files of killed saves


def _temp_prefix(path: str) -> tuple[str, str]:
    """Temp files of `path` are `<folder>/.<name>.<8 hex digits>.tmp`; returns (folder, prefix)."""
    folder, name = os.path.split(os.path.abspath(path))
    return folder, "." + name[:200] + "."


def _create_temp(path: str) -> tuple[int, str]:
    """A new temp file for `path`, locked while this save owns it; returns (fd, name)."""
    folder, prefix = _temp_prefix(path)
    while True:
        tmp = os.path.join(folder, prefix + secrets.token_hex(4) + ".tmp")
        try:  # mode 0o666: the umask applies, exactly as for open()
            fd = os.open(
                tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666
            )
        except FileExistsError:
            continue
        if fcntl is None:
            return fd, tmp
        fcntl.flock(fd, fcntl.LOCK_EX)
        if _still_named(fd, tmp):
            return fd, tmp
        os.close(fd)  # a concurrent save removed it as stale before we locked it


def _remove_stale_temps(path: str) -> None:
    """Delete temp files of `path` whose save died (nobody holds their lock any more)."""
    if fcntl is None:
        return
    folder, prefix = _temp_prefix(path)
    pattern = re.compile(re.escape(prefix) + r"[0-9a-f]{8}\.tmp")
    for entry in os.listdir(folder):
        if not pattern.fullmatch(entry):
            continue
        full = os.path.join(folder, entry)
        try:
            fd = os.open(
                full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
            )
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if _still_named(fd, full):
                os.unlink(full)
        except OSError:
            pass  # locked: a save in progress owns it
        finally:
            os.close(fd)


def _still_named(fd: int, name: str) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.lstat(name))
    except FileNotFoundError:
        return False


# ----------------------------------------------------------------------------- load


def load(path: str | os.PathLike) -> OrderedDict[str, Tensor | None]:
    """Read a safetensors checkpoint; any malformed or modified file raises CorruptFileError.

    A file written by `save` comes back exactly (order, None slots, dtypes, bits) after its
    sha256 digest is verified.  A safetensors file written by another tool has no digest: it
    is checked for structure only, and its tensors come back sorted by name.
    """
    path = _as_path(path, "load")
    name = os.path.basename(path)
    with open(path, "rb") as f:  # FileNotFoundError, IsADirectoryError as for open()
        size = os.fstat(f.fileno()).st_size
        head = _read_head(f, size, name)
    table = _parse_header(head[8:], name)
    metadata = table.pop("__metadata__", {})
    ours = any(key.startswith("clownpiece.") for key in metadata)
    order, nones = _our_layout(metadata, set(table), name) if ours else (sorted(table), set())
    arrays = _read_arrays(path, name)
    if set(arrays) != set(table) or sum(a.nbytes for a in arrays.values()) != size - len(head):
        raise _corrupt(name, "the tensors do not cover the data exactly (did the file change?)")
    if ours:
        _check_digest(head, metadata[DIGEST_KEY], arrays, table, name)
    for key, array in arrays.items():
        if array.dtype == np.bool_ and array.view(np.uint8).max(initial=0) > 1:
            raise _corrupt(name, f"bool tensor '{key}' holds bytes other than 0 and 1")
    return OrderedDict((key, None if key in nones else _to_tensor(arrays[key])) for key in order)


def _read_head(f, size: int, name: str) -> bytes:
    """The header-length field and the header, after checking the length against the file."""
    first = f.read(8)
    if len(first) < 8:
        raise _corrupt(
            name, f"only {len(first)} bytes; a safetensors file starts with an 8-byte header length"
        )
    (header_len,) = struct.unpack("<Q", first)
    if header_len > size - 8 or header_len > _MAX_HEADER:
        if header_len > size - 8:
            problem = f"the header length {header_len} runs past the end of the {size}-byte file"
        else:
            problem = f"the header length {header_len} exceeds safetensors' limit"
        raise _corrupt(name, _sniff(first) or problem)
    return first + f.read(header_len)


def _sniff(first: bytes) -> str | None:
    """Names a well-known other format, for a clearer error."""
    if first[:1] == b"\x80":
        return "this looks like a pickle file; clownpiece.load never unpickles (no code was run)"
    if first[:4] == b"PK\x03\x04":
        return "this looks like a zip archive (what torch.save writes), not a safetensors file"
    if first == b"CLOWNPC\x00":
        return "this is a checkpoint in clownpiece's old format, which is no longer read"
    return None


def _no_duplicates(pairs: list) -> dict:
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError(f"duplicate key {next(k for k in keys if keys.count(k) > 1)!r}")
    return dict(pairs)


def _parse_header(raw: bytes, name: str) -> dict:
    """The header as a dict; refuses duplicate keys (JSON parsers disagree on them), entries of
    the wrong form and dtypes Tensor cannot hold, before any tensor is read."""
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
    except UnicodeDecodeError:
        raise _corrupt(name, "the header is not UTF-8") from None
    except RecursionError:
        raise _corrupt(name, "the header JSON nests too deeply") from None
    except ValueError as e:
        raise _corrupt(name, f"the header is not valid JSON ({e})") from None
    if not isinstance(header, dict):
        raise _corrupt(name, f"the header must be a JSON object, got {type(header).__name__}")
    metadata = header.get("__metadata__", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise _corrupt(name, "__metadata__ must map strings to strings")
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
            raise _corrupt(
                name, f"tensor '{key}' must be an object with dtype, shape, data_offsets"
            )
        if not isinstance(entry["dtype"], str) or entry["dtype"] not in _DTYPES:
            supported = ", ".join(_DTYPES)
            raise _corrupt(
                name, f"tensor '{key}' has dtype {entry['dtype']!r}; clownpiece reads {supported}"
            )
    return header


def _our_layout(metadata: dict, tensors: set[str], name: str) -> tuple[list[str], set[str]]:
    """Key order and None keys from a file written by `save`, checked against its tensors."""
    if set(metadata) != _OUR_KEYS:
        raise _corrupt(
            name,
            f"clownpiece metadata must have the keys {sorted(_OUR_KEYS)}, found {sorted(metadata)}",
        )
    if metadata[FORMAT_KEY] != FORMAT_VERSION:
        raise _corrupt(
            name,
            f"format version {metadata[FORMAT_KEY]!r}; this clownpiece reads {FORMAT_VERSION!r}",
        )
    lists = []
    for key in (ORDER_KEY, NONE_KEY):
        try:
            value = json.loads(metadata[key], object_pairs_hook=_no_duplicates)
        except (ValueError, RecursionError):
            value = None
        if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
            raise _corrupt(name, f"{key} must be a JSON list of strings")
        lists.append(value)
    order, nones = lists
    if len(set(order)) != len(order) or set(order) != tensors | set(nones) or tensors & set(nones):
        raise _corrupt(name, f"{ORDER_KEY} and {NONE_KEY} do not match the tensors in the file")
    return order, set(nones)


def _read_arrays(path: str, name: str) -> dict[str, np.ndarray]:
    """Every tensor as a fresh array, read with pread (no memory map, so no aliasing)."""
    try:
        with safetensors.safe_open(path, framework="numpy", backend="pread") as f:
            return {key: f.get_tensor(key) for key in f.keys()}
    except safetensors.SafetensorError as e:
        raise _corrupt(name, f"safetensors: {e}") from None


def _check_digest(head: bytes, stored: str, arrays: dict, table: dict, name: str) -> None:
    """sha256 over the header-length field, the header (digest zeroed) and the data bytes."""
    fields = list(_DIGEST_FIELD.finditer(head, 8))
    if len(fields) != 1 or fields[0].group(1).decode() != stored:
        raise _corrupt(name, f"{DIGEST_KEY} must be 64 lowercase hex digits, written once")
    at = fields[0].start(1)
    digest = hashlib.sha256(head[:at] + _ZEROS + head[at + 64 :])
    for key in sorted(arrays, key=lambda k: table[k]["data_offsets"][0]):  # file order
        digest.update(arrays[key])
    if digest.hexdigest() != stored:
        raise _corrupt(name, "sha256 mismatch: the file was damaged or modified after it was saved")


def _to_tensor(array: np.ndarray) -> Tensor:
    native = array.astype(array.dtype.newbyteorder("="), copy=False)
    return Tensor(native if native.flags.writeable else native.copy())


# ---------------------------------------------------------------------------- shared


def _as_path(path: Any, function: str, state_dict: Any = None) -> str:
    """Only str and os.PathLike are paths (an int would be taken as a file descriptor)."""
    if isinstance(path, (str, os.PathLike)) and isinstance(os.fspath(path), str):
        return os.fspath(path)
    hint = ""
    if isinstance(path, int) and not isinstance(path, bool):
        hint = "; file descriptors are not accepted"
    elif isinstance(path, Mapping) and isinstance(state_dict, (str, os.PathLike)):
        hint = "; the arguments are (state_dict, path)"
    raise TypeError(
        f"{function}: path must be a str or os.PathLike, got {type(path).__name__}{hint}"
    )


def _corrupt(name: str, message: str) -> CorruptFileError:
    return CorruptFileError(f"cannot load {name!r}: {message}")


__all__ = ["CorruptFileError", "load", "save"]
