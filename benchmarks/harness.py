"""Timing helpers: every case runs its contenders interleaved in one process, medians compared."""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from dataclasses import dataclass, field

try:
    import torch
except ImportError:  # PyTorch is optional: its column is then left empty
    torch = None

LABELS = ("clownpiece", "numpy", "pytorch")


@dataclass
class Case:
    """One benchmark: contenders (label -> zero-arg callable or None) and targets
    (baseline label -> the largest acceptable clownpiece/baseline ratio).

    `repeats` caps the timed calls per contender (long cases such as a whole epoch);
    `per_turn` calls are timed each time a contender takes its turn, after one untimed
    warm-up call unless `warm_up` is false.
    """

    name: str
    contenders: dict
    targets: dict
    medians: dict = field(default_factory=dict)
    repeats: int | None = None
    per_turn: int = 5
    warm_up: bool = True

    def ratio(self, baseline: str) -> float | None:
        ours, base = self.medians.get("clownpiece"), self.medians.get(baseline)
        return ours / base if ours and base else None


@dataclass
class MemoryCase(Case):
    """Peak memory traced by tracemalloc during one call of each contender (numpy's
    allocations are traced; PyTorch's allocator is not, so it has no column here)."""


PAUSE_S = 0.2


def median_seconds(
    fns: dict, repeats: int, per_turn: int = 5, warm_up: bool = True, pause: float = PAUSE_S
) -> dict:
    """Median wall time of each callable over `repeats` timed calls.

    Contenders take turns, alternating so that slow drifts of the machine hit all alike.
    Each turn starts after a pause and (unless `warm_up` is false) one untimed call: the
    previous contender's thread pool may still be spinning on the two cores (OpenBLAS's
    workers busy-wait ~0.1 s after their last call). Measured on the MNIST transformer
    step: PyTorch's took 12 ms right after clownpiece's turn, 6 ms after a 0.2 s pause,
    as in a process of its own.
    """
    samples: dict = {label: [] for label in fns}
    while any(len(s) < repeats for s in samples.values()):
        for label, fn in fns.items():
            time.sleep(pause)
            if warm_up:
                fn()
            for _ in range(per_turn):
                start = time.perf_counter()
                fn()
                samples[label].append(time.perf_counter() - start)
    return {label: statistics.median(s) for label, s in samples.items()}


def peak_bytes(fn) -> int:
    """Peak traced memory above what was held before one call of `fn` (after a warm-up)."""
    fn()
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        fn()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


def run(cases: list, repeats: int) -> list:
    for case in cases:
        present = {k: v for k, v in case.contenders.items() if v is not None}
        if isinstance(case, MemoryCase):
            case.medians = {label: peak_bytes(fn) for label, fn in present.items()}
            continue
        n = repeats if case.repeats is None else min(repeats, case.repeats)
        case.medians = median_seconds(present, n, min(case.per_turn, n), case.warm_up)
    return cases


def format_table(cases: list) -> str:
    """Medians per contender (ms, or KiB for memory cases), then clownpiece's ratio to
    each baseline and its target."""
    header = f"{'case':<40}" + "".join(f"{lab:>13}" for lab in LABELS)
    header += f"{'vs numpy':>11}{'vs pytorch':>12}   target"
    rows = [header, "-" * len(header)]
    for case in cases:
        memory = isinstance(case, MemoryCase)
        unit = "KiB" if memory else "ms"
        line = f"{case.name + ' (' + unit + ')':<40}"
        for lab in LABELS:
            value = case.medians.get(lab)
            shown = None if value is None else value / 1024 if memory else value * 1e3
            line += f"{shown:>13.3f}" if shown is not None else f"{'-':>13}"
        for baseline, width in (("numpy", 11), ("pytorch", 12)):
            ratio = case.ratio(baseline)
            line += f"{ratio:>{width - 1}.2f}x" if ratio is not None else f"{'-':>{width}}"
        goals = ", ".join(f"<= {t:.2f}x {b}" for b, t in case.targets.items())
        met = all(case.ratio(b) is None or case.ratio(b) <= t for b, t in case.targets.items())
        rows.append(f"{line}   {goals} {'(met)' if met else '(MISSED)'}")
    return "\n".join(rows)
