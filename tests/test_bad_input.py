"""Bad input to layers, activations and losses (SPEC §6): every one names itself and what it
expected, before any state changes; numpy integers are sizes like Python ints, bools and
floats are not."""

import re

import numpy as np
import pytest

import clownpiece as cp
from clownpiece import nn
from clownpiece.nn.activations import SELU


def first_arg_cases():
    """(module, a valid call's arguments, the noun the message uses for the first one)."""
    cases = [
        (nn.Linear(3, 2), (cp.zeros(4, 3),), "input"),
        (nn.Embedding(5, 3), (cp.Tensor(np.array([1, 2])),), "of indices"),
        (nn.LayerNorm(4), (cp.zeros(2, 4),), "input"),
        (nn.LayerNorm((2, 2)), (cp.zeros(3, 2, 2),), "input"),
        (nn.BatchNorm(3), (cp.randn(4, 3),), "input"),
        (nn.BatchNorm(3).eval(), (cp.randn(4, 3),), "input"),
        (nn.MultiheadAttention(8, 2), (cp.zeros(2, 5, 8),), "hidden_states"),
        (nn.Tanh(), (cp.zeros(3),), "input"),
        (nn.Sigmoid(), (cp.zeros(3),), "input"),
        (nn.ReLU(), (cp.zeros(3),), "input"),
        (nn.LeakyReLU(0.2, inplace=True), (cp.zeros(3),), "input"),
        (nn.Softmax(dim=0), (cp.zeros(3),), "input"),
        (nn.GELU(), (cp.zeros(3),), "input"),
        (SELU(), (cp.zeros(3),), "input"),
        (nn.MSELoss(), (cp.zeros(3), cp.ones(3)), "input"),
        (nn.CrossEntropyLoss(), (cp.zeros(2, 3), cp.Tensor([0, 2])), "input"),
    ]
    return cases


CASES = first_arg_cases()
IDS = [f"{type(m).__name__}-{i}" for i, (m, _, _) in enumerate(CASES)]
BAD_VALUES = [[[1.0, 2.0, 3.0]], np.zeros((4, 3)), 3.0, None]
BAD_IDS = ["list", "ndarray", "float", "None"]


def one_line(module):
    return f"{type(module).__name__}({module.extra_repr()})"


def snapshot(module):
    return {k: v.numpy().copy() for k, v in module.state_dict().items() if v is not None}


def assert_unchanged(module, before):
    after = snapshot(module)
    assert list(after) == list(before)
    for key in before:
        np.testing.assert_array_equal(after[key], before[key], err_msg=key)


def refusal(module, *args):
    """The exception `module(*args)` raises, checking that it changed no state."""
    before = snapshot(module)
    with pytest.raises(Exception) as info:
        module(*args)
    assert_unchanged(module, before)
    return info.value


@pytest.mark.parametrize("bad", BAD_VALUES, ids=BAD_IDS)
@pytest.mark.parametrize("index", range(len(CASES)), ids=IDS)
def test_non_tensor_input_is_a_type_error_naming_the_module(index, bad):
    module, good_args, noun = CASES[index]
    module(*good_args)  # the valid call works (and may update running statistics)
    error = refusal(module, bad, *good_args[1:])
    assert isinstance(error, TypeError), repr(error)
    want = f"{one_line(module)} expected a Tensor {noun}, got {type(bad).__name__}"
    assert str(error) == want


@pytest.mark.parametrize("loss", [nn.MSELoss(), nn.CrossEntropyLoss("sum")], ids=["MSE", "CE"])
@pytest.mark.parametrize("bad", BAD_VALUES, ids=BAD_IDS)
def test_non_tensor_target_is_a_type_error_naming_the_loss(loss, bad):
    error = refusal(loss, cp.zeros(4, 3), bad)
    assert isinstance(error, TypeError)
    assert str(error) == f"{one_line(loss)} expected a Tensor target, got {type(bad).__name__}"


def test_the_checks_catch_unchecked_and_state_changing_layers():
    class UncheckedReLU(nn.ReLU):  # the forward before issue 10
        def forward(self, x):
            return x.relu()

    assert isinstance(refusal(UncheckedReLU(), [1.0]), AttributeError)

    class CountsFirst(nn.BatchNorm):  # changes state before checking
        def forward(self, x):
            with cp.no_grad():
                self.num_batches_tracked.add_(1)
            return super().forward(x)

    with pytest.raises(AssertionError, match="num_batches_tracked"):
        refusal(CountsFirst(3), [[1.0, 2.0, 3.0]])


def test_messages_read_well():
    with pytest.raises(
        TypeError,
        match=re.escape(
            "LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True) expected a Tensor "
            "input, got list"
        ),
    ):
        nn.LayerNorm(8)([0.0] * 8)
    with pytest.raises(
        TypeError,
        match=re.escape(
            "MultiheadAttention(hidden_dim=8, num_heads=2) expected a Tensor hidden_states, got list"
        ),
    ):
        nn.MultiheadAttention(8, 2)([[[0.0] * 8]])
    with pytest.raises(
        TypeError, match=re.escape("Embedding(5, 3) expected a Tensor of indices, got list")
    ):
        nn.Embedding(5, 3)([1, 2])


# ---------------------------------------------------------------- sizes
NUMPY_SIZES = [
    (
        "Linear",
        lambda: nn.Linear(np.int64(3), np.int32(2)),
        lambda: nn.Linear(3, 2),
        ("in_features", "out_features"),
    ),
    (
        "Embedding",
        lambda: nn.Embedding(np.int64(5), np.int16(3)),
        lambda: nn.Embedding(5, 3),
        ("num_embd", "embd_dim"),
    ),
    ("LayerNorm", lambda: nn.LayerNorm(np.int64(4)), lambda: nn.LayerNorm(4), ("num_features",)),
    (
        "LayerNorm-tuple",
        lambda: nn.LayerNorm((np.int64(2), np.uint8(3))),
        lambda: nn.LayerNorm((2, 3)),
        ("num_features",),
    ),
    ("BatchNorm", lambda: nn.BatchNorm(np.int64(3)), lambda: nn.BatchNorm(3), ("num_features",)),
    (
        "MultiheadAttention",
        lambda: nn.MultiheadAttention(np.int64(8), np.int64(2)),
        lambda: nn.MultiheadAttention(8, 2),
        ("hidden_dim", "num_heads", "head_dim"),
    ),
]


def size_problems(ours, plain, attrs):
    """How `ours` (built from numpy integers) differs from `plain` (built from Python ints)."""
    problems = []
    if repr(ours) != repr(plain) or ours.extra_repr() != plain.extra_repr():
        problems.append(f"repr {ours.extra_repr()!r} != {plain.extra_repr()!r}")
    for attr in attrs:
        value = getattr(ours, attr)
        if type(value) is not int or value != getattr(plain, attr):
            problems.append(f"{attr} = {value!r}")
    if [(k, p.shape) for k, p in ours.named_parameters()] != [
        (k, p.shape) for k, p in plain.named_parameters()
    ]:
        problems.append("parameters differ")
    return problems


@pytest.mark.parametrize(
    "name,numpy_made,int_made,attrs", NUMPY_SIZES, ids=[c[0] for c in NUMPY_SIZES]
)
def test_numpy_integers_are_sizes_like_python_ints(name, numpy_made, int_made, attrs):
    ours = numpy_made()
    assert size_problems(ours, int_made(), attrs) == []
    if name.startswith("LayerNorm"):
        assert all(type(n) is int for n in ours.normalized_shape)


def test_the_size_checks_catch_raw_numpy_values():
    class RawLayerNorm(nn.LayerNorm):  # keeps what it was given, as PyTorch does
        def __init__(self, n):
            super().__init__(n)
            self.normalized_shape, self.num_features = (n,), n

    RawLayerNorm.__name__ = "LayerNorm"
    problems = size_problems(RawLayerNorm(np.int64(4)), nn.LayerNorm(4), ("num_features",))
    assert problems == [
        "repr '(np.int64(4),), eps=1e-05, elementwise_affine=True, bias=True' != "
        "'(4,), eps=1e-05, elementwise_affine=True, bias=True'",
        "num_features = np.int64(4)",
    ]


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: nn.Linear(True, 2), "Linear: in_features must be a non-negative int, got True"),
        (lambda: nn.Linear(2, 3.0), "Linear: out_features must be a non-negative int, got 3.0"),
        (lambda: nn.Linear(np.float64(2), 3), "Linear: in_features must be a non-negative int"),
        (lambda: nn.Embedding(np.bool_(True), 2), "Embedding: num_embd must be a non-negative int"),
        (lambda: nn.LayerNorm(4.0), "LayerNorm: num_features must be a non-negative int, got 4.0"),
        (lambda: nn.LayerNorm((2, 2.0)), "LayerNorm: num_features must be a non-negative int"),
        (lambda: nn.LayerNorm(False), "LayerNorm: num_features must be a non-negative int"),
        (lambda: nn.BatchNorm(True), "BatchNorm: num_features must be a positive int, got True"),
        (lambda: nn.BatchNorm(3.0), "BatchNorm: num_features must be a positive int, got 3.0"),
        (
            lambda: nn.MultiheadAttention(8, True),
            "MultiheadAttention: num_heads must be a positive",
        ),
        (
            lambda: nn.MultiheadAttention(8.0, 2),
            "MultiheadAttention: hidden_dim must be a positive",
        ),
    ],
    ids=[
        "linear-bool",
        "linear-float",
        "linear-np-float",
        "embedding-np-bool",
        "ln-float",
        "ln-tuple-float",
        "ln-bool",
        "bn-bool",
        "bn-float",
        "mha-bool",
        "mha-float",
    ],
)
def test_bools_and_floats_are_not_sizes(make, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        make()
