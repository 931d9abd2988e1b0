"""Activation modules: thin Module wrappers around differentiable tensor ops.

`inplace=` (ReLU, LeakyReLU, SELU) is accepted because PyTorch code passes it; it changes
nothing here: the result is always a new tensor and the input is left as it was.
"""

from __future__ import annotations

from ..tensor import Tensor
from . import functional as F
from .arguments import expect_tensor
from .module import Module


class Tanh(Module):
    """Elementwise tanh(x)."""

    def forward(self, x: Tensor) -> Tensor:
        expect_tensor(self, x)
        return x.tanh()


class Sigmoid(Module):
    """Elementwise logistic function 1 / (1 + e^-x)."""

    def forward(self, x: Tensor) -> Tensor:
        expect_tensor(self, x)
        return x.sigmoid()


class ReLU(Module):
    """Elementwise max(x, 0)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace  # accepted for PyTorch code; see the module docstring

    def forward(self, x: Tensor) -> Tensor:
        expect_tensor(self, x)
        return x.relu()

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x for positive inputs, negative_slope * x otherwise."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace  # accepted for PyTorch code; see the module docstring

    def forward(self, x: Tensor) -> Tensor:
        expect_tensor(self, x)
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Softmax(Module):
    """Softmax along `dim`: positive outputs that sum to one."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        expect_tensor(self, x)
        return x.softmax(self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class GELU(Module):
    """x * Phi(x); approximate='tanh' uses PyTorch's tanh formula instead of erf."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        expect_tensor(self, x)
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SELU(Module):
    """scale * x for positive inputs, scale * alpha * (e^x - 1) otherwise (self-normalising)."""

    alpha = F.SELU_ALPHA
    scale = F.SELU_SCALE

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace  # accepted for PyTorch code; see the module docstring

    def forward(self, x: Tensor) -> Tensor:
        expect_tensor(self, x)
        return F.selu(x)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Identity(Module):
    """Returns its input unchanged (a placeholder layer)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, x: Tensor) -> Tensor:
        return x
