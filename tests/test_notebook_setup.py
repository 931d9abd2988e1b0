"""clownpiece.exercises.notebook: what a chapter's first cell calls.

Tracebacks keep file names, line numbers and code context (IPython's Context mode) with paths
relative to their import root, when a notebook is executed by nbconvert and when nbval re-runs
it; figures carry their smallest font size; warnings name short paths.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import sysconfig
import warnings
from pathlib import Path

import pytest

from clownpiece.exercises import notebook

ROOT = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


# --------------------------------------------------------------------------- paths


def test_longest_root_is_cut_first():
    roots = ["/srv/course", "/srv/course/.venv/lib/python3.11/site-packages"]
    text = (
        "File /srv/course/.venv/lib/python3.11/site-packages/numpy/_core/fromnumeric.py:57, in f\n"
        "File /srv/course/clownpiece/nn/layers.py:49, in Linear.forward(self, x)\n"
        "File /srv/course2/other.py:1"
    )
    shortened = notebook.path_shortener(sorted(roots, key=len, reverse=True))(text)
    assert shortened == (
        "File numpy/_core/fromnumeric.py:57, in f\n"
        "File clownpiece/nn/layers.py:49, in Linear.forward(self, x)\n"
        "File /srv/course2/other.py:1"
    )
    # wrong: the shorter root first leaves the venv's inside in the text
    wrong = notebook.path_shortener(sorted(roots, key=len))(text)
    assert ".venv/lib/python3.11/site-packages/numpy" in wrong


def test_roots_cover_the_package_the_environment_and_the_notebook_folder(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    roots = notebook.path_roots()
    package_root = str(Path(notebook.__file__).resolve().parents[2])
    assert package_root in roots
    assert str(tmp_path) in roots
    assert sysconfig.get_paths()["purelib"] in roots
    assert roots == sorted(roots, key=len, reverse=True)
    assert "/" not in roots and "" not in roots


def test_warnings_name_short_paths(monkeypatch):
    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)
    layers = Path(notebook.__file__).resolve().parents[1] / "nn" / "layers.py"
    notebook.show_short_paths(shell=None)
    text = warnings.formatwarning("careful", UserWarning, str(layers), 1)
    assert text.startswith("clownpiece/nn/layers.py:1: UserWarning: careful\n")
    assert text.split("\n")[1].strip(), "the source line is still shown"
    # wrong: the unpatched formatter prints the machine's path
    monkeypatch.undo()
    assert str(layers) in warnings.formatwarning("careful", UserWarning, str(layers), 1)


# --------------------------------------------------------------------------- figures


def _figure(**style):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    with matplotlib.rc_context({**notebook.FIGURE_STYLE, **style}):
        fig = Figure(figsize=(6, 3))
        ax = fig.subplots()
        ax.plot([0, 1, 2], [2, 0, 1], label="data")
        ax.set_xlim(0, 2)
        ax.set_title("title")
        ax.legend()
    return fig, ax


def _naive_smallest_font(fig):
    """Wrong: looks at the figure's texts without drawing it, so it sees no tick labels."""
    from matplotlib.text import Text

    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]
    return min(sizes, default=None)


def test_smallest_font_sees_titles_legends_and_tick_labels():
    fig, ax = _figure()
    assert notebook.smallest_font_pt(fig) == notebook.MIN_FONT_PT
    fig, ax = _figure(**{"xtick.labelsize": 7})
    assert notebook.smallest_font_pt(fig) == 7
    assert _naive_smallest_font(_figure(**{"xtick.labelsize": 7})[0]) == notebook.MIN_FONT_PT
    fig, ax = _figure()
    ax.legend(fontsize=6)
    assert notebook.smallest_font_pt(fig) == 6


def test_tick_labels_that_are_not_drawn_do_not_count():
    from matplotlib.ticker import FixedLocator

    fig, ax = _figure()
    ax.xaxis.set_major_locator(FixedLocator([0, 1, 2, 50]))  # 50 is outside xlim (0, 2)
    ax.set_xticklabels(["0", "1", "2", "far"])
    for label in ax.get_xticklabels():
        label.set_fontsize(5 if label.get_text() == "far" else 12)
    assert notebook.smallest_font_pt(fig) == notebook.MIN_FONT_PT
    ax.set_xlim(0, 60)  # now "far" is drawn
    assert notebook.smallest_font_pt(fig) == 5
    fig, ax = _figure(**{"xtick.labelsize": 5})
    ax.axis("off")  # no ticks drawn; the title and legend remain
    assert notebook.smallest_font_pt(fig) == notebook.MIN_FONT_PT


def test_figure_png_stores_its_smallest_font_and_dpi():
    fig, ax = _figure(**{"ytick.labelsize": 9})
    png = base64.b64decode(notebook.figure_png(fig))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks = dict(re.findall(rb"tEXt([^\x00]+)\x00([ -~]*)", png))
    assert chunks[b"clownpiece.min_font_pt"] == b"9"
    assert chunks[b"clownpiece.dpi"] == b"100"
    width = int.from_bytes(png[16:20], "big")
    assert 450 <= width <= 620  # 6 inches at 100 dpi, trimmed to the drawing ("tight")


def test_an_empty_figure_draws_nothing():
    from matplotlib.figure import Figure

    assert notebook.figure_png(Figure()) is None


# --------------------------------------------------------------------------- in a kernel


def traceback_problems(text: str) -> list[str]:
    """What a student's traceback must show and what it must not (machine paths)."""
    problems = []
    if not re.search(r"File clownpiece/nn/layers\.py:\d+, in Linear\.forward", text):
        problems.append("no short 'File clownpiece/nn/layers.py:N, in Linear.forward' frame")
    if "---->" not in text and "--->" not in text:
        problems.append("no line context (arrowed source line)")
    machine = [str(ROOT), sys.prefix, os.path.expanduser("~") + "/", "site-packages", "/tmp/"]
    problems += [f"machine path {m!r} in traceback" for m in machine if m in text]
    if re.search(r"(?<![\w.<])/[\w.-]+/[\w.-]+/", text):
        problems.append("an absolute path is left")
    return problems


FIRST_CELL = "from clownpiece.exercises.notebook import setup\n\nsetup()"
BAD_CALL = "import clownpiece as cp\n\ncp.nn.Linear(3, 2)(cp.Tensor.zeros(1, 5))"
PRINT_TRACEBACK = """import re
import sys

try:
    cp.nn.Linear(3, 2)(cp.Tensor.zeros(1, 5))
except ValueError:
    tb = get_ipython().InteractiveTB
    text = tb.stb2text(tb.structured_traceback(*sys.exc_info()))
print(re.sub(r"\\x1b\\[[0-9;]*m", "", text.split("ValueError", 1)[1]))"""
CHECK_STATE = """import matplotlib
import numpy as np

assert get_ipython().InteractiveTB.mode == "Context"
assert matplotlib.rcParams["font.size"] == 12 and matplotlib.rcParams["figure.dpi"] == 100
setup(seed=7)
first = cp.randn(3).numpy()
cp.manual_seed(7)
assert np.array_equal(first, cp.randn(3).numpy()), "setup(seed) seeds clownpiece"
"""


def _notebook(path: Path, first_cell: str, more: bool = True) -> None:
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.cells = [
        nbformat.v4.new_code_cell(first_cell),
        nbformat.v4.new_code_cell(BAD_CALL, metadata={"tags": ["raises-exception"]}),
    ]
    if more:
        nb.cells += [
            nbformat.v4.new_code_cell(PRINT_TRACEBACK),
            nbformat.v4.new_code_cell(CHECK_STATE),
        ]
    nbformat.write(nb, path)


def _env() -> dict:
    paths = [str(ROOT), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def _execute(path: Path) -> list[dict]:
    """Run the notebook as the chapters are run (jupyter nbconvert --execute) and return cells."""
    pytest.importorskip("nbconvert")
    done = subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
         "--inplace", "--ExecutePreprocessor.record_timing=False", str(path)],
        capture_output=True, text=True, timeout=300, cwd=path.parent, env=_env(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _error_text(cell: dict) -> str:
    errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
    assert len(errors) == 1
    return ANSI.sub("", "\n".join(errors[0]["traceback"]))


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> tuple[Path, list[dict]]:
    path = tmp_path_factory.mktemp("setup") / "chapter.ipynb"
    _notebook(path, FIRST_CELL)
    return path, _execute(path)


def test_nbconvert_stores_a_located_traceback_without_machine_paths(executed):
    _path, cells = executed
    text = _error_text(cells[1])
    assert traceback_problems(text) == [], text
    assert (
        "ValueError: Linear(in_features=3, out_features=2, bias=True) expected last dim 3" in text
    )
    printed = "".join(cells[2]["outputs"][0]["text"])
    assert "File clownpiece/nn/module.py:" in printed and traceback_problems(printed) == []


@pytest.mark.parametrize(
    "first_cell, expected",
    [
        # today's chapters: one line, no location
        ('get_ipython().InteractiveTB.set_mode(mode="Minimal")', "no short"),
        # IPython's default: located, but with this machine's paths
        ('get_ipython().InteractiveTB.set_mode(mode="Context")', "machine path"),
    ],
)
def test_the_check_rejects_minimal_and_raw_tracebacks(tmp_path, first_cell, expected):
    path = tmp_path / "chapter.ipynb"
    _notebook(path, first_cell, more=False)
    problems = traceback_problems(_error_text(_execute(path)[1]))
    assert any(expected in p for p in problems), problems


def test_nbval_reruns_it_with_the_same_short_traceback(executed):
    """nbval compares the printed traceback of cell 3 with the stored one: its kernel shortens
    paths the same way (an absolute path would differ even after tests/nbval_sanitize.cfg)."""
    pytest.importorskip("nbval")
    path, _cells = executed
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-o", "addopts=",
         "--nbval", "--nbval-current-env", f"--nbval-sanitize-with={ROOT / 'tests' / 'nbval_sanitize.cfg'}",
         str(path)],
        capture_output=True, text=True, timeout=300, cwd=path.parent, env=_env(),
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:]
    assert "4 passed" in done.stdout


def test_nbval_notices_a_kernel_that_prints_machine_paths(executed, tmp_path):
    """Wrong: the same stored notebook re-run without setup()'s path shortening fails nbval."""
    nbformat = pytest.importorskip("nbformat")
    pytest.importorskip("nbval")
    path, _cells = executed
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source = (
        'get_ipython().InteractiveTB.set_mode(mode="Context")\n'
        "from clownpiece.exercises.notebook import setup"
    )
    wrong = tmp_path / "wrong.ipynb"
    nbformat.write(nb, wrong)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-o", "addopts=",
         "--nbval", "--nbval-current-env", f"--nbval-sanitize-with={ROOT / 'tests' / 'nbval_sanitize.cfg'}",
         str(wrong)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env=_env(),
    )  # fmt: skip
    assert done.returncode == 1
    assert "FAILED wrong.ipynb::Cell 2" in done.stdout
