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


class SparseInputLayer(nn.Module):
    """Linear(n_items, out) applied to each user's L2-normalised multi-hot row with input dropout
    (Mult-VAE's first layer: x/||x||, dropout, W x + b), computed from the row's items alone.

    A 0/1 row of n items has norm sqrt(n), so W (x/||x||) is the sum of the user's item columns
    of W, each weighted 1/sqrt(n) (and 0 or 1/(1-p) under dropout, as nn.Dropout scales): an
    `nn.EmbeddingBag` with per-sample weights. The [users, n_items] row is never built. The
    table's gradient stays dense, so Adam updates every row as it did over nn.Linear (a lazy,
    sparse Adam was no faster here and learned slightly worse on CDRIB validation).
    """

    def __init__(self, n_items: int, out: int, dropout: float):
        super().__init__()
        self.dropout = dropout
        self.weight = nn.EmbeddingBag(n_items, out, mode="sum")
        self.bias = nn.Parameter(torch.zeros(out))
        bound = n_items ** -0.5  # nn.Linear's default initialisation for fan_in = n_items
        nn.init.uniform_(self.weight.weight, -bound, bound)
        nn.init.uniform_(self.bias, -bound, bound)

    def forward(self, table: UserItems, users: torch.Tensor) -> torch.Tensor:
        rows, items = table.coordinates(users)
        count = table.counts[users]
        weights = count.clamp_min(1).float().rsqrt()[rows]
        if self.training and self.dropout > 0:
            keep = torch.rand(weights.shape, device=weights.device) >= self.dropout
            weights = weights * keep / (1 - self.dropout)
        offsets = torch.cumsum(count, 0) - count
        return self.weight(items, offsets, per_sample_weights=weights) + self.bias
