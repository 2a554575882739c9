"""Compare: cold/warm HR@K, NDCG@K, Recall@K, MRR (mean ± std over seeds), charts, CSV, HTML report."""

import streamlit as st

from crossrec.analysis.compare import format_table, summary_table
from crossrec.viz.compare import metric_bars
from crossrec.viz.report import build_report
from pages.state import metric_rows, store
from pages.widgets import empty_state, page_setup

page_setup()
st.title("Compare")
runs = store().list_runs(statuses=("done",))
if not runs:
    empty_state("No finished runs yet: train a few methods on the same pair, then compare them here.",
                "pages/train.py", "Go to Train")
    st.stop()

a, b, c = st.columns([2, 2, 1])
pairs = sorted({r["pair_name"] for r in runs})
pick_pairs = a.multiselect("Pairs", pairs, default=pairs[:1])
methods = sorted({r["method"] for r in runs if r["pair_name"] in pick_pairs})
pick_methods = b.multiselect("Methods", methods, default=methods)
k = c.selectbox("K", [5, 10, 20], index=1)
selected = [r for r in runs if r["pair_name"] in pick_pairs and r["method"] in pick_methods]
if not selected:
    st.info("Pick at least one pair and one method.")
    st.stop()

table = summary_table(selected, k)
if any(r["eval"] != "full" for r in selected):
    st.warning("Some runs used sampled evaluation: sampled metrics can reorder methods compared with "
               "full ranking (Krichene & Rendle, KDD 2020). Compare like with like.")
st.dataframe(format_table(table, k), hide_index=True, width="stretch")
st.caption("Per-user metrics averaged over test users; cold users have no target training "
           "interactions. 'vs baseline' is the relative change of mean NDCG@K against target_only "
           "(or popularity) on the same pair.")
left, right = st.columns(2)
left.plotly_chart(metric_bars(table, f"ndcg@{k}"), width="stretch")
right.plotly_chart(metric_bars(table, f"hr@{k}"), width="stretch")

d1, d2 = st.columns(2)
d1.download_button("Download CSV", table.to_csv(index=False).encode(), "crossrec-results.csv", "text/csv")
if d2.button("Build HTML report"):
    html = build_report(selected, {r["id"]: metric_rows(r["id"]) for r in selected}, k)
    d2.download_button("Download report.html", html.encode(), "crossrec-report.html", "text/html")
