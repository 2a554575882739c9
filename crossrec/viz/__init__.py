"""Plotly figure builders (no streamlit, no torch): the pages and the HTML report draw these."""
