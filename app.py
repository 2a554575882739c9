"""CrossRec Studio: the Streamlit entry point (navigation and the shared sidebar)."""

import streamlit as st

from pages.access import require_access
from pages.navigation import app_pages
from pages.state import ensure_execution_at_start
from pages.widgets import VIA_APP, sidebar

st.set_page_config(page_title="CrossRec Studio", page_icon=":material/merge:", layout="wide")
require_access()  # CROSSREC_ACCESS_CODE: nothing below runs without it
page = st.navigation(app_pages())
st.session_state[VIA_APP] = True
ensure_execution_at_start()  # once per server: runs queued before it get a worker
sidebar()
page.run()
