"""Conv2d: 2-D convolution built on `unfold` (im2col) and one matrix product.

Like PyTorch's, it computes a cross-correlation: each output pixel is the dot product of
the weight (out_channels, in_channels / groups, kh, kw) with the input window under it.
`unfold` lays every window out as a column, so the whole layer is `weight @ columns`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module, Parameter

IntOrPair = int | tuple[int, int]


def _positive_int(layer: str, name: str, value: Any, minimum: int = 1) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{layer}: {name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _pair(layer: str, name: str, value: Any, minimum: int) -> tuple[int, int]:
    """An int or an (height, width) pair of ints, each at least `minimum`, as a pair."""
    if isinstance(value, str):
        raise ValueError(f"{layer}: {name} must be an int or a pair of ints, got {value!r}")
    values = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(values) != 2:
        raise ValueError(f"{layer}: {name} must be an int or a pair of ints, got {value!r}")
    first, second = (_positive_int(layer, name, v, minimum) for v in values)
    return first, second


class Conv2d(Module):
    """Cross-correlation of a (N, C_in, H, W) batch with `out_channels` learned filters.

    Arguments bind positionally as in `torch.nn.Conv2d`: (in_channels, out_channels,
    kernel_size, stride, padding, dilation, groups, bias). Sizes are ints or pairs.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrPair,
        stride: IntOrPair = 1,
        padding: IntOrPair = 0,
        dilation: IntOrPair = 1,
        groups: int = 1,
        bias: bool = True,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        self.in_channels = _positive_int(name, "in_channels", in_channels)
        self.out_channels = _positive_int(name, "out_channels", out_channels)
        self.kernel_size = _pair(name, "kernel_size", kernel_size, 1)
        self.stride = _pair(name, "stride", stride, 1)
        self.padding = _pair(name, "padding", padding, 0)
        self.dilation = _pair(name, "dilation", dilation, 1)
        self.groups = _positive_int(name, "groups", groups)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"{name}: in_channels ({self.in_channels}) and out_channels "
                f"({self.out_channels}) must both be divisible by groups ({self.groups})"
            )
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"{name}: bias must be True or False, got {bias!r}")
        kh, kw = self.kernel_size
        shape = (self.out_channels, self.in_channels // self.groups, kh, kw)
        self.weight = Parameter(Tensor.empty(shape))
        if bias:
            self.bias = Parameter(Tensor.empty(self.out_channels))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: kaiming_uniform(a=sqrt(5)) weight, U(+-1/sqrt(fan_in)) bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight.shape[1] * self.kernel_size[0] * self.kernel_size[1]
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input: Tensor) -> Tensor:
        x = self._checked_input(input)
        batched = x.ndim == 4
        if not batched:  # (C, H, W), as PyTorch accepts
            x = x.unsqueeze(0)
        n, _, height, width = x.shape
        out_h, out_w = self.output_size(height, width)
        columns = F.unfold(x, self.kernel_size, self.dilation, self.padding, self.stride)
        # columns: (N, C*kh*kw, L), channel-major, so each group's channels are contiguous
        g = self.groups
        columns = columns.reshape(n, g, -1, out_h * out_w)
        weight = self.weight.reshape(g, self.out_channels // g, -1)
        out = (weight @ columns).reshape(n, self.out_channels, out_h, out_w)
        if self.bias is not None:
            out = out + self.bias.reshape(1, self.out_channels, 1, 1)
        return out if batched else out.squeeze(0)

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        """Output height and width for an input of `height` x `width`."""
        sizes = []
        for size, k, s, p, d in zip(
            (height, width), self.kernel_size, self.stride, self.padding, self.dilation
        ):
            sizes.append((size + 2 * p - d * (k - 1) - 1) // s + 1)
        return sizes[0], sizes[1]

    def _checked_input(self, input: Any) -> Tensor:
        if not isinstance(input, Tensor):
            raise TypeError(f"{self!r} expected a Tensor input, got {type(input).__name__}")
        if input.ndim not in (3, 4) or input.shape[-3] != self.in_channels:
            raise ValueError(
                f"{self!r} expected input of shape (N, {self.in_channels}, H, W) or "
                f"({self.in_channels}, H, W), got {tuple(input.shape)}"
            )
        if min(self.output_size(*input.shape[-2:])) < 1:
            raise ValueError(
                f"{self!r}: input of spatial size {tuple(input.shape[-2:])} is smaller than "
                f"the kernel {self.kernel_size} (dilation {self.dilation}, padding "
                f"{self.padding})"
            )
        return input

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        return text


class Conv2D(Conv2d):
    """The course's name for the layer, with its signature: `Conv2D(in_channels,
    out_channels, kernel_size_height, kernel_size_width)` is `Conv2d(in, out, (kh, kw))`."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size_height: int,
        kernel_size_width: int,
        stride: IntOrPair = 1,
        padding: IntOrPair = 0,
        bias: bool = True,
    ) -> None:
        super().__init__(
            in_channels,
            out_channels,
            (kernel_size_height, kernel_size_width),
            stride=stride,
            padding=padding,
            bias=bias,
        )
