"""The two ways to run checks: `check(group)` in a chapter (prints the table, never raises)
and `run(selection, nn, train)` in the grader and the tests (returns the `Report`)."""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path
from typing import Any

from ..autograd import Function
from .catalog import GROUPS, groups_of
from .expect import Namespace
from .report import Report, Row, one_line
from .runner import Subject, run_groups
from .stubs import label, scan
from .student import PACKAGE, load_nn, load_train, student_folder


def import_error(exc: BaseException, folder: Path | None) -> str:
    """A one-line reason for a package that does not import: type, message and file:line."""
    if isinstance(exc, SyntaxError) and exc.filename:
        where = f" ({label(exc.filename, folder)}:{exc.lineno})"
        text = f"{type(exc).__name__}: {exc.msg}"
    else:
        where, tb = "", exc.__traceback__
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if folder is not None and Path(filename).resolve().is_relative_to(folder.resolve()):
                where = f" ({label(filename, folder)}:{tb.tb_lineno})"
            tb = tb.tb_next
        text = f"{type(exc).__name__}: {exc}"
    return f"the package does not import: {one_line(text, 160)}{where}"


def student_subject(kind: str, path: Any = None, objects: dict | None = None) -> Subject:
    """The student's `nn` package or `train` module (loaded afresh), with `objects` laid over
    it; a package that does not import gives a Subject whose every check fails with why."""
    objects = objects or {}
    try:
        folder = student_folder(path)
    except FileNotFoundError as exc:
        return Subject(error=f"not implemented yet: {exc}")
    if kind == "train" and not (folder / "train.py").is_file():
        return Subject(error=f"not implemented yet: no train.py next to nn/ in {folder}")
    try:
        loaded: Any = load_nn(folder) if kind == "nn" else load_train(folder)
    except Exception as exc:  # SyntaxError, ImportError, anything the student's code raises
        return Subject(error=import_error(exc, folder))
    loaded = Namespace(loaded, **objects) if objects else loaded
    return Subject(loaded, *scan(_code_of(loaded), folder))


def reference_subject(kind: str, objects: dict | None = None) -> Subject:
    """`clownpiece.nn` (or the reference training helpers), with `objects` laid over it."""
    from .. import nn
    from . import reference_train

    reference: Any = nn if kind == "nn" else reference_train
    if not objects:
        return Subject(reference)
    laid_over = Namespace(reference, **objects)
    return Subject(laid_over, *scan(_code_of(laid_over), None))


def _code_of(value: Any) -> list:
    """What to scan for stubs in a namespace under test: the objects laid over it and, for the
    student's package, its modules (never clownpiece's own code)."""
    if value is None:
        return []
    if isinstance(value, Namespace):
        return list(value.__dict__["_objects"].values()) + _code_of(value.__dict__["_base"])
    if isinstance(value, types.ModuleType):
        name = value.__name__
        if not name.startswith(PACKAGE + "."):
            return []
        return [m for k, m in list(sys.modules.items()) if k == name or k.startswith(name + ".")]
    return list(vars(value).values()) if hasattr(value, "__dict__") else []


def run(
    selection: str | list[str],
    nn: Any = None,
    train: Any = None,
    *,
    title: str = "",
    base_seed: int = 0,
    timeout: float | None = None,
) -> Report:
    """Run the checks of `selection` (group or part names) on `nn` / `train`: each may be a
    Subject, a namespace (e.g. `clownpiece.nn`, a `Namespace`), or None for the reference."""
    names = [selection] if isinstance(selection, str) else list(selection)
    groups = [g for name in names for g in groups_of(name)]
    subjects = {}
    for kind, given in (("nn", nn), ("train", train)):
        if given is None:
            subjects[kind] = reference_subject(kind)
        elif isinstance(given, Subject):
            subjects[kind] = given
        else:
            subjects[kind] = Subject(given, *scan(_code_of(given), None))
    return run_groups(groups, subjects, title or " ".join(names), base_seed, timeout)


def _where(folder: Any) -> str:
    """The student's folder as a chapter may print it: relative, no machine path if possible."""
    try:
        path = student_folder(folder)
    except FileNotFoundError:
        return "your package"
    text = os.path.relpath(path) if path.is_absolute() else str(path)
    return text if not text.startswith(os.pardir + os.sep + os.pardir) else path.name


def check(group: str, *, path: Any = None, **objects: Any) -> Report:
    """Run one exercise group (or a whole part) on the student's package, loaded afresh from
    `path` ($CLOWNPIECE_NN, ./student or ./book/student), with `objects` (e.g. a class written
    in the notebook: `Module=Module`) used instead of the package's names. Prints the table
    and returns the report; never raises, whatever the student's code does."""
    try:
        groups = groups_of(group)
        kinds = {g.subject for g in groups}
        if "function" in kinds:
            return check_function(objects.get("function"), objects.get("reference"))
        subjects = {kind: student_subject(kind, path, objects) for kind in kinds}
        extra = f" + {', '.join(sorted(objects))} from the notebook" if objects else ""
        title = f"{group} on {_where(path)}{'/nn' if kinds == {'nn'} else ''}{extra}"
        report = run_groups(groups, subjects, title)
    except Exception as exc:  # an unknown group, or anything else: a check cell never raises
        reason = str(exc.args[0]) if isinstance(exc, KeyError) else f"{type(exc).__name__}: {exc}"
        report = Report(f"check({group!r})", [Row("the checks could run", False, one_line(reason))])
    print(report.text())
    report.printed = True
    return report


def check_function(
    fn_cls: Any, reference: Any, name: str | None = None, verbose: bool = True
) -> Report:
    """Chapter 1's check of a `Function` subclass `fn_cls` against `reference` (a Tensor ->
    Tensor callable such as `Tensor.sigmoid`). Prints the table when `verbose`."""
    name = name or getattr(fn_cls, "__name__", repr(fn_cls))
    title = f"check_function({name})"
    if not (isinstance(fn_cls, type) and issubclass(fn_cls, Function)):
        reason = f"{name} is not a subclass of clownpiece.autograd.Function"
        report = Report(title, [Row("is a Function subclass", False, reason, "function")])
    else:
        stubs, files = scan([fn_cls], None)
        subject = Subject(Namespace(function=fn_cls, reference=reference), stubs, files)
        report = run_groups([GROUPS["function"]], {"function": subject}, title)
    if verbose:
        print(report.text())
        report.printed = True
    return report


def grade_subjects(impl: str | None) -> tuple[dict[str, Subject], str]:
    """The subjects the grader runs on, and a line saying what is graded: `impl` is a folder
    holding `nn/` (default ./book/student, else ./student) or "reference"."""
    if impl == "reference":
        return {"nn": reference_subject("nn"), "train": reference_subject("train")}, (
            "grading the reference: clownpiece.nn and clownpiece.exercises.reference_train"
        )
    folder = impl
    if folder is None:
        folder = next(
            (
                f
                for f in (os.path.join("book", "student"), "student")
                if os.path.isdir(os.path.join(f, "nn"))
            ),
            os.path.join("book", "student"),
        )
    subjects = {kind: student_subject(kind, folder) for kind in ("nn", "train")}
    return subjects, f"grading {folder} (nn/ and train.py)"


__all__ = ["check", "check_function", "grade_subjects", "run", "student_subject"]
