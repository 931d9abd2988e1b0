"""The Part 4 exercise checks: pass on the reference classes, fail on skeletons and subtle bugs."""

import numpy as np

from clownpiece.nn import CrossEntropyLoss, LayerNorm, Module, Sequential, checks

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


def test_sequential_check_passes_on_reference():
    rep = checks.check_sequential(Sequential)
    rep.assert_ok()
    assert len(rep.results) == 7


def test_sequential_check_fails_every_row_on_skeleton():
    rep = checks.check_sequential(SkeletonSequential)
    assert not rep and rep.passed == 0
    assert "FAIL" in repr(rep) and "PASS" not in repr(rep)


def test_sequential_check_catches_a_plain_list_of_layers():
    rep = checks.check_sequential(ListSequential)
    assert not rep
    assert "children registered as '0', '1', ..." in rep.failed
    assert "append registers and runs the new module" in rep.failed
    assert "forward runs the children in order" not in rep.failed  # it does compute correctly


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


def test_layernorm_check_passes_on_reference():
    rep = checks.check_layernorm(LayerNorm)
    rep.assert_ok()
    assert len(rep.results) == 7


def test_layernorm_check_fails_every_row_on_skeleton():
    rep = checks.check_layernorm(SkeletonLayerNorm)
    assert not rep and rep.passed == 0


def test_layernorm_check_catches_unbiased_variance():
    failed = checks.check_layernorm(UnbiasedLayerNorm).failed
    assert "forward: per-sample, biased variance" in failed
    assert "weight (ones) and bias (zeros) of shape (num_features,)" not in failed


def test_layernorm_check_catches_last_dim_only():
    failed = checks.check_layernorm(LastDimLayerNorm).failed
    assert failed == ["trailing dims whose product is num_features"]


# ---------------------------------------------------------------------------- CrossEntropyLoss


class SkeletonCrossEntropyLoss(Module):
    def __init__(self, reduction="mean"):
        pass

    def forward(self, logits, target):
        pass


class NaiveCrossEntropyLoss(CrossEntropyLoss):
    """Softmax first, then log: correct for small logits, inf/nan for large ones."""

    def forward(self, logits, target):
        probs = logits.exp() / logits.exp().sum(-1, keepdims=True)
        idx = np.asarray(target._data).astype(np.int64).reshape(-1)
        flat = probs.log().reshape(-1, logits.shape[-1])
        return self._reduce(-flat[np.arange(idx.size), idx].reshape(tuple(target.shape)))


class ClassDimOneCrossEntropyLoss(CrossEntropyLoss):
    """Takes log-softmax over dim 1 (PyTorch's class dim): right for (N, C), wrong for (N, T, C)."""

    def forward(self, logits, target):
        idx = np.asarray(target._data).astype(np.int64).reshape(-1)
        flat = logits.log_softmax(dim=1).reshape(-1, logits.shape[-1])
        return self._reduce(-flat[np.arange(idx.size), idx].reshape(tuple(target.shape)))


def test_cross_entropy_check_passes_on_reference():
    rep = checks.check_cross_entropy(CrossEntropyLoss)
    rep.assert_ok()
    assert len(rep.results) == 5


def test_cross_entropy_check_fails_every_row_on_skeleton():
    rep = checks.check_cross_entropy(SkeletonCrossEntropyLoss)
    assert not rep and rep.passed == 0


def test_cross_entropy_check_catches_naive_softmax_then_log():
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        failed = checks.check_cross_entropy(NaiveCrossEntropyLoss).failed
    assert failed == ["huge logits (1e4) stay finite"]


def test_cross_entropy_check_catches_class_dim_one():
    failed = checks.check_cross_entropy(ClassDimOneCrossEntropyLoss).failed
    assert failed == ["class dim last: logits (2, 3, 5), targets (2, 3)"]


def test_skeleton_failures_tell_the_student_to_call_super_init():
    """A skeleton whose __init__ skips super().__init__() gets a hint, not a bare KeyError."""
    report = repr(checks.check_sequential(SkeletonSequential))
    assert "call super().__init__() first in SkeletonSequential.__init__" in report
    assert "KeyError" not in report
