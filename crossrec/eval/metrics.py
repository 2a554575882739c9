"""Ranking metrics as pure tensor functions (docs/ARCHITECTURE.md, "Evaluation"), one value per user.

Inputs for a batch of B users:
- `hits`: bool [B, Kmax], True where the item at rank r (0-based) of the user's top list is held out;
- `n_relevant`: [B], the user's number of held-out items;
- `first_rank`: [B], 0-based rank of the user's best-ranked held-out item in the full ranking.
"""

from __future__ import annotations

import torch

KS = (5, 10, 20)


def hit_rate(hits: torch.Tensor, k: int) -> torch.Tensor:
    """HR@K: 1 if any held-out item is in the top K."""
    return hits[:, :k].any(dim=1).float()


def recall(hits: torch.Tensor, n_relevant: torch.Tensor, k: int) -> torch.Tensor:
    """Recall@K: held-out items in the top K / number of held-out items."""
    return hits[:, :k].sum(dim=1).float() / n_relevant.float()


def ndcg(hits: torch.Tensor, n_relevant: torch.Tensor, k: int) -> torch.Tensor:
    """NDCG@K, binary relevance; ideal DCG over min(held-out items, K) positions."""
    discounts = 1.0 / torch.log2(torch.arange(2, k + 2, device=hits.device, dtype=torch.float32))
    top = hits[:, :k].float()  # fewer than k columns when the domain has fewer than k items
    dcg = (top * discounts[: top.shape[1]]).sum(dim=1)
    ideal_len = torch.clamp(n_relevant, max=k)
    idcg = torch.cumsum(discounts, 0)[ideal_len - 1]
    return dcg / idcg


def reciprocal_rank(first_rank: torch.Tensor) -> torch.Tensor:
    """MRR term: 1 / (1 + rank of the first held-out item)."""
    return 1.0 / (first_rank.float() + 1.0)


def per_user_metrics(hits, n_relevant, first_rank, ks=KS) -> dict[str, torch.Tensor]:
    out = {}
    for k in ks:
        out[f"hr@{k}"] = hit_rate(hits, k)
        out[f"ndcg@{k}"] = ndcg(hits, n_relevant, k)
        out[f"recall@{k}"] = recall(hits, n_relevant, k)
    out["mrr"] = reciprocal_rank(first_rank)
    return out
