"""The dashboard's pages, in menu order (app.py's navigation and the deep-link guard share it)."""

import streamlit as st


def app_pages() -> list:
    return [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/data.py", title="Data", icon=":material/database:"),
        st.Page("pages/train.py", title="Train", icon=":material/rocket_launch:"),
        st.Page("pages/monitor.py", title="Monitor", icon=":material/monitoring:"),
        st.Page("pages/compare.py", title="Compare", icon=":material/leaderboard:"),
        st.Page("pages/sweep.py", title="Sweep", icon=":material/tune:"),
        st.Page("pages/embeddings.py", title="Embeddings", icon=":material/scatter_plot:"),
        st.Page("pages/explain.py", title="Explain a user", icon=":material/person_search:"),
    ]
