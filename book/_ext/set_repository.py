"""Set the book's repository in _config.yml and the Colab lines of every chapter to match.

    python book/_ext/set_repository.py https://github.com/OWNER/NAME [--branch main]
    python book/_ext/set_repository.py ""          # no repository: no buttons, no Colab lines
    python book/_ext/set_repository.py             # re-sync the chapters with _config.yml
    python book/_ext/set_repository.py --check     # exit 1 if a chapter disagrees

``repository.url`` in _config.yml is the one place the URL lives.  With a URL, the first code
cell of every chapter in _toc.yml starts with a block that, on Colab only, clones the repository
and installs its package; without one the block is absent.  See book/PUBLISHING.md.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COLAB_DIR = "/content/course"
FIRST_LINE = "# On Colab: fetch the course and install its package (book/_ext/set_repository.py)."
GITHUB_URL = re.compile(r"^https://github\.com/[\w.-]+/[\w.-]+$")


def colab_block(url: str, branch: str, notebook_dir: str) -> str:
    """The lines a chapter's first cell starts with when the book has a repository."""
    return "\n".join(
        [
            FIRST_LINE,
            "import os",
            "import sys",
            "",
            'if "google.colab" in sys.modules:',
            f'    if not os.path.isdir("{COLAB_DIR}"):',
            f"        !git clone -q --depth 1 -b {branch} {url} {COLAB_DIR}",
            f"        %pip install -q {COLAB_DIR}",
            f"    %cd {COLAB_DIR}/{notebook_dir}".rstrip("/"),
            "",
            "",
        ]
    )


def without_colab_block(source: str) -> str:
    """A cell's source with the block written by colab_block() taken out."""
    lines = source.split("\n")
    starts = [
        i
        for i, line in enumerate(lines[:6])
        if line.startswith('if "google.colab" in ')
    ]
    if not lines or lines[0] != FIRST_LINE or not starts:
        return source
    end = starts[0] + 1
    while end < len(lines) and lines[end].startswith(" "):
        end += 1  # the indented body
    while end < len(lines) and not lines[end].strip():
        end += 1  # the blank lines after it
    return "\n".join(lines[end:])


def read_repository(config: Path) -> tuple[str, str]:
    """(url, branch) from _config.yml."""
    import yaml

    repo = yaml.safe_load(config.read_text(encoding="utf-8")).get("repository") or {}
    url = (repo.get("url") or "").strip().rstrip("/")
    return (url[:-4] if url.endswith(".git") else url), str(
        repo.get("branch") or "main"
    )


def write_repository(config: Path, url: str, branch: str | None) -> None:
    """Rewrite the url (and branch) lines of the repository: section, keeping every comment."""
    text = config.read_text(encoding="utf-8")
    section = re.search(r"(?m)^repository:\n((?:[ \t]+.*\n|[ \t]*\n)*)", text)
    if section is None:
        raise SystemExit(f"{config} has no 'repository:' section")
    body = section.group(1)
    if not re.search(r"(?m)^\s+url:.*$", body):
        raise SystemExit(f"{config}: the repository section has no url line")
    body = re.sub(
        r"(?m)^(\s+url:).*$", lambda m: f'{m.group(1)} "{url}"', body, count=1
    )
    if branch is not None:
        body = re.sub(
            r"(?m)^(\s+branch:).*$", lambda m: f"{m.group(1)} {branch}", body, count=1
        )
    config.write_text(
        text[: section.start(1)] + body + text[section.end(1) :], encoding="utf-8"
    )


def chapters(root: Path) -> list[Path]:
    """The notebooks listed in _toc.yml, in reading order."""
    import yaml

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc.get("root")]

    def walk(entries):
        for entry in entries or []:
            files.append(entry.get("file"))
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    walk(toc.get("chapters"))
    for part in toc.get("parts") or []:
        walk(part.get("chapters"))
    paths = [root / (f if f.endswith(".ipynb") else f + ".ipynb") for f in files if f]
    return [p for p in paths if p.exists()]


def synced_source(source: str, url: str, branch: str, notebook_dir: str) -> str:
    rest = without_colab_block(source)
    return colab_block(url, branch, notebook_dir) + rest if url else rest


def sync_chapters(root: Path, write: bool) -> list[Path]:
    """Chapters whose first code cell disagrees with _config.yml (fixed when ``write``)."""
    import nbformat

    url, branch = read_repository(root / "_config.yml")
    stale = []
    for path in chapters(root):
        nb = nbformat.read(path, as_version=4)
        cell = next((c for c in nb.cells if c.cell_type == "code"), None)
        if cell is None:
            raise SystemExit(f"{path}: a chapter needs a first code cell")
        notebook_dir = path.parent.relative_to(root).as_posix()
        wanted = synced_source(
            cell.source, url, branch, "" if notebook_dir == "." else notebook_dir
        )
        if wanted != cell.source:
            stale.append(path)
            if write:
                cell.source = wanted
                nbformat.write(nb, path)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "url", nargs="?", help='https://github.com/OWNER/NAME, or "" for none'
    )
    parser.add_argument(
        "--branch", help="the branch Binder and Colab open (default: unchanged)"
    )
    parser.add_argument(
        "--check", action="store_true", help="only report disagreements"
    )
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if args.url is not None or args.branch is not None:
        if args.check:
            parser.error("--check takes no URL or branch")
        url = (
            None
            if args.url is None
            else args.url.strip().rstrip("/").removesuffix(".git")
        )
        if url and not GITHUB_URL.match(url):
            parser.error(f"expected https://github.com/OWNER/NAME, got {args.url!r}")
        current, _ = read_repository(root / "_config.yml")
        write_repository(
            root / "_config.yml", current if url is None else url, args.branch
        )
    stale = sync_chapters(root, write=not args.check)
    url, branch = read_repository(root / "_config.yml")
    for path in stale:
        verb = "disagrees with" if args.check else "updated from"
        print(f"{path.relative_to(root)}: {verb} _config.yml", file=sys.stderr)
    if not args.check:
        print(
            f"repository: {url or '(none)'} (branch {branch}); {len(stale)} chapter(s) updated"
        )
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
