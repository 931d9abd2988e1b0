"""Run every benchmark case and print one table: `python -m benchmarks [--repeats N]`."""

from __future__ import annotations

import argparse
import importlib

from .harness import format_table, run, torch

CASE_MODULES = ["cases_tensor", "cases_module", "cases_layers"]


def collect() -> list:
    cases = []
    for name in CASE_MODULES:
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except ModuleNotFoundError as e:
            if e.name != f"benchmarks.{name}":
                raise
            continue
        cases.extend(module.cases())
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("-k", default="", help="only cases whose name contains this text")
    args = parser.parse_args()
    cases = [c for c in collect() if args.k in c.name]
    if torch is None:
        print("PyTorch is not importable: its column is skipped (pip install torch==2.13.0).")
    print(format_table(run(cases, args.repeats)))


if __name__ == "__main__":
    main()
