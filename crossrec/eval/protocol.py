"""Evaluation protocols over a method's `score(users)`, in user chunks on the training device.

- `full` (default): every target item is ranked; the user's target training items (and, for the
  test, their validation items) are masked out.
- Ties: pessimistic for every metric (`pessimistic_ranks`): an item tied with a held-out item
  ranks ahead of it, so constant scores earn nothing and no metric depends on sort order.
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


PAIRS_PER_BLOCK = 1 << 24  # (held-out pair, item) comparisons at once: bounds memory


def pessimistic_ranks(scores: torch.Tensor, rows: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
    """0-based rank of each held-out (row, item) under the tie policy: every other item with an
    equal score ranks ahead of a held-out item, and tied held-out items of one user take
    consecutive places (lower item id first). Ranks of one user's held-out items are distinct."""
    values = scores[rows, items]
    n_items = scores.shape[1]
    at_least = torch.empty_like(rows)
    step = max(1, PAIRS_PER_BLOCK // n_items)
    # one held-out item per user (the usual leave-one-out test): compare the rows in place
    # instead of gathering a copy of each
    one_each = rows.numel() == scores.shape[0] and bool(
        (rows == torch.arange(rows.numel(), device=rows.device)).all())
    # comparisons written as 0/1 floats and summed: a bool sum converts to int64 first, which took
    # longer than the comparison itself (counts stay exact in float32 below 2^24 items)
    counted = torch.empty(min(step, rows.numel()), n_items, device=scores.device)
    for start in range(0, rows.numel(), step):  # items scoring >= each held-out item, itself included
        block = slice(start, start + step)
        candidates = scores[block] if one_each else scores[rows[block]]
        ge = torch.ge(candidates, values[block].unsqueeze(1), out=counted[:candidates.shape[0]])
        at_least[block] = ge.sum(dim=1).to(rows.dtype)
    # the same count among the user's held-out items, and the held-out items placed before it,
    # from a [users, max held-out] table of their scores (NaN pads compare False)
    first = torch.searchsorted(rows, rows, right=False)  # rows come sorted by user
    slot = torch.arange(rows.numel(), device=rows.device) - first
    n_rows = int(rows.max()) + 1 if rows.numel() else 0
    width = int(slot.max()) + 1 if rows.numel() else 0
    table = torch.full((n_rows, width), float("nan"), device=scores.device)
    table[rows, slot] = values
    ids = torch.full((n_rows, width), -1, device=rows.device, dtype=items.dtype)
    ids[rows, slot] = items
    mine, my_ids = table[rows], ids[rows]                                   # [P, width]
    ge = (mine >= values.unsqueeze(1)).sum(dim=1)
    before = ((mine > values.unsqueeze(1)) |
              ((mine == values.unsqueeze(1)) & (my_ids < items.unsqueeze(1)))).sum(dim=1)
    return at_least - ge + before


def _full_chunk(scores, users, masked: list[UserItems], held: UserItems, kmax):
    """Metrics of one chunk; `scores` is consumed (masked in place)."""
    for table in masked:
        rows, items = table.coordinates(users)
        scores[rows, items] = -torch.inf
    rows, items = held.coordinates(users)
    ranks = pessimistic_ranks(scores, rows, items)
    hits = torch.zeros(users.numel(), kmax + 1, dtype=torch.bool, device=scores.device)
    hits[rows, ranks.clamp(max=kmax)] = True  # column kmax collects ranks past the list
    first_rank = torch.full((users.numel(),), scores.shape[1], device=scores.device, dtype=ranks.dtype)
    first_rank = first_rank.scatter_reduce(0, rows, ranks, reduce="amin")
    return per_user_metrics(hits[:, :kmax], held.counts[users], first_rank)


def _sampled_chunk(scores, users, masked: list[UserItems], held: UserItems, n_neg, generator):
    rows, items = held.coordinates(users)
    n_items = scores.shape[1]
    negatives = torch.randint(n_items, (rows.numel(), n_neg), generator=generator,
                              device=scores.device)
    for _ in range(20):  # redraw negatives the user has seen (vectorised rejection)
        u = users[rows].unsqueeze(1).expand_as(negatives)
        seen = held.contains(u, negatives)
        for table in masked:
            seen |= table.contains(u, negatives)
        if not seen.any():
            break
        negatives[seen] = torch.randint(n_items, (int(seen.sum()),), generator=generator,
                                        device=scores.device)
    pos = scores[rows, items].unsqueeze(1)
    rank = (scores[rows.unsqueeze(1), negatives] >= pos).sum(dim=1)  # ties rank ahead (the tie policy)
    kmax = max(KS)
    hits = torch.arange(kmax, device=scores.device).unsqueeze(0) == rank.unsqueeze(1)
    per_row = per_user_metrics(hits, torch.ones_like(rank), rank)
    count = torch.bincount(rows, minlength=users.numel()).float()
    return {k: torch.zeros(users.numel(), device=scores.device).index_add_(0, rows, v) / count
            for k, v in per_row.items()}


@torch.no_grad()
def evaluate_per_user(score: Callable[[torch.Tensor], torch.Tensor], data: PairTensors,
                      split: str = "test", groups=("cold", "warm"), mode: str = "full",
                      chunk: int = 1024) -> dict[str, dict[str, torch.Tensor]]:
    """Per-user metrics per group: {"cold": {"user": [n], "hr@10": [n], ...}, "warm": {...}}."""
    kind, n_neg = parse_mode(mode)
    held = data.heldout(split)
    # a user's training items, and at test time their validation items too, are never candidates
    masked = [data.target] + ([data.valid] if split == "test" else [])
    kmax = min(max(KS), data.n_target_items)
    generator = torch.Generator(device=data.device).manual_seed(SAMPLED_SEED)
    results = {}
    for group in groups:
        users = data.users_of(split, group)
        parts: dict[str, list[torch.Tensor]] = {"user": [users.cpu()]}
        for start in range(0, users.numel(), chunk):
            batch = users[start:start + chunk]
            scores = score(batch).float()  # a fresh tensor: the chunk consumes it
            if kind == "full":
                per_user = _full_chunk(scores, batch, masked, held, kmax)
            else:
                per_user = _sampled_chunk(scores, batch, masked, held, n_neg, generator)
            for name, values in per_user.items():
                parts.setdefault(name, []).append(values.double().cpu())
        results[group] = {name: torch.cat(values) for name, values in parts.items()}
    return results


def evaluate(score: Callable[[torch.Tensor], torch.Tensor], data: PairTensors, split: str = "test",
             groups=("cold", "warm"), mode: str = "full", chunk: int = 1024) -> dict:
    """Metrics per user group, averaged over its users: {"cold": {"hr@10": ..., "n_users": ...}}."""
    return summarize(evaluate_per_user(score, data, split, groups, mode, chunk))


def summarize(per_user: dict[str, dict[str, torch.Tensor]]) -> dict:
    """Per-user metrics averaged over the users of each group, with the group's size."""
    results = {}
    for group, columns in per_user.items():
        n = columns["user"].numel()
        results[group] = {name: float(values.sum()) / n for name, values in columns.items()
                          if name != "user"} if n else {}
        results[group]["n_users"] = int(n)
    return results
