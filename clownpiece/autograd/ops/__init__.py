"""Every differentiable operation, each written once: a numpy forward and its backward.

Each op computes its result on the tensors' numpy arrays and, when the graph is being
recorded, attaches a closure that maps the output's gradient to its inputs' gradients.
`DIFFERENTIABLE_OPS` names them all so the tests can check that each has a gradient check.
"""

from .core import (  # noqa: F401
    DIFFERENTIABLE_OPS,
    _result,
    differentiable,
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
from .matmul import (  # noqa: F401
    matmul,
)
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
    index_array,
    permute,
    reshape,
    squeeze,
    stack,
    transpose,
    unsqueeze,
)
