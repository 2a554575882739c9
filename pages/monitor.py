"""Monitor: live loss curves, validation NDCG@10, progress with ETA, errors, cancel."""

import time

import pandas as pd
import streamlit as st

from crossrec.runs.queue import place_and_wait
from crossrec.runs.store import ACTIVE
from crossrec.viz.curves import curves_figure
from pages.annotations import annotations_editor
from pages.people import may_cancel, mine_or_everyone
from pages.state import executor, metric_rows, store
from pages.widgets import chart, empty_state, page_setup, run_label

page_setup()
st.title("Monitor")
runs = store().list_runs(limit=100)
if not runs:
    empty_state("No runs yet: launch one on the Train page.", "pages/train.py", "Go to Train")
    st.stop()
runs = mine_or_everyone(runs, "monitor") or runs[:0]
if not runs:
    st.info("None of these runs is yours yet: launch one on the Train page, or show everyone's.")
    st.stop()

by_id = {r["id"]: r for r in runs}
default = [i for i in st.session_state.get("monitor_runs", []) if i in by_id] or \
    [st.session_state.get("run_id", runs[0]["id"])]
chosen = st.multiselect("Runs", list(by_id), default=default, format_func=lambda i: run_label(by_id[i]))
smooth = st.slider("Smooth the losses (moving average over steps)", 1, 50, 1,
                   help="1 shows every step as recorded; validation points are never smoothed")


def eta(run) -> str:
    if run["status"] == "queued":
        worker = executor().status() or {}
        place, wait = place_and_wait(store(), run, int((worker.get("info") or {}).get("concurrency", 1)))
        when = f", starts in about {wait / 60:.0f} min" if wait and wait >= 90 else \
            (f", starts in about {wait:.0f} s" if wait else "")
        return f" · place {place} in the queue{when}"
    if run["status"] != "running" or not run["started"] or not run["progress"]:
        return ""
    elapsed = time.time() - run["started"]
    return f" · about {max(0.0, elapsed / run['progress'] - elapsed):.0f} s left"


def any_active() -> bool:
    return any(store().get_run(i)["status"] in ACTIVE for i in chosen)


@st.fragment(run_every=1.0 if chosen and any_active() else None)
def live_view():
    frames, labels = [], {}
    for run_id in chosen:
        run = store().get_run(run_id)
        labels[run_id] = f"{run['method']} s{run['seed']}"
        cols = st.columns([4, 1])
        cols[0].progress(float(run["progress"] or 0.0),
                         text=f"{run_label(run)} · {run['status']}{eta(run)}")
        if run["status"] in ACTIVE and may_cancel(run) and cols[1].button("Cancel", key=f"cancel-{run_id}"):
            executor().cancel(run_id)
            st.toast(f"Cancel requested for {run_id}")
        if run["status"] == "failed":
            st.error(f"Run {run_id} failed: {run['error']}")
        frames.append(metric_rows(run_id))
    rows = pd.concat([f for f in frames if not f.empty], ignore_index=True) if any(not f.empty for f in frames) else pd.DataFrame()
    if rows.empty:
        st.info("Waiting for the first loss points…")
    else:
        chart(curves_figure(rows, labels, smooth=smooth), key="curves")
        st.caption(f"{len(rows):,} points · losses per training row of each batch · validation NDCG@10 "
                   "after each epoch · shaded bands are training phases")
    if not any_active():
        st.caption("No selected run is active: live refresh is paused.")


if chosen:
    live_view()
    with st.expander("Tags, notes and stars"):
        annotations_editor([store().get_run(i) for i in chosen], "monitor")
