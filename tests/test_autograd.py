"""Autograd semantics: backward, accumulation, grad modes, Function, tie rules, errors."""

import gc
import sys
import weakref

import numpy as np
import pytest
from seed_examples import Tanh

import clownpiece as cp
import clownpiece.autograd
from clownpiece import Function, Tensor, gradcheck


def f64(data, requires_grad=True):
    return Tensor(np.array(data, dtype=np.float64), requires_grad=requires_grad)


# ------------------------------------------------------------------ backward basics


def test_simple_chain_gradient():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = ((x * 2 + 1) ** 2).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 4 * (2 * np.array([1.0, 2.0, 3.0]) + 1))
    assert x.grad.dtype == np.float32 and isinstance(x.grad, Tensor)


def test_leaf_and_graph_flags():
    x = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([3.0, 4.0])
    y = x * c
    assert x.is_leaf and c.is_leaf and not y.is_leaf
    assert y.requires_grad and y.grad_fn is not None
    assert not (c * 2).requires_grad and (c * 2).grad_fn is None


def test_gradients_accumulate_on_leaves_across_backward_calls():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [5.0, 7.0])
    assert x.grad.dtype == np.float32


def test_accumulated_grad_keeps_leaf_dtype():
    """A float64 upstream into a float32 leaf must not turn .grad into float64."""
    x = Tensor([1.0, 2.0], requires_grad=True)
    w = Tensor(np.array([0.5, 0.25]))  # float64
    for _ in range(2):
        (x * w).sum().backward()
        assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 0.5])


def test_backward_twice_on_same_graph_accumulates_with_retain_graph():
    x = Tensor([2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [8.0]


def test_non_leaf_grad_stays_none():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.sum().backward()
    assert h.grad is None
    assert x.grad.tolist() == [2.0, 2.0]


def test_node_used_twice_gets_summed_gradient():
    x = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = x * x + x
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.array([1.0, -2.0, 3.0]) + 1)


def test_diamond_graph():
    x = Tensor([0.5], requires_grad=True)
    a = x.exp()
    b = a * 2
    c = a.tanh()
    (b + c * a).sum().backward()
    e = np.exp(0.5)
    expected = 2 * e + (1 - np.tanh(e) ** 2) * e * e + np.tanh(e) * e
    assert x.grad.item() == pytest.approx(expected, rel=1e-5)


def test_long_chain_does_not_hit_recursion_limit():
    x = Tensor([0.1], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0 + 0.0
    y.sum().backward()
    assert x.grad.tolist() == [1.0]


def test_backward_with_explicit_gradient():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * 2).backward(Tensor([1.0, 0.0, -1.0]))
    assert x.grad.tolist() == [2.0, 0.0, -2.0]
    x.grad = None
    (x * 2).backward(np.array([1.0, 1.0, 1.0]))
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_only_leaves_that_require_grad_get_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    c = Tensor([3.0, 4.0])
    (x * c).sum().backward()
    assert c.grad is None
    assert x.grad.tolist() == [3.0, 4.0]


def test_requires_grad_settable_on_leaves_only():
    x = Tensor([1.0])
    assert x.requires_grad_() is x and x.requires_grad
    x.requires_grad = False
    assert not x.requires_grad
    y = Tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


# ------------------------------------------------------------------ backward errors


def test_non_scalar_backward_without_gradient():
    y = Tensor([[1.0, 2.0]], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="gradient") as err:
        y.backward()
    assert "(1, 2)" in str(err.value) and "scalar" in str(err.value)


def test_backward_gradient_shape_mismatch():
    y = Tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"\(3,\).*\(2,\)"):
        y.backward(Tensor([1.0, 1.0, 1.0]))


def test_backward_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor([1.0]).sum().backward()


@pytest.mark.parametrize(
    "op",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a * b,
        lambda a, b: a / b,
        lambda a, b: a**b,
        cp.maximum,
        lambda a, b: cp.where(a > 0, a, b),
    ],
)
def test_broadcast_mismatch_shows_both_shapes(op):
    a, b = Tensor.ones(2, 3), Tensor.ones(4, 5)
    with pytest.raises(ValueError) as err:
        op(a, b)
    assert "(2, 3)" in str(err.value) and "(4, 5)" in str(err.value)


@pytest.mark.parametrize(
    "sa, sb", [((2, 3), (4, 5)), ((3,), (4,)), ((2, 3, 4), (2, 5, 6)), ((4,), (3, 5))]
)
def test_matmul_mismatch_shows_both_shapes(sa, sb):
    with pytest.raises(ValueError, match="matmul") as err:
        Tensor.ones(*sa) @ Tensor.ones(*sb)
    assert str(sa) in str(err.value) and str(sb) in str(err.value)


def test_matmul_rejects_scalars():
    with pytest.raises(ValueError, match="matmul"):
        Tensor(2.0) @ Tensor([1.0])


# ------------------------------------------------------------------ grad modes


def test_no_grad_context_manager():
    x = Tensor([1.0], requires_grad=True)
    assert cp.is_grad_enabled()
    with cp.no_grad():
        assert not cp.is_grad_enabled()
        y = x * 2
    assert cp.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None


def test_no_grad_decorator():
    @cp.no_grad()
    def f(t):
        assert not cp.is_grad_enabled()
        return t * 2

    y = f(Tensor([1.0], requires_grad=True))
    assert not y.requires_grad and cp.is_grad_enabled()
    assert f.__name__ == "f"


def test_no_grad_restores_on_exception():
    with pytest.raises(KeyError):
        with cp.no_grad():
            raise KeyError
    assert cp.is_grad_enabled()


def test_enable_grad_inside_no_grad_and_nesting():
    x = Tensor([1.0], requires_grad=True)
    with cp.no_grad():
        with cp.enable_grad():
            assert cp.is_grad_enabled()
            y = x * 2
        assert not cp.is_grad_enabled()
        with cp.no_grad():
            pass
        assert not cp.is_grad_enabled()
    assert y.requires_grad
    y.sum().backward()
    assert x.grad.tolist() == [2.0]


def test_enable_grad_decorator():
    @cp.enable_grad()
    def f(t):
        return t * 2

    with cp.no_grad():
        assert f(Tensor([1.0], requires_grad=True)).requires_grad


def test_set_grad_enabled_as_call_and_context():
    x = Tensor([1.0], requires_grad=True)
    with cp.set_grad_enabled(False):
        assert not cp.is_grad_enabled()
        assert not (x * 2).requires_grad
    assert cp.is_grad_enabled()
    try:
        cp.set_grad_enabled(False)
        assert not cp.is_grad_enabled()
    finally:
        cp.set_grad_enabled(True)
    assert cp.is_grad_enabled()
    with cp.no_grad():
        with cp.set_grad_enabled(True):
            assert (x * 2).requires_grad


def test_grad_mode_importable_from_both_places():
    from clownpiece import no_grad as a
    from clownpiece.autograd import no_grad as b

    assert a is b
    assert clownpiece.autograd.is_grad_enabled is cp.is_grad_enabled


# ------------------------------------------------------------------ Function


def test_user_function_matches_builtin_tanh():
    data = np.array([[-1.5, -0.2, 0.0], [0.3, 1.0, 2.5]])
    x1, x2 = f64(data), f64(data)
    y1, y2 = Tanh.apply(x1), x2.tanh()
    np.testing.assert_allclose(y1.numpy(), y2.numpy())
    assert y1.requires_grad and y1.grad_fn is not None
    w = Tensor(np.arange(6.0).reshape(2, 3))
    (y1 * w).sum().backward()
    (y2 * w).sum().backward()
    np.testing.assert_allclose(x1.grad.numpy(), x2.grad.numpy())


def test_user_function_passes_gradcheck():
    assert gradcheck(Tanh.apply, [f64(np.linspace(-2, 2, 7))])
    assert gradcheck(lambda a: Tanh.apply(a * 2).sum(), [f64([[0.1, -0.4]])])


def test_user_function_with_two_inputs_and_constants():
    class ScaledMul(Function):
        @staticmethod
        def forward(ctx, a, b, scale):
            ctx.save_for_backward(a, b)
            ctx.scale = scale
            return a * b * scale

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g * b * ctx.scale, g * a * ctx.scale, None

    a, b = f64([1.0, 2.0]), f64([3.0, -1.0])
    assert gradcheck(lambda a, b: ScaledMul.apply(a, b, 0.5), [a, b])


def test_function_forward_does_not_record():
    seen = []

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2
            seen.append((cp.is_grad_enabled(), y.grad_fn))
            return y

        @staticmethod
        def backward(ctx, g):
            return g * 2

    out = Probe.apply(Tensor([1.0], requires_grad=True))
    assert seen == [(False, None)]
    assert out.requires_grad


def test_function_without_grad_input_records_nothing():
    out = Tanh.apply(Tensor([0.5]))
    assert not out.requires_grad and out.grad_fn is None
    with cp.no_grad():
        out = Tanh.apply(Tensor([0.5], requires_grad=True))
    assert not out.requires_grad


def test_function_backward_wrong_number_of_grads():
    class Bad(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g  # one gradient for two inputs

    y = Bad.apply(Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True))
    with pytest.raises(RuntimeError, match="Bad.backward returned 1 gradient.*2 input"):
        y.sum().backward()


def test_function_forward_must_return_tensor():
    class NotTensor(Function):
        @staticmethod
        def forward(ctx, x):
            return 3.0

    with pytest.raises(TypeError, match="NotTensor.forward must return a Tensor"):
        NotTensor.apply(Tensor([1.0], requires_grad=True))


# ------------------------------------------------------------------ tie rules and kinks


def test_max_ties_share_gradient_equally():
    x = Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    x.max(dim=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    x.grad = None
    x.max().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [0, 0, 0]])


def test_min_ties_share_gradient_equally():
    x = Tensor([[1.0, 1.0, 4.0, 1.0]], requires_grad=True)
    x.min(-1, keepdims=True).backward(Tensor([[3.0]]))
    np.testing.assert_allclose(x.grad.numpy(), [[1.0, 1.0, 0.0, 1.0]])


def test_maximum_ties_split_half_half():
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = Tensor([1.0, 5.0, 0.0], requires_grad=True)
    cp.maximum(a, b).sum().backward()
    assert a.grad.tolist() == [0.5, 0.0, 1.0]
    assert b.grad.tolist() == [0.5, 1.0, 0.0]


def test_kink_gradients():
    x = Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    x.relu().sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 1.0]
    x.grad = None
    x.abs().sum().backward()
    assert x.grad.tolist() == [-1.0, 0.0, 1.0]
    x.grad = None
    x.clamp(0.0, 1.0).sum().backward()  # passes the gradient inside [min, max], bounds included
    assert x.grad.tolist() == [0.0, 1.0, 0.0]


@pytest.mark.filterwarnings("ignore:Degrees of freedom:RuntimeWarning")
def test_var_of_one_element_is_nan_not_a_crash():
    x = Tensor([2.0], requires_grad=True)
    with np.errstate(all="ignore"):
        v = x.var()
        v.backward()
    assert np.isnan(v.item()) and np.isnan(x.grad.item())
    y = Tensor([2.0], requires_grad=True)
    y.var(unbiased=False).backward()
    assert y.var(unbiased=False).item() == 0.0 and y.grad.tolist() == [0.0]


def test_getitem_backward_accumulates_repeated_indices():
    x = Tensor([10.0, 20.0, 30.0], requires_grad=True)
    x[Tensor([0, 0, 2, 0])].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]
    m = Tensor(np.zeros((2, 3)), requires_grad=True)
    m[[1, 1], 1:].sum().backward()
    np.testing.assert_array_equal(m.grad.numpy(), [[0, 0, 0], [0, 2, 2]])


def test_constant_operands_on_either_side_are_not_differentiated():
    x = Tensor([2.0, 3.0], requires_grad=True)
    for y in (1.0 / x, 2.0**x, 3.0 - x, np.float64(2.0) * x, np.array([1.0, 2.0]) + x):
        assert y.requires_grad and isinstance(y, Tensor)
    (np.array([1.0, 2.0]) * x).sum().backward()
    assert x.grad.tolist() == [1.0, 2.0]


# ------------------------------------------------------------------ retain_graph: freeing the graph


def _graph_arrays(build):
    """Weak references to the arrays an expression's graph alone keeps (its intermediates)."""
    x = Tensor(np.linspace(-1.0, 1.0, 5), requires_grad=True)
    hidden = x.exp()
    scaled = hidden * 3.0
    refs = [weakref.ref(hidden.numpy()), weakref.ref(scaled.numpy())]
    loss = build(scaled)
    del hidden, scaled  # from here on only the graph can keep them alive
    gc.collect()
    return x, loss, refs


def _freed_after_backward(retain_graph):
    """True when backward() lets the intermediates go (the check used with both engines)."""
    x, loss, refs = _graph_arrays(lambda s: (s * s).sum())
    assert all(r() is not None for r in refs), "the graph must hold them before backward"
    loss.backward(retain_graph=retain_graph)
    gc.collect()
    return all(r() is None for r in refs)


def test_backward_frees_what_the_graph_saved():
    assert _freed_after_backward(retain_graph=None)
    assert _freed_after_backward(retain_graph=False)


def test_retain_graph_keeps_what_the_graph_saved():
    assert not _freed_after_backward(retain_graph=True)


def test_freeing_check_catches_an_engine_that_never_frees(monkeypatch):
    """A buggy engine that ignores retain_graph (the old behaviour) fails the check."""
    tensor_module = sys.modules["clownpiece.tensor"]
    real = tensor_module.run_backward
    monkeypatch.setattr(
        tensor_module, "run_backward", lambda root, g, retain_graph=False: real(root, g, True)
    )
    assert not _freed_after_backward(retain_graph=None)


def test_second_backward_through_a_freed_graph_names_retain_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"second time.*retain_graph=True") as err:
        y.backward()
    assert "SumBackward" in str(err.value)
    assert x.grad.tolist() == [2.0, 4.0]  # the failed call added nothing


def test_retain_graph_then_default_frees():
    x = Tensor([3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.tolist() == [18.0]
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_a_freed_subgraph_is_refused_from_another_root():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x.exp()
    h.sum().backward()  # frees exp's node
    with pytest.raises(RuntimeError, match=r"<ExpBackward>.*retain_graph=True"):
        (h * 2).sum().backward()


def test_a_new_graph_on_the_same_leaves_works_after_freeing():
    x = Tensor([1.0, 2.0], requires_grad=True)
    for _ in range(2):
        (x * x).sum().backward()
    assert x.grad.tolist() == [4.0, 8.0]


def test_user_function_graph_is_freed_too():
    x = f64([0.5, -0.25])
    y = Tanh.apply(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    y2 = Tanh.apply(x).sum()
    y2.backward(retain_graph=True)
    y2.backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * (1 - np.tanh([0.5, -0.25]) ** 2))


def test_graph_structure_survives_backward_for_inspection():
    w = Tensor([0.5], requires_grad=True)
    y = (w * 3.0).tanh()
    y.backward()
    assert repr(y.grad_fn) == "<TanhBackward>"
    (parent,) = y.grad_fn.parents
    assert repr(parent) == "<MulBackward>"
    assert parent.parents[0] is w and parent.parents[1] is None  # 3.0 is a constant


def test_function_backward_runs_once_per_pass_and_sees_each_upstream_gradient():
    calls = []

    class Scale(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * 2 + b * 3

        @staticmethod
        def backward(ctx, g):
            calls.append(g.tolist())
            return g * 2, g * 3

    a, b = f64([1.0]), f64([1.0])
    y = Scale.apply(a, b)
    upstream = np.array([1.0])
    y.backward(upstream, retain_graph=True)
    upstream *= 10  # the same array object, new values: must not reuse the old answer
    y.backward(upstream)
    assert calls == [[1.0], [10.0]]
    assert a.grad.tolist() == [22.0] and b.grad.tolist() == [33.0]
