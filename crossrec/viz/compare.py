"""Bar chart of a metric per method with error bars (std over seeds), cold and warm."""

from __future__ import annotations

import plotly.graph_objects as go

from crossrec.viz.theme import style

GROUP_COLORS = {"cold": "#4C78A8", "warm": "#F58518"}


def metric_bars(table, metric: str = "ndcg@10"):
    """table: analysis.compare.summary_table output."""
    fig = go.Figure()
    if table.empty:
        return style(fig, 300, "No finished runs")
    labels = table["method"] + " · " + table["pair"]
    for group, color in GROUP_COLORS.items():
        col = f"{group} {metric}"
        if col in table:
            fig.add_bar(x=labels, y=table[col], name=f"{group} users", marker_color=color,
                        error_y=dict(type="data", array=table[f"{col} std"], visible=True))
    fig.update_layout(barmode="group", yaxis_title=metric, xaxis_tickangle=-30)
    return style(fig, 380, f"{metric} by method (mean ± std over seeds)")
