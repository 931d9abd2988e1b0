"""Part 4 checks, normalisation layers: LayerNorm and BatchNorm, against numpy in float64."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .catalog import graded
from .expect import (
    array,
    expect,
    expect_close,
    expect_equal,
    listed,
    named_dict,
    need,
    set_values,
)

# ---------------------------------------------------------------------------- LayerNorm


def layer_norm(x: np.ndarray, n_dims: int, eps: float) -> np.ndarray:
    """Normalise over the last `n_dims` dims with the biased variance."""
    axes = tuple(range(x.ndim - n_dims, x.ndim))
    return (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)


_LN_X = np.random.default_rng(0).standard_normal((4, 6)) * 3 + 1


@graded("layernorm", "LayerNorm: weight (ones) and bias (zeros), (num_features,)")
def layernorm_parameters(nn: Any) -> None:
    LayerNorm = need(nn, "LayerNorm")
    params = named_dict(LayerNorm(6))
    expect_equal(
        [(k, tuple(v.shape)) for k, v in params.items()],
        [("weight", (6,)), ("bias", (6,))],
        "LayerNorm(6) parameters",
    )
    expect(
        np.all(array(params["weight"], "weight") == 1)
        and np.all(array(params["bias"], "bias") == 0),
        "weight must start at ones and bias at zeros",
    )
    expect_equal(
        list(named_dict(LayerNorm(6, affine=False))), [], "parameters of LayerNorm(6, affine=False)"
    )


@graded("layernorm", "LayerNorm: per sample, biased variance")
def layernorm_forward(nn: Any) -> None:
    got = need(nn, "LayerNorm")(6)(Tensor(_LN_X.copy()))
    expect_close(
        got,
        layer_norm(_LN_X, 1, 1e-5),
        "LayerNorm(6)(x) = (x - mean) / sqrt(var + eps), biased var over the last dim",
        atol=1e-4,
    )


@graded("layernorm", "LayerNorm: trailing dims whose product is num_features")
def layernorm_trailing(nn: Any) -> None:
    x = np.random.default_rng(1).standard_normal((2, 3, 4)) * 2
    got = need(nn, "LayerNorm")(12)(Tensor(x.copy()))
    expect_close(
        got,
        layer_norm(x, 2, 1e-5),
        "LayerNorm(12) on (2, 3, 4): normalise over the last two dims (3 * 4 = 12)",
        atol=1e-4,
    )


@graded("layernorm", "LayerNorm: eps inside the square root")
def layernorm_eps(nn: Any) -> None:
    LayerNorm = need(nn, "LayerNorm")
    expect_close(
        LayerNorm(6, eps=1.0)(Tensor(_LN_X.copy())),
        layer_norm(_LN_X, 1, 1.0),
        "LayerNorm(6, eps=1.0)(x)",
        atol=1e-4,
    )
    expect_close(
        LayerNorm(6)(Tensor(np.full((2, 6), 7.0))),
        np.zeros((2, 6)),
        "LayerNorm(6) of a constant row",
        atol=1e-4,
    )


@graded("layernorm", "LayerNorm: affine, output * weight + bias")
def layernorm_affine(nn: Any) -> None:
    m = need(nn, "LayerNorm")(6)
    set_values(m.weight, np.arange(1.0, 7.0))
    set_values(m.bias, np.full(6, -1.0))
    want = layer_norm(_LN_X, 1, 1e-5) * np.arange(1.0, 7.0) - 1.0
    expect_close(m(Tensor(_LN_X.copy())), want, "output with weight 1..6 and bias -1", atol=1e-4)


def _norm_grad(x: np.ndarray, g: np.ndarray, axis: int, eps: float) -> np.ndarray:
    """d/dx of sum(g * normalised(x)) when normalising along `axis` (biased variance)."""
    xhat = (x - x.mean(axis, keepdims=True)) / np.sqrt(x.var(axis, keepdims=True) + eps)
    inv = 1 / np.sqrt(x.var(axis, keepdims=True) + eps)
    return inv * (g - g.mean(axis, keepdims=True) - xhat * (g * xhat).mean(axis, keepdims=True))


@graded("layernorm", "LayerNorm: backward matches the analytic gradient")
def layernorm_backward(nn: Any) -> None:
    x = Tensor(_LN_X.copy(), requires_grad=True)
    g = np.random.default_rng(2).standard_normal((4, 6))
    (need(nn, "LayerNorm")(6)(x) * Tensor(g)).sum().backward()
    expect_close(x.grad, _norm_grad(_LN_X, g, -1, 1e-5), "x.grad", atol=1e-4)


# ---------------------------------------------------------------------------- BatchNorm

_BN_X = np.random.default_rng(3).standard_normal((8, 4)) * np.array([1.0, 2.0, 0.5, 3.0]) + 2


@graded("batchnorm", "BatchNorm: weight, bias; buffers running_mean/var")
def batchnorm_state(nn: Any) -> None:
    BatchNorm = need(nn, "BatchNorm")
    m = BatchNorm(4)
    expect_equal(list(named_dict(m)), ["weight", "bias"], "parameter names of BatchNorm(4)")
    buffers = dict(listed(m.named_buffers(), "named_buffers()"))
    for name, value in (("running_mean", 0.0), ("running_var", 1.0)):
        expect(name in buffers, f"named_buffers() {list(buffers)} lacks {name}")
        expect(
            np.all(array(buffers[name], name) == value) and buffers[name].shape == (4,),
            f"{name} must start as (4,) {value:g}s",
        )
    expect_equal(
        list(named_dict(BatchNorm(4, affine=False))), [], "parameters of BatchNorm(4, affine=False)"
    )


@graded("batchnorm", "BatchNorm (training): batch mean, biased variance")
def batchnorm_train(nn: Any) -> None:
    got = need(nn, "BatchNorm")(4)(Tensor(_BN_X.copy()))
    expect_close(
        got,
        layer_norm(_BN_X.T, 1, 1e-5).T,
        "BatchNorm(4)(x) in training = (x - batch mean) / sqrt(biased batch var + eps)",
        atol=1e-4,
    )


@graded("batchnorm", "BatchNorm (training): running stats, momentum, unbiased")
def batchnorm_running(nn: Any) -> None:
    m = need(nn, "BatchNorm")(4, momentum=0.2)
    second = _BN_X[::-1] * 0.5 + 1
    m(Tensor(_BN_X.copy()))
    mean, var = 0.2 * _BN_X.mean(0), 0.8 + 0.2 * _BN_X.var(0, ddof=1)
    expect_close(m.running_mean, mean, "running_mean after one batch (momentum 0.2)")
    expect_close(m.running_var, var, "running_var after one batch (unbiased batch variance)")
    m(Tensor(second.copy()))
    expect_close(
        m.running_mean, 0.8 * mean + 0.2 * second.mean(0), "running_mean after two batches"
    )
    expect_close(
        m.running_var, 0.8 * var + 0.2 * second.var(0, ddof=1), "running_var after two batches"
    )


@graded("batchnorm", "BatchNorm (eval): uses the running statistics")
def batchnorm_eval(nn: Any) -> None:
    m = need(nn, "BatchNorm")(4)
    mean, var = np.array([1.0, -1.0, 0.5, 2.0]), np.array([4.0, 0.25, 1.0, 9.0])
    set_values(m.running_mean, mean)
    set_values(m.running_var, var)
    set_values(m.weight, np.array([1.0, 2.0, 3.0, 4.0]))
    set_values(m.bias, np.full(4, 0.5))
    need(nn, "Module.eval")
    m.eval()
    got = m(Tensor(_BN_X.copy()))
    want = (_BN_X - mean) / np.sqrt(var + 1e-5) * np.array([1.0, 2.0, 3.0, 4.0]) + 0.5
    expect_close(
        got, want, "BatchNorm(4) in eval mode (normalise with running_mean/var)", atol=1e-4
    )
    expect_close(m.running_mean, mean, "running_mean after an eval-mode call (must not change)")


@graded("batchnorm", "BatchNorm: backward through the batch statistics")
def batchnorm_backward(nn: Any) -> None:
    x = Tensor(_BN_X.copy(), requires_grad=True)
    g = np.random.default_rng(4).standard_normal((8, 4))
    (need(nn, "BatchNorm")(4)(x) * Tensor(g)).sum().backward()
    expect_close(x.grad, _norm_grad(_BN_X, g, 0, 1e-5), "x.grad in training mode", atol=1e-4)
