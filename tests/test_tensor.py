"""Tensor construction, factories, metadata, conversions, repr, pickling, in-place ops, errors."""

import copy
import pickle
import sys

import numpy as np
import pytest

import clownpiece as cp
import clownpiece.autograd
from clownpiece import Tensor

# ------------------------------------------------------------------ construction and dtype


def test_python_data_is_float32_even_for_ints():
    assert Tensor([0, 1]).dtype == np.float32
    assert Tensor([[1, 2], [3, 4]]).dtype == np.float32
    assert Tensor(3).dtype == np.float32 and Tensor(3).shape == ()
    assert Tensor([True, False]).dtype == np.float32
    np.testing.assert_array_equal(Tensor([0, 1]).numpy(), [0.0, 1.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.int32, np.bool_])
def test_numpy_arrays_keep_their_dtype(dtype):
    a = np.zeros((2, 3), dtype=dtype)
    t = Tensor(a)
    assert t.dtype == dtype and t.shape == (2, 3)


def test_tensor_from_tensor_and_explicit_dtype():
    t = Tensor(np.arange(3.0))
    assert Tensor(t).dtype == np.float64
    np.testing.assert_array_equal(Tensor(t).numpy(), [0, 1, 2])
    assert Tensor([1, 2], dtype=cp.int64).dtype == np.int64
    assert Tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert Tensor([1, 0], dtype=bool).dtype == np.bool_
    assert Tensor(np.arange(3), dtype="float32").dtype == np.float32
    assert cp.tensor([1, 2], requires_grad=True).requires_grad


@pytest.mark.parametrize("dtype", [np.complex64, np.float16, "U3", object])
def test_unsupported_dtype_is_a_type_error_naming_it(dtype):
    with pytest.raises(TypeError, match="unsupported dtype") as err:
        Tensor([1, 2], dtype=dtype)
    assert str(np.dtype(dtype)) in str(err.value) or repr(dtype) in str(err.value)
    assert "float32" in str(err.value)  # lists what is supported


def test_unsupported_numpy_array_dtype_is_a_type_error():
    with pytest.raises(TypeError, match="complex128"):
        Tensor(np.array([1 + 2j]))
    with pytest.raises(TypeError, match="unsupported dtype"):
        cp.zeros(2, dtype=np.complex64)


def test_only_float_tensors_can_require_grad():
    with pytest.raises(TypeError, match="int64"):
        Tensor(np.arange(3), requires_grad=True)
    with pytest.raises(TypeError, match="floating"):
        Tensor(np.arange(3)).requires_grad_()


def test_ragged_data_is_a_type_error():
    with pytest.raises(TypeError, match="list"):
        Tensor([[1, 2], [3]])


# ------------------------------------------------------------------ factories


@pytest.mark.parametrize("name", ["empty", "zeros", "ones", "randn", "rand"])
def test_factories_take_varargs_or_one_tuple_or_list(name):
    for f in (getattr(Tensor, name), getattr(cp, name)):
        for args in [(3, 4), ((3, 4),), ([3, 4],)]:
            t = f(*args)
            assert isinstance(t, Tensor) and t.shape == (3, 4) and t.dtype == np.float32
        assert f(5).shape == (5,)
        assert f(()).shape == ()
        assert f(2, 3, dtype=cp.float64).dtype == np.float64
        assert f(2, requires_grad=True).requires_grad


def test_factory_values():
    np.testing.assert_array_equal(cp.zeros([2, 3]).numpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(Tensor.ones(2, 2).numpy(), np.ones((2, 2)))
    np.testing.assert_array_equal(cp.full((2, 3), 7.5).numpy(), np.full((2, 3), 7.5))
    assert cp.full(4, 1.0).shape == (4,)
    assert cp.full([2, 2], 3, dtype=cp.int64).dtype == np.int64
    r = cp.rand(1000).numpy()
    assert r.min() >= 0 and r.max() < 1
    np.testing.assert_array_equal(cp.arange(4).numpy(), [0, 1, 2, 3])
    np.testing.assert_array_equal(Tensor.arange(1, 7, 2).numpy(), [1, 3, 5])
    assert cp.arange(3, dtype=cp.float32).dtype == np.float32


def test_factory_rejects_bad_shapes():
    with pytest.raises(ValueError, match="zeros"):
        cp.zeros(2, -1)
    with pytest.raises(ValueError, match="shape"):
        cp.ones(2.5)


@pytest.mark.parametrize(
    "name", ["empty_like", "zeros_like", "ones_like", "randn_like", "rand_like"]
)
def test_like_factories(name):
    src = Tensor(np.zeros((2, 5), dtype=np.float64))
    for t in (getattr(cp, name)(src), getattr(src, name)()):
        assert t.shape == (2, 5) and t.dtype == np.float64 and not t.requires_grad
    assert getattr(cp, name)(src, dtype=cp.float32).dtype == np.float32
    assert getattr(cp, name)(src, requires_grad=True).requires_grad


def test_full_like_and_value_likes():
    src = Tensor([[1.0, 2.0]])
    np.testing.assert_array_equal(cp.full_like(src, 3.0).numpy(), [[3.0, 3.0]])
    np.testing.assert_array_equal(cp.zeros_like(src).numpy(), [[0.0, 0.0]])
    np.testing.assert_array_equal(cp.ones_like(src).numpy(), [[1.0, 1.0]])
    assert cp.full_like(src, 2).dtype == np.float32


# ------------------------------------------------------------------ metadata and conversion


def test_metadata():
    t = Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert t.shape == (2, 3, 4) and isinstance(t.shape, tuple)
    assert t.dtype == np.float64
    assert t.ndim == 3 and t.dim() == 3
    assert t.numel() == 24
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4
    assert len(t) == 2
    assert Tensor(5.0).ndim == 0 and Tensor(5.0).numel() == 1


def test_conversions():
    data = np.array([[1.0, 2.0], [3.0, 4.0]])
    t = Tensor(data)
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert isinstance(t.numpy(), np.ndarray)
    np.testing.assert_array_equal(np.asarray(t), data)
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    assert Tensor([[7.5]]).item() == 7.5 and isinstance(Tensor([[7.5]]).item(), float)
    assert float(Tensor(2.5)) == 2.5 and int(Tensor([3.0])) == 3
    assert [row.tolist() for row in t] == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(ValueError, match=r"one element.*\(2, 2\)"):
        t.item()
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))


def test_casts_and_comparisons_are_not_differentiable():
    x = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    for out in (x > 0, x == 1.0, x != 1.0, x < 0, x <= 1, x >= 3, x.argmax(), x.long(), x.double()):
        assert not out.requires_grad and out.grad_fn is None
    assert (x > 0).dtype == np.bool_ and (x > 0).tolist() == [True, False, True]
    assert x.argmax().item() == 2 and x.argmin().item() == 1
    assert x.long().dtype == np.int64 and x.long().float().dtype == np.float32
    assert Tensor([[1.0, 5.0], [7.0, 2.0]]).argmax(dim=1).tolist() == [1, 0]


def test_detach_shares_data_but_leaves_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).detach()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf
    d = x.detach()
    assert np.shares_memory(d.numpy(), x.numpy())


# ------------------------------------------------------------------ repr


def test_repr_style():
    assert (
        repr(Tensor([[1.0, 2.0]], requires_grad=True)) == "Tensor([[1., 2.]], requires_grad=True)"
    )
    assert repr(Tensor([1.0, 2.5])) == "Tensor([1. , 2.5])"
    assert repr(Tensor(np.array([1.0, 2.0]))) == "Tensor([1., 2.], dtype=float64)"
    assert repr(Tensor(np.array([1, 2]))) == "Tensor([1, 2])"
    r = repr(Tensor([1.0], requires_grad=True) * 2)
    assert r.startswith("Tensor([2.], grad_fn=") and "Mul" in r
    multi = repr(Tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert multi == "Tensor([[1., 2.],\n        [3., 4.]])"


# ------------------------------------------------------------------ pickling and copying


def test_pickle_round_trip_keeps_data_dtype_requires_grad():
    for t in (
        Tensor([[1.0, 2.0]], requires_grad=True),
        Tensor(np.arange(3)),
        Tensor(np.ones(2, dtype=np.float64)),
    ):
        u = pickle.loads(pickle.dumps(t))
        assert type(u) is Tensor
        np.testing.assert_array_equal(u.numpy(), t.numpy())
        assert u.dtype == t.dtype and u.requires_grad == t.requires_grad
        assert u.grad is None and u.grad_fn is None


def test_pickle_drops_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    u = pickle.loads(pickle.dumps(y))
    assert u.grad_fn is None and u.is_leaf
    np.testing.assert_array_equal(u.numpy(), [3.0, 6.0])
    u.sum().backward()  # a fresh leaf of its own
    assert x.grad is None and u.grad.tolist() == [1.0, 1.0]


def test_deepcopy_is_independent():
    t = Tensor([1.0, 2.0], requires_grad=True)
    (t * t).sum().backward()
    c = copy.deepcopy(t)
    assert c is not t and c.requires_grad and c.dtype == t.dtype
    np.testing.assert_array_equal(c.numpy(), t.numpy())
    assert not np.shares_memory(c.numpy(), t.numpy())
    np.testing.assert_array_equal(c.grad.numpy(), [2.0, 4.0])
    with cp.no_grad():
        c.fill_(0)
    assert t.tolist() == [1.0, 2.0]
    # a container of tensors shares identity as deepcopy requires
    pair = copy.deepcopy([t, t])
    assert pair[0] is pair[1]


# ------------------------------------------------------------------ manual_seed


@pytest.mark.parametrize(
    "draw",
    [
        lambda: cp.randn(3, 4),
        lambda: Tensor.rand(5),
        lambda: cp.randn_like(Tensor.zeros(2, 2)),
        lambda: Tensor.empty(3, 4).uniform_(-1, 1),
        lambda: Tensor.empty((6,)).normal_(0.0, 2.0),
    ],
)
def test_manual_seed_makes_draws_reproducible(draw):
    cp.manual_seed(42)
    first = draw().numpy().copy()
    second = draw().numpy().copy()
    cp.manual_seed(42)
    again = draw().numpy().copy()
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, second)
    cp.manual_seed(43)
    assert not np.array_equal(first, draw().numpy())


def test_uniform_and_normal_ranges():
    cp.manual_seed(0)
    u = Tensor.empty(2000).uniform_(2.0, 3.0).numpy()
    assert u.min() >= 2.0 and u.max() < 3.0
    n = Tensor.empty(20000).normal_(1.0, 0.5).numpy()
    assert abs(n.mean() - 1.0) < 0.02 and abs(n.std() - 0.5) < 0.02
    with pytest.raises(TypeError, match="int"):
        cp.manual_seed("42")


# ------------------------------------------------------------------ in-place ops

INPLACE = {
    "copy_": (lambda t: t.copy_(Tensor([5.0, 6.0, 7.0])), [5.0, 6.0, 7.0]),
    "fill_": (lambda t: t.fill_(2.0), [2.0, 2.0, 2.0]),
    "zero_": (lambda t: t.zero_(), [0.0, 0.0, 0.0]),
    "add_": (lambda t: t.add_(Tensor([1.0, 1.0, 1.0]), alpha=2), [3.0, 4.0, 5.0]),
    "mul_": (lambda t: t.mul_(3.0), [3.0, 6.0, 9.0]),
    "sub_": (lambda t: t.sub_(1.0), [0.0, 1.0, 2.0]),
    "div_": (lambda t: t.div_(2.0), [0.5, 1.0, 1.5]),
    "uniform_": (lambda t: t.uniform_(10.0, 11.0), None),
    "normal_": (lambda t: t.normal_(), None),
}


def _isub(t):
    t -= 1.0
    return t


def _iadd(t):
    t += Tensor([1.0, 1.0, 1.0])
    return t


INPLACE["-="] = (_isub, [0.0, 1.0, 2.0])
INPLACE["+="] = (_iadd, [2.0, 3.0, 4.0])


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_on_grad_leaf_allowed_under_no_grad(name):
    op, expected = INPLACE[name]
    t = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    with cp.no_grad():
        out = op(t)
    assert out is t, "in-place ops return the same tensor"
    assert t.requires_grad and t.is_leaf and t.grad_fn is None
    assert t.dtype == np.float32 and t.shape == (3,)
    if expected is not None:
        np.testing.assert_allclose(t.numpy(), expected)
    elif name == "uniform_":
        assert np.all((t.numpy() >= 10) & (t.numpy() < 11))


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_on_grad_leaf_outside_no_grad_is_an_error(name):
    op, _ = INPLACE[name]
    t = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place") as err:
        op(t)
    assert "no_grad" in str(err.value) and "requires grad" in str(err.value)
    assert t.tolist() == [1.0, 2.0, 3.0], "a failed in-place op changes nothing"


def test_inplace_on_plain_tensor_is_fine_anywhere():
    t = Tensor([1.0, 2.0])
    t.add_(1.0).mul_(2.0)
    t[0] = 10.0
    assert t.tolist() == [10.0, 6.0]


def test_setitem_follows_the_no_grad_rule():
    t = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        t[0] = 5.0
    with cp.no_grad():
        t[[0, 1]] = Tensor([7.0, 8.0])
    assert t.tolist() == [7.0, 8.0]


def test_inplace_on_graph_tensor_is_an_error():
    y = Tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="no_grad"):
        y.mul_(2)


def test_copy_shape_mismatch_names_both_shapes():
    t = Tensor.zeros(2, 3)
    with pytest.raises(ValueError, match=r"\(4,\).*\(2, 3\)"):
        t.copy_(Tensor.ones(4))


# ------------------------------------------------------------------ shape and index errors


def test_reshape_to_incompatible_shape():
    t = Tensor.zeros(2, 3)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 2\)"):
        t.reshape(4, 2)
    with pytest.raises(ValueError, match="-1"):
        t.reshape(-1, -1)
    with pytest.raises(ValueError, match=r"\(5, -1\)"):
        t.view(5, -1)


def test_index_out_of_range():
    t = Tensor.zeros(2, 3)
    with pytest.raises(IndexError, match=r"\(2, 3\)"):
        t[2]
    with pytest.raises(IndexError, match=r"\(2, 3\)"):
        t[:, [0, 3]]
    with pytest.raises(IndexError, match=r"\(2, 3\)"):
        t[Tensor([0, -3])]
    with pytest.raises(IndexError, match="non-integral"):
        t[Tensor([0.5])]


def test_dim_out_of_range():
    t = Tensor.zeros(2, 3)
    for bad in (
        lambda: t.sum(2),
        lambda: t.mean(-3),
        lambda: t.max((0, 5)),
        lambda: t.softmax(2),
        lambda: t.transpose(0, 2),
    ):
        with pytest.raises(IndexError, match="out of range"):
            bad()
    with pytest.raises(ValueError, match="twice"):
        t.sum((1, -1))
    with pytest.raises(IndexError, match="out of range"):
        t.unsqueeze(3)


def test_permute_and_expand_errors():
    t = Tensor.zeros(2, 3)
    with pytest.raises(ValueError, match="permutation"):
        t.permute(0, 0)
    with pytest.raises((ValueError, IndexError), match="permute"):
        t.permute(3, 0)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 3\)"):
        t.expand(4, 3)
    with pytest.raises(ValueError, match="-1"):
        Tensor.zeros(3).expand(-1, 3)


def test_cat_stack_errors_show_shapes():
    a, b = Tensor.zeros(2, 3), Tensor.zeros(2, 4)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 4\)"):
        cp.cat([a, b])
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(2, 4\)"):
        cp.stack([a, b])
    with pytest.raises(ValueError, match="non-empty"):
        cp.cat([])
    np.testing.assert_array_equal(cp.cat([a, b], dim=1).shape, (2, 7))


def test_autograd_names_are_exported():
    assert cp.no_grad is clownpiece.autograd.no_grad
    assert cp.Function is clownpiece.autograd.Function
    assert cp.gradcheck is clownpiece.autograd.gradcheck
    for name in ("enable_grad", "set_grad_enabled", "is_grad_enabled"):
        assert getattr(cp, name) is getattr(clownpiece.autograd, name)


# ------------------------------------------------------------------ bad input (strings, None)

NOT_NUMBERS = ["3.5", b"12", ["1", 2], [1, None], [[1.0, 2.0], [None, 3.0]], [1 + 2j], {"a": 1}]


def _refuses(build, data):
    """True when `build(data)` raises TypeError (the check, also run on an old builder)."""
    try:
        build(data)
    except TypeError:
        return True
    return False


@pytest.mark.parametrize("data", NOT_NUMBERS, ids=repr)
def test_strings_none_and_other_objects_are_refused(data):
    with pytest.raises(TypeError, match=r"Tensor\(\) needs numbers"):
        Tensor(data)
    assert _refuses(cp.tensor, data)


def test_a_string_is_quoted_in_the_message():
    with pytest.raises(TypeError, match=r"got '3\.5'"):
        Tensor("3.5")


def test_the_refusal_check_catches_the_old_parser():
    """The old constructor parsed "3.5" and turned None into nan: the check would fail it."""

    def old(data):
        return np.asarray(data, dtype=np.float32)

    assert not _refuses(old, "3.5") and np.isnan(old([1, None])[1])


def test_refused_like_pytorch():
    torch = pytest.importorskip("torch")
    for data in ("3.5", [1, None], ["1", 2]):
        with pytest.raises((TypeError, ValueError, RuntimeError)):
            torch.tensor(data)


def test_error_names_the_bad_element():
    with pytest.raises(TypeError, match="NoneType value None"):
        Tensor([1.0, None])
    with pytest.raises(TypeError, match="list containing str value '1'"):
        Tensor(["1", 2])


def test_no_data_is_an_empty_float32_tensor_like_torch():
    for t in (Tensor(), Tensor(None)):
        assert t.shape == (0,) and t.dtype == np.float32
    torch = pytest.importorskip("torch")
    assert tuple(torch.Tensor().shape) == (0,)


def test_numbers_and_bools_still_build():
    assert Tensor([True, 2, 3.5]).tolist() == [1.0, 2.0, 3.5]
    assert Tensor(np.int64(3)).dtype == np.int64
    assert Tensor([1, 2], dtype=cp.int64).tolist() == [1, 2]


# ------------------------------------------------------------------ __array__ and copies


def _array_protocol_ok(t):
    """numpy's copy= and dtype= arguments are honoured by `t.__array__`."""
    data = t.numpy()
    copied = np.array(t, copy=True)
    if np.shares_memory(copied, data):
        return False
    if not np.shares_memory(np.asarray(t), data):  # no copy unless asked for
        return False
    converted = np.array(t, dtype=np.float64)
    return converted.dtype == np.float64 and not np.shares_memory(converted, data)


def test_array_copy_true_copies():
    t = Tensor([1.0, 2.0])
    assert _array_protocol_ok(t)
    copy = np.array(t, copy=True)
    copy[0] = 99.0
    assert t.tolist() == [1.0, 2.0]


def test_array_check_catches_an_array_method_that_ignores_copy():
    class Old:
        def __init__(self, data):
            self.data = data

        def numpy(self):
            return self.data

        def __array__(self, dtype=None, copy=None):  # the old method: copy ignored
            return self.data if dtype is None else self.data.astype(dtype)

    assert not _array_protocol_ok(Old(np.array([1.0, 2.0], np.float32)))


def test_array_copy_false_refuses_a_dtype_change():
    t = Tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="without a copy"):
        np.array(t, dtype=np.float64, copy=False)
    assert np.shares_memory(np.array(t, copy=False), t.numpy())


# ------------------------------------------------------------------ positional binding as torch's

X = np.arange(24.0).reshape(2, 3, 4) / 7.0

# (label, call applied to both libraries' tensors, how to read torch's result)
BINDINGS = [
    ("sum(dim, keepdim)", lambda t: t.sum(1, True), None),
    ("mean(dim, keepdim)", lambda t: t.mean(0, True), None),
    ("var(dim, unbiased)", lambda t: t.var(0, False), None),
    ("var(dim, unbiased, keepdim)", lambda t: t.var(1, False, True), None),
    ("var(dim, True, keepdim)", lambda t: t.var(2, True, True), None),
    ("max(dim, keepdim)", lambda t: t.max(1, True), "values"),
    ("min(dim, keepdim)", lambda t: t.min(0, True), "values"),
    ("argmax(dim, keepdim)", lambda t: t.argmax(2, True), None),
    ("argmin(dim, keepdim)", lambda t: t.argmin(1, True), None),
    ("softmax(dim)", lambda t: t.softmax(1), None),
    ("log_softmax(dim)", lambda t: t.log_softmax(0), None),
    ("transpose(dim0, dim1)", lambda t: t.transpose(0, 2), None),
    ("permute(*dims)", lambda t: t.permute(2, 0, 1), None),
    ("reshape(*shape)", lambda t: t.reshape(4, 6), None),
    ("flatten(start, end)", lambda t: t.flatten(1, 2), None),
    ("unsqueeze(dim)", lambda t: t.unsqueeze(1), None),
    ("clamp(min, max)", lambda t: t.clamp(0.5, 2.0), None),
    ("size(dim)", lambda t: t.size(1), None),
]


def _value(result, read):
    if read:
        result = getattr(result, read)
    return result if isinstance(result, int) else np.asarray(result.tolist())


@pytest.mark.parametrize("label, call, read", BINDINGS, ids=[b[0] for b in BINDINGS])
def test_positional_arguments_bind_as_in_torch(label, call, read):
    torch = pytest.importorskip("torch")
    ours = _value(call(Tensor(X)), None)
    theirs = _value(call(torch.tensor(X)), read)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_binding_check_catches_the_old_var_signature():
    """var(dim, keepdims, unbiased) read x.var(0, False) as unbiased: not what torch computes."""
    torch = pytest.importorskip("torch")
    old_reading = Tensor(X).var(0, keepdim=False, unbiased=True).numpy()
    assert not np.allclose(old_reading, torch.tensor(X).var(0, False).numpy())


@pytest.mark.parametrize(
    "call",
    [
        lambda: Tensor.full((2, 3), 1.5, cp.float64),  # dtype is keyword-only, as in torch
        lambda: Tensor([1.0]).add_(Tensor([1.0]), 2),  # alpha is keyword-only, as in torch
        lambda: Tensor([1.0]).sub_(Tensor([1.0]), 2),
        lambda: cp.arange(0, 5, 1, cp.float64),
        lambda: cp.tensor([1.0], True),  # requires_grad is keyword-only, as in torch.tensor
        lambda: Tensor([1.0], True),
    ],
)
def test_keyword_only_arguments(call):
    with pytest.raises(TypeError):
        call()


def test_keepdim_and_keepdims_are_one_flag():
    t = Tensor(X)
    for method in ("sum", "mean", "var", "max", "min", "argmax", "argmin"):
        a = getattr(t, method)(1, keepdim=True)
        b = getattr(t, method)(1, keepdims=True)
        assert a.shape == b.shape and a.shape[1] == 1, method
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(TypeError, match="keepdim"):
        t.sum(0, keepdim=True, keepdims=False)


def test_var_correction_keyword():
    t = Tensor(X)
    np.testing.assert_allclose(t.var(1, correction=0).numpy(), X.var(axis=1))
    np.testing.assert_allclose(t.var(1, correction=2).numpy(), X.var(axis=1, ddof=2))
    with pytest.raises(TypeError, match="unbiased or correction"):
        t.var(1, False, correction=0)


# ------------------------------------------------------------------ numpy integers as sizes

i = np.int64
NUMPY_INTS = [  # (label, with Python ints, with numpy ints)
    ("zeros", lambda t: cp.zeros(2, 3), lambda t: cp.zeros(i(2), np.int32(3))),
    ("full", lambda t: cp.full(3, 1.0), lambda t: cp.full(i(3), 1.0)),
    ("arange", lambda t: cp.arange(5), lambda t: cp.arange(i(5))),
    ("randn tuple", lambda t: cp.randn((2, 2)).shape, lambda t: cp.randn((i(2), i(2))).shape),
    ("reshape", lambda t: t.reshape(4, -1), lambda t: t.reshape(i(4), i(-1))),
    ("view", lambda t: t.view((6, 4)), lambda t: t.view((i(6), i(4)))),
    ("permute", lambda t: t.permute(2, 0, 1), lambda t: t.permute(i(2), i(0), i(1))),
    ("transpose", lambda t: t.transpose(0, 2), lambda t: t.transpose(i(0), i(2))),
    ("sum", lambda t: t.sum(1), lambda t: t.sum(i(1))),
    ("mean tuple", lambda t: t.mean((0, 2)), lambda t: t.mean((i(0), i(2)))),
    ("var", lambda t: t.var(2), lambda t: t.var(i(2))),
    ("max", lambda t: t.max(0), lambda t: t.max(i(0))),
    ("softmax", lambda t: t.softmax(1), lambda t: t.softmax(i(1))),
    ("argmax", lambda t: t.argmax(1), lambda t: t.argmax(i(1))),
    ("unsqueeze", lambda t: t.unsqueeze(1), lambda t: t.unsqueeze(i(1))),
    ("squeeze", lambda t: t[:1].squeeze(0), lambda t: t[:1].squeeze(i(0))),
    ("flatten", lambda t: t.flatten(1), lambda t: t.flatten(i(1))),
    ("expand", lambda t: t[:1].expand(3, 3, 4), lambda t: t[:1].expand(i(3), i(3), i(4))),
    ("cat", lambda t: cp.cat([t, t], 1), lambda t: cp.cat([t, t], i(1))),
    ("stack", lambda t: cp.stack([t, t], 1), lambda t: cp.stack([t, t], dim=i(1))),
    ("size", lambda t: t.size(2), lambda t: t.size(i(2))),
    ("index", lambda t: t[1, 2], lambda t: t[i(1), i(2)]),
]


def _same(a, b):
    a, b = (np.asarray(v.tolist() if isinstance(v, Tensor) else v) for v in (a, b))
    return a.shape == b.shape and np.array_equal(a, b)


@pytest.mark.parametrize("label, plain, numpy_ints", NUMPY_INTS, ids=[n[0] for n in NUMPY_INTS])
def test_numpy_integers_work_like_python_ints(label, plain, numpy_ints):
    t = Tensor(X)
    cp.manual_seed(0)
    expected = plain(t)
    cp.manual_seed(0)
    assert _same(numpy_ints(t), expected)


def test_numpy_int_check_catches_an_isinstance_int_test(monkeypatch):
    """A dim check written `isinstance(d, int)` rejects numpy ints: the test above fails."""
    core = sys.modules["clownpiece.ops.core"]
    real = core.normalize_dims

    def strict(dim, ndim, name):
        if dim is not None and not isinstance(dim, (int, tuple)):
            raise TypeError(f"{name}: dim must be an int")
        return real(dim, ndim, name)

    monkeypatch.setattr(sys.modules["clownpiece.ops.reductions"], "normalize_dims", strict)
    with pytest.raises(TypeError):
        Tensor(X).sum(i(1))
