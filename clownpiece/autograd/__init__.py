"""The user-facing autograd API: `Function` for new differentiable ops, `gradcheck`, grad modes.

It sits above `Tensor`. The graph engine itself (`clownpiece.engine`) and the grad-mode
switches (`clownpiece.grad_mode`) sit below it and are re-exported here.
"""

from ..grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .function import Context, Function
from .gradcheck import gradcheck

__all__ = [
    "Context",
    "Function",
    "enable_grad",
    "gradcheck",
    "is_grad_enabled",
    "no_grad",
    "set_grad_enabled",
]
