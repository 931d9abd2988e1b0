"""Module registration, iteration, modes, hooks, copying and printing."""

import copy
import inspect
import pickle

import numpy as np
import pytest

import clownpiece as cp
from clownpiece.nn import Buffer, Linear, Module, Parameter, Tanh
from clownpiece.nn import module as module_mod


class ReLU(Module):  # the real ReLU lives in activations.py (Part 4); repr tests need one now
    def forward(self, x):
        return x.relu()


class SimpleNet(Module):
    def __init__(self, input_size, hidden_size, output_size):
        super().__init__()
        self.layer1 = Linear(input_size, hidden_size)
        self.activation = ReLU()
        self.layer2 = Linear(hidden_size, output_size)

    def forward(self, x):
        return self.layer2(self.activation(self.layer1(x)))


SIMPLENET_TEXT = """SimpleNet(
  (layer1): Linear(in_features=784, out_features=128, bias=True)
  (activation): ReLU()
  (layer2): Linear(in_features=128, out_features=10, bias=True)
)"""


# ---------------------------------------------------------------------------- seed examples


def test_simplenet_repr_and_parameter_shapes_match_the_seed():
    model = SimpleNet(input_size=784, hidden_size=128, output_size=10)
    assert repr(model) == SIMPLENET_TEXT
    assert [(n, p.shape) for n, p in model.named_parameters()] == [
        ("layer1.weight", (128, 784)),
        ("layer1.bias", (128,)),
        ("layer2.weight", (10, 128)),
        ("layer2.bias", (10,)),
    ]


def test_the_a_b_naming_example():
    class B(Module):
        def __init__(self):
            super().__init__()
            self.c = Parameter(cp.ones(1))

    class A(Module):
        def __init__(self):
            super().__init__()
            self.a = Parameter(cp.ones(1))
            self.b = B()

    a = A()
    assert [n for n, _ in a.named_parameters()] == ["a", "b.c"]
    assert [n for n, _ in a.named_parameters(prefix="model")] == ["model.a", "model.b.c"]
    assert [n for n, _ in a.named_parameters(recurse=False)] == ["a"]
    assert [n for n, _ in a.named_modules()] == ["", "b"]
    assert [n for n, _ in a.named_children()] == ["b"]
    assert list(a.children()) == [a.b]
    assert [n for n, _ in a.named_modules(recursive=False)] == [""]


# ---------------------------------------------------------------------------- registration


def test_parameter_and_buffer_are_tensors_sharing_the_array():
    t = cp.Tensor.empty(3, 4)
    p, b = Parameter(t), Buffer(t)
    assert isinstance(p, cp.Tensor) and p.requires_grad and p._data is t._data
    assert isinstance(b, cp.Tensor) and not b.requires_grad and b._data is t._data
    assert not Parameter(t, requires_grad=False).requires_grad
    assert type(pickle.loads(pickle.dumps(p))) is Parameter
    assert type(copy.deepcopy(b)) is Buffer


def test_assignment_registers_and_reassignment_moves_between_registries():
    m = Module()
    m.w = Parameter(cp.ones(2))
    m.r = Buffer(cp.zeros(2))
    m.child = Tanh()
    m.plain = cp.ones(2)  # a plain Tensor under a new name stays a plain attribute
    assert set(m._parameters) == {"w"} and set(m._buffers) == {"r"} and set(m._modules) == {"child"}
    assert "plain" in m.__dict__
    m.plain = Parameter(cp.ones(1))  # now it becomes a parameter
    assert "plain" in m._parameters and "plain" not in m.__dict__
    m.r = cp.ones(5)  # a buffer name accepts a plain tensor and stays a buffer
    assert m._buffers["r"].shape == (5,)


def test_none_keeps_the_slot_and_plain_tensor_over_parameter_is_type_error():
    lin = Linear(3, 2)
    lin.bias = None
    assert "bias" in lin._parameters and lin.bias is None
    assert lin.state_dict()["bias"] is None
    with pytest.raises(TypeError, match=r"parameter 'weight' of Linear"):
        lin.weight = cp.ones(2, 3)
    m = SimpleNet(3, 4, 2)
    with pytest.raises(TypeError, match=r"child module 'layer1' of SimpleNet"):
        m.layer1 = 5
    m.layer1 = None
    assert "layer1" in m._modules and [n for n, _ in m.named_children()] == ["activation", "layer2"]


def test_forgetting_super_init_is_a_clear_error():
    class Forgetful(Module):
        def __init__(self):
            self.fc = Linear(2, 2)

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)") as info:
        Forgetful()
    assert "Forgetful" in str(info.value)


def test_a_module_without_super_init_still_prints_and_says_why():
    class Quiet(Module):
        def __init__(self):
            pass

    assert repr(Quiet()) == "Quiet(<super().__init__() was not called>)"
    with pytest.raises(RuntimeError, match=r"call super\(\).__init__\(\) first in Quiet"):
        Quiet()(cp.ones(1))


@pytest.mark.parametrize("register", ["register_parameter", "register_buffer", "register_module"])
def test_register_validates_names(register):
    m = Linear(2, 2)
    value = {
        "register_parameter": Parameter(cp.ones(1)),
        "register_buffer": Buffer(cp.ones(1)),
        "register_module": Tanh(),
    }[register]
    with pytest.raises(KeyError, match=r"can't contain \"\.\""):
        getattr(m, register)("a.b", value)
    with pytest.raises(KeyError, match="empty"):
        getattr(m, register)("", value)
    with pytest.raises(TypeError, match="should be a str"):
        getattr(m, register)(3, value)
    with pytest.raises(KeyError, match="attribute 'in_features' already exists"):
        getattr(m, register)("in_features", value)
    with pytest.raises(TypeError, match="cannot register int"):
        getattr(m, register)("x", 5)
    assert set(m._parameters) == {"weight", "bias"} and not m._buffers and not m._modules


def test_register_aliases_and_non_persistent_buffers():
    m = Module()
    m.register_modules("a", Tanh())
    m.add_module("b", Tanh())
    m.register_buffer("keep", cp.ones(1))
    m.register_buffer("scratch", cp.ones(1), persistent=False)
    assert [n for n, _ in m.named_children()] == ["a", "b"]
    assert [n for n, _ in m.named_buffers()] == ["keep", "scratch"]
    assert list(m.state_dict()) == ["keep"]


def test_shared_parameters_and_modules_are_yielded_once():
    m = Module()
    shared = Linear(2, 2)
    m.a, m.b = shared, shared
    m.tied = shared.weight
    assert [n for n, _ in m.named_modules()] == ["", "a"]
    assert [n for n, _ in m.named_parameters()] == ["tied", "a.bias"]  # a.weight is tied
    assert len(list(m.parameters())) == 2


def test_getattr_delattr_dir():
    m = SimpleNet(3, 4, 2)
    with pytest.raises(AttributeError, match="'SimpleNet' object has no attribute 'nope'"):
        _ = m.nope
    assert {"layer1", "activation", "layer2", "forward"} <= set(dir(m))
    assert {"weight", "bias"} <= set(dir(m.layer1))
    del m.activation
    del m.layer1.bias
    assert "activation" not in m._modules and "bias" not in m.layer1._parameters
    m.plain = 1
    del m.plain
    with pytest.raises(AttributeError):
        _ = m.plain


def test_get_submodule():
    m = SimpleNet(3, 4, 2)
    outer = Module()
    outer.net = m
    assert outer.get_submodule("net.layer1") is m.layer1 and outer.get_submodule("") is outer
    with pytest.raises(AttributeError, match=r"SimpleNet has no submodule 'nope'"):
        outer.get_submodule("net.nope")


# ---------------------------------------------------------------------------- behaviour


def test_train_eval_are_recursive_and_return_self():
    m = SimpleNet(3, 4, 2)
    assert m.training and m.layer1.training
    assert m.eval() is m
    assert not any(x.training for x in m.modules())
    assert m.train() is m and all(x.training for x in m.modules())
    with pytest.raises(TypeError, match="bool"):
        m.train("no")


def test_zero_grad_requires_grad_and_apply():
    m = SimpleNet(3, 4, 2)
    m(cp.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(np.all(p.grad._data == 0) for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    assert m.requires_grad_(False) is m and not any(p.requires_grad for p in m.parameters())
    seen = []
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    assert seen == ["Linear", "ReLU", "Linear", "SimpleNet"]


def test_forward_not_implemented_names_the_class():
    class NoForward(Module):
        pass

    with pytest.raises(NotImplementedError, match="NoForward"):
        NoForward()(1)


def test_forward_hooks_and_removable_handles():
    lin = Linear(3, 2)
    calls = []
    pre = lin.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    post = lin.register_forward_hook(lambda mod, args, out: calls.append(out.shape) or out * 2)
    y = lin(cp.ones(1, 3))
    assert np.allclose(y._data, 2 * lin.bias._data) and calls == [(1, 2)]
    pre.remove()
    post.remove()
    x = cp.ones(1, 3)
    assert np.allclose(lin(x)._data, x._data @ lin.weight._data.T + lin.bias._data)
    assert calls == [(1, 2)]


def test_pickle_and_deepcopy_keep_sharing_inside_the_copy():
    m = Module()
    m.a = Linear(2, 2)
    m.tied = m.a.weight
    m.register_buffer("r", Buffer(cp.ones(2)), persistent=False)
    for clone in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert clone.tied is clone.a.weight and clone.tied is not m.tied
        assert isinstance(clone.tied, Parameter) and clone.tied.requires_grad
        assert np.array_equal(clone.a.weight._data, m.a.weight._data)
        assert list(clone.state_dict()) == list(m.state_dict()) == ["tied", "a.weight", "a.bias"]
        clone.a.weight._data[...] = 7
        assert not np.any(m.a.weight._data == 7)


# ---------------------------------------------------------------------------- printing


class Block(Module):
    def __init__(self, d):
        super().__init__()
        self.fc = Linear(d, d)
        self.act = Tanh()


class ModuleList(Module):
    """Stand-in for the later container: children named "0", "1", ... and collapsed repr."""

    _collapse_repeated_children = True

    def __init__(self, modules):
        super().__init__()
        for i, mod in enumerate(modules):
            self.register_module(str(i), mod)


class Sequential(ModuleList):
    _collapse_repeated_children = False


def test_extra_repr_multiline_and_none_children():
    class Multi(Module):
        def extra_repr(self):
            return "first\nsecond"

    outer = Module()
    outer.m = Multi()
    outer.register_module("gone", None)
    assert repr(Multi()) == "Multi(\n  first\n  second\n)"
    assert repr(outer) == "Module(\n  (m): Multi(\n    first\n    second\n  )\n  (gone): None\n)"


def test_list_like_children_collapse_and_sequential_does_not():
    blocks = ModuleList([Block(2) for _ in range(12)] + [Linear(2, 1)])
    text = repr(blocks)
    assert text.startswith("ModuleList(\n  (0-11): 12 x Block(\n    (fc): Linear(")
    assert text.endswith("  )\n  (12): Linear(in_features=2, out_features=1, bias=True)\n)")
    assert "(0): Block" in repr(Sequential([Block(2) for _ in range(3)]))
    assert repr(ModuleList([])) == "ModuleList()"


def test_repr_html_is_a_tree_with_subtree_counts_and_escaping():
    class Weird(Module):
        def extra_repr(self):
            return "<script>"

    m = SimpleNet(3, 4, 2)
    m.w = Weird()
    page = m._repr_html_()
    assert page.count("<details") == 5 and "<summary>" in page
    assert "SimpleNet</span> · 26 parameters" in page and "16 parameters" in page
    assert "(4, 3)" in page
    assert "<script>" not in page and "&lt;script&gt;" in page  # (more in test_module_html.py)


def test_repr_matches_torch_for_an_equivalent_model():
    torch = pytest.importorskip("torch")

    class Block(torch.nn.Module):  # noqa: F811 (same name so the texts match)
        def __init__(self, d):
            super().__init__()
            self.fc = torch.nn.Linear(d, d)
            self.act = torch.nn.Tanh()

    def build(nn, listed, block):
        net = nn.Module()
        net.embed = nn.Linear(4, 8)
        net.blocks = listed([block(8) for _ in range(3)] + [nn.Linear(8, 8, bias=False)])
        net.act = nn.Tanh()
        return net

    ours = build(cp.nn, ModuleList, globals()["Block"])
    assert repr(ours) == repr(build(torch.nn, torch.nn.ModuleList, Block))
    assert "(0-2): 3 x Block" in repr(ours)
    t = torch.nn.Module()
    t.layer1, t.activation, t.layer2 = (
        torch.nn.Linear(784, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, 10),
    )
    assert repr(t).replace("Module(", "SimpleNet(", 1) == SIMPLENET_TEXT


def test_blank_extra_repr_lines_stay_empty_when_nested_as_in_torch():
    class Gap(Module):
        def extra_repr(self):
            return "a\n\nb\n   "

    outer = Module()
    outer.gap = Gap()
    outer.many = ModuleList([Gap(), Gap()])
    text = repr(outer)
    assert "\n\n" in text and not any(line != line.rstrip() for line in text.split("\n"))
    assert repr(Gap()) == "Gap(\n  a\n  \n  b\n     \n)"  # top level: as PyTorch prints it
    # the old layout indented every nested line, blank or not
    old = module_mod.append_text

    def indent_every_line(out, text, indent, head):
        lines = text.split("\n")
        out.append(indent + head + lines[0])
        out.extend(indent + line for line in lines[1:])

    module_mod.append_text = indent_every_line
    try:
        assert any(line != line.rstrip() for line in repr(outer).split("\n"))
    finally:
        module_mod.append_text = old
    torch = pytest.importorskip("torch")

    class TGap(torch.nn.Module):
        def extra_repr(self):
            return "a\n\nb\n   "

    t = torch.nn.Module()
    t.gap = TGap()
    t.many = torch.nn.ModuleList([TGap(), TGap()])
    assert text == repr(t).replace("TGap", "Gap")
    assert repr(Gap()) == repr(TGap()).replace("TGap", "Gap")


# ---------------------------------------------------------------------------- argument binding
class Encoder(Module):
    def __init__(self):
        super().__init__()
        self.fc = Linear(2, 2)
        self.tied = self.fc.weight
        self.register_buffer("steps", cp.zeros(1))


def test_named_parameters_binds_positional_arguments_as_torch():
    enc = Encoder()
    assert [n for n, _ in enc.named_parameters("enc")] == ["enc.tied", "enc.fc.bias"]
    assert [n for n, _ in enc.named_buffers("enc")] == ["enc.steps"]
    assert [n for n, _ in enc.named_parameters("enc", False)] == ["enc.tied"]
    assert [n for n, _ in enc.named_parameters("", True, False)] == ["tied", "fc.weight", "fc.bias"]
    assert [n for n, _ in enc.named_modules(None, "enc")] == ["enc", "enc.fc"]
    assert [n for n, _ in enc.named_parameters(recursive=False)] == ["tied"]  # the course's keyword
    assert [n for n, _ in enc.named_parameters(recurse=False)] == ["tied"]  # PyTorch's
    assert len(list(enc.parameters(False))) == 1 and len(list(enc.buffers(recursive=False))) == 1
    with pytest.raises(TypeError, match=r"named_parameters\(prefix\) expects a str, got bool"):
        enc.named_parameters(False)  # the seed's positional recursive: refused, not misread
    with pytest.raises(TypeError, match=r"named_modules\(memo\) expects a set"):
        enc.named_modules(False)
    with pytest.raises(TypeError):
        enc.modules(False)  # PyTorch: remove_duplicate; the course: recursive -> keyword only
    with pytest.raises(TypeError):
        enc.named_children("enc")  # PyTorch's named_children takes no prefix
    # the old signature named_parameters(recursive=True, prefix="") drops the prefix
    old = lambda self, recursive=True, prefix="": self.named_parameters(prefix, recursive)  # noqa: E731
    assert [n for n, _ in old(enc, "enc")] != ["enc.tied", "enc.fc.bias"]


def test_named_members_match_torch_with_duplicates_and_prefixes():
    torch = pytest.importorskip("torch")

    def build(nn):
        net = nn.Module()
        shared = nn.Linear(2, 2)
        net.a, net.b = shared, shared
        net.head = nn.Linear(2, 1)
        net.head.weight = nn.Parameter(net.head.weight.detach().clone())
        net.tied = shared.weight
        net.register_buffer("steps", cp.zeros(1) if nn is cp.nn else torch.zeros(1))
        return net

    ours, theirs = build(cp.nn), build(torch.nn)
    for call in (
        lambda m: [n for n, _ in m.named_parameters("enc")],
        lambda m: [n for n, _ in m.named_parameters("enc", True, False)],
        lambda m: [n for n, _ in m.named_parameters("", False)],
        lambda m: [n for n, _ in m.named_buffers("x", True, False)],
        lambda m: [n for n, _ in m.named_modules(None, "enc")],
        lambda m: [n for n, _ in m.named_modules(None, "", False)],
        lambda m: [n for n, _ in m.named_modules({m.a})],
        lambda m: len(list(m.modules(remove_duplicate=False))),
        lambda m: [n for n, _ in m.named_children()],
        lambda m: list(m.state_dict(prefix="p.")),
    ):
        assert call(ours) == call(theirs)


# Methods whose first positional arguments must mean what they mean in PyTorch.
BOUND_LIKE_TORCH = [
    "parameters",
    "named_parameters",
    "buffers",
    "named_buffers",
    "modules",
    "named_modules",
    "children",
    "named_children",
    "state_dict",
    "load_state_dict",
    "train",
    "eval",
    "requires_grad_",
    "zero_grad",
    "apply",
    "register_buffer",
    "register_parameter",
    "register_module",
    "add_module",
    "get_submodule",
    "register_forward_pre_hook",
    "register_forward_hook",
    "extra_repr",
]


def positional_names(function) -> list[str]:
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    params = inspect.signature(function).parameters.values()
    return [p.name for p in params if p.kind in kinds and p.name != "self"]


def binding_mismatches(ours: type, theirs: type) -> list[str]:
    """Methods whose positional parameters are not a prefix of PyTorch's (by name)."""
    problems = []
    for name in BOUND_LIKE_TORCH:
        mine, torch_names = (
            positional_names(getattr(ours, name)),
            positional_names(getattr(theirs, name)),
        )
        if mine != torch_names[: len(mine)]:
            problems.append(f"{name}{tuple(mine)} vs torch {tuple(torch_names)}")
    return problems


def test_every_positional_argument_binds_as_in_torch():
    torch = pytest.importorskip("torch")
    assert binding_mismatches(Module, torch.nn.Module) == []

    class OldSignatures(Module):  # the signatures before this change
        def named_parameters(self, recursive=True, prefix=""):
            pass

        def modules(self, recursive=True):
            pass

        def state_dict(self, prefix="", keep_vars=False):
            pass

    assert len(binding_mismatches(OldSignatures, torch.nn.Module)) == 3


def test_dead_code_is_gone():
    assert "__setstate__" not in vars(Module)  # the default does the same (pickle test above)
    assert "prefix" not in inspect.signature(Module.named_children).parameters
