"""Evaluation modes offered to users (torch-free, for the dashboard)."""

EVAL_MODES = ("full", "sampled:99", "sampled:999")
