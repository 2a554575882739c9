"""Sweep: search a method's settings on validation data (Optuna), watch trials, see what mattered,
then launch the best settings over several seeds."""

import streamlit as st

from crossrec.data.catalog import is_synthetic
from crossrec.errors import SettingError, StoreError
from crossrec.runs.store import owner_cap
from pages.people import session_owner
from crossrec.runs.request import validate_request
from crossrec.sweeps.driver import create_sweep, sweep_report
from crossrec.viz.compare import parallel_coordinates
from pages.state import current_pair_ref, ensure_execution, executor, method_cards, pair_label, store
from pages.sweep_form import space_form
from pages.sweep_view import best_so_far, importance_figure, trials_frame
from pages.widgets import chart, page_setup

page_setup()
st.title("Sweep")
cards = {c["name"]: c for c in method_cards()}
ref = current_pair_ref()
st.caption(f"Pair: **{pair_label(ref)}** (change it on the Data page). Trials are chosen on validation "
           "NDCG@10 only; the best trial's test metrics are shown once the sweep is done.")
name = st.selectbox("Method", list(cards), index=list(cards).index("cmf"))
with st.form("sweep"):
    space = space_form(cards[name], is_synthetic(ref))
    a, b, c = st.columns(3)
    trials = a.number_input("Trials", 1, 200, 8)
    sampler = b.selectbox("Sampler", ["tpe", "random", "grid"])
    prune = c.checkbox("Prune lagging trials", help="Optuna's median pruner on the validation curve")
    launch = st.form_submit_button("Launch sweep", type="primary")
if launch:
    try:
        validate_request(list(cards.values()), ref, name, {})
        st.session_state["sweep_id"] = create_sweep(store(), cards[name], ref, space, int(trials), sampler,
                                                    prune, 0, 0, owner=session_owner(), cap=owner_cap())
        ensure_execution()
    except (SettingError, StoreError) as err:  # StoreError: past the owner's cap, nothing stored
        st.error(str(err))

sweeps = store().list_sweeps()
if not sweeps:
    st.info("No sweep yet: pick a method and launch one.")
    st.stop()
ids = [s["id"] for s in sweeps]
current = st.session_state.get("sweep_id")
sweep_id = st.selectbox("Sweep", ids, index=ids.index(current) if current in ids else 0,
                        format_func=lambda i: f"{i} · {next(s['method'] for s in sweeps if s['id'] == i)}")


@st.fragment(run_every=2.0 if store().get_sweep(sweep_id)["status"] == "running" else None)
def live():
    report = sweep_report(store(), sweep_id)
    st.caption(f"Status: **{report['status']}** · {len(report['trials'])} trial(s) so far"
               + (f" · {report['error']}" if report["error"] else ""))
    st.dataframe(trials_frame(report), hide_index=True, width="stretch")
    left, right = st.columns(2)
    chart(best_so_far(report), key="best", where=left)
    chart(importance_figure(store(), report), key="importance", where=right)
    chart(parallel_coordinates(report["trials"]), key="parcoords")
    if report["best"] and report["status"] == "done":
        best = report["best"]
        st.success(f"Best trial {best['run_id']}: validation NDCG@10 {best['valid'].get('ndcg@10', 0):.4f}; "
                   f"test (shown once, now): cold NDCG@10 {best['test']['cold'].get('ndcg@10', float('nan')):.4f}, "
                   f"warm NDCG@10 {best['test']['warm'].get('ndcg@10', float('nan')):.4f}")
        n = st.number_input("Seeds for the best settings", 1, 10, 3)
        if st.button("Launch best over these seeds"):
            cards_list = list(cards.values())
            try:
                ids = [executor().submit(validate_request(cards_list, best["pair"], report["method"], best["settings"],
                                                          k, owner=session_owner())) for k in range(int(n))]
            except StoreError as err:
                st.error(str(err))
            else:
                st.session_state["monitor_runs"] = ids
                st.toast(f"Launched {len(ids)} run(s)")


live()
