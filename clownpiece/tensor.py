"""`Tensor`: a numpy array plus what autograd needs (requires_grad, grad, grad_fn)."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from . import rng

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)
SUPPORTED_DTYPES = (float32, float64, int32, int64, bool_)


def as_dtype(dtype) -> np.dtype:
    """`dtype` as a numpy dtype, or a TypeError naming the supported ones."""
    if dtype is bool:
        dtype = np.bool_
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved not in SUPPORTED_DTYPES:
        names = ", ".join(str(d) for d in SUPPORTED_DTYPES)
        raise TypeError(f"unsupported dtype {dtype!r}; supported dtypes are {names}")
    return resolved


def _to_array(data, dtype) -> np.ndarray:
    """Course semantics: Python data becomes float32; numpy arrays and Tensors keep their dtype."""
    if isinstance(data, Tensor):
        array = data._data
    elif isinstance(data, np.ndarray):
        array = data
    elif isinstance(data, (np.generic,)):
        array = np.asarray(data)
    else:
        try:
            array = np.asarray(data, dtype=np.float32 if dtype is None else dtype)
        except (ValueError, TypeError) as e:
            raise TypeError(f"Tensor() cannot be built from {type(data).__name__}: {e}") from None
    if dtype is not None:
        dtype = as_dtype(dtype)
        return array if array.dtype == dtype else array.astype(dtype)
    if array.dtype not in SUPPORTED_DTYPES:
        if array.dtype.kind in "iu":
            return array.astype(np.int64)
        if array.dtype.kind == "f":
            return array.astype(np.float32)
        as_dtype(array.dtype)  # raises the unsupported-dtype error
    return array


def _shape(args: tuple, name: str) -> tuple:
    """Factory shapes may be given as varargs `(2, 3)` or as one tuple/list `((2, 3),)`."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    for n in args:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
            raise ValueError(f"{name}: shape must be non-negative ints, got {args!r}")
    return tuple(int(n) for n in args)


def _rebuild(cls, data, requires_grad):
    t = object.__new__(cls)
    t._data, t.requires_grad, t.grad, t.grad_fn = data, requires_grad, None, None
    return t


class Tensor:
    """An n-dimensional array that records the operations made on it for `backward()`."""

    __slots__ = ("_data", "requires_grad", "grad", "grad_fn", "__weakref__")
    __array_priority__ = 1000  # numpy defers `ndarray + Tensor` to Tensor.__radd__

    def __init__(self, data: Any = None, requires_grad: bool = False, dtype=None) -> None:
        self._data = _to_array(0.0 if data is None else data, dtype)
        if requires_grad and self._data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require grad, got dtype {self._data.dtype}"
            )
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self.grad_fn = None

    @classmethod
    def _wrap(cls, array: np.ndarray) -> Tensor:
        """A Tensor around an existing array, skipping all checks (internal fast path)."""
        t = object.__new__(Tensor)
        t._data, t.requires_grad, t.grad, t.grad_fn = array, False, None, None
        return t

    # ------------------------------------------------------------------ factories
    @classmethod
    def empty(cls, *shape, dtype=float32, requires_grad: bool = False) -> Tensor:
        return Tensor(np.empty(_shape(shape, "empty"), as_dtype(dtype)), requires_grad)

    @classmethod
    def zeros(cls, *shape, dtype=float32, requires_grad: bool = False) -> Tensor:
        return Tensor(np.zeros(_shape(shape, "zeros"), as_dtype(dtype)), requires_grad)

    @classmethod
    def ones(cls, *shape, dtype=float32, requires_grad: bool = False) -> Tensor:
        return Tensor(np.ones(_shape(shape, "ones"), as_dtype(dtype)), requires_grad)

    @classmethod
    def full(cls, shape, fill_value, dtype=float32, requires_grad: bool = False) -> Tensor:
        shape = _shape(shape if isinstance(shape, (tuple, list)) else (shape,), "full")
        return Tensor(np.full(shape, fill_value, as_dtype(dtype)), requires_grad)

    @classmethod
    def randn(cls, *shape, dtype=float32, requires_grad: bool = False) -> Tensor:
        data = rng.generator().standard_normal(_shape(shape, "randn"))
        return Tensor(data.astype(as_dtype(dtype)), requires_grad)

    @classmethod
    def rand(cls, *shape, dtype=float32, requires_grad: bool = False) -> Tensor:
        data = rng.generator().random(_shape(shape, "rand"))
        return Tensor(data.astype(as_dtype(dtype)), requires_grad)

    @classmethod
    def arange(cls, start, end=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
        if end is None:
            start, end = 0, start
        data = np.arange(start, end, step)
        if dtype is None:  # as PyTorch: integer steps give int64, fractional ones float32
            dtype = int64 if data.dtype.kind in "iu" else float32
        return Tensor(data, requires_grad, dtype=dtype)

    def _like(self, factory, **kwargs) -> Tensor:
        kwargs.setdefault("dtype", self.dtype)
        return factory(self.shape, **kwargs)

    def empty_like(self, **kw) -> Tensor:
        return self._like(Tensor.empty, **kw)

    def zeros_like(self, **kw) -> Tensor:
        return self._like(Tensor.zeros, **kw)

    def ones_like(self, **kw) -> Tensor:
        return self._like(Tensor.ones, **kw)

    def randn_like(self, **kw) -> Tensor:
        return self._like(Tensor.randn, **kw)

    def rand_like(self, **kw) -> Tensor:
        return self._like(Tensor.rand, **kw)

    def full_like(self, fill_value, **kw) -> Tensor:
        kw.setdefault("dtype", self.dtype)
        return Tensor.full(self.shape, fill_value, **kw)

    # ------------------------------------------------------------------ metadata
    @property
    def shape(self) -> tuple:
        return self._data.shape

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    def size(self, dim: int | None = None):
        return self._data.shape if dim is None else self._data.shape[dim]

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def data(self) -> Tensor:
        """The same storage, detached from the graph (as PyTorch's `.data`)."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value) -> None:
        self._data = _to_array(value, None)

    @property
    def T(self) -> Tensor:
        return self.permute(*reversed(range(self.ndim)))

    # ------------------------------------------------------------------ conversions
    def numpy(self) -> np.ndarray:
        return self._data

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return self._data if dtype is None else self._data.astype(dtype)

    def tolist(self):
        return self._data.tolist()

    def item(self):
        if self._data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self._data.item()

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self._data.size} elements is ambiguous"
            )
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only a one-element integer tensor can be used as an index")
        return int(self._data)

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        body = np.array2string(self._data, separator=", ", prefix="Tensor(")
        extras = []
        if self._data.dtype not in (float32, int64, bool_):
            extras.append(f"dtype={self._data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn!r}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        name = type(self).__name__
        return f"{name}({body}{''.join(', ' + e for e in extras)})"

    def __reduce__(self):
        return (_rebuild, (type(self), self._data, self.requires_grad))

    def __deepcopy__(self, memo) -> Tensor:
        if self.grad_fn is not None:
            raise RuntimeError("only leaf tensors can be deep-copied (detach() first)")
        new = _rebuild(type(self), self._data.copy(), self.requires_grad)
        memo[id(self)] = new
        if self.grad is not None:
            new.grad = Tensor._wrap(self.grad._data.copy())
        return new

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph: bool | None = None) -> None:
        """Accumulate d(self)/d(leaf) into `.grad` of every leaf that requires grad."""
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a tensor that does not require grad and has no grad_fn"
            )
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient needs a scalar (one-element) output, got "
                    f"shape {self.shape}; pass gradient= of the same shape"
                )
            grad = np.ones_like(self._data)
        else:
            grad = _to_array(gradient, self._data.dtype)
            if grad.shape != self._data.shape:
                raise RuntimeError(
                    f"backward(): gradient has shape {grad.shape} but the tensor has shape "
                    f"{self.shape}"
                )
        _engine.run_backward(self, grad)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if not self.is_leaf:
            raise RuntimeError("requires_grad can only be changed on leaf tensors")
        if requires_grad and self._data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require grad, got {self.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self) -> Tensor:
        return Tensor._wrap(self._data)

    # ------------------------------------------------------------------ arithmetic
    def __add__(self, other):
        return _ops.add(self, other)

    def __radd__(self, other):
        return _ops.add(other, self)

    def __sub__(self, other):
        return _ops.sub(self, other)

    def __rsub__(self, other):
        return _ops.sub(other, self)

    def __mul__(self, other):
        return _ops.mul(self, other)

    def __rmul__(self, other):
        return _ops.mul(other, self)

    def __truediv__(self, other):
        return _ops.div(self, other)

    def __rtruediv__(self, other):
        return _ops.div(other, self)

    def __pow__(self, other):
        return _ops.pow(self, other)

    def __rpow__(self, other):
        return _ops.pow(other, self)

    def __matmul__(self, other):
        return _ops.matmul(self, other)

    def __rmatmul__(self, other):
        return _ops.matmul(other, self)

    def __neg__(self):
        return _ops.neg(self)

    def __abs__(self):
        return _ops.abs(self)

    def matmul(self, other):
        return _ops.matmul(self, other)

    def abs(self):
        return _ops.abs(self)

    def exp(self):
        return _ops.exp(self)

    def log(self):
        return _ops.log(self)

    def sqrt(self):
        return _ops.sqrt(self)

    def tanh(self):
        return _ops.tanh(self)

    def sigmoid(self):
        return _ops.sigmoid(self)

    def relu(self):
        return _ops.relu(self)

    def clamp(self, min=None, max=None):
        return _ops.clamp(self, min, max)

    def maximum(self, other):
        return _ops.maximum(self, other)

    # ------------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdims: bool = False, keepdim: bool | None = None):
        return _ops.sum(self, dim, keepdims if keepdim is None else keepdim)

    def mean(self, dim=None, keepdims: bool = False, keepdim: bool | None = None):
        return _ops.mean(self, dim, keepdims if keepdim is None else keepdim)

    def var(self, dim=None, keepdims: bool = False, unbiased: bool = True, keepdim=None):
        return _ops.var(self, dim, keepdims if keepdim is None else keepdim, unbiased)

    def max(self, dim=None, keepdims: bool = False, keepdim: bool | None = None):
        return _ops.max(self, dim, keepdims if keepdim is None else keepdim)

    def min(self, dim=None, keepdims: bool = False, keepdim: bool | None = None):
        return _ops.min(self, dim, keepdims if keepdim is None else keepdim)

    def softmax(self, dim: int = -1):
        return _ops.softmax(self, dim)

    def log_softmax(self, dim: int = -1):
        return _ops.log_softmax(self, dim)

    def argmax(self, dim=None, keepdims: bool = False) -> Tensor:
        return Tensor._wrap(_arg_extreme(np.argmax, self._data, dim, keepdims))

    def argmin(self, dim=None, keepdims: bool = False) -> Tensor:
        return Tensor._wrap(_arg_extreme(np.argmin, self._data, dim, keepdims))

    # ------------------------------------------------------------------ shape ops
    def reshape(self, *shape):
        return _ops.reshape(self, *shape)

    def view(self, *shape):
        return _ops.reshape(self, *shape)

    def transpose(self, dim0: int = -2, dim1: int = -1):
        return _ops.transpose(self, dim0, dim1)

    def permute(self, *dims):
        return _ops.permute(self, *dims)

    def unsqueeze(self, dim: int):
        return _ops.unsqueeze(self, dim)

    def squeeze(self, dim=None):
        return _ops.squeeze(self, dim)

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        return _ops.flatten(self, start_dim, end_dim)

    def broadcast_to(self, *shape):
        return _ops.broadcast_to(self, *shape)

    def expand(self, *shape):
        return _ops.broadcast_to(self, *shape)

    def contiguous(self):
        return _ops.contiguous(self)

    def clone(self):
        return _ops.clone(self)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    # ------------------------------------------------------------------ non-differentiable
    def _compare(self, other, op) -> Tensor:
        return Tensor._wrap(np.asarray(op(self._data, other._data if isinstance(other, Tensor) else other)))

    def __eq__(self, other):
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    def to(self, dtype) -> Tensor:
        dtype = as_dtype(dtype)
        if dtype == self.dtype:
            return self
        return Tensor._wrap(self._data.astype(dtype))

    def float(self) -> Tensor:
        return self.to(float32)

    def double(self) -> Tensor:
        return self.to(float64)

    def long(self) -> Tensor:
        return self.to(int64)

    def bool(self) -> Tensor:
        return self.to(bool_)

    def all(self) -> builtins.bool:
        return builtins.bool(self._data.all())

    def any(self) -> builtins.bool:
        return builtins.bool(self._data.any())

    # ------------------------------------------------------------------ in-place (not traced)
    def _check_inplace(self, name: str) -> None:
        if self.requires_grad and _grad_mode._enabled:
            what = "a leaf tensor that requires grad" if self.is_leaf else "a tensor in the graph"
            raise RuntimeError(
                f"{name}: in-place operation on {what}; wrap it in `with no_grad():`"
            )

    def _write(self, name: str, values) -> Tensor:
        self._check_inplace(name)
        values = values._data if isinstance(values, Tensor) else values
        try:
            self._data[...] = values
        except ValueError:
            raise ValueError(
                f"{name}: cannot write values of shape {np.shape(values)} into a tensor of "
                f"shape {self.shape}"
            ) from None
        return self

    def copy_(self, src) -> Tensor:
        return self._write("copy_", src)

    def fill_(self, value) -> Tensor:
        return self._write("fill_", value)

    def zero_(self) -> Tensor:
        return self._write("zero_", 0)

    def _update(self, name: str, ufunc, other) -> Tensor:
        """self = ufunc(self, other), computed straight into this tensor's storage."""
        self._check_inplace(name)
        try:
            ufunc(self._data, _value(other), out=self._data, casting="same_kind")
        except ValueError:
            raise ValueError(
                f"{name}: cannot combine a tensor of shape {self.shape} in place with "
                f"shape {np.shape(_value(other))}"
            ) from None
        return self

    def add_(self, other, alpha: float = 1) -> Tensor:
        return self._update("add_", np.add, other if alpha == 1 else alpha * _value(other))

    def sub_(self, other, alpha: float = 1) -> Tensor:
        return self._update("sub_", np.subtract, other if alpha == 1 else alpha * _value(other))

    def mul_(self, other) -> Tensor:
        return self._update("mul_", np.multiply, other)

    def div_(self, other) -> Tensor:
        return self._update("div_", np.divide, other)

    def clamp_(self, min=None, max=None) -> Tensor:
        return self._write("clamp_", np.clip(self._data, min, max))

    def uniform_(self, low: float = 0.0, high: float = 1.0) -> Tensor:
        return self._write("uniform_", rng.generator().uniform(low, high, self.shape))

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Tensor:
        return self._write("normal_", rng.generator().normal(mean, std, self.shape))

    def __setitem__(self, index, value) -> None:
        self._check_inplace("__setitem__")
        self._data[_ops.index_array(index)] = _value(value)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)


def _value(x):
    return x._data if isinstance(x, Tensor) else x


def _arg_extreme(pick, data: np.ndarray, dim, keepdims: bool) -> np.ndarray:
    if dim is None:
        return np.asarray(pick(data), dtype=np.int64)
    return np.asarray(pick(data, axis=dim, keepdims=keepdims), dtype=np.int64)


# Factories and ops as module functions: clownpiece.zeros(2, 3), clownpiece.cat([...]), ...
empty, zeros, ones, full = Tensor.empty, Tensor.zeros, Tensor.ones, Tensor.full
randn, rand, arange = Tensor.randn, Tensor.rand, Tensor.arange


def empty_like(t: Tensor, **kw) -> Tensor:
    return t.empty_like(**kw)


def zeros_like(t: Tensor, **kw) -> Tensor:
    return t.zeros_like(**kw)


def ones_like(t: Tensor, **kw) -> Tensor:
    return t.ones_like(**kw)


def randn_like(t: Tensor, **kw) -> Tensor:
    return t.randn_like(**kw)


def rand_like(t: Tensor, **kw) -> Tensor:
    return t.rand_like(**kw)


def full_like(t: Tensor, fill_value, **kw) -> Tensor:
    return t.full_like(fill_value, **kw)


def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """Build a Tensor (the function spelling of the constructor)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


from .autograd import engine as _engine  # noqa: E402  (autograd sits on top of Tensor)
from .autograd import grad_mode as _grad_mode  # noqa: E402
from .autograd import ops as _ops  # noqa: E402

cat, stack, where, maximum = _ops.cat, _ops.stack, _ops.where, _ops.maximum
