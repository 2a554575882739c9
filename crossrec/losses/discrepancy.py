"""Distribution distances between two sets of representations (torch, differentiable)."""

from __future__ import annotations

import torch


def mmd_rbf(x: torch.Tensor, y: torch.Tensor, bandwidths=(0.5, 1.0, 2.0, 4.0)) -> torch.Tensor:
    """Squared maximum mean discrepancy with a sum of RBF kernels (Gretton et al., JMLR 2012).

    x: [n, d], y: [m, d]. Bandwidths are multiples of the median pairwise distance.
    MMD² = E k(x,x') + E k(y,y') - 2 E k(x,y)  (biased estimator, >= 0).
    """
    z = torch.cat([x, y])
    d2 = torch.cdist(z, z).pow(2)
    scale = d2.detach().median().clamp_min(1e-6)
    k = sum(torch.exp(-d2 / (b * scale)) for b in bandwidths)
    n = len(x)
    return k[:n, :n].mean() + k[n:, n:].mean() - 2 * k[:n, n:].mean()


def coral_distance(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """CORAL (Sun & Saenko, ECCV-W 2016): ||Cov(x) - Cov(y)||_F² / (4 d²). x: [n, d], y: [m, d]."""
    d = x.shape[1]
    cx = torch.cov(x.T)
    cy = torch.cov(y.T)
    return ((cx - cy) ** 2).sum() / (4 * d * d)
