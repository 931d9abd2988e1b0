"""The layout of clownpiece.data: one concern per module, the old names still importable."""

from __future__ import annotations

import ast
from pathlib import Path

import clownpiece
from clownpiece import data

PACKAGE = Path(data.__file__).parent

# every public name of the single-file clownpiece/data.py (commit db77816), chapters' ones first
OLD_NAMES = [
    "make_estate", "estate_price", "train_test_split", "standardize", "batches", "progress",
    "load_digits", "Digits", "Estate", "Mnist", "load_mnist", "read_idx", "write_idx",
    "ESTATE_FEATURES", "IDX_DTYPES", "MNIST_FILES",
]  # fmt: skip


def test_old_names_and_new_ones_are_reexported():
    for name in OLD_NAMES + ["mnist_path", "MNIST_ENV"]:
        assert hasattr(data, name), name
    assert sorted(data.__all__) == sorted(set(OLD_NAMES) | {"mnist_path", "MNIST_ENV"})
    assert data.progress is data.progress_line.progress  # the class, not a module
    assert clownpiece.data is data


def test_one_small_module_per_concern():
    modules = sorted(p.stem for p in PACKAGE.glob("*.py"))
    assert modules == [
        "__init__", "batching", "digits", "estate", "idx", "mnist", "progress_line", "split",
    ]  # fmt: skip
    for path in PACKAGE.glob("*.py"):
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 200, path.name


def imports_of(path: Path) -> set[str]:
    """The clownpiece modules `path` imports (relative imports resolved)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = ["clownpiece", "data"][: 3 - node.level]
            found.add(".".join(base + ([node.module] if node.module else [])))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("clownpiece"):
            found.add(node.module)
    return found


def test_imports_point_downward_only():
    allowed_outside = {"clownpiece", "clownpiece.tensor"}  # `from .. import rng`, Tensor
    for path in PACKAGE.glob("*.py"):
        for module in imports_of(path):
            if not module.startswith("clownpiece.data"):
                assert module in allowed_outside, f"{path.name} imports {module}"
    assert imports_of(PACKAGE / "estate.py") == set()
    assert imports_of(PACKAGE / "progress_line.py") == set()
    assert imports_of(PACKAGE / "mnist.py") == {"clownpiece.data.idx"}


def test_no_private_tensor_attributes():
    for path in PACKAGE.glob("*.py"):
        assert "._data" not in path.read_text(encoding="utf-8"), path.name
