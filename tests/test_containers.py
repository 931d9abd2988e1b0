"""Sequential, ModuleList, ModuleDict: every operation, registration, errors, save/load, repr."""

from collections import OrderedDict

import numpy as np
import pytest

import clownpiece as cp
from clownpiece import nn
from clownpiece.nn import Module, Parameter


class Scale(Module):
    """y = factor * x with a learnable factor: makes forward order observable."""

    def __init__(self, factor):
        super().__init__()
        self.factor = Parameter(cp.Tensor([float(factor)]))

    def forward(self, x):
        return x * self.factor


class AddConst(Module):
    def __init__(self, c):
        super().__init__()
        self.c = c

    def forward(self, x):
        return x + self.c


def ids(container):
    return [id(m) for m in container]


# ---------------------------------------------------------------- Sequential
def test_sequential_varargs_forward_order():
    seq = nn.Sequential(AddConst(1.0), Scale(3.0), AddConst(-2.0))
    # ((x + 1) * 3) - 2; any other order gives a different value
    np.testing.assert_allclose(seq(cp.Tensor([0.0, 2.0])).numpy(), [1.0, 7.0])
    assert list(seq._modules) == ["0", "1", "2"]


def test_sequential_from_ordered_dict_keeps_names_and_order():
    a, b = Scale(2.0), AddConst(1.0)
    seq = nn.Sequential(OrderedDict([("scale", a), ("shift", b)]))
    assert [name for name, _ in seq.named_children()] == ["scale", "shift"]
    assert seq.scale is a and seq[0] is a and seq[1] is b
    np.testing.assert_allclose(seq(cp.Tensor([1.0])).numpy(), [3.0])  # 1*2 + 1
    assert [k for k, _ in seq.named_parameters()] == ["scale.factor"]


def test_sequential_indexing_negative_and_slices():
    mods = [Scale(i) for i in range(4)]
    seq = nn.Sequential(*mods)
    assert seq[0] is mods[0] and seq[3] is mods[3]
    assert seq[-1] is mods[3] and seq[-4] is mods[0]
    assert seq[np.int64(2)] is mods[2]
    part = seq[1:3]
    assert type(part) is nn.Sequential
    assert ids(part) == [id(mods[1]), id(mods[2])]
    assert list(part._modules) == ["1", "2"]  # PyTorch keeps the keys of a sliced Sequential
    part.append(mods[0])  # ... so append must not overwrite key "2"
    assert ids(part) == [id(mods[1]), id(mods[2]), id(mods[0])]
    assert ids(seq[::-2]) == [id(mods[3]), id(mods[1])]
    assert len(seq[5:]) == 0
    assert len(seq) == 4  # slicing does not change the original


def test_sequential_slice_of_named_keeps_names():
    seq = nn.Sequential(OrderedDict(a=Scale(1), b=Scale(2), c=Scale(3)))
    assert list(seq[1:]._modules) == ["b", "c"]


def test_sequential_setitem_replaces_in_place_keeping_name():
    seq = nn.Sequential(OrderedDict(a=Scale(1), b=Scale(2)))
    new = Scale(5)
    seq[-1] = new
    assert list(seq._modules) == ["a", "b"] and seq.b is new and len(seq) == 2
    plain = nn.Sequential(Scale(1), Scale(2))
    plain[0] = new
    assert plain[0] is new and len(plain) == 2


def test_sequential_append_len_iter_del():
    a, b, c = Scale(1), Scale(2), Scale(3)
    seq = nn.Sequential(a)
    assert seq.append(b) is seq
    seq.append(c)
    assert len(seq) == 3 and ids(seq) == [id(a), id(b), id(c)]
    del seq[0]
    assert ids(seq) == [id(b), id(c)] and list(seq._modules) == ["0", "1"]
    np.testing.assert_allclose(seq(cp.Tensor([1.0])).numpy(), [6.0])


def test_sequential_of_nothing_is_identity():
    x = cp.Tensor([1.0])
    assert nn.Sequential()(x) is x


def test_sequential_errors():
    seq = nn.Sequential(Scale(1), Scale(2))
    with pytest.raises(IndexError, match=r"Sequential index 2 is out of range for length 2"):
        seq[2]
    with pytest.raises(IndexError, match=r"Sequential index -3 is out of range"):
        seq[-3]
    with pytest.raises(TypeError, match=r"Sequential indices must be integers or slices, got str"):
        seq["0"]
    with pytest.raises(TypeError, match=r"Sequential argument 1 expects a Module, got int"):
        nn.Sequential(Scale(1), 3)
    with pytest.raises(TypeError, match=r"Sequential argument 0 expects a Module, got type"):
        nn.Sequential(nn.ReLU)  # the class, not an instance
    with pytest.raises(TypeError, match=r"Sequential.append expects a Module, got function"):
        seq.append(lambda x: x)
    with pytest.raises(TypeError, match=r"Sequential\[0\] expects a Module, got float"):
        seq[0] = 1.5
    with pytest.raises(IndexError, match="out of range"):
        seq[5] = Scale(1)
    with pytest.raises(KeyError, match=r"can't contain \"\.\""):
        nn.Sequential(OrderedDict([("a.b", Scale(1))]))
    assert len(seq) == 2  # failed operations changed nothing


# ---------------------------------------------------------------- ModuleList
def test_modulelist_construct_len_iter_and_get():
    mods = [Scale(i) for i in range(3)]
    ml = nn.ModuleList(mods)
    assert len(ml) == 3 and ids(ml) == ids(mods)
    assert ml[-1] is mods[2] and ml[0] is mods[0]
    assert len(nn.ModuleList()) == 0
    assert ids(nn.ModuleList(iter(mods))) == ids(mods)  # any iterable


def test_modulelist_has_no_forward():
    with pytest.raises(NotImplementedError, match="ModuleList has no forward"):
        nn.ModuleList([Scale(1)])(cp.Tensor([1.0]))


def test_modulelist_setitem_and_delitem_renumber():
    a, b, c, d = (Scale(i) for i in range(4))
    ml = nn.ModuleList([a, b, c])
    ml[1] = d
    assert ids(ml) == [id(a), id(d), id(c)]
    ml[-1] = b
    assert ids(ml) == [id(a), id(d), id(b)]
    del ml[0]
    assert ids(ml) == [id(d), id(b)]
    assert list(ml._modules) == ["0", "1"]
    assert [k for k, _ in ml.named_parameters()] == ["0.factor", "1.factor"]
    ml.extend([a, c])
    del ml[1:3]
    assert ids(ml) == [id(d), id(c)] and list(ml._modules) == ["0", "1"]
    del ml[-1]
    assert ids(ml) == [id(d)]


def test_modulelist_slicing_returns_modulelist_sharing_modules():
    mods = [Scale(i) for i in range(5)]
    ml = nn.ModuleList(mods)
    part = ml[1:4:2]
    assert type(part) is nn.ModuleList
    assert ids(part) == [id(mods[1]), id(mods[3])]
    assert list(part._modules) == ["0", "1"]
    assert len(ml) == 5


def test_modulelist_append_extend_insert():
    a, b, c, d, e = (Scale(i) for i in range(5))
    ml = nn.ModuleList()
    assert ml.append(a) is ml
    assert ml.extend([b, c]) is ml
    ml.insert(1, d)
    assert ids(ml) == [id(a), id(d), id(b), id(c)]
    ml.insert(0, e)
    assert ids(ml) == [id(e), id(a), id(d), id(b), id(c)]
    ml.insert(-1, b)  # list.insert semantics: before the last element
    assert ids(ml)[-2:] == [id(b), id(c)]
    assert list(ml._modules) == [str(i) for i in range(6)]


def test_modulelist_plus_and_plus_equals():
    a, b, c = Scale(1), Scale(2), Scale(3)
    left = nn.ModuleList([a])
    right = nn.ModuleList([b, c])
    both = left + right
    assert type(both) is nn.ModuleList and ids(both) == [id(a), id(b), id(c)]
    assert len(left) == 1 and len(right) == 2  # operands unchanged
    with_list = left + [c]
    assert ids(with_list) == [id(a), id(c)]
    alias = left
    left += right
    assert left is alias and ids(left) == [id(a), id(b), id(c)]
    assert list(left._modules) == ["0", "1", "2"]


def test_modulelist_errors_change_nothing():
    a = Scale(1)
    ml = nn.ModuleList([a])
    with pytest.raises(IndexError, match=r"ModuleList index 1 is out of range for length 1"):
        ml[1]
    with pytest.raises(IndexError, match=r"ModuleList index -2 is out of range"):
        del ml[-2]
    with pytest.raises(IndexError, match="ModuleList index 3 is out of range"):
        ml[3] = Scale(2)
    with pytest.raises(
        TypeError, match=r"ModuleList indices must be integers or slices, got float"
    ):
        ml[0.0]
    with pytest.raises(TypeError, match=r"ModuleList.append expects a Module, got str"):
        ml.append("relu")
    with pytest.raises(TypeError, match=r"ModuleList\[0\] expects a Module, got int"):
        ml[0] = 7  # (None is a valid placeholder, as in PyTorch: see test_containers_none.py)
    with pytest.raises(TypeError, match=r"ModuleList.insert expects a Module, got int"):
        ml.insert(0, 1)
    with pytest.raises(TypeError, match=r"ModuleList.extend element 1 expects a Module, got int"):
        ml.extend([Scale(2), 3])
    with pytest.raises(
        TypeError, match=r"ModuleList.extend expects an iterable of Modules, got Scale"
    ):
        ml.extend(Scale(2))
    with pytest.raises(TypeError, match=r"ModuleList.extend element 0 expects a Module, got int"):
        ml += [5]
    with pytest.raises(TypeError, match=r"expects a Module, got int"):
        nn.ModuleList([1, 2])
    assert ids(ml) == [id(a)]  # nothing above changed the list


# ---------------------------------------------------------------- ModuleDict
def test_moduledict_from_mapping_and_pairs_keeps_order():
    a, b = Scale(1), Scale(2)
    from_map = nn.ModuleDict({"z": a, "y": b})
    from_pairs = nn.ModuleDict([("z", a), ("y", b)])
    from_gen = nn.ModuleDict((k, m) for k, m in [("z", a), ("y", b)])
    for md in (from_map, from_pairs, from_gen):
        assert list(md) == ["z", "y"]  # insertion order, not sorted
        assert md["z"] is a and md["y"] is b and len(md) == 2
    assert list(nn.ModuleDict(from_map).keys()) == ["z", "y"]  # from another ModuleDict
    assert len(nn.ModuleDict()) == 0


def test_moduledict_get_set_del_contains():
    a, b, c = Scale(1), Scale(2), Scale(3)
    md = nn.ModuleDict({"a": a})
    md["b"] = b
    assert "b" in md and "c" not in md and md.b is b
    md["a"] = c  # replace keeps the position
    assert list(md) == ["a", "b"] and md["a"] is c
    del md["a"]
    assert list(md) == ["b"] and "a" not in md


def test_moduledict_keys_values_items_update_pop_clear():
    a, b, c = Scale(1), Scale(2), Scale(3)
    md = nn.ModuleDict({"a": a, "b": b})
    assert list(md.keys()) == ["a", "b"]
    assert [id(m) for m in md.values()] == [id(a), id(b)]
    assert [(k, id(m)) for k, m in md.items()] == [("a", id(a)), ("b", id(b))]
    md.update({"c": c, "a": b})
    assert list(md.keys()) == ["a", "b", "c"] and md["a"] is b
    md.update([("d", a)])
    assert list(md) == ["a", "b", "c", "d"]
    assert md.pop("b") is b
    assert list(md) == ["a", "c", "d"]
    md.clear()
    assert len(md) == 0 and list(md.parameters()) == []


def test_moduledict_has_no_forward():
    with pytest.raises(NotImplementedError, match="ModuleDict has no forward"):
        nn.ModuleDict({"a": Scale(1)})(cp.Tensor([1.0]))


def test_moduledict_errors_change_nothing():
    a = Scale(1)
    md = nn.ModuleDict({"a": a})
    with pytest.raises(KeyError, match=r"ModuleDict has no key 'b'; keys are \['a'\]"):
        md["b"]
    with pytest.raises(KeyError, match="ModuleDict has no key 'b'"):
        del md["b"]
    with pytest.raises(KeyError, match="ModuleDict has no key 'b'"):
        md.pop("b")
    with pytest.raises(KeyError, match=r"can't contain \"\.\", got 'x.y'"):
        md["x.y"] = Scale(2)
    with pytest.raises(KeyError, match="can't be empty"):
        md[""] = Scale(2)
    with pytest.raises(TypeError, match="name should be a str, got int"):
        md[1] = Scale(2)
    with pytest.raises(KeyError, match="attribute 'keys' already exists"):
        md["keys"] = Scale(2)
    with pytest.raises(TypeError, match=r"ModuleDict\['b'\] expects a Module, got int"):
        md["b"] = 3
    with pytest.raises(KeyError, match=r"can't contain \"\.\""):
        md.update({"ok": Scale(2), "bad.key": Scale(3)})
    with pytest.raises(TypeError, match=r"element 1 is 'bc'"):
        md.update([("ok", Scale(2)), "bc"])
    with pytest.raises(TypeError, match=r"ModuleDict\['ok2'\] expects a Module, got str"):
        md.update([("ok", Scale(2)), ("ok2", "relu")])
    with pytest.raises(TypeError, match="expects a mapping or \\(name, module\\) pairs, got Scale"):
        md.update(Scale(2))
    with pytest.raises(KeyError, match=r"can't contain"):
        nn.ModuleDict({"a.b": Scale(1)})
    assert list(md) == ["a"] and md["a"] is a  # nothing above changed the dict


# ---------------------------------------------------------------- registration through containers
class Net(Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(3, 4), nn.Linear(4, 2)])
        self.heads = nn.ModuleDict({"cls": nn.Linear(2, 5)})
        self.body = nn.Sequential(OrderedDict(norm=nn.BatchNorm(2), act=nn.ReLU()))


def test_container_parameters_and_state_dict_names():
    net = Net()
    assert [k for k, _ in net.named_parameters()] == [
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "layers.1.bias",
        "heads.cls.weight",
        "heads.cls.bias",
        "body.norm.weight",
        "body.norm.bias",
    ]
    assert list(net.state_dict()) == [
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "layers.1.bias",
        "heads.cls.weight",
        "heads.cls.bias",
        "body.norm.weight",
        "body.norm.bias",
        "body.norm.running_mean",
        "body.norm.running_var",
        "body.norm.num_batches_tracked",
    ]
    assert net.get_submodule("layers.1") is net.layers[1]
    del net.layers[0]
    assert [k for k, _ in net.named_parameters()][:2] == ["layers.0.weight", "layers.0.bias"]
    assert net.layers[0].in_features == 4


def test_train_eval_propagates_through_containers():
    net = Net()
    net.eval()
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def make_mlp():
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3), nn.LayerNorm(3))


def test_sequential_save_load_round_trip(tmp_path):
    cp.manual_seed(0)
    model = make_mlp()
    x = cp.randn(5, 4)
    expected = model(x).numpy()
    path = tmp_path / "mlp.cp"
    cp.save(model.state_dict(), path)
    loaded = cp.load(path)
    assert list(loaded) == ["0.weight", "0.bias", "2.weight", "2.bias", "3.weight", "3.bias"]
    cp.manual_seed(1)
    fresh = make_mlp()
    assert not np.allclose(fresh(x).numpy(), expected)  # really different before loading
    fresh.load_state_dict(loaded)
    np.testing.assert_array_equal(fresh(x).numpy(), expected)


def test_load_state_dict_into_fresh_sequential_gives_identical_outputs():
    cp.manual_seed(2)
    model = make_mlp()
    fresh = make_mlp()
    x = cp.randn(3, 4)
    assert not np.allclose(fresh(x).numpy(), model(x).numpy())
    fresh.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(fresh(x).numpy(), model(x).numpy())


# ---------------------------------------------------------------- repr
MODULELIST_TEXT = """ModuleList(
  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)
  (3): ReLU()
  (4): Linear(in_features=2, out_features=2, bias=False)
  (5-6): 2 x ReLU()
)"""


def test_modulelist_repr_collapses_repeats():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    ml.extend([nn.ReLU(), nn.Linear(2, 2, bias=False), nn.ReLU(), nn.ReLU()])
    assert repr(ml) == MODULELIST_TEXT


def test_container_reprs():
    seq = nn.Sequential(OrderedDict(fc=nn.Linear(2, 3), act=nn.ReLU()))
    assert repr(seq) == (
        "Sequential(\n  (fc): Linear(in_features=2, out_features=3, bias=True)\n  (act): ReLU()\n)"
    )
    # Sequential does not collapse repeats (as in PyTorch)
    assert repr(nn.Sequential(nn.ReLU(), nn.ReLU())) == (
        "Sequential(\n  (0): ReLU()\n  (1): ReLU()\n)"
    )
    assert repr(nn.ModuleDict({"a": nn.Tanh()})) == "ModuleDict(\n  (a): Tanh()\n)"
    assert repr(nn.ModuleList()) == "ModuleList()"


def test_container_reprs_match_torch():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    ours = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    ours.extend([nn.ReLU(), nn.Linear(2, 2, bias=False), nn.ReLU(), nn.ReLU()])
    theirs = tnn.ModuleList([tnn.Linear(2, 2) for _ in range(3)])
    theirs.extend([tnn.ReLU(), tnn.Linear(2, 2, bias=False), tnn.ReLU(), tnn.ReLU()])
    assert repr(ours) == repr(theirs)
    assert repr(nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.ReLU())) == repr(
        tnn.Sequential(tnn.Linear(2, 3), tnn.ReLU(), tnn.ReLU())
    )
    assert repr(nn.ModuleDict({"a": nn.Tanh(), "b": nn.GELU()})) == repr(
        tnn.ModuleDict({"a": tnn.Tanh(), "b": tnn.GELU()})
    )
    nested_ours = nn.Sequential(nn.ModuleList([nn.ReLU(), nn.ReLU()]), nn.Identity())
    nested_theirs = tnn.Sequential(tnn.ModuleList([tnn.ReLU(), tnn.ReLU()]), tnn.Identity())
    assert repr(nested_ours) == repr(nested_theirs)
    assert repr(nn.ModuleList()) == repr(tnn.ModuleList())
    sliced = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.GELU())[1:]
    assert repr(sliced) == repr(tnn.Sequential(tnn.ReLU(), tnn.Tanh(), tnn.GELU())[1:])
