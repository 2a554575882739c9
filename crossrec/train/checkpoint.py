"""A model's parameters as bytes (torch's format) and back."""

from __future__ import annotations

import io

import torch


def checkpoint_bytes(model: torch.nn.Module) -> bytes:
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getvalue()


def load_checkpoint(path) -> dict:
    """A run's saved parameters (tensors only: weights_only=True refuses pickled code)."""
    return torch.load(path, map_location="cpu", weights_only=True)
