"""state_dict / load_state_dict: shallow references, the strict rules, all-or-nothing."""

import pickle
import warnings
from collections import namedtuple

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
        (
            lambda sd: sd.update({"fc1.weight": cp.ones(4, 3)}),
            "size mismatch for fc1.weight: copying a param with shape (4, 3)",
        ),
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
    with pytest.raises(RuntimeError, match="fc1.bias: got a tensor for a disabled") as info:
        m.load_state_dict(sd)
    assert 'Unexpected key(s) in state_dict: "fc1.bias"' in str(info.value)
    sd = dict(Net(bias=False).state_dict(), steps=cp.Tensor([1.0], dtype=cp.float64).to(cp.int64))
    m.load_state_dict(sd)  # int64 -> float32 is cast
    bad = Module()
    bad.register_buffer("count", cp.Tensor([0], dtype=cp.int64))
    for value in ("7", np.array(["a"]), np.array([1 + 2j])):
        with pytest.raises(RuntimeError, match="count: (expected a Tensor|.*cannot load)"):
            bad.load_state_dict({"count": value})


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


# ---------------------------------------------------------------------------- issue 10 cases
def load_one_by_one(module, state_dict):
    """The old write loop, for contrast: cast and copy each tensor in turn."""
    targets = dict(module.state_dict(keep_vars=True))
    for key, source in state_dict.items():
        np.copyto(targets[key].numpy(), np.asarray(source), casting="unsafe")


def test_all_or_nothing_holds_when_cast_warnings_are_errors():
    lin = Linear(2, 2)
    sd = {"weight": cp.Tensor(np.full((2, 2), 5.0)), "bias": cp.Tensor(np.full(2, 1e300))}
    before = snapshot(lin)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # as under `python -W error`
        with pytest.raises(RuntimeError, match=r"bias: cannot cast float64 to float32") as info:
            lin.load_state_dict(sd)
        assert "overflow" in str(info.value)
        assert_unchanged(lin, before)
        with pytest.raises(RuntimeWarning):
            load_one_by_one(lin, sd)  # the old way fails half-way ...
    assert np.all(lin.weight.numpy() == 5.0)  # ... with the weight already overwritten


def test_overflowing_cast_loads_inf_like_torch_when_warnings_are_not_errors():
    torch = pytest.importorskip("torch")
    lin, tlin = Linear(2, 2), torch.nn.Linear(2, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lin.load_state_dict({"weight": cp.ones(2, 2), "bias": cp.Tensor(np.full(2, 1e300))})
    tlin.load_state_dict(
        {"weight": torch.ones(2, 2), "bias": torch.full((2,), 1e300, dtype=torch.float64)}
    )
    assert np.array_equal(lin.bias.numpy(), tlin.bias.detach().numpy())
    assert np.all(np.isinf(lin.bias.numpy()))


def crosswise(module_a, module_b, nn_state):
    """A state dict whose a.weight is b's weight and whose b.weight is a's (same shapes)."""
    sd = dict(nn_state)
    sd["a.weight"], sd["b.weight"] = nn_state["b.weight"], nn_state["a.weight"]
    return sd


def test_crosswise_load_uses_the_values_at_the_call():
    # PyTorch 2.13 copies one tensor after the other, so there both end up with b's values;
    # clownpiece promises the values as they were at the call.
    m = Module()
    m.a, m.b = Linear(3, 3), Linear(3, 3)
    a0, b0 = m.a.weight.numpy().copy(), m.b.weight.numpy().copy()
    m.load_state_dict(crosswise(m.a, m.b, m.state_dict()))
    assert np.array_equal(m.a.weight.numpy(), b0) and np.array_equal(m.b.weight.numpy(), a0)
    # three-way rotation, parameters as sources (keep_vars): still the values at the call
    m.c = Linear(3, 3)
    w = {k: m.get_submodule(k).weight.numpy().copy() for k in "abc"}
    sd = dict(m.state_dict(keep_vars=True))
    sd["a.weight"], sd["b.weight"], sd["c.weight"] = sd["b.weight"], sd["c.weight"], sd["a.weight"]
    m.load_state_dict(sd)
    assert [
        np.array_equal(m.get_submodule(k).weight.numpy(), w[v])
        for k, v in (("a", "b"), ("b", "c"), ("c", "a"))
    ] == [True, True, True]
    # the old loop reads a value it has already overwritten
    m2 = Module()
    m2.a, m2.b = Linear(3, 3), Linear(3, 3)
    b0 = m2.b.weight.numpy().copy()
    load_one_by_one(m2, crosswise(m2.a, m2.b, m2.state_dict()))
    assert np.array_equal(m2.b.weight.numpy(), b0)  # b got its own value back: wrong


def test_non_strict_load_reports_a_tensor_for_a_disabled_slot_as_unexpected():
    m, src = Net(bias=False), Net(bias=True)
    result = m.load_state_dict(src.state_dict(), strict=False)
    assert result.missing_keys == [] and result.unexpected_keys == ["fc1.bias"]
    assert np.array_equal(m.fc1.weight.numpy(), src.fc1.weight.numpy())  # the rest loaded
    assert m.fc1.bias is None


def test_non_strict_disabled_slot_matches_torch():
    torch = pytest.importorskip("torch")
    t_src = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))
    t_dst = torch.nn.Sequential(torch.nn.Linear(4, 3, bias=False), torch.nn.Linear(3, 2))
    ours_dst = cp.nn.Sequential(Linear(4, 3, bias=False), Linear(3, 2))
    theirs = t_dst.load_state_dict(t_src.state_dict(), strict=False)
    ours = ours_dst.load_state_dict(
        {k: cp.Tensor(v.numpy()) for k, v in t_src.state_dict().items()}, strict=False
    )
    assert (ours.missing_keys, ours.unexpected_keys) == (
        theirs.missing_keys,
        theirs.unexpected_keys,
    )
    assert np.array_equal(ours_dst[0].weight.numpy(), t_dst[0].weight.detach().numpy())


def test_float_values_into_an_int64_buffer_are_cast_like_torch():
    m = Module()
    m.register_buffer("count", cp.Tensor([0, 0, 0], dtype=cp.int64))
    m.load_state_dict({"count": cp.Tensor([-2.7, 2.7, 5.0])})
    assert m.count.dtype == np.int64 and m.count.numpy().tolist() == [-2, 2, 5]  # toward zero
    bn = cp.nn.BatchNorm(3)
    bn.num_batches_tracked.copy_(cp.Tensor(7, dtype=cp.int64))
    fresh = cp.nn.BatchNorm(3)
    fresh.load_state_dict({k: v.float() for k, v in bn.state_dict().items()})
    assert fresh.num_batches_tracked.dtype == np.int64 and fresh.num_batches_tracked.item() == 7
    torch = pytest.importorskip("torch")
    t = torch.nn.Module()
    t.register_buffer("count", torch.zeros(3, dtype=torch.long))
    t.load_state_dict({"count": torch.tensor([-2.7, 2.7, 5.0])})
    assert t.count.tolist() == m.count.numpy().tolist()


def test_incompatible_keys_print_like_torch():
    result = Net().load_state_dict(Net().state_dict())
    assert repr(result) == str(result) == "<All keys matched successfully>"
    assert result == ([], []) and isinstance(result, tuple)
    sd = dict(Net().state_dict())
    del sd["fc2.bias"]
    partial = Net().load_state_dict(sd, strict=False)
    assert repr(partial) == "IncompatibleKeys(missing_keys=['fc2.bias'], unexpected_keys=[])"
    plain = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])([], [])
    assert repr(plain) != "<All keys matched successfully>"  # the check sees a plain namedtuple
    torch = pytest.importorskip("torch")
    assert repr(torch.nn.Linear(2, 2).load_state_dict(torch.nn.Linear(2, 2).state_dict())) == repr(
        result
    )


def test_pickled_incompatible_keys_keep_their_type():
    result = Net().load_state_dict(Net().state_dict())
    assert repr(pickle.loads(pickle.dumps(result))) == "<All keys matched successfully>"


def test_state_dict_destination_and_keyword_only_arguments():
    m = Net()
    target = {"existing": None}
    out = m.state_dict(destination=target, prefix="net.")
    assert out is target and list(out)[:2] == ["existing", "net.steps"]
    with pytest.raises(TypeError):
        m.state_dict("net.")  # PyTorch would bind this to `destination`: refused here
    with pytest.raises(TypeError):
        m.load_state_dict(m.state_dict(), True, True)  # PyTorch's `assign` is not supported


def test_crosswise_check_catches_a_load_without_the_alias_snapshot(monkeypatch):
    from clownpiece.nn import module as module_mod

    monkeypatch.setattr(module_mod, "copy_sources_that_alias_targets", lambda writes: writes)
    m = Module()
    m.a, m.b = Linear(3, 3), Linear(3, 3)
    a0 = m.a.weight.numpy().copy()
    m.load_state_dict(crosswise(m.a, m.b, m.state_dict()))
    assert not np.array_equal(m.b.weight.numpy(), a0)  # without the snapshot, b never gets a0


def test_a_read_only_target_is_reported_before_any_write():
    lin = Linear(2, 2)
    lin.bias.numpy().flags.writeable = False  # e.g. a tensor over a read-only file mapping
    before = snapshot(lin)
    sd = {"weight": cp.ones(2, 2), "bias": cp.ones(2)}
    with pytest.raises(RuntimeError, match="bias: the model's tensor is read-only"):
        lin.load_state_dict(sd)
    assert_unchanged(lin, before)
    with pytest.raises(ValueError):
        load_one_by_one(lin, sd)  # writing in turn fails on the bias ...
    assert np.all(lin.weight.numpy() == 1)  # ... after the weight was overwritten
