"""Bar chart of a metric per experiment group, cold and warm, with 95% confidence intervals."""

from __future__ import annotations

import plotly.graph_objects as go

from crossrec.viz.theme import style

GROUP_COLORS = {"cold": "#4C78A8", "warm": "#F58518"}


def metric_bars(result: dict, metric: str = "ndcg@10", user_groups=tuple(GROUP_COLORS)):
    """result: `crossrec.analysis.compare.compare` output. Bars are means; error bars the 95%
    CI over the group's runs. A group of one run has no spread: no error bar, and its label
    says so."""
    fig = go.Figure()
    groups = [g for g in result["groups"] if any(g[u]["n_users"] for u in user_groups)]
    if not groups:
        return style(fig, 300, "No finished runs")
    multi_pair = len({g["pair"] for g in groups}) > 1
    labels = [g["method"] + (f" · {g['pair']}" if multi_pair else "")
              + (" (one run: no spread)" if g["n"] == 1 else f" (n={g['n']})") for g in groups]
    for user_group in user_groups:
        cells = [g[user_group][metric] if g[user_group]["n_users"] else {"mean": None, "ci95": None}
                 for g in groups]
        # two traces per user group: bars with a spread get error bars, single runs none at all
        for spread in (True, False):
            keep = [(c["ci95"] is not None) == spread for c in cells]
            y = [c["mean"] if k else None for c, k in zip(cells, keep)]
            error = dict(type="data", array=[c["ci95"][1] - c["mean"] if k else 0 for c, k in zip(cells, keep)],
                         arrayminus=[c["mean"] - c["ci95"][0] if k else 0 for c, k in zip(cells, keep)],
                         visible=True) if spread else dict(visible=False)
            fig.add_bar(x=labels, y=y, name=f"{user_group} users", marker_color=GROUP_COLORS[user_group],
                        legendgroup=user_group, showlegend=spread, offsetgroup=user_group, error_y=error)
    fig.update_layout(barmode="group", yaxis_title=metric, xaxis_tickangle=-30,
                      showlegend=len(user_groups) > 1)
    who = f"{user_groups[0]} users' " if len(user_groups) == 1 else ""
    return style(fig, 380, f"{who}{metric} by experiment (mean, 95% CI over runs)")


def shift_figure(curve, metric: str = "cold NDCG@10"):
    """The teaching sweep's curve: metric against domain shift per method, ± std over seeds."""
    fig = go.Figure()
    if curve.empty:
        return style(fig, 300, "No finished trials yet")
    for k, (method, part) in enumerate(curve.groupby("method", sort=False)):
        fig.add_scatter(x=part["shift"], y=part["mean"], mode="lines+markers", name=method,
                        error_y=dict(type="data", array=part["std"].fillna(0), visible=True))
    fig.update_layout(xaxis_title="domain shift (0 = same tastes, 1 = unrelated)", yaxis_title=metric)
    return style(fig, 380, f"Transfer vs domain shift: {metric} (mean ± std over seeds)")


def parallel_coordinates(trials: list[dict], objective: str = "ndcg@10"):
    """Settings of finished trials against their validation metric (numeric settings only)."""
    done = [t for t in trials if t["status"] == "done" and t["valid"].get(objective) is not None]
    if not done:
        return style(go.Figure(), 300, "No finished trial yet")
    names = sorted({k for t in done for k, v in t["settings"].items()
                    if isinstance(v, (int, float)) and not isinstance(v, bool)})
    values = [t["valid"][objective] for t in done]
    dims = [dict(label=n, values=[t["settings"].get(n) for t in done]) for n in names]
    dims.append(dict(label=f"valid {objective}", values=values))
    fig = go.Figure(go.Parcoords(line=dict(color=values, colorscale="Viridis", showscale=True), dimensions=dims))
    return style(fig, 380, "Settings of each trial against its validation metric")
