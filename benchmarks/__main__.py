"""Run the benchmark cases and print one table: `python -m benchmarks [--repeats N] [-k TEXT]`.

`-k "MNIST transformer step"` runs one case; `python -m benchmarks.op_profile [mlp]` shows
where a training step's time goes, op by op.
"""

from __future__ import annotations

import argparse

from . import cases_layers, cases_mnist, cases_module, cases_tensor
from .harness import format_table, run, torch


def collect() -> list:
    return [
        *cases_tensor.cases(),
        *cases_module.cases(),
        *cases_layers.cases(),
        *cases_mnist.cases(),
    ]


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
