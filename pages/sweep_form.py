"""The sweep form: which settings (and synthetic knobs) to search, each as a range or a list,
prefilled with the default search space of the settings schema."""

import streamlit as st

from crossrec.data.synthetic import SyntheticSettings
from crossrec.sweeps.space import KNOBS, default_space


def _spec(name: str, spec: dict, target: str, key: str) -> dict:
    if spec["kind"] == "choice":
        chosen = st.multiselect(name, spec["choices"], default=spec["choices"], key=f"{key}-{name}")
        return {"kind": "choice", "choices": chosen, "target": target}
    a, b, c = st.columns([2, 2, 1])
    number = int if spec["kind"] == "int" else float
    low = a.number_input(f"{name} from", value=number(spec["low"]), key=f"{key}-{name}-low",
                         format=None if number is int else "%g")
    high = b.number_input(f"{name} to", value=number(spec["high"]), key=f"{key}-{name}-high",
                          format=None if number is int else "%g")
    log = c.checkbox("log", value=spec["log"], key=f"{key}-{name}-log")
    return {"kind": spec["kind"], "low": number(low), "high": number(high), "log": log, "target": target}


def space_form(card: dict, synthetic: bool) -> dict:
    """{name: spec} of the searched keys (the rest stay at their defaults)."""
    rows = [r for r in card["settings"] if default_space(r) is not None]
    names = [r["name"] for r in rows]
    picked = st.multiselect("Settings to search", names, default=names, key=f"sweep-{card['name']}-keys")
    space = {r["name"]: _spec(r["name"], default_space(r), "setting", f"sweep-{card['name']}")
             for r in rows if r["name"] in picked}
    if synthetic:
        knobs = st.multiselect("Synthetic knobs to vary", list(KNOBS), default=[], key="sweep-knobs")
        for knob in knobs:
            low, high = SyntheticSettings.RANGES[knob]
            kind = "int" if KNOBS[knob] in (int, "int") else "float"
            space[knob] = _spec(knob, {"kind": kind, "low": low, "high": high, "log": False}, "knob", "sweep-knob")
    return space
