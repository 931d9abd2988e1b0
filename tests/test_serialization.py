"""clownpiece.save / clownpiece.load: exact round trip, atomic writes, corrupt files refused."""

import json
import os
import pickle
import random
import struct
import time

import numpy as np
import pytest

import clownpiece as cp
from clownpiece import serialization as ser
from clownpiece.nn import Linear, Module
from clownpiece.serialization import CorruptFileError


def sample_state():
    cp.manual_seed(0)
    return {
        "w": cp.randn(3, 4),
        "b64": cp.randn(5, dtype=cp.float64),
        "none": None,
        "i32": cp.Tensor(np.arange(-3, 3, dtype=np.int32)),
        "i64": cp.Tensor(np.array([[2**40, -1]], dtype=np.int64)),
        "mask": cp.Tensor(np.array([True, False, True])),
        "scalar": cp.Tensor(2.5),
        "empty": cp.zeros(0, 3),
        "strided": cp.Tensor(np.arange(12.0, dtype=np.float32).reshape(3, 4).T),
    }


def assert_same(a, b):
    assert list(a) == list(b)
    for k in a:
        if a[k] is None:
            assert b[k] is None
            continue
        assert type(b[k]) is cp.Tensor and not b[k].requires_grad
        assert b[k].dtype == a[k].dtype and b[k].shape == a[k].shape, k
        assert b[k]._data.tobytes() == np.ascontiguousarray(a[k]._data).tobytes(), k


def test_round_trip_is_exact(tmp_path):
    state = sample_state()
    path = tmp_path / "state.cp"
    cp.save(state, path)
    loaded = cp.load(str(path))
    assert_same(state, loaded)
    loaded["w"]._data[0, 0] = 1.0  # loaded tensors are writable
    assert os.listdir(tmp_path) == ["state.cp"]  # no temporary file left behind


def test_model_round_trip(tmp_path):
    m = Module()
    m.fc = Linear(4, 3, bias=False)
    m.out = Linear(3, 2)
    cp.save(m.state_dict(), tmp_path / "m.cp")
    fresh = Module()
    fresh.fc = Linear(4, 3, bias=False)
    fresh.out = Linear(3, 2)
    fresh.load_state_dict(cp.load(tmp_path / "m.cp"))
    assert_same(m.state_dict(), fresh.state_dict())


def test_format_is_the_documented_one():
    blob = ser.dumps({"a": cp.ones(2), "n": None})
    magic, version, hlen, digest = struct.unpack_from("<8sIQ32s", blob)
    assert magic == b"CLOWNPC\x00" and version == 1
    header = json.loads(blob[52:52 + hlen])
    assert header == {"entries": [
        {"name": "a", "tensor": {"dtype": "float32", "shape": [2], "offset": 0, "nbytes": 8}},
        {"name": "n", "tensor": None},
    ]}
    assert (52 + hlen) % 64 == 0
    assert np.frombuffer(blob[52 + hlen:], "<f4").tolist() == [1.0, 1.0]


def test_atomic_write_keeps_the_old_file_when_saving_fails(tmp_path, monkeypatch):
    path = tmp_path / "m.cp"
    cp.save({"a": cp.ones(2)}, path)

    def crash(fd):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk full"):
        cp.save({"a": cp.zeros(2)}, path)
    monkeypatch.undo()
    assert cp.load(path)["a"].tolist() == [1.0, 1.0]
    assert os.listdir(tmp_path) == ["m.cp"]


def test_save_rejects_bad_input(tmp_path):
    with pytest.raises(TypeError, match=r"save model.state_dict\(\)"):
        cp.save(Linear(2, 2), tmp_path / "x")
    with pytest.raises(TypeError, match="'a' must be a Tensor or None"):
        cp.save({"a": [1, 2]}, tmp_path / "x")
    with pytest.raises(TypeError, match="keys must be str"):
        cp.save({1: cp.ones(1)}, tmp_path / "x")
    assert not os.listdir(tmp_path)


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned > /tmp/clownpiece_pwned",))


def test_a_pickle_file_is_refused_without_running_it(tmp_path):
    path = tmp_path / "evil.cp"
    path.write_bytes(pickle.dumps({"w": Evil()}))
    with pytest.raises(CorruptFileError, match="pickle"):
        cp.load(path)
    assert not os.path.exists("/tmp/clownpiece_pwned")


def craft(entries, data=b"", version=1, header=None):
    """A file with a valid checksum but a hand-written header."""
    raw = header if header is not None else json.dumps({"entries": entries}).encode()
    return ser._pack(raw, data, version)


T = {"dtype": "float32", "shape": [2], "offset": 0, "nbytes": 8}


@pytest.mark.parametrize(
    "blob, message",
    [
        (b"", "shorter than"),
        (b"PK\x03\x04" + bytes(60), "wrong magic"),
        (craft([], version=2), "unsupported format version 2"),
        (ser.dumps({"a": cp.ones(2)})[:-1], "checksum mismatch"),
        (craft(None, header=b"{not json"), "not valid JSON"),
        (craft(None, header=b"[" * 100000 + b"]" * 100000), "not valid JSON"),
        (craft(None, header=b"\xff\xfe"), "not valid JSON"),
        (craft(None, header=b'{"entries": 3}'), "'entries' list"),
        (craft([{"name": "a"}]), "keys 'name' and 'tensor'"),
        (craft([{"name": 5, "tensor": None}]), "name must be a string"),
        (craft([{"name": "a", "tensor": dict(T, dtype="object")}], bytes(8)), "dtype 'object'"),
        (craft([{"name": "a", "tensor": dict(T, shape=[-2])}], bytes(8)), "non-negative ints"),
        (craft([{"name": "a", "tensor": dict(T, shape=[1] * 100)}], bytes(8)), "at most 64"),
        (craft([{"name": "a", "tensor": dict(T, shape=[2**40, 2**40], nbytes=2**82)}], bytes(8)), "outside"),
        (craft([{"name": "a", "tensor": dict(T, shape=[3])}], bytes(8)), "does not match shape"),
        (craft([{"name": "a", "tensor": dict(T, offset=4)}], bytes(8)), "outside"),
        (craft([{"name": "a", "tensor": dict(T, offset=True)}], bytes(8)), "non-negative ints"),
        (craft([{"name": "a", "tensor": T}, {"name": "b", "tensor": dict(T, offset=4)}], bytes(16)), "overlap"),
        (craft([{"name": "a", "tensor": T}, {"name": "a", "tensor": None}], bytes(8)), "duplicate"),
        (craft([{"name": "m", "tensor": {"dtype": "bool", "shape": [2], "offset": 0, "nbytes": 2}}], b"\x01\x07"), "bool"),
    ],
)
def test_each_malformed_file_gets_a_clear_error(blob, message):
    with pytest.raises(CorruptFileError, match=message):
        ser.loads(blob)


def test_500_random_corruptions_all_raise_the_loader_error_quickly():
    good = ser.dumps(sample_state())
    hlen = struct.unpack_from("<Q", good, 12)[0]
    header = json.loads(good[52:52 + hlen])
    rnd = random.Random(1234)
    start = time.perf_counter()
    kinds = {"truncate": 0, "flip": 0, "field": 0, "field+checksum": 0}
    for i in range(600):
        kind = list(kinds)[i % 4]
        kinds[kind] += 1
        if kind == "truncate":
            blob = good[: rnd.randrange(len(good))]
        elif kind == "flip":
            blob = bytearray(good)
            for _ in range(rnd.randint(1, 4)):
                pos = rnd.randrange(len(blob))
                blob[pos] ^= 1 << rnd.randrange(8)
        else:
            edited = json.loads(json.dumps(header))
            entry = rnd.choice([e for e in edited["entries"] if e["tensor"] and e["tensor"]["nbytes"]])
            field = rnd.choice(["dtype", "shape", "offset", "nbytes"])
            entry["tensor"][field] = rnd.choice(
                [-1, 2**63, 10**30, "float16", None, [[]], [10**12], [-1, 2], 10**6, "x", 1.5, True, {}]
            )
            raw = json.dumps(edited).encode()
            blob = ser._pack(raw, good[52 + hlen:]) if kind == "field+checksum" else (
                good[:12] + struct.pack("<Q", len(raw)) + good[20:52] + raw + good[52 + hlen:]
            )
        with pytest.raises(CorruptFileError):
            ser.loads(bytes(blob))
    assert min(kinds.values()) >= 150
    assert time.perf_counter() - start < 10


def test_absurd_header_length_is_refused_before_allocating(tmp_path):
    blob = bytearray(ser.dumps({"a": cp.ones(2)}))
    blob[12:20] = struct.pack("<Q", 2**62)
    path = tmp_path / "big.cp"
    path.write_bytes(bytes(blob))
    with pytest.raises(CorruptFileError, match="exceeds"):
        cp.load(path)
