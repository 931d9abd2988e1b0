"""Student packages for the grader's tests: the shipped skeleton, a correct solution written
from the course text (tests/fixtures/student_solution), and copies of it with edits."""

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SKELETON = ROOT / "book" / "student"
SOLUTION = ROOT / "tests" / "fixtures" / "student_solution"
FILES = sorted(p.relative_to(SOLUTION).as_posix() for p in SOLUTION.rglob("*.py"))


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
    copy_package(SKELETON, target)
    for name in solved:
        shutil.copy(SOLUTION / name, target / name)
    return target
