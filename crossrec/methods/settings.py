"""Typed method settings: one dataclass drives the CLI `--set`, the dashboard form and the
saved run config. No torch here, so the UI can validate forms cheaply."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from crossrec.data.numbers import strict_float, strict_int
from crossrec.errors import SettingError


def setting(default, help: str, low=None, high=None, choices=None):
    """A settings field with its one-line help and valid range (drives CLI, form and checks)."""
    return field(default=default, metadata={"help": help, "low": low, "high": high,
                                            "choices": choices})


@dataclass
class CommonSettings:
    """Settings every method accepts."""

    dim: int = setting(128, "embedding dimension", 2, 1024)
    epochs: int = setting(100, "maximum epochs per training phase", 1, 10_000)
    lr: float = setting(0.05, "learning rate", 1e-6, 10.0)
    batch_size: int = setting(4096, "interactions (or users) per step", 8, 1_000_000)
    weight_decay: float = setting(0.005, "L2 penalty on the parameters a step touches", 0.0, 10.0)
    patience: int = setting(20, "epochs without validation NDCG@10 gain before stopping", 1, 1000)


def settings_schema(cls) -> list[dict]:
    """name, type, default, help, low, high, choices for each field of a settings dataclass."""
    rows = []
    for f in dataclasses.fields(cls):
        kind = f.type if isinstance(f.type, str) else f.type.__name__
        rows.append({"name": f.name, "type": kind, "default": f.default, **f.metadata})
    return rows


def _coerce(value: Any, kind: str, name: str):
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise SettingError(f"setting {name}={value!r} is not a boolean (true/false)")
    if kind == "int":
        return strict_int(value, f"setting {name}")
    if kind == "float":
        return strict_float(value, f"setting {name}")
    return str(value)


def check_values(schema: list[dict], values: dict | None, method: str = "method") -> dict:
    """Typed values for a settings schema (strings allowed); unknown keys and bad values raise.

    Works from the schema alone, so the UI can validate a form without importing the methods.
    """
    values = dict(values or {})
    rows = {row["name"]: row for row in schema}
    unknown = sorted(set(values) - set(rows))
    if unknown:
        raise SettingError(f"unknown setting {unknown[0]!r} for method {method}; settings: "
                           f"{', '.join(rows)}")
    typed = {}
    for name, value in values.items():
        row = rows[name]
        v = _coerce(value, row["type"], name)
        if row.get("choices") and v not in row["choices"]:
            raise SettingError(f"setting {name}={v!r} must be one of {', '.join(map(str, row['choices']))}")
        if row.get("low") is not None and not (row["low"] <= v <= row["high"]):
            raise SettingError(f"setting {name}={v} is out of range [{row['low']}, {row['high']}]")
        typed[name] = v
    return typed


def make_settings(cls, values: dict | None = None, method: str = "method"):
    """Build a settings instance from a dict (strings allowed); unknown keys and bad values raise."""
    return cls(**check_values(settings_schema(cls), values, method))


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """['dim=64', 'lr=0.01'] -> {'dim': '64', 'lr': '0.01'}."""
    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise SettingError(f"--set expects key=value, got {pair!r}")
        out[key.strip()] = value.strip()
    return out
