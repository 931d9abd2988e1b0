"""Your activation modules: Tanh (course Part 2), Sigmoid, ReLU, LeakyReLU and GELU (Part 4).

Each is a Module whose forward applies one elementwise function; the tensor layer already
has differentiable `x.tanh()`, `x.sigmoid()`, `x.relu()` and `clownpiece.where`.
"""

from __future__ import annotations

from clownpiece import Tensor

from .module import Module


class Tanh(Module):
    """tanh(x), elementwise."""

    def __init__(self) -> None:
        pass

    def forward(self, x: Tensor) -> Tensor:
        pass


class Sigmoid(Module):
    """1 / (1 + exp(-x)), elementwise."""

    def __init__(self) -> None:
        pass

    def forward(self, x: Tensor) -> Tensor:
        pass


class ReLU(Module):
    """max(x, 0), elementwise."""

    def __init__(self) -> None:
        pass

    def forward(self, x: Tensor) -> Tensor:
        pass


class LeakyReLU(Module):
    """x where x > 0, negative_slope * x elsewhere. Its repr shows the slope:
    `LeakyReLU(negative_slope=0.01)`."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        pass

    def forward(self, x: Tensor) -> Tensor:
        pass

    def extra_repr(self) -> str:
        pass


class GELU(Module):
    """x * Phi(x), Phi the standard normal CDF (the transformer of chapter 8b uses it). The
    tensor layer has no erf: use the usual tanh form
    0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))), within 5e-4 of the exact one."""

    def __init__(self) -> None:
        pass

    def forward(self, x: Tensor) -> Tensor:
        pass
