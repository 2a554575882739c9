"""Embeddings: source vs target user representations before and after alignment, side by side."""

import pandas as pd
import streamlit as st

from crossrec.runs.projections import compute_again
from crossrec.viz.embeddings import projection_figure
from pages.state import artifacts, store
from pages.widgets import chart, empty_state, page_setup, run_picker

page_setup()
st.title("Embeddings")
runs = [r for r in store().list_runs(statuses=("done",)) if (r.get("summary") or {}).get("projections")]
if not runs:
    empty_state("No finished run with embeddings yet. Train a transfer method (e.g. dann or emcdr); "
                "its projections appear here when it finishes.", "pages/train.py", "Go to Train")
    st.stop()

run = run_picker(runs)
run_id = run["id"]
ready = run["summary"]["projections"]
a, b = st.columns([2, 1])
method = a.radio("Projection", ["umap", "pca", "tsne"], horizontal=True,
                 format_func=lambda m: {"umap": "UMAP", "pca": "PCA", "tsne": "t-SNE"}[m])
if method not in ready:
    error = run["summary"].get("projection_error")
    if error:
        st.warning(f"{method.upper()} could not be computed ({error}); showing PCA.")
        if st.button("Compute again"):
            compute_again(store(), run_id, method)
            st.rerun()
    else:
        st.info(f"{method.upper()} is still being computed by the worker; showing PCA meanwhile.")
    method = "pca"
if not artifacts().exists(run_id, f"projection_{method}.parquet"):
    st.warning(f"The {method.upper()} projection file of this run is missing from its folder.")
    if st.button("Compute again"):
        compute_again(store(), run_id, method)
        st.rerun()
    st.stop()
points = artifacts().load_frame(run_id, f"projection_{method}.parquet")
per_domain = int(points.groupby(["stage", "domain"]).size().max())
limit = b.slider("Points per domain", 50, max(51, per_domain), per_domain,
                 help="subsample for large pairs (cold users are always shown)")

cols = st.columns(2)
for col, stage in zip(cols, ["before", "after"]):
    sel = points[points["stage"] == stage]
    if sel.empty:
        col.info(f"No '{stage}' embeddings for this method.")
        continue
    others = sel[~sel["cold"]]
    keep = pd.concat([sel[sel["cold"]], others[others.groupby("domain").cumcount() < limit]])
    title = "Before alignment" if stage == "before" else "After training / alignment"
    chart(projection_figure(keep, title), key=f"proj-{stage}", where=col)

st.page_link("pages/explain.py", label="Find one user on these plots: Explain a user", icon=":material/person_search:")
alignment = run["summary"].get("alignment")
if alignment is None:  # computed with UMAP and t-SNE, after the run (crossrec/runs/projections.py)
    error = run["summary"].get("projection_error")
    st.info(f"The alignment metrics could not be computed ({error})." if error else
            "The worker computes this run's alignment metrics with its UMAP and t-SNE views; "
            "they appear here when ready.")
elif alignment:
    st.subheader("Alignment metrics")
    table = pd.DataFrame(alignment)
    table.index = table.index.map({"proxy_a_distance": "proxy A-distance (0 = indistinguishable, 2 = separable)",
                                   "mmd": "MMD² (RBF)", "coral": "CORAL distance",
                                   "knn_mixing": "kNN mixing (1 = mixed, 0 = separated)"})
    st.dataframe(table.style.format("{:.3f}"), width="stretch")
    st.caption(f"Computed by the worker on the plotted users (up to {per_domain:,} per domain). The proxy "
               "A-distance's linear classifier sees the principal components holding 95% of the variance.")
else:
    st.caption("This method has one set of user vectors only, so there is no alignment to measure.")
