"""Two workarounds for the Jupyter Book 1.x toolchain (loaded from _config.yml).

1. Inline scripts twice on every page (Sphinx 7.x; fixed upstream in Sphinx 8 by
   https://github.com/sphinx-doc/sphinx/pull/13402, which Jupyter Book 1.x cannot use: it
   requires ``sphinx~=7.0``).  ``Sphinx.add_js_file(None, body=...)`` called after the HTML
   builder started (sphinx-thebe does so for ``const THEBE_JS_URL = ...``) reaches the builder
   once as ``filename=None`` and once more, from the registry, as ``filename=''``; the two copies
   differ only in that, so both are written and the browser reports "Identifier 'THEBE_JS_URL'
   has already been declared".  We drop the repeats from each page's documented
   ``script_files`` template variable, touching no private builder state.  Tested with
   sphinx 7.4.7 and sphinx-thebe 0.3.1 (pinned in requirements.txt); harmless once fixed.

2. A stored notebook output that is only blank text (an emptied progress display) would show
   as an empty box; it is dropped from the page.
"""

from __future__ import annotations

from docutils import nodes


def _script_key(script) -> tuple:
    """What makes two <script> entries the same: file (None and '' alike) and attributes."""
    if isinstance(script, str):  # old-style entries are plain file names
        return (script, ())
    attributes = getattr(script, "attributes", {}) or {}
    return (getattr(script, "filename", None) or "", tuple(sorted(attributes.items())))


def drop_repeated_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique  # a new list: the builder's own stays as it was


def drop_blank_outputs(app, doctree) -> None:
    for block in list(doctree.findall(nodes.literal_block)):
        if "output" in block.get("classes", []) and not block.astext().strip():
            block.parent.remove(block)


def setup(app):
    # last, after every extension has added its page scripts
    app.connect("html-page-context", drop_repeated_scripts, priority=999)
    app.connect("doctree-read", drop_blank_outputs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
