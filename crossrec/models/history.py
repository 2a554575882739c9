"""A user as the mean of their history's item vectors (U-AutoRec's encoder layer for 0/1 rows).

For a multi-hot row x_u, AutoRec's first layer sigma(V x_u) is a sum of the item columns of V;
dividing by the row's length keeps users of very different activity on one scale. Sums go
through `nn.EmbeddingBag`, which never materialises a [users, history, dim] tensor.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from crossrec.tensors.pair_tensors import UserItems


class HistoryEncoder(nn.Module):
    """users -> tanh(mean of their items' input vectors) [B, dim]; zeros for an empty history."""

    def __init__(self, n_items: int, dim: int):
        super().__init__()
        self.items = nn.EmbeddingBag(n_items, dim, mode="sum")
        nn.init.normal_(self.items.weight, std=0.1)

    def item_vectors(self, items: torch.Tensor) -> torch.Tensor:
        return F.embedding(items, self.items.weight)

    def sampled(self, table: UserItems, users: torch.Tensor, max_len: int):
        """Up to `max_len` random items per user (a fresh subset each call: training noise, as a
        denoising autoencoder drops inputs). Returns (items [B, L] padded with -1, sum [B, dim],
        count [B])."""
        items = table.padded(users, max_len)
        keep = items >= 0
        count = keep.sum(1)
        return items, self._sums(items[keep], count), count

    def full(self, table: UserItems, users: torch.Tensor) -> torch.Tensor:
        """Every item of each user (evaluation, plots)."""
        _, items = table.coordinates(users)  # grouped by user, in the order of `users`
        count = table.counts[users]
        return self.squash(self._sums(items, count), count)

    def _sums(self, flat_items: torch.Tensor, count: torch.Tensor) -> torch.Tensor:
        offsets = torch.cumsum(count, 0) - count
        return self.items(flat_items, offsets)

    @staticmethod
    def squash(total: torch.Tensor, count: torch.Tensor) -> torch.Tensor:
        return torch.tanh(total / count.clamp_min(1).unsqueeze(-1))
