"""The dashboard's helper layer: store access, worker, cached catalog/method cards, small widgets.

Pages stay thin: they read widgets, call these helpers and `crossrec`, and draw what returns.
Torch never loads in the UI process: method cards come from `python -m crossrec methods --json`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pandas as pd
import streamlit as st

from crossrec.data.catalog import list_pairs, load_pair
from crossrec.runs.artifacts import ArtifactStore
from crossrec.runs.store import ACTIVE, RunStore, default_home
from crossrec.runs.executor import LocalExecutor

VIA_APP = "_crossrec_via_app"  # set by app.py before it runs a page
STATUS_ICONS = {"queued": "○", "running": "▶", "done": "✓", "failed": "✗", "cancelled": "■"}


def page_setup() -> None:
    """Every page calls this first. On a fresh server, Streamlit's legacy multipage mode (it
    sees the `pages/` folder) runs a page file directly when the first visit is a deep link;
    switch that mode off and rerun, so the session goes through app.py's navigation."""
    if not st.session_state.get(VIA_APP):
        from streamlit.runtime.pages_manager import PagesManager
        PagesManager.uses_pages_directory = False
        st.rerun()


def store() -> RunStore:
    """The run store of this app's CROSSREC_HOME (cheap: a path and a schema check)."""
    return _store(str(default_home()))


@st.cache_resource(show_spinner=False)
def _store(home: str) -> RunStore:
    return RunStore(home)


def artifacts() -> ArtifactStore:
    return ArtifactStore(store().home / "artifacts")


@st.cache_data(show_spinner="Reading the method catalog…", ttl=3600)
def method_cards() -> list[dict]:
    """The worker writes methods.json when it starts; otherwise ask the CLI (and keep its answer)."""
    path = store().home / "methods.json"
    if not path.exists():
        out = subprocess.run([sys.executable, "-m", "crossrec", "methods", "--json"],
                             capture_output=True, text=True, timeout=300, check=True)
        path.write_text(out.stdout.strip().splitlines()[-1])
    return json.loads(path.read_text())["methods"]


@st.cache_data(show_spinner=False, ttl=10)
def catalog() -> list[dict]:
    return list_pairs()


@st.cache_data(show_spinner="Loading the pair…", max_entries=8)
def pair_summary(ref_json: str) -> dict:
    """Stats and activity counts of a pair (cached by its reference)."""
    import numpy as np
    pair = load_pair(json.loads(ref_json))
    tgt_users = np.concatenate([pair.target_train.users, pair.target_valid.users, pair.target_test.users])
    tgt_items = np.concatenate([pair.target_train.items, pair.target_valid.items, pair.target_test.items])
    return {"stats": pair.stats(), "notes": pair.notes,
            "source_user_counts": np.bincount(pair.source.users, minlength=pair.n_users)[pair.in_source],
            "target_user_counts": np.bincount(tgt_users, minlength=pair.n_users)[pair.in_target],
            "source_item_counts": np.bincount(pair.source.items),
            "target_item_counts": np.bincount(tgt_items),
            "source_only": int((pair.in_source & ~pair.in_target).sum()),
            "both": int(pair.overlap.sum()), "target_only": int((pair.in_target & ~pair.in_source).sum())}


def current_pair_ref() -> dict:
    return st.session_state.get("pair_ref", {"catalog": "synthetic"})


def pair_label(ref: dict) -> str:
    from crossrec.runs.store import pair_label as label
    return label(ref)


def executor() -> LocalExecutor:
    return LocalExecutor(store())


def worker_status() -> dict:
    """A live worker (started when none is alive) and what it reports about devices."""
    return executor().worker()


def run_label(run: dict) -> str:
    return f"{STATUS_ICONS.get(run['status'], '')} {run['method']} · {run['pair_name']} · seed {run['seed']} · {run['id']}"


def runs_frame(runs: list[dict]) -> pd.DataFrame:
    rows = []
    for r in runs:
        cold = (r.get("metrics") or {}).get("cold") or {}
        warm = (r.get("metrics") or {}).get("warm") or {}
        rows.append({"run": r["id"], "status": f"{STATUS_ICONS.get(r['status'], '')} {r['status']}",
                     "method": r["method"], "pair": r["pair_name"], "seed": r["seed"],
                     "progress": float(r["progress"] or 0.0),
                     "cold NDCG@10": cold.get("ndcg@10"), "warm NDCG@10": warm.get("ndcg@10"),
                     "created": time.strftime("%m-%d %H:%M:%S", time.localtime(r["created"]))})
    return pd.DataFrame(rows)


def metric_rows(run_id: str) -> pd.DataFrame:
    """All metric rows of a run, fetched incrementally across reruns of this session."""
    cache = st.session_state.setdefault("_metric_cache", {})
    frame, last = cache.get(run_id, (pd.DataFrame(), 0))
    new = store().metrics(run_id, after_id=last)
    if new:
        frame = pd.concat([frame, pd.DataFrame(new)], ignore_index=True)
        cache[run_id] = (frame, int(frame["id"].iloc[-1]))
    return frame.assign(run_id=run_id) if not frame.empty else frame


def sidebar() -> None:
    """Device and worker status, and a run picker shared by Monitor and Embeddings."""
    with st.sidebar:
        worker = worker_status()
        devices = (worker.get("info") or {}).get("devices") or []
        if worker.get("starting"):
            st.caption(":material/hourglass_top: Worker starting…")
        else:
            st.caption(f":material/check_circle: Worker running (pid {worker['pid']})")
        gpu = [d["label"] for d in devices if d["name"] != "cpu"]
        st.caption(f"Device: {gpu[0] if gpu else (devices[0]['label'] if devices else 'CPU')}")
        runs = store().list_runs(limit=50)
        if runs:
            ids = [r["id"] for r in runs]
            labels = {r["id"]: run_label(r) for r in runs}
            if st.session_state.get("run_id") not in ids:
                st.session_state["run_id"] = ids[0]
            st.selectbox("Run", ids, format_func=labels.get, key="run_id")
        active = sum(r["status"] in ACTIVE for r in runs)
        if active:
            st.caption(f"{active} run(s) queued or running")


def empty_state(message: str, page: str | None = None, label: str | None = None) -> None:
    st.info(message)
    if page:
        st.page_link(page, label=label or "Go")
