"""The module HTML tree (`_repr_html_`): subtree counts, buffers, wording, and themes.

The browser part renders the tree with the real CSS of pydata-sphinx-theme (the book's theme)
and of JupyterLab's light and dark themes, and measures contrast and overflow in Chromium;
it is skipped when Chromium or Playwright is missing.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import clownpiece as cp
from clownpiece.nn import Linear, Module, Parameter, Tanh
from clownpiece.nn import module_html as module_mod


class ReLU(Module):
    def forward(self, x):
        return x.relu()


class SimpleNet(Module):
    def __init__(self):
        super().__init__()
        self.layer1 = Linear(784, 128)
        self.activation = ReLU()
        self.layer2 = Linear(128, 10)


class Counter(Module):
    """One scalar parameter, one one-element buffer, a non-persistent buffer, a None slot."""

    def __init__(self):
        super().__init__()
        self.scale = Parameter(cp.ones(()))
        self.register_buffer("steps", cp.Tensor([0], dtype=cp.int64))
        self.register_buffer("cache", cp.zeros(3), persistent=False)
        self.register_parameter("shift", None)


def summaries(page: str) -> list[str]:
    """The text of every <summary>, tags removed."""
    return [re.sub(r"<[^>]+>", "", s) for s in re.findall(r"<summary>(.*?)</summary>", page)]


def tree_problems(model: Module) -> list[str]:
    """What is wrong with `model`'s HTML tree (empty when every promise holds)."""
    page = model._repr_html_()
    problems = []
    total = sum(p.numel() for p in model.parameters())
    first = summaries(page)[0]
    if f"{total:,} parameter" not in first:
        problems.append(f"root summary {first!r} does not show the subtree total {total:,}")
    if re.search(r"\b1 parameters\b|\b1 buffer values\b", page):
        problems.append("singular counts are pluralised")
    style = "".join(re.findall(r"<style>(.*?)</style>", page))
    if re.search(r"#[0-9a-fA-F]{3,8}\b|rgba?\(|hsla?\(", page) or "<code" in page:
        problems.append("hard-coded colours (or theme-coloured <code>) in the tree")
    if re.search(r"white-space\s*:\s*(nowrap|pre)\b", style) or "overflow-wrap" not in style:
        problems.append("long lines do not wrap")
    for name, _ in model.named_buffers():
        if f">{name.rsplit('.', 1)[-1]}</span> buffer" not in page:
            problems.append(f"buffer {name} is not listed")
    return problems


def test_simplenet_root_shows_the_subtree_total_and_children_their_own():
    page = SimpleNet()._repr_html_()
    assert summaries(page) == [
        "SimpleNet · 101,770 parameters",
        "(layer1): Linear(in_features=784, out_features=128, bias=True) · 100,480 parameters",
        "(activation): ReLU · 0 parameters",
        "(layer2): Linear(in_features=128, out_features=10, bias=True) · 1,290 parameters",
    ]
    assert '<span class="cp-code">weight</span> (128, 784) · 100,352' in page
    assert '<span class="cp-code">bias</span> (10,) · 10' in page
    assert page.count("<details open>") == 4 and tree_problems(SimpleNet()) == []


def test_singular_counts_buffers_and_none_slots():
    outer = Module()
    outer.counter = Counter()
    outer.register_module("gone", None)
    page = outer._repr_html_()
    assert summaries(page) == [
        "Module · 1 parameter · 4 buffer values",
        "(counter): Counter · 1 parameter · 4 buffer values",
    ]
    assert '<span class="cp-code">scale</span> () · 1' in page
    assert '<span class="cp-code">shift</span> None' in page
    assert '<span class="cp-code">steps</span> buffer (1,) · 1' in page
    assert '<span class="cp-code">cache</span> buffer (not saved) (3,) · 3' in page
    assert '<span class="cp-code">(gone): None</span>' in page
    assert tree_problems(outer) == []


def test_shared_modules_and_tied_weights_count_once():
    shared = Linear(4, 4)
    net = Module()
    net.a, net.b = shared, shared
    net.head = Linear(4, 4)
    net.head.weight = shared.weight  # tied
    page = net._repr_html_()
    total = sum(p.numel() for p in net.parameters())
    assert total == 16 + 4 + 4
    assert summaries(page)[0] == f"Module · {total} parameters"
    assert "(shared, shown above)" in page and page.count("(b): Linear") == 1


def test_text_from_the_model_is_escaped():
    class Weird(Module):
        def extra_repr(self):
            return "<script>"

    m = Module()
    m.w = Weird()
    page = m._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_text_repr_is_unchanged_by_the_html():
    assert repr(SimpleNet()) == (
        "SimpleNet(\n"
        "  (layer1): Linear(in_features=784, out_features=128, bias=True)\n"
        "  (activation): ReLU()\n"
        "  (layer2): Linear(in_features=128, out_features=10, bias=True)\n"
        ")"
    )


# The checks above, run against wrong trees: each variant must be caught.
def own_only_size(module):  # the old "SimpleNet — 0 params": counts only the node's own tensors
    return module_mod.plural(
        sum(p.numel() for p in module._parameters.values() if p is not None), "parameter"
    )


@pytest.mark.parametrize(
    "attribute, wrong, caught",
    [
        ("subtree_size", own_only_size, "does not show the subtree total"),
        ("plural", lambda n, noun: f"{n:,} {noun}s", "singular counts are pluralised"),
        (
            "TREE_STYLE",
            "<style>.cp-tree .cp-code{color:#e83e8c;background:#f0f0f0;"
            "overflow-wrap:anywhere}</style>",
            "hard-coded colours",
        ),
        ("TREE_STYLE", "<style>.cp-tree{white-space:nowrap}</style>", "do not wrap"),
        ("html_tensor_items", lambda module: [], "is not listed"),
    ],
)
def test_tree_checks_catch_wrong_trees(monkeypatch, attribute, wrong, caught):
    monkeypatch.setattr(module_mod, attribute, wrong)
    model = Module()
    model.counter = Counter()
    model.net = SimpleNet()
    assert any(caught in problem for problem in tree_problems(model)), tree_problems(model)


# ---------------------------------------------------------------------------- in a browser

CHROMIUM = os.environ.get("CLOWNPIECE_CHROMIUM", "/usr/bin/chromium")
COLUMN = 700  # px: the book's content column is about this wide

# JupyterLab's own rules for rendered HTML outputs (from @jupyterlab/rendermime), reduced
# to what affects colour and layout; the theme variables come from the installed theme CSS.
JUPYTERLAB_RULES = """
body { background: var(--jp-layout-color0); color: var(--jp-ui-font-color1); margin: 0; }
.jp-RenderedHTMLCommon { color: var(--jp-content-font-color1);
  font-family: var(--jp-content-font-family); font-size: var(--jp-content-font-size1);
  line-height: var(--jp-content-line-height); padding-right: 20px; overflow: auto; }
.jp-RenderedHTMLCommon ul { list-style: disc; margin-bottom: 1em; }
.jp-RenderedHTMLCommon code { border: 0; background-color: var(--jp-layout-color0);
  color: var(--jp-content-font-color1); font-family: var(--jp-code-font-family); }
.jp-RenderedHTMLCommon :not(pre) > code { background-color: var(--jp-layout-color2); }
"""

# Contrast of every piece of text against what is really behind it (WCAG 2 formula).
MEASURE = """
(root) => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const out = { worst: 99, worstText: '', backgrounds: [] };
  for (const el of [root, ...root.querySelectorAll('*')]) {
    const own = [...el.childNodes].filter((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own.length || el.tagName === 'STYLE') continue;
    const fg = lum(rgb(getComputedStyle(el).color)), bgColor = background(el), bg = lum(bgColor);
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    out.backgrounds.push(bg);
    if (ratio < out.worst) { out.worst = ratio; out.worstText = own[0].textContent.trim(); }
  }
  const box = root.closest('.output, .jp-RenderedHTMLCommon');
  out.overflow = box.scrollWidth - box.clientWidth;
  return out;
}
"""


def _package_file(package: str, *parts: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent.joinpath(*parts)
    return path if path.exists() else None


def _pages(tree_html: str) -> dict[str, str]:
    """The tree inside each theme's real CSS and markup, keyed by theme name."""
    pages = {}
    pydata = _package_file(
        "pydata_sphinx_theme",
        "theme",
        "pydata_sphinx_theme",
        "static",
        "styles",
        "pydata-sphinx-theme.css",
    )
    if pydata:
        css = pydata.read_text(encoding="utf-8")
        for theme in ("light", "dark"):
            pages[f"book-{theme}"] = (
                f'<html data-theme="{theme}"><head><style>{css}</style></head><body>'
                f'<div class="bd-content" style="width:{COLUMN}px"><div class="cell_output">'
                f'<div class="output text_html">{tree_html}</div></div></div></body></html>'
            )
    for theme in ("light", "dark"):
        variables = _package_file(
            "jupyterlab", "themes", "@jupyterlab", f"theme-{theme}-extension", "index.css"
        )
        if variables:
            css = variables.read_text(encoding="utf-8") + JUPYTERLAB_RULES
            pages[f"jupyterlab-{theme}"] = (
                f"<html><head><style>{css}</style></head><body>"
                f'<div class="jp-RenderedHTMLCommon" style="width:{COLUMN}px">{tree_html}'
                f"</div></body></html>"
            )
    return pages


# Run in a child process: the book's browser tests keep their own Playwright session open
# for the whole test run, and two sync Playwright sessions cannot share one process.
RUNNER = """
import json, sys
from playwright.sync_api import sync_playwright
chromium, column, script, pages = json.loads(sys.stdin.read())
results = {}
with sync_playwright() as pw:
    try:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
    except Exception as error:  # a broken browser install: the caller skips
        sys.exit(f"LAUNCH FAILED {error}")
    page = browser.new_page(viewport={"width": column + 80, "height": 900})
    for name, content in pages.items():
        page.set_content(content)
        results[name] = page.locator(".cp-tree, .clownpiece-module").first.evaluate(script)
    browser.close()
print(json.dumps(results))
"""


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    pytest.importorskip("playwright.sync_api")
    return CHROMIUM


def measure(chromium: str, tree_html: str) -> dict[str, dict]:
    """Contrast and overflow of the tree in every theme, measured in Chromium."""
    pages = _pages(tree_html)
    if not pages:
        pytest.skip("neither pydata-sphinx-theme nor jupyterlab is installed")
    done = subprocess.run(
        [sys.executable, "-c", RUNNER],
        input=json.dumps([chromium, COLUMN, MEASURE, pages]),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if "LAUNCH FAILED" in done.stderr:
        pytest.skip(f"could not start Chromium: {done.stderr.strip()[-300:]}")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def wide_model() -> Module:
    """Deep nesting, a long layer description, a long shape and a long unbroken name."""
    model = Module()
    inner = model
    for depth in range(6):
        child = Module()
        inner.register_module(f"level_{depth}", child)
        inner = child
    inner.proj = Linear(4096, 4096)
    inner.register_buffer("a_rather_long_buffer_name_without_any_break_in_it_at_all", cp.zeros(1))
    inner.register_parameter("many_dims", Parameter(cp.zeros(*([1] * 40))))
    inner.act = Tanh()
    return model


def test_tree_follows_every_theme_readably_and_fits_the_column(browser):
    results = measure(browser, wide_model()._repr_html_())
    for name, result in results.items():
        assert result["worst"] >= 4.5, (name, result["worst"], result["worstText"])
        assert result["overflow"] <= 0, (name, "needs a horizontal scrollbar", result["overflow"])
        dark_page = name.endswith("dark")
        # the text sits on the page's own background: dark in dark themes, light in light ones
        assert all((lum < 0.2) == dark_page for lum in result["backgrounds"]), name


def test_browser_check_catches_the_old_pink_tree(browser):
    # The tree as chapter 4 stored it before: <code> labels, one long line per node.
    old = (
        '<div class="clownpiece-module"><details open><summary><code>SimpleNet</code> &mdash; '
        "0 params</summary><ul><li><details open><summary><code>(layer1): Linear(in_features="
        "784, out_features=128, bias=True)</code> &mdash; 100,480 params</summary><ul><li>"
        "<code>weight</code>: (128, 784) = 100,352</li></ul></details></li></ul></details>"
        '<p style="white-space:nowrap">Total parameters: 101,770 ' + "x" * 200 + "</p></div>"
    )
    results = measure(browser, old)
    if "book-dark" in results:
        assert results["book-dark"]["worst"] < 4.5  # pale pink on the light output panel
    assert any(r["overflow"] > 0 for r in results.values())
    assert any(
        any(lum >= 0.2 for lum in r["backgrounds"])
        for n, r in results.items()
        if n.endswith("dark")
    )  # on a light panel in a dark page
