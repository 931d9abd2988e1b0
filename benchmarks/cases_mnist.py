"""The course's MNIST workloads: the patch transformer's training step, whole epochs of it
and of the MLP, and the peak memory of one MLP step (see `mnist_models`)."""

from __future__ import annotations

import clownpiece as cp

from . import mnist_models as m
from .harness import Case, MemoryCase, torch

EPOCH_REPEATS = 3  # timed epochs per contender (each one is seconds long)


def transformer_step_case() -> Case:
    """One SGD step of the patch transformer on a batch of 64 (same weights and data)."""
    images, labels = m.synthetic_mnist(m.TRANSFORMER_BATCH, seed=1)
    cp.manual_seed(0)
    model = m.PatchTransformer()
    ours = m.clownpiece_step(model)
    x, y = cp.Tensor(images), cp.Tensor(labels, dtype=cp.int64)
    contenders = {"clownpiece": lambda: ours(x, y), "numpy": None, "pytorch": None}
    if torch is not None:
        theirs = m.torch_step(m.torch_patch_transformer(model.state_dict()))
        tx, ty = torch.from_numpy(images), torch.from_numpy(labels)
        contenders["pytorch"] = lambda: theirs(tx, ty)
    return Case("MNIST transformer step (b64)", contenders, targets={"pytorch": 1.2})


def transformer_epoch_case(data: tuple) -> Case:
    """One epoch over 60,000 samples, batches of 64 (the last one of 32), shuffled."""
    images, labels = data
    cp.manual_seed(0)
    model = m.PatchTransformer()
    ours = m.clownpiece_step(model)

    def clownpiece_epoch():
        for x, y in cp.data.batches(images, labels, batch_size=m.TRANSFORMER_BATCH):
            ours(x, y)

    contenders = {"clownpiece": clownpiece_epoch, "numpy": None, "pytorch": None}
    if torch is not None:
        theirs = m.torch_step(m.torch_patch_transformer(model.state_dict()))

        def pytorch_epoch():
            for x, y in m.epoch_batches(images, labels, m.TRANSFORMER_BATCH, seed=0):
                theirs(torch.from_numpy(x), torch.from_numpy(y))

        contenders["pytorch"] = pytorch_epoch
    return Case(
        "MNIST transformer epoch (60k, b64)",
        contenders,
        targets={"pytorch": 1.2},
        repeats=EPOCH_REPEATS,
        per_turn=1,
        warm_up=False,
    )


def mlp_epoch_case(data: tuple) -> Case:
    """One epoch of the MLP 784-256-10 over 60,000 samples, batches of 128, shuffled."""
    images, labels = data
    cp.manual_seed(0)
    model = m.mlp()
    ours = m.clownpiece_step(model, flatten=True)
    by_hand = m.numpy_mlp_step(model.state_dict())

    def clownpiece_epoch():
        for x, y in cp.data.batches(images, labels, batch_size=m.MLP_BATCH):
            ours(x, y)

    def numpy_epoch():
        for x, y in m.epoch_batches(images, labels, m.MLP_BATCH, seed=0):
            by_hand(x, y)

    contenders = {"clownpiece": clownpiece_epoch, "numpy": numpy_epoch, "pytorch": None}
    if torch is not None:
        theirs = m.torch_step(m.torch_mlp(model.state_dict()), flatten=True)

        def pytorch_epoch():
            for x, y in m.epoch_batches(images, labels, m.MLP_BATCH, seed=0):
                theirs(torch.from_numpy(x), torch.from_numpy(y))

        contenders["pytorch"] = pytorch_epoch
    return Case(
        "MLP epoch (60k, b128)",
        contenders,
        targets={"numpy": 1.1, "pytorch": 1.0},
        repeats=EPOCH_REPEATS * 2,
        per_turn=1,
        warm_up=False,
    )


def mlp_memory_case() -> MemoryCase:
    """Peak traced memory of one MLP step (784-256-10, batch 128) vs the numpy step."""
    images, labels = m.synthetic_mnist(m.MLP_BATCH, seed=2)
    cp.manual_seed(0)
    model = m.mlp()
    ours = m.clownpiece_step(model, flatten=True)
    by_hand = m.numpy_mlp_step(model.state_dict())
    x, y = cp.Tensor(images), cp.Tensor(labels, dtype=cp.int64)
    return MemoryCase(
        "memory: MLP step peak",
        {"clownpiece": lambda: ours(x, y), "numpy": lambda: by_hand(images, labels)},
        targets={"numpy": 1.2},
    )


def transformer_memory_case() -> MemoryCase:
    """Peak traced memory of one transformer step (no numpy twin: for the record)."""
    images, labels = m.synthetic_mnist(m.TRANSFORMER_BATCH, seed=1)
    cp.manual_seed(0)
    ours = m.clownpiece_step(m.PatchTransformer())
    x, y = cp.Tensor(images), cp.Tensor(labels, dtype=cp.int64)
    return MemoryCase("memory: MNIST transformer step peak", {"clownpiece": lambda: ours(x, y)}, {})


def cases(with_epochs: bool = True) -> list:
    found = [transformer_step_case(), mlp_memory_case(), transformer_memory_case()]
    if with_epochs:
        data = m.synthetic_mnist()
        found += [mlp_epoch_case(data), transformer_epoch_case(data)]
    return found
