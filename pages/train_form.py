"""The settings form, generated from a method's settings schema (types, ranges, help)."""

import streamlit as st

COMMON = ("dim", "epochs", "lr", "batch_size", "weight_decay", "patience")


def _widget(row: dict, container, method: str):
    label, help_text, default = row["name"], row.get("help"), row["default"]
    key = f"setting-{method}-{label}"  # per method: switching methods must not carry values over
    if row.get("choices"):
        return container.selectbox(label, row["choices"], index=row["choices"].index(default),
                                   help=help_text, key=key)
    if row["type"] == "bool":
        return container.checkbox(label, value=bool(default), help=help_text, key=key)
    if row["type"] == "int":
        return container.number_input(label, min_value=int(row["low"]), max_value=int(row["high"]),
                                      value=int(default), step=1, help=help_text, key=key)
    return container.number_input(label, min_value=float(row["low"]), max_value=float(row["high"]),
                                  value=float(default), format="%g", help=help_text, key=key)


def settings_form(schema: list[dict], method: str) -> dict:
    """Widgets for every setting; returns only the values that differ from the defaults."""
    common = [r for r in schema if r["name"] in COMMON]
    specific = [r for r in schema if r["name"] not in COMMON]
    values = {}
    cols = st.columns(3)
    for k, row in enumerate(common):
        values[row["name"]] = _widget(row, cols[k % 3], method)
    if specific:
        st.markdown("**Method settings**")
        cols = st.columns(3)
        for k, row in enumerate(specific):
            values[row["name"]] = _widget(row, cols[k % 3], method)
    defaults = {r["name"]: r["default"] for r in schema}
    return {k: v for k, v in values.items() if v != defaults[k]}
