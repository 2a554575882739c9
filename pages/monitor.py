"""Monitor: live loss curves, validation NDCG@10, progress with ETA, errors, cancel."""

import time

import pandas as pd
import streamlit as st

from crossrec.runs.queue import REFRESH_S, queue_estimates, refresh_seconds
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


def eta(run, estimates: dict) -> str:
    if run["status"] == "queued" and run["id"] in estimates:
        place, wait = estimates[run["id"]]
        when = f", starts in about {wait / 60:.0f} min" if wait and wait >= 90 else \
            (f", starts in about {wait:.0f} s" if wait else "")
        return f" · place {place} in the queue{when}"
    if run["status"] != "running" or not run["started"] or not run["progress"]:
        return ""
    elapsed = time.time() - run["started"]
    return f" · about {max(0.0, elapsed / run['progress'] - elapsed):.0f} s left"


def queue_slots() -> int:
    return int(((executor().status() or {}).get("info") or {}).get("concurrency", 1))


def chosen_runs() -> list[dict]:
    """The chosen runs as stored now, in one read."""
    found = store().get_runs(chosen)
    return [found[i] for i in chosen if i in found]


def live_state(runs: list[dict]) -> tuple[str | None, dict]:
    """How often the page refreshes, and the queued runs' estimates: "running" while a chosen run
    trains, "next" while one is about to start, "queued" while they wait further back, None when
    none is active."""
    queued = [r for r in runs if r["status"] == "queued"]
    slots = queue_slots() if queued else 1
    estimates = queue_estimates(store(), slots) if queued else {}
    if any(r["status"] == "running" for r in runs):
        return "running", estimates
    if any(estimates.get(r["id"], (slots + 1,))[0] <= slots for r in queued):
        return "next", estimates
    return ("queued" if queued else None), estimates


ticking, first_estimates = live_state(chosen_now := chosen_runs())  # the fragments read again on every tick


@st.fragment(run_every=refresh_seconds(ticking, chosen_now, first_estimates))
def progress_view():
    runs = chosen_runs()
    state, estimates = live_state(runs)
    for run in runs:
        cols = st.columns([4, 1])
        cols[0].progress(float(run["progress"] or 0.0),
                         text=f"{run_label(run)} · {run['status']}{eta(run, estimates)}")
        if run["status"] in ACTIVE and may_cancel(run) and cols[1].button("Cancel", key=f"cancel-{run['id']}"):
            executor().cancel(run["id"])
            st.toast(f"Cancel requested for {run['id']}")
        if run["status"] == "failed":
            st.error(f"Run {run['id']} failed: {run['error']}")
    if state != ticking:
        st.rerun()  # the whole page: run_every is read on a full run, so both refresh rates follow
    if ticking is None:
        st.caption("No selected run is active: live refresh is paused.")


# Redrawn only while a chosen run trains: a chart re-sent unchanged still costs every browser a redraw.
@st.fragment(run_every=REFRESH_S["running"] if ticking == "running" else None)
def curves_view():
    runs = chosen_runs()
    frames = [f for f in (metric_rows(r["id"]) for r in runs) if not f.empty]
    if not frames:
        st.info("Waiting for the first loss points…")
        return
    rows = pd.concat(frames, ignore_index=True)
    labels = {r["id"]: f"{r['method']} s{r['seed']}" for r in runs}
    chart(curves_figure(rows, labels, smooth=smooth), key="curves")
    st.caption(f"{len(rows):,} points · losses per training row of each batch · validation NDCG@10 "
               "after each epoch · shaded bands are training phases")


if chosen:
    progress_view()
    curves_view()
    with st.expander("Tags, notes and stars"):
        annotations_editor(chosen_now, "monitor")
