"""`clownpiece.nn`: Parameter, Buffer, Module, layers, activations, containers and losses."""

from . import init
from .activations import GELU, SELU, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .containers import ModuleDict, ModuleList, Sequential
from .layers import BatchNorm, Embedding, LayerNorm, Linear, MultiheadAttention
from .loss import CrossEntropyLoss, MSELoss
from .module import Buffer, Module, Parameter

__all__ = [
    "BatchNorm", "Buffer", "CrossEntropyLoss", "Embedding", "GELU", "Identity", "LayerNorm",
    "LeakyReLU", "Linear", "MSELoss", "Module", "ModuleDict", "ModuleList", "MultiheadAttention",
    "Parameter", "ReLU", "SELU", "Sequential", "Sigmoid", "Softmax", "Tanh", "init",
]
