"""Render the built book in headless Chromium and check every page listed in _toc.yml.

The book is built into ``_build/html`` (``jupyter-book build . -W``) by a session fixture when
the build is missing or older than any of its sources.  Chromium is Debian's
(``/usr/bin/chromium``, or ``$CLOWNPIECE_CHROMIUM``), driven by Playwright's Python API; the
browser tests are skipped when either is missing.  Each page is measured once
(tests/book_pages.py: light and dark at 1280 px, light at 390 px) and each test below checks one
concern on every page.  Screenshots of every page land in ``screenshots/`` and a summary of the
blocks too wide for their column in ``screenshots/width-report.txt``.  The last test shows that
each check fails on a scratch page that breaks its rule.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from book_pages import (
    contrast_problems,
    figure_problems,
    measure,
    render_problems,
    repository_problems,
    toggle_problems,
    width_problems,
    width_report,
)

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "screenshots"
CHROMIUM = os.environ.get("CLOWNPIECE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# --------------------------------------------------------------------------- pages and config


def _toc_pages() -> list[str]:
    """Docnames from _toc.yml in reading order (root first)."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts") or []:
        walk(part.get("chapters"))
    return [re.sub(r"\.(ipynb|md)$", "", p) for p in pages]


PAGES = _toc_pages()


def _book_config() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))


def _repository() -> tuple[str, str]:
    """(https://github.com/OWNER/NAME or '', branch) from _config.yml."""
    repo = _book_config().get("repository") or {}
    url = (repo.get("url") or "").strip().rstrip("/")
    url = url[:-4] if url.endswith(".git") else url
    return url, repo.get("branch") or "main"


def _source(page: str) -> Path:
    for suffix in (".ipynb", ".md"):
        path = ROOT / f"{page}{suffix}"
        if path.exists():
            return path
    raise FileNotFoundError(f"{page} (from _toc.yml) has no .ipynb or .md source")


# --------------------------------------------------------------------------- build + serve


def _jupyter_book_cmd() -> list[str]:
    exe = Path(sys.executable).parent / "jupyter-book"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("jupyter-book")
    if found:
        return [found]
    return [sys.executable, "-c", "from jupyter_book.cli.main import main; main()"]


def _sources_mtime() -> float:
    paths = [ROOT / "_config.yml", ROOT / "_toc.yml"]
    book = ROOT / "book"
    skip = {".ipynb_checkpoints", "__pycache__", ".virtual_documents"}
    paths += [p for p in book.rglob("*") if p.is_file() and not skip & set(p.parts)]
    return max(p.stat().st_mtime for p in paths if p.exists())


@pytest.fixture(scope="session")
def built_book() -> Path:
    index = HTML / "index.html"
    stale = not index.exists() or index.stat().st_mtime < _sources_mtime()
    if stale or any(not (HTML / f"{p}.html").exists() for p in PAGES):
        proc = subprocess.run(
            [*_jupyter_book_cmd(), "build", ".", "-W"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=1200,
        )
        if proc.returncode != 0:
            pytest.fail(
                f"jupyter-book build . -W failed (exit {proc.returncode}):\n"
                f"{proc.stdout[-6000:]}\n{proc.stderr[-6000:]}",
                pytrace=False,
            )
    return HTML


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature from the stdlib
        pass


@pytest.fixture(scope="session")
def book_url(built_book: Path):
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="book-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"Chromium not found at {CHROMIUM} (apt-get install chromium, "
            "or set CLOWNPIECE_CHROMIUM); browser checks of the book skipped"
        )
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="playwright is not installed (pip install -r requirements.txt)",
    )
    with sync_api.sync_playwright() as pw:
        try:
            b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        except Exception as exc:  # a broken or incompatible browser install
            pytest.skip(f"could not start Chromium at {CHROMIUM}: {exc}")
        try:
            yield b
        finally:
            b.close()


# --------------------------------------------------------------------------- the book's pages


@pytest.fixture(scope="session")
def measured(browser, book_url):
    cache: dict[str, dict] = {}

    def get(page_name: str) -> dict:
        if page_name not in cache:
            shot = SCREENSHOTS / page_name.replace("/", "__")
            url = f"{book_url}/{page_name}.html"
            cache[page_name] = measure(browser, url, _source(page_name), shot)
        return cache[page_name]

    yield get
    _write_width_report(cache)


def _write_width_report(cache: dict[str, dict]) -> None:
    if cache:
        SCREENSHOTS.mkdir(exist_ok=True)
        reports = [(name, cache[name]) for name in PAGES if name in cache]
        (SCREENSHOTS / "width-report.txt").write_text(width_report(reports), encoding="utf-8")


def _params():
    return [pytest.param(p, id=p.replace("/", "-")) for p in PAGES]


def _fail(page_name: str, problems: list[str], what: str = "") -> None:
    assert not problems, f"{page_name}: {what}\n  " + "\n  ".join(problems)


@pytest.mark.browser
@pytest.mark.parametrize("page_name", _params())
def test_page_renders(measured, page_name):
    """Loads without console errors or failed requests; math, figures and downloads work."""
    _fail(page_name, render_problems(measured(page_name)))


@pytest.mark.browser
@pytest.mark.parametrize("page_name", _params())
def test_no_block_wider_than_its_column(measured, page_name):
    """At 1280 px no code, output, figure or table needs a scrollbar, and no text output wraps."""
    r = measured(page_name)
    problems = width_problems(r)
    what = (
        f"{len(problems)} block(s) too wide at 1280 px (text column: {r['width']['column']} "
        f"characters, wide column: {r['width']['wideColumn']}); shorten these lines at the source:"
    )
    _fail(page_name, problems, what)


@pytest.mark.browser
@pytest.mark.parametrize("page_name", _params())
def test_html_outputs_readable_in_light_and_dark(measured, page_name):
    """Every text in HTML outputs (the module tree, listings) has WCAG contrast >= 4.5."""
    _fail(page_name, contrast_problems(measured(page_name)))


@pytest.mark.browser
@pytest.mark.parametrize("page_name", _params())
def test_toggles_present_and_closed(measured, page_name):
    """Chapters hide answers and hints behind toggles, all closed until clicked."""
    chapter = _source(page_name).suffix == ".ipynb"
    _fail(page_name, toggle_problems(measured(page_name), chapter))


@pytest.mark.browser
@pytest.mark.parametrize("page_name", _params())
def test_repository_links_match_config(measured, page_name):
    """Repository, issue and launch links exist only for the repository in _config.yml."""
    url, branch = _repository()
    _fail(page_name, repository_problems(measured(page_name), page_name, url, branch))


@pytest.mark.browser
@pytest.mark.parametrize("page_name", _params())
def test_figures_readable_on_a_phone(measured, page_name):
    """At 390 and 1280 px no figure text is smaller than the book's footnotes."""
    _fail(page_name, figure_problems(measured(page_name)))


def test_toc_pages_have_sources():
    missing = []
    for page in PAGES:
        try:
            _source(page)
        except FileNotFoundError as exc:
            missing.append(str(exc))
    assert not missing, missing


# --------------------------------------------------------------------------- the checks themselves


def _figure_b64(width_in: float, title_pt: float | None, with_metadata: bool) -> str:
    """A base64 PNG drawn like a chapter figure (with setup()'s metadata) or without it."""
    import base64
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from clownpiece.exercises.notebook import FIGURE_STYLE, figure_png

    with matplotlib.rc_context(FIGURE_STYLE):
        fig = Figure(figsize=(width_in, 3))
        ax = fig.subplots()
        ax.plot([0, 1, 2], [1, 0, 1])
        ax.set_title("a title", fontsize=title_pt)
        if with_metadata:
            return figure_png(fig)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
        return base64.b64encode(buf.getvalue()).decode("ascii")


def _scratch_notebook(path: Path, markdown: str, cells: list[tuple[str, list[dict]]]) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    nb.cells = [nbformat.v4.new_markdown_cell(markdown)]
    for count, (source, outputs) in enumerate(cells, start=1):
        cell = nbformat.v4.new_code_cell(source, execution_count=count)
        cell.outputs = [nbformat.from_dict(o) for o in outputs]
        nb.cells.append(cell)
    nbformat.write(nb, path)


def _stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


def _display(mime: str, data: str) -> dict:
    return {"output_type": "display_data", "data": {mime: data}, "metadata": {}}


TREE_HTML = (
    '<div class="clownpiece-module"><details open><summary><code>Net</code> &mdash; 3 params'
    "</summary><ul><li><code>weight</code>: (3,) = 3</li></ul></details>"
    "<p>Total parameters: 3</p></div>"
)


def _scratch_book(root: Path) -> None:
    """A two-chapter book using this repository's config, extensions and styles:
    book/good.ipynb follows every rule, book/bad.ipynb breaks each rule once."""
    shutil.copy(ROOT / "_config.yml", root / "_config.yml")
    (root / "book").mkdir()
    shutil.copytree(ROOT / "book" / "_ext", root / "book" / "_ext")
    shutil.copytree(ROOT / "book" / "_static", root / "book" / "_static")
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/good\n  - file: book/bad\n"
    )
    (root / "book" / "intro.md").write_text("# Scratch\n\nA book to test the tests.\n")
    answer = "<details{open}>\n<summary>Answer</summary>\n\nForty-two.\n\n</details>\n"
    _scratch_notebook(
        root / "book" / "good.ipynb",
        "# Good\n\nEvery rule kept.\n\n" + answer.format(open=""),
        [
            ("print('short')", [_stream("short\n")]),
            ("x = 1  # " + "a" * 85, []),  # 94 characters: the wide column holds it
            ("model", [_display("text/html", TREE_HTML)]),
            ("plt.show()", [_display("image/png", _figure_b64(6.0, None, True))]),
        ],
    )
    _scratch_notebook(
        root / "book" / "bad.ipynb",
        "# Bad\n\nEvery rule broken.\n\n"
        + answer.format(open=" open")
        + "\nSee [the repository](https://github.com/clownpiece/clownpiece).\n\n"
        + '<script>console.error("boom from the bad page")</script>\n',
        [
            ("y = 2  # " + "b" * 125, []),
            ("print(long)", [_stream("c" * 130 + "\n")]),
            ("pale", [_display("text/html", '<p style="color:#eeeeee">pale text</p>')]),
            ("plt.show()", [_display("image/png", _figure_b64(6.0, 7, True))]),
            ("plt.show()", [_display("image/png", _figure_b64(6.0, None, False))]),
        ],
    )


@pytest.mark.browser
def test_each_check_catches_a_page_that_breaks_its_rule(browser, tmp_path):
    """The checks above pass a page that keeps every rule and fail one that breaks each."""
    _scratch_book(tmp_path)
    proc = subprocess.run(
        [*_jupyter_book_cmd(), "build", str(tmp_path), "-W"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    handler = functools.partial(_QuietHandler, directory=str(tmp_path / "_build" / "html"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        good, bad = (
            measure(
                browser,
                f"{base}/book/{name}.html",
                tmp_path / "book" / f"{name}.ipynb",
                tmp_path / "shots" / name,
            )
            for name in ("good", "bad")
        )
    finally:
        server.shutdown()
        server.server_close()

    assert render_problems(good) == []
    assert width_problems(good) == []
    assert contrast_problems(good) == []
    assert toggle_problems(good, chapter=True) == []
    assert repository_problems(good, "book/good", "", "main") == []
    assert figure_problems(good) == []
    assert good["contrast_dark"]["trees"] == 1 and good["contrast_dark"]["measured"] >= 4

    rendered = "\n".join(render_problems(bad))
    assert "boom from the bad page" in rendered
    widths = width_problems(bad)
    assert any("source overflows" in p and "longest line 134 characters" in p for p in widths)
    assert any("text output wraps" in p and "longest line 130 characters" in p for p in widths)
    assert any("'pale text'" in p for p in contrast_problems(bad))
    assert toggle_problems(bad, chapter=True) == ["toggle open on load: 'Answer'"]
    assert toggle_problems({**bad, "toggles": {"count": 0, "open": []}}, chapter=True)
    repo = repository_problems(bad, "book/bad", "", "main")
    assert repo == [
        "link to a repository that is not configured: https://github.com/clownpiece/clownpiece"
    ]
    figures = "\n".join(figure_problems(bad))
    assert "smallest text 9.7 px (7 pt at 100 dpi" in figures
    assert "no font size stored in the PNG" in figures
