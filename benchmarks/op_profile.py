"""Where a training step's time goes, op by op: `python -m benchmarks.op_profile [mlp]`.

Every array op in `clownpiece.ops` is wrapped with a timer for its forward call and for
each gradient closure it returns; the table lists the ops by total time, then what the
step spends outside the ops (modules, `apply_op`, the engine, the SGD update) and the page
faults per step (minor faults: memory the process had to get from the system again).
The wrappers cost ~1 µs per op, so the step runs a little slower than in `benchmarks`;
the garbage collector is off while timing, because the wrappers' own objects would trigger
collections that the unwrapped step does not (3 per 100 steps).
"""

from __future__ import annotations

import argparse
import collections
import functools
import gc
import resource
import sys
import time
import types

import clownpiece as cp

from . import mnist_models as m

OPS = sys.modules["clownpiece.ops"]
forward_s: collections.Counter = collections.Counter()
backward_s: collections.Counter = collections.Counter()
calls: collections.Counter = collections.Counter()


def timed(op):
    """`op` with its forward call and its gradient closures timed under `op.__name__`."""

    @functools.wraps(op)
    def run(*args, **kwargs):
        start = time.perf_counter()
        out, grad_fns = op(*args, **kwargs)
        forward_s[op.__name__] += time.perf_counter() - start
        calls[op.__name__] += 1
        return out, tuple(timed_grad(op.__name__, g) for g in grad_fns)

    return run


def timed_grad(name: str, grad_fn):
    def run(g):
        start = time.perf_counter()
        result = grad_fn(g)
        backward_s[name] += time.perf_counter() - start
        return result

    return run


def install() -> None:
    """Point every module that calls `ops.<name>` at the timed versions."""
    proxy = types.SimpleNamespace(**{n: timed(f) for n, f in OPS.DIFFERENTIABLE_OPS.items()})
    for module in list(sys.modules.values()):
        name = getattr(module, "__name__", "")
        if name.startswith("clownpiece") and getattr(module, "ops", None) is OPS:
            module.ops = proxy


def build(which: str):
    """A zero-argument training step of the chosen workload."""
    if which == "mlp":
        images, labels = m.synthetic_mnist(m.MLP_BATCH, seed=2)
        cp.manual_seed(0)
        step = m.clownpiece_step(m.mlp(), flatten=True)
    else:
        images, labels = m.synthetic_mnist(m.TRANSFORMER_BATCH, seed=1)
        cp.manual_seed(0)
        step = m.clownpiece_step(m.PatchTransformer())
    x, y = cp.Tensor(images), cp.Tensor(labels, dtype=cp.int64)
    return lambda: step(x, y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "workload", nargs="?", default="transformer", choices=["transformer", "mlp"]
    )
    parser.add_argument("--steps", type=int, default=50)
    args = parser.parse_args()
    install()
    step = build(args.workload)
    for _ in range(5):
        step()
    for counter in (forward_s, backward_s, calls):
        counter.clear()
    gc.disable()
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    gc.enable()
    per_step = (time.perf_counter() - start) / args.steps * 1e3
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / args.steps
    n = args.steps
    print(f"{'op':<16}{'calls':>6}{'fwd ms':>9}{'bwd ms':>9}")
    for name in sorted(calls, key=lambda k: -(forward_s[k] + backward_s[k])):
        fwd, bwd = forward_s[name] / n * 1e3, backward_s[name] / n * 1e3
        print(f"{name:<16}{calls[name] // n:>6}{fwd:>9.3f}{bwd:>9.3f}")
    fwd, bwd = sum(forward_s.values()) / n * 1e3, sum(backward_s.values()) / n * 1e3
    print(
        f"ops: forward {fwd:.2f} ms, backward {bwd:.2f} ms; outside the ops "
        f"{per_step - fwd - bwd:.2f} ms; step {per_step:.2f} ms; {faults:.0f} page faults/step"
    )


if __name__ == "__main__":
    main()
