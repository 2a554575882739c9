"""Adversarial alignment: gradient reversal and a domain discriminator (Ganin & Lempitsky, ICML 2015).

The discriminator D tells source from target representations; through the gradient reversal
layer the encoders receive -λ·∂L_D, so they learn to fool D. This is the GAN minimax game
min_enc max_D E_s[log D(h_s)] + E_t[log(1 - D(h_t))], trained in one backward pass.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class _ReverseGrad(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, coeff):
        ctx.coeff = coeff
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -ctx.coeff * grad, None


class GradientReverseLayer(nn.Module):
    """Identity forward; multiplies the gradient by -coeff backward. x: any shape."""

    def forward(self, x: torch.Tensor, coeff: float = 1.0) -> torch.Tensor:
        return _ReverseGrad.apply(x, coeff)


class WarmStartGradientReverseLayer(nn.Module):
    """Gradient reversal whose coefficient warms up from `lo` to `hi` over `max_iters` steps:

    λ(p) = lo + (hi - lo) · (2 / (1 + exp(-alpha·p)) - 1),  p = step / max_iters  (DANN's schedule),
    so the discriminator learns something before it steers the encoders.
    """

    def __init__(self, alpha: float = 10.0, lo: float = 0.0, hi: float = 1.0, max_iters: int = 1000):
        super().__init__()
        self.alpha, self.lo, self.hi, self.max_iters = alpha, lo, hi, max_iters
        self.iter_num = 0

    @property
    def coeff(self) -> float:
        p = min(self.iter_num / max(self.max_iters, 1), 1.0)
        return self.lo + (self.hi - self.lo) * (2.0 / (1.0 + math.exp(-self.alpha * p)) - 1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ReverseGrad.apply(x, self.coeff)

    def step(self) -> None:
        self.iter_num += 1


class DomainDiscriminator(nn.Module):
    """MLP [B, dim] -> [B] logit that the representation comes from the source domain."""

    def __init__(self, dim: int, hidden: int = 64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                 nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.net(h).squeeze(-1)


class DomainAdversarialLoss(nn.Module):
    """L = BCE(D(GRL(h_s)), 1) + BCE(D(GRL(h_t)), 0), averaged over each domain's batch.

    h_s: [Bs, dim], h_t: [Bt, dim]. `domain_accuracy` keeps the discriminator's last accuracy
    (0.5 means the domains are indistinguishable to it).
    """

    def __init__(self, discriminator: DomainDiscriminator, grl: nn.Module | None = None):
        super().__init__()
        self.discriminator = discriminator
        self.grl = grl or WarmStartGradientReverseLayer()
        self.domain_accuracy = 0.5

    def forward(self, h_s: torch.Tensor, h_t: torch.Tensor) -> torch.Tensor:
        logits = self.discriminator(self.grl(torch.cat([h_s, h_t])))
        labels = torch.cat([torch.ones(len(h_s)), torch.zeros(len(h_t))]).to(logits.device)
        with torch.no_grad():
            self.domain_accuracy = float(((logits > 0).float() == labels).float().mean())
        return 0.5 * (F.binary_cross_entropy_with_logits(logits[:len(h_s)], labels[:len(h_s)])
                      + F.binary_cross_entropy_with_logits(logits[len(h_s):], labels[len(h_s):]))
