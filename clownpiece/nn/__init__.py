"""`clownpiece.nn`: Parameter, Buffer, Module, layers, activations, containers and losses.

The init functions are reachable as `nn.init.xavier_uniform_` (PyTorch's spelling) and
directly as `nn.xavier_uniform_` (the course's `nn/__init__` re-exports them).
"""

from . import functional, init
from .activations import GELU, SELU, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .containers import ModuleDict, ModuleList, Sequential
from .conv import Conv2D as Conv2D  # course spelling (clownpiece/course.py)
from .conv import Conv2d
from .init import (
    calculate_gain,
    constant_,
    kaiming_normal_,
    kaiming_uniform_,
    normal_,
    ones_,
    uniform_,
    xavier_normal_,
    xavier_uniform_,
    zeros_,
)
from .layers import BatchNorm, Embedding, LayerNorm, Linear, MultiheadAttention
from .loss import CrossEntropyLoss, MSELoss
from .module import Buffer, Module, Parameter

__all__ = [
    "BatchNorm",
    "Buffer",
    "Conv2d",
    "CrossEntropyLoss",
    "Embedding",
    "GELU",
    "Identity",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "MSELoss",
    "Module",
    "ModuleDict",
    "ModuleList",
    "MultiheadAttention",
    "Parameter",
    "ReLU",
    "SELU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "calculate_gain",
    "constant_",
    "functional",
    "init",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]
