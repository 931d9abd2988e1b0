"""Module-system cases: bookkeeping on a 24-block transformer-shaped model (no forward)."""

from __future__ import annotations

import clownpiece as cp
from clownpiece import nn

from .harness import Case, torch

BLOCKS, HIDDEN, VOCAB = 24, 64, 100


def build(nn_lib):
    """The same structure in either library: embedding, then blocks of attention
    projections, two norms and a feed-forward pair."""

    class Block(nn_lib.Module):
        def __init__(self):
            super().__init__()
            self.q = nn_lib.Linear(HIDDEN, HIDDEN)
            self.k = nn_lib.Linear(HIDDEN, HIDDEN)
            self.v = nn_lib.Linear(HIDDEN, HIDDEN)
            self.o = nn_lib.Linear(HIDDEN, HIDDEN)
            self.norm1 = nn_lib.LayerNorm(HIDDEN)
            self.norm2 = nn_lib.LayerNorm(HIDDEN)
            self.up = nn_lib.Linear(HIDDEN, 4 * HIDDEN)
            self.down = nn_lib.Linear(4 * HIDDEN, HIDDEN)

    class Model(nn_lib.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn_lib.Embedding(VOCAB, HIDDEN)
            self.blocks = nn_lib.ModuleList([Block() for _ in range(BLOCKS)])

    return Model()


def cases() -> list:
    cp.manual_seed(0)
    ours = build(nn)
    ours_sd = {k: v.clone() for k, v in ours.state_dict().items()}
    theirs = theirs_sd = None
    if torch is not None:
        theirs = build(torch.nn)
        theirs_sd = {k: v.clone() for k, v in theirs.state_dict().items()}

    def pair(fn_ours, fn_theirs):
        return {"clownpiece": fn_ours, "pytorch": fn_theirs if torch is not None else None}

    return [
        Case(
            "module: state_dict()",
            pair(ours.state_dict, lambda: theirs.state_dict()),
            targets={"pytorch": 1.0},
        ),
        Case(
            "module: load_state_dict()",
            pair(lambda: ours.load_state_dict(ours_sd), lambda: theirs.load_state_dict(theirs_sd)),
            targets={"pytorch": 1.0},
        ),
        Case(
            "module: named_parameters()",
            pair(lambda: list(ours.named_parameters()), lambda: list(theirs.named_parameters())),
            targets={"pytorch": 1.0},
        ),
        Case(
            "module: repr()",
            pair(lambda: repr(ours), lambda: repr(theirs)),
            targets={"pytorch": 1.0},
        ),
    ]
