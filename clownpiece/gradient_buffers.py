"""A leaf's first gradient, taken without a copy when nothing else can see the array.

Speed trick below `Tensor.accumulate_grad`, which chapter 1 shows as a plain copy. The copy
is there because the array the engine hands a leaf may be shared: the output gradient
itself (`add` passes it on unchanged), an array a closure keeps, or a caller's own array.
Most of the time it is none of these but an array a backward closure just computed (a
bias's summed gradient, a weight's product); copying it is one more pass and allocation.
PyTorch takes such a gradient as it is when nothing else refers to it; so does this, with
CPython's reference count as the test:

- the caller must be `engine.run_backward`, whose only reference is its local variable
  (a user calling `accumulate_grad(array)` may still hold `array`, so that is copied);
- the array must be writeable, of the leaf's shape and dtype, and own its memory, or be a
  contiguous view of all of an array that nothing but the view refers to;
- and its reference count must be that of an array held by one local variable and passed
  down two calls (run_backward -> accumulate_grad -> here), measured once at import
  (`UNSHARED_COUNT`). Any other holder (a closure, the engine's pending sums, another
  leaf, a list) adds one. If the interpreter does not count references that way,
  `UNSHARED_COUNT` is 0 and every gradient is copied.

A weight used through a `transpose` node (`x @ W.T` written out) is still copied: while
that node runs, the engine's own gradient for it is a view of the same memory, which this
test cannot tell from any other holder. That is one reason `nn.functional.linear` is a
single node (`ops.linear`) whose weight gradient the engine hands over directly.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from . import engine


def _count_two_calls_down(array: np.ndarray) -> int:
    return _count_here(array)


def _count_here(array: np.ndarray) -> int:
    return sys.getrefcount(array)


def _unshared_count() -> int:
    """The reference count of an array held by one local variable, two calls down; 0 if
    one more holder would not show in the count (then nothing is ever taken)."""
    alone = np.empty(1)
    count = _count_two_calls_down(alone)
    another_holder = [alone]
    shared_count = _count_two_calls_down(alone)
    del another_holder
    return count if shared_count == count + 1 else 0


def _base_count() -> int:
    """The reference count of a view's base that only the view refers to (`sys.getrefcount`
    of `view.base`); 0 if another holder would not show."""
    view = np.empty(2)[::-1]
    count = sys.getrefcount(view.base)
    another_holder = view.base
    shared_count = sys.getrefcount(view.base)
    del another_holder
    return count if shared_count == count + 1 else 0


UNSHARED_COUNT = _unshared_count()
BASE_ONLY_IN_VIEW_COUNT = _base_count()
ENGINE_CODE = engine.run_backward.__code__


def first_grad(grad: Any, shape: tuple, dtype: np.dtype) -> np.ndarray:
    """`grad` as a new `.grad` array of `shape` and `dtype`: `grad` itself when only the
    engine's call that got here refers to it, otherwise a copy (broadcast if needed)."""
    if (
        type(grad) is np.ndarray
        and grad.shape == shape
        and grad.dtype == dtype
        and grad.flags.writeable
        and sys.getrefcount(grad) == UNSHARED_COUNT
        and (grad.flags.owndata or _whole_view_of_private_array(grad))
        and sys._getframe(2).f_code is ENGINE_CODE
    ):
        return grad
    if np.shape(grad) == shape:
        return np.array(grad, dtype)
    return np.array(np.broadcast_to(grad, shape), dtype)


def _whole_view_of_private_array(view: np.ndarray) -> bool:
    """True if `view` covers all of its base exactly once, and the base owns its memory and
    nothing else refers to it (numpy points every view at the array that owns the memory)."""
    base = view.base
    return (
        (view.flags.c_contiguous or view.flags.f_contiguous)
        and type(base) is np.ndarray
        and base.flags.owndata
        and base.size == view.size
        and sys.getrefcount(base) == BASE_ONLY_IN_VIEW_COUNT + 1  # + 1: the local `base`
    )
