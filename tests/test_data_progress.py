"""The live progress line (clownpiece.data.progress): visible while running, gone afterwards."""

from __future__ import annotations

import io
import sys
import types

import pytest

from clownpiece import data


def test_line_text():
    bar = data.progress(range(50), desc="epochs")
    bar.count = 12
    bar.set(loss=0.123456, step=3)
    assert bar.line() == "epochs 12/50 [#####...............] loss=0.1235 step=3"
    assert data.progress([], total=0).line() == "0"


def test_silent_outside_kernel_and_tty(capsys):
    bar = data.progress(range(5), desc="epoch")
    out = []
    for i in bar:
        bar.set(loss=0.5 / (i + 1))
        out.append(i)
    assert out == [0, 1, 2, 3, 4]
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert bar.line() == "epoch 5/5 [####################] loss=0.1"


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_on_tty_erases_its_line(monkeypatch):
    err = Tty()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.delenv("CLOWNPIECE_PROGRESS", raising=False)
    assert list(data.progress(range(3), desc="x", min_interval=0)) == [0, 1, 2]
    text = err.getvalue()
    assert (
        text == "\rx 1/3 [#######.............]\rx 2/3 [#############.......]"
        "\rx 3/3 [####################]\r" + " " * 28 + "\r"
    )
    err2 = Tty()
    monkeypatch.setattr(sys, "stderr", err2)
    monkeypatch.setenv("CLOWNPIECE_PROGRESS", "0")
    list(data.progress(range(3)))
    assert err2.getvalue() == ""


def test_without_len():
    bar = data.progress(iter([1, 2]))
    assert list(bar) == [1, 2] and bar.line() == "2"


class FakeKernel:
    """Stands in for IPython inside a Jupyter kernel: records display() and its updates."""

    def __init__(self, monkeypatch):
        self.events: list[tuple[str, str]] = []
        shell = types.SimpleNamespace(kernel=object())
        ipython = types.ModuleType("IPython")
        ipython.get_ipython = lambda: shell
        display_module = types.ModuleType("IPython.display")
        display_module.display = self.display
        monkeypatch.setitem(sys.modules, "IPython", ipython)
        monkeypatch.setitem(sys.modules, "IPython.display", display_module)

    def display(self, obj, raw, display_id):
        assert raw is True and display_id is True
        self.events.append(("display", obj["text/plain"]))
        kernel = self

        class Handle:
            def update(self, obj, raw):
                kernel.events.append(("update", obj["text/plain"]))

        return Handle()


def check_kernel_output(progress_cls, monkeypatch) -> None:
    """Runs a loop that fails half-way in a fake kernel; the display must end up empty."""
    kernel = FakeKernel(monkeypatch)
    monkeypatch.delenv("CLOWNPIECE_PROGRESS", raising=False)
    with pytest.raises(KeyError):
        for i in progress_cls(range(4), desc="e", min_interval=0):
            if i == 2:
                raise KeyError("boom")
    assert kernel.events == [
        ("display", ""),
        ("update", "e 1/4 [#####...............]"),
        ("update", "e 2/4 [##########..........]"),
        ("update", ""),
    ]


def test_kernel_display_starts_and_ends_empty_even_on_error(monkeypatch):
    check_kernel_output(data.progress, monkeypatch)

    class NoCleanupOnError(data.progress):  # a plausible bug: clear only after a full loop
        def __iter__(self):
            show, clear = self.kernel_display(True)
            for item in self.iterable:
                yield item
                self.count += 1
                show(self.line())
            clear()

    with pytest.raises(AssertionError):
        check_kernel_output(NoCleanupOnError, monkeypatch)


def test_kernel_placeholder_even_when_live_updates_are_off(monkeypatch):
    kernel = FakeKernel(monkeypatch)
    monkeypatch.setenv("CLOWNPIECE_PROGRESS", "0")
    assert list(data.progress(range(3), min_interval=0)) == [0, 1, 2]
    assert kernel.events == [("display", ""), ("update", "")]


def test_stored_notebook_output_is_one_empty_display(tmp_path):
    """Runs a real kernel: the saved cell holds an empty display and the printed line only."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    source = (
        "from clownpiece import data\n"
        "bar = data.progress(range(3), desc='epochs', min_interval=0)\n"
        "for i in bar:\n"
        "    bar.set(loss=1 / (i + 1))\n"
        "print('done')"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nbclient.NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    assert [
        (o.output_type, o.get("data", {}).get("text/plain", o.get("text"))) for o in outputs
    ] == [
        ("display_data", ""),
        ("stream", "done\n"),
    ]
