"""clownpiece: a numpy-backed tensor with autograd, and a PyTorch-style module system.

Layers, each importing only those below it: `rng`, `dtypes`, `grad_mode`, `engine` (the
backward pass) and `ops` (array maths) -> `tensor` -> `autograd` (Function, gradcheck)
-> `nn` -> `data`, `serialization`.
"""

from . import data, nn
from .autograd import Function, gradcheck
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .rng import manual_seed
from .serialization import CorruptFileError, load, save
from .tensor import (
    Tensor,
    arange,
    bool_,
    cat,
    empty,
    empty_like,
    erf,
    float32,
    float64,
    full,
    full_like,
    int32,
    int64,
    maximum,
    ones,
    ones_like,
    rand,
    rand_like,
    randn,
    randn_like,
    stack,
    tensor,
    where,
    zeros,
    zeros_like,
)

__version__ = "0.1.0"

__all__ = [
    "CorruptFileError",
    "Function",
    "Tensor",
    "arange",
    "bool_",
    "cat",
    "data",
    "empty",
    "empty_like",
    "enable_grad",
    "erf",
    "float32",
    "float64",
    "full",
    "full_like",
    "gradcheck",
    "int32",
    "int64",
    "is_grad_enabled",
    "load",
    "manual_seed",
    "maximum",
    "nn",
    "no_grad",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randn",
    "randn_like",
    "save",
    "set_grad_enabled",
    "stack",
    "tensor",
    "where",
    "zeros",
    "zeros_like",
]
