"""Evaluation modes offered to users, and their parsing (torch-free, for the dashboard)."""

from __future__ import annotations

from crossrec.errors import SettingError

EVAL_MODES = ("full", "sampled:99", "sampled:999")


def parse_mode(mode: str) -> tuple[str, int]:
    """'full' -> ('full', 0); 'sampled:99' -> ('sampled', 99)."""
    if mode == "full":
        return "full", 0
    kind, _, n = str(mode).partition(":")
    if kind == "sampled" and n in ("99", "999"):
        return "sampled", int(n)
    raise SettingError(f"unknown evaluation mode {mode!r}; use {', '.join(EVAL_MODES)}")
