"""Vectorised mini-batches of (user, positive item, sampled negative item) triples."""

from __future__ import annotations

from typing import Iterator

import torch

from crossrec.tensors.pair_tensors import UserItems


def sample_negatives(users: torch.Tensor, n_items: int, seen: UserItems,
                     generator: torch.Generator, per_user: int = 1) -> torch.Tensor:
    """Uniform items, [B] (or [B, per_user] candidates); one vectorised redraw of those the
    user has seen (rare collisions remain)."""
    shape = users.shape if per_user == 1 else (users.numel(), per_user)
    neg = torch.randint(n_items, shape, generator=generator, device=users.device)
    hit = seen.contains(users if per_user == 1 else users.unsqueeze(1).expand(shape), neg)
    if hit.any():
        neg[hit] = torch.randint(n_items, (int(hit.sum()),), generator=generator, device=users.device)
    return neg


def bpr_triples(users: torch.Tensor, items: torch.Tensor, seen: UserItems, batch_size: int,
                generator: torch.Generator, negatives: int = 1
                ) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """One epoch over the rows (users[k], items[k]) in random order, each with a negative
    (or `negatives` candidates to pick the hardest from)."""
    perm = torch.randperm(users.numel(), generator=generator, device=users.device)
    for start in range(0, users.numel(), batch_size):
        idx = perm[start:start + batch_size]
        u = users[idx]
        yield u, items[idx], sample_negatives(u, seen.n_items, seen, generator, negatives)


def user_batches(users: torch.Tensor, batch_size: int, generator: torch.Generator) -> Iterator[torch.Tensor]:
    """One epoch over `users` in random order."""
    perm = torch.randperm(users.numel(), generator=generator, device=users.device)
    for start in range(0, users.numel(), batch_size):
        yield users[perm[start:start + batch_size]]


def joint_triples(data, batch_size: int, generator: torch.Generator, negatives: int = 1):
    """One epoch over source and target training rows together, in one random order.

    Yields {"source": (u, i, j), "target": (u, i, j)}: each batch mixes both domains in
    proportion to their sizes, so neither domain's updates come all at once.
    """
    n_src = data.source_users.numel()
    users = torch.cat([data.source_users, data.target_users])
    items = torch.cat([data.source_items, data.target_items])
    perm = torch.randperm(users.numel(), generator=generator, device=users.device)
    for start in range(0, users.numel(), batch_size):
        idx = perm[start:start + batch_size]
        is_src = idx < n_src
        batch = {}
        for name, mask, seen in (("source", is_src, data.source), ("target", ~is_src, data.target)):
            u, i = users[idx[mask]], items[idx[mask]]
            batch[name] = (u, i, sample_negatives(u, seen.n_items, seen, generator, negatives))
        yield batch


def batch_rows(batch) -> int:
    """Training rows in a batch: the length of a tuple's first tensor, or of a tensor, summed over
    a dict's parts (a joint batch's source and target triples)."""
    if isinstance(batch, dict):
        return sum(batch_rows(part) for part in batch.values())
    if isinstance(batch, (tuple, list)):
        return batch_rows(batch[0]) if batch else 0
    return len(batch) if isinstance(batch, torch.Tensor) and batch.dim() > 0 else 1
