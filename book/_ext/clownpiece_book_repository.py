"""Repository, issue and launch buttons follow ``repository.url`` in _config.yml, and nothing else.

With no URL (the default) the book shows none of them, so no button points at a repository
that does not exist.  With a GitHub URL it shows the repository and issue buttons and the
launch menu of ``launch_buttons`` (Binder, Colab, and a JupyterHub when one is configured).
(Jupyter Book fills every ``use_*_button`` with a default, so they are set here, not there.)
"""

from __future__ import annotations

import re

LAUNCH_URL_KEYS = (
    "binderhub_url",
    "colab_url",
    "jupyterhub_url",
    "jupyterlite_url",
    "deepnote_url",
)
AUTOMATIC_BUTTONS = ("use_repository_button", "use_issues_button")
GITHUB_URL = re.compile(r"^https://github\.com/[\w.-]+/[\w.-]+$")


def normalise_repository_url(url: str | None) -> str:
    """``https://github.com/owner/name`` without a trailing slash or ``.git``; '' when unset."""
    url = (url or "").strip().rstrip("/")
    return url[: -len(".git")] if url.endswith(".git") else url


def configure_buttons(app, config) -> None:
    options = config.html_theme_options
    url = normalise_repository_url(options.get("repository_url"))
    if url and not GITHUB_URL.match(url):
        raise ValueError(
            f"_config.yml repository.url must look like https://github.com/OWNER/NAME, got {url!r}"
        )
    options["repository_url"] = url
    if url:
        for button in AUTOMATIC_BUTTONS:
            options[button] = True
        return
    for button in (*AUTOMATIC_BUTTONS, "use_edit_page_button", "use_source_button"):
        options[button] = False
    launch = dict(options.get("launch_buttons") or {})
    for key in LAUNCH_URL_KEYS:
        launch[key] = (
            ""  # sphinx-book-theme skips the launch menu when every URL is empty
        )
    launch["thebe"] = False
    options["launch_buttons"] = launch


def setup(app):
    app.connect("config-inited", configure_buttons)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
