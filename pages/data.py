"""Data: pick a catalog pair (synthetic knobs as sliders), upload two domains or fetch a public
benchmark pair; see their figures."""

import json

import streamlit as st

from crossrec.errors import DataError, SettingError
from crossrec.viz.data import activity_figure, overlap_figure
from pages.state import catalog, current_pair_ref, pair_summary
from pages.widgets import chart, page_setup
from pages.data_fetch import benchmark_form
from pages.data_upload import upload_form

page_setup()
st.title("Data")
pick, upload, fetched = st.tabs(["Pick a pair", "Upload your own", "Public benchmarks"])

with pick:
    entries = {e["name"]: e for e in catalog()}
    current = current_pair_ref().get("catalog", "synthetic").split(":")[0]
    names = list(entries)
    name = st.selectbox("Pair", names, index=names.index(current) if current in names else 0,
                        format_func=lambda n: f"{n} — {entries[n]['description']}")
    ref = {"catalog": name}
    if entries[name]["kind"] == "synthetic":
        s = entries[name]["settings"]
        with st.expander("Synthetic knobs", expanded=True):
            a, b, c = st.columns(3)
            knobs = {"users": a.slider("users", 200, 20000, s["users"], 100),
                     "overlap": a.slider("overlap (share of users in both)", 0.05, 1.0, s["overlap"], 0.05),
                     "source_items": b.slider("source items", 50, 5000, s["source_items"], 50),
                     "target_items": b.slider("target items", 50, 5000, s["target_items"], 50),
                     "density": b.slider("density", 0.005, 0.2, s["density"], 0.005, format="%.3f"),
                     "shift": c.slider("domain shift (0 = same tastes)", 0.0, 1.0, s["shift"], 0.05),
                     "popularity": c.slider("popularity skew", 0.0, 2.0, s["popularity"], 0.1),
                     "seed": c.number_input("seed", 0, 10**6, s["seed"])}
        changed = ",".join(f"{k}={v}" for k, v in knobs.items() if v != s[k])
        ref = {"catalog": f"{name}:{changed}" if changed else name}
    if st.button("Use this pair for training", type="primary"):
        st.session_state["pair_ref"] = ref
        st.toast(f"Training will use {ref['catalog']}")

with upload:
    upload_form()

with fetched:
    benchmark_form()

ref = st.session_state.get("pair_ref") if st.session_state.get("pair_ref") else ref
try:
    summary = pair_summary(json.dumps(ref, sort_keys=True))
except (DataError, SettingError) as err:
    st.error(str(err))
    st.stop()

stats = summary["stats"]
st.subheader(f"{stats['pair']}  ·  split: {stats['split']}")
cols = st.columns(7)
for col, (label, value) in zip(cols, [
        ("source users", stats["source"]["users"]), ("source items", stats["source"]["items"]),
        ("target users", stats["target"]["users"]), ("target items", stats["target"]["items"]),
        ("overlapping users", stats["overlap_users"]), ("cold test users", stats["cold_test_users"]),
        ("warm test users", stats["warm_test_users"])]):
    col.metric(label, f"{value:,}")
for domain in ("source", "target"):
    d = stats[domain]
    st.caption(f"{domain}: {d['interactions']:,} interactions, density "
               f"{d['interactions'] / max(1, d['users'] * d['items']):.5f}")
for note in summary["notes"]:
    st.caption(note)
left, right = st.columns(2)
chart(activity_figure(summary["source_user_counts"], summary["target_user_counts"], "user"), where=left)
chart(activity_figure(summary["source_item_counts"], summary["target_item_counts"], "item"), where=right)
chart(overlap_figure(summary["source_only"], summary["both"], summary["target_only"]))
