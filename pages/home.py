"""Home: what cross-domain transfer is, the three steps, recent runs."""

import streamlit as st

from crossrec.runs.recovery import orphan_runs, recover_runs

from pages.state import store
from pages.widgets import page_setup, runs_frame

page_setup()
st.title("CrossRec Studio")
st.markdown(
    "**Cross-domain recommendation** borrows what a recommender learned in a *source* domain "
    "(say, books) to serve a *target* domain (say, music) that shares users. It matters most for "
    "**cold users**, who have history in the source but none yet in the target: a target-only "
    "model knows nothing about them, a transfer method can.")

steps = st.columns(3)
for col, (page, title, text) in zip(steps, [
        ("pages/data.py", "1 · Data", "Pick the synthetic pair, a catalog pair, or upload two domains."),
        ("pages/train.py", "2 · Train", "Choose a method (distillation, mapping, meta-learning, GAN, VAE…), "
                                        "set it up and launch seeds in the background."),
        ("pages/compare.py", "3 · Compare", "HR@K / NDCG@K for cold and warm users, and UMAP views of "
                                            "what alignment did.")]):
    with col.container(border=True):
        st.subheader(title)
        st.write(text)
        st.page_link(page, label=f"Open {title.split('· ')[1]}", icon=":material/arrow_forward:")

orphans = orphan_runs(store())
if orphans:
    st.warning(f"{len(orphans)} run folder(s) in {store().home / 'artifacts'} have no record in the run "
               "store (was the store file lost or replaced?).")
    if st.button("Recover these runs"):
        st.toast(f"Recovered {len(recover_runs(store().home)['restored'])} run(s)")
        st.rerun()

st.subheader("Recent runs")
runs = store().list_runs(limit=10)
if runs:
    st.dataframe(runs_frame(runs), hide_index=True, width="stretch",
                 column_config={"progress": st.column_config.ProgressColumn(min_value=0, max_value=1)})
else:
    st.info("No runs yet. Start on the Data page, or go straight to Train: the synthetic pair is ready.")
