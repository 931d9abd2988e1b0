"""Tensor construction, factories, metadata, conversions, repr, pickling, in-place ops, errors."""

import copy
import pickle

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
