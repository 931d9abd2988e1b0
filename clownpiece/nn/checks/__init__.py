"""Behavioural checks that the book's exercises run on a student's implementation.

Each `check_*` runs several named sub-checks and returns a `CheckReport`: it prints as a
pass/fail table, is truthy only when every sub-check passed, and `assert_ok()` raises
with the failures.  The unit tests run the same checks on the reference classes.

    check_registration(Module, Parameter, Buffer)
    check_state_dict(Module, Parameter, Buffer)
    check_repr(Module)
    check_init("xavier_uniform_", my_xavier_uniform_)      # any name in INIT_TARGETS
    check_linear(Linear)
    check_tanh(Tanh)
    check_sequential(Sequential)
    check_layernorm(LayerNorm)
    check_cross_entropy(CrossEntropyLoss)
"""

from .init import (
    CDF_THRESHOLD,
    INIT_TARGETS,
    InitTarget,
    cdf_distance,
    check_init,
    draw,
    empirical_cdf,
)
from .layers import (
    check_cross_entropy,
    check_layernorm,
    check_linear,
    check_sequential,
    check_tanh,
)
from .modules import SIMPLENET_REPR, check_registration, check_repr, check_state_dict

__all__ = [
    "CDF_THRESHOLD", "INIT_TARGETS", "InitTarget", "SIMPLENET_REPR", "cdf_distance", "check_cross_entropy",
    "check_init", "check_layernorm", "check_linear", "check_registration", "check_repr",
    "check_sequential", "check_state_dict", "check_tanh", "draw", "empirical_cdf",
]
