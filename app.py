"""CrossRec Studio: the Streamlit entry point (navigation and the shared sidebar)."""

import streamlit as st

from pages.common import sidebar

st.set_page_config(page_title="CrossRec Studio", page_icon="🔀", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/data.py", title="Data", icon="🗂️"),
    st.Page("pages/train.py", title="Train", icon="🚀"),
    st.Page("pages/monitor.py", title="Monitor", icon="📈"),
    st.Page("pages/compare.py", title="Compare", icon="📊"),
    st.Page("pages/embeddings.py", title="Embeddings", icon="🧭"),
]

page = st.navigation(PAGES)
sidebar()
page.run()
