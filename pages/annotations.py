"""Tags, a note and a star per run, edited in place (Monitor, Compare) and kept in the run store."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages.state import store


def annotations_editor(runs: list[dict], key: str) -> None:
    """An editable table of the runs' star, tags (comma separated) and note; changes are saved."""
    if not runs:
        return
    frame = pd.DataFrame([{"run": r["id"], "method": r["method"], "owner": r.get("owner") or "",
                           "★": bool(r.get("starred")), "tags": ", ".join(r.get("tags") or []),
                           "note": r.get("note") or ""} for r in runs])
    edited = st.data_editor(frame, hide_index=True, width="stretch", key=f"annotations-{key}",
                            disabled=["run", "method", "owner"],
                            column_config={"★": st.column_config.CheckboxColumn("★", help="star the run"),
                                           "tags": st.column_config.TextColumn(help="comma separated"),
                                           "note": st.column_config.TextColumn(width="large")})
    for before, after in zip(frame.to_dict("records"), edited.to_dict("records")):
        if before != after:
            store().annotate(after["run"], tags=[t.strip() for t in after["tags"].split(",") if t.strip()],
                             note=after["note"] or "", starred=bool(after["★"]))


def tag_filter(runs: list[dict], key: str, where=None) -> list[dict]:
    """Filter runs by tags (any of those picked) and by star."""
    where = where or st
    tags = sorted({t for r in runs for t in (r.get("tags") or [])})
    picked = where.multiselect("Tags", tags, key=f"tags-{key}") if tags else []
    starred = where.checkbox("Starred only", key=f"starred-{key}")
    return [r for r in runs if (not picked or set(picked) & set(r.get("tags") or []))
            and (not starred or r.get("starred"))]
