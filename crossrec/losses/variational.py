"""KL to a standard normal prior, for variational encoders."""

from __future__ import annotations

import torch


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) = 0.5 Σ (exp(logvar) + mu² - 1 - logvar), mean over rows.

    mu, logvar: [B, d].
    """
    return 0.5 * (logvar.exp() + mu.pow(2) - 1.0 - logvar).sum(dim=1).mean()
