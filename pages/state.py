"""Session state and cached factories: the run store, artifacts, the catalogs, the executor.

Torch never loads in the UI process: method cards are read from the methods' source.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import streamlit as st

from crossrec.data.catalog import list_pairs, load_pair
from crossrec.data.summary import activity_summary
from crossrec.data.titles import item_titles
from crossrec.errors import SettingError, StoreError
from crossrec.analysis.compare import compare
from crossrec.methods.catalog import all_cards, setting_defaults
from crossrec.runs.artifacts import ArtifactStore
from crossrec.runs.open_store import open_store
from crossrec.runs.store import RunStore, default_home, pair_label  # noqa: F401  (pages use pair_label)
from crossrec.scheduling.executor import EXECUTOR_ENV, make_executor


def store() -> RunStore:
    """The run store of this app's CROSSREC_HOME (cheap: a path and a schema check). A damaged
    store stops the page with one line that says what to do; nothing is changed on disk."""
    try:
        return _store(str(default_home()))
    except StoreError as err:
        st.error(str(err))
        st.stop()


@st.cache_resource(show_spinner=False)
def _store(home: str) -> RunStore:
    return open_store(home)


def artifacts() -> ArtifactStore:
    return ArtifactStore(store().home / "artifacts")


def executor():
    """The configured executor (CROSSREC_EXECUTOR), one per server and home: a Ray executor's
    scheduler thread lives in this server."""
    return _executor(str(store().home), os.environ.get(EXECUTOR_ENV, "local"))


@st.cache_resource(show_spinner=False)
def _executor(home: str, kind: str):
    return make_executor(open_store(home))


def ensure_execution_at_start() -> dict:
    """Once per server: runs queued before the app started get a worker. A bad executor setting
    (CROSSREC_EXECUTOR, CROSSREC_WORKER_CONCURRENCY) stops every page with its one line."""
    try:
        return _ensure_execution(str(store().home), os.environ.get(EXECUTOR_ENV, "local"))
    except SettingError as err:
        st.error(str(err))
        st.stop()


@st.cache_resource(show_spinner=False)
def _ensure_execution(home: str, kind: str) -> dict:
    return _executor(home, kind).ensure_running()


def ensure_execution() -> dict:
    """Every launch (a run, a sweep, the demo): a worker is alive to run it (one that had nothing
    to do for a while has left)."""
    return executor().ensure_running()


def method_cards() -> list[dict]:
    """Every method's card (read once per server process from the methods' source)."""
    return _cards()


@st.cache_resource(show_spinner=False)
def _cards() -> list[dict]:
    return all_cards()


@st.cache_data(show_spinner=False, ttl=10)
def catalog() -> list[dict]:
    return list_pairs()


@st.cache_data(show_spinner=False, max_entries=16)
def finished_frame(home: str, run_id: str, name: str) -> pd.DataFrame:
    """A table a finished run stored once and never rewrites (its lists, its placed test users)."""
    return ArtifactStore(Path(home) / "artifacts").load_frame(run_id, name)


@st.cache_resource(show_spinner="Loading the pair…", max_entries=2)
def pair_of(ref_json: str):
    """The DomainPair of a reference (shared, read-only: pages never change it)."""
    return load_pair(json.loads(ref_json))


@st.cache_data(show_spinner=False, max_entries=4)
def titles_of(ref_json: str) -> dict:
    """Item titles of a pair ({} for a domain without a metadata file)."""
    return item_titles(json.loads(ref_json))


@st.cache_data(show_spinner="Loading the pair…", max_entries=8)
def pair_summary(ref_json: str) -> dict:
    """`activity_summary` of a pair, cached by its reference."""
    return activity_summary(load_pair(json.loads(ref_json)))


def comparison(run_ids: tuple[str, ...], k: int, baseline: str | None) -> dict:
    """The comparison of finished runs (bootstrap CIs take a moment: computed once per choice)."""
    return _comparison(str(store().home), run_ids, k, baseline)


@st.cache_data(show_spinner="Comparing…", max_entries=32)
def _comparison(home: str, run_ids: tuple[str, ...], k: int, baseline: str | None) -> dict:
    runs = [open_store(home).get_run(i) for i in run_ids]
    return compare([r for r in runs if r], setting_defaults(all_cards()),
                   ArtifactStore(Path(home) / "artifacts").per_user, k, baseline)


def current_pair_ref() -> dict:
    return st.session_state.get("pair_ref", {"catalog": "synthetic"})


def metric_rows(run_id: str) -> pd.DataFrame:
    """All metric rows of a run, fetched incrementally across reruns of this session."""
    cache = st.session_state.setdefault("_metric_cache", {})
    frame, last = cache.get(run_id, (pd.DataFrame(), 0))
    new = store().metrics(run_id, after_id=last)
    if new:
        frame = pd.concat([frame, pd.DataFrame(new)], ignore_index=True)
        cache[run_id] = (frame, int(frame["id"].iloc[-1]))
    return frame.assign(run_id=run_id) if not frame.empty else frame
