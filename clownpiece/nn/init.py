"""In-place parameter initialisers (`*_`), drawing from the package RNG under `no_grad`.

Fans: for a 2-D weight of shape (out_features, in_features), fan_in = shape[-1] and
fan_out = shape[-2] (the course's rule).  For more dims we follow PyTorch's convention
for convolution weights (out, in, *kernel): fan_in = shape[1] * prod(shape[2:]) and
fan_out = shape[0] * prod(shape[2:]).  Tensors with fewer than 2 dims have no fans.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ..autograd import no_grad
from ..tensor import Tensor


class UnknownNonlinearityError(ValueError, KeyError):
    """Unknown name passed to `calculate_gain`: a ValueError as in PyTorch, and a KeyError
    because the course's `calcuate_gain` raises one (course spelling, clownpiece/course.py)."""

    __str__ = ValueError.__str__


def _leaky_relu_gain(a: float | None) -> float:
    slope = 0.01 if a is None else a
    if isinstance(slope, bool) or not isinstance(slope, (int, float)):
        raise ValueError(f"negative_slope {a!r} is not a valid number")
    return math.sqrt(2.0 / (1 + slope * slope))


_gain_lookup_table: dict[str, float | Callable] = {
    "linear": 1.0,
    "identity": 1.0,
    "idenity": 1.0,  # course spelling of "identity" (clownpiece/course.py)
    "conv1d": 1.0,
    "conv2d": 1.0,
    "conv3d": 1.0,
    "conv_transpose1d": 1.0,
    "conv_transpose2d": 1.0,
    "conv_transpose3d": 1.0,
    "sigmoid": 1.0,
    "tanh": 5.0 / 3,
    "relu": math.sqrt(2.0),
    "leaky_relu": _leaky_relu_gain,
    "selu": 3.0 / 4,
}


def calculate_gain(nonlinearity: str, a: float | None = 0) -> float:
    """Recommended gain for `nonlinearity` (`a` is leaky_relu's negative slope)."""
    key = nonlinearity.lower() if isinstance(nonlinearity, str) else nonlinearity
    if key not in _gain_lookup_table:
        raise UnknownNonlinearityError(
            f"unknown nonlinearity {nonlinearity!r}; choices are {sorted(_gain_lookup_table)}"
        )
    value = _gain_lookup_table[key]
    return value(a) if callable(value) else value


calcuate_gain = calculate_gain  # course spelling (clownpiece/course.py)


def _check_tensor(tensor: Tensor, fn: str) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{fn} expects a Tensor, got {type(tensor).__name__}")


def _fill(tensor: Tensor, values) -> Tensor:
    """Write `values` into `tensor` in place without recording a graph; returns `tensor`."""
    with no_grad():
        tensor.copy_(values)
    return tensor


def _random(tensor: Tensor, fn: str) -> None:
    """Validate the tensor of a random init."""
    _check_tensor(tensor, fn)
    if tensor.dtype.kind != "f":
        raise TypeError(f"{fn} needs a floating-point tensor, got dtype {tensor.dtype}")


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight; see the module docstring for the convention."""
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(
            f"fan in and fan out need a tensor with at least 2 dims, got shape {tuple(shape)}"
        )
    if len(shape) == 2:
        return shape[-1], shape[-2]
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _fan(tensor: Tensor, mode: str) -> int:
    """fan_in or fan_out of `tensor`; `mode` is case-insensitive, as in PyTorch."""
    key = mode.lower() if isinstance(mode, str) else mode
    if key not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if key == "fan_in" else fan_out


def constant_(tensor: Tensor, value: float) -> Tensor:
    """Fill `tensor` with `value` in place."""
    _check_tensor(tensor, "constant_")
    return _fill(tensor, value)


consants_ = constants_ = constant_  # course spellings (clownpiece/course.py)


def zeros_(tensor: Tensor) -> Tensor:
    """Fill `tensor` with 0 in place."""
    return constant_(tensor, 0)


def ones_(tensor: Tensor) -> Tensor:
    """Fill `tensor` with 1 in place."""
    return constant_(tensor, 1)


def uniform_(tensor: Tensor, low: float = 0.0, high: float = 1.0) -> Tensor:
    """Fill `tensor` with draws from U(low, high) in place."""
    _random(tensor, "uniform_")
    if not low <= high:
        raise ValueError(f"uniform_ needs low <= high, got low={low}, high={high}")
    with no_grad():
        return tensor.uniform_(low, high)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill `tensor` with draws from N(mean, std**2) in place."""
    _random(tensor, "normal_")
    if not std >= 0:
        raise ValueError(f"normal_ needs std >= 0, got std={std}")
    with no_grad():
        return tensor.normal_(mean, std)


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    _random(tensor, "xavier_uniform_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    if tensor.numel() == 0:
        return tensor
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    _random(tensor, "xavier_normal_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    if tensor.numel() == 0:
        return tensor
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def kaiming_uniform_(
    tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Tensor:
    """U(-b, b) with b = gain * sqrt(3 / fan_mode)."""
    _random(tensor, "kaiming_uniform_")
    fan = _fan(tensor, mode)
    if tensor.numel() == 0:
        return tensor
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(
    tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Tensor:
    """N(0, std**2) with std = gain / sqrt(fan_mode)."""
    _random(tensor, "kaiming_normal_")
    fan = _fan(tensor, mode)
    if tensor.numel() == 0:
        return tensor
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan))


__all__ = [
    "calculate_gain",
    "constant_",
    "zeros_",
    "ones_",
    "uniform_",
    "normal_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
]
