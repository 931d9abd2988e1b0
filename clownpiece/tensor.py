"""`Tensor`: a numpy array plus what autograd needs (requires_grad, grad, grad_fn).

Layering: the maths of every op lives on plain arrays in `clownpiece.ops`, the backward
pass in `clownpiece.engine`; this module wraps arrays and records graph nodes (`apply_op`).
Nothing below it imports it; `clownpiece.autograd` (Function, gradcheck) sits above it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from . import ops, rng
from .dtypes import (  # noqa: F401  (re-exported: clownpiece.float32, ...)
    SUPPORTED_DTYPES,
    as_dtype,
    bool_,
    float32,
    float64,
    int32,
    int64,
    python_data_array,
)
from .engine import Node, parent_of, run_backward
from .grad_mode import is_grad_enabled
from .gradient_buffers import first_grad
from .ops.core import OpResult
from .ops.heap import keep_freed_memory
from .ops.shape import index_array, int_sizes
from .untraced import UntracedOps

keep_freed_memory()  # speed: each training step reuses the memory of the last (see ops/heap.py)


def to_array(data: Any, dtype: Any = None) -> np.ndarray:
    """Course semantics: Python data becomes float32; numpy arrays and Tensors keep their dtype."""
    if isinstance(data, Tensor):
        array = data._data
    elif isinstance(data, (np.ndarray, np.generic)):
        array = np.asarray(data)
    else:
        return python_data_array(data, dtype)
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


def factory_shape(args: tuple, name: str) -> tuple[int, ...]:
    """Factory shapes may be given as varargs `(2, 3)` or as one tuple/list `((2, 3),)`."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    for n in args:
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
            raise ValueError(f"{name}: shape must be non-negative ints, got {args!r}")
    return tuple(int(n) for n in args)


def keep_flag(keepdim: bool | None, keepdims: bool | None) -> bool:
    """PyTorch's `keepdim` and the course's (numpy's) `keepdims` are one flag."""
    if keepdim is not None and keepdims is not None and bool(keepdim) != bool(keepdims):
        raise TypeError(f"got keepdim={keepdim} and keepdims={keepdims}; pass only one")
    return bool(keepdims if keepdim is None else keepdim)


new_object = object.__new__


def wrap_array(array: np.ndarray) -> Tensor:
    """A Tensor around an existing array, skipping all checks (the ops' fast path)."""
    t = new_object(Tensor)
    t._data = array
    t.requires_grad = False
    t.grad = None
    t.grad_fn = None
    return t


def _rebuild(cls: type, data: np.ndarray, requires_grad: bool) -> Tensor:
    t: Tensor = object.__new__(cls)
    t._data, t.requires_grad, t.grad, t.grad_fn = data, requires_grad, None, None
    return t


class Tensor(UntracedOps):
    """An n-dimensional array that records the operations made on it for `backward()`."""

    __slots__ = ("_data", "requires_grad", "grad", "grad_fn", "__weakref__")
    __array_priority__ = 1000  # numpy defers `ndarray + Tensor` to Tensor.__radd__

    def __init__(self, data: Any = None, *, requires_grad: bool = False, dtype: Any = None):
        """`Tensor()` (data None) is empty, as `torch.Tensor()` and `nn.Parameter()` are."""
        self._data = to_array(np.empty(0, float32) if data is None else data, dtype)
        if requires_grad and self._data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require grad, got dtype {self._data.dtype}"
            )
        self.requires_grad: bool = bool(requires_grad)
        self.grad: Tensor | None = None
        self.grad_fn: Node | None = None

    _wrap = staticmethod(wrap_array)  # the internal fast path, as a method

    # ------------------------------------------------------------------ factories
    @classmethod
    def empty(cls, *shape: Any, dtype: Any = float32, requires_grad: bool = False) -> Tensor:
        array = np.empty(factory_shape(shape, "empty"), as_dtype(dtype))
        return Tensor(array, requires_grad=requires_grad)

    @classmethod
    def zeros(cls, *shape: Any, dtype: Any = float32, requires_grad: bool = False) -> Tensor:
        array = np.zeros(factory_shape(shape, "zeros"), as_dtype(dtype))
        return Tensor(array, requires_grad=requires_grad)

    @classmethod
    def ones(cls, *shape: Any, dtype: Any = float32, requires_grad: bool = False) -> Tensor:
        array = np.ones(factory_shape(shape, "ones"), as_dtype(dtype))
        return Tensor(array, requires_grad=requires_grad)

    @classmethod
    def full(
        cls, shape: Any, fill_value: Any, *, dtype: Any = float32, requires_grad: bool = False
    ) -> Tensor:
        shape = factory_shape(
            tuple(shape) if isinstance(shape, (tuple, list)) else (shape,), "full"
        )
        return Tensor(np.full(shape, fill_value, as_dtype(dtype)), requires_grad=requires_grad)

    @classmethod
    def randn(cls, *shape: Any, dtype: Any = float32, requires_grad: bool = False) -> Tensor:
        data = rng.generator().standard_normal(factory_shape(shape, "randn"))
        return Tensor(data.astype(as_dtype(dtype)), requires_grad=requires_grad)

    @classmethod
    def rand(cls, *shape: Any, dtype: Any = float32, requires_grad: bool = False) -> Tensor:
        data = rng.generator().random(factory_shape(shape, "rand"))
        return Tensor(data.astype(as_dtype(dtype)), requires_grad=requires_grad)

    @classmethod
    def arange(
        cls,
        start: Any,
        end: Any = None,
        step: Any = 1,
        *,
        dtype: Any = None,
        requires_grad: bool = False,
    ) -> Tensor:
        if end is None:
            start, end = 0, start
        data = np.arange(start, end, step)
        if dtype is None:  # as PyTorch: integer steps give int64, fractional ones float32
            dtype = int64 if data.dtype.kind in "iu" else float32
        return Tensor(data, requires_grad=requires_grad, dtype=dtype)

    def empty_like(self, **kw: Any) -> Tensor:
        return Tensor.empty(self.shape, **{"dtype": self.dtype, **kw})

    def zeros_like(self, **kw: Any) -> Tensor:
        return Tensor.zeros(self.shape, **{"dtype": self.dtype, **kw})

    def ones_like(self, **kw: Any) -> Tensor:
        return Tensor.ones(self.shape, **{"dtype": self.dtype, **kw})

    def randn_like(self, **kw: Any) -> Tensor:
        return Tensor.randn(self.shape, **{"dtype": self.dtype, **kw})

    def rand_like(self, **kw: Any) -> Tensor:
        return Tensor.rand(self.shape, **{"dtype": self.dtype, **kw})

    def full_like(self, fill_value: Any, **kw: Any) -> Tensor:
        return Tensor.full(self.shape, fill_value, **{"dtype": self.dtype, **kw})

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

    def size(self, dim: int | None = None) -> Any:
        return self._data.shape if dim is None else self._data.shape[dim]

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def data(self) -> Tensor:
        """The same storage, detached from the graph (as PyTorch's `.data`)."""
        return Tensor._wrap(self._data)

    @data.setter
    def data(self, value: Any) -> None:
        self._data = to_array(value)

    @property
    def T(self) -> Tensor:
        return self.permute(*reversed(range(self.ndim)))

    # ------------------------------------------------------------------ conversions
    def numpy(self) -> np.ndarray:
        return self._data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """numpy's conversion protocol: `copy=True` always copies, `copy=False` never does."""
        if dtype is not None and np.dtype(dtype) != self._data.dtype:
            if copy is False:
                raise ValueError(f"cannot convert a {self.dtype} tensor to {dtype} without a copy")
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def tolist(self) -> Any:
        return self._data.tolist()

    def item(self) -> Any:
        if self._data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self._data.item()

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
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

    def __reduce__(self) -> tuple:
        return (_rebuild, (type(self), self._data, self.requires_grad))

    def __deepcopy__(self, memo: dict) -> Tensor:
        if self.grad_fn is not None:
            raise RuntimeError("only leaf tensors can be deep-copied (detach() first)")
        new = _rebuild(type(self), self._data.copy(), self.requires_grad)
        memo[id(self)] = new
        if self.grad is not None:
            new.grad = Tensor._wrap(self.grad._data.copy())
        return new

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient: Any = None, retain_graph: bool | None = None) -> None:
        """Accumulate d(self)/d(leaf) into `.grad` of every leaf that requires grad.

        The graph's saved values are freed on the way, unless `retain_graph=True`.
        """
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
            grad = to_array(gradient, self._data.dtype)
            if grad.shape != self._data.shape:
                raise RuntimeError(
                    f"backward(): gradient has shape {grad.shape} but the tensor has shape "
                    f"{self.shape}"
                )
        run_backward(self, grad, retain_graph=bool(retain_graph))

    def accumulate_grad(self, grad: np.ndarray) -> None:
        """Add `grad` into `.grad` (the engine calls this on leaves; gradients sum up)."""
        if self.grad is None:
            # a copy, since `grad` may be shared with another leaf or be the caller's own
            # array; `first_grad` skips the copy when nothing else can see `grad`
            self.grad = Tensor._wrap(first_grad(grad, self.shape, self._data.dtype))
        else:
            self.grad = Tensor._wrap((self.grad._data + grad).astype(self.dtype, copy=False))

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
    def __add__(self, other: Any) -> Tensor:
        return apply_op(ops.add, self, other)

    def __radd__(self, other: Any) -> Tensor:
        return apply_op(ops.add, other, self)

    def __sub__(self, other: Any) -> Tensor:
        return apply_op(ops.sub, self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return apply_op(ops.sub, other, self)

    def __mul__(self, other: Any) -> Tensor:
        return apply_op(ops.mul, self, number_operand(other, self))

    def __rmul__(self, other: Any) -> Tensor:
        return apply_op(ops.mul, number_operand(other, self), self)

    def __truediv__(self, other: Any) -> Tensor:
        return apply_op(ops.div, self, number_operand(other, self))

    def __rtruediv__(self, other: Any) -> Tensor:
        return apply_op(ops.div, number_operand(other, self), self)

    def __pow__(self, other: Any) -> Tensor:
        return apply_op(ops.pow, self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return apply_op(ops.pow, other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return apply_op(ops.matmul, self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return apply_op(ops.matmul, other, self)

    def __neg__(self) -> Tensor:
        return apply_op(ops.neg, self)

    def __abs__(self) -> Tensor:
        return apply_op(ops.abs, self)

    def matmul(self, other: Any) -> Tensor:
        return apply_op(ops.matmul, self, other)

    def abs(self) -> Tensor:
        return apply_op(ops.abs, self)

    def exp(self) -> Tensor:
        return apply_op(ops.exp, self)

    def log(self) -> Tensor:
        return apply_op(ops.log, self)

    def sqrt(self) -> Tensor:
        return apply_op(ops.sqrt, self)

    def tanh(self) -> Tensor:
        return apply_op(ops.tanh, self)

    def sigmoid(self) -> Tensor:
        return apply_op(ops.sigmoid, self)

    def relu(self) -> Tensor:
        return apply_op(ops.relu, self)

    def erf(self) -> Tensor:
        return apply_op(ops.erf, self)

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:
        return apply_op(ops.clamp, self, min=min, max=max)

    def maximum(self, other: Any) -> Tensor:
        return apply_op(ops.maximum, self, other)

    # ------------------------------------------------------------------ reductions
    # Positional order as in PyTorch: (dim, keepdim), and var(dim, unbiased, keepdim).
    def sum(self, dim: Any = None, keepdim: bool | None = None, *, keepdims: bool | None = None):
        return apply_op(ops.sum, self, dim=dim, keepdims=keep_flag(keepdim, keepdims))

    def mean(self, dim: Any = None, keepdim: bool | None = None, *, keepdims: bool | None = None):
        return apply_op(ops.mean, self, dim=dim, keepdims=keep_flag(keepdim, keepdims))

    def var(
        self,
        dim: Any = None,
        unbiased: bool | None = None,
        keepdim: bool | None = None,
        *,
        keepdims: bool | None = None,
        correction: int | None = None,
    ) -> Tensor:
        """Variance; unbiased (correction=1) by default, as in PyTorch."""
        if correction is not None and unbiased is not None:
            raise TypeError("var: pass either unbiased or correction, not both")
        if correction is None:
            correction = 0 if unbiased is False else 1
        keep = keep_flag(keepdim, keepdims)
        return apply_op(ops.var, self, dim=dim, correction=correction, keepdims=keep)

    def max(self, dim: Any = None, keepdim: bool | None = None, *, keepdims: bool | None = None):
        return apply_op(ops.max, self, dim=dim, keepdims=keep_flag(keepdim, keepdims))

    def min(self, dim: Any = None, keepdim: bool | None = None, *, keepdims: bool | None = None):
        return apply_op(ops.min, self, dim=dim, keepdims=keep_flag(keepdim, keepdims))

    def softmax(self, dim: int = -1) -> Tensor:
        return apply_op(ops.softmax, self, dim=dim)

    def log_softmax(self, dim: int = -1) -> Tensor:
        return apply_op(ops.log_softmax, self, dim=dim)

    def argmax(self, dim: Any = None, keepdim: bool | None = None, *, keepdims: bool | None = None):
        return self._arg_extreme(np.argmax, dim, keep_flag(keepdim, keepdims))

    def argmin(self, dim: Any = None, keepdim: bool | None = None, *, keepdims: bool | None = None):
        return self._arg_extreme(np.argmin, dim, keep_flag(keepdim, keepdims))

    def _arg_extreme(self, pick: Callable, dim: Any, keepdims: bool) -> Tensor:
        if dim is None:
            return Tensor._wrap(np.asarray(pick(self._data), dtype=np.int64))
        return Tensor._wrap(np.asarray(pick(self._data, axis=dim, keepdims=keepdims), np.int64))

    # ------------------------------------------------------------------ shape ops
    def reshape(self, *shape: Any) -> Tensor:
        return apply_op(ops.reshape, self, shape=int_sizes(shape, "reshape"))

    def view(self, *shape: Any) -> Tensor:
        return apply_op(ops.reshape, self, shape=int_sizes(shape, "view"))

    def transpose(self, dim0: int = -2, dim1: int = -1) -> Tensor:
        return apply_op(ops.transpose, self, dim0=dim0, dim1=dim1)

    def permute(self, *dims: Any) -> Tensor:
        return apply_op(ops.permute, self, dims=int_sizes(dims, "permute"))

    def unsqueeze(self, dim: int) -> Tensor:
        return apply_op(ops.unsqueeze, self, dim=dim)

    def squeeze(self, dim: Any = None) -> Tensor:
        return apply_op(ops.squeeze, self, dim=dim)

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        return apply_op(ops.flatten, self, start_dim=start_dim, end_dim=end_dim)

    def broadcast_to(self, *shape: Any) -> Tensor:
        return apply_op(ops.broadcast_to, self, shape=int_sizes(shape, "broadcast_to"))

    def expand(self, *shape: Any) -> Tensor:
        return apply_op(ops.broadcast_to, self, shape=int_sizes(shape, "expand"))

    def contiguous(self) -> Tensor:
        return apply_op(ops.contiguous, self)

    def clone(self) -> Tensor:
        return apply_op(ops.clone, self)

    def __getitem__(self, index: Any) -> Tensor:
        return apply_op(ops.getitem, self, index=index_array(index))


def apply_op(op: Callable[..., OpResult], *operands: Any, **params: Any) -> Tensor:
    """Run the array op `op` on the operands' arrays and wrap its result in a Tensor.

    When recording is on and an operand wants a gradient, the result gets a `grad_fn`:
    a Node holding where each operand's gradient goes and the closures `op` returned to
    compute them. `params` are the op's settings (dims, shapes), never differentiated.
    """
    arrays, parents = [], []
    for x in operands:  # a tensor gives its array and where its gradient goes; a constant, itself
        if isinstance(x, Tensor):
            arrays.append(x._data)
            parents.append(parent_of(x))
        else:
            arrays.append(x)
            parents.append(None)
    data, grad_fns = op(*arrays, **params)
    out = wrap_array(data)
    if is_grad_enabled():
        for parent in parents:
            if parent is not None:  # an operand wants a gradient: record the node
                out.requires_grad = True
                out.grad_fn = Node(parents, grad_fns, op.__name__)
                break
    return out


def number_operand(value: Any, tensor: Tensor) -> Any:
    """A Python float or int next to a float tensor, as a 0-d array of the tensor's dtype;
    anything else as it is.

    The same numbers: numpy casts a Python number to a float array's dtype anyway (NEP 50).
    But numpy converts a Python number afresh on every call, which costs more than the
    arithmetic on a small tensor (64 floats: `1.01 * a` 402 ns, with a float32 0-d array 197
    ns), and the backward closures that keep the constant save the same again.
    """
    if (type(value) is float or type(value) is int) and tensor._data.dtype.kind == "f":
        return np.array(value, tensor._data.dtype)
    return value


# Factories and ops as module functions: clownpiece.zeros(2, 3), clownpiece.cat([...]), ...
empty, zeros, ones, full = Tensor.empty, Tensor.zeros, Tensor.ones, Tensor.full
randn, rand, arange = Tensor.randn, Tensor.rand, Tensor.arange


def empty_like(t: Tensor, **kw: Any) -> Tensor:
    return t.empty_like(**kw)


def zeros_like(t: Tensor, **kw: Any) -> Tensor:
    return t.zeros_like(**kw)


def ones_like(t: Tensor, **kw: Any) -> Tensor:
    return t.ones_like(**kw)


def randn_like(t: Tensor, **kw: Any) -> Tensor:
    return t.randn_like(**kw)


def rand_like(t: Tensor, **kw: Any) -> Tensor:
    return t.rand_like(**kw)


def full_like(t: Tensor, fill_value: Any, **kw: Any) -> Tensor:
    return t.full_like(fill_value, **kw)


def tensor(data: Any, *, requires_grad: bool = False, dtype: Any = None) -> Tensor:
    """Build a Tensor (the function spelling of the constructor)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


def _sequence(tensors: Any, name: str) -> tuple:
    if isinstance(tensors, Tensor):
        raise TypeError(f"{name}: expected a sequence of tensors, got a single Tensor")
    return tuple(tensors)


def cat(tensors: Iterable[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dim."""
    return apply_op(ops.cat, *_sequence(tensors, "cat"), dim=dim)


def stack(tensors: Iterable[Tensor], dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dim."""
    return apply_op(ops.stack, *_sequence(tensors, "stack"), dim=dim)


def where(condition: Any, input: Any, other: Any) -> Tensor:
    """`input` where `condition` holds, else `other` (broadcasting all three)."""
    return apply_op(ops.where, input, other, condition=np.asarray(condition, dtype=bool))


def maximum(input: Any, other: Any) -> Tensor:
    """Elementwise maximum; ties split the gradient evenly."""
    return apply_op(ops.maximum, input, other)


def erf(input: Tensor) -> Tensor:
    """Elementwise error function."""
    return apply_op(ops.erf, input)
