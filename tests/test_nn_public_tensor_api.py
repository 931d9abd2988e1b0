"""clownpiece.nn uses only the tensor layer's public API (issue 13): students read and copy it."""

import ast
from pathlib import Path

import pytest

import clownpiece as cp

NN = Path(cp.nn.__file__).parent


def tensor_private_names() -> set[str]:
    """Single-underscore attributes of Tensor and its bases (slots and methods)."""
    names = set()
    for cls in cp.Tensor.__mro__:
        for name in [*vars(cls), *getattr(cls, "__slots__", ())]:
            if name.startswith("_") and not name.startswith("__"):
                names.add(name)
    return names


def private_tensor_uses(source: str) -> list[str]:
    """`x._name` accesses whose name is one of Tensor's private attributes."""
    private = tensor_private_names()
    return [
        node.attr
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and node.attr in private
    ]


def test_the_private_names_are_known():
    assert {"_data", "_wrap"} <= tensor_private_names()


def test_the_scan_catches_a_private_access():
    assert private_tensor_uses("def f(x):\n    return x._data + Tensor._wrap(x._data)\n") == [
        "_data",
        "_wrap",
        "_data",
    ]


@pytest.mark.parametrize("path", sorted(NN.rglob("*.py")), ids=lambda p: p.name)
def test_nn_file_touches_no_private_tensor_attribute(path):
    assert private_tensor_uses(path.read_text()) == []
