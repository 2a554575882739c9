"""Small widgets every page shares: the deep-link guard, the sidebar, one run picker, labels."""

from __future__ import annotations

import re
import time

import pandas as pd
import streamlit as st

from crossrec.runs.store import ACTIVE
from pages.navigation import app_pages
from pages.people import name_box
from pages.state import executor, store

VIA_APP = "_crossrec_via_app"  # set by app.py before it runs a page
STATUS_ICONS = {"queued": "○", "running": "▶", "done": "✓", "failed": "✗", "cancelled": "■", "pruned": "✂"}


def page_setup() -> None:
    """Every page calls this first. On a fresh server, a deep link as the first visit runs the
    page file by itself (Streamlit's pages-folder mode, since `pages/` exists). Calling
    `st.navigation` switches that mode off (its documented effect); the rerun then goes
    through app.py, which keeps the URL's page."""
    if not st.session_state.get(VIA_APP):
        st.navigation(app_pages(), position="hidden")
        st.rerun()


def sidebar() -> None:
    """The session's name, worker and device status, and how many runs are active. Starts nothing."""
    name_box()
    with st.sidebar:
        worker = executor().status()
        if worker is None:
            st.caption(":material/pause_circle: No worker running: one starts with the next launch")
        else:
            st.caption(f":material/check_circle: Worker running (pid {worker['pid']})")
        info = (worker or {}).get("info") or {}
        devices = info.get("devices") or []
        gpu = [d["label"] for d in devices if d["name"] != "cpu"]
        st.caption(f"Device: {gpu[0] if gpu else 'CPU'}")
        if info.get("cores"):
            per_run = info.get("threads_override") or max(1, info["cores"] // info.get("concurrency", 1))
            st.caption(f"CPU threads per run: up to {per_run} ({info['cores']} cores, "
                       f"{info.get('concurrency', 1)} run(s) at once; fewer when the machine is busy)",
                       help="Chosen at the start of each training phase from the load average; "
                            "CROSSREC_THREADS overrides it. Projections use one thread.")
        active = len(store().list_runs(ACTIVE, limit=1000))
        if active:
            st.caption(f"{active} run(s) queued or running")


def devices() -> list[dict]:
    """Devices the live worker reported (CPU until it has)."""
    worker = executor().status() or {}
    return (worker.get("info") or {}).get("devices") or [{"name": "cpu", "label": "CPU"}]


def run_label(run: dict) -> str:
    owner = f" · {run['owner']}" if run.get("owner") else ""
    star = "★ " if run.get("starred") else ""
    return f"{star}{STATUS_ICONS.get(run['status'], '')} {run['method']} · {run['pair_name']} · seed {run['seed']}{owner} · {run['id']}"


def run_picker(runs: list[dict], label: str = "Run") -> dict:
    """The page's one run picker; the choice follows the user from page to page."""
    by_id = {r["id"]: r for r in runs}
    current = st.session_state.get("run_id")
    run_id = st.selectbox(label, list(by_id), index=list(by_id).index(current) if current in by_id else 0,
                          format_func=lambda i: run_label(by_id[i]))
    st.session_state["run_id"] = run_id
    return by_id[run_id]


def runs_frame(runs: list[dict]) -> pd.DataFrame:
    rows = []
    for r in runs:
        cold = (r.get("metrics") or {}).get("cold") or {}
        warm = (r.get("metrics") or {}).get("warm") or {}
        rows.append({"run": r["id"], "status": f"{STATUS_ICONS.get(r['status'], '')} {r['status']}",
                     "owner": r.get("owner") or "", "★": "★" if r.get("starred") else "",
                     "tags": ", ".join(r.get("tags") or []),
                     "method": r["method"], "pair": r["pair_name"], "seed": r["seed"],
                     "progress": float(r["progress"] or 0.0),
                     "cold NDCG@10": cold.get("ndcg@10"), "warm NDCG@10": warm.get("ndcg@10"),
                     "created": time.strftime("%m-%d %H:%M:%S", time.localtime(r["created"]))})
    return pd.DataFrame(rows)


def empty_state(message: str, page: str | None = None, label: str | None = None) -> None:
    st.info(message)
    if page:
        st.page_link(page, label=label or "Go")


# Every chart's camera button saves a 2x PNG (slides), without the plotly logo.
CHART_CONFIG = {"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}}


def chart(fig, key: str | None = None, where=None) -> None:
    """A plotly figure at full width whose toolbar exports a 2x PNG named after its title."""
    title = (fig.layout.title.text or key or "crossrec-chart")
    filename = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower()[:60] or "crossrec-chart"
    config = {**CHART_CONFIG, "toImageButtonOptions": {**CHART_CONFIG["toImageButtonOptions"], "filename": filename}}
    (where or st).plotly_chart(fig, width="stretch", key=key, config=config)
