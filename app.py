"""CrossRec Studio: the Streamlit entry point (navigation and the shared sidebar)."""

import streamlit as st

from pages.common import VIA_APP, sidebar

st.set_page_config(page_title="CrossRec Studio", page_icon=":material/merge:", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/data.py", title="Data", icon=":material/database:"),
    st.Page("pages/train.py", title="Train", icon=":material/rocket_launch:"),
    st.Page("pages/monitor.py", title="Monitor", icon=":material/monitoring:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/leaderboard:"),
    st.Page("pages/embeddings.py", title="Embeddings", icon=":material/scatter_plot:"),
]

page = st.navigation(PAGES)
st.session_state[VIA_APP] = True
sidebar()
page.run()
