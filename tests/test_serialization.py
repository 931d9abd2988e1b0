"""clownpiece.save / clownpiece.load: safetensors files with a sha256 digest on top.

Every behavioural test also runs a wrong implementation (a plain-safetensors reader, a digest
that skips part of the file, a writer without cleanup, ...) and shows that the check tells
the two apart.
"""

import hashlib
import json
import os
import pickle
import re
import signal
import struct
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import safetensors
import safetensors.numpy

import clownpiece as cp
from clownpiece.nn import Linear, Module
from clownpiece.serialization import CorruptFileError

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def sample_state():
    """Every dtype Tensor supports, 0-d, empty, non-contiguous, special floats, a None slot,
    keys in an order that is not sorted."""
    cp.manual_seed(0)
    specials = np.array([np.nan, -0.0, np.inf, -np.inf, 1e-45, np.finfo(np.float64).max])
    return {
        "w": cp.randn(3, 4),
        "b64": cp.Tensor(specials),
        "none": None,
        "i32": cp.Tensor(np.array([-(2**31), -1, 0, 2**31 - 1], dtype=np.int32)),
        "i64": cp.Tensor(np.array([[2**62, -(2**63)]], dtype=np.int64)),
        "mask": cp.Tensor(np.array([True, False, True])),
        "scalar": cp.Tensor(2.5),
        "empty": cp.zeros(0, 3),
        "strided": cp.Tensor(np.arange(12.0, dtype=np.float32).reshape(3, 4).T),
        "a": cp.ones(1, dtype=cp.float64),
    }


def same_state(a, b):
    """True when both state dicts have the same keys in the same order, the same None slots,
    and tensors of the same type, dtype, shape and bits."""
    if list(a) != list(b):
        return False
    for k in a:
        if (a[k] is None) != (b[k] is None):
            return False
        if a[k] is None:
            continue
        x, y = np.asarray(a[k].numpy()), np.asarray(b[k].numpy())
        if type(b[k]) is not cp.Tensor or b[k].requires_grad:
            return False
        if (x.dtype, x.shape) != (y.dtype, y.shape) or x.tobytes() != y.tobytes():
            return False
    return True


def safetensors_file(header, data=b""):
    """A safetensors file from a hand-written header (a dict or raw bytes)."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def resign(blob):
    """Recompute the digest of an edited clownpiece file exactly as the format documents it:
    sha256 of the whole file with the 64 hex digits of clownpiece.sha256 set to '0'."""
    (n,) = struct.unpack_from("<Q", blob)
    header = blob[8 : 8 + n].decode()
    field = re.search(r'"clownpiece\.sha256":"([0-9a-f]{64})"', header)
    at = 8 + len(header[: field.start(1)].encode())
    zeroed = blob[:at] + b"0" * 64 + blob[at + 64 :]
    return zeroed[:at] + hashlib.sha256(zeroed).hexdigest().encode() + zeroed[at + 64 :]


def header_of(blob):
    (n,) = struct.unpack_from("<Q", blob)
    return json.loads(blob[8 : 8 + n])


def load_bytes(tmp_path, blob, name="f.safetensors"):
    path = tmp_path / name
    path.write_bytes(blob)
    return cp.load(path)


# --------------------------------------------------------------------------- round trip


def test_same_state_tells_a_lossy_copy_apart():
    state = sample_state()
    assert same_state(state, dict(state))
    widened = dict(state, w=cp.Tensor(state["w"].numpy().astype(np.float64)))  # same values
    assert not same_state(state, widened)
    nudged = dict(state, b64=cp.Tensor(np.nextafter(state["b64"].numpy(), 0)))  # one ulp
    assert not same_state(state, nudged)
    assert not same_state(state, dict(sorted(state.items())))
    assert not same_state(state, {k: v for k, v in state.items() if v is not None})


def test_round_trip_is_exact_in_order_dtype_shape_and_bits(tmp_path):
    state = sample_state()
    cp.save(state, tmp_path / "state.safetensors")
    loaded = cp.load(str(tmp_path / "state.safetensors"))
    assert same_state(state, loaded)
    assert " ".join(loaded) == "w b64 none i32 i64 mask scalar empty strided a"  # not sorted
    assert loaded["scalar"].shape == () and loaded["empty"].shape == (0, 3)
    assert loaded["b64"].numpy().view(np.uint64)[1] == 1 << 63  # -0.0 keeps its sign bit
    assert os.listdir(tmp_path) == ["state.safetensors"]  # no temporary file left behind
    # wrong implementation: the library's own reader loses the order and the None slot
    plain = {
        k: cp.Tensor(v)
        for k, v in safetensors.numpy.load_file(tmp_path / "state.safetensors").items()
    }
    assert not same_state(state, plain)


def test_an_empty_state_dict_and_odd_key_names_round_trip(tmp_path):
    cp.save({}, tmp_path / "empty.safetensors")
    assert cp.load(tmp_path / "empty.safetensors") == {}
    odd = {
        "": cp.ones(1),
        'q"\\\n\u00e9\U0001f600': cp.zeros(2),
        "only none": None,
        "z.0": cp.ones(0),
    }
    cp.save(odd, tmp_path / "odd.safetensors")
    assert same_state(odd, cp.load(tmp_path / "odd.safetensors"))


def test_loaded_tensors_are_writable_copies_not_views_of_the_file(tmp_path):
    path = tmp_path / "m.safetensors"
    cp.save({"w": cp.Tensor(np.arange(4.0, dtype=np.float32))}, path)
    loaded = cp.load(path)["w"]
    (n,) = struct.unpack_from("<Q", path.read_bytes())
    # wrong implementation: a memory map of the file follows the file when it changes
    mapped = np.memmap(path, dtype="<f4", mode="r", offset=8 + n, shape=(4,))
    with open(path, "r+b") as f:  # rewrite the data in place (same inode)
        f.seek(8 + n)
        f.write(np.full(4, 9.0, dtype="<f4").tobytes())
    assert mapped.tolist() == [9.0] * 4
    del mapped
    assert loaded.tolist() == [0.0, 1.0, 2.0, 3.0]
    loaded.numpy()[0] = 5.0  # writable
    assert loaded.tolist() == [5.0, 1.0, 2.0, 3.0]


def test_model_round_trip(tmp_path):
    def build():
        m = Module()
        m.fc = Linear(4, 3, bias=False)
        m.out = Linear(3, 2)
        return m

    m, fresh = build(), build()
    cp.save(m.state_dict(), tmp_path / "m.safetensors")
    assert m.state_dict()["fc.weight"].tolist() != fresh.state_dict()["fc.weight"].tolist()
    fresh.load_state_dict(cp.load(tmp_path / "m.safetensors"))
    plain = lambda sd: {k: v if v is None else cp.Tensor(v.numpy()) for k, v in sd.items()}
    assert same_state(plain(m.state_dict()), plain(fresh.state_dict()))


def test_pickling_a_state_dict_still_works():
    m = Module()
    m.fc = Linear(3, 2)
    m.register_buffer("off", None)
    sd = m.state_dict()
    back = pickle.loads(pickle.dumps(sd))
    assert list(back) == ["off", "fc.weight", "fc.bias"] and back["off"] is None
    assert type(back["fc.weight"]) is type(sd["fc.weight"])
    assert back["fc.weight"].tolist() == sd["fc.weight"].tolist()
    state = sample_state()
    assert same_state(state, pickle.loads(pickle.dumps(state)))


# ---------------------------------------------------------------- the format on disk


def test_the_file_is_plain_safetensors_with_the_documented_metadata(tmp_path):
    path = tmp_path / "m.safetensors"
    cp.save({"b": cp.Tensor(np.array([1.0, 2.0])), "n": None, "a": cp.ones(2, 2)}, path)
    blob = path.read_bytes()
    header = header_of(blob)
    meta = header.pop("__metadata__")
    assert set(meta) == {
        "clownpiece.format",
        "clownpiece.order",
        "clownpiece.none",
        "clownpiece.sha256",
    }
    assert meta["clownpiece.format"] == "1"
    assert json.loads(meta["clownpiece.order"]) == ["b", "n", "a"]
    assert json.loads(meta["clownpiece.none"]) == ["n"]
    assert header["a"] == {
        "dtype": "F32",
        "shape": [2, 2],
        "data_offsets": header["a"]["data_offsets"],
    }
    assert header["b"]["dtype"] == "F64" and header["b"]["shape"] == [2]
    # the digest is what the docstring says: sha256 of the file with the field zeroed
    assert resign(blob) == blob
    assert resign(blob.replace(b"[2,2]", b"[4,1]")) != blob.replace(b"[2,2]", b"[4,1]")
    with safetensors.safe_open(path, framework="numpy") as f:
        assert f.metadata() == meta
        assert f.get_tensor("a").tolist() == [[1.0, 1.0], [1.0, 1.0]]
    arrays = safetensors.numpy.load_file(path)
    assert sorted(arrays) == ["a", "b"] and arrays["b"].tolist() == [1.0, 2.0]


def test_a_file_written_by_the_safetensors_library_loads_sorted_by_name(tmp_path):
    arrays = {
        "z.weight": np.arange(6, dtype=np.float32).reshape(2, 3),
        "a.count": np.array(7, dtype=np.int64),
        "m.mask": np.array([True, False]),
        "d": np.array([1.5, -2.5]),
        "i": np.array([3, -4], dtype=np.int32),
    }
    path = tmp_path / "foreign.safetensors"
    safetensors.numpy.save_file(arrays, path, metadata={"format": "np"})
    loaded = cp.load(path)
    assert list(loaded) == ["a.count", "d", "i", "m.mask", "z.weight"]
    for k, v in arrays.items():
        assert loaded[k].dtype == v.dtype and loaded[k].shape == v.shape
        assert loaded[k].numpy().tobytes() == v.tobytes()
    assert "structure only" in cp.load.__doc__


def test_torch_reads_a_clownpiece_file_identically(tmp_path):
    torch = pytest.importorskip("torch")
    import safetensors.torch

    state = sample_state()
    cp.save(state, tmp_path / "m.safetensors")
    tensors = safetensors.torch.load_file(tmp_path / "m.safetensors")
    assert sorted(tensors) == sorted(k for k, v in state.items() if v is not None)
    names = {
        torch.float32: "float32",
        torch.float64: "float64",
        torch.int32: "int32",
        torch.int64: "int64",
        torch.bool: "bool",
    }
    for k, t in tensors.items():
        ours = state[k].numpy()
        assert names[t.dtype] == ours.dtype.name and tuple(t.shape) == ours.shape, k
        assert t.numpy().tobytes() == np.ascontiguousarray(ours).tobytes(), k


def test_a_file_written_by_torch_loads_and_drives_a_linear_like_torch(tmp_path):
    torch = pytest.importorskip("torch")
    import safetensors.torch

    torch.manual_seed(0)
    layer = torch.nn.Linear(4, 3)
    extra = {
        "count": torch.tensor(5),
        "mask": torch.tensor([True, False]),
        "d": torch.randn(2, dtype=torch.float64),
    }
    safetensors.torch.save_file(
        {**layer.state_dict(), **extra}, tmp_path / "t.safetensors", metadata={"format": "pt"}
    )
    loaded = cp.load(tmp_path / "t.safetensors")
    assert list(loaded) == ["bias", "count", "d", "mask", "weight"]
    assert loaded["count"].dtype == cp.int64 and loaded["count"].item() == 5
    assert loaded["mask"].tolist() == [True, False] and loaded["d"].dtype == cp.float64
    ours = Linear(4, 3)
    ours.load_state_dict({k: loaded[k] for k in ("weight", "bias")})
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    expected = layer(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours(cp.Tensor(x)).numpy(), expected, rtol=1e-6, atol=1e-6)


# ------------------------------------------------------------- integrity of our files


def small_file(tmp_path):
    """A small clownpiece file whose header ends with space padding."""
    path = tmp_path / "small.safetensors"
    for k in range(1, 9):
        state = {
            "a": cp.arange(10.0),
            "o" * k: None,
            "b": cp.Tensor(np.array([1, 2], dtype=np.int32)),
        }
        cp.save(state, path)
        blob = path.read_bytes()
        (n,) = struct.unpack_from("<Q", blob)
        if blob[8 + n - 3 : 8 + n] == b"   ":
            return blob
    raise AssertionError("no padding found")


def test_every_single_bit_flip_anywhere_raises(tmp_path):
    """Every byte x 8 bits of a small file: header length, JSON, metadata, padding, data."""
    blob = small_file(tmp_path)
    (n,) = struct.unpack_from("<Q", blob)
    path = tmp_path / "small.safetensors"
    escaped = []
    with open(path, "r+b") as f:  # flip in place: rewriting whole files is slow on busy disks
        for i in range(len(blob)):
            for bit in range(8):
                os.pwrite(f.fileno(), bytes([blob[i] ^ (1 << bit)]), i)
                try:
                    cp.load(path)
                except CorruptFileError:
                    continue
                finally:
                    os.pwrite(f.fileno(), blob[i : i + 1], i)
                escaped.append((i, bit))
    assert path.read_bytes() == blob and cp.load(path)["a"].tolist() == list(range(10))
    assert escaped == [], f"{len(escaped)} flips loaded without error, e.g. {escaped[:5]}"
    # wrong implementation: without the digest, data flips load as wrong weights
    flipped = bytearray(blob)
    flipped[8 + n + 3] ^= 0x40  # a bit of the first weight
    (tmp_path / "plain.safetensors").write_bytes(bytes(flipped))
    wrong = safetensors.numpy.load_file(tmp_path / "plain.safetensors")
    assert wrong["a"][0] != 0.0 and wrong["a"][1:].tolist() == list(range(1, 10))


def test_every_truncation_and_trailing_bytes_raise(tmp_path):
    blob = small_file(tmp_path)
    for length in range(len(blob)):
        with pytest.raises(CorruptFileError):
            load_bytes(tmp_path, blob[:length])
    for tail in (b"\x00", b" ", b"\x00" * 8, blob):
        with pytest.raises(CorruptFileError):
            load_bytes(tmp_path, blob + tail)
    # wrong implementation: the library's error is not a CorruptFileError
    (tmp_path / "plain.safetensors").write_bytes(blob[:-1])
    with pytest.raises(safetensors.SafetensorError) as info:
        safetensors.numpy.load_file(tmp_path / "plain.safetensors")
    assert not isinstance(info.value, CorruptFileError)


def test_the_issues_shifted_weights_are_refused(tmp_path):
    """The issue's example: the header length says 4 bytes less and the file ends 4 bytes
    early, so plain safetensors reads every weight 4 bytes too soon ([1.4e-19, 0, 1, ...]).
    The digest covers the header-length field, so clownpiece refuses it."""
    path = tmp_path / "m.safetensors"
    for name in ("a" * k for k in range(1, 9)):  # a name that leaves 4 spaces of padding
        cp.save({name: cp.arange(10.0)}, path)
        blob = path.read_bytes()
        (n,) = struct.unpack_from("<Q", blob)
        if blob[8 + n - 4 : 8 + n] == b"    ":
            break
    assert np.frombuffer(blob[8 + n :], "<f4").tolist() == list(range(10))
    path.write_bytes(struct.pack("<Q", n - 4) + blob[8:-4])
    wrong = safetensors.numpy.load_file(path)[name]  # no digest: wrong weights, no error
    assert wrong[0] == pytest.approx(1.3563e-19, rel=1e-3) and wrong[1:].tolist() == list(range(9))
    with pytest.raises(CorruptFileError, match="sha256 mismatch"):
        cp.load(path)


def test_the_digest_covers_the_tensor_table(tmp_path):
    """Swapping two names in the header leaves every data byte alone."""
    path = tmp_path / "m.safetensors"
    cp.save({"w1": cp.zeros(3), "w2": cp.ones(3)}, path)
    blob = path.read_bytes()
    swapped = (
        blob.replace(b'"w1":{', b'"wX":{')
        .replace(b'"w2":{', b'"w1":{')
        .replace(b'"wX":{', b'"w2":{')
    )
    assert swapped != blob and len(swapped) == len(blob)
    (n,) = struct.unpack_from("<Q", blob)
    # wrong implementation: a digest over the data bytes only accepts the swap
    assert hashlib.sha256(swapped[8 + n :]).digest() == hashlib.sha256(blob[8 + n :]).digest()
    assert safetensors.numpy.load_file(path)["w1"].tolist() == [0.0] * 3
    path.write_bytes(swapped)
    assert safetensors.numpy.load_file(path)["w1"].tolist() == [1.0] * 3  # wrong weights
    with pytest.raises(CorruptFileError, match="sha256 mismatch"):
        cp.load(path)


# ------------------------------------------------------------------ malformed files

T = {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}
TJ = json.dumps(T).encode()


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/clownpiece_pwned",))


MALFORMED = [
    (b"", "only 0 bytes"),
    (b"\x05\x00\x00", "only 3 bytes"),
    (struct.pack("<Q", 2**62) + b"{}", "runs past the end of the 10-byte file"),
    (b"PK\x03\x04" + bytes(60), "zip archive"),
    (b"CLOWNPC\x00" + bytes(60), "old format"),
    (safetensors_file(b"\xff\xfe{}"), "not UTF-8"),
    (safetensors_file(b""), "not valid JSON"),
    (safetensors_file(b"{not json"), "not valid JSON"),
    (safetensors_file(b"{}\x00"), "not valid JSON"),
    (safetensors_file(b"[" * 100000 + b"]" * 100000), "nests too deeply"),
    (safetensors_file(b"[1, 2]"), "must be a JSON object, got list"),
    (safetensors_file(b'"text"'), "must be a JSON object, got str"),
    (safetensors_file(b'{"a":' + TJ + b',"a":' + TJ + b"}", bytes(8)), "duplicate key 'a'"),
    (safetensors_file(b'{"__metadata__":{"k":"1","k":"2"}}'), "duplicate key 'k'"),
    (safetensors_file({"__metadata__": {"k": 1}}), "__metadata__ must map strings"),
    (safetensors_file({"__metadata__": ["k"]}), "__metadata__ must map strings"),
    (safetensors_file({"a": 5}), "'a' must be an object with dtype, shape, data_offsets"),
    (
        safetensors_file({"a": {"dtype": "F32", "shape": [2]}}, bytes(8)),
        "dtype, shape, data_offsets",
    ),
    (safetensors_file({"a": dict(T, extra=1)}, bytes(8)), "dtype, shape, data_offsets"),
    (safetensors_file({"a": dict(T, dtype="Q8")}, bytes(8)), "dtype 'Q8'; clownpiece reads F32"),
    (safetensors_file({"a": dict(T, dtype=["F32"])}, bytes(8)), "dtype \\['F32'\\]"),
    (safetensors_file({"a": dict(T, dtype="F16", shape=[4])}, bytes(8)), "dtype 'F16'"),
    (safetensors_file({"a": dict(T, shape=[3])}, bytes(8)), "safetensors: .*invalid shape"),
    (safetensors_file({"a": T, "b": T}, bytes(8)), "safetensors: .*invalid offset"),
    (safetensors_file({"a": dict(T, data_offsets=[0, 16])}, bytes(8)), "safetensors: .*offset"),
    (
        safetensors_file({"a": dict(T, data_offsets=[8, 0])}, bytes(8)),
        "safetensors: .*invalid offset",
    ),
    (
        safetensors_file({"a": dict(T, data_offsets=[4, 12])}, bytes(12)),
        "safetensors: .*invalid offset",
    ),
    (
        safetensors_file({"a": dict(T, data_offsets=[0, 2**64 - 1])}, bytes(8)),
        "safetensors: .*offset",
    ),
    (safetensors_file({"a": dict(T, shape=[-2])}, bytes(8)), "safetensors: .*expected usize"),
    (safetensors_file({"a": dict(T, shape=[2.0])}, bytes(8)), "safetensors: .*expected usize"),
    (safetensors_file({"a": dict(T, shape=[2**40, 2**40])}, bytes(8)), "safetensors: .*overflow"),
    (safetensors_file({"a": T}, bytes(9)), "safetensors: .*not fully covered"),
    (safetensors_file({"a": T}, bytes(7)), "safetensors: .*not fully covered"),
    (
        safetensors_file(
            {"m": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]}}, b"\x01\x07"
        ),
        "bool tensor 'm' holds bytes other than 0 and 1",
    ),
]


@pytest.mark.parametrize("blob, message", MALFORMED, ids=[m for _, m in MALFORMED])
def test_each_malformed_file_raises_corrupt_file_error_with_a_clear_message(
    tmp_path, blob, message
):
    with pytest.raises(CorruptFileError, match=message) as info:
        load_bytes(tmp_path, blob)
    assert "cannot load 'f.safetensors'" in str(info.value)


def test_the_library_alone_lets_some_malformed_files_through_and_raises_its_own_error(tmp_path):
    """Wrong implementation: plain safetensors.numpy.load_file on the same files."""
    accepted, library_errors = [], 0
    for blob, message in MALFORMED:
        (tmp_path / "f").write_bytes(blob)
        try:
            safetensors.numpy.load_file(tmp_path / "f")
        except safetensors.SafetensorError as e:
            assert not isinstance(e, CorruptFileError)
            library_errors += 1
        except Exception:  # the library raises other types too
            library_errors += 1
        else:
            accepted.append(message)
    assert library_errors > 20
    assert {
        "duplicate key 'a'",
        "dtype 'F16'",
        "bool tensor 'm' holds bytes other than 0 and 1",
    } <= set(accepted)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"clownpiece.format": "2"}, "format version '2'; this clownpiece reads '1'"),
        ({"clownpiece.order": '["a","off"]'}, "do not match the tensors"),
        ({"clownpiece.order": '["a","b","off","off"]'}, "do not match the tensors"),
        ({"clownpiece.none": '["off","a"]'}, "do not match the tensors"),
        ({"clownpiece.order": "a,b,off"}, "clownpiece.order must be a JSON list of strings"),
        ({"clownpiece.none": '{"off":1}'}, "clownpiece.none must be a JSON list of strings"),
        ({"clownpiece.sha256": None}, "must have the keys"),
        ({"clownpiece.extra": "1"}, "must have the keys"),
        ({"other": "1"}, "must have the keys"),
    ],
)
def test_edited_clownpiece_metadata_is_refused_even_with_a_valid_digest(tmp_path, change, message):
    path = tmp_path / "m.safetensors"
    cp.save({"a": cp.arange(3.0), "off": None, "b": cp.ones(1)}, path)
    blob = path.read_bytes()
    (n,) = struct.unpack_from("<Q", blob)
    header = header_of(blob)
    meta = header["__metadata__"]
    meta.update(change)
    header["__metadata__"] = {k: v for k, v in meta.items() if v is not None}
    raw = json.dumps(header, separators=(",", ":")).encode()
    edited = struct.pack("<Q", len(raw)) + raw + blob[8 + n :]
    if "clownpiece.sha256" in header["__metadata__"]:
        edited = resign(edited)
        assert edited == resign(edited)  # the digest matches: only the layout checks can refuse
    with pytest.raises(CorruptFileError, match=message):
        load_bytes(tmp_path, edited)


def test_a_digest_with_capital_hex_digits_is_refused(tmp_path):
    blob = small_file(tmp_path)
    meta = header_of(blob)["__metadata__"]
    digest = meta["clownpiece.sha256"].encode()
    with pytest.raises(CorruptFileError, match="64 lowercase hex digits"):
        load_bytes(tmp_path, blob.replace(digest, digest.upper()))
    assert digest.upper() != digest  # the edit changed something


def test_a_pickle_file_is_refused_without_running_it(tmp_path):
    if os.path.exists("/tmp/clownpiece_pwned"):
        os.unlink("/tmp/clownpiece_pwned")
    payload = pickle.dumps({"w": Evil()})
    with pytest.raises(CorruptFileError, match="pickle file; clownpiece.load never unpickles"):
        load_bytes(tmp_path, payload)
    assert not os.path.exists("/tmp/clownpiece_pwned")


# -------------------------------------------------------------------- bounded memory

MEMORY_PROBE = textwrap.dedent("""
    import json, sys
    import clownpiece as cp
    import safetensors.numpy
    from clownpiece.serialization import CorruptFileError
    path, how = sys.argv[1], sys.argv[2]

    def peak_kib():  # VmHWM: this process's own peak (ru_maxrss keeps the forking parent's)
        with open("/proc/self/status") as f:
            return int(next(line for line in f if line.startswith("VmHWM:")).split()[1])

    before = peak_kib()
    try:
        if how == "clownpiece":
            cp.load(path)
        elif how == "read-whole-file":
            open(path, "rb").read()
        elif how == "safetensors-mmap":
            safetensors.numpy.load_file(path)
        outcome = "loaded"
    except CorruptFileError as e:
        outcome = "CorruptFileError: " + str(e)
    after = peak_kib()
    print(json.dumps({"outcome": outcome, "mib": (after - before) / 1024}))
""")


def peak_extra_mib(path, how):
    """Extra peak resident memory (MiB) of loading `path` in a fresh process."""
    env = dict(os.environ, PYTHONPATH=REPO)
    out = subprocess.run(
        [sys.executable, "-c", MEMORY_PROBE, str(path), how],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    result = json.loads(out)
    return result["outcome"], result["mib"]


def sparse_file(path, head, size):
    with open(path, "wb") as f:
        f.write(head)
        f.truncate(size)


MIB = 2**20


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status; sparse files")
def test_memory_stays_bounded_by_what_is_really_loaded(tmp_path):
    size = 512 * MIB
    n_f32 = size // 4
    big = {  # 512 MiB files rejected from their header alone
        "huge declared length": (struct.pack("<Q", 2**40) + b"{", "runs past the end"),
        "over the library's limit": (
            struct.pack("<Q", 100_000_001) + b"{",
            "exceeds safetensors' limit",
        ),
        "unsupported dtype": (
            safetensors_file(
                {"x": {"dtype": "F16", "shape": [size // 2], "data_offsets": [0, size]}}
            ),
            "dtype 'F16'",
        ),
        "shape disagrees": (
            safetensors_file(
                {"x": {"dtype": "F32", "shape": [n_f32 + 1], "data_offsets": [0, size]}}
            ),
            "invalid shape",
        ),
    }
    for label, (head, message) in big.items():
        path = tmp_path / "big.safetensors"
        sparse_file(path, head, size)
        outcome, mib = peak_extra_mib(path, "clownpiece")
        assert outcome.startswith("CorruptFileError") and message in outcome, (label, outcome)
        assert mib < 32, (label, mib)
    # wrong implementation: reading the whole file first costs its size
    outcome, mib = peak_extra_mib(path, "read-whole-file")
    assert mib > 500, mib
    # a valid 256 MiB foreign file costs about 256 MiB, not twice that
    head = json.dumps({"x": {"dtype": "F32", "shape": [64 * MIB], "data_offsets": [0, 256 * MIB]}})
    head = head.encode() + b" " * (-len(head) % 8)
    path = tmp_path / "valid.safetensors"
    sparse_file(path, struct.pack("<Q", len(head)) + head, 8 + len(head) + 256 * MIB)
    outcome, mib = peak_extra_mib(path, "clownpiece")
    assert outcome == "loaded" and 250 < mib < 256 + 48, mib
    outcome, mib = peak_extra_mib(path, "safetensors-mmap")  # wrong: maps, then copies
    assert outcome == "loaded" and mib > 256 + 128, mib


# ------------------------------------------------------------------- atomic writing


def test_a_failed_save_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    cp.save({"a": cp.ones(2)}, path)

    def crash(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        cp.save({"a": cp.zeros(2)}, path)
    monkeypatch.undo()
    assert cp.load(path)["a"].tolist() == [1.0, 1.0]
    assert os.listdir(tmp_path) == ["m.safetensors"]


@pytest.mark.skipif(os.name != "posix", reason="file modes")
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_file_follows_the_umask_like_open(tmp_path, umask):
    import tempfile

    old = os.umask(umask)
    try:
        cp.save({"a": cp.ones(1)}, tmp_path / "m.safetensors")
        with open(tmp_path / "by_open", "wb"):
            pass
        fd, wrong = tempfile.mkstemp(dir=tmp_path)  # wrong implementation: always 0600
        os.close(fd)
    finally:
        os.umask(old)
    mode = lambda p: os.stat(p).st_mode & 0o777
    assert mode(tmp_path / "m.safetensors") == mode(tmp_path / "by_open") == 0o666 & ~umask
    assert (mode(wrong) == mode(tmp_path / "by_open")) == (umask == 0o077)


@pytest.mark.skipif(os.name != "posix", reason="file modes")
@pytest.mark.parametrize("old_mode", [0o640, 0o604, 0o600, 0o666])
def test_an_overwrite_keeps_the_old_files_mode(tmp_path, old_mode):
    path = tmp_path / "m.safetensors"
    cp.save({"a": cp.ones(1)}, path)
    os.chmod(path, old_mode)
    old = os.umask(0o022)
    try:
        cp.save({"a": cp.zeros(1)}, path)
        cp.save({"a": cp.zeros(1)}, tmp_path / "fresh")  # wrong implementation: a fresh file
    finally:
        os.umask(old)
    assert os.stat(path).st_mode & 0o777 == old_mode
    assert (os.stat(tmp_path / "fresh").st_mode & 0o777 == old_mode) == (old_mode == 0o644)
    assert cp.load(path)["a"].tolist() == [0.0]


def temps_of(folder, name):
    return sorted(
        f
        for f in os.listdir(folder)
        if re.fullmatch(rf"\.{re.escape(name)}\.[0-9a-f]{{8}}\.tmp", f)
    )


KILLED_SAVE = textwrap.dedent("""
    import os, sys, time
    import numpy as np
    import clownpiece as cp
    from clownpiece import serialization as ser
    path, value, how = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    if "no-cleanup" in how:  # wrong implementation: never remove temps of killed saves
        ser._remove_stale_temps = lambda path: None
    if "direct" in how:  # wrong implementation: write over the target in place
        def direct(path, blob, digest_at):
            with open(path, "wb") as f:
                f.write(blob[: len(blob) // 2])
                f.flush()
                print("written", flush=True)
                time.sleep(60)
        ser._write_atomically = direct
    if "pause" in how:  # stop once the temp file is written, before the rename
        def fsync(fd):
            print("written", flush=True)
            time.sleep(60)
        os.fsync = fsync
    state = {"w": cp.Tensor(np.full(int(sys.argv[4]), value, dtype=np.float32))}
    print("ready", flush=True)
    cp.save(state, path)
    print("saved", flush=True)
""")


def start_save(path, value, how, n):
    env = dict(os.environ, PYTHONPATH=REPO)
    return subprocess.Popen(
        [sys.executable, "-c", KILLED_SAVE, str(path), str(value), how, str(n)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )


def kill_at(proc, line):
    assert proc.stdout.readline().strip() == "ready"
    if line:
        assert proc.stdout.readline().strip() == line
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_saves_killed_mid_write_leave_the_old_file_and_no_pile_of_temps(tmp_path):
    path = tmp_path / "m.safetensors"
    cp.save({"w": cp.Tensor(np.full(1000, 1.0, dtype=np.float32))}, path)
    for how, expected in [("pause", [1, 1, 1, 1]), ("pause no-cleanup", [2, 3, 4, 5])]:
        counts = []
        for _ in range(4):
            kill_at(start_save(path, 2.0, how, 1000), "written")
            counts.append(len(temps_of(tmp_path, path.name)))
            assert cp.load(path)["w"].numpy()[0] == 1.0  # the old file, whole
        assert counts == expected, how  # with cleanup: only the last killed save's temp
    cp.save({"w": cp.ones(3)}, path)
    assert os.listdir(tmp_path) == [path.name]
    kill_at(start_save(path, 2.0, "direct", 1000), "written")  # wrong: no temp file
    with pytest.raises(CorruptFileError):
        cp.load(path)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_saves_killed_at_random_moments_leave_the_old_or_the_new_file(tmp_path):
    import random
    import time

    path = tmp_path / "m.safetensors"
    n = 8 * MIB  # 32 MiB of data: the kill lands anywhere in the save
    cp.save({"w": cp.Tensor(np.full(n, 1.0, dtype=np.float32))}, path)
    rnd = random.Random(0)
    for _ in range(5):
        proc = start_save(path, 2.0, "", n)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rnd.uniform(0.0, 0.25))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        w = cp.load(path)["w"].numpy()
        assert w.shape == (n,) and w[0] in (1.0, 2.0) and (w == w[0]).all()
        assert len(temps_of(tmp_path, path.name)) <= 1
    cp.save({"w": cp.ones(1)}, path)
    assert os.listdir(tmp_path) == [path.name]


@pytest.mark.skipif(os.name != "posix", reason="flock")
def test_cleanup_spares_temps_in_use_and_files_that_are_not_temps(tmp_path):
    import fcntl

    path = tmp_path / "m.safetensors"
    stale = tmp_path / ".m.safetensors.0123abcd.tmp"
    in_use = tmp_path / ".m.safetensors.fedc4321.tmp"
    others = [
        ".m.safetensors.backup",
        ".m.safetensors.0123abcd.tmp.keep",
        ".other.0123abcd.tmp",
        "m.tmp",
    ]
    for p in [stale, in_use, *(tmp_path / o for o in others)]:
        p.write_bytes(b"partial")
    fd = os.open(in_use, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another save is writing it
        cp.save({"a": cp.ones(1)}, path)
        assert sorted(os.listdir(tmp_path)) == sorted([path.name, in_use.name, *others])
    finally:
        os.close(fd)
    # wrong implementation: removing every matching temp would delete one in use
    assert in_use.name in temps_of(tmp_path, path.name)
    cp.save({"a": cp.ones(1)}, path)  # the lock is gone: now it is stale
    assert sorted(os.listdir(tmp_path)) == sorted([path.name, *others])


# ----------------------------------------------------------------- paths and inputs


def test_paths_must_be_str_or_pathlike_and_file_descriptors_stay_open(tmp_path):
    r, w = os.pipe()
    try:
        with pytest.raises(
            TypeError,
            match="load: path must be a str or os.PathLike, got int; "
            "file descriptors are not accepted",
        ):
            cp.load(r)
        os.fstat(r)  # still open
        with pytest.raises(TypeError, match="save: path must be a str or os.PathLike, got int"):
            cp.save({"a": cp.ones(1)}, w)
        os.fstat(w)
        # wrong implementation: open() takes an int as a descriptor and closes it
        with open(r, "rb"):
            pass
        with pytest.raises(OSError):
            os.fstat(r)
    finally:
        for fd in (r, w):
            try:
                os.close(fd)
            except OSError:
                pass
    for bad in (b"m.safetensors", None, 3.5, True):
        with pytest.raises(
            TypeError, match=f"load: path must be a str or os.PathLike, got {type(bad).__name__}"
        ):
            cp.load(bad)
    with pytest.raises(TypeError, match=r"the arguments are \(state_dict, path\)"):
        cp.save(str(tmp_path / "m"), {"a": cp.ones(1)})
    assert os.listdir(tmp_path) == []


def test_missing_paths_and_directories_raise_the_os_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        cp.load(tmp_path / "missing.safetensors")
    with pytest.raises(IsADirectoryError):
        cp.load(tmp_path)
    with pytest.raises(IsADirectoryError, match="save: the target is a directory"):
        cp.save({"a": cp.ones(1)}, tmp_path)
    with pytest.raises(FileNotFoundError, match="save: the folder does not exist"):
        cp.save({"a": cp.ones(1)}, tmp_path / "no" / "m.safetensors")
    assert os.listdir(tmp_path) == []


def test_save_rejects_bad_state_dicts_before_writing(tmp_path):
    with pytest.raises(TypeError, match=r"save model.state_dict\(\)"):
        cp.save(Linear(2, 2), tmp_path / "x")
    with pytest.raises(TypeError, match="'a' must be a Tensor or None, got list"):
        cp.save({"a": [1, 2]}, tmp_path / "x")
    with pytest.raises(TypeError, match="keys must be str, got int"):
        cp.save({1: cp.ones(1)}, tmp_path / "x")
    with pytest.raises(ValueError, match="'__metadata__' is reserved"):
        cp.save({"__metadata__": cp.ones(1)}, tmp_path / "x")
    assert os.listdir(tmp_path) == []
