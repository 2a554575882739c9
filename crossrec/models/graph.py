"""Graph encoders over a domain's user-item bipartite graph (CDRIB's and DisenCDR's VBGE).

A VBGE layer (Cao et al., ICDE 2022, Sec. IV-A) updates users from their two-hop neighbours
(user -> items -> users) and items likewise, each through two graph convolutions, then joins the
result with the node's own vector; the last layer outputs a Gaussian (mean, std) per node.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from crossrec.tensors.pair_tensors import UserItems


def normalized_adjacency(table: UserItems) -> tuple[torch.Tensor, torch.Tensor]:
    """Row-normalised sparse matrices: UV [users, items] (a user's items, each 1/degree) and
    VU [items, users] (an item's users, each 1/degree)."""
    users = torch.repeat_interleave(torch.arange(table.n_users, device=table.counts.device), table.counts)
    items = table.indices
    ones = torch.ones(items.numel(), device=items.device)
    item_degree = torch.bincount(items, minlength=table.n_items).clamp_min(1)
    uv = torch.sparse_coo_tensor(torch.stack([users, items]), ones / table.counts[users],
                                 (table.n_users, table.n_items), check_invariants=True).coalesce()
    vu = torch.sparse_coo_tensor(torch.stack([items, users]), ones / item_degree[items],
                                 (table.n_items, table.n_users), check_invariants=True).coalesce()
    return uv, vu


class GraphConv(nn.Module):
    """leaky_relu(A · x W): one hop of mean aggregation (A row-normalised)."""

    def __init__(self, dim_in: int, dim_out: int, slope: float):
        super().__init__()
        self.linear, self.slope = nn.Linear(dim_in, dim_out, bias=False), slope

    def forward(self, x: torch.Tensor, adjacency: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(torch.sparse.mm(adjacency, self.linear(x)), self.slope)


class TwoHop(nn.Module):
    """A node's two-hop neighbourhood joined with itself: join([A2·(A1·x W1) W2, x])."""

    def __init__(self, dim: int, slope: float, heads: int = 1):
        super().__init__()
        self.first = GraphConv(dim, dim, slope)
        self.second = nn.ModuleList(GraphConv(dim, dim, slope) for _ in range(heads))
        self.join = nn.ModuleList(nn.Linear(2 * dim, dim) for _ in range(heads))

    def forward(self, x, hop_out, hop_back):
        """x: [n, d] nodes; hop_out [m, n] to the other side, hop_back [n, m] home."""
        middle = self.first(x, hop_out)
        return [join(torch.cat([second(middle, hop_back), x], dim=1))
                for second, join in zip(self.second, self.join)]


def gaussian_std(raw: torch.Tensor) -> torch.Tensor:
    """CDRIB's positive std: exp(0.1 + 0.9 · softplus(min(raw, 0.4)))."""
    return torch.exp(0.1 + 0.9 * F.softplus(raw.clamp_max(0.4)))


class VBGE(nn.Module):
    """Variational bipartite graph encoder: `layers` VBGE layers; users and items come out as the
    concatenation of every layer's output ([n, layers·dim]), the last layer sampled from its
    Gaussian while training (its mean otherwise). `forward` also returns the KL of the users' and
    the items' Gaussians to N(0, I) (each averaged over nodes, summed over dimensions)."""

    def __init__(self, dim: int, layers: int, dropout: float, slope: float = 0.1):
        super().__init__()
        self.dropout = dropout
        self.users = nn.ModuleList(TwoHop(dim, slope) for _ in range(layers - 1))
        self.items = nn.ModuleList(TwoHop(dim, slope) for _ in range(layers - 1))
        self.last_users, self.last_items = TwoHop(dim, slope, heads=2), TwoHop(dim, slope, heads=2)

    def forward(self, users, items, uv, vu):
        outs_u, outs_i = [], []
        for layer_u, layer_i in zip(self.users, self.items):
            users, items = self._drop(users), self._drop(items)
            users, items = F.relu(layer_u(users, vu, uv)[0]), F.relu(layer_i(items, uv, vu)[0])
            outs_u.append(users)
            outs_i.append(items)
        users, items = self._drop(users), self._drop(items)
        (z_u, kl_u), (z_i, kl_i) = (self._gaussian(*self.last_users(users, vu, uv)),
                                    self._gaussian(*self.last_items(items, uv, vu)))
        return torch.cat(outs_u + [z_u], 1), torch.cat(outs_i + [z_i], 1), kl_u, kl_i

    def _drop(self, x):
        return F.dropout(x, self.dropout, training=self.training)

    def _gaussian(self, mean, raw_std):
        std = gaussian_std(raw_std)
        z = mean + std * torch.randn_like(mean) if self.training else mean
        kl = torch.distributions.kl_divergence(
            torch.distributions.Normal(mean, std), torch.distributions.Normal(0.0, 1.0)).mean(0).sum()
        return z, kl
