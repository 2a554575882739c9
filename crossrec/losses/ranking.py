"""Recommendation losses."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def bpr_loss(pos: torch.Tensor, neg: torch.Tensor) -> torch.Tensor:
    """Bayesian personalised ranking (Rendle et al., UAI 2009), summed over the batch.

    pos, neg: [B] scores of an observed and a sampled item. Loss = -sum log sigmoid(pos - neg).
    Summed, not averaged, so that SGD with learning rate lr applies BPR's per-sample update.
    """
    return -F.logsigmoid(pos - neg).sum()


def l2_penalty(*tensors: torch.Tensor) -> torch.Tensor:
    """0.5 * sum of squares of the rows a step touches (BPR's regulariser), summed over the batch."""
    return 0.5 * sum((t * t).sum() for t in tensors)
