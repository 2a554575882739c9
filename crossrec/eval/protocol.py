"""Evaluation protocols over a method's `score(users)`, in user chunks on the training device.

- `full` (default): every target item is ranked; the user's target training items are masked out.
- `sampled:N` (legacy): each held-out item is ranked against N random items the user never
  interacted with (fixed seed). Sampled metrics can reorder methods (Krichene & Rendle, KDD 2020).
Per-user metrics are averaged over the users of each group: cold (no target training rows) and warm.
"""

from __future__ import annotations

from typing import Callable

import torch

from crossrec.eval.metrics import KS, per_user_metrics
from crossrec.eval.modes import parse_mode  # noqa: F401  (callers import it from here)
from crossrec.tensors.pair_tensors import PairTensors, UserItems

SAMPLED_NOTE = ("sampled evaluation ranks each held-out item against a few random negatives; "
                "it can reorder methods compared with full ranking (Krichene & Rendle, KDD 2020)")
SAMPLED_SEED = 20200823


def _full_chunk(scores, users, train: UserItems, held: UserItems, kmax):
    """Metrics of one chunk; `scores` is consumed (masked, then overwritten in place)."""
    rows, items = train.coordinates(users)
    scores[rows, items] = -torch.inf
    rows, items = held.coordinates(users)
    best = torch.full((users.numel(),), -torch.inf, device=scores.device)
    best = best.scatter_reduce(0, rows, scores[rows, items], reduce="amax")
    top = torch.topk(scores, kmax, dim=1).indices
    hits = held.contains(users.unsqueeze(1).expand_as(top), top)
    # rank of the best held-out item = items scored strictly higher; in place, no B x I copy
    first_rank = scores.gt_(best.unsqueeze(1)).sum(dim=1)
    return per_user_metrics(hits, held.counts[users], first_rank)


def _sampled_chunk(scores, users, train: UserItems, held: UserItems, n_neg, generator):
    rows, items = held.coordinates(users)
    n_items = scores.shape[1]
    negatives = torch.randint(n_items, (rows.numel(), n_neg), generator=generator,
                              device=scores.device)
    for _ in range(20):  # redraw negatives the user has seen (vectorised rejection)
        u = users[rows].unsqueeze(1).expand_as(negatives)
        seen = train.contains(u, negatives) | held.contains(u, negatives)
        if not seen.any():
            break
        negatives[seen] = torch.randint(n_items, (int(seen.sum()),), generator=generator,
                                        device=scores.device)
    pos = scores[rows, items].unsqueeze(1)
    rank = (scores[rows.unsqueeze(1), negatives] > pos).sum(dim=1)
    kmax = max(KS)
    hits = torch.arange(kmax, device=scores.device).unsqueeze(0) == rank.unsqueeze(1)
    per_row = per_user_metrics(hits, torch.ones_like(rank), rank)
    count = torch.bincount(rows, minlength=users.numel()).float()
    return {k: torch.zeros(users.numel(), device=scores.device).index_add_(0, rows, v) / count
            for k, v in per_row.items()}


@torch.no_grad()
def evaluate(score: Callable[[torch.Tensor], torch.Tensor], data: PairTensors, split: str = "test",
             groups=("cold", "warm"), mode: str = "full", chunk: int = 1024) -> dict:
    """Metrics per user group: {"cold": {"hr@10": ..., "n_users": ...}, "warm": {...}}."""
    kind, n_neg = parse_mode(mode)
    held = data.heldout(split)
    kmax = min(max(KS), data.n_target_items)
    generator = torch.Generator(device=data.device).manual_seed(SAMPLED_SEED)
    results = {}
    for group in groups:
        users = data.users_of(split, group)
        sums: dict[str, float] = {}
        for start in range(0, users.numel(), chunk):
            batch = users[start:start + chunk]
            scores = score(batch).float()  # a fresh tensor: the chunk consumes it
            if kind == "full":
                per_user = _full_chunk(scores, batch, data.target, held, kmax)
            else:
                per_user = _sampled_chunk(scores, batch, data.target, held, n_neg, generator)
            for name, values in per_user.items():
                sums[name] = sums.get(name, 0.0) + float(values.sum())
        n = users.numel()
        results[group] = {name: total / n for name, total in sums.items()} if n else {}
        results[group]["n_users"] = int(n)
    return results
