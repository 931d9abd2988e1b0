"""The checks on single classes written in a notebook cell or a test (laid over clownpiece.nn
with a Namespace): skeletons fail every row with "not implemented yet", and classes with one
subtle bug fail exactly the rows about it."""

import numpy as np
import pytest
from seed_examples import ModuleSkeleton

import clownpiece as cp
from clownpiece import nn
from clownpiece.exercises import Namespace, run
from clownpiece.nn import CrossEntropyLoss, LayerNorm, Linear, Module, Parameter

SEQUENTIAL_ROWS = [
    "Sequential: forward runs the children in order",
    "Sequential: children registered as '0', '1', ...",
    "Sequential: indexing, len and iteration",
    "Sequential: slicing gives a Sequential",
    "Sequential: append registers and runs the module",
    "Sequential: built from an OrderedDict keeps the names",
]


def checked(group, **objects):
    return run(group, Namespace(nn, **objects))


# ---------------------------------------------------------------------------- Module core


def test_reference_classes_pass_every_part1_check():
    report = run("part1", nn)
    report.assert_ok()
    assert report.total == 32


@pytest.mark.parametrize("group", ["registration", "modes", "state_dict", "repr", "forward"])
def test_the_seed_skeleton_fails_every_module_check(group):
    report = checked(group, Module=ModuleSkeleton)
    assert report.passed == 0
    for reason in report.reasons.values():
        assert reason.startswith("not implemented yet: ModuleSkeleton."), reason


def sorted_by_length(self, *args, **kwargs):
    """named_parameters with the longest names first (children before own parameters)."""
    pairs = Module.named_parameters(self, *args, **kwargs)
    return iter(sorted(pairs, key=lambda kv: -len(kv[0])))


def always_recursive(self, *args, **kwargs):
    """named_parameters that ignores recursive=False."""
    return Module.named_parameters(self)


def modules_without_self(self, *args, **kwargs):
    return iter(list(Module.modules(self))[1:])


@pytest.mark.parametrize(
    "method, body, failing",
    [
        (
            "named_parameters",
            sorted_by_length,
            ["dotted recursive names (a, b.c)", "parameters() yields the objects, own first"],
        ),
        ("named_parameters", always_recursive, ["recursive=False gives own parameters only"]),
        ("modules", modules_without_self, ["modules() is self first, then children"]),
    ],
)
def test_registration_check_catches_a_specific_bug(method, body, failing):
    broken = type("Broken", (Module,), {method: body})
    assert checked("registration", Module=broken).failed == failing


def test_repr_check_catches_wrong_indentation():
    def bad_repr(self):
        return Module.__repr__(self).replace("\n  ", "\n    ")

    report = checked("repr", Module=type("BadIndent", (Module,), {"__repr__": bad_repr}))
    assert report.failed == [
        "SimpleNet text exactly as the course shows",
        "two levels of nesting indent by two spaces",
    ]
    assert report.reasons["SimpleNet text exactly as the course shows"] == (
        "repr(SimpleNet()), line 2: got '    (layer1): Linear(in_features=784, out_features=128, "
        "bias=True)', expected '  (layer1): Linear(in_features=784, out_features=128, bias=True)'"
    )


def test_state_dict_check_catches_a_copying_state_dict():
    class Copying(Module):
        def state_dict(self):
            return {
                k: None if v is None else cp.Tensor(v.numpy().copy())
                for k, v in Module.state_dict(self).items()
            }

    report = checked("state_dict", Module=Copying)
    assert report.failed == ["state_dict shares storage (no copy)"]


# ---------------------------------------------------------------------------- Linear and Tanh


class SkeletonLinear(Module):
    def __init__(self, in_features, out_features, bias=True):
        pass

    def forward(self, x):
        pass


class SkeletonTanh(Module):
    def __init__(self):
        pass

    def forward(self, x):
        pass


class InOutLinear(Linear):
    """Stores the weight as (in, out) and computes x @ W."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__(in_features, out_features, bias)
        self.weight = Parameter(cp.empty(in_features, out_features))
        self.reset_parameters()

    def forward(self, x):
        y = x @ self.weight
        return y if self.bias is None else y + self.bias


def test_linear_and_tanh_skeletons_fail_every_row():
    assert checked("linear", Linear=SkeletonLinear).passed == 0
    assert checked("tanh", Tanh=SkeletonTanh).passed == 0
    reason = checked("tanh", Tanh=SkeletonTanh).reasons["forward is tanh"]
    assert reason.startswith(
        "not implemented yet: SkeletonTanh.__init__ (test_exercises_classes.py:"
    )


def test_linear_check_catches_a_weight_stored_as_in_out():
    report = checked("linear", Linear=InOutLinear)
    assert report.failed == [
        "weight (out, in) and bias (out,)",
        "bias=False keeps a None slot",
        "forward and backward match numpy",
        "extra_repr",
    ]  # its name, too
    reason = report.reasons["weight (out, in) and bias (out,)"]
    assert reason.startswith("Linear(3, 2) parameters: got [") and "('weight', (3, 2))" in reason
    assert reason.endswith("expected [('weight', (2, 3)), ('bias', (2,))]")


# ---------------------------------------------------------------------------- Sequential


class SkeletonSequential(Module):
    def __init__(self, *modules):
        pass

    def forward(self, x):
        pass


class ListSequential(Module):
    """Keeps its layers in a plain Python list: runs fine, but nothing is registered."""

    def __init__(self, *modules):
        super().__init__()
        self.layers = list(modules)

    def forward(self, x):
        for m in self.layers:
            x = m(x)
        return x

    def __getitem__(self, idx):
        return ListSequential(*self.layers[idx]) if isinstance(idx, slice) else self.layers[idx]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def append(self, module):
        self.layers.append(module)
        return self


def test_sequential_skeleton_fails_its_rows_and_only_those():
    report = checked("containers", Sequential=SkeletonSequential)
    assert report.failed == SEQUENTIAL_ROWS and report.passed == report.total - 6
    assert all(
        r.startswith("not implemented yet: SkeletonSequential.__init__")
        for r in report.reasons.values()
    )


def test_sequential_check_catches_a_plain_list_of_layers():
    report = checked("containers", Sequential=ListSequential)
    assert report.failed == [
        "Sequential: children registered as '0', '1', ...",
        "Sequential: slicing gives a Sequential",
        "Sequential: append registers and runs the module",
        "Sequential: built from an OrderedDict keeps the names",
    ]
    assert report.reasons["Sequential: children registered as '0', '1', ..."] == (
        "named_parameters() of Sequential(a, b, c): got [], "
        "expected ['0.weight', '0.bias', '2.weight', '2.bias']"
    )


# ---------------------------------------------------------------------------- LayerNorm


class SkeletonLayerNorm(Module):
    def __init__(self, num_features, eps=1e-5, affine=True):
        pass

    def forward(self, x):
        pass


class UnbiasedLayerNorm(LayerNorm):
    """Divides the squared deviations by n - 1 instead of n."""

    def forward(self, x):
        n = x.shape[-1]
        mean = x.mean(-1, keepdims=True)
        c = x - mean
        var = (c * c).sum(-1, keepdims=True) * (1 / (n - 1))
        return c / (var + self.eps).sqrt() * self.weight + self.bias


class LastDimLayerNorm(LayerNorm):
    """Normalises over the last dim only, ignoring the course's trailing-dims interface."""

    def forward(self, x):
        mean = x.mean(-1, keepdims=True)
        c = x - mean
        var = (c * c).mean(-1, keepdims=True)
        out = c / (var + self.eps).sqrt()
        if x.shape[-1] == self.num_features:
            out = out * self.weight + self.bias
        return out


def test_layernorm_skeleton_fails_every_row():
    assert checked("layernorm", LayerNorm=SkeletonLayerNorm).passed == 0


def test_layernorm_check_catches_unbiased_variance():
    failed = checked("layernorm", LayerNorm=UnbiasedLayerNorm).failed
    assert "LayerNorm: per sample, biased variance" in failed
    assert "LayerNorm: weight (ones) and bias (zeros), (num_features,)" not in failed


def test_layernorm_check_catches_last_dim_only():
    failed = checked("layernorm", LayerNorm=LastDimLayerNorm).failed
    assert failed == ["LayerNorm: trailing dims whose product is num_features"]


# ---------------------------------------------------------------------------- CrossEntropyLoss


class SkeletonCrossEntropyLoss(Module):
    def __init__(self, reduction="mean"):
        pass

    def forward(self, logits, target):
        pass


def reduce_as(loss, losses):
    """Apply a loss module's `reduction` to per-sample losses (as the reference does)."""
    return {"mean": losses.mean, "sum": losses.sum}.get(loss.reduction, lambda: losses)()


class NaiveCrossEntropyLoss(CrossEntropyLoss):
    """Softmax first, then log: correct for small logits, inf/nan for large ones."""

    def forward(self, logits, target):
        probs = logits.exp() / logits.exp().sum(-1, keepdims=True)
        idx = target.numpy().astype(np.int64).reshape(-1)
        flat = probs.log().reshape(-1, logits.shape[-1])
        return reduce_as(self, -flat[np.arange(idx.size), idx].reshape(tuple(target.shape)))


class ClassDimOneCrossEntropyLoss(CrossEntropyLoss):
    """Takes log-softmax over dim 1 (PyTorch's class dim): right for (N, C), wrong for (N, T, C)."""

    def forward(self, logits, target):
        idx = target.numpy().astype(np.int64).reshape(-1)
        flat = logits.log_softmax(dim=1).reshape(-1, logits.shape[-1])
        return reduce_as(self, -flat[np.arange(idx.size), idx].reshape(tuple(target.shape)))


CE_ROWS = 5


def test_cross_entropy_skeleton_fails_its_rows():
    report = checked("losses", CrossEntropyLoss=SkeletonCrossEntropyLoss)
    assert len(report.failed) == CE_ROWS and all(
        n.startswith("CrossEntropyLoss") for n in report.failed
    )


def test_cross_entropy_check_catches_naive_softmax_then_log():
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        failed = checked("losses", CrossEntropyLoss=NaiveCrossEntropyLoss).failed
    assert failed == ["CrossEntropyLoss: huge logits (1e4) stay finite"]


def test_cross_entropy_check_catches_class_dim_one():
    failed = checked("losses", CrossEntropyLoss=ClassDimOneCrossEntropyLoss).failed
    assert failed == ["CrossEntropyLoss: class dim last, logits (2, 3, 5)"]
