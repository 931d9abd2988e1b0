"""Your layers: Linear (course Part 2) and Embedding, LayerNorm, BatchNorm and
MultiheadAttention (Part 4). Remember `super().__init__()` first in every `__init__`."""

from __future__ import annotations

from clownpiece import Tensor

from . import init  # noqa: F401  (Linear.reset_parameters uses it)
from .module import Buffer, Module, Parameter  # noqa: F401  (you will need them)


class Linear(Module):
    """y = x @ W^T + b for inputs of shape (..., in_features).

    The weight is stored as (out_features, in_features) and the bias as (out_features,);
    with `bias=False` register None in the bias slot. Both start from U(-k, k) with
    k = 1 / sqrt(in_features). Its repr: `Linear(in_features=3, out_features=2, bias=True)`.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        pass

    def reset_parameters(self) -> None:
        """Draw the weight (and the bias, if any) from U(-k, k), k = 1 / sqrt(in_features)."""
        pass

    def forward(self, x: Tensor) -> Tensor:
        pass

    def extra_repr(self) -> str:
        pass


class Embedding(Module):
    """A table of `num_embd` vectors of size `embd_dim` (its `weight`, drawn from N(0, 1)):
    forward(indices) returns the rows at those integer indices, shape indices.shape +
    (embd_dim,). An index outside [0, num_embd) raises an error."""

    def __init__(self, num_embd: int, embd_dim: int) -> None:
        pass

    def forward(self, indices: Tensor) -> Tensor:
        pass


class LayerNorm(Module):
    """Normalises each sample over its trailing dims, those whose sizes multiply to
    `num_features`: (x - mean) / sqrt(var + eps), with the biased variance (divide by n).
    With `affine`, then * weight + bias (parameters of shape (num_features,), starting at
    ones and zeros); without, register None in both slots."""

    def __init__(self, num_features: int, eps: float = 1e-5, affine: bool = True) -> None:
        pass

    def forward(self, x: Tensor) -> Tensor:
        pass


class BatchNorm(Module):
    """Normalises each feature of an (N, num_features) batch over the batch dim.

    In training mode it uses the batch mean and biased variance, and updates the buffers
    `running_mean` (starting at zeros) and `running_var` (starting at ones) as
    running = (1 - momentum) * running + momentum * batch_statistic, with the unbiased
    batch variance (divide by N - 1). In eval mode it normalises with the running
    statistics and changes nothing. `affine` works as in LayerNorm.
    """

    def __init__(
        self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True
    ) -> None:
        pass

    def forward(self, x: Tensor) -> Tensor:
        pass


class MultiheadAttention(Module):
    """Self-attention over inputs of shape (batch, seq, hidden_dim) with `num_heads` heads.

    Use four Linear(hidden_dim, hidden_dim, bias) children named q_proj, k_proj, v_proj and
    out_proj. Each head h works on features h*d to (h+1)*d of q, k and v (d = hidden_dim //
    num_heads): weights = softmax(q k^T / sqrt(d)) over the keys, context = weights v; the
    heads' contexts are put side by side again and go through out_proj.

    `attn_mask` (seq, seq) is either boolean (True = this query may not attend to this
    key) or float (added to the scores before the softmax).
    """

    def __init__(self, hidden_dim: int, num_heads: int, bias: bool = True) -> None:
        pass

    def forward(self, hidden_states: Tensor, attn_mask: Tensor | None = None) -> Tensor:
        pass
