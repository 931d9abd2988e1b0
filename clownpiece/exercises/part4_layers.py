"""Part 4 checks, layers: Embedding and MultiheadAttention, against numpy in float64."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from .catalog import graded
from .expect import (
    array,
    expect,
    expect_close,
    expect_equal,
    expect_raises,
    fail,
    listed,
    named_dict,
    need,
    set_values,
)

# ---------------------------------------------------------------------------- Embedding

_INDEX = np.array([[1, 4, 1], [9, 0, 1]])


@graded("embedding", "Embedding: weight (num_embd, embd_dim) ~ N(0, 1)")
def embedding_weight(nn: Any) -> None:
    m = need(nn, "Embedding")(1000, 16)
    expect_equal(list(named_dict(m)), ["weight"], "parameter names")
    w = array(m.weight, "weight")
    expect_equal(w.shape, (1000, 16), "weight shape")
    expect(
        abs(w.mean()) < 0.05 and 0.95 < w.std() < 1.05,
        f"weight has mean {w.mean():.3f} and std {w.std():.3f}, expected N(0, 1)",
    )


@graded("embedding", "Embedding: forward picks rows for any index shape")
def embedding_forward(nn: Any) -> None:
    m = need(nn, "Embedding")(10, 3)
    out = m(Tensor(_INDEX.copy()))
    expect_close(
        out, array(m.weight, "weight")[_INDEX], "Embedding(10, 3)(indices of shape (2, 3))"
    )


@graded("embedding", "Embedding: repeated indices accumulate gradient")
def embedding_backward(nn: Any) -> None:
    m = need(nn, "Embedding")(10, 3)
    g = np.random.default_rng(0).standard_normal((2, 3, 3))
    (m(Tensor(_INDEX.copy())) * Tensor(g)).sum().backward()
    want = np.zeros((10, 3))
    np.add.at(want, _INDEX, g)
    expect_close(m.weight.grad, want, "weight.grad (index 1 is used three times)")


@graded("embedding", "Embedding: an index out of range raises")
def embedding_range(nn: Any) -> None:
    m = need(nn, "Embedding")(10, 3)
    expect_raises(
        (IndexError, ValueError),
        lambda: m(Tensor(np.array([2, 10]))),
        "Embedding(10, 3) with index 10",
    )


# ---------------------------------------------------------------------------- attention


def _randomise(m: Any, hidden: int, gen: np.random.Generator) -> list:
    """Give every projection N(0, 0.5^2) weights (attention scores of order 1) and return them
    as [(weight, bias or None)] for q, k, v and out, whichever layout the module uses:
    Linear children q_proj, k_proj, v_proj, out_proj, or a stacked in_proj ([q; k; v] rows)."""
    p = named_dict(m)

    def fill(name: str) -> Any:
        if name not in p:
            return None
        values = gen.standard_normal(tuple(p[name].shape)) * 0.5
        set_values(p[name], values)
        return values

    out = (fill("out_proj.weight"), fill("out_proj.bias"))
    if "q_proj.weight" in p and out[0] is not None:
        return [
            (fill(f"{n}.weight"), fill(f"{n}.bias")) for n in ("q_proj", "k_proj", "v_proj")
        ] + [out]
    if "in_proj.weight" in p and out[0] is not None:
        w, b = fill("in_proj.weight"), fill("in_proj.bias")
        rows = [slice(i * hidden, (i + 1) * hidden) for i in range(3)]
        return [(w[r], None if b is None else b[r]) for r in rows] + [out]
    fail(
        f"cannot find the projections: expected Linear children q_proj, k_proj, v_proj and "
        f"out_proj, got parameters {list(p)}"
    )
    return []


def attention(x: np.ndarray, projections: list, heads: int, mask: Any = None) -> np.ndarray:
    """Multi-head self-attention in numpy: softmax(q k^T / sqrt(d) [+ mask]) v, then out."""
    batch, seq, hidden = x.shape
    d = hidden // heads

    def project(i: int) -> np.ndarray:
        w, b = projections[i]
        return x @ w.T + (0 if b is None else b)

    q, k, v = (project(i).reshape(batch, seq, heads, d).transpose(0, 2, 1, 3) for i in range(3))
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(d)
    if mask is not None:
        scores = np.where(mask, -np.inf, scores) if mask.dtype == bool else scores + mask
    weights = np.exp(scores - scores.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    context = (weights @ v).transpose(0, 2, 1, 3).reshape(batch, seq, hidden)
    w, b = projections[3]
    return context @ w.T + (0 if b is None else b)


_ATT_X = np.random.default_rng(5).standard_normal((2, 5, 8))


@graded("attention", "MultiheadAttention: shapes and 4h^2 + 4h parameters")
def attention_shapes(nn: Any) -> None:
    MHA = need(nn, "MultiheadAttention")
    m = MHA(8, 2)
    out = m(Tensor(_ATT_X.copy()))
    expect_equal(array(out, "output").shape, (2, 5, 8), "output shape for input (2, 5, 8)")
    count = sum(p.numel() for p in listed(m.parameters(), "parameters()"))
    expect_equal(count, 4 * 64 + 4 * 8, "number of parameters of MultiheadAttention(8, 2)")
    count = sum(p.numel() for p in listed(MHA(8, 2, bias=False).parameters(), "parameters()"))
    expect_equal(count, 4 * 64, "number of parameters of MultiheadAttention(8, 2, bias=False)")


@graded("attention", "MultiheadAttention: softmax(q k^T / sqrt(d)) v per head")
def attention_values(nn: Any) -> None:
    for heads, bias in ((2, True), (4, False)):
        m = need(nn, "MultiheadAttention")(8, heads, bias=bias)
        projections = _randomise(m, 8, np.random.default_rng(heads))
        expect_close(
            m(Tensor(_ATT_X.copy())),
            attention(_ATT_X, projections, heads),
            f"MultiheadAttention(8, {heads}, bias={bias}) output",
            atol=1e-4,
        )


@graded("attention", "MultiheadAttention: boolean mask, True = may not attend")
def attention_bool_mask(nn: Any) -> None:
    m = need(nn, "MultiheadAttention")(8, 2)
    projections = _randomise(m, 8, np.random.default_rng(7))
    causal = np.triu(np.ones((5, 5), dtype=bool), 1)
    expect_close(
        m(Tensor(_ATT_X.copy()), attn_mask=Tensor(causal.copy())),
        attention(_ATT_X, projections, 2, causal),
        "output with a causal boolean mask",
        atol=1e-4,
    )


@graded("attention", "MultiheadAttention: a float mask is added to the scores")
def attention_float_mask(nn: Any) -> None:
    m = need(nn, "MultiheadAttention")(8, 2)
    projections = _randomise(m, 8, np.random.default_rng(8))
    mask = np.random.default_rng(9).standard_normal((5, 5))
    expect_close(
        m(Tensor(_ATT_X.copy()), attn_mask=Tensor(mask.copy())),
        attention(_ATT_X, projections, 2, mask),
        "output with a float mask",
        atol=1e-4,
    )


@graded("attention", "MultiheadAttention: gradients reach every parameter")
def attention_backward(nn: Any) -> None:
    m = need(nn, "MultiheadAttention")(8, 2)
    _randomise(m, 8, np.random.default_rng(10))
    x = Tensor(_ATT_X.copy(), requires_grad=True)
    (m(x) * Tensor(np.random.default_rng(11).standard_normal((2, 5, 8)))).sum().backward()
    for name, p in named_dict(m).items():
        expect(
            p.grad is not None and np.any(array(p.grad, f"{name}.grad")), f"{name} got no gradient"
        )
    expect(x.grad is not None and np.any(array(x.grad, "x.grad")), "the input got no gradient")
