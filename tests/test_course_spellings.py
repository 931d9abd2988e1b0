"""The course's spellings: `clownpiece.course.COURSE_SPELLINGS` and the package agree."""

import builtins
import importlib
import inspect
import pathlib
import re

import pytest

from clownpiece.course import COURSE_SPELLINGS, CourseSpelling


def resolve(where: str):
    module_name, _, qualname = where.partition(":")
    obj = importlib.import_module(module_name)
    for part in filter(None, qualname.split(".")):
        obj = getattr(obj, part)
    return obj


def problems(entry: CourseSpelling) -> list[str]:
    """What is wrong with one listed spelling (empty when the package honours it)."""
    obj = resolve(entry.where)
    if entry.kind == "alias" and inspect.isclass(obj) and issubclass(obj, BaseException):
        return [
            f"{entry.where} is not a {base}"
            for base in (entry.spelling, entry.canonical)
            if not issubclass(obj, getattr(builtins, base))
        ]
    if entry.kind == "alias":
        out = []
        if getattr(obj, entry.spelling, None) is not getattr(obj, entry.canonical, object()):
            out.append(f"{entry.where}.{entry.spelling} is not {entry.canonical}")
        if entry.spelling in getattr(obj, "__all__", ()):
            out.append(f"{entry.spelling} is in {entry.where}.__all__ (documented surface)")
        return out
    if entry.kind == "subclass":
        out = []
        if not issubclass(getattr(obj, entry.spelling), getattr(obj, entry.canonical)):
            out.append(f"{entry.spelling} is not a subclass of {entry.canonical}")
        if entry.spelling in getattr(obj, "__all__", ()):
            out.append(f"{entry.spelling} is in {entry.where}.__all__ (documented surface)")
        return out
    if entry.kind == "keyword":
        params = inspect.signature(obj).parameters
        return [
            f"{entry.where} takes no {name}="
            for name in (entry.spelling, entry.canonical)
            if name not in params
        ]
    if entry.kind == "value":
        return (
            []
            if obj(entry.spelling) == obj(entry.canonical)
            else [f"{entry.where}({entry.spelling!r}) differs from {entry.canonical!r}"]
        )
    return [f"unknown kind {entry.kind!r}"]


@pytest.mark.parametrize("entry", COURSE_SPELLINGS, ids=lambda e: e.spelling)
def test_listed_spelling_works(entry):
    assert problems(entry) == []


def test_checker_catches_wrong_entries():
    wrong = [
        CourseSpelling("clownpiece.nn.init", "calcuate_gain", "constant_", "alias", "wrong target"),
        CourseSpelling("clownpiece.nn.init", "no_such_alias", "constant_", "alias", "missing"),
        CourseSpelling(
            "clownpiece.nn.module:Module.named_parameters",
            "recursiv",
            "recurse",
            "keyword",
            "missing keyword",
        ),
        CourseSpelling("clownpiece.nn.init:calculate_gain", "tanh", "relu", "value", "differs"),
    ]
    for entry in wrong:
        assert problems(entry), entry


def test_aliases_behave_like_their_canonical_spelling():
    from clownpiece import Tensor, nn
    from clownpiece.nn import init

    model = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 1)))
    assert [n for n, _ in model.named_parameters(recursive=False)] == []
    assert len(list(model.parameters(recursive=True))) == 4
    t = Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.sum(0, keepdims=True).shape == t.sum(0, keepdim=True).shape == (1, 2)
    with pytest.raises(KeyError):
        init.calcuate_gain("swish")
    with pytest.raises(ValueError):
        init.calculate_gain("swish")


def test_every_course_spelling_comment_is_listed():
    """A `# course spelling` comment in the package names a spelling from the list."""
    root = pathlib.Path(__file__).resolve().parents[1] / "clownpiece"
    listed = {e.spelling for e in COURSE_SPELLINGS}
    unlisted = []
    for path in root.rglob("*.py"):
        if path.name == "course.py":
            continue
        for line in path.read_text().splitlines():
            if re.search(r"course('s)? spelling", line) and not any(s in line for s in listed):
                unlisted.append(f"{path.name}: {line.strip()}")
    assert unlisted == []
