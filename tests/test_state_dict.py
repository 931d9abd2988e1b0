"""state_dict / load_state_dict: shallow references, the strict rules, all-or-nothing."""

import pickle

import numpy as np
import pytest

import clownpiece as cp
from clownpiece.nn import Buffer, Linear, Module


class Net(Module):
    def __init__(self, bias=True):
        super().__init__()
        self.fc1 = Linear(4, 3, bias=bias)
        self.fc2 = Linear(3, 2)
        self.register_buffer("steps", Buffer(cp.zeros(1)))
        self.register_buffer("cache", cp.zeros(2), persistent=False)


def snapshot(m):
    return {k: v._data.copy() for k, v in m.state_dict().items() if v is not None}


def assert_unchanged(m, before):
    after = snapshot(m)
    assert after.keys() == before.keys()
    for k in before:
        assert after[k].tobytes() == before[k].tobytes(), k


def test_keys_order_and_shallow_reference():
    m = Net()
    sd = m.state_dict()
    assert list(sd) == ["steps", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert all(type(v) is cp.Tensor and not v.requires_grad for v in sd.values())
    assert np.shares_memory(sd["fc1.weight"]._data, m.fc1.weight._data)
    with cp.no_grad():
        m.fc1.weight.fill_(3.0)
    assert np.all(sd["fc1.weight"]._data == 3.0)
    kept = m.state_dict(keep_vars=True)
    assert kept["fc1.weight"] is m.fc1.weight
    assert list(m.state_dict(prefix="model."))[0] == "model.steps"


def test_none_placeholder_round_trips():
    m = Net(bias=False)
    sd = m.state_dict()
    assert "fc1.bias" in sd and sd["fc1.bias"] is None
    other = Net(bias=False)
    other.load_state_dict(sd)
    assert np.array_equal(other.fc1.weight._data, m.fc1.weight._data)


def test_load_copies_values_into_the_same_objects():
    src, dst = Net(), Net()
    weight = dst.fc1.weight
    result = dst.load_state_dict(src.state_dict())
    assert result == ([], []) and result.missing_keys == []
    assert dst.fc1.weight is weight and np.array_equal(weight._data, src.fc1.weight._data)
    assert not np.shares_memory(weight._data, src.fc1.weight._data)
    assert weight.requires_grad and weight.grad_fn is None
    # numpy arrays and float64 tensors are accepted and cast
    dst.load_state_dict({k: v._data.astype(np.float64) for k, v in src.state_dict().items()})
    assert dst.fc2.bias.dtype == np.float32


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda sd: sd.update(extra=cp.ones(1)), 'Unexpected key(s) in state_dict: "extra"'),
        (lambda sd: sd.pop("fc2.bias"), 'Missing key(s) in state_dict: "fc2.bias"'),
        (lambda sd: sd.update({"fc1.weight": cp.ones(4, 3)}),
         "size mismatch for fc1.weight: copying a param with shape (4, 3)"),
        (lambda sd: sd.update({"fc1.bias": None}), "fc1.bias: got None for a tensor slot"),
        (lambda sd: sd.update({"fc1.weight": "abc"}), "fc1.weight: expected a Tensor, got str"),
    ],
)
def test_each_strict_rule_alone(edit, message):
    m = Net()
    sd = dict(Net().state_dict())
    edit(sd)
    before = snapshot(m)
    with pytest.raises(RuntimeError, match="Error\\(s\\) in loading state_dict for Net") as info:
        m.load_state_dict(sd)
    assert message in str(info.value)
    assert_unchanged(m, before)


def test_tensor_for_a_disabled_slot_and_dtype_problems_are_reported():
    m = Net(bias=False)
    sd = dict(Net().state_dict())
    sd["steps"] = cp.Tensor([1.0])
    with pytest.raises(RuntimeError, match="fc1.bias: got a tensor for a disabled"):
        m.load_state_dict(sd)
    sd = dict(Net(bias=False).state_dict(), steps=cp.Tensor([1.0], dtype=cp.float64).to(cp.int64))
    m.load_state_dict(sd)  # int64 -> float32 is allowed (same_kind)
    bad = Module()
    bad.register_buffer("count", cp.Tensor([0], dtype=cp.int64))
    with pytest.raises(RuntimeError, match="dtype mismatch for count: cannot copy float32 into int64"):
        bad.load_state_dict({"count": cp.Tensor([1.5])})


def test_one_error_lists_every_problem_and_nothing_changes():
    layers = Module()
    for i in range(20):
        layers.register_module(str(i), Linear(3, 3))
    donor = Module()
    for i in range(20):
        donor.register_module(str(i), Linear(3, 3))
    source = dict(donor.state_dict())
    source["7.weight"] = cp.ones(2, 2)  # one bad tensor among 40 good ones
    before = snapshot(layers)
    with pytest.raises(RuntimeError) as info:
        layers.load_state_dict(source)
    assert "size mismatch for 7.weight" in str(info.value)
    assert_unchanged(layers, before)  # all-or-nothing: bit-identical
    source["zzz"] = cp.ones(1)
    del source["3.bias"]
    with pytest.raises(RuntimeError) as info:
        layers.load_state_dict(source)
    text = str(info.value)
    assert '"3.bias"' in text and '"zzz"' in text and "7.weight" in text and text.count("\n\t") == 3
    assert_unchanged(layers, before)


def test_non_strict_loads_matches_and_reports_the_rest():
    m, src = Net(), Net()
    sd = dict(src.state_dict())
    del sd["fc2.bias"]
    sd["extra"] = cp.ones(1)
    missing, unexpected = m.load_state_dict(sd, strict=False)
    assert (missing, unexpected) == (["fc2.bias"], ["extra"])
    assert np.array_equal(m.fc1.weight._data, src.fc1.weight._data)
    sd["fc1.weight"] = cp.ones(7)
    with pytest.raises(RuntimeError, match="size mismatch for fc1.weight"):
        m.load_state_dict(sd, strict=False)  # shapes are checked even when not strict


def test_bad_argument_type():
    with pytest.raises(TypeError, match="mapping"):
        Net().load_state_dict([("fc1.weight", cp.ones(3, 4))])


def test_pickle_round_trip_of_a_state_dict():
    m = Net()
    back = pickle.loads(pickle.dumps(m.state_dict()))
    assert list(back) == list(m.state_dict())
    fresh = Net()
    fresh.load_state_dict(back)
    assert_unchanged(fresh, snapshot(m))


def test_load_state_dict_matches_torch_semantics_for_linear():
    torch = pytest.importorskip("torch")
    ours, theirs = Linear(3, 2), torch.nn.Linear(3, 2)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: cp.Tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    assert np.array_equal(ours.weight._data, theirs.weight.detach().numpy())
