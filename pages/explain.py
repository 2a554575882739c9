"""Explain a user: their source history, held-out target items, and the top-10 of up to three
runs side by side (hits marked), with the user highlighted on the embeddings before/after."""

import json

import numpy as np
import streamlit as st

from crossrec.analysis.explain import RunLists, explain, test_users
from crossrec.errors import DataError
from crossrec.runs.artifacts import HELDOUT_RANKS, TEST_POINTS, TOP_LISTS
from crossrec.viz.embeddings import projection_figure
from pages.state import artifacts, finished_frame, pair_of, store, titles_of
from pages.people import mine_or_everyone
from pages.widgets import chart, empty_state, page_setup, run_label, run_picker

page_setup()
st.title("Explain a user")
runs = [r for r in store().list_runs(statuses=("done",)) if artifacts().exists(r["id"], TOP_LISTS)]
if not runs:
    empty_state("No finished run with recommendation lists yet: train one (e.g. cmf on synthetic).",
                "pages/train.py", "Go to Train")
    st.stop()
runs = mine_or_everyone(runs, "explain") or runs  # a person without runs still sees everyone's

first = run_picker(runs)
ref = json.dumps(first["pair"], sort_keys=True)
same_pair = {r["id"]: r for r in runs if json.dumps(r["pair"], sort_keys=True) == ref and r["id"] != first["id"]}
baseline = [i for i, r in same_pair.items() if r["method"] == "popularity"][:1]
others = st.multiselect("Side by side with (same pair, up to two)", list(same_pair), default=baseline,
                        max_selections=2, format_func=lambda i: run_label(same_pair[i]))
chosen = [first] + [same_pair[i] for i in others]
home = str(store().home)
lists = [RunLists(f"{r['method']} · s{r['seed']} · {r['id'][-4:]}", finished_frame(home, r["id"], TOP_LISTS),
                  finished_frame(home, r["id"], HELDOUT_RANKS)) for r in chosen]
pair = pair_of(ref)
try:
    titles = titles_of(ref)
except DataError as err:
    st.warning(f"Item titles not shown: {err}")
    titles = {}

group = st.radio("Test users", ["cold", "warm"], horizontal=True,
                 format_func=lambda g: {"cold": "cold (no target history)", "warm": "warm"}[g])
users = test_users(lists, group)
if not users.size:
    st.info(f"This pair has no {group} test users.")
    st.stop()
if st.session_state.get("explain_user") not in set(users.tolist()):
    st.session_state["explain_user"] = int(users[0])
if st.button(f"A random {group} user"):
    st.session_state["explain_user"] = int(np.random.default_rng().choice(users))
raw = pair.user_source_raw
user = st.selectbox("User (type to search)", users.tolist(), key="explain_user",
                    format_func=lambda u: raw[u] or pair.user_target_raw[u])

view = explain(pair, lists, user, titles)
left, right = st.columns(2)
left.subheader(f"Source history ({len(view['history'])} items)")
left.dataframe(view["history"], hide_index=True, width="stretch", height=300)
right.subheader(f"Held-out target items ({len(view['heldout'])})")
right.dataframe(view["heldout"], hide_index=True, width="stretch")
right.caption("Rank among all candidate target items (1 = first); ties rank a held-out item last.")
st.subheader("Top 10 recommendations")
st.table(view["lists"])  # plain HTML: readable, printable, and a browser can read it
st.caption("✓ marks a held-out item: " + ", ".join(f"{label}: {n} hit{'s' if n != 1 else ''}"
                                                     for label, n in view["hits"].items()))

if artifacts().exists(first["id"], TEST_POINTS):
    st.subheader(f"Where this user sits ({lists[0].label}, PCA)")
    points = artifacts().load_frame(first["id"], "projection_pca.parquet")
    placed = finished_frame(home, first["id"], TEST_POINTS)
    cols = st.columns(2)
    for col, stage in zip(cols, ["before", "after"]):
        sel = points[points["stage"] == stage]
        if not sel.empty:
            mine = placed[(placed["stage"] == stage) & (placed["user"] == user)]
            title = "Before alignment" if stage == "before" else "After training / alignment"
            chart(projection_figure(sel, title, highlight=mine), key=f"explain-{stage}", where=col)
