"""Timing helpers: every case runs its contenders interleaved in one process, medians compared."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

try:
    import torch
except ImportError:  # PyTorch is optional: its column is then left empty
    torch = None

LABELS = ("clownpiece", "numpy", "pytorch")


@dataclass
class Case:
    """One benchmark: contenders (label -> zero-arg callable or None) and targets
    (baseline label -> the largest acceptable clownpiece/baseline ratio)."""

    name: str
    contenders: dict
    targets: dict
    medians: dict = field(default_factory=dict)

    def ratio(self, baseline: str) -> float | None:
        ours, base = self.medians.get("clownpiece"), self.medians.get(baseline)
        return ours / base if ours and base else None


def median_seconds(fns: dict, repeats: int, block: int = 6) -> dict:
    """Median wall time of each callable over `repeats` timed calls.

    Contenders take turns in blocks: each block starts with one untimed call, because
    the previous contender's thread pool (OpenBLAS, OpenMP) may still be spinning on
    the two cores; alternating blocks lets slow drifts of the machine hit all alike.
    """
    samples: dict = {label: [] for label in fns}
    while any(len(s) < repeats for s in samples.values()):
        for label, fn in fns.items():
            fn()
            for _ in range(block - 1):
                start = time.perf_counter()
                fn()
                samples[label].append(time.perf_counter() - start)
    return {label: statistics.median(s) for label, s in samples.items()}


def run(cases: list, repeats: int) -> list:
    for case in cases:
        present = {k: v for k, v in case.contenders.items() if v is not None}
        case.medians = median_seconds(present, repeats)
    return cases


def format_table(cases: list) -> str:
    """Medians in ms per contender, then clownpiece's ratio to each baseline and its target."""
    header = f"{'case':<34}" + "".join(f"{lab + ' ms':>15}" for lab in LABELS)
    header += f"{'vs numpy':>11}{'vs pytorch':>12}   target"
    rows = [header, "-" * len(header)]
    for case in cases:
        line = f"{case.name:<34}"
        for lab in LABELS:
            value = case.medians.get(lab)
            line += f"{value * 1e3:>15.3f}" if value is not None else f"{'-':>15}"
        for baseline, width in (("numpy", 11), ("pytorch", 12)):
            ratio = case.ratio(baseline)
            line += f"{ratio:>{width - 1}.2f}x" if ratio is not None else f"{'-':>{width}}"
        goals = ", ".join(f"<= {t:.2f}x {b}" for b, t in case.targets.items())
        met = all(case.ratio(b) is None or case.ratio(b) <= t for b, t in case.targets.items())
        rows.append(f"{line}   {goals} {'(met)' if met else '(MISSED)'}")
    return "\n".join(rows)
