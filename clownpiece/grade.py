"""Grade a student package: `python -m clownpiece.grade [part1 ... part5] [--impl PATH]`.

PATH is a folder holding the package `nn/` (and `train.py`); the default is book/student
(else ./student); `--impl reference` grades clownpiece.nn itself. Prints a PASS/FAIL row per
check with its reason, a score per part and, last, `score: X/Y`. Exit status 0 only when
every selected check passed (1 otherwise, 2 for a bad command line).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from .exercises import PARTS, run
from .exercises.checking import grade_subjects
from .exercises.report import format_row

TIME_LIMIT = 30.0  # seconds per check: an endless loop in a student's code fails that check


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m clownpiece.grade", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "parts",
        nargs="*",
        metavar="PART",
        choices=[[], *PARTS],
        help=f"parts to grade (default: all): {', '.join(PARTS)}",
    )
    parser.add_argument(
        "--impl",
        metavar="PATH",
        default=None,
        help="folder holding nn/ (default book/student), or 'reference'",
    )
    args = parser.parse_args(argv)
    if args.impl not in (None, "reference") and not os.path.isdir(os.path.join(args.impl, "nn")):
        parser.error(f"--impl {args.impl}: no nn/ folder there")
    parts = args.parts or list(PARTS)
    start = time.perf_counter()
    subjects, what = grade_subjects(args.impl)
    print(what)
    scores = []
    for part in parts:
        report = run(part, subjects["nn"], subjects["train"], timeout=TIME_LIMIT)
        files = PARTS[part]
        print(f"\n{part}: {files}")
        for row in report.rows:
            print("\n".join(format_row(row, width=None, indent="")))
        print(f"{part}: {report.passed}/{report.total}")
        scores.append((part, report.passed, report.total))
    passed, total = sum(s[1] for s in scores), sum(s[2] for s in scores)
    print(
        f"\n{'  '.join(f'{p} {a}/{b}' for p, a, b in scores)}  ({time.perf_counter() - start:.1f} s)"
    )
    print(f"score: {passed}/{total}")
    sys.stdout.flush()
    return 0 if passed == total else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # the output was piped into e.g. `head`, which stopped reading
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)

__all__ = ["main"]
