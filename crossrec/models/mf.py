"""Matrix-factorisation building blocks shared by methods."""

from __future__ import annotations

import torch
from torch import nn

from crossrec.losses.ranking import bpr_loss, l2_penalty


def embedding(n: int, dim: int, std: float = 0.1, sparse: bool = True) -> nn.Embedding:
    """An embedding table with N(0, std²) rows; sparse gradients by default (plain SGD updates)."""
    table = nn.Embedding(n, dim, sparse=sparse)
    nn.init.normal_(table.weight, std=std)
    return table


class MF(nn.Module):
    """User and item embedding tables; score(u, i) = <p_u, q_i>. Sparse gradients (SGD)."""

    def __init__(self, n_users: int, n_items: int, dim: int, std: float = 0.1):
        super().__init__()
        self.users = embedding(n_users, dim, std)
        self.items = embedding(n_items, dim, std)

    def bpr(self, u, i, j, reg: float, user_vectors: torch.Tensor | None = None) -> dict:
        """BPR loss of triples (u, i, j) plus L2 on the touched rows: {'loss', 'rec'}."""
        pu = self.users(u) if user_vectors is None else user_vectors
        qi, qj = self.items(i), self.items(j)
        rec = bpr_loss((pu * qi).sum(-1), (pu * qj).sum(-1))
        return {"loss": rec + reg * l2_penalty(pu, qi, qj), "rec": rec}

    def score_all(self, user_vectors: torch.Tensor) -> torch.Tensor:
        return user_vectors @ self.items.weight.T


class MLP(nn.Sequential):
    """Linear layers with activations between them: dims = [in, hidden..., out]."""

    def __init__(self, dims: list[int], activation=nn.Tanh, last_activation: bool = False):
        layers: list[nn.Module] = []
        for k, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
            layers.append(nn.Linear(a, b))
            if k < len(dims) - 2 or last_activation:
                layers.append(activation())
        super().__init__(*layers)
