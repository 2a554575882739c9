"""Train: pick a method (grouped by family), read its idea and loss, set it up, launch seeds."""

import json

import streamlit as st

from crossrec.data.catalog import pin_split_seed
from crossrec.errors import DataError, SettingError, StoreError
from crossrec.eval.modes import EVAL_MODES
from crossrec.runs.request import SEED_MAX, validate_request
from pages.state import current_pair_ref, executor, method_cards, pair_label, pair_of
from pages.train_form import settings_form
from pages.people import session_owner
from pages.widgets import devices, page_setup

page_setup()
st.title("Train")
cards = {c["name"]: c for c in method_cards()}
ref = current_pair_ref()
st.caption(f"Pair: **{pair_label(ref)}** (change it on the Data page)")

families = list(dict.fromkeys(c["family"] for c in cards.values()))
left, right = st.columns([1, 2])
family = left.radio("Family", families, index=families.index(cards["cmf"]["family"]))
names = [n for n, c in cards.items() if c["family"] == family]
name = left.radio("Method", names)
card = cards[name]
with right.container(border=True):
    st.subheader(name)
    st.write(card["description"])
    st.latex(card["loss_latex"])
    st.caption(f":material/description: {card['paper']}")
    if card["limits"]:
        st.caption(f":material/info: **Where it has not helped:** {card['limits']}")

with st.form("launch"):
    values = settings_form(card["settings"], name)
    found = devices()
    a, b, c, d, e = st.columns(5)
    device = a.selectbox("Device", ["auto"] + [x["name"] for x in found],
                         format_func=lambda n: n if n == "auto" else f"{n} · {next(x['label'] for x in found if x['name'] == n)}")
    n_seeds = b.number_input("Seeds", 1, 10, 1, help="several seeds give mean ± std and a 95% CI on Compare")
    first_seed = c.number_input("First seed", 0, SEED_MAX - 9, 0)
    vary = d.radio("The seeds vary", ["training", "data split"], horizontal=True,
                   help="training: same split, other initialisations and batches; data split: other "
                        "cold users and held-out rows (pairs without a given test split), training seed 0")
    eval_mode = e.selectbox("Evaluation", EVAL_MODES, help="full ranking is the honest default; "
                            "sampled metrics can reorder methods (Krichene & Rendle, KDD 2020)")
    launch = st.form_submit_button("Launch", type="primary")


def seeded(k: int) -> tuple[dict, int]:
    """The pair reference and training seed of the k-th launched run (a default split is stored
    as the seed it is drawn with)."""
    if vary == "training":
        return pin_split_seed(ref, pair_of(json.dumps(ref, sort_keys=True))), int(first_seed) + k
    return {**ref, "split_seed": int(first_seed) + k}, 0


if launch:
    try:
        requests = []
        for k in range(int(n_seeds)):
            pair, seed = seeded(k)
            requests.append(validate_request(list(cards.values()), pair, name, values, seed, device, eval_mode,
                                             session_owner()))
        ids = [executor().submit(request) for request in requests]
    except (SettingError, DataError, StoreError) as err:  # StoreError: past the owner's cap, nothing stored
        st.error(str(err))
        st.stop()
    st.session_state["monitor_runs"] = ids
    st.session_state["run_id"] = ids[0]
    st.switch_page("pages/monitor.py")
