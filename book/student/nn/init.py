"""Your initialisers (course Part 3): each fills a tensor in place, without recording a graph
(under `no_grad`), and returns it.

Fans of a weight of shape (out_features, in_features): fan_in = shape[-1], fan_out = shape[-2].
Draw with the tensor's own `uniform_` / `normal_` methods, which use clownpiece's generator,
so that `clownpiece.manual_seed` makes your runs reproducible.
"""

from __future__ import annotations

import math

from clownpiece import Tensor
from clownpiece.autograd import no_grad  # noqa: F401  (you will need it)

# The recommended gain for each nonlinearity (leaky_relu's depends on its negative slope a).
GAINS = {
    "linear": 1.0,
    "identity": 1.0,
    "sigmoid": 1.0,
    "tanh": 5 / 3,
    "relu": math.sqrt(2),
    "leaky_relu": None,  # sqrt(2 / (1 + a * a))
    "selu": 3 / 4,
}


def calcuate_gain(nonlinearity: str, a: float = 0) -> float:
    """The gain for `nonlinearity` (case-insensitive) from GAINS; for "leaky_relu" compute it
    from `a`. An unknown name raises KeyError listing the known ones."""
    pass


calculate_gain = calcuate_gain  # PyTorch's spelling


def constant_(tensor: Tensor, value: float) -> Tensor:
    """Fill `tensor` with `value`."""
    pass


consants_ = constants_ = constant_  # the course's spellings


def zeros_(tensor: Tensor) -> Tensor:
    """Fill `tensor` with 0."""
    pass


def ones_(tensor: Tensor) -> Tensor:
    """Fill `tensor` with 1."""
    pass


def uniform_(tensor: Tensor, low: float = 0.0, high: float = 1.0) -> Tensor:
    """Fill `tensor` with draws from the uniform distribution U(low, high)."""
    pass


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill `tensor` with draws from the normal distribution N(mean, std^2)."""
    pass


def xavier_uniform_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out))."""
    pass


def xavier_normal_(tensor: Tensor, gain: float = 1.0) -> Tensor:
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    pass


def kaiming_uniform_(
    tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Tensor:
    """U(-b, b) with b = gain * sqrt(3 / fan), where fan is fan_in or fan_out (`mode`) and
    gain = calculate_gain(nonlinearity, a)."""
    pass


def kaiming_normal_(
    tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Tensor:
    """N(0, std^2) with std = gain / sqrt(fan), fan and gain as in `kaiming_uniform_`."""
    pass
