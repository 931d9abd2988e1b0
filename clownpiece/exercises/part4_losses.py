"""Part 4 checks, losses: MSELoss and CrossEntropyLoss (class dim last, stable for any logits)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .catalog import graded
from .expect import array, expect, expect_close, need

_GEN = np.random.default_rng(0)
_PRED = _GEN.standard_normal((4, 3))
_TARGET = _GEN.standard_normal((4, 3))


@graded("losses", "MSELoss: mean, 'sum' and 'none' reductions")
def mse_values(nn: Any) -> None:
    MSELoss = need(nn, "MSELoss")
    squared = (_PRED - _TARGET) ** 2
    got = MSELoss()(Tensor(_PRED.copy()), Tensor(_TARGET.copy()))
    expect(
        array(got, "MSELoss()(pred, target)").shape == (),
        f"the mean reduction must give a scalar, got shape {tuple(got.shape)}",
    )
    expect_close(got, squared.mean(), "MSELoss()(pred, target)")
    expect_close(
        MSELoss(reduction="sum")(Tensor(_PRED.copy()), Tensor(_TARGET.copy())),
        squared.sum(),
        "MSELoss(reduction='sum')",
    )
    expect_close(
        MSELoss(reduction="none")(Tensor(_PRED.copy()), Tensor(_TARGET.copy())),
        squared,
        "MSELoss(reduction='none')",
    )


@graded("losses", "MSELoss: gradient 2 (pred - target) / N")
def mse_backward(nn: Any) -> None:
    pred = Tensor(_PRED.copy(), requires_grad=True)
    need(nn, "MSELoss")()(pred, Tensor(_TARGET.copy())).backward()
    expect_close(pred.grad, 2 * (_PRED - _TARGET) / _PRED.size, "pred.grad")


def cross_entropy(logits: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per-sample -log softmax(logits)[target] over the last dim, computed stably in numpy."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return -np.take_along_axis(log_probs, target[..., None], axis=-1)[..., 0]


_LOGITS = _GEN.standard_normal((4, 5)) * 2
_CLASSES = np.array([0, 3, 4, 1])


@graded("losses", "CrossEntropyLoss: mean of -log softmax[target]")
def ce_mean(nn: Any) -> None:
    got = need(nn, "CrossEntropyLoss")()(Tensor(_LOGITS.copy()), Tensor(_CLASSES.copy()))
    expect(array(got, "loss").shape == (), f"mean reduction must give a scalar, got {got.shape}")
    expect_close(got, cross_entropy(_LOGITS, _CLASSES).mean(), "CrossEntropyLoss()(logits, target)")


@graded("losses", "CrossEntropyLoss: reduction 'sum' and 'none'")
def ce_reductions(nn: Any) -> None:
    CrossEntropyLoss = need(nn, "CrossEntropyLoss")
    per = cross_entropy(_LOGITS, _CLASSES)
    expect_close(
        CrossEntropyLoss(reduction="sum")(Tensor(_LOGITS.copy()), Tensor(_CLASSES.copy())),
        per.sum(),
        "reduction='sum'",
    )
    expect_close(
        CrossEntropyLoss(reduction="none")(Tensor(_LOGITS.copy()), Tensor(_CLASSES.copy())),
        per,
        "reduction='none'",
    )


@graded("losses", "CrossEntropyLoss: class dim last, logits (2, 3, 5)")
def ce_class_dim_last(nn: Any) -> None:
    logits = np.random.default_rng(1).standard_normal((2, 3, 5))
    target = np.array([[0, 1, 2], [4, 4, 3]])
    got = need(nn, "CrossEntropyLoss")()(Tensor(logits), Tensor(target))
    expect_close(
        got,
        cross_entropy(logits, target).mean(),
        "loss of logits (2, 3, 5) with targets (2, 3): classes are the LAST dim",
    )


@graded("losses", "CrossEntropyLoss: huge logits (1e4) stay finite")
def ce_huge(nn: Any) -> None:
    logits = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 0.0]])
    with np.errstate(all="ignore"):
        got = need(nn, "CrossEntropyLoss")(reduction="none")(
            Tensor(logits), Tensor(np.array([1, 1]))
        )
    values = array(got, "loss")
    expect(
        np.all(np.isfinite(values)),
        f"logits of 1e4 gave {values.tolist()} (subtract the max before exp)",
    )
    expect_close(got, [1e4, 0.0], "loss of huge logits", atol=1e-2)


@graded("losses", "CrossEntropyLoss: backward is (softmax - one_hot) / N")
def ce_backward(nn: Any) -> None:
    x = Tensor(_LOGITS.copy(), requires_grad=True)
    need(nn, "CrossEntropyLoss")()(x, Tensor(_CLASSES.copy())).backward()
    p = np.exp(_LOGITS - _LOGITS.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    expect_close(x.grad, (p - np.eye(5)[_CLASSES]) / 4, "logits.grad")
