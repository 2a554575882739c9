"""Bar chart of a metric per experiment group, cold and warm, with 95% confidence intervals."""

from __future__ import annotations

import plotly.graph_objects as go

from crossrec.viz.theme import style

GROUP_COLORS = {"cold": "#4C78A8", "warm": "#F58518"}


def metric_bars(result: dict, metric: str = "ndcg@10"):
    """result: `crossrec.analysis.compare.compare` output. Bars are means; error bars the 95%
    CI over the group's runs (none for a group of one run)."""
    fig = go.Figure()
    groups = result["groups"]
    if not groups:
        return style(fig, 300, "No finished runs")
    labels = [f"{g['method']} · {g['pair']} (n={g['n']})" for g in groups]
    for user_group, color in GROUP_COLORS.items():
        cells = [g[user_group][metric] for g in groups]
        means = [c["mean"] for c in cells]
        plus = [(c["ci95"][1] - c["mean"]) if c["ci95"] else 0.0 for c in cells]
        minus = [(c["mean"] - c["ci95"][0]) if c["ci95"] else 0.0 for c in cells]
        fig.add_bar(x=labels, y=means, name=f"{user_group} users", marker_color=color,
                    error_y=dict(type="data", array=plus, arrayminus=minus, visible=True))
    fig.update_layout(barmode="group", yaxis_title=metric, xaxis_tickangle=-30)
    return style(fig, 380, f"{metric} by experiment (mean, 95% CI over runs)")
