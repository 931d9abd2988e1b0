"""Small Sphinx fixes for the Jupyter Book 1.x build (loaded via _config.yml).

Sphinx 7.4 adds an inline ``<script>`` registered after the HTML builder was
initialised twice (once as ``filename=None`` straight on the builder, once as
``filename=''`` from the registry when pages are written).  sphinx-thebe
registers exactly such a script (``const THEBE_JS_URL = ...``), so every page
loaded it twice and the browser reported ``Identifier 'THEBE_JS_URL' has
already been declared``.  We drop the builder's ``None`` copies; Sphinx re-adds
each of them once, from the registry, before writing.

Live training progress (``clownpiece.data.progress``) leaves one empty text
output in a stored notebook; ``_drop_empty_text_outputs`` keeps it off the page.
"""

from __future__ import annotations

from docutils import nodes


def _drop_unnamed_inline_scripts(app, env, docnames):
    builder = app.builder
    js_files = getattr(builder, "_js_files", None)
    if not isinstance(js_files, list):
        return
    registered = {str(attrs.get("body")) for name, attrs in app.registry.js_files if not name}
    js_files[:] = [
        js
        for js in js_files
        if not (
            getattr(js, "filename", "") is None
            and str(getattr(js, "attributes", {}).get("body")) in registered
        )
    ]


def _drop_empty_text_outputs(app, doctree):
    for block in list(doctree.findall(nodes.literal_block)):
        classes = block.get("classes", [])
        if "output" in classes and "text_plain" in classes and not block.astext().strip():
            block.parent.remove(block)


def setup(app):
    # after sphinx-thebe's own env-before-read-docs handler (default priority 500)
    app.connect("env-before-read-docs", _drop_unnamed_inline_scripts, priority=900)
    app.connect("doctree-read", _drop_empty_text_outputs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
