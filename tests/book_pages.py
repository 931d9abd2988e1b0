"""What a page of the built book looks like in Chromium: measurements and the checks on them.

``measure()`` opens one page three times (light and dark at 1280 px, light at 390 px) with
Playwright, takes screenshots and records what the checks need; each ``*_problems()`` function
returns what is wrong with a page (an empty list: nothing).  Used by tests/test_book_browser.py,
on the book and on a scratch book that breaks each rule once.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from pathlib import Path
from urllib.parse import urlparse

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


def measure(browser, url: str, source: Path, shot: Path) -> dict:
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


def width_report(reports: list[tuple[str, dict]]) -> str:
    """Every block too wide for its column, page by page, with a total."""
    lines = ["Blocks wider than their column at 1280 px (tests/test_book_browser.py)", ""]
    total = 0
    for name, r in reports:
        found = r["width"]["found"]
        total += len(found)
        lines.append(f"{name}: {len(found)}")
        lines += [f"  {_describe_block(b)}" for b in found]
    return "\n".join([*lines, "", f"total: {total}", ""])


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
