"""Publishing: one repository URL (_config.yml) drives the buttons, Binder and Colab.

Checks that every chapter's Colab lines agree with _config.yml, that
book/_ext/set_repository.py writes and removes them exactly, that those lines act only on Colab,
that the built book shows repository and launch buttons only when a URL is set, and that
binder/ installs everything the chapters import.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
yaml = pytest.importorskip("yaml")

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "book" / "_ext" / "set_repository.py"
CLONE = re.compile(r"^\s+!git clone -q --depth 1 -b (?P<branch>\S+) (?P<url>\S+) /content/course$")
URL = "https://github.com/example-org/ml-course"
CELL_BREAK = "\n# %% next cell\n"


def _toc_notebooks(root: Path) -> list[Path]:
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            files.append(entry.get("file"))
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts") or []:
        walk(part.get("chapters"))
    paths = [root / (f if f.endswith(".ipynb") else f"{f}.ipynb") for f in files if f]
    return [p for p in paths if p.exists()]


def _first_code_source(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return next(c.source for c in nb.cells if c.cell_type == "code")


def disagreements(root: Path) -> list[str]:
    """Chapters whose first code cell does not install the repository of _config.yml on Colab."""
    repo = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))["repository"]
    url, branch = (repo.get("url") or "").rstrip("/"), str(repo.get("branch") or "main")
    found = []
    for path in _toc_notebooks(root):
        source = _first_code_source(path)
        lines = source.splitlines()
        clones = [m.groupdict() for m in map(CLONE.match, lines) if m]
        name = path.relative_to(root).as_posix()
        if not url:
            if "google.colab" in source or "git clone" in source:
                found.append(f"{name}: Colab lines but no repository.url in _config.yml")
            continue
        folder = path.parent.relative_to(root).as_posix()
        wanted = {
            'if "google.colab" in sys.modules:',
            "        %pip install -q /content/course",
            f"    %cd /content/course/{folder}",
        }
        if clones != [{"branch": branch, "url": url}]:
            found.append(f"{name}: clones {clones}, _config.yml says {url} at {branch}")
        if not wanted <= set(lines):
            found.append(f"{name}: missing {sorted(wanted - set(lines))}")
    return found


def _copy_book(dst: Path) -> Path:
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy(ROOT / name, dst / name)
    shutil.copytree(
        ROOT / "book", dst / "book", ignore=shutil.ignore_patterns("_static", ".ipynb_checkpoints")
    )
    return dst


def _run_script(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--root", str(root), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


# --------------------------------------------------------------------------- chapters vs config


def test_every_chapter_agrees_with_the_configured_repository():
    assert disagreements(ROOT) == []


def test_a_stale_or_missing_colab_block_is_caught(tmp_path):
    root = _copy_book(tmp_path)
    first = _toc_notebooks(root)[0]
    assert _run_script(root, URL).returncode == 0
    assert disagreements(root) == []
    # wrong: the URL changed in _config.yml but a chapter still clones the old one
    config = root / "_config.yml"
    config.write_text(config.read_text().replace(URL, URL + "-2026"))
    assert len(disagreements(root)) == len(_toc_notebooks(root))
    # wrong: a chapter lost its Colab lines
    assert _run_script(root).returncode == 0
    nb = nbformat.read(first, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code")
    cell.source = "\n".join(line for line in cell.source.split("\n") if "git clone" not in line)
    nbformat.write(nb, first)
    assert [d.split(":")[0] for d in disagreements(root)] == [first.relative_to(root).as_posix()]
    assert _run_script(root, "--check").returncode == 1


def test_set_repository_writes_one_url_and_removes_it_exactly(tmp_path):
    root = _copy_book(tmp_path)
    assert _run_script(root, "", "--branch", "main").returncode == 0  # as shipped: no repository
    before = {p: p.read_bytes() for p in _toc_notebooks(root)}
    config_before = (root / "_config.yml").read_text()

    done = _run_script(root, URL + ".git/", "--branch", "spring")
    assert done.returncode == 0, done.stderr
    config = yaml.safe_load((root / "_config.yml").read_text())
    assert config["repository"]["url"] == URL and config["repository"]["branch"] == "spring"
    # comments and every other line of _config.yml are kept
    kept = (root / "_config.yml").read_text().splitlines()
    changed = [a for a, b in zip(config_before.splitlines(), kept, strict=True) if a != b]
    assert changed == ['  url: ""', "  branch: main"]
    chapter = next(p for p in before if p.name.startswith("03"))
    source = _first_code_source(chapter)
    assert source.startswith("# On Colab: fetch the course and install its package")
    assert f"        !git clone -q --depth 1 -b spring {URL} /content/course\n" in source
    assert "    %cd /content/course/book\n" in source
    assert _run_script(root, "--check").returncode == 0

    again = {p: p.read_bytes() for p in before}
    assert _run_script(root, URL, "--branch", "spring").returncode == 0
    assert all(p.read_bytes() == again[p] for p in before), "a second run changed a chapter"

    assert _run_script(root, "", "--branch", "main").returncode == 0
    assert all(p.read_bytes() == before[p] for p in before), "removing did not restore them"
    assert (root / "_config.yml").read_text() == config_before


def test_set_repository_refuses_what_is_not_a_github_repository(tmp_path):
    root = _copy_book(tmp_path)
    config = (root / "_config.yml").read_text()
    done = _run_script(root, "github.com/example-org/ml-course")
    assert done.returncode == 2
    assert "expected https://github.com/OWNER/NAME" in done.stderr
    assert (root / "_config.yml").read_text() == config


# --------------------------------------------------------------------------- the Colab lines


class _RecordingShell:
    """Stands in for IPython: records the shell commands and magics a cell would run."""

    def __init__(self):
        self.calls: list[tuple[str, str]] = []

    def system(self, command):
        self.calls.append(("!", command))

    def run_line_magic(self, name, line):
        self.calls.append((f"%{name}", line))


def _run_first_cell_head(source: str, on_colab: bool, course_cloned: bool) -> list:
    from IPython.core.inputtransformer2 import TransformerManager

    lines = source.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith('if "google.colab"'))
    end = start + 1
    while end < len(lines) and lines[end].startswith(" "):
        end += 1
    code = TransformerManager().transform_cell("\n".join(lines[start:end]) + "\n")
    shell = _RecordingShell()
    fake_os = type(sys)("os")
    fake_os.path = type(sys)("os.path")
    fake_os.path.isdir = lambda p: course_cloned and p == "/content/course"
    modules = {**sys.modules, **({"google.colab": object()} if on_colab else {})}
    fake_sys = type(sys)("sys")
    fake_sys.modules = {k: v for k, v in modules.items() if on_colab or k != "google.colab"}
    namespace = {"get_ipython": lambda: shell, "os": fake_os, "sys": fake_sys}
    exec(compile(code, "<first cell>", "exec"), namespace)
    return shell.calls


def test_the_colab_lines_act_on_colab_only(tmp_path):
    root = _copy_book(tmp_path)
    assert _run_script(root, URL).returncode == 0
    source = _first_code_source(next(p for p in _toc_notebooks(root) if p.name.startswith("02")))
    clone = f"git clone -q --depth 1 -b main {URL} /content/course"
    assert _run_first_cell_head(source, on_colab=True, course_cloned=False) == [
        ("!", clone),
        ("%pip", "install -q /content/course"),
        ("%cd", "/content/course/book"),
    ]
    assert _run_first_cell_head(source, on_colab=True, course_cloned=True) == [
        ("%cd", "/content/course/book")
    ]
    assert _run_first_cell_head(source, on_colab=False, course_cloned=False) == []


# --------------------------------------------------------------------------- the built book


def _jupyter_book() -> list[str]:
    exe = Path(sys.executable).parent / "jupyter-book"
    return [str(exe)] if exe.exists() else [shutil.which("jupyter-book") or "jupyter-book"]


def _build_small_book(root: Path, url: str) -> str:
    """Build the intro and one chapter with this repository's config; return the chapter's HTML."""
    shutil.copy(ROOT / "_config.yml", root / "_config.yml")
    shutil.copytree(ROOT / "book" / "_ext", root / "book" / "_ext")
    shutil.copytree(ROOT / "book" / "_static", root / "book" / "_static")
    shutil.copy(ROOT / "book" / "intro.md", root / "book" / "intro.md")
    notebooks = [p for p in _toc_notebooks(ROOT) if p.suffix == ".ipynb"]
    chapter = next(p for p in notebooks if p.name.startswith("04"))
    shutil.copy(chapter, root / "book" / chapter.name)
    for other in notebooks:  # one-cell stand-ins, so the chapter's cross-references resolve
        if other != chapter:
            stub = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Stub")])
            nbformat.write(stub, root / "book" / other.name)
    entries = "".join(f"  - file: book/{p.stem}\n" for p in notebooks)
    (root / "_toc.yml").write_text(f"format: jb-book\nroot: book/intro\nchapters:\n{entries}")
    config = root / "_config.yml"
    config.write_text(re.sub(r"(?m)^  url: .*$", f'  url: "{url}"', config.read_text(), count=1))
    done = subprocess.run(
        [*_jupyter_book(), "build", str(root), "-W"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return (root / "_build" / "html" / "book" / f"{chapter.stem}.html").read_text(encoding="utf-8")


def _hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


def test_no_repository_means_no_repository_or_launch_button(tmp_path):
    hrefs = _hrefs(_build_small_book(tmp_path, ""))
    # links into other projects' sources (PyTorch, micrograd) are fine; buttons are not
    buttons = [
        h
        for h in hrefs
        if re.match(r"https://(mybinder\.org|colab\.)", h)
        or "/issues/new" in h
        or "github.com/clownpiece" in h
    ]
    assert buttons == []


def test_a_repository_url_gives_its_buttons_and_launchers(tmp_path):
    hrefs = _hrefs(_build_small_book(tmp_path, URL))
    assert URL in hrefs  # repository button
    assert [h for h in hrefs if h.startswith(f"{URL}/issues/new?")]  # issue button
    assert (
        "https://mybinder.org/v2/gh/example-org/ml-course/main?urlpath=lab/tree/book/04_repr_forward.ipynb"
        in hrefs
    )
    assert (
        "https://colab.research.google.com/github/example-org/ml-course/blob/main/book/04_repr_forward.ipynb"
        in hrefs
    )
    assert not [h for h in hrefs if "github.com/clownpiece" in h]


# --------------------------------------------------------------------------- binder/


def _imports(source: str) -> set[str]:
    """Top-level modules imported anywhere in the code (inside functions too)."""
    from IPython.core.inputtransformer2 import TransformerManager

    names = set()
    for node in ast.walk(ast.parse(TransformerManager().transform_cell(source))):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def _requirement_names(lines: list[str]) -> set[str]:
    names = set()
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith(("-", ".")):
            names.add(re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


# Binder's base image runs the notebook server and the IPython kernel.
BINDER_BASE = {"ipython", "ipykernel", "jupyterlab", "notebook", "matplotlib-inline"}
# Imported only to compare with, and skipped when absent (too big for a reader's Binder).
OPTIONAL = {"torch"}


def _sources(paths: list[Path]) -> dict[str, str]:
    """Code by file: a notebook's code cells joined, a module's text."""
    code = {}
    for path in paths:
        if path.suffix == ".ipynb":
            nb = nbformat.read(path, as_version=4)
            code[path.name] = CELL_BREAK.join(c.source for c in nb.cells if c.cell_type == "code")
        else:
            code[path.relative_to(ROOT).as_posix()] = path.read_text(encoding="utf-8")
    return code


def unmet_imports(paths: list[Path], requirement_lines: list[str]) -> list[str]:
    """Modules the chapters or the package import that neither the stdlib, the package's
    dependencies, Binder's base image nor binder/requirements.txt provides."""
    provided = _requirement_names(requirement_lines) | BINDER_BASE
    package = importlib.metadata.requires("clownpiece") or []
    provided |= _requirement_names([r for r in package if "extra ==" not in r])
    distributions = importlib.metadata.packages_distributions()
    missing = []
    for name, source in _sources(paths).items():
        modules = set().union(*(_imports(cell) for cell in source.split(CELL_BREAK)))
        for module in sorted(modules - set(sys.stdlib_module_names) - {"clownpiece"} - OPTIONAL):
            dists = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
            if not dists & provided:
                missing.append(f"{name} imports {module} ({', '.join(sorted(dists))})")
    return missing


def test_binder_installs_the_package_and_what_the_chapters_import():
    lines = (ROOT / "binder" / "requirements.txt").read_text().splitlines()
    assert "." in [line.split("#")[0].strip() for line in lines], "binder/ must install clownpiece"
    code = _toc_notebooks(ROOT) + sorted((ROOT / "clownpiece").rglob("*.py"))
    assert unmet_imports(code, lines) == []
    # wrong: without matplotlib the chapters' figures fail; without scikit-learn, load_digits
    for gone, module in (("matplotlib", "matplotlib"), ("scikit-learn", "sklearn")):
        without = [line for line in lines if not line.startswith(gone)]
        assert any(f"imports {module} " in m for m in unmet_imports(code, without)), gone


def test_binder_python_satisfies_the_package():
    runtime = (ROOT / "binder" / "runtime.txt").read_text().strip()
    version = tuple(int(x) for x in runtime.removeprefix("python-").split("."))
    pyproject = (ROOT / "pyproject.toml").read_text()
    minimum = re.search(r'requires-python = ">=(\d+)\.(\d+)"', pyproject)
    assert version >= (int(minimum.group(1)), int(minimum.group(2)))
