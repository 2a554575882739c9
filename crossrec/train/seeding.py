"""Seed Python, NumPy and torch together; return a torch generator for data sampling."""

from __future__ import annotations

import random

import numpy as np
import torch


def seed_everything(seed: int, device) -> torch.Generator:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator(device=device).manual_seed(seed)
