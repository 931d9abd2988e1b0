"""Every differentiable operation, each written once, on plain numpy arrays.

An op takes arrays (its differentiable operands, positionally; settings by keyword) and
returns its result plus, per operand, a closure mapping the output's gradient to that
operand's gradient. It knows nothing of Tensor: `tensor.apply_op` runs it on tensors'
arrays and records the closures in the graph. `DIFFERENTIABLE_OPS` names them all so the
tests can check that each has a gradient check.
"""

from .core import (  # noqa: F401
    DIFFERENTIABLE_OPS,
    OpResult,
    differentiable,
    normalize_dims,
    unbroadcast,
)
from .elementwise import (  # noqa: F401
    abs,
    add,
    clamp,
    div,
    erf,
    exp,
    leaky_relu,
    log,
    maximum,
    mul,
    neg,
    pow,
    relu,
    sigmoid,
    sqrt,
    sub,
    tanh,
    where,
)
from .fused import gelu, layer_norm  # noqa: F401
from .im2col import fold, unfold  # noqa: F401
from .matmul import linear, matmul  # noqa: F401
from .reductions import (  # noqa: F401
    cross_entropy,
    log_softmax,
    max,
    mean,
    min,
    softmax,
    sum,
    var,
)
from .shape import (  # noqa: F401
    broadcast_to,
    cat,
    clone,
    contiguous,
    flatten,
    getitem,
    permute,
    reshape,
    squeeze,
    stack,
    transpose,
    unsqueeze,
)
