"""Loading the student's own package (`<folder>/nn/` and `<folder>/train.py`), fresh each time.

The package is imported under the private name `_student` (`_student.nn`, `_student.train`),
always compiled from the source files (never from cached bytecode, and none is written into
the student's folder), and dropped from `sys.modules` before every load, so an edit made in
JupyterLab shows up at the next check without restarting the kernel.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import os
import sys
import types
from pathlib import Path
from typing import Any, NamedTuple

PACKAGE = "_student"
ENV = "CLOWNPIECE_NN"
DEFAULT_FOLDERS = ("student", os.path.join("book", "student"))


class _SourceOnlyLoader(importlib.machinery.SourceFileLoader):
    """Compile from the .py file every time: no stale bytecode, no __pycache__ written."""

    def get_code(self, fullname: str) -> types.CodeType:
        return self.source_to_code(self.get_data(self.path), self.path)


class _StudentFinder(importlib.abc.MetaPathFinder):
    """Finds `_student.*` modules in the student's folder, loading them from source."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if not fullname.startswith(PACKAGE + "."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            spec.loader = _SourceOnlyLoader(fullname, str(spec.origin))
            spec.cached = None
        return spec


def _install_finder() -> None:
    if not any(isinstance(f, _StudentFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _StudentFinder())


def _search(path: str) -> Path | None:
    """`path` if it holds `nn/`; a relative path is tried from here and from each parent folder
    (a notebook's kernel runs in `book/`, a shell in the repository root)."""
    candidate = Path(path).expanduser()
    bases = [Path()] if candidate.is_absolute() else [Path.cwd(), *Path.cwd().parents]
    for base in bases:
        folder = base / candidate
        if (folder / "nn").is_dir():
            return folder
    return None


def student_folder(path: str | os.PathLike | None = None) -> Path:
    """The folder holding the student's `nn/`: `path`, else $CLOWNPIECE_NN, else the first of
    ./student and ./book/student that exists."""
    if path is None:
        path = os.environ.get(ENV) or None
    if path is not None:
        found = _search(os.fspath(path))
        if found is None:
            raise FileNotFoundError(f"no folder {os.fspath(path)!r} with an nn/ package inside")
        return found
    for folder in DEFAULT_FOLDERS:
        if (Path(folder) / "nn").is_dir():
            return Path(folder)
    raise FileNotFoundError(
        f"no student package here: neither {' nor '.join(DEFAULT_FOLDERS)} holds an nn/ folder "
        f"(run from the repository root or from book/, or set {ENV})"
    )


def _fresh_parent(folder: Path, name: str) -> None:
    """Forget `_student.<name>` and its submodules; point `_student` at `folder`."""
    _install_finder()
    for key in [
        k for k in sys.modules if k == f"{PACKAGE}.{name}" or k.startswith(f"{PACKAGE}.{name}.")
    ]:
        del sys.modules[key]
    parent = sys.modules.get(PACKAGE)
    if parent is None:
        parent = types.ModuleType(PACKAGE, "The student's package, loaded by clownpiece.exercises.")
        sys.modules[PACKAGE] = parent
    parent.__path__ = [str(folder.resolve())]
    importlib.invalidate_caches()


def _load(folder: Path, name: str) -> types.ModuleType:
    _fresh_parent(folder, name)
    try:
        return importlib.import_module(f"{PACKAGE}.{name}")
    except BaseException:
        _fresh_parent(folder, name)  # leave no half-imported modules behind
        raise


def load_nn(path: str | os.PathLike | None = None) -> types.ModuleType:
    """Import `<folder>/nn` afresh (see `student_folder` for the folder) and return it."""
    return _load(student_folder(path), "nn")


def load_train(path: str | os.PathLike | None = None) -> types.ModuleType:
    """Import `<folder>/train.py` afresh and return it."""
    return _load(student_folder(path), "train")


class TrainingNN(NamedTuple):
    """`training_nn()`'s answer: the nn package to build models from, and which one it is."""

    nn: types.ModuleType
    description: str


def training_nn() -> TrainingNN:
    """The student's package when $CLOWNPIECE_NN is set, else `clownpiece.nn`, with a line
    saying which (no machine path for the reference, so a chapter's stored output is stable)."""
    if not os.environ.get(ENV):
        from .. import nn

        return TrainingNN(
            nn,
            f"models from clownpiece.nn ({ENV}=<folder> trains on your own package)",
        )
    folder = student_folder()
    return TrainingNN(
        load_nn(folder), f"models are built from your package {folder.resolve() / 'nn'}"
    )
