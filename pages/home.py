"""Home: what cross-domain transfer is, the three steps, recent runs."""

import streamlit as st

from crossrec.runs.recovery import orphan_runs, recover_runs
from crossrec.sweeps.demo import demo_sweeps, launch_shift_demo, shift_curve
from crossrec.viz.compare import shift_figure

from pages.people import mine_or_everyone, session_owner
from pages.state import ensure_execution, method_cards, store
from pages.widgets import chart, page_setup, runs_frame

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

st.subheader("Teaching demo: transfer vs domain shift")
demo = demo_sweeps(store())
st.write("How much does a shift of tastes between domains cost transfer? cmf, emcdr and popularity on "
         "the `lecture` pair (made for live demos) with its `shift` knob at 0, 0.25, 0.5, 0.75 and 1, two "
         "seeds each (30 runs, under five minutes on a 2-core laptop).")
if st.button("Run the demo", disabled=bool(demo) and any(store().get_sweep(i)["status"] == "running" for i in demo)):
    demo = launch_shift_demo(store(), method_cards(), "lecture", owner=session_owner())
    ensure_execution()
if demo:
    finished = sum(r["status"] in ("done", "failed") for i in demo for r in store().sweep_runs(i))
    total = sum(store().get_sweep(i)["trials"] for i in demo)
    st.progress(finished / max(1, total), text=f"{finished} of {total} runs finished")
    chart(shift_figure(shift_curve(store(), demo)), key="shift-demo")

st.subheader("Recent runs")
runs = mine_or_everyone(store().list_runs(limit=200), "home")[:10]
if runs:
    st.dataframe(runs_frame(runs), hide_index=True, width="stretch",
                 column_config={"progress": st.column_config.ProgressColumn(min_value=0, max_value=1)})
else:
    st.info("No runs yet. Start on the Data page, or go straight to Train: the synthetic pair is ready.")
