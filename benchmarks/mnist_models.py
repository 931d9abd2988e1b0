"""The course's closing workload, built the same way in clownpiece, PyTorch and numpy.

* the MNIST patch transformer: 28x28 images cut into 7x7 patches (16 tokens of 49 values),
  a Linear patch embedding plus a learned positional embedding (hidden 64), two pre-norm
  blocks (LayerNorm -> MultiheadAttention with 4 heads, LayerNorm -> Linear-GELU-Linear of
  width 256, each with a residual), mean pooling over the tokens, a final LayerNorm and a
  Linear head; cross-entropy, backward, plain SGD;
* the MLP 784-256-10 (ReLU), the same loss and update, and a hand-written numpy twin.

PyTorch models get clownpiece's initial weights, so both contenders do the same work on
the same numbers. Data are synthetic but of MNIST's size (60,000 images of 28x28).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

import clownpiece as cp
from clownpiece import nn

from .harness import torch

IMAGE, PATCH, HIDDEN, HEADS, MLP_WIDTH, BLOCKS, CLASSES = 28, 7, 64, 4, 256, 2, 10
TOKENS, PATCH_VALUES = (IMAGE // PATCH) ** 2, PATCH * PATCH
TRANSFORMER_BATCH, MLP_BATCH, MLP_HIDDEN, LR = 64, 128, 256, 0.1
TRAIN_SIZE = 60_000

Step = Callable[[np.ndarray, np.ndarray], None]  # one SGD step on a batch (images, labels)


def synthetic_mnist(n: int = TRAIN_SIZE, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`n` float32 images of 28x28 in [0, 1] and int64 labels: MNIST's size, random content."""
    rng = np.random.default_rng(seed)
    images = rng.random((n, IMAGE, IMAGE), dtype=np.float32)
    return images, rng.integers(0, CLASSES, n)


def epoch_batches(
    images: np.ndarray, labels: np.ndarray, batch: int, seed: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One shuffled pass as numpy mini-batches (for the numpy and PyTorch contenders;
    clownpiece's own epoch uses `clownpiece.data.batches`, as a student would)."""
    order = np.random.default_rng(seed).permutation(len(images))
    for start in range(0, len(images), batch):
        rows = order[start : start + batch]
        yield images[rows], labels[rows]


# ------------------------------------------------------------------ the patch transformer


def patchify(images, patch: int = PATCH):
    """(batch, 28, 28) -> (batch, 16, 49), patches in reading order (either library)."""
    b, g = images.shape[0], IMAGE // patch
    x = images.reshape(b, g, patch, g, patch).permute(0, 1, 3, 2, 4)
    return x.reshape(b, g * g, patch * patch)


class Block(nn.Module):
    """Pre-norm transformer block: x + attn(norm1(x)), then x + mlp(norm2(x))."""

    def __init__(self) -> None:
        super().__init__()
        self.norm1, self.attn = nn.LayerNorm(HIDDEN), nn.MultiheadAttention(HIDDEN, HEADS)
        self.norm2 = nn.LayerNorm(HIDDEN)
        self.mlp = nn.Sequential(
            nn.Linear(HIDDEN, MLP_WIDTH), nn.GELU(), nn.Linear(MLP_WIDTH, HIDDEN)
        )

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchTransformer(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Linear(PATCH_VALUES, HIDDEN)
        self.pos = nn.Parameter(cp.randn(1, TOKENS, HIDDEN) * 0.02)
        self.blocks = nn.Sequential(*[Block() for _ in range(BLOCKS)])
        self.norm, self.head = nn.LayerNorm(HIDDEN), nn.Linear(HIDDEN, CLASSES)

    def forward(self, images):
        h = self.blocks(self.embed(patchify(images)) + self.pos)
        return self.head(self.norm(h).mean(1))


def torch_patch_transformer(weights: dict):
    """The same model in PyTorch, loaded with clownpiece's `weights` (a state_dict)."""
    tnn = torch.nn

    class TorchBlock(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.norm1 = tnn.LayerNorm(HIDDEN)
            self.attn = tnn.MultiheadAttention(HIDDEN, HEADS, batch_first=True)
            self.norm2 = tnn.LayerNorm(HIDDEN)
            self.mlp = tnn.Sequential(
                tnn.Linear(HIDDEN, MLP_WIDTH), tnn.GELU(), tnn.Linear(MLP_WIDTH, HIDDEN)
            )

        def forward(self, x):
            h = self.norm1(x)
            x = x + self.attn(h, h, h, need_weights=False)[0]
            return x + self.mlp(self.norm2(x))

    class TorchPatchTransformer(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.embed = tnn.Linear(PATCH_VALUES, HIDDEN)
            self.pos = tnn.Parameter(torch.zeros(1, TOKENS, HIDDEN))
            self.blocks = tnn.Sequential(*[TorchBlock() for _ in range(BLOCKS)])
            self.norm, self.head = tnn.LayerNorm(HIDDEN), tnn.Linear(HIDDEN, CLASSES)

        def forward(self, images):
            h = self.blocks(self.embed(patchify(images)) + self.pos)
            return self.head(self.norm(h).mean(1))

    model = TorchPatchTransformer()
    renamed = {
        k.replace("attn.in_proj.weight", "attn.in_proj_weight").replace(
            "attn.in_proj.bias", "attn.in_proj_bias"
        ): torch.from_numpy(v.numpy().copy())
        for k, v in weights.items()
    }
    model.load_state_dict(renamed, strict=True)
    return model


# ------------------------------------------------------------------ the MLP


def mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(IMAGE * IMAGE, MLP_HIDDEN), nn.ReLU(), nn.Linear(MLP_HIDDEN, 10))


def torch_mlp(weights: dict):
    tnn = torch.nn
    model = tnn.Sequential(
        tnn.Linear(IMAGE * IMAGE, MLP_HIDDEN), tnn.ReLU(), tnn.Linear(MLP_HIDDEN, 10)
    )
    model.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in weights.items()})
    return model


# ------------------------------------------------------------------ training steps


def clownpiece_step(model: nn.Module, flatten: bool = False) -> Callable:
    """One SGD step on Tensors (images, labels), as the course writes it."""
    params = list(model.parameters())
    loss_fn = nn.CrossEntropyLoss()

    def step(images, labels):
        x = images.reshape(images.shape[0], -1) if flatten else images
        loss = loss_fn(model(x), labels)
        loss.backward()
        with cp.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return loss

    return step


def torch_step(model, flatten: bool = False) -> Callable:
    """The same step in PyTorch, on torch tensors."""
    params = list(model.parameters())
    loss_fn = torch.nn.CrossEntropyLoss()

    def step(images, labels):
        x = images.reshape(images.shape[0], -1) if flatten else images
        loss = loss_fn(model(x), labels)
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None
        return loss

    return step


def numpy_mlp_step(weights: dict) -> Step:
    """The MLP step written by hand in numpy: forward, backward and update, in place."""
    w1, b1, w2, b2 = (
        weights[k].numpy().copy() for k in ("0.weight", "0.bias", "2.weight", "2.bias")
    )
    lr = np.float32(LR)

    def step(images: np.ndarray, labels: np.ndarray) -> float:
        nonlocal w1, b1, w2, b2
        n = len(images)
        x = images.reshape(n, -1)
        h = x @ w1.T + b1
        a = np.maximum(h, 0)
        logits = a @ w2.T + b2
        shifted = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(shifted)
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.log(p[np.arange(n), labels]).mean()
        d_logits = p
        d_logits[np.arange(n), labels] -= 1
        d_logits /= n
        d_w2, d_b2 = d_logits.T @ a, d_logits.sum(axis=0)
        d_h = (d_logits @ w2) * (h > 0)
        d_w1, d_b1 = d_h.T @ x, d_h.sum(axis=0)
        w1 -= lr * d_w1
        b1 -= lr * d_b1
        w2 -= lr * d_w2
        b2 -= lr * d_b2
        return float(loss)

    return step
