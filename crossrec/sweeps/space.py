"""Search spaces from the settings schema: a default space per setting, and the user's
`key=low:high[:log]`, `key=a,b,c` or `key=value` specs, checked against the schema."""

from __future__ import annotations

from dataclasses import fields

from crossrec.data.numbers import strict_float, strict_int
from crossrec.data.synthetic import SyntheticSettings
from crossrec.errors import SettingError

BUDGET = {"epochs", "patience", "map_epochs"}  # how long to train is not a searched setting
KNOBS = {f.name: f.type for f in fields(SyntheticSettings)}


def default_space(row: dict) -> dict | None:
    """The default search range of one schema row (None: not searched unless asked): numbers from
    a tenth (sizes: a quarter) of the default to twice it, log-scaled. Twice, not ten times: with
    plain SGD on embeddings, rates and loss weights far above the defaults diverge (seen: cmf on
    synthetic-tiny with lr 0.13-0.28 and source_weight 5-10 became infinite in 3 of 8 trials)."""
    name, kind, default = row["name"], row["type"], row["default"]
    if row.get("choices"):
        return {"kind": "choice", "choices": list(row["choices"])}
    if kind == "bool":
        return {"kind": "choice", "choices": [True, False]}
    if name in BUDGET or row.get("low") is None:
        return None
    low, high = row["low"], row["high"]
    if kind == "int":
        lo, hi = max(low, max(1, default // 4)), min(high, default * 2)
        return {"kind": "int", "low": lo, "high": hi, "log": default >= 8 and lo > 0}
    if default > 0:
        return {"kind": "float", "low": max(low, default / 10), "high": min(high, default * 2), "log": True}
    return {"kind": "float", "low": low, "high": min(high, 1.0), "log": False}


def _number(kind: str, text: str, what: str):
    return strict_int(text, what) if kind == "int" else strict_float(text, what)


def parse_space(schema: list[dict], specs: list[str], knobs_allowed: bool) -> dict:
    """{name: spec} for the given `--space` entries (only those: defaults come from the
    schema at sweep time). Knobs of a synthetic pair are keys too. Bad specs raise SettingError."""
    rows = {r["name"]: r for r in schema}
    space = {}
    for item in specs or []:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not value.strip():
            raise SettingError(f"--space expects key=low:high[:log], key=a,b,c or key=value, got {item!r}")
        if key in rows:
            kind, low, high, target = rows[key]["type"], rows[key].get("low"), rows[key].get("high"), "setting"
            choices = rows[key].get("choices")
        elif knobs_allowed and key in KNOBS:
            kind = "int" if KNOBS[key] in (int, "int") else "float"
            low, high = SyntheticSettings.RANGES[key]
            target, choices = "knob", None
        else:
            extra = f"; synthetic knobs: {', '.join(KNOBS)}" if knobs_allowed else ""
            raise SettingError(f"unknown sweep key {key!r}; settings: {', '.join(rows)}{extra}")
        value = value.strip()
        if ":" in value:
            parts = value.split(":")
            if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "log") or kind not in ("int", "float"):
                raise SettingError(f"--space {item!r}: a range is low:high or low:high:log, for numbers")
            lo, hi = (_number(kind, p, f"--space {key}") for p in parts[:2])
            if not (low <= lo < hi <= high):
                raise SettingError(f"--space {key}={value}: the range must lie inside [{low}, {high}] "
                                   f"with low < high")
            if len(parts) == 3 and lo <= 0:
                raise SettingError(f"--space {key}={value}: a log range needs low > 0")
            space[key] = {"kind": kind, "low": lo, "high": hi, "log": len(parts) == 3, "target": target}
            continue
        values = [v.strip() for v in value.split(",") if v.strip()]
        if not values:
            raise SettingError(f"--space {key}: the list is empty")
        if choices:
            bad = [v for v in values if v not in map(str, choices)]
            if bad:
                raise SettingError(f"--space {key}: {bad[0]!r} is not one of {', '.join(map(str, choices))}")
            typed = values
        elif kind == "bool":
            typed = [v.lower() in ("1", "true", "yes", "on") for v in values]
        else:
            typed = [_number(kind, v, f"--space {key}") for v in values]
            out = [v for v in typed if not low <= v <= high]
            if out:
                raise SettingError(f"--space {key}: {out[0]} is outside [{low}, {high}]")
        space[key] = {"kind": "choice", "choices": typed, "target": target} if len(typed) > 1 else \
            {"kind": "fixed", "value": typed[0], "target": target}
    return space


def check_space(schema: list[dict], space: dict) -> None:
    """Every spec inside its setting's (or knob's) valid range; raises a one-line SettingError.
    The CLI's parser checks as it parses; the Sweep page's form is checked here."""
    rows = {r["name"]: r for r in schema}
    for name, spec in space.items():
        if spec["target"] == "knob":
            if name not in KNOBS:
                raise SettingError(f"unknown synthetic knob {name!r}")
            low, high = SyntheticSettings.RANGES[name]
        elif name in rows:
            low, high = rows[name].get("low"), rows[name].get("high")
        else:
            raise SettingError(f"unknown sweep key {name!r}; settings: {', '.join(rows)}")
        if spec["kind"] == "choice" and not spec["choices"]:
            raise SettingError(f"sweep {name}: pick at least one value")
        if spec["kind"] in ("int", "float"):
            if not (low <= spec["low"] < spec["high"] <= high):
                raise SettingError(f"sweep {name}: the range {spec['low']}..{spec['high']} must lie inside "
                                   f"[{low}, {high}] with from < to")
            if spec["log"] and spec["low"] <= 0:
                raise SettingError(f"sweep {name}: a log range needs from > 0")


def full_space(schema: list[dict], given: dict, search_defaults: bool) -> dict:
    """The given specs plus, when `search_defaults`, every setting's default space."""
    space = {}
    if search_defaults:
        for row in schema:
            spec = default_space(row)
            if spec is not None:
                space[row["name"]] = {**spec, "target": "setting"}
    space.update(given)
    return space
