"""What a run recommends each test user: their top-K target items and the rank of every held-out
item, under the same candidates and tie policy as the metrics (crossrec/eval/protocol.py), so a
"hit" on the Explain page is exactly a hit counted in HR@K.

The candidates are all target items minus the user's training items (and validation items at
test time). Ranks are 0-based and pessimistic: every other item with an equal score ranks ahead
of a held-out item. The top-K list follows the same order: a held-out item's score is nudged
just below its equals (the next float toward -inf), so it enters the list only when its rank < K.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from crossrec.eval.protocol import pessimistic_ranks
from crossrec.tensors.pair_tensors import PairTensors

TOP_K = 10


@torch.no_grad()
def top_lists(score: Callable[[torch.Tensor], torch.Tensor], data: PairTensors, split: str = "test",
              groups=("cold", "warm"), k: int = TOP_K, chunk: int = 1024) -> dict[str, dict[str, np.ndarray]]:
    """{"top": {user, group, position, item}, "held": {user, group, item, rank}} as flat arrays
    (user and item are the pair's indices)."""
    held = data.heldout(split)
    masked = [data.target] + ([data.valid] if split == "test" else [])
    k = min(k, data.n_target_items)
    top: dict[str, list] = {"user": [], "group": [], "position": [], "item": []}
    ranked: dict[str, list] = {"user": [], "group": [], "item": [], "rank": []}
    for group in groups:
        users = data.users_of(split, group)
        for start in range(0, users.numel(), chunk):
            batch = users[start:start + chunk]
            scores = score(batch).float()
            for table in masked:
                rows, items = table.coordinates(batch)
                scores[rows, items] = -torch.inf
            rows, items = held.coordinates(batch)
            ranks = pessimistic_ranks(scores, rows, items)
            values = scores[rows, items]
            scores[rows, items] = torch.nextafter(values, torch.full_like(values, -torch.inf))
            best = scores.topk(k, dim=1).indices
            n = batch.numel()
            top["user"].append(batch.repeat_interleave(k).cpu())
            top["position"].append(torch.arange(k).repeat(n))
            top["item"].append(best.reshape(-1).cpu())
            top["group"].append(np.full(n * k, group))
            ranked["user"].append(batch[rows].cpu())
            ranked["item"].append(items.cpu())
            ranked["rank"].append(ranks.cpu())
            ranked["group"].append(np.full(rows.numel(), group))
    as_arrays = lambda parts: {name: np.concatenate([np.asarray(v) for v in values]) if values else  # noqa: E731
                               np.zeros(0, dtype=np.int64) for name, values in parts.items()}
    return {"top": as_arrays(top), "held": as_arrays(ranked)}
