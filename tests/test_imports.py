"""No import cycle in `clownpiece/`: the package's import graph, read from the source, is acyclic.

The graph is built from the AST of every module, counting every import statement (also
those inside functions, which run later but still need their target importable) and the
packages an import executes: `import a.b.c` runs `a/__init__`, `a/b/__init__` and `a/b/c`.
A package that contains the importing module is the exception: its `__init__` is already
running when the module is imported, so reaching it adds no edge, unless the module imports
a *name* from it (`from clownpiece import Tensor`), which needs that `__init__` to have
got that far. That is exactly how `tensor.py` <-> `autograd/` used to form a cycle:
`tensor.py` imported `autograd.engine`, which runs `autograd/__init__`, which imports
`autograd.function`, which imports `tensor.py`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import clownpiece

PACKAGE = Path(clownpiece.__file__).parent


def module_names(package_dir: Path) -> dict[str, Path]:
    """Dotted name -> file of every module under `package_dir` (packages by their __init__)."""
    names = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def prefixes(name: str) -> list[str]:
    """'a.b.c' -> ['a', 'a.b', 'a.b.c']."""
    parts = name.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def import_graph(package_dir: Path) -> dict[str, set[str]]:
    """module -> the modules of the package that importing it may execute."""
    modules = module_names(package_dir)
    return {name: executed_imports(name, path, modules) for name, path in modules.items()}


def executed_imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's modules that the imports in module `name` (file `path`) execute."""
    own_package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    running = set(prefixes(name)[:-1])  # packages whose __init__ runs before this module
    found: set[str] = set()

    def needs(target: str, reads_init_names: bool = False) -> None:
        for step in prefixes(target):
            if step not in modules or step == name:
                continue
            if step in running and not (step == target and reads_init_names):
                continue  # already running, and no name is read from it
            found.add(step)

    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                needs(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: climb level - 1 packages up from our own
                anchor = own_package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            submodules = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules]
            for submodule in submodules:
                needs(submodule)
            # a name that is not a submodule is an attribute set by base's __init__
            needs(base, reads_init_names=len(submodules) < len(node.names))
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `graph` as a path [a, b, ..., a], or None when it is acyclic."""
    state: dict[str, str] = {}  # "open" while on the DFS path, "done" after
    for start in sorted(graph):
        if start in state:
            continue
        path, stack = [], [(start, iter(sorted(graph[start])))]
        state[start] = "open"
        path.append(start)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                state[node] = "done"
            elif state.get(child) == "open":
                return path[path.index(child) :] + [child]
            elif child not in state:
                state[child] = "open"
                path.append(child)
                stack.append((child, iter(sorted(graph.get(child, ())))))
    return None


def test_clownpiece_has_no_import_cycle():
    graph = import_graph(PACKAGE)
    assert find_cycle(graph) is None, f"import cycle: {' -> '.join(find_cycle(graph))}"


def test_the_graph_sees_the_layering():
    """The builder finds the real edges (an empty graph would pass the test above)."""
    graph = import_graph(PACKAGE)
    assert {"clownpiece.engine", "clownpiece.ops", "clownpiece.grad_mode"} <= graph[
        "clownpiece.tensor"
    ]
    assert "clownpiece.tensor" in graph["clownpiece.autograd.function"]
    assert "clownpiece.tensor" in graph["clownpiece.nn.functional"]
    # below the tensor layer, nothing reaches tensor.py or autograd/
    for low in ("clownpiece.engine", "clownpiece.grad_mode", "clownpiece.dtypes", "clownpiece.rng"):
        assert not {"clownpiece.tensor", "clownpiece.autograd"} & graph[low]
    for module in (m for m in graph if m.startswith("clownpiece.ops")):
        assert not {"clownpiece.tensor", "clownpiece.autograd"} & graph[module]


def write_package(root: Path, files: dict[str, str]) -> Path:
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return root / "pkg"


OLD_LAYOUT = {  # the shape clownpiece had: tensor.py imports autograd at its end
    "pkg/__init__.py": "from .tensor import Tensor\n",
    "pkg/rng.py": "",
    "pkg/tensor.py": "from . import rng\nclass Tensor: ...\nfrom .autograd import engine\n",
    "pkg/autograd/__init__.py": "from .function import Function\n",
    "pkg/autograd/function.py": "from ..tensor import Tensor\nclass Function: ...\n",
    "pkg/autograd/engine.py": "import numpy\n",
}


def test_cycle_through_a_package_init_is_found(tmp_path):
    graph = import_graph(write_package(tmp_path, OLD_LAYOUT))
    cycle = find_cycle(graph)
    assert cycle is not None and cycle[0] == cycle[-1]
    assert {"pkg.tensor", "pkg.autograd", "pkg.autograd.function"} <= set(cycle)


def test_cycle_through_an_import_inside_a_function_is_found(tmp_path):
    layout = dict(OLD_LAYOUT)
    layout["pkg/tensor.py"] = (
        "class Tensor:\n    def f(self):\n        from .autograd import engine\n"
    )
    assert find_cycle(import_graph(write_package(tmp_path, layout))) is not None


def test_importing_a_name_from_the_enclosing_package_counts(tmp_path):
    layout = {
        "pkg/__init__.py": "from .a import A\nfrom .b import B\n",
        "pkg/a.py": "class A: ...\n",
        "pkg/b.py": "from pkg import A\nclass B: ...\n",  # needs pkg/__init__, which needs b
    }
    assert find_cycle(import_graph(write_package(tmp_path, layout))) == ["pkg", "pkg.b", "pkg"]


def test_layered_package_has_no_cycle(tmp_path):
    """The new shape: the engine below, autograd above; siblings reached through `from .`."""
    layout = {
        "pkg/__init__.py": "from .tensor import Tensor\nfrom .autograd import Function\n",
        "pkg/engine.py": "import numpy\n",
        "pkg/tensor.py": "from . import engine\nfrom .engine import run\nclass Tensor: ...\n",
        "pkg/autograd/__init__.py": "from .function import Function\n",
        "pkg/autograd/function.py": "from ..tensor import Tensor\nfrom .. import engine\n",
    }
    graph = import_graph(write_package(tmp_path, layout))
    assert find_cycle(graph) is None
    assert graph["pkg.tensor"] == {"pkg.engine"}


@pytest.mark.parametrize(
    "graph, has_cycle",
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, False),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, True),
        ({"a": {"a"}}, True),
        ({"a": {"b", "c"}, "b": {"c"}, "c": set()}, False),
    ],
)
def test_find_cycle_on_small_graphs(graph, has_cycle):
    cycle = find_cycle(graph)
    assert (cycle is not None) == has_cycle
    if cycle:
        assert all(b in graph[a] for a, b in zip(cycle, cycle[1:]))
