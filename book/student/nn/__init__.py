"""Your own `nn` package, built through the book. Chapters check it with
`clownpiece.exercises.check(...)`; `python -m clownpiece.grade` grades all of it."""

from . import init
from .activations import GELU, LeakyReLU, ReLU, Sigmoid, Tanh
from .containers import ModuleDict, ModuleList, Sequential
from .layers import BatchNorm, Embedding, LayerNorm, Linear, MultiheadAttention
from .loss import CrossEntropyLoss, MSELoss
from .module import Buffer, Module, Parameter

__all__ = [
    "BatchNorm",
    "Buffer",
    "CrossEntropyLoss",
    "Embedding",
    "GELU",
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
    "Sequential",
    "Sigmoid",
    "Tanh",
    "init",
]
