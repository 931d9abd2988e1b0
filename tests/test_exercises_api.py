"""The chapter-facing API of clownpiece.exercises: `check(group)` prints a table that fits the
book's column and never raises; the student's package is reloaded on every check; checks
leave the caller's random generators and grad mode alone; `training_nn`, `show_source` and
`resolve` work as chapters need."""

import inspect
import os
import random
import shutil
import sys
import textwrap

import numpy as np
import pytest
from student_packages import (
    ROOT,
    SOLUTION,
    STUDENT,
    copy_package,
    mix,
    shipped_skeleton,
    variant,
)

import clownpiece as cp
from clownpiece import Tensor
from clownpiece import nn as reference
from clownpiece.exercises import (
    GROUPS,
    Namespace,
    Report,
    check,
    load_nn,
    load_train,
    resolve,
    run,
    show_source,
    source_text,
    student_folder,
    training_nn,
)
from clownpiece.exercises.report import Row
from clownpiece.exercises.stubs import is_stub


@pytest.fixture(autouse=True)
def no_student_env(monkeypatch):
    monkeypatch.delenv("CLOWNPIECE_NN", raising=False)


def test_check_prints_a_table_that_fits_90_columns_and_returns_the_report(capsys):
    skeleton = shipped_skeleton()
    report = check("registration", path=skeleton)
    out = capsys.readouterr().out
    assert isinstance(report, Report) and not report and report.passed == 0
    lines = out.rstrip("\n").split("\n")
    assert lines[0] == f"registration on {os.path.relpath(skeleton)}/nn: 0/12 passed"
    assert max(len(line) for line in lines) <= 90
    assert lines[1] == "  FAIL  attribute access returns what was assigned"
    assert lines[2].startswith("        not implemented yet: Module.__init__ (nn/module.py:")
    assert repr(report) == f"<Report {lines[0].split(':')[0]}: 0/12 passed>"


def test_long_reasons_wrap_under_their_check():
    row = Row("a check", False, "word " * 40)
    text = Report("t", [row]).text(width=90)
    assert all(len(line) <= 90 for line in text.split("\n")) and text.count("\n") == 4
    assert Report("t", [row]).text(width=None).count("\n") == 1  # the grader keeps one line


def test_check_passes_on_a_solved_package_and_accepts_parts(capsys):
    assert check("registration", path=SOLUTION)
    assert check("part5", path=SOLUTION)
    out = capsys.readouterr().out
    assert "12/12 passed" in out and "9/9 passed" in out and "FAIL" not in out


def test_check_never_raises(capsys, tmp_path):
    assert not check("no_such_group", path=SOLUTION)
    assert "unknown exercise group or part 'no_such_group'" in capsys.readouterr().out
    empty = tmp_path / "empty"
    empty.mkdir()
    report = check("linear", path=empty)
    assert not report and report.total == 5
    assert "no folder" in report.rows[0].reason and "nn/ package" in report.rows[0].reason


def test_an_edit_shows_up_at_the_next_check_without_restarting(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # as on a student's machine
    folder = copy_package(shipped_skeleton(), tmp_path / "pkg")
    assert check("tanh", path=folder).passed == 0
    shutil.copy(SOLUTION / "nn" / "module.py", folder / "nn" / "module.py")
    shutil.copy(SOLUTION / "nn" / "activations.py", folder / "nn" / "activations.py")
    assert check("tanh", path=folder)
    (folder / "nn" / "activations.py").write_text(
        (folder / "nn" / "activations.py").read_text().replace("return x.tanh()", "return x")
    )
    assert check("tanh", path=folder).failed == ["forward is tanh", "backward is 1 - tanh^2"]
    assert not (folder / "nn" / "__pycache__").exists()  # nothing written into the student's folder


def test_the_package_loads_under_a_private_name_afresh_each_time():
    first, second = load_nn(SOLUTION), load_nn(SOLUTION)
    assert first.__name__ == "_student.nn" and first.Module.__module__ == "_student.nn.module"
    assert first is not second and first.Module is not second.Module
    assert sys.modules["_student.nn"] is second
    assert load_train(SOLUTION).__name__ == "_student.train"
    assert "clownpiece.nn" not in {m.__name__ for m in vars(second).values() if inspect.ismodule(m)}


def test_the_folder_comes_from_the_argument_the_environment_or_the_defaults(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert student_folder() == STUDENT.relative_to(ROOT)
    monkeypatch.chdir(ROOT / "book")
    assert str(student_folder()) == "student"
    monkeypatch.setenv("CLOWNPIECE_NN", "tests/fixtures/student_solution")  # relative to the root
    assert student_folder() == SOLUTION
    monkeypatch.setenv("CLOWNPIECE_NN", "no/such/folder")
    with pytest.raises(FileNotFoundError, match="no folder 'no/such/folder' with an nn/ package"):
        student_folder()


def test_training_nn_is_the_reference_unless_the_environment_names_a_package(monkeypatch):
    nn, description = training_nn()
    assert nn is reference
    assert (
        "clownpiece.nn" in description and str(ROOT) not in description and "/" not in description
    )
    monkeypatch.setenv("CLOWNPIECE_NN", str(SOLUTION))
    nn, description = training_nn()
    assert nn.__name__ == "_student.nn" and str(SOLUTION / "nn") in description


def test_a_correct_student_package_trains_the_regression_model(monkeypatch):
    """Chapter 8a's model and loop on the student's modules and sgd_step: the loss falls."""
    monkeypatch.setenv("CLOWNPIECE_NN", str(SOLUTION))
    nn = training_nn().nn
    sgd_step = load_train(SOLUTION).sgd_step
    cp.manual_seed(0)
    model = nn.Sequential(
        nn.Linear(5, 16),
        nn.LayerNorm(16),
        nn.Tanh(),
        nn.Linear(16, 16),
        nn.BatchNorm(16),
        nn.LeakyReLU(0.1),
        nn.Linear(16, 1),
    )
    gen = np.random.default_rng(0)
    x = gen.standard_normal((64, 5)).astype(np.float32)
    y = (x @ np.arange(1.0, 6.0) + 0.1 * gen.standard_normal(64))[:, None].astype(np.float32)
    loss_fn, losses = nn.MSELoss(), []
    for _ in range(60):
        loss = loss_fn(model(Tensor(x)), Tensor(y))
        loss.backward()
        sgd_step(model.parameters(), 0.05)
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]
    assert [n for n, _ in model.named_buffers()] == ["4.running_mean", "4.running_var"]


def test_checks_leave_the_random_generators_and_grad_mode_alone(capsys):
    def draws():
        return cp.randn(3).tolist(), np.random.rand(), random.random()

    cp.manual_seed(5)
    np.random.seed(5)
    random.seed(5)
    expected = draws()
    cp.manual_seed(5)
    np.random.seed(5)
    random.seed(5)
    check("init", path=SOLUTION)
    check("linear", path=shipped_skeleton())
    assert draws() == expected
    with cp.no_grad():
        check("sgd_step", path=SOLUTION)
        assert not cp.is_grad_enabled()
    assert cp.is_grad_enabled()

    def switches_grad_off(parameters, lr):  # a student's sgd_step that never switches it back
        cp.set_grad_enabled(False)

    assert not check("sgd_step", path=SOLUTION, sgd_step=switches_grad_off)
    assert cp.is_grad_enabled()


def test_objects_from_the_notebook_replace_the_package_names(capsys):
    class NotebookTanh(reference.Module):  # a notebook cell's class, on the reference Module
        def forward(self, x):
            return x.tanh()

    report = check("tanh", path=shipped_skeleton(), Tanh=NotebookTanh)
    assert report.failed == ["repr 'Tanh()'"]  # the class is not named Tanh
    assert "+ Tanh from the notebook" in capsys.readouterr().out

    class StubTanh(reference.Module):
        def forward(self, x):
            pass

    assert (
        run("tanh", Namespace(reference, Tanh=StubTanh))
        .reasons["forward is tanh"]
        .startswith(
            "not implemented yet: test_objects_from_the_notebook_replace_the_package_names.<locals>"
            ".StubTanh.forward (test_exercises_api.py:"
        )
    )


def test_reasons_say_what_is_missing_and_where(tmp_path):
    folder = variant(
        tmp_path / "pkg",
        [
            (
                "nn/__init__.py",
                "from .layers import BatchNorm, Embedding,",
                "from .layers import BatchNorm,",
            ),
            ("nn/__init__.py", '    "Embedding",\n', ""),
            (
                "nn/containers.py",
                "    def forward(self, x):\n        for module in self._modules.values():\n"
                "            x = module(x)\n        return x\n",
                "",
            ),
            (
                "nn/layers.py",
                "        y = x @ self.weight.transpose()",
                "        raise NotImplementedError('later')\n        y = x @ self.weight.transpose()",
            ),
        ],
    )
    nn = load_nn(folder)
    from clownpiece.exercises.checking import student_subject

    reasons = run(["embedding", "containers", "linear"], student_subject("nn", folder)).reasons
    assert (
        reasons["Embedding: forward picks rows for any index shape"]
        == "not implemented yet: nn has no Embedding"
    )
    line = next(
        i
        for i, t in enumerate((folder / "nn/module.py").read_text().split("\n"), 1)
        if "has no forward()" in t
    )
    assert reasons["Sequential: forward runs the children in order"] == (
        f"not implemented yet: Sequential.forward (nn/module.py:{line})"
    )
    assert reasons["forward and backward match numpy"].startswith(
        "not implemented yet: Linear.forward (nn/layers.py:"
    )
    assert nn.__name__ == "_student.nn"


def test_stub_detection():
    def only_pass(x):
        pass

    def only_docstring():
        """Write me."""

    def ellipsis():
        """Write me."""
        ...

    def raises():
        raise NotImplementedError

    def real(x):
        return x

    assert is_stub(only_pass) and is_stub(only_docstring) and is_stub(ellipsis)
    assert not is_stub(raises) and not is_stub(real) and not is_stub(lambda: None)


def test_show_source_displays_the_package_code_as_text_and_html():
    from IPython.core.formatters import format_display_data

    shown = show_source("clownpiece.nn.module:Module.__setattr__", "clownpiece.nn.init:zeros_")
    data, _ = format_display_data(shown)
    want = (
        textwrap.dedent(inspect.getsource(reference.Module.__setattr__)).rstrip()
        + "\n\n"
        + inspect.getsource(reference.init.zeros_).rstrip()
    )
    assert (
        data["text/plain"]
        == want
        == source_text("clownpiece.nn.module:Module.__setattr__", "clownpiece.nn.init:zeros_")
    )
    assert "<pre" in data["text/html"] and "__setattr__" in data["text/html"]
    first_line = data["text/html"].split("\n")[0]  # JupyterLab's label of a collapsed output
    assert first_line == (
        "Reference: Module.__setattr__ in clownpiece/nn/module.py; zeros_ in clownpiece/nn/init.py"
    )


def test_resolve_names_objects_by_module_and_qualified_name():
    assert resolve("clownpiece.nn.module:Module.__setattr__") is reference.Module.__setattr__
    assert resolve("clownpiece.nn.layers:Linear") is reference.Linear
    assert resolve("clownpiece.tensor:Tensor.shape") is cp.Tensor.shape.fget  # a property
    assert resolve("clownpiece.exercises.reference_train:sgd_step").__name__ == "sgd_step"
    with pytest.raises(ValueError, match="expected 'module.path:Qualified.name'"):
        resolve("clownpiece.nn.module.Module")
    with pytest.raises(AttributeError, match="'nope' not found"):
        resolve("clownpiece.nn.module:Module.nope")


def test_every_group_has_checks_and_a_task():
    for group in GROUPS.values():
        assert group.checks and group.task and group.chapter
    names = [name for g in GROUPS.values() for name, _ in g.checks]
    assert len(names) == len(set(names))  # a check name identifies its row


def test_mixed_package_from_the_skeleton(tmp_path, capsys):
    folder = mix(tmp_path / "pkg", ["nn/module.py"])
    assert check("part1", path=folder)
    assert (
        check("linear", path=folder)
        .reasons["extra_repr"]
        .startswith("not implemented yet: Linear.__init__ (nn/layers.py:")
    )


def test_the_library_never_imports_the_exercises():
    import subprocess

    code = (
        "import sys, clownpiece, clownpiece.nn, clownpiece.autograd, clownpiece.data; "
        "print(sorted(m for m in sys.modules if m.startswith('clownpiece.exercises')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr


def test_a_check_as_a_cells_last_line_shows_its_table_once(capsys):
    """IPython displays a cell's last value: the printed table must not be followed by a
    second rendering of the returned report; a report evaluated later shows its table."""
    report = check("registration")
    report._ipython_display_()  # what IPython does with `check(...)` as the last line
    first = capsys.readouterr().out
    assert first.count("registration on") == 1
    report._ipython_display_()  # `report` in a later cell
    assert capsys.readouterr().out == report.text() + "\n"


def test_code_typed_in_a_notebook_cell_is_located_as_cell():
    from clownpiece.exercises.stubs import label

    assert label("/tmp/ipykernel_4242/1072872515.py", None) == "<cell>"
    assert label("<ipython-input-3-abc>", None) == "<cell>"
    assert label("/somewhere/else/module.py", None) == "module.py"
