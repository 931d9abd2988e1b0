"""No chapter shows a method's reference source before the exercise that asks for it.

A chapter's exercise is a `check("group")` cell; the reference is a `show_source(...)` cell.
`GROUPS[group].task` names what the student writes ("nn/module.py: Module.__init__, ...").
"""

import ast
import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

from clownpiece.exercises import GROUPS

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
spec = importlib.util.spec_from_file_location(
    "refresh_chapters", ROOT / "book/_tools/refresh_chapters.py"
)
refresh = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = refresh
spec.loader.exec_module(refresh)

MODULE_OF_FILE = {"train.py": "clownpiece.exercises.reference_train"}


def asked(task: str) -> tuple[str, set[str]]:
    """(module of the task's file, qualified names the task asks for)."""
    file, _, names = task.partition(": ")
    module = MODULE_OF_FILE.get(file, "clownpiece." + file.removesuffix(".py").replace("/", "."))
    qualnames, owner = set(), ""
    for word in re.findall(r"[A-Za-z_][\w.]*", names):
        if "." in word:
            owner = word.split(".")[0]
        elif owner and (word.startswith("_") or word[0].islower()) and word != "every":
            word = f"{owner}.{word}"  # "Module.train, eval": eval is Module.eval
        qualnames.add(word)
    return module, qualnames


def asks_for(group: str, path: str) -> bool:
    """Does the exercise `group` ask the student to write what `path` names?"""
    module, names = asked(GROUPS[group].task)
    shown_module, _, shown = path.partition(":")
    if shown_module != module:
        return False
    if "every" in names:  # "nn/init.py: every function"
        return True
    return any(shown == n or shown == n.split(".")[0] or n == shown.split(".")[0] for n in names)


def events(chapter: Path) -> list[tuple[int, str, str]]:
    """(cell index, "check" or "show", group or path) in the order a reader meets them."""
    found = []
    for index, cell in enumerate(json.loads(chapter.read_text())["cells"]):
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        for node in ast.walk(ast.parse(refresh.python_source(source))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "check":
                found.append((index, "check", node.args[0].value))
        for paths in refresh.shown_paths(source):
            found += [(index, "show", p) for p in paths]
    return found


def premature(chapters: list[Path]) -> list[str]:
    """Every reference shown before the exercise that asks for it."""
    checked, problems = set(), []
    for chapter in chapters:
        for index, kind, what in events(chapter):
            if kind == "check":
                checked.add(what)
                continue
            for group in GROUPS:
                if group != "function" and asks_for(group, what) and group not in checked:
                    problems.append(
                        f"{chapter.name} cell {index} shows {what} before check({group!r})"
                    )
    return problems


def test_the_task_parser_reads_the_groups():
    assert asked(GROUPS["registration"].task)[1] >= {"Module.__init__", "Module.__setattr__"}
    assert asks_for("linear", "clownpiece.nn.layers:Linear")
    assert asks_for("registration", "clownpiece.nn.module:Module.__setattr__")
    assert asks_for("init", "clownpiece.nn.init:xavier_uniform_")
    assert asks_for("sgd_step", "clownpiece.exercises.reference_train:sgd_step")
    assert not asks_for("linear", "clownpiece.nn.activations:Tanh")
    assert not asks_for("state_dict", "clownpiece.nn.module:Module.__setattr__")


def test_a_reference_shown_too_early_is_caught(tmp_path):
    cells = [
        {
            "cell_type": "code",
            "source": 'show_source("clownpiece.nn.layers:Linear")',
            "metadata": {},
            "outputs": [],
            "execution_count": 1,
        },
        {
            "cell_type": "code",
            "source": 'check("linear")',
            "metadata": {},
            "outputs": [],
            "execution_count": 2,
        },
    ]
    early = tmp_path / "06_early.ipynb"
    early.write_text(json.dumps({"cells": cells}))
    assert premature([early]) == [
        "06_early.ipynb cell 0 shows clownpiece.nn.layers:Linear before check('linear')"
    ]
    late = tmp_path / "06_late.ipynb"
    late.write_text(json.dumps({"cells": cells[::-1]}))
    assert premature([late]) == []


@pytest.mark.skipif(not CHAPTERS, reason="no chapters")
def test_no_chapter_shows_a_reference_before_its_exercise():
    assert premature(CHAPTERS) == []
