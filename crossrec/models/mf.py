"""Matrix-factorisation building blocks shared by methods."""

from __future__ import annotations

import torch
from torch import nn

from crossrec.losses.ranking import bpr_loss, l2_penalty


# Small initial vectors (as LearnBPR implementations use): with SGD, larger ones lock in noise
# that the L2 term takes many epochs to shrink; measured on Amazon Cloth, std 0.1 -> 0.006
# HR@10, std 0.002 -> 0.020 at dim 64.
INIT_STD = 0.002


def embedding(n: int, dim: int, std: float = INIT_STD, sparse: bool = True) -> nn.Embedding:
    """An embedding table with N(0, std²) rows; sparse gradients by default (plain SGD updates)."""
    table = nn.Embedding(n, dim, sparse=sparse)
    nn.init.normal_(table.weight, std=std)
    return table


def hardest_negative(pu: torch.Tensor, items: nn.Embedding, candidates: torch.Tensor) -> torch.Tensor:
    """Dynamic negative sampling (Zhang et al., SIGIR 2013): of C sampled candidates [B, C],
    keep the one the model currently scores highest for the user (the most informative)."""
    if candidates.dim() == 1:
        return candidates
    with torch.no_grad():
        scores = (items(candidates) * pu.detach().unsqueeze(1)).sum(-1)
    return candidates.gather(1, scores.argmax(dim=1, keepdim=True)).squeeze(1)


class MF(nn.Module):
    """User and item embedding tables; score(u, i) = <p_u, q_i>. Sparse gradients (SGD)."""

    def __init__(self, n_users: int, n_items: int, dim: int, std: float = INIT_STD):
        super().__init__()
        self.users = embedding(n_users, dim, std)
        self.items = embedding(n_items, dim, std)

    def bpr(self, u, i, j, reg: float, user_vectors: torch.Tensor | None = None) -> dict:
        """BPR loss of triples (u, i, j) plus L2 on the touched rows: {'loss', 'rec'}."""
        pu = self.users(u) if user_vectors is None else user_vectors
        qi, qj = self.items(i), self.items(hardest_negative(pu, self.items, j))
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


class TwoDomainMF(nn.ModuleDict):
    """One BPR-MF per domain over the same user ids: {"source": MF, "target": MF}
    (the embed-then-transfer methods: finetune, EMCDR, PTUPCDR)."""

    def __init__(self, n_users: int, n_source_items: int, n_target_items: int, dim: int):
        super().__init__({"source": MF(n_users, n_source_items, dim),
                          "target": MF(n_users, n_target_items, dim)})


def shared_user_tables(n_users: int, n_source_items: int, n_target_items: int, dim: int) -> dict:
    """One user table shared by both domains and one item table per domain (CMF, DANN, CoNet)."""
    return {"users": embedding(n_users, dim),
            "source_items": embedding(n_source_items, dim),
            "target_items": embedding(n_target_items, dim)}
