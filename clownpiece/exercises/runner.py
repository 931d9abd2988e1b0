"""Running checks in isolation: fixed seeds (restored afterwards), stubs traced, a time limit,
and every exception of the code under test turned into a one-line reason."""

from __future__ import annotations

import random
import signal
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import rng
from ..autograd import is_grad_enabled, set_grad_enabled
from .catalog import Group
from .expect import CheckFailed, Missing
from .report import Report, Row, one_line
from .stubs import StubTracer


@dataclass
class Subject:
    """What a group's checks run on, and what the runner needs to explain their failures."""

    value: Any = None  # the namespace under test (a package, module or Namespace)
    stubs: dict = field(default_factory=dict)  # stub code -> "Class.method (file:line)"
    files: dict = field(default_factory=dict)  # file name of the student's code -> short label
    error: str = ""  # set when the package could not be imported: every check fails with it


class CheckTimeout(BaseException):
    """Raised into a check that runs too long (BaseException: a student's `except` can't eat it)."""


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed clownpiece's, numpy's and Python's generators; restore all three afterwards."""
    package_state = rng.generator().bit_generator.state
    python_state, numpy_state = random.getstate(), np.random.get_state()
    rng.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    try:
        yield
    finally:
        rng.manual_seed(0)
        rng.generator().bit_generator.state = package_state
        random.setstate(python_state)
        np.random.set_state(numpy_state)


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Interrupt the block after `seconds` (main thread on Unix only; otherwise no limit)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not seconds or not usable:
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise CheckTimeout(f"took longer than {seconds:g} s (an endless loop?)")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _function_name(frame: Any) -> str:
    """`Class.method` of a frame; for `forward`, the class of `self` (it may be inherited)."""
    code = frame.f_code
    owner = frame.f_locals.get("self")
    if code.co_name == "forward" and owner is not None:
        return f"{type(owner).__name__}.forward"
    return code.co_qualname


def explain(exc: BaseException, subject: Subject) -> str:
    """The one-line reason a check failed with `exc`."""
    if isinstance(exc, Missing):
        return f"not implemented yet: {exc}"
    if isinstance(exc, CheckFailed):
        return one_line(str(exc)) or "wrong result"
    if isinstance(exc, CheckTimeout):
        return str(exc)
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append((tb.tb_frame, tb.tb_lineno))
        tb = tb.tb_next
    theirs = [(f, line) for f, line in frames if f.f_code.co_filename in subject.files]
    if not theirs:
        where = ""
    else:
        frame, line = theirs[-1]
        place, name = f"{subject.files[frame.f_code.co_filename]}:{line}", _function_name(frame)
        if isinstance(exc, NotImplementedError) and frames[-1][0] is frame:
            return f"not implemented yet: {name} ({place})"
        where = f" ({place}, in {name})"
    message = str(exc)
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return one_line(text, 200) + where


def run_check(fn: Callable, subject: Subject, seed: int, timeout: float | None) -> str | None:
    """Run one check; None when it passed, else the reason it failed."""
    if subject.error:
        return subject.error
    tracer = StubTracer(subject.stubs)
    grad_mode = is_grad_enabled()
    try:
        with seeded(seed), time_limit(timeout), tracer:
            fn(subject.value)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # the code under test may raise anything
        reason = explain(exc, subject)
        exc.__traceback__ = None  # drop the frames (and the objects they hold)
        return f"not implemented yet: {tracer.hit}" if tracer.hit else reason
    finally:
        set_grad_enabled(grad_mode)
    return f"not implemented yet: {tracer.hit}" if tracer.hit else None


def run_groups(
    groups: list[Group],
    subjects: dict[str, Subject],
    title: str,
    base_seed: int = 0,
    timeout: float | None = None,
) -> Report:
    """Run every check of `groups` on its subject; the seed of a check depends only on its name."""
    report = Report(title)
    for group in groups:
        subject = subjects[group.subject]
        for name, fn in group.checks:
            seed = (base_seed + zlib.crc32(f"{group.name}/{name}".encode())) % 2**31
            reason = run_check(fn, subject, seed, timeout)
            report.add(Row(name, reason is None, reason or "", group.name, group.part))
    return report
