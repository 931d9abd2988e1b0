"""Showing the package's own code after an exercise: `show_source("clownpiece.nn.module:Module.
__setattr__")`. Chapters name what they show with such literal strings ("module path:qualified
name"), so a script can find which chapters show which functions (parse the notebooks for the
strings, `resolve` each one) and re-run exactly those whose displayed code changed."""

from __future__ import annotations

import importlib
import inspect
import textwrap
from typing import Any


def resolve(path: str) -> Any:
    """The object named by "package.module:Qualified.name" (e.g. a method or a class)."""
    module_name, colon, qualname = path.partition(":")
    if not colon or not module_name or not qualname:
        raise ValueError(f"expected 'module.path:Qualified.name', got {path!r}")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        try:
            obj = inspect.getattr_static(obj, part)
        except AttributeError:
            raise AttributeError(f"{path!r}: {part!r} not found") from None
        if isinstance(obj, (staticmethod, classmethod)):
            obj = obj.__func__
    return obj.fget if isinstance(obj, property) else obj


def source_text(*paths: str) -> str:
    """The dedented source of every named object, separated by blank lines."""
    return "\n\n".join(textwrap.dedent(inspect.getsource(resolve(p))).rstrip() for p in paths)


def heading(*paths: str) -> str:
    """What `show_source` shows, in one line: "Module.__setattr__ in clownpiece/nn/module.py"."""
    named = []
    for path in paths:
        module_name, _, qualname = path.partition(":")
        named.append(f"{qualname} in {module_name.replace('.', '/')}.py")
    return "Reference: " + "; ".join(named)


class SourceDisplay:
    """The named objects' source: as plain text exactly `source_text(*paths)`; as HTML a line
    naming them (JupyterLab shows an output's first line on its collapsed placeholder), then
    the highlighted code."""

    def __init__(self, *paths: str) -> None:
        self.paths, self.text = paths, source_text(*paths)

    def _repr_html_(self) -> str:
        from IPython.display import Code

        return f"{heading(*self.paths)}\n{Code(self.text, language='python')._repr_html_()}"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.text)


def show_source(*paths: str) -> SourceDisplay:
    """A syntax-highlighted display of the named objects' source; its plain text is exactly
    `source_text(*paths)`."""
    return SourceDisplay(*paths)
