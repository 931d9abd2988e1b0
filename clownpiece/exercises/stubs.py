"""Finding unwritten code: functions whose body is still only `pass` (or `...`, or a docstring).

The runner traces calls while a check runs; a check that called such a stub fails with
"not implemented yet", whatever else happened, so an unsolved skeleton never passes by luck.
"""

from __future__ import annotations

import ast
import inspect
import os
import sys
import textwrap
import types
from pathlib import Path
from typing import Any


def is_stub(fn: types.FunctionType) -> bool:
    """True when `fn`'s body (after its docstring) is only `pass` or `...`."""
    try:
        source = textwrap.dedent(inspect.getsource(fn))
        node = ast.parse(source).body[0]
    except (OSError, TypeError, SyntaxError, IndexError):
        return False
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        if isinstance(body[0].value.value, str):
            body = body[1:]
    return all(
        isinstance(stmt, ast.Pass)
        or (
            isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Constant)
            and stmt.value.value is Ellipsis
        )
        for stmt in body
    )


def _functions(obj: Any, module_name: str | None) -> list[types.FunctionType]:
    """The plain functions behind `obj`: itself, a class's methods, or a module's own members."""
    if isinstance(obj, types.FunctionType):
        return [obj]
    if isinstance(obj, (staticmethod, classmethod)):
        return _functions(obj.__func__, module_name)
    if isinstance(obj, property):
        return [f for f in (obj.fget, obj.fset, obj.fdel) if isinstance(f, types.FunctionType)]
    if isinstance(obj, type):
        return [f for member in vars(obj).values() for f in _functions(member, module_name)]
    if isinstance(obj, types.ModuleType):
        found = []
        for member in vars(obj).values():
            if getattr(member, "__module__", None) == obj.__name__ and isinstance(
                member, (type, types.FunctionType)
            ):
                found.extend(_functions(member, obj.__name__))
        return found
    return []


def label(filename: str, root: Path | None) -> str:
    """`filename` relative to the student's folder (no machine path), `<cell>` for code typed
    in a notebook cell (ipykernel compiles cells to /tmp/ipykernel_<pid>/<hash>.py), else its
    base name."""
    if Path(filename).parent.name.startswith("ipykernel_") or filename.startswith("<ipython-"):
        return "<cell>"
    if root is not None:
        try:
            return Path(filename).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return os.path.basename(filename)


def scan(objects: list, root: Path | None) -> tuple[dict, dict]:
    """(stub code -> "Class.method (file:line)", file name -> label) for `objects`' code."""
    stubs: dict = {}
    files: dict = {}
    seen: set = set()
    for obj in objects:
        for fn in _functions(obj, None):
            code = fn.__code__
            if code in seen:
                continue
            seen.add(code)
            short = label(code.co_filename, root)
            files[code.co_filename] = short
            if is_stub(fn):
                stubs[code] = f"{fn.__qualname__} ({short}:{code.co_firstlineno})"
    return stubs, files


class StubTracer:
    """While active, remembers the first stub (of `stubs`) that was called."""

    def __init__(self, stubs: dict) -> None:
        self.stubs = stubs
        self.hit: str | None = None
        self._previous: Any = None

    def _trace(self, frame: types.FrameType, event: str, arg: Any) -> None:
        if self.hit is None and frame.f_code in self.stubs:
            self.hit = self.stubs[frame.f_code]
        return None  # no line-by-line tracing: calls only

    def __enter__(self) -> StubTracer:
        if self.stubs:
            self._previous = sys.gettrace()
            sys.settrace(self._trace)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.stubs:
            sys.settrace(self._previous)
