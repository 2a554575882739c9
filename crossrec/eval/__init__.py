"""Evaluation: metrics (pure functions) and protocols (full ranking; sampled legacy)."""
