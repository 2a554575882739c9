"""Train: pick a method (grouped by family), read its idea and loss, set it up, launch seeds."""

import streamlit as st

from crossrec.data.errors import SettingError
from crossrec.eval.modes import EVAL_MODES
from crossrec.methods.settings import check_values
from pages.common import current_pair_ref, executor, method_cards, pair_label, worker_status, page_setup
from pages.train_form import settings_form

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

with st.form("launch"):
    values = settings_form(card["settings"], name)
    devices = (worker_status().get("info") or {}).get("devices") or [{"name": "cpu", "label": "CPU"}]
    a, b, c, d = st.columns(4)
    device = a.selectbox("Device", ["auto"] + [x["name"] for x in devices],
                         format_func=lambda n: n if n == "auto" else f"{n} · {next(x['label'] for x in devices if x['name'] == n)}")
    n_seeds = b.number_input("Seeds", 1, 10, 1, help="several seeds give mean ± std on Compare")
    first_seed = c.number_input("First seed", 0, 10**6, 0)
    eval_mode = d.selectbox("Evaluation", EVAL_MODES, help="full ranking is the honest default; "
                            "sampled metrics can reorder methods (Krichene & Rendle, KDD 2020)")
    launch = st.form_submit_button("Launch", type="primary")

if launch:
    try:
        settings = check_values(card["settings"], values, name)
    except SettingError as err:
        st.error(str(err))
        st.stop()
    ids = [executor().submit(pair=ref, method=name, settings=settings, seed=int(first_seed) + k,
                             device=device, eval_mode=eval_mode) for k in range(int(n_seeds))]
    st.session_state["monitor_runs"] = ids
    st.session_state["run_id"] = ids[0]
    st.switch_page("pages/monitor.py")
