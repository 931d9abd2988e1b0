"""Student packages for the grader's tests: the shipped skeleton, a correct solution written
from the course text (tests/fixtures/student_solution), and copies of it with edits.

Run `python tests/student_packages.py` after changing the skeleton in book/student: it
records the shipped files' hashes in tests/fixtures/skeleton.sha256.
"""

import hashlib
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STUDENT = ROOT / "book" / "student"
MANIFEST = ROOT / "tests" / "fixtures" / "skeleton.sha256"
SOLUTION = ROOT / "tests" / "fixtures" / "student_solution"
FILES = sorted(p.relative_to(SOLUTION).as_posix() for p in SOLUTION.rglob("*.py"))


def package_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every .py file of a student package (line endings as LF), by path relative
    to `folder`."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(
            path.read_bytes().replace(b"\r\n", b"\n")
        ).hexdigest()
        for path in sorted(folder.rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def recorded_hashes() -> dict[str, str]:
    """The manifest: the hashes of book/student as shipped."""
    lines = MANIFEST.read_text().splitlines()
    return {name: digest for digest, name in (line.split(maxsplit=1) for line in lines)}


def edited_files(folder: Path = STUDENT) -> list[str]:
    """Files of `folder` that differ from the shipped skeleton (or are missing or extra)."""
    have, shipped = package_hashes(folder), recorded_hashes()
    return sorted(
        name for name in have.keys() | shipped.keys() if have.get(name) != shipped.get(name)
    )


def shipped_skeleton(folder: Path = STUDENT) -> Path:
    """book/student, for the tests that need it unsolved; once a student has worked in it,
    those tests skip (the book's tests must not depend on the student's progress). Under CI
    (a clean checkout) an edited skeleton fails instead: the manifest is out of date."""
    edited = edited_files(folder)
    if edited:
        message = f"book/student differs from the shipped skeleton in {', '.join(edited)}"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; if the skeleton changed, run python tests/student_packages.py")
        pytest.skip(f"{message} (your work): the skeleton's own tests run on a clean checkout")
    return folder


def copy_package(source: Path, target: Path) -> Path:
    """A copy of the package folder `source` (nn/ and train.py) at `target`."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def variant(target: Path, edits: list[tuple[str, str, str]], source: Path = SOLUTION) -> Path:
    """A copy of `source` with each (file, old text, new text) replaced exactly once."""
    copy_package(source, target)
    for name, old, new in edits:
        path = target / name
        text = path.read_text()
        assert text.count(old) == 1, f"{name}: the text to replace occurs {text.count(old)} times"
        path.write_text(text.replace(old, new))
    return target


def mix(target: Path, solved: list[str]) -> Path:
    """The skeleton with the solution's version of each file in `solved`."""
    copy_package(shipped_skeleton(), target)
    for name in solved:
        shutil.copy(SOLUTION / name, target / name)
    return target


if __name__ == "__main__":
    hashes = package_hashes(STUDENT)
    MANIFEST.write_text("".join(f"{digest}  {name}\n" for name, digest in hashes.items()))
    print(
        f"recorded {len(hashes)} files of {STUDENT.relative_to(ROOT)} in {MANIFEST.relative_to(ROOT)}"
    )
