"""The HTML view of a module in Jupyter: a collapsible tree with what each branch holds."""

from __future__ import annotations

import html
from typing import Any

# The tree sets no colour of its own: text and background come from the page, so it reads in
# light and dark themes (JupyterLab, Jupyter Book). In dark mode pydata-sphinx-theme puts HTML
# outputs on a light panel; the last rule keeps this tree on the page's own background instead.
# Long labels and shapes wrap rather than scroll.
TREE_STYLE = (
    "<style>"
    ".cp-tree{line-height:1.45;overflow-wrap:anywhere}"
    ".cp-tree ul{list-style:none;margin:0;padding-left:1.25em}"
    ".cp-tree summary{cursor:pointer;padding-left:1.1em;text-indent:-1.1em}"
    ".cp-tree li{padding-left:1.1em;text-indent:-1.1em}"
    ".cp-tree .cp-code{font-family:var(--pst-font-family-monospace,"
    "var(--jp-code-font-family,monospace))}"
    "html[data-theme=dark] .bd-content div.cell_output div.output.text_html:has(> div.cp-tree)"
    "{color:var(--pst-color-text-base);background-color:transparent;padding:0}"
    "</style>"
)


def module_html(module: Any) -> str:
    """What Jupyter shows for a module: the styled tree of `html_tree`."""
    return f'<div class="cp-tree">{TREE_STYLE}{html_tree(module, "", set())}</div>'


def plural(count: int, noun: str) -> str:
    """`1 parameter`, `2 parameters`, `101,770 parameters`."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def subtree_size(module: Any) -> str:
    """How many parameter (and buffer) values `module` and its descendants hold, each once."""
    text = plural(sum(p.numel() for p in module.parameters()), "parameter")
    buffer_values = sum(b.numel() for b in module.buffers())
    if buffer_values:
        text += " · " + plural(buffer_values, "buffer value")
    return text


def html_tensor_items(module: Any) -> list:
    """One `<li>` per own parameter, then per own buffer (marked, and whether it is saved)."""
    items = []
    for name, param in module._parameters.items():
        items.append(html_tensor_item(name, "", param))
    for name, buffer in module._buffers.items():
        saved = name not in module._non_persistent_buffers
        items.append(html_tensor_item(name, "buffer " if saved else "buffer (not saved) ", buffer))
    return items


def html_tensor_item(name: str, kind: str, value: Any) -> str:
    """`weight (128, 784) · 100,352`, or `bias None` for a disabled slot."""
    what = "None" if value is None else f"{tuple(value.shape)} · {value.numel():,}"
    return f'<li><span class="cp-code">{html.escape(name)}</span> {kind}{what}</li>'


def html_tree(module: Any, name: str, seen: set) -> str:
    """One collapsible `<details>` per module: its subtree's size, its own tensors, its children.

    A module reachable twice is expanded once; `name` is "" for the root.
    """
    extra = module.extra_repr()
    label = (f"({name}): " if name else "") + module._get_name() + (f"({extra})" if extra else "")
    summary = f'<span class="cp-code">{html.escape(label)}</span> · {subtree_size(module)}'
    if id(module) in seen:
        return f"<li>{summary} (shared, shown above)</li>"
    seen.add(id(module))
    items = html_tensor_items(module)
    for key, child in module._modules.items():
        if child is None:
            items.append(f'<li><span class="cp-code">({html.escape(key)}): None</span></li>')
        else:
            items.append(html_tree(child, key, seen))
    inner = f"<ul>{''.join(items)}</ul>" if items else ""
    node = f"<details open><summary>{summary}</summary>{inner}</details>"
    return f"<li>{node}</li>" if name else node
