"""Render the built book in headless Chromium and check every page listed in _toc.yml.

The book is built into ``_build/html`` (``jupyter-book build . -W``) by a session fixture when
the build is missing or older than any of its sources.  Chromium is Debian's
(``/usr/bin/chromium``, or ``$CLOWNPIECE_CHROMIUM``), driven by Playwright's Python API; the
browser tests are skipped when either is missing.  Each page is opened three times (light and
dark at 1280 px, light at 390 px); the tests below read what was measured.  Screenshots of every
page land in ``screenshots/`` and a summary of blocks too wide for their column in
``screenshots/width-report.txt``.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import threading
import zlib
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
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}
MIN_CONTRAST = 4.5  # WCAG 2 AA for body text
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")
# myst-nb renders one mime type per output; these win over images.
RICHER_MIMES = ("application/vnd.jupyter.widget-view+json", "application/javascript", "text/html")
# PNG text chunks that clownpiece.exercises.notebook.setup() writes into every figure.
PNG_KEY_MIN_FONT = "clownpiece.min_font_pt"
PNG_KEY_DPI = "clownpiece.dpi"
# The repository this project never had: no page may link to it unless it is configured.
PLACEHOLDER_REPOSITORY = "github.com/clownpiece/clownpiece"
LAUNCH_HOSTS = ("mybinder.org", "colab.research.google.com")


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


def png_info(data: bytes) -> tuple[int, int, dict[str, str]]:
    """(width, height, text chunks) of a PNG file."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    texts: dict[str, str] = {}
    pos = 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"tEXt" and b"\0" in body:
            key, value = body.split(b"\0", 1)
            texts[key.decode("latin-1")] = value.decode("latin-1")
        elif kind == b"zTXt" and b"\0" in body:
            key, value = body.split(b"\0", 1)
            texts[key.decode("latin-1")] = zlib.decompress(value[1:]).decode("latin-1")
        elif kind == b"iTXt" and b"\0" in body:
            key, rest = body.split(b"\0", 1)
            compressed, rest = rest[0], rest[2:]
            _lang, _translated, value = rest.split(b"\0", 2)
            value = zlib.decompress(value) if compressed else value
            texts[key.decode("latin-1")] = value.decode("utf-8")
        pos += 12 + length
    return width, height, texts


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


# --------------------------------------------------------------------------- in-page measurements

# Blocks wider than their column.  Code (sources, listings) overflows; text outputs wrap
# (pre-wrap), so for those we also ask whether their longest line would fit unwrapped.
JS_WIDTH = r"""() => {
  const cells = Array.from(document.querySelectorAll('.bd-article div.cell'));
  const charWidth = (el) => {
    const probe = document.createElement('span');
    probe.textContent = '0'.repeat(100);
    probe.style.cssText = 'position:absolute;visibility:hidden;white-space:pre';
    el.appendChild(probe);
    const w = probe.getBoundingClientRect().width / 100;
    probe.remove();
    return w;
  };
  const innerWidth = (el) => {
    const cs = getComputedStyle(el);
    return el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  };
  const describe = (el) => {
    const cell = el.closest('div.cell');
    const where = cell ? `cell ${cells.indexOf(cell) + 1}` : 'text';
    let kind = 'block';
    if (el.closest('.cell_input')) kind = 'source';
    else if (el.closest('.output.traceback')) kind = 'error output';
    else if (el.closest('.output.text_html')) kind = el.closest('.highlight') ? 'listing' : 'html output';
    else if (el.closest('.cell_output')) kind = el.tagName === 'IMG' ? 'figure' : 'text output';
    else if (el.tagName === 'TABLE') kind = 'table';
    const text = (el.innerText || el.textContent || '').replace(/\u00a0/g, ' ');
    const lines = text.split('\n');
    const longest = lines.reduce((a, b) => (b.length > a.length ? b : a), '');
    return {where, kind, wide: !!(cell && cell.classList.contains('cp-wide')),
            first: lines[0].slice(0, 90), longest: longest.slice(0, 140), chars: longest.length};
  };
  const found = [];
  const pres = Array.from(document.querySelectorAll('.bd-article pre'));
  for (const pre of pres) {
    if (!pre.checkVisibility()) continue;
    const d = describe(pre);
    const ws = getComputedStyle(pre).whiteSpace;
    const cw = charWidth(pre);
    d.capacity = Math.floor((innerWidth(pre) + 0.5) / cw);
    if (pre.scrollWidth > pre.clientWidth + 1) {
      found.push({...d, how: 'overflows (scrollbar)', px: pre.scrollWidth - pre.clientWidth});
    } else if (ws.startsWith('pre-wrap') && d.kind !== 'error output') {
      pre.style.whiteSpace = 'pre';
      const over = pre.scrollWidth - pre.clientWidth;
      pre.style.whiteSpace = '';
      if (over > 1) found.push({...d, how: 'wraps', px: over});
    }
  }
  for (const el of document.querySelectorAll('.bd-article .cell_output, .bd-article table')) {
    if (!el.checkVisibility() || el.scrollWidth <= el.clientWidth + 1) continue;
    if (Array.from(el.querySelectorAll('pre')).some(p => p.scrollWidth > p.clientWidth + 1)) continue;
    const img = el.querySelector('img');
    const d = describe(img || el);
    if (img) { d.first = `figure ${img.naturalWidth}x${img.naturalHeight} px`; d.longest = d.first; }
    found.push({...d, how: 'overflows (scrollbar)', px: el.scrollWidth - el.clientWidth});
  }
  const page = document.documentElement.scrollWidth - window.innerWidth;
  const column = document.querySelector('.bd-article div.cell:not(.cp-wide) .cell_input pre');
  const wide = document.querySelector('.bd-article div.cell.cp-wide .cell_input pre');
  const cap = (pre) => pre ? Math.floor((innerWidth(pre) + 0.5) / charWidth(pre)) : null;
  return {found, page, column: cap(column), wideColumn: cap(wide)};
}"""

# WCAG contrast of every piece of text in HTML outputs (the module tree, listings).
JS_CONTRAST = r"""() => {
  const parse = (s) => {
    let m = s.match(/^rgba?\(([^)]+)\)$/);
    if (m) {
      const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
      return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    }
    m = s.match(/^color\(srgb ([^)]+)\)$/);
    if (m) {
      const p = m[1].split(/[ \/]+/).filter(Boolean).map(Number);
      return [p[0] * 255, p[1] * 255, p[2] * 255, p.length > 3 ? p[3] : 1];
    }
    return null;
  };
  const over = (top, bottom) => {
    const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let bg = [255, 255, 255, 1];  // the canvas
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const cells = Array.from(document.querySelectorAll('.bd-article div.cell'));
  const outputs = Array.from(document.querySelectorAll('.bd-article .cell_output .text_html'));
  const results = [];
  let measured = 0;
  for (const out of outputs) {
    const walker = document.createTreeWalker(out, NodeFilter.SHOW_TEXT);
    const seen = new Set();
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!n.textContent.trim() || seen.has(el) || ['STYLE', 'SCRIPT'].includes(el.tagName)) continue;
      seen.add(el);
      if (!el.checkVisibility()) continue;
      const fg = parse(getComputedStyle(el).color);
      const bg = background(el);
      if (!fg) { results.push({text: n.textContent.trim().slice(0, 50), ratio: 0, color: getComputedStyle(el).color}); continue; }
      const [l1, l2] = [lum(over(fg, bg)), lum(bg)].sort((a, b) => b - a);
      const ratio = (l1 + 0.05) / (l2 + 0.05);
      measured++;
      const cell = out.closest('div.cell');
      results.push({where: `cell ${cells.indexOf(cell) + 1}`, tree: !!out.querySelector('details'),
                    text: n.textContent.trim().slice(0, 50), ratio: Math.round(ratio * 100) / 100,
                    color: getComputedStyle(el).color, background: `rgb(${bg.slice(0, 3).map(Math.round)})`});
    }
  }
  return {measured, low: results.filter(r => r.ratio < %MIN%),
          trees: outputs.filter(o => o.querySelector('details')).length,
          theme: document.documentElement.dataset.theme};
}""".replace("%MIN%", str(MIN_CONTRAST))

# Toggles written by authors (details, MyST dropdowns, {toggle}, hide-input/-output cells);
# the <details> inside program outputs (the module tree) are not toggles.
JS_TOGGLES = r"""() => {
  const authored = Array.from(document.querySelectorAll('.bd-article details'))
    .filter(d => !d.parentElement.closest('.cell_output'));
  const buttons = Array.from(document.querySelectorAll('.bd-article .toggle, .bd-article .admonition.dropdown'));
  const label = (el) => (el.querySelector('summary, .admonition-title, button') || el).innerText.trim().slice(0, 60);
  const hiddenContent = (d) => Array.from(d.children).filter(c => c.tagName !== 'SUMMARY')
                                     .every(c => !c.checkVisibility());
  const open = [];
  for (const d of authored) if (d.open || !hiddenContent(d)) open.push(label(d));
  for (const b of buttons) if (!b.classList.contains('toggle-hidden')) open.push(label(b));
  return {count: authored.length + buttons.length, open,
          kinds: authored.map(d => d.className || 'details').concat(buttons.map(b => b.className))};
}"""

# What the first closed authored toggle shows once clicked (it must open).
JS_OPEN_FIRST_TOGGLE = r"""() => {
  const d = Array.from(document.querySelectorAll('.bd-article details'))
    .find(d => !d.open && !d.parentElement.closest('.cell_output'));
  if (d) {
    d.querySelector('summary').click();
    return d.open && Array.from(d.children).some(c => c.tagName !== 'SUMMARY' && c.checkVisibility());
  }
  const b = document.querySelector('.bd-article .toggle-hidden');
  if (!b) return null;
  (b.querySelector('button') || b.querySelector('.admonition-title')).click();
  return !b.classList.contains('toggle-hidden');
}"""

JS_LINKS = r"""() => Array.from(document.querySelectorAll('a[href]')).map(a => ({
  href: a.href, header: !!a.closest('.bd-header-article, .article-header-buttons, .header-article-items'),
  text: (a.innerText || a.title || a.getAttribute('aria-label') || '').trim().slice(0, 40)}))"""

JS_FIGURES = r"""() => {
  const art = document.querySelector('.bd-article');
  const list = document.createElement('aside');
  list.className = 'footnote-list brackets';
  list.innerHTML = '<aside class="footnote brackets" role="doc-footnote"><span class="label">' +
    '<span class="fn-bracket">[</span>1<span class="fn-bracket">]</span></span><p>probe</p></aside>';
  art.appendChild(list);
  const footnote = parseFloat(getComputedStyle(list.querySelector('p')).fontSize);
  list.remove();
  const cells = Array.from(document.querySelectorAll('.bd-article div.cell'));
  const figures = Array.from(document.querySelectorAll('.bd-article .cell_output img')).map(img => {
    const cs = getComputedStyle(img);
    const box = img.getBoundingClientRect();
    const content = box.width - ['paddingLeft', 'paddingRight', 'borderLeftWidth', 'borderRightWidth']
      .reduce((s, k) => s + parseFloat(cs[k]), 0);
    return {src: img.currentSrc || img.src, where: `cell ${cells.indexOf(img.closest('div.cell')) + 1}`,
            natural: img.naturalWidth, rendered: content, visible: img.checkVisibility()};
  });
  return {footnote, figures, page: document.documentElement.scrollWidth - window.innerWidth};
}"""


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


class _Visit:
    """One page opened in one browser context, with what went wrong while loading it."""

    def __init__(self, browser, url: str, viewport: dict, theme: str, math: bool):
        self.context = browser.new_context(viewport=viewport, color_scheme=theme)
        self.context.add_init_script(
            f"localStorage.setItem('theme', '{theme}'); localStorage.setItem('mode', '{theme}');"
        )
        self.page = self.context.new_page()
        self.errors: list[str] = []
        local = urlparse(url).netloc

        def on_console(msg):
            if msg.type == "error":
                self.errors.append(f"console error ({theme}, {viewport['width']} px): {msg.text}")

        def on_response(resp):
            if resp.status >= 400 and urlparse(resp.url).netloc == local:
                self.errors.append(f"failed request: {resp.url}: HTTP {resp.status}")

        self.page.on("console", on_console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"uncaught ({theme}): {exc}"))
        self.page.on(
            "requestfailed",
            lambda req: (
                self.errors.append(f"failed request: {req.url}: {req.failure}")
                if urlparse(req.url).netloc == local
                else None
            ),
        )
        self.page.on("response", on_response)
        self.page.goto(url, wait_until="load")
        self.page.wait_for_load_state("networkidle")
        if math:
            _wait_for_math(self.page)
        _load_images(self.page)
        self.page.wait_for_load_state("networkidle")

    def close(self):
        self.context.close()


def _measure(browser, url: str, source: Path, shot: Path) -> dict:
    """Everything the checks read about one page, from three visits (screenshots to ``shot``)."""
    math = _has_math(source)
    shot.parent.mkdir(parents=True, exist_ok=True)
    report: dict = {"source": source, "math": math, "errors": []}

    light = _Visit(browser, url, DESKTOP, "light", math)
    try:
        page = light.page
        page.screenshot(path=f"{shot}.png", full_page=True)
        report["title"] = page.title()
        report["width"] = page.evaluate(JS_WIDTH)
        report["contrast_light"] = page.evaluate(JS_CONTRAST)
        report["toggles"] = page.evaluate(JS_TOGGLES)
        report["links"] = page.evaluate(JS_LINKS)
        report["figures"] = page.evaluate(JS_FIGURES)
        report["broken_images"] = page.evaluate(
            """() => Array.from(document.images)
                .filter(img => !(img.complete && img.naturalWidth > 0))
                .map(img => img.currentSrc || img.src || img.outerHTML.slice(0, 120))"""
        )
        report["math_rendered"] = page.locator("mjx-container").count()
        report["math_errors"] = page.locator("mjx-merror").count()
        report["math_raw"] = page.locator("main .math:not(:has(mjx-container))").count()
        report["download"] = page.evaluate(
            """() => Array.from(document.querySelectorAll('.dropdown-download-buttons a'))
                .map(a => a.getAttribute('href'))"""
        )
        report["images_present"] = page.locator(".cell_output img").count()
        report["images_visible"] = page.evaluate(
            """() => Array.from(document.querySelectorAll('.cell_output img'))
                .filter(i => i.checkVisibility() && i.naturalWidth > 0).length"""
        )
        report["png"] = {}
        for fig in report["figures"]["figures"]:
            resp = page.request.get(fig["src"])
            if resp.ok and resp.body()[:8] == b"\x89PNG\r\n\x1a\n":
                report["png"][fig["src"]] = png_info(resp.body())
        report["toggle_opens"] = page.evaluate(JS_OPEN_FIRST_TOGGLE)
    finally:
        report["errors"] += light.errors
        light.close()

    dark = _Visit(browser, url, DESKTOP, "dark", math)
    try:
        dark.page.screenshot(path=f"{shot}-dark.png", full_page=True)
        report["contrast_dark"] = dark.page.evaluate(JS_CONTRAST)
    finally:
        report["errors"] += dark.errors
        dark.close()

    mobile = _Visit(browser, url, MOBILE, "light", math)
    try:
        mobile.page.screenshot(path=f"{shot}-mobile.png", full_page=True)
        report["mobile"] = mobile.page.evaluate(JS_FIGURES)
    finally:
        report["errors"] += mobile.errors
        mobile.close()
    return report


# --------------------------------------------------------------------------- checks
# Each returns the list of problems found in a page's measurements (empty: the page is fine).


def render_problems(r: dict) -> list[str]:
    """Console errors, failed requests, missing images, math and the download menu."""
    problems = list(r["errors"])
    if not r["title"]:
        problems.append("page has no <title>")
    problems += [f"image did not load: {src}" for src in r["broken_images"]]
    source = r["source"]
    if not [h for h in r["download"] if h and h.endswith(source.name)]:
        problems.append(f"download menu has no link to {source.name}")
    if r["math"]:
        if r["math_rendered"] == 0:
            problems.append("source has math but no mjx-container was rendered")
        if r["math_errors"]:
            problems.append(f"{r['math_errors']} MathJax error(s) (mjx-merror) on the page")
        if r["math_raw"]:
            problems.append(f"{r['math_raw']} math element(s) left untypeset")
    want_visible, want_present = _expected_figures(source)
    if r["images_present"] < want_present:
        problems.append(f"{want_present} figure outputs stored, {r['images_present']} rendered")
    if r["images_visible"] < want_visible:
        problems.append(f"{want_visible} figures should be visible, {r['images_visible']} are")
    return problems


def _describe_block(b: dict) -> str:
    column = "wide column" if b.get("wide") else "column"
    size = f"longest line {b['chars']} characters"
    if b.get("capacity") and b["kind"] != "figure":
        size += f", the {column} holds {b['capacity']}"
    return (
        f"{b['where']} {b['kind']} {b['how']} by {b['px']} px ({size}); "
        f"first line: {b['first']!r}; longest: {b['longest']!r}"
    )


def width_problems(r: dict) -> list[str]:
    """Blocks that need a scrollbar at 1280 px, and text outputs whose lines wrap."""
    problems = [_describe_block(b) for b in r["width"]["found"]]
    if r["width"]["page"] > 0:
        problems.append(f"the whole page scrolls sideways by {r['width']['page']} px")
    return problems


def contrast_problems(r: dict) -> list[str]:
    """Text in HTML outputs below WCAG contrast 4.5, in light or dark mode."""
    problems = []
    for mode in ("light", "dark"):
        result = r[f"contrast_{mode}"]
        if result["theme"] != mode:
            problems.append(
                f"the page did not switch to {mode} mode (data-theme={result['theme']})"
            )
        problems += [
            f"{mode}: {low.get('where', '?')} {low['text']!r}: contrast {low['ratio']} "
            f"({low['color']} on {low.get('background', '?')})"
            for low in result["low"]
        ]
    return problems


def toggle_problems(r: dict, chapter: bool) -> list[str]:
    """Toggles open on load, or a chapter without any."""
    toggles = r["toggles"]
    problems = [f"toggle open on load: {label!r}" for label in toggles["open"]]
    if chapter and toggles["count"] == 0:
        problems.append(
            "no toggle (review answers and hints go in <details><summary>...</summary> blocks)"
        )
    if toggles["count"] and r["toggle_opens"] is False:
        problems.append("clicking the first toggle does not show its content")
    return problems


def repository_problems(r: dict, page_name: str, url: str, branch: str) -> list[str]:
    """Links to a repository or launch service that is not the one configured."""
    problems = []
    hrefs = [link["href"] for link in r["links"]]
    owner_name = urlparse(url).path.strip("/") if url else None
    for href in hrefs:
        bare = href.split("://", 1)[-1]
        if PLACEHOLDER_REPOSITORY in bare and not (url and bare.startswith(url.split("://")[1])):
            problems.append(f"link to a repository that is not configured: {href}")
        if urlparse(href).netloc in LAUNCH_HOSTS and not (owner_name and f"/{owner_name}/" in href):
            problems.append(f"launch link to a repository that is not configured: {href}")
    header = [link["href"] for link in r["links"] if link["header"]]
    if not url:
        problems += [
            f"repository button without a configured repository: {h}"
            for h in header
            if urlparse(h).netloc == "github.com"
        ]
        return problems
    if url not in header:
        problems.append(f"repository button missing (expected {url})")
    if r["source"].suffix == ".ipynb":
        nb_path = f"{page_name}.ipynb"
        for label, want in {
            "Binder": f"https://mybinder.org/v2/gh/{owner_name}/{branch}?urlpath=lab/tree/{nb_path}",
            "Colab": f"https://colab.research.google.com/github/{owner_name}/blob/{branch}/{nb_path}",
        }.items():
            if want not in hrefs:
                problems.append(f"{label} launch button missing (expected {want})")
    return problems


def figure_problems(r: dict) -> list[str]:
    """Figure text smaller than the footnotes at 1280 or 390 px, or not measurable.

    A figure's smallest font (points) and dpi are stored in its PNG by
    clownpiece.exercises.notebook.setup(); on screen that text is
    points / 72 * dpi * (shown width / natural width) CSS pixels tall."""
    problems = []
    for label, view in (("1280 px", r["figures"]), ("390 px", r["mobile"])):
        footnote = view["footnote"]
        for fig in view["figures"]:
            if not fig["visible"] or not fig["natural"]:
                continue
            name = fig["src"].rsplit("/", 1)[-1][:16]
            texts = (r["png"].get(fig["src"]) or (0, 0, {}))[2]
            if PNG_KEY_MIN_FONT not in texts or PNG_KEY_DPI not in texts:
                if label == "390 px":  # say it once
                    problems.append(
                        f"{fig['where']} figure {name}: no font size stored in the PNG "
                        "(draw it after clownpiece.exercises.notebook.setup())"
                    )
                continue
            px = float(texts[PNG_KEY_MIN_FONT]) / 72 * float(texts[PNG_KEY_DPI])
            shown = px * fig["rendered"] / fig["natural"]
            if shown < footnote - 0.05:
                problems.append(
                    f"{label}: {fig['where']} figure {name}: smallest text {shown:.1f} px "
                    f"({texts[PNG_KEY_MIN_FONT]} pt at {texts[PNG_KEY_DPI]} dpi, shown at "
                    f"{fig['rendered']:.0f} of {fig['natural']} px), footnotes are {footnote:g} px"
                )
    if r["mobile"]["page"] > 0:
        problems.append(f"390 px: the whole page scrolls sideways by {r['mobile']['page']} px")
    return problems


# --------------------------------------------------------------------------- the book's pages


@pytest.fixture(scope="session")
def measured(browser, book_url):
    cache: dict[str, dict] = {}

    def get(page_name: str) -> dict:
        if page_name not in cache:
            shot = SCREENSHOTS / page_name.replace("/", "__")
            url = f"{book_url}/{page_name}.html"
            cache[page_name] = _measure(browser, url, _source(page_name), shot)
        return cache[page_name]

    yield get
    _write_width_report(cache)


def _write_width_report(cache: dict[str, dict]) -> None:
    if not cache:
        return
    lines = ["Blocks wider than their column at 1280 px (tests/test_book_browser.py)", ""]
    total = 0
    for name in PAGES:
        if name in cache:
            found = cache[name]["width"]["found"]
            total += len(found)
            lines.append(f"{name}: {len(found)}")
            lines += [f"  {_describe_block(b)}" for b in found]
    lines += ["", f"total: {total}"]
    SCREENSHOTS.mkdir(exist_ok=True)
    (SCREENSHOTS / "width-report.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


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
            _measure(
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
