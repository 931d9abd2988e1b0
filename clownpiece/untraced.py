"""Tensor methods that autograd does not trace: comparisons, casts, in-place updates.

`Tensor` inherits them. In-place updates follow PyTorch's rule: on a tensor that
requires grad they are only allowed under `no_grad()` (an optimizer step, an init).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

import numpy as np

from . import rng
from .dtypes import as_dtype, bool_, float32, float64, int64
from .grad_mode import is_grad_enabled
from .ops.shape import index_array


def _value(x: Any) -> Any:
    """The array of a tensor, anything else as it is."""
    return x._data if isinstance(x, UntracedOps) else x


class UntracedOps:
    """Comparisons, casts and in-place updates, for `Tensor` (which defines the fields)."""

    __slots__ = ()
    _data: np.ndarray
    requires_grad: bool
    grad_fn: Any
    _wrap: Callable[[np.ndarray], Any]

    def _compare(self, other: Any, op: Callable) -> Any:
        return self._wrap(np.asarray(op(self._data, _value(other))))

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return self._compare(other, np.not_equal)

    def __lt__(self, other: Any) -> Any:
        return self._compare(other, np.less)

    def __le__(self, other: Any) -> Any:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: Any) -> Any:
        return self._compare(other, np.greater)

    def __ge__(self, other: Any) -> Any:
        return self._compare(other, np.greater_equal)

    def to(self, dtype: Any) -> Any:
        dtype = as_dtype(dtype)
        if dtype == self._data.dtype:
            return self
        return self._wrap(self._data.astype(dtype))

    def float(self) -> Any:
        return self.to(float32)

    def double(self) -> Any:
        return self.to(float64)

    def long(self) -> Any:
        return self.to(int64)

    def bool(self) -> Any:
        return self.to(bool_)

    def all(self) -> builtins.bool:
        return builtins.bool(self._data.all())

    def any(self) -> builtins.bool:
        return builtins.bool(self._data.any())

    # ------------------------------------------------------------------ in-place (not traced)
    def _check_inplace(self, name: str) -> None:
        if self.requires_grad and is_grad_enabled():
            leaf = self.grad_fn is None
            what = "a leaf tensor that requires grad" if leaf else "a tensor in the graph"
            raise RuntimeError(
                f"{name}: in-place operation on {what}; wrap it in `with no_grad():`"
            )

    def _write(self, name: str, values: Any) -> Any:
        self._check_inplace(name)
        values = _value(values)
        try:
            self._data[...] = values
        except ValueError:
            raise ValueError(
                f"{name}: cannot write values of shape {np.shape(values)} into a tensor of "
                f"shape {self._data.shape}"
            ) from None
        return self

    def copy_(self, src: Any) -> Any:
        return self._write("copy_", src)

    def fill_(self, value: Any) -> Any:
        return self._write("fill_", value)

    def zero_(self) -> Any:
        return self._write("zero_", 0)

    def _update(self, name: str, ufunc: Callable, other: Any) -> Any:
        """self = ufunc(self, other), computed straight into this tensor's storage."""
        self._check_inplace(name)
        try:
            ufunc(self._data, _value(other), out=self._data, casting="same_kind")
        except ValueError:
            raise ValueError(
                f"{name}: cannot combine a tensor of shape {self._data.shape} in place with "
                f"shape {np.shape(_value(other))}"
            ) from None
        return self

    def add_(self, other: Any, *, alpha: Any = 1) -> Any:
        return self._update("add_", np.add, other if alpha == 1 else alpha * _value(other))

    def sub_(self, other: Any, *, alpha: Any = 1) -> Any:
        return self._update("sub_", np.subtract, other if alpha == 1 else alpha * _value(other))

    def mul_(self, other: Any) -> Any:
        return self._update("mul_", np.multiply, other)

    def div_(self, other: Any) -> Any:
        return self._update("div_", np.divide, other)

    def clamp_(self, min: Any = None, max: Any = None) -> Any:
        return self._write("clamp_", np.clip(self._data, min, max))

    def uniform_(self, low: builtins.float = 0.0, high: builtins.float = 1.0) -> Any:
        return self._write("uniform_", rng.generator().uniform(low, high, self._data.shape))

    def normal_(self, mean: builtins.float = 0.0, std: builtins.float = 1.0) -> Any:
        return self._write("normal_", rng.generator().normal(mean, std, self._data.shape))

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check_inplace("__setitem__")
        self._data[index_array(index)] = _value(value)

    def __iadd__(self, other: Any) -> Any:
        return self.add_(other)

    def __isub__(self, other: Any) -> Any:
        return self.sub_(other)

    def __imul__(self, other: Any) -> Any:
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> Any:
        return self.div_(other)
