"""`python -m clownpiece.grade`: the shipped skeleton scores 0 with a reason for every check,
the reference and a correct student package score full, a half-finished package gets a
partial score, a package that does not import gets a clean failing report, and the output
has the promised shape (rows, a score per part, last line `score: X/Y`)."""

import ast
import os
import re
import subprocess
import sys

import pytest
from student_packages import (
    ROOT,
    SOLUTION,
    copy_package,
    edited_files,
    mix,
    shipped_skeleton,
    variant,
)

from clownpiece import grade
from clownpiece.exercises import GROUPS, PARTS, groups_of, run
from clownpiece.exercises.checking import student_subject

TOTALS = {part: sum(len(g.checks) for g in groups_of(part)) for part in PARTS}
TOTAL = sum(TOTALS.values())
ROW = re.compile(r"^(PASS|FAIL)  (\S.*?)(?: -- (.+))?$")


def graded(capsys, *argv):
    """(exit status, output lines) of the grader run in this process."""
    status = grade.main(list(argv))
    return status, capsys.readouterr().out.rstrip("\n").split("\n")


def line_of(path, text):
    """The 1-based number of the line of `path` that contains `text`."""
    return next(i for i, line in enumerate(path.read_text().split("\n"), 1) if text.strip() in line)


def rows(lines):
    return [ROW.match(line).groups() for line in lines if ROW.match(line)]


def test_the_parts_hold_every_graded_group():
    assert TOTALS == {"part1": 32, "part2": 8, "part3": 23, "part4": 46, "part5": 9}
    assert {g.part for g in GROUPS.values()} == set(PARTS) | {""}  # "" is chapter 1's Function


def test_reference_scores_full_and_exits_zero(capsys):
    status, lines = graded(capsys, "--impl", "reference")
    assert status == 0
    assert lines[-1] == f"score: {TOTAL}/{TOTAL}"
    assert len(rows(lines)) == TOTAL and all(verdict == "PASS" for verdict, _, _ in rows(lines))
    for part, total in TOTALS.items():
        assert f"{part}: {total}/{total}" in lines


def test_correct_student_package_scores_full(capsys):
    status, lines = graded(capsys, "--impl", str(SOLUTION))
    assert status == 0, "\n".join(line for line in lines if line.startswith("FAIL"))
    assert lines[-1] == f"score: {TOTAL}/{TOTAL}"


def test_shipped_skeleton_scores_zero_with_a_reason_for_every_check(capsys):
    status, lines = graded(capsys, "--impl", str(shipped_skeleton()))
    assert status == 1
    assert lines[-1] == f"score: 0/{TOTAL}"
    found = rows(lines)
    assert len(found) == TOTAL
    for verdict, name, reason in found:
        assert verdict == "FAIL" and reason, name
        # every check names the unwritten function and where it is
        assert re.fullmatch(r"not implemented yet: [\w.]+ \((nn/\w+|train)\.py:\d+\)", reason), (
            reason
        )
    assert sum("Module.__init__ (nn/module.py:" in r for _, _, r in found) > 30


def test_default_is_book_student_from_the_repository_root(capsys, monkeypatch):
    shipped_skeleton()
    monkeypatch.chdir(ROOT)
    status, lines = graded(capsys, "part2")
    assert (
        status == 1 and lines[0] == f"grading {os.path.join('book', 'student')} (nn/ and train.py)"
    )
    assert lines[-1] == "score: 0/8"


def test_selected_parts_only_and_output_layout(capsys):
    status, lines = graded(capsys, "part2", "part5", "--impl", "reference")
    assert status == 0
    assert lines[0].startswith("grading the reference")
    assert lines[1:3] == ["", f"part2: {PARTS['part2']}"]
    assert "part2: 8/8" in lines and "part5: 9/9" in lines and "part1: 32/32" not in lines
    assert re.fullmatch(r"part2 8/8  part5 9/9  \(\d+\.\d s\)", lines[-2])
    assert lines[-1] == "score: 17/17"


def test_half_finished_package_gets_a_partial_score(capsys, tmp_path):
    folder = mix(tmp_path / "pkg", ["nn/module.py", "nn/init.py"])
    status, lines = graded(capsys, "--impl", str(folder))
    assert status == 1
    assert f"part1: {TOTALS['part1']}/{TOTALS['part1']}" in lines
    assert f"part3: {TOTALS['part3']}/{TOTALS['part3']}" in lines
    assert "part2: 0/8" in lines and "part5: 0/9" in lines
    assert lines[-1] == f"score: {TOTALS['part1'] + TOTALS['part3']}/{TOTAL}"
    failing = {name: reason for verdict, name, reason in rows(lines) if verdict == "FAIL"}
    assert failing["forward is tanh"] == "not implemented yet: Tanh.__init__ (nn/activations.py:17)"


def test_package_with_a_syntax_error_fails_cleanly(capsys, tmp_path):
    folder = variant(
        tmp_path / "pkg",
        [
            (
                "nn/layers.py",
                "def forward(self, x: Tensor) -> Tensor:\n        y =",
                "def forward(self, x: Tensor) -> Tensor\n        y =",
            )
        ],
    )
    status, lines = graded(capsys, "--impl", str(folder))
    assert (
        status == 1 and lines[-1] == f"score: {TOTALS['part5']}/{TOTAL}"
    )  # train.py still imports
    line = line_of(folder / "nn" / "layers.py", "def forward(self, x: Tensor) -> Tensor\n")
    reasons = {reason for verdict, _, reason in rows(lines) if verdict == "FAIL"}
    assert reasons == {
        f"the package does not import: SyntaxError: expected ':' (nn/layers.py:{line})"
    }


def test_package_raising_on_import_names_the_line(tmp_path):
    folder = variant(
        tmp_path / "pkg",
        [
            (
                "nn/loss.py",
                "from .module import Module\n",
                "from .module import Module\nfrom .module import Missing\n",
            )
        ],
    )
    report = run("part4", student_subject("nn", folder))
    assert not report.passed
    assert set(report.reasons.values()) == {
        "the package does not import: ImportError: cannot import name 'Missing' from "
        "'_student.nn.module' (" + str(folder / "nn" / "module.py") + ")"
        f" (nn/loss.py:{line_of(folder / 'nn' / 'loss.py', 'import Missing')})"
    }


def test_an_endless_loop_fails_its_check_only(capsys, tmp_path):
    folder = variant(
        tmp_path / "pkg",
        [
            (
                "nn/activations.py",
                "        return x.sigmoid()",
                "        while True:\n            pass",
            )
        ],
    )
    old = grade.TIME_LIMIT
    grade.TIME_LIMIT = 0.5
    try:
        status, lines = graded(capsys, "part4", "--impl", str(folder))
    finally:
        grade.TIME_LIMIT = old
    failing = {name: reason for verdict, name, reason in rows(lines) if verdict == "FAIL"}
    assert failing == {
        "Sigmoid: forward and backward (stable at +-50)": "took longer than 0.5 s (an endless loop?)"
    }
    assert (
        status == 1
        and lines[-1]
        == f"score: {TOTAL - sum(TOTALS[p] for p in PARTS if p != 'part4') - 1}/{TOTALS['part4']}"
    )


def test_bad_command_lines_exit_2(capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        grade.main(["part9"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        grade.main(["--impl", str(tmp_path)])
    assert exc.value.code == 2
    assert "no nn/ folder there" in capsys.readouterr().err


def test_module_entry_point_runs_and_sets_the_exit_status():
    shipped_skeleton()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "clownpiece.grade", "part2", "--impl", "reference"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and done.stdout.rstrip().endswith("score: 8/8")
    done = subprocess.run(
        [sys.executable, "-m", "clownpiece.grade", "part2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and done.stdout.rstrip().endswith("score: 0/8")


@pytest.mark.parametrize("which", ["skeleton", "solution"])
def test_student_packages_import_only_the_tensor_layer(which):
    folder = shipped_skeleton() if which == "skeleton" else SOLUTION
    allowed = {
        "clownpiece",
        "clownpiece.autograd",
        "__future__",
        "math",
        "itertools",
        "collections",
        "collections.abc",
        "typing",
    }
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                assert node.module in allowed, f"{path.name} imports {node.module}"
            elif isinstance(node, ast.Import):
                assert all(a.name in allowed for a in node.names), f"{path.name}: {ast.dump(node)}"


def test_a_package_without_train_py_loses_part5_only(tmp_path):
    folder = variant(tmp_path / "pkg", [])
    (folder / "train.py").unlink()
    report = run(list(PARTS), student_subject("nn", folder), student_subject("train", folder))
    assert report.failed == [name for g in groups_of("part5") for name, _ in g.checks]
    assert set(report.reasons.values()) == {
        f"not implemented yet: no train.py next to nn/ in {folder}"
    }


def test_the_skeleton_tests_skip_once_a_student_has_edited_the_package(tmp_path, monkeypatch):
    """A student who solved book/student runs the test suite: the tests that need the
    skeleton unsolved skip instead of failing; under CI an edit is a failure."""
    copy = copy_package(shipped_skeleton(), tmp_path / "pkg")
    assert edited_files(copy) == [] and shipped_skeleton(copy) == copy
    module = copy / "nn" / "module.py"
    module.write_text(module.read_text().replace("pass", "return None", 1))
    (copy / "nn" / "helpers.py").write_text("X = 1\n")
    assert edited_files(copy) == ["nn/helpers.py", "nn/module.py"]
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="nn/helpers.py, nn/module.py"):
        shipped_skeleton(copy)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="run python tests/student_packages.py"):
        shipped_skeleton(copy)


def test_line_endings_do_not_count_as_an_edit(tmp_path):
    copy = copy_package(shipped_skeleton(), tmp_path / "pkg")
    init = copy / "nn" / "init.py"
    init.write_bytes(init.read_bytes().replace(b"\n", b"\r\n"))
    assert edited_files(copy) == []
