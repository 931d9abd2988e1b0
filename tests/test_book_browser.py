"""Render the built book in headless Chromium and check every page in the toc.

The book is built into ``_build/html`` (``jupyter-book build . -W``) by a
session fixture when the build is missing or older than any of its sources.
Chromium is Debian's (``/usr/bin/chromium``, or ``$CLOWNPIECE_CHROMIUM``), driven
by Playwright's Python API; the test is skipped when either is missing.
Screenshots of every page land in ``screenshots/``.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

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
REPO_URL = "github.com/clownpiece/clownpiece"
BRANCH = "main"
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")
# myst-nb renders one mime type per output; these win over images.
RICHER_MIMES = ("application/vnd.jupyter.widget-view+json", "application/javascript", "text/html")

pytestmark = pytest.mark.browser


# --------------------------------------------------------------------------- pages


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


def _source(page: str) -> Path:
    for suffix in (".ipynb", ".md"):
        path = ROOT / f"{page}{suffix}"
        if path.exists():
            return path
    raise FileNotFoundError(f"{page} (from _toc.yml) has no .ipynb or .md source")


_MATH = re.compile(
    r"\$\$.+?\$\$"  # display math
    r"|(?<![\\$])\$(?=\S)[^$\n]+?(?<=\S)\$(?!\d)"  # inline $...$ (not "$5 and $6")
    r"|\\begin\{(equation|align|gather|multline)\*?\}"
    r"|```\{math\}",
    re.DOTALL,
)


def _markdown_text(path: Path) -> str:
    """The prose of a page: the .md file, or a notebook's Markdown cells."""
    if path.suffix == ".md":
        text = path.read_text(encoding="utf-8")
    else:
        nb = json.loads(path.read_text(encoding="utf-8"))
        text = "\n\n".join(
            "".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in nb["cells"]
            if c["cell_type"] == "markdown"
        )
    # code blocks are not typeset
    return re.sub(r"^(```|~~~)(?!\{math\}).*?^\1", "", text, flags=re.S | re.M)


def _has_math(path: Path) -> bool:
    return bool(_MATH.search(_markdown_text(path)))


def _expected_figures(path: Path) -> tuple[int, int]:
    """(images that must be visible, images that must at least be in the page)
    among the stored outputs of a notebook's code cells."""
    if path.suffix != ".ipynb":
        return 0, 0
    nb = json.loads(path.read_text(encoding="utf-8"))
    visible = present = 0
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & {"remove-output", "remove-cell"}:
            continue
        hidden = bool(tags & {"hide-output", "hide-cell"})
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if any(m in data for m in IMAGE_MIMES) and not any(m in data for m in RICHER_MIMES):
                present += 1
                visible += not hidden
    return visible, present


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


# --------------------------------------------------------------------------- browser


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


class _Loaded:
    """A page opened in the browser, with what went wrong while loading it."""

    def __init__(self, page, console_errors, failed_requests):
        self.page = page
        self.console_errors = console_errors
        self.failed_requests = failed_requests


@pytest.fixture
def loaded(request, browser, book_url):
    page_name = request.param
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    console_errors: list[str] = []
    failed: list[str] = []
    local = urlparse(book_url).netloc

    page.on(
        "console",
        lambda msg: (
            console_errors.append(f"{msg.text} @ {msg.location}") if msg.type == "error" else None
        ),
    )
    page.on("pageerror", lambda exc: console_errors.append(f"uncaught: {exc}"))
    page.on(
        "requestfailed",
        lambda req: (
            failed.append(f"{req.url}: {req.failure}")
            if urlparse(req.url).netloc == local
            else None
        ),
    )
    page.on(
        "response",
        lambda resp: (
            failed.append(f"{resp.url}: HTTP {resp.status}")
            if resp.status >= 400 and urlparse(resp.url).netloc == local
            else None
        ),
    )
    page.goto(f"{book_url}/{page_name}.html", wait_until="load")
    page.wait_for_load_state("networkidle")
    try:
        yield _Loaded(page, console_errors, failed)
    finally:
        context.close()


def _page_params():
    return [pytest.param(p, id=p.replace("/", "-")) for p in PAGES]


def _wait_for_math(page):
    # MathJax 3 exposes a promise that resolves when the first typeset is done.
    page.wait_for_function(
        "() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30_000
    )
    page.evaluate("() => MathJax.startup.promise")


def _load_images(page):
    page.evaluate(
        """async () => {
            const imgs = Array.from(document.images);
            imgs.forEach(img => { img.loading = 'eager'; });
            await Promise.all(imgs.map(img => img.complete ? null :
                new Promise(r => { img.addEventListener('load', r); img.addEventListener('error', r); })));
        }"""
    )


# --------------------------------------------------------------------------- checks


@pytest.mark.parametrize("loaded", _page_params(), indirect=True)
def test_page_renders(loaded, request):
    page_name = request.node.callspec.params["loaded"]
    page = loaded.page
    source = _source(page_name)
    math = _has_math(source)
    if math:
        _wait_for_math(page)
    _load_images(page)
    page.wait_for_load_state("networkidle")

    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{page_name.replace('/', '__')}.png"), full_page=True)

    problems: list[str] = []

    # the page itself and everything it loads from the book
    assert page.title(), "page has no <title>"
    problems += [f"console error: {e}" for e in loaded.console_errors]
    problems += [f"failed request: {r}" for r in loaded.failed_requests]

    broken = page.evaluate(
        """() => Array.from(document.images)
            .filter(img => !(img.complete && img.naturalWidth > 0))
            .map(img => img.currentSrc || img.src || img.outerHTML.slice(0, 120))"""
    )
    problems += [f"image did not load: {src}" for src in broken]

    # download button: a menu with the page source (and PDF print) entries
    download = page.locator(".dropdown-download-buttons")
    if download.count() == 0:
        problems.append("download button missing")
    else:
        href = download.locator(f'a[href$="{Path(page_name).name}{source.suffix}"]')
        if href.count() == 0:
            problems.append(f"download menu has no link to {source.name}")
        else:
            link = href.first.get_attribute("href")
            resp = page.request.get(page.url.rsplit("/", 1)[0] + "/" + link)
            if resp.status != 200:
                problems.append(f"download link {link} -> HTTP {resp.status}")

    # repository button
    if page.locator(f'a[href="https://{REPO_URL}"]').count() == 0:
        problems.append("repository button missing")

    # launch buttons (Binder / Colab, plus JupyterHub when configured) on notebooks
    if source.suffix == ".ipynb":
        launch = page.locator(".dropdown-launch-buttons")
        if launch.count() == 0:
            problems.append("launch buttons missing")
        else:
            nb_path = f"{page_name}.ipynb"
            wanted = {
                "Binder": f"https://mybinder.org/v2/gh/clownpiece/clownpiece/{BRANCH}?urlpath=lab/tree/{nb_path}",
                "Colab": f"https://colab.research.google.com/github/clownpiece/clownpiece/blob/{BRANCH}/{nb_path}",
            }
            for label, url in wanted.items():
                if launch.locator(f'a[href="{url}"]').count() == 0:
                    problems.append(f"{label} launch button missing (expected {url})")

    # math: typeset by MathJax, without TeX errors
    if math:
        n_math = page.locator("mjx-container").count()
        if n_math == 0:
            problems.append("source has math but no mjx-container was rendered")
        n_err = page.locator("mjx-merror").count()
        if n_err:
            problems.append(f"{n_err} MathJax error(s) (mjx-merror) on the page")
        raw = page.locator("main .math:not(:has(mjx-container))").count()
        if raw:
            problems.append(f"{raw} math element(s) left untypeset")

    # figures from the stored notebook outputs are shown
    want_visible, want_present = _expected_figures(source)
    if want_present:
        imgs = page.locator(".cell_output img")
        present = imgs.count()
        visible = sum(
            1
            for i in range(present)
            if imgs.nth(i).is_visible()
            and imgs.nth(i).evaluate(
                "img => img.naturalWidth > 0 && img.getBoundingClientRect().width > 0"
            )
        )
        if present < want_present:
            problems.append(f"{want_present} figure outputs stored, {present} rendered")
        if visible < want_visible:
            problems.append(f"{want_visible} figures should be visible, {visible} are")

    assert not problems, f"{page_name}:\n  " + "\n  ".join(problems)


def test_toc_pages_have_sources():
    missing = []
    for page in PAGES:
        try:
            _source(page)
        except FileNotFoundError as exc:
            missing.append(str(exc))
    assert not missing, missing
