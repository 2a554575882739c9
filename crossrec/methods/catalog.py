"""The method catalog: one card per method (name, family, paper, phases, settings schema).

This module owns the card schema and the catalog file: the worker writes the file when it starts
(through `crossrec.runs.probe`, a short-lived process, so the worker never imports torch); the
dashboard only reads it. Torch-free at import time.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from crossrec.methods.settings import settings_schema

SCHEMA_VERSION = 2  # 2: cards say where a method has not helped (limits)
CARD_FIELDS = ("name", "family", "description", "paper", "loss_latex", "limits", "phases",
               "needs_overlap", "settings")
FILE_NAME = "methods.json"


def card(cls) -> dict:
    """The card of a method class; phases come from its default plan (distill: with its teacher)."""
    return {"name": cls.name, "family": cls.family, "description": cls.summary.replace("\n", " "),
            "paper": cls.paper, "loss_latex": cls.loss_latex, "limits": " ".join(cls.limits.split()),
            "phases": [phase.name for phase in cls().plan()],
            "needs_overlap": cls.needs_overlap, "settings": settings_schema(cls.Settings)}


def setting_defaults(cards: list[dict]) -> dict[str, dict]:
    """{method: {setting: default}}: what a run's stored settings leave out."""
    return {c["name"]: {row["name"]: row["default"] for row in c["settings"]} for c in cards}


def all_cards() -> list[dict]:
    """Cards of every registered method, in the registry's order (imports the methods: torch)."""
    from crossrec.methods.registry import all_methods
    return [card(cls) for cls in all_methods().values()]


def write_catalog(path: Path, cards: list[dict]) -> None:
    """Write the catalog atomically (a reader never sees half a file)."""
    path = Path(path)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"version": SCHEMA_VERSION, "methods": cards}))
    os.replace(tmp, path)


def read_catalog(path: Path) -> list[dict] | None:
    """The cards in the catalog file, or None while it does not exist (or is of another version)."""
    try:
        payload = json.loads(Path(path).read_text())
    except (FileNotFoundError, ValueError):
        return None
    if payload.get("version") != SCHEMA_VERSION:
        return None
    cards = payload["methods"]
    for c in cards:
        missing = [f for f in CARD_FIELDS if f not in c]
        if missing:
            raise ValueError(f"{path}: method card {c.get('name')!r} lacks {', '.join(missing)}")
    return cards

