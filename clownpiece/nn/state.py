"""What `state_dict` saves and how `load_state_dict` checks and casts before writing.

Helpers of `Module.state_dict` / `Module.load_state_dict` (chapter 3 shows them); they use
only the public API of `Tensor`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..tensor import Tensor


def state_slots(module: Any, prefix: str = "") -> list:
    """(key, tensor or None) of every slot `state_dict` saves, in order.

    Own parameters, then own persistent buffers, then each child's slots under "child.".
    """
    slots = []
    for name, param in module._parameters.items():
        slots.append((prefix + name, param))
    for name, buffer in module._buffers.items():
        if name not in module._non_persistent_buffers:
            slots.append((prefix + name, buffer))
    for name, child in module._modules.items():
        if child is not None:
            slots += state_slots(child, prefix + name + ".")
    return slots


def unexpected_keys(state_dict: Mapping[str, Any], slots: list) -> list:
    """Keys with no slot in the module, and tensors given for its disabled (None) slots."""
    targets = dict(slots)
    return [
        key
        for key, value in state_dict.items()
        if key not in targets or (targets[key] is None and value is not None)
    ]


def cast_for_loading(key: str, source: Any, target: Tensor) -> tuple[Any, str | None]:
    """(`source` as an array of `target`'s dtype, None), or (None, why it cannot be loaded).

    Any number type is cast, as PyTorch's `copy_` does (floats into an int64 buffer too).
    A cast that fails, or warns when warnings are errors (`python -W error`, e.g. 1e300 into
    float32), becomes a problem here, before anything has been written.
    """
    if source is None:
        return None, f"{key}: got None for a tensor slot of the model."
    if isinstance(source, Tensor):
        source = source.numpy()
    if not isinstance(source, np.ndarray):
        return None, f"{key}: expected a Tensor, got {type(source).__name__}."
    if source.shape != target.shape:
        return None, (
            f"size mismatch for {key}: copying a param with shape {source.shape} from "
            f"checkpoint, the shape in current model is {target.shape}."
        )
    if source.dtype.kind not in "biuf":  # bool, int, uint, float
        return None, f"dtype mismatch for {key}: cannot load {source.dtype} into {target.dtype}."
    if not target.numpy().flags.writeable:
        return None, f"{key}: the model's tensor is read-only."
    try:
        value = source.astype(target.dtype, copy=False)
    except (ArithmeticError, ValueError, Warning) as error:
        return None, f"{key}: cannot cast {source.dtype} to {target.dtype}: {error}."
    return value, None


def storage_owner(array: np.ndarray) -> Any:
    """The object that owns `array`'s memory: views of one array share the same owner."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array if array.base is None else array.base


def copy_sources_that_alias_targets(writes: list) -> list:
    """Copy every source that shares memory with a target, so writes cannot read each other."""
    owners = {id(storage_owner(target.numpy())) for target, _ in writes}
    return [
        (target, value.copy() if id(storage_owner(value)) in owners else value)
        for target, value in writes
    ]


def quoted_keys(keys: list) -> str:
    """Keys as PyTorch lists them in load errors: "a", "b"."""
    return ", ".join(f'"{k}"' for k in keys)
