"""Scatter of projected user representations, coloured by domain, cold users marked."""

from __future__ import annotations

import plotly.graph_objects as go

from crossrec.viz.theme import DOMAIN_COLORS, style


def projection_figure(points, title: str, highlight=None):
    """points: user, domain, overlap, cold, x, y (one stage). `highlight`: rows (domain, x, y) of
    one user, drawn on top as large stars."""
    fig = go.Figure()
    for domain, color in DOMAIN_COLORS.items():
        for cold in (False, True):
            sel = points[(points["domain"] == domain) & (points["cold"] == cold)]
            if sel.empty:
                continue
            name = f"{domain}{' · cold users' if cold else ''}"
            fig.add_scattergl(
                x=sel["x"], y=sel["y"], mode="markers", name=name,
                marker=dict(color=color, size=9 if cold else 5, opacity=0.9 if cold else 0.45,
                            symbol="diamond" if cold else ["circle" if o else "circle-open" for o in sel["overlap"]],
                            line=dict(width=1, color="#222") if cold else dict(width=1, color=color)),
                customdata=sel[["user", "overlap"]].to_numpy(),
                hovertemplate="user %{customdata[0]}<br>shared: %{customdata[1]}<extra>" + name + "</extra>")
    if highlight is not None and len(highlight):
        fig.add_scatter(x=highlight["x"], y=highlight["y"], mode="markers+text", name="this user",
                        text=[f"this user ({d})" for d in highlight["domain"]], textposition="top center",
                        marker=dict(symbol="star", size=20, color="#E45756", line=dict(width=1.5, color="#222")))
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False)
    return style(fig, 460, title)
