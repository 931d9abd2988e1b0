"""Layer cases: a full MLP training step and a transformer block forward + backward."""

from __future__ import annotations

import numpy as np

import clownpiece as cp
from clownpiece import nn

from .harness import Case, torch

BATCH, IN, HIDDEN, CLASSES, LR = 128, 784, 256, 10, 0.1


def _mlp_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, IN)).astype(np.float32)
    y = rng.integers(0, CLASSES, BATCH)
    return x, y


def mlp_case() -> Case:
    x_np, y_np = _mlp_data()
    cp.manual_seed(0)
    model = nn.Sequential(nn.Linear(IN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, CLASSES))
    loss_fn = nn.CrossEntropyLoss()
    x, y = cp.Tensor(x_np), cp.Tensor(y_np, dtype=cp.int64)
    params = list(model.parameters())

    def ours():
        loss = loss_fn(model(x), y)
        loss.backward()
        with cp.no_grad():
            for p in params:
                p -= LR * p.grad
                p.grad = None

    w1, b1, w2, b2 = (p.numpy().copy() for p in params)

    def numpy_by_hand():
        nonlocal w1, b1, w2, b2
        h = x_np @ w1.T + b1
        a = np.maximum(h, 0)
        logits = a @ w2.T + b2
        shifted = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(shifted)
        p /= p.sum(axis=1, keepdims=True)
        _loss = -np.log(p[np.arange(BATCH), y_np]).mean()
        d_logits = p
        d_logits[np.arange(BATCH), y_np] -= 1
        d_logits /= BATCH
        d_w2, d_b2 = d_logits.T @ a, d_logits.sum(axis=0)
        d_h = (d_logits @ w2) * (h > 0)
        d_w1, d_b1 = d_h.T @ x_np, d_h.sum(axis=0)
        w1 -= LR * d_w1
        b1 -= LR * d_b1
        w2 -= LR * d_w2
        b2 -= LR * d_b2

    contenders = {"clownpiece": ours, "numpy": numpy_by_hand, "pytorch": None}
    if torch is not None:
        t_model = torch.nn.Sequential(
            torch.nn.Linear(IN, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, CLASSES)
        )
        t_loss = torch.nn.CrossEntropyLoss()
        tx, ty = torch.from_numpy(x_np), torch.from_numpy(y_np)
        t_params = list(t_model.parameters())

        def pytorch():
            loss = t_loss(t_model(tx), ty)
            loss.backward()
            with torch.no_grad():
                for p in t_params:
                    p -= LR * p.grad
                    p.grad = None

        contenders["pytorch"] = pytorch
    return Case(
        "MLP train step (784-256-10, b128)", contenders, targets={"numpy": 1.15, "pytorch": 1.15}
    )


B, S, H, HEADS = 32, 49, 64, 4


def transformer_case() -> Case:
    rng = np.random.default_rng(1)
    x_np = rng.standard_normal((B, S, H)).astype(np.float32)
    cp.manual_seed(0)

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm1, self.norm2 = nn.LayerNorm(H), nn.LayerNorm(H)
            self.attn = nn.MultiheadAttention(H, HEADS)
            self.mlp = nn.Sequential(nn.Linear(H, 4 * H), nn.ReLU(), nn.Linear(4 * H, H))

        def forward(self, x):
            x = x + self.attn(self.norm1(x))
            return x + self.mlp(self.norm2(x))

    block, x = Block(), cp.Tensor(x_np, requires_grad=True)

    def ours():
        block(x).sum().backward()
        block.zero_grad()
        x.grad = None

    pytorch = None
    if torch is not None:

        class TorchBlock(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.norm1, self.norm2 = torch.nn.LayerNorm(H), torch.nn.LayerNorm(H)
                self.attn = torch.nn.MultiheadAttention(H, HEADS, batch_first=True)
                self.mlp = torch.nn.Sequential(
                    torch.nn.Linear(H, 4 * H), torch.nn.ReLU(), torch.nn.Linear(4 * H, H)
                )

            def forward(self, x):
                h = self.norm1(x)
                x = x + self.attn(h, h, h, need_weights=False)[0]
                return x + self.mlp(self.norm2(x))

        t_block, tx = TorchBlock(), torch.tensor(x_np, requires_grad=True)

        def pytorch():
            t_block(tx).sum().backward()
            t_block.zero_grad()
            tx.grad = None

    return Case(
        "transformer block fwd+bwd",
        {"clownpiece": ours, "numpy": None, "pytorch": pytorch},
        targets={"pytorch": 2.0},
    )


def cases() -> list:
    return [mlp_case(), transformer_case()]
