"""Layers with parameters: Linear, Embedding, LayerNorm, BatchNorm, MultiheadAttention."""

from __future__ import annotations

import math

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor, where
from . import init
from .indices import integer_indices
from .module import Buffer, Module, Parameter


def _check_size(layer: str, name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{layer}: {name} must be a non-negative int, got {value!r}")


class Linear(Module):
    """y = x @ weight.T + bias, with weight of shape (out_features, in_features)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        _check_size("Linear", "in_features", in_features)
        _check_size("Linear", "out_features", out_features)
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(Tensor.empty(out_features, in_features))
        if bias:
            self.bias = Parameter(Tensor.empty(out_features))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw weight and bias from U(-1/sqrt(in_features), 1/sqrt(in_features))."""
        bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            raise TypeError(f"{self!r} expected a Tensor input, got {type(x).__name__}")
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            got = x.shape[-1] if x.ndim else "a 0-d tensor"
            raise ValueError(
                f"{self!r} expected last dim {self.in_features}, got {got} "
                f"(input shape {tuple(x.shape)})"
            )
        y = x @ self.weight.transpose()
        return y if self.bias is None else y + self.bias

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Embedding(Module):
    """A lookup table: row i of `weight` (drawn from N(0, 1)) is the vector for index i."""

    def __init__(self, num_embd: int, embd_dim: int) -> None:
        super().__init__()
        _check_size("Embedding", "num_embd", num_embd)
        _check_size("Embedding", "embd_dim", embd_dim)
        self.num_embd, self.embd_dim = num_embd, embd_dim
        self.weight = Parameter(Tensor.empty(num_embd, embd_dim))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight)

    def forward(self, indices) -> Tensor:
        index = integer_indices(indices, self.num_embd, self, "index")
        return self.weight[index]

    def extra_repr(self) -> str:
        return f"{self.num_embd}, {self.embd_dim}"


class LayerNorm(Module):
    """Normalise each sample over its trailing dims (their sizes multiply to num_features)."""

    def __init__(self, num_features, eps: float = 1e-5, affine: bool = True) -> None:
        super().__init__()
        shape = tuple(num_features) if isinstance(num_features, (tuple, list)) else (num_features,)
        for n in shape:
            _check_size("LayerNorm", "num_features", n)
        self.normalized_shape = shape
        self.num_features = int(np.prod(self.normalized_shape))
        self.eps, self.affine = eps, affine
        if affine:
            self.weight = Parameter(Tensor.ones(self.normalized_shape))
            self.bias = Parameter(Tensor.zeros(self.normalized_shape))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: Tensor) -> Tensor:
        shape = x.shape
        sizes, k = 1, 0
        while sizes < self.num_features and k < len(shape):
            k += 1
            sizes *= shape[-k]
        if sizes != self.num_features or (
            len(self.normalized_shape) > 1 and tuple(shape[-k:]) != self.normalized_shape
        ):
            raise ValueError(
                f"{self!r} expected trailing dims whose sizes multiply to {self.num_features}, "
                f"got input of shape {tuple(shape)}"
            )
        flat = x.reshape(*shape[:-k], self.num_features)
        mean = flat.mean(-1, keepdims=True)
        centered = flat - mean
        var = (centered * centered).mean(-1, keepdims=True)
        out = centered / (var + self.eps).sqrt()
        if self.affine:
            out = out * self.weight.reshape(-1) + self.bias.reshape(-1)
        return out.reshape(shape)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.affine}, "
            f"bias={self.affine}"
        )


class BatchNorm(Module):
    """Normalise each feature over the batch; running statistics are used in eval mode.

    Inputs are (N, C) or (N, C, L); statistics are per channel C, as PyTorch's BatchNorm1d.
    """

    def __init__(
        self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True
    ) -> None:
        super().__init__()
        _check_size("BatchNorm", "num_features", num_features)
        self.num_features, self.eps, self.momentum, self.affine = num_features, eps, momentum, affine
        if affine:
            self.weight = Parameter(Tensor.ones(num_features))
            self.bias = Parameter(Tensor.zeros(num_features))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.register_buffer("running_mean", Buffer(Tensor.zeros(num_features)))
        self.register_buffer("running_var", Buffer(Tensor.ones(num_features)))
        self.register_buffer("num_batches_tracked", Buffer(Tensor(0, dtype=np.int64)))

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise ValueError(
                f"{self!r} expected input of shape (N, {self.num_features}) or "
                f"(N, {self.num_features}, L), got {tuple(x.shape)}"
            )
        axes = (0,) if x.ndim == 2 else (0, 2)
        shape = (1, self.num_features) + (1,) * (x.ndim - 2)
        if self.training:
            count = x.numel() // self.num_features
            if count < 2:
                raise ValueError(f"{self!r} needs more than one value per channel in training")
            mean = x.mean(axes, keepdims=True)
            centered = x - mean
            var = (centered * centered).mean(axes, keepdims=True)
            with no_grad():
                m = self.momentum
                self.running_mean.copy_((1 - m) * self.running_mean._data + m * mean._data.reshape(-1))
                unbiased = var._data.reshape(-1) * (count / (count - 1))
                self.running_var.copy_((1 - m) * self.running_var._data + m * unbiased)
                self.num_batches_tracked.add_(1)
            out = centered / (var + self.eps).sqrt()
        else:
            mean = self.running_mean.reshape(shape)
            var = self.running_var.reshape(shape)
            out = (x - mean) / (var + self.eps).sqrt()
        if self.affine:
            out = out * self.weight.reshape(shape) + self.bias.reshape(shape)
        return out

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.affine}, track_running_stats=True"
        )


class MultiheadAttention(Module):
    """Self-attention over (batch, seq, hidden) with `num_heads` heads of hidden/heads dims.

    `in_proj` maps x to stacked [q; k; v] (PyTorch's in_proj_weight layout), `out_proj`
    mixes the heads back. `attn_mask` is boolean (True = may not attend) or added to scores.
    """

    def __init__(self, hidden_dim: int, num_heads: int, bias: bool = True) -> None:
        super().__init__()
        _check_size("MultiheadAttention", "hidden_dim", hidden_dim)
        _check_size("MultiheadAttention", "num_heads", num_heads)
        if num_heads <= 0 or hidden_dim % num_heads:
            raise ValueError(
                f"MultiheadAttention: hidden_dim={hidden_dim} must be divisible by "
                f"num_heads={num_heads}"
            )
        self.hidden_dim, self.num_heads, self.head_dim = hidden_dim, num_heads, hidden_dim // num_heads
        self.in_proj = Linear(hidden_dim, 3 * hidden_dim, bias=bias)
        self.out_proj = Linear(hidden_dim, hidden_dim, bias=bias)

    def forward(self, hidden_states: Tensor, attn_mask=None, need_weights: bool = False):
        if hidden_states.ndim != 3 or hidden_states.shape[-1] != self.hidden_dim:
            raise ValueError(
                f"{type(self).__name__}(hidden_dim={self.hidden_dim}) expected input "
                f"(batch, seq, {self.hidden_dim}), got {tuple(hidden_states.shape)}"
            )
        batch, seq, _ = hidden_states.shape
        qkv = self.in_proj(hidden_states).reshape(batch, seq, 3, self.num_heads, self.head_dim)
        qkv = qkv.permute(2, 0, 3, 1, 4)  # (3, batch, heads, seq, head_dim)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = (q @ k.transpose()) * (1 / math.sqrt(self.head_dim))
        if attn_mask is not None:
            scores = _apply_mask(scores, attn_mask, batch, seq)
        weights = scores.softmax(-1)
        context = (weights @ v).permute(0, 2, 1, 3).reshape(batch, seq, self.hidden_dim)
        out = self.out_proj(context)
        return (out, weights) if need_weights else out

    def extra_repr(self) -> str:
        return f"hidden_dim={self.hidden_dim}, num_heads={self.num_heads}"


def _apply_mask(scores: Tensor, attn_mask, batch: int, seq: int) -> Tensor:
    mask = np.asarray(attn_mask._data if isinstance(attn_mask, Tensor) else attn_mask)
    if mask.ndim == 3:
        mask = mask[:, None]  # (batch, seq, seq) applies to every head
    try:
        np.broadcast_shapes(mask.shape, scores.shape)
    except ValueError:
        raise ValueError(
            f"MultiheadAttention: attn_mask of shape {np.shape(attn_mask)} does not fit "
            f"(seq, seq)=({seq}, {seq}) or (batch, seq, seq)=({batch}, {seq}, {seq})"
        ) from None
    if mask.dtype == np.bool_:
        return where(mask, -np.inf, scores)
    return scores + mask.astype(scores.dtype)
