"""Knowledge distillation losses for recommendation."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class SoftLabelDistillationLoss(nn.Module):
    """Hinton et al. 2015: T² · KL(softmax(t/T) || softmax(s/T)), mean over users.

    student, teacher: [B, n_items] scores over the same items.
    """

    def __init__(self, temperature: float = 2.0):
        super().__init__()
        self.temperature = temperature

    def forward(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        t = self.temperature
        target = F.softmax(teacher / t, dim=1)
        return F.kl_div(F.log_softmax(student / t, dim=1), target, reduction="batchmean") * t * t


class RankingDistillationLoss(nn.Module):
    """Tang & Wang, KDD 2018: the teacher's top-K items are extra positives for the student,

    weighted by rank, w_r ∝ exp(-r / λ):  L = -Σ_r w_r log σ(s_{u, π_r}), mean over users.
    student: [B, n_items]; teacher_top: [B, K] item indices in the teacher's rank order.
    """

    def __init__(self, lam: float = 5.0):
        super().__init__()
        self.lam = lam

    def forward(self, student: torch.Tensor, teacher_top: torch.Tensor) -> torch.Tensor:
        k = teacher_top.shape[1]
        w = torch.exp(-torch.arange(k, device=student.device, dtype=torch.float32) / self.lam)
        w = w / w.sum()
        return -(F.logsigmoid(student.gather(1, teacher_top)) * w).sum(dim=1).mean()
