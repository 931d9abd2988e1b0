"""Layers with parameters: Linear, Embedding, LayerNorm, BatchNorm, MultiheadAttention."""

from __future__ import annotations

import math

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor, bool_, int64, where
from . import functional as F
from . import init
from .arguments import check_number, check_size, describe, expect_tensor
from .indices import integer_indices
from .module import Buffer, Module, Parameter


class Linear(Module):
    """y = x @ weight.T + bias, with weight of shape (out_features, in_features)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.in_features = check_size("Linear", "in_features", in_features)
        self.out_features = check_size("Linear", "out_features", out_features)
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
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Embedding(Module):
    """A lookup table: row i of `weight` (drawn from N(0, 1)) is the vector for index i."""

    def __init__(self, num_embd: int, embd_dim: int) -> None:
        super().__init__()
        self.num_embd = check_size("Embedding", "num_embd", num_embd)
        self.embd_dim = check_size("Embedding", "embd_dim", embd_dim)
        self.weight = Parameter(Tensor.empty(num_embd, embd_dim))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight)

    def forward(self, indices: Tensor) -> Tensor:
        expect_tensor(self, indices, "of indices")
        index = integer_indices(indices, self.num_embd, self, "index")
        return self.weight[index]

    def extra_repr(self) -> str:
        return f"{self.num_embd}, {self.embd_dim}"


class LayerNorm(Module):
    """Normalise each sample over its trailing dims, then scale by weight and shift by bias.

    `LayerNorm(n)` (the course's interface) normalises over the fewest trailing dims whose
    sizes multiply to n; `LayerNorm((d1, ..., dk))` (PyTorch's normalized_shape) over
    trailing dims that are exactly (d1, ..., dk).
    """

    def __init__(self, num_features, eps: float = 1e-5, affine: bool = True) -> None:
        super().__init__()
        self.exact_shape = isinstance(num_features, (tuple, list))
        sizes = tuple(num_features) if self.exact_shape else (num_features,)
        if not sizes:
            raise ValueError("LayerNorm: num_features must name at least one dim, got ()")
        self.normalized_shape = tuple(check_size("LayerNorm", "num_features", n) for n in sizes)
        self.num_features = math.prod(self.normalized_shape)
        self.eps = check_number("LayerNorm", "eps", eps)
        self.affine = affine
        if affine:
            self.weight = Parameter(Tensor.ones(self.normalized_shape))
            self.bias = Parameter(Tensor.zeros(self.normalized_shape))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def normalized_dims(self, shape: tuple) -> int | None:
        """How many trailing dims of `shape` are normalised together (None: they do not fit)."""
        if self.exact_shape:
            k = len(self.normalized_shape)
            return k if tuple(shape[-k:]) == self.normalized_shape else None
        size = 1
        for k in range(1, len(shape) + 1):
            size *= shape[-k]
            if size == self.num_features:
                return k
        return None

    def forward(self, x: Tensor) -> Tensor:
        expect_tensor(self, x)
        shape = tuple(x.shape)
        k = self.normalized_dims(shape)
        if k is None:
            expected = (
                f"trailing dims {self.normalized_shape}"
                if self.exact_shape
                else f"trailing dims whose sizes multiply to {self.num_features}"
            )
            raise ValueError(f"{describe(self)} expected {expected}, got input of shape {shape}")
        flat = x.reshape(*shape[:-k], self.num_features)
        weight = self.weight.reshape(-1) if self.affine else None
        bias = self.bias.reshape(-1) if self.affine else None
        out = F.layer_norm(flat, self.num_features, weight, bias, self.eps)
        return out.reshape(shape)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.affine}, "
            f"bias={self.affine}"
        )


class BatchNorm(Module):
    """Normalise each feature over the batch; running statistics are used in eval mode.

    Inputs are (N, C) or (N, C, L); statistics are per channel C, as PyTorch's BatchNorm1d.
    `momentum=None` makes the running statistics a plain (cumulative) average of all batches.
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
    ) -> None:
        super().__init__()
        self.num_features = check_size("BatchNorm", "num_features", num_features, minimum=1)
        self.eps = check_number("BatchNorm", "eps", eps)
        if momentum is not None:
            momentum = check_number("BatchNorm", "momentum (or None)", momentum, high=1.0)
        self.momentum, self.affine = momentum, affine
        if affine:
            self.weight = Parameter(Tensor.ones(self.num_features))
            self.bias = Parameter(Tensor.zeros(self.num_features))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.register_buffer("running_mean", Buffer(Tensor.zeros(self.num_features)))
        self.register_buffer("running_var", Buffer(Tensor.ones(self.num_features)))
        self.register_buffer("num_batches_tracked", Buffer(Tensor(0, dtype=int64)))

    def forward(self, x: Tensor) -> Tensor:
        expect_tensor(self, x)
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise ValueError(
                f"{describe(self)} expected input of shape (N, {self.num_features}) or "
                f"(N, {self.num_features}, L), got {tuple(x.shape)}"
            )
        axes = (0,) if x.ndim == 2 else (0, 2)
        shape = (1, self.num_features) + (1,) * (x.ndim - 2)
        if self.training:
            count = x.numel() // self.num_features
            if count < 2:
                raise ValueError(
                    f"{describe(self)} needs more than one value per channel in training"
                )
            mean = x.mean(axes, keepdims=True)
            centered = x - mean
            var = (centered * centered).mean(axes, keepdims=True)
            self.update_running_stats(mean, var, count)
            out = centered / (var + self.eps).sqrt()
        else:
            mean = self.running_mean.reshape(shape)
            var = self.running_var.reshape(shape)
            out = (x - mean) / (var + self.eps).sqrt()
        if self.affine:
            out = out * self.weight.reshape(shape) + self.bias.reshape(shape)
        return out

    def update_running_stats(self, mean: Tensor, var: Tensor, count: int) -> None:
        """Blend this batch's mean and unbiased variance into the running statistics."""
        with no_grad():
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative average: batch n weighs 1/n
                factor = 1.0 / self.num_batches_tracked.item()
            else:
                factor = self.momentum
            unbiased = var.reshape(-1) * (count / (count - 1))
            self.running_mean.mul_(1 - factor).add_(factor * mean.reshape(-1))
            self.running_var.mul_(1 - factor).add_(factor * unbiased)

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, bias={self.affine}, track_running_stats=True"
        )


class MultiheadAttention(Module):
    """Self-attention over (batch, seq, hidden) with `num_heads` heads of hidden/heads dims.

    `in_proj` maps x to stacked [q; k; v] (PyTorch's in_proj_weight layout), `out_proj`
    mixes the heads back. `attn_mask` is boolean (True = may NOT attend, as PyTorch) or a
    float mask added to the scores; see `attention_mask`.
    """

    def __init__(self, hidden_dim: int, num_heads: int, bias: bool = True) -> None:
        super().__init__()
        hidden_dim = check_size("MultiheadAttention", "hidden_dim", hidden_dim, minimum=1)
        num_heads = check_size("MultiheadAttention", "num_heads", num_heads, minimum=1)
        if hidden_dim % num_heads:
            raise ValueError(
                f"MultiheadAttention: hidden_dim={hidden_dim} must be divisible by "
                f"num_heads={num_heads}"
            )
        self.hidden_dim = hidden_dim
        self.num_heads = num_heads
        self.head_dim = hidden_dim // num_heads
        self.in_proj = Linear(hidden_dim, 3 * hidden_dim, bias=bias)
        self.out_proj = Linear(hidden_dim, hidden_dim, bias=bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's init: in_proj xavier-uniform over the whole (3E, E) matrix, out_proj
        as any Linear, both biases zero."""
        init.xavier_uniform_(self.in_proj.weight)
        self.out_proj.reset_parameters()
        if self.in_proj.bias is not None:
            init.zeros_(self.in_proj.bias)
            init.zeros_(self.out_proj.bias)

    def forward(self, hidden_states: Tensor, attn_mask=None, *, need_weights: bool = False):
        expect_tensor(self, hidden_states, "hidden_states")
        if hidden_states.ndim != 3 or hidden_states.shape[-1] != self.hidden_dim:
            raise ValueError(
                f"{type(self).__name__}(hidden_dim={self.hidden_dim}) expected input "
                f"(batch, seq, {self.hidden_dim}), got {tuple(hidden_states.shape)}"
            )
        batch, seq, _ = hidden_states.shape
        mask = None if attn_mask is None else attention_mask(attn_mask, batch, seq)
        qkv = self.in_proj(hidden_states).reshape(batch, seq, 3, self.num_heads, self.head_dim)
        qkv = qkv.permute(2, 0, 3, 1, 4)  # (3, batch, heads, seq, head_dim)
        q, k, v = qkv[0], qkv[1], qkv[2]
        scores = (q @ k.transpose()) * (1 / math.sqrt(self.head_dim))
        if mask is not None and mask.dtype == bool_:
            scores = where(mask, -math.inf, scores)
        elif mask is not None:
            scores = scores + mask.to(scores.dtype)
        weights = scores.softmax(-1)
        context = (weights @ v).permute(0, 2, 1, 3).reshape(batch, seq, self.hidden_dim)
        out = self.out_proj(context)
        return (out, weights) if need_weights else out

    def extra_repr(self) -> str:
        return f"hidden_dim={self.hidden_dim}, num_heads={self.num_heads}"


INTEGER_MASK_HELP = (
    "give a bool mask (True = may NOT attend, PyTorch's convention) or a float mask that is "
    "added to the scores (0 = attend, -inf = blocked). The course's reference code reads a 0/1 "
    "mask the other way round (1 = may attend): pass `mask == 0` for such a mask"
)


def attention_mask(attn_mask, batch: int, seq: int) -> Tensor:
    """Check `attn_mask` (a bool or float Tensor or numpy array of shape (seq, seq) or
    (batch, seq, seq)) and return it as a Tensor that broadcasts over (batch, heads, seq, seq)."""
    if not isinstance(attn_mask, (Tensor, np.ndarray)):  # numpy masks are accepted too
        raise TypeError(
            f"MultiheadAttention: attn_mask must be a bool or float Tensor, "
            f"got {type(attn_mask).__name__}"
        )
    kind = attn_mask.dtype.kind
    if kind in "iu":
        raise TypeError(
            f"MultiheadAttention: attn_mask has integer dtype {attn_mask.dtype}, which is "
            f"ambiguous: {INTEGER_MASK_HELP}"
        )
    if kind not in "bf":
        raise TypeError(
            f"MultiheadAttention: attn_mask must be bool or float, got dtype {attn_mask.dtype}"
        )
    if tuple(attn_mask.shape) not in ((seq, seq), (batch, seq, seq)):
        raise ValueError(
            f"MultiheadAttention: attn_mask of shape {tuple(attn_mask.shape)} does not fit "
            f"(seq, seq)=({seq}, {seq}) or (batch, seq, seq)=({batch}, {seq}, {seq}) (one mask "
            f"per sample, shared by every head)"
        )
    mask = attn_mask if isinstance(attn_mask, Tensor) else Tensor(attn_mask)
    return mask.unsqueeze(1) if mask.ndim == 3 else mask  # the same mask for every head
