"""`clownpiece.nn.functional`: the layers' maths as plain functions, as `torch.nn.functional`.

Each function is a few lines over differentiable tensor ops, so autograd supplies every
gradient. Conventions that differ from PyTorch: `cross_entropy` takes the class dim LAST
(logits (..., C), targets (...)), as the course does; `inplace=` flags are accepted so
PyTorch code runs, but the result is always a new tensor (the input is never modified).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import ops
from ..tensor import Tensor, apply_op, where
from .indices import integer_indices

REDUCTIONS = ("mean", "sum", "none")
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _tensor(name: str, value: Any, what: str = "input") -> Tensor:
    """`value` if it is a Tensor, else a TypeError naming the function and the argument."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}: expected a Tensor {what}, got {type(value).__name__}")
    return value


def _reduce(losses: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def _check_reduction(name: str, reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


# ------------------------------------------------------------------ activations


def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """max(x, 0) elementwise."""
    return _tensor("relu", input).relu()


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for positive inputs, `negative_slope * x` otherwise."""
    return apply_op(ops.leaky_relu, _tensor("leaky_relu", input), negative_slope=negative_slope)


def sigmoid(input: Tensor) -> Tensor:
    """1 / (1 + e^-x) elementwise."""
    return _tensor("sigmoid", input).sigmoid()


def tanh(input: Tensor) -> Tensor:
    """tanh(x) elementwise."""
    return _tensor("tanh", input).tanh()


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """x * Phi(x) (Phi: the standard normal CDF); approximate='tanh' uses PyTorch's tanh formula.

    The exact form is 0.5 * x * (1 + (x / sqrt(2)).erf()), computed as one fused node
    (`ops.gelu`, for speed).
    """
    x = _tensor("gelu", input)
    if approximate == "none":
        return apply_op(ops.gelu, x)
    if approximate == "tanh":
        inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1 + inner.tanh())
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """scale * (x if x > 0 else alpha * (e^x - 1)), with the self-normalising constants."""
    x = _tensor("selu", input)
    # e^x only of the non-positive part: e^x of a large x would overflow, and 0 * inf = nan
    # in the backward pass even though that branch is not selected. At 0 the slope is the
    # negative branch's, scale * alpha, as in PyTorch.
    negative_part = SELU_ALPHA * (x.clamp(max=0.0).exp() - 1)
    return SELU_SCALE * where(x > 0, x, negative_part)


def softmax(input: Tensor, dim: int) -> Tensor:
    """exp(x) / sum(exp(x)) along `dim` (computed stably)."""
    return _tensor("softmax", input).softmax(dim)


def log_softmax(input: Tensor, dim: int) -> Tensor:
    """log(softmax(x)) along `dim`, computed stably in one step."""
    return _tensor("log_softmax", input).log_softmax(dim)


# ------------------------------------------------------------------ losses


def cross_entropy_of_classes(input: Tensor, classes: np.ndarray, reduction: str) -> Tensor:
    """`cross_entropy` for targets that `integer_indices` has already checked (int64, in
    range): `CrossEntropyLoss` checks them itself, so that its errors name the module, and
    calls this instead of checking them twice."""
    return _reduce(apply_op(ops.cross_entropy, input, classes=classes), reduction)


def cross_entropy(input: Tensor, target: Any, *, reduction: str = "mean") -> Tensor:
    """Cross-entropy of logits `input` (..., C) against integer classes `target` (...).

    The class dim is LAST (the course's convention; PyTorch puts it at dim 1). Targets may
    be an int tensor, integral floats (`Tensor([2, 0])` is float32) or a numpy array.
    """
    logits = _tensor("cross_entropy", input)
    _check_reduction("cross_entropy", reduction)
    if logits.ndim < 1:
        raise ValueError("cross_entropy: input needs a class dimension (last), got a 0-d tensor")
    values = np.asarray(target)
    if values.shape != logits.shape[:-1]:
        raise ValueError(
            f"cross_entropy: input of shape {logits.shape} (classes last) needs a target of "
            f"shape {logits.shape[:-1]}, got {values.shape}"
        )
    classes = integer_indices(values, logits.shape[-1], "cross_entropy", "target")
    return cross_entropy_of_classes(logits, classes, reduction)


def mse_loss(input: Tensor, target: Any, *, reduction: str = "mean") -> Tensor:
    """Squared error (input - target)^2, averaged (or summed) over every element."""
    _tensor("mse_loss", input)
    _check_reduction("mse_loss", reduction)
    if input.shape != np.shape(target):
        raise ValueError(
            f"mse_loss: input shape {input.shape} and target shape {np.shape(target)} must match"
        )
    diff = input - target
    return _reduce(diff * diff, reduction)


# ------------------------------------------------------------------ layers


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ W.T + b, with W of shape (out_features, in_features)."""
    _tensor("linear", input)
    _tensor("linear", weight, "weight")
    if input.ndim == 0 or weight.ndim != 2 or input.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: input of shape {input.shape} needs its last dim to match weight of "
            f"shape {weight.shape} (out_features, in_features)"
        )
    return apply_op(ops.linear, input, weight, bias)


def layer_norm(
    input: Tensor,
    normalized_shape: int | tuple[int, ...],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the trailing `normalized_shape` dims (biased variance), then scale, shift."""
    x = _tensor("layer_norm", input)
    shape = (
        (normalized_shape,) if isinstance(normalized_shape, (int, np.integer)) else normalized_shape
    )
    shape = tuple(int(n) for n in shape)
    if x.shape[x.ndim - len(shape) :] != shape or x.ndim < len(shape):
        raise ValueError(
            f"layer_norm: input of shape {x.shape} does not end with normalized_shape {shape}"
        )
    # one fused node over the trailing dims flattened into one (`ops.layer_norm`, for speed):
    # centered = x - mean(x); centered / sqrt(mean(centered^2) + eps) * weight + bias
    size, lead = math.prod(shape), x.shape[: x.ndim - len(shape)]
    affine_fits = all(p is None or tuple(p.shape) == shape for p in (weight, bias))
    out = apply_op(
        ops.layer_norm,
        x if x.shape == (*lead, size) else x.reshape(*lead, size),
        as_vector(weight, size) if affine_fits else None,
        as_vector(bias, size) if affine_fits else None,
        eps=eps,
    )
    out = out if out.shape == x.shape else out.reshape(x.shape)
    if not affine_fits:  # weight or bias broadcast from another shape: apply them as ops
        out = out if weight is None else out * weight
        out = out if bias is None else out + bias
    return out


def as_vector(t: Tensor | None, size: int) -> Tensor | None:
    """`t` as a vector of `size` elements; itself if it is one already (no node recorded)."""
    return t if t is None or tuple(t.shape) == (size,) else t.reshape(size)


def unfold(
    input: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1
) -> Tensor:
    """im2col: (N, C, H, W) -> (N, C*kh*kw, L), one column per kernel position, as PyTorch.

    `kernel_size`, `dilation`, `padding` and `stride` are ints or (height, width) pairs.
    """
    return apply_op(
        ops.unfold,
        _tensor("unfold", input),
        kernel_size=kernel_size,
        dilation=dilation,
        padding=padding,
        stride=stride,
    )


def fold(
    input: Tensor,
    output_size: Any,
    kernel_size: Any,
    dilation: Any = 1,
    padding: Any = 0,
    stride: Any = 1,
) -> Tensor:
    """col2im, the adjoint of `unfold`: (N, C*kh*kw, L) -> (N, C, H, W), overlaps summed."""
    return apply_op(
        ops.fold,
        _tensor("fold", input),
        output_size=output_size,
        kernel_size=kernel_size,
        dilation=dilation,
        padding=padding,
        stride=stride,
    )
