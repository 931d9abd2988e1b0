"""Packages with one realistic bug each (a copy of the correct solution with one edit) lose
exactly the checks they should, in the part that holds the bug, and keep every other one."""

import pytest
from student_packages import variant

from clownpiece.exercises import run
from clownpiece.exercises.checking import student_subject

ALL_PARTS = ["part1", "part2", "part3", "part4", "part5"]
M, I, L, C, A, LOSS, T = (
    "nn/module.py",
    "nn/init.py",
    "nn/layers.py",
    "nn/containers.py",
    "nn/activations.py",
    "nn/loss.py",
    "train.py",
)

LOAD_OK = """        own = self.state_dict()
        problems = []
        if strict:
            unexpected = [key for key in state if key not in own]
            missing = [key for key in own if key not in state]
            if unexpected:
                problems.append(f"unexpected keys {unexpected}")
            if missing:
                problems.append(f"missing keys {missing}")
        for key, target in own.items():
            source = state.get(key)
            if target is not None and source is not None and source.shape != target.shape:
                problems.append(f"{key} has shape {source.shape}, the module has {target.shape}")
        if problems:
            raise RuntimeError("cannot load the state dict: " + "; ".join(problems))
        with no_grad():
            for key, target in own.items():
                source = state.get(key)
                if target is not None and source is not None:
                    target.copy_(source)
"""
LOAD_WRITES_FIRST = """        own = self.state_dict()
        with no_grad():
            for key, target in own.items():
                source = state.get(key)
                if target is not None and source is not None:
                    if source.shape != target.shape:
                        raise RuntimeError(f"{key}: shape {source.shape} != {target.shape}")
                    target.copy_(source)
        if strict:
            unexpected = [key for key in state if key not in own]
            missing = [key for key in own if key not in state]
            if unexpected or missing:
                raise RuntimeError(f"unexpected keys {unexpected}, missing keys {missing}")
"""
OWN_FIRST = """        for name, value in self.__dict__[registry].items():
            if value is not None and id(value) not in seen:
                seen.add(id(value))
                yield prefix + name, value
        if recursive:
            for child_name, child in self._modules.items():
                if child is not None:
                    yield from child._named_tensors(registry, True, prefix + child_name + ".", seen)
"""
CHILDREN_FIRST = """        if recursive:
            for child_name, child in self._modules.items():
                if child is not None:
                    yield from child._named_tensors(registry, True, prefix + child_name + ".", seen)
        for name, value in self.__dict__[registry].items():
            if value is not None and id(value) not in seen:
                seen.add(id(value))
                yield prefix + name, value
"""
SGD_OK = """    with no_grad():
        for p in parameters:
            if p.grad is not None:
                p -= lr * p.grad
                p.grad = None
"""
SGD_WITHOUT_NO_GRAD = """    for p in parameters:
        if p.grad is not None:
            p -= lr * p.grad
            p.grad = None
"""
ACCURACY_OK = """            correct += (predicted == labels).float().sum().item()
            total += labels.shape[0]
    return correct / total
"""
ACCURACY_PER_BATCH = """            correct += (predicted == labels).float().mean().item()
            total += 1
    return correct / total
"""

VARIANTS = {
    "children before own parameters": [(M, OWN_FIRST, CHILDREN_FIRST)],
    "no deduplication": [
        (M, "if value is not None and id(value) not in seen:", "if value is not None:")
    ],
    "state_dict copying data": [
        (
            M,
            "state[dot + name] = param",
            "state[dot + name] = None if param is None else param.clone()",
        )
    ],
    "a load that writes before it raises": [(M, LOAD_OK, LOAD_WRITES_FIRST)],
    "repr without indentation": [
        (M, 'child_text = repr(child).replace("\\n", "\\n  ")', "child_text = repr(child)")
    ],
    "train() that does not recurse": [
        (M, "for module in self.modules():", "for module in [self]:")
    ],
    "zero_grad of own parameters only": [
        (
            M,
            "for param in self.parameters():\n            param.grad = None",
            "for param in self.parameters(recursive=False):\n            param.grad = None",
        )
    ],
    "Linear without the transpose": [(L, "y = x @ self.weight.transpose()", "y = x @ self.weight")],
    "init without the gain": [
        (
            I,
            "bound = gain * math.sqrt(6 / (fan_in + fan_out))",
            "bound = math.sqrt(6 / (fan_in + fan_out))",
        )
    ],
    "init without no_grad": [
        (I, "    with no_grad():\n        tensor.fill_(value)", "    tensor.fill_(value)")
    ],
    "LayerNorm with unbiased variance": [
        (
            L,
            "var = ((flat - mean) ** 2).mean(-1, keepdims=True)",
            "var = flat.var(-1, keepdims=True)",
        )
    ],
    "BatchNorm using batch statistics in eval": [
        (
            L,
            "mean, var = self.running_mean, self.running_var",
            "mean = x.mean(0, keepdims=True)\n            var = ((x - mean) ** 2).mean(0, keepdims=True)",
        )
    ],
    "BatchNorm running_var with the biased variance": [
        (L, "unbiased = var.reshape(-1) * (n / (n - 1))", "unbiased = var.reshape(-1)")
    ],
    "attention scaled by d instead of sqrt(d)": [
        (L, "/ math.sqrt(self.head_dim)", "/ self.head_dim")
    ],
    "cross-entropy without the max subtraction": [
        (LOSS, "shifted = logits - logits.max(-1, keepdims=True)", "shifted = logits")
    ],
    "LeakyReLU with a fixed slope": [(A, "x * self.negative_slope", "x * 0.01")],
    "GELU as x * sigmoid(x)": [
        (A, "return 0.5 * x * (1 + inner.tanh())", "return x * x.sigmoid()")
    ],
    "ModuleList del without renumbering": [
        (
            C,
            "        del modules[index]\n        self._renumber(modules)",
            "        del self._modules[str(index)]",
        )
    ],
    "sgd_step without no_grad": [(T, SGD_OK, SGD_WITHOUT_NO_GRAD)],
    "accuracy as a mean of batch accuracies": [(T, ACCURACY_OK, ACCURACY_PER_BATCH)],
}

# Variant -> the checks it must fail (all others pass). A bug in Module can fail several
# part1 checks that rely on the broken method; "Linear without the transpose" also fails the
# attention checks, because the attention layer is built from four Linear layers.
EXPECTED = {
    "children before own parameters": {
        "part1": [
            "dotted recursive names (a, b.c)",
            "parameters() yields the objects, own first",
            "register_buffer and register_modules by name",
        ],
    },
    "no deduplication": {
        "part1": ["shared parameter yielded once", "shared child module yielded once"]
    },
    "state_dict copying data": {
        "part1": [
            "state_dict shares storage (no copy)",
            "load_state_dict copies in place",
            "non-strict loads what matches",
        ],
    },
    "a load that writes before it raises": {"part1": ["a failed strict load changes nothing"]},
    "repr without indentation": {"part1": ["two levels of nesting indent by two spaces"]},
    "train() that does not recurse": {
        "part1": ["train() / eval() switch every submodule and return self"]
    },
    "zero_grad of own parameters only": {
        "part1": ["zero_grad() clears every parameter's gradient"]
    },
    "Linear without the transpose": {
        "part2": ["bias=False keeps a None slot", "forward and backward match numpy"],
        "part4": [
            "MultiheadAttention: softmax(q k^T / sqrt(d)) v per head",
            "MultiheadAttention: boolean mask, True = may not attend",
            "MultiheadAttention: a float mask is added to the scores",
        ],
    },
    "init without the gain": {"part3": ["xavier_uniform_: CDF matches the target (1000 x 10x20)"]},
    "init without no_grad": {
        "part3": [
            "constant_: fills every element with 2.5, in place",
            "zeros_: fills every element with 0, in place",
            "ones_: fills every element with 1, in place",
        ],
    },
    "LayerNorm with unbiased variance": {
        "part4": [
            "LayerNorm: per sample, biased variance",
            "LayerNorm: trailing dims whose product is num_features",
            "LayerNorm: eps inside the square root",
            "LayerNorm: affine, output * weight + bias",
            "LayerNorm: backward matches the analytic gradient",
        ],
    },
    "BatchNorm using batch statistics in eval": {
        "part4": ["BatchNorm (eval): uses the running statistics"]
    },
    "BatchNorm running_var with the biased variance": {
        "part4": ["BatchNorm (training): running stats, momentum, unbiased"],
    },
    "attention scaled by d instead of sqrt(d)": {
        "part4": [
            "MultiheadAttention: softmax(q k^T / sqrt(d)) v per head",
            "MultiheadAttention: boolean mask, True = may not attend",
            "MultiheadAttention: a float mask is added to the scores",
        ],
    },
    "cross-entropy without the max subtraction": {
        "part4": ["CrossEntropyLoss: huge logits (1e4) stay finite"]
    },
    "LeakyReLU with a fixed slope": {"part4": ["LeakyReLU(0.2) uses its negative_slope"]},
    "GELU as x * sigmoid(x)": {"part4": ["GELU: x * Phi(x), exact or in the tanh form"]},
    "ModuleList del without renumbering": {
        "part4": ["ModuleList: del renumbers, ml[i] = m replaces"]
    },
    "sgd_step without no_grad": {
        "part5": [
            "sgd_step: p <- p - lr * p.grad",
            "sgd_step: clears the gradients",
            "sgd_step: in place, parameters stay leaves",
            "sgd_step: skips parameters without a gradient",
            "sgd_step: works on model.parameters() (a generator)",
        ],
    },
    "accuracy as a mean of batch accuracies": {
        "part5": [
            "accuracy: fraction correct over all samples",
            "accuracy: accepts a generator of batches",
        ],
    },
}

# A phrase each variant's first failing reason must contain (the reason names the bug).
REASON = {
    "children before own parameters": "got ['b.c', 'a'], expected ['a', 'b.c']",
    "no deduplication": "got 2, expected 1",
    "state_dict copying data": "still holds the old values",
    "a load that writes before it raises": "had already written fc.weight",
    "repr without indentation": "expected '    (layer1)",
    "train() that does not recurse": "eval() must reach every submodule",
    "zero_grad of own parameters only": "b.c.grad is Tensor([3., 3.])",
    "Linear without the transpose": "ValueError: matmul",
    "init without the gain": "CDF distance",
    "init without no_grad": "RuntimeError: fill_: in-place operation on a leaf tensor",
    "LayerNorm with unbiased variance": "is wrong at",
    "BatchNorm using batch statistics in eval": "in eval mode",
    "BatchNorm running_var with the biased variance": "running_var after one batch",
    "attention scaled by d instead of sqrt(d)": "output is wrong at",
    "cross-entropy without the max subtraction": "gave [inf, inf]",
    "LeakyReLU with a fixed slope": "got -0.5, expected -10",
    "GELU as x * sigmoid(x)": "GELU()(x) is wrong at",
    "ModuleList del without renumbering": "got ['', '1', '2'], expected ['', '0', '1']",
    "sgd_step without no_grad": "(train.py:11, in sgd_step)",
    "accuracy as a mean of batch accuracies": "accuracy is 0.5, expected 0.6",
}


def test_every_variant_has_expectations():
    assert set(EXPECTED) == set(VARIANTS) == set(REASON)


@pytest.mark.parametrize("name", list(VARIANTS))
def test_a_single_bug_fails_exactly_its_checks(name, tmp_path):
    folder = variant(tmp_path / "pkg", VARIANTS[name])
    report = run(ALL_PARTS, student_subject("nn", folder), student_subject("train", folder))
    failing: dict = {}
    for row in report.rows:
        if not row.passed:
            failing.setdefault(row.part, []).append(row.name)
    assert failing == EXPECTED[name]
    first = next(row for row in report.rows if not row.passed)
    assert REASON[name] in first.reason, first.reason
    assert report.passed == report.total - sum(len(v) for v in EXPECTED[name].values())
