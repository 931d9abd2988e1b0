"""What a check body uses: look a name up in the package under test, and state expectations.

A check fails by raising: `Missing` (a class or method the package does not have yet) or
`CheckFailed` (a wrong value, with a one-line "got ..., expected ..." message). Any other
exception comes from the code under test and is reported as such by the runner.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor
from .report import one_line


class Missing(Exception):
    """The package under test has no such class, function or method yet."""


class CheckFailed(AssertionError):
    """The code under test ran but gave a wrong result."""


class Namespace:
    """Names looked up in `objects` first, then in `base` (a package, or another Namespace)."""

    def __init__(self, base: Any = None, **objects: Any) -> None:
        self.__dict__["_base"] = base
        self.__dict__["_objects"] = objects

    def __getattr__(self, name: str) -> Any:
        objects = self.__dict__["_objects"]
        if name in objects:
            return objects[name]
        base = self.__dict__["_base"]
        if base is None:
            raise AttributeError(name)
        return getattr(base, name)

    def __repr__(self) -> str:
        names = ", ".join(sorted(self.__dict__["_objects"]))
        return f"Namespace({names} over {self.__dict__['_base']!r})"


def need(namespace: Any, path: str) -> Any:
    """`namespace.<path>` (dots walk into classes), or `Missing` naming the first absent part."""
    obj, walked = namespace, "nn"
    for part in path.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise Missing(f"{walked} has no {part}") from None
        walked = part
    return obj


def need_any(namespace: Any, owner: str, *names: str) -> Any:
    """The first of `owner.<name>` that exists (for names the course spells two ways)."""
    for name in names:
        try:
            return need(namespace, f"{owner}.{name}" if owner else name)
        except Missing:
            pass
    raise Missing(f"{owner or 'nn'} has none of {', '.join(names)}")


def fail(message: str) -> None:
    raise CheckFailed(one_line(message))


def expect(condition: Any, message: str) -> None:
    """Fail with `message` unless `condition` holds."""
    if not condition:
        fail(message)


def show(value: Any, limit: int = 60) -> str:
    """A short one-line repr of `value` for a failure message."""
    if isinstance(value, Tensor):
        value = value.numpy().tolist()
    return one_line(repr(value), limit)


def expect_equal(got: Any, want: Any, what: str) -> None:
    """Fail with "what: got ..., expected ..." unless `got == want`."""
    if not (got == want):
        fail(f"{what}: got {show(got)}, expected {show(want)}")


def array(value: Any, what: str) -> np.ndarray:
    """The numpy values of a Tensor result, failing clearly when it is not a Tensor."""
    if not isinstance(value, Tensor):
        fail(f"{what} is {type(value).__name__}, expected a Tensor")
    return np.asarray(value.numpy())


def expect_close(got: Any, want: Any, what: str, atol: float = 1e-5, rtol: float = 1e-4) -> None:
    """`got` (a Tensor) has `want`'s shape and values, else a message with the worst element."""
    a = array(got, what)
    w = np.asarray(want.numpy() if isinstance(want, Tensor) else want, dtype=np.float64)
    if a.shape != w.shape:
        fail(f"{what} has shape {a.shape}, expected {w.shape}")
    a64 = a.astype(np.float64)
    if np.allclose(a64, w, atol=atol, rtol=rtol, equal_nan=False):
        return
    gap = np.abs(a64 - w)
    gap[np.isnan(gap)] = np.inf
    at = np.unravel_index(int(np.argmax(gap)), w.shape) if w.ndim else ()
    where = f" at {tuple(int(i) for i in at)}" if w.ndim else ""
    fail(f"{what} is wrong{where}: got {a64[at]:.6g}, expected {w[at]:.6g}")


def expect_raises(kinds: type | tuple, action: Callable[[], Any], what: str) -> BaseException:
    """Run `action`; it must raise one of `kinds`. A NotImplementedError that is not expected
    passes through (so the runner says "not implemented yet")."""
    try:
        action()
    except kinds as exc:
        return exc
    except NotImplementedError:
        raise
    except Exception as exc:
        names = " or ".join(k.__name__ for k in (kinds if isinstance(kinds, tuple) else (kinds,)))
        fail(f"{what} raised {type(exc).__name__}: {exc}; expected {names}")
    names = " or ".join(k.__name__ for k in (kinds if isinstance(kinds, tuple) else (kinds,)))
    fail(f"{what} did not raise {names}")
    raise AssertionError  # unreachable: fail() raised


def names_of(pairs: Any, what: str) -> list:
    """The names of an iterable of (name, value) pairs, failing clearly on None or non-pairs."""
    items = listed(pairs, what)
    for item in items:
        if not (isinstance(item, tuple) and len(item) == 2):
            fail(f"{what} yielded {show(item)}, expected (name, value) pairs")
    return [name for name, _ in items]


def listed(values: Any, what: str) -> list:
    """`list(values)`, failing clearly when the method returned None."""
    if values is None:
        fail(f"{what} returned None (return or yield the values)")
    return list(values)


def named_dict(module: Any, what: str = "named_parameters()") -> dict:
    """`dict(module.named_parameters())`, failing clearly when it is not made of pairs."""
    pairs = listed(module.named_parameters(), what)
    names_of(pairs, what)
    return dict(pairs)


def set_values(t: Tensor, values: Any) -> None:
    """Write `values` into the tensor `t` in place (under no_grad, as a parameter allows)."""
    with no_grad():
        t.copy_(np.asarray(values, dtype=t.dtype))


def text_difference(got: Any, want: str, what: str) -> None:
    """Fail with the first differing line unless the text `got` equals `want`."""
    if not isinstance(got, str):
        fail(f"{what} is {type(got).__name__}, expected a str")
    if got == want:
        return
    got_lines, want_lines = got.split("\n"), want.split("\n")
    for i, (g, w) in enumerate(zip(got_lines, want_lines)):
        if g != w:
            fail(f"{what}, line {i + 1}: got {g!r}, expected {w!r}")
    if len(got_lines) != len(want_lines):
        fail(f"{what} has {len(got_lines)} lines, expected {len(want_lines)}: got {got!r}")
