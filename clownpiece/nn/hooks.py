"""Forward hooks: what `Module.__call__` runs around `forward`, in PyTorch's order."""

from __future__ import annotations

import warnings
from collections import OrderedDict
from typing import Any


class RemovableHandle:
    """Returned by the hook registrations; `remove()` unregisters the hook."""

    next_id = 0

    def __init__(self, hooks: dict) -> None:
        self.hooks, self.id = hooks, RemovableHandle.next_id
        RemovableHandle.next_id += 1

    def remove(self) -> None:
        self.hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def add_hook(hooks: OrderedDict, entry: tuple, prepend: bool) -> RemovableHandle:
    """Store `entry` (the hook and its flags) last, or first with `prepend`; return its handle."""
    handle = RemovableHandle(hooks)
    hooks[handle.id] = entry
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def call_with_hooks(module: Any, args: tuple, kwargs: dict) -> Any:
    """Pre-hooks (may replace the inputs), `forward`, then hooks (may replace the output).

    If anything raises, the hooks registered with `always_call=True` that have not run yet
    still run (with the output so far, None if forward failed), then the error propagates.
    """
    output = None
    hooks_run = set()
    try:
        for hook, with_kwargs in list(module._forward_pre_hooks.values()):
            if with_kwargs:
                result = hook(module, args, kwargs)
                if result is not None:
                    args, kwargs = new_args_and_kwargs(module, result)
            else:
                result = hook(module, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        output = module.forward(*args, **kwargs)
        for key, (hook, with_kwargs, _) in list(module._forward_hooks.items()):
            hooks_run.add(key)
            output = run_forward_hook(hook, with_kwargs, module, args, kwargs, output)
    except Exception:
        for key, (hook, with_kwargs, always_call) in list(module._forward_hooks.items()):
            if always_call and key not in hooks_run:
                try:
                    output = run_forward_hook(hook, with_kwargs, module, args, kwargs, output)
                except Exception as error:
                    warnings.warn(
                        f"a forward hook of {type(module).__name__} with always_call=True "
                        f"raised {error!r}, silenced because another error was raised first",
                        stacklevel=3,
                    )
        raise
    return output


def run_forward_hook(
    hook: Any, with_kwargs: bool, module: Any, args: tuple, kwargs: dict, output: Any
) -> Any:
    """Call one forward hook; its result replaces the output unless it is None."""
    if with_kwargs:
        result = hook(module, args, kwargs, output)
    else:
        result = hook(module, args, output)
    return output if result is None else result


def new_args_and_kwargs(module: Any, result: Any) -> tuple:
    """A with_kwargs pre-hook must return None or an (args, kwargs) pair."""
    if not (isinstance(result, tuple) and len(result) == 2):
        raise RuntimeError(
            f"forward pre-hook of {type(module).__name__} must return None or a tuple "
            f"(new_args, new_kwargs), but got {result!r}"
        )
    return result
