"""CrossRec Studio: the Streamlit entry point (navigation and the shared sidebar)."""

import streamlit as st

from pages.navigation import app_pages
from pages.state import ensure_execution
from pages.widgets import VIA_APP, sidebar

st.set_page_config(page_title="CrossRec Studio", page_icon=":material/merge:", layout="wide")
page = st.navigation(app_pages())
st.session_state[VIA_APP] = True
ensure_execution()  # once per server: queued runs will be executed
sidebar()
page.run()
