"""Matrix-factorisation building blocks shared by methods."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn



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


def bpr_descent(pu, qi, qj, reg: float, weight: float = 1.0):
    """BPR's SGD update written out (LearnBPR, Rendle et al., UAI 2009). For x = <p_u, q_i - q_j>
    and g = weight * sigmoid(-x), the negative gradients of weight * -ln sigmoid(x) +
    reg/2 (|p_u|² + |q_i|² + |q_j|²) are g (q_i - q_j) - reg p_u, g p_u - reg q_i and
    -g p_u - reg q_j. Returns those three [B, d] directions, the summed -ln sigmoid(x) and the
    summed L2 term 0.5 (|p_u|² + |q_i|² + |q_j|²). `qi` and `qj` must be gathered copies: they
    are overwritten (fewer [B, d] temporaries: this is most of a BPR step)."""
    l2 = 0.5 * sum(torch.linalg.vecdot(t, t).sum() for t in (pu, qi, qj))
    diff = qi - qj
    x = torch.linalg.vecdot(pu, diff)
    g = (weight * torch.sigmoid(-x)).unsqueeze(-1)
    toward_user = diff.mul_(g).sub_(pu, alpha=reg)
    pulled = pu * g
    toward_positive = qi.mul_(-reg).add_(pulled)
    toward_negative = qj.mul_(-reg).sub_(pulled)
    return (toward_user, toward_positive, toward_negative), -F.logsigmoid(x).sum(), l2


def apply_sgd(lr: float, *updates) -> None:
    """Add lr * direction to each (table, rows, direction [B, d]); a batch's repeated rows add up,
    as sparse SGD sums them. Every direction must be computed before the first is applied."""
    for table, rows, direction in updates:
        table.index_add_(0, rows, direction.mul_(lr))  # (index_add_'s own alpha is 2x slower on CPU)


class MF(nn.Module):
    """User and item embedding tables; score(u, i) = <p_u, q_i>. Sparse gradients (SGD)."""

    def __init__(self, n_users: int, n_items: int, dim: int, std: float = INIT_STD):
        super().__init__()
        self.users = embedding(n_users, dim, std)
        self.items = embedding(n_items, dim, std)

    @torch.no_grad()
    def sgd_bpr_step(self, u, i, j, lr: float, reg: float) -> dict:
        """One plain-SGD step of BPR on triples (u, i, j) plus L2 on the touched rows, written out
        (`bpr_descent`), with no autograd graph: the same update as autograd + SGD on sparse
        gradients (test), in fewer ops. `j` may hold several candidates per row: the hardest is
        used. Returns {'loss', 'rec'}."""
        users, items = self.users.weight, self.items.weight
        pu, qi = users.index_select(0, u), items.index_select(0, i)  # (5x faster than users[u] on CPU)
        j = hardest_negative(pu, self.items, j)
        qj = items.index_select(0, j)
        (du, di, dj), rec, l2 = bpr_descent(pu, qi, qj, reg)
        apply_sgd(lr, (users, u, du), (items, i, di), (items, j, dj))
        return {"loss": rec + reg * l2, "rec": rec}

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
