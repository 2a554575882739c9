"""Figures of a domain pair: activity distributions and user overlap."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from crossrec.viz.theme import DOMAIN_COLORS, style


def _log_hist(counts: np.ndarray, name: str, color: str) -> go.Histogram:
    counts = counts[counts > 0]
    return go.Histogram(x=np.log10(counts), name=name, marker_color=color, opacity=0.65, nbinsx=40,
                        hovertemplate="log10(count) %{x}<br>%{y} entries<extra>" + name + "</extra>")


def activity_figure(source_counts: np.ndarray, target_counts: np.ndarray, what: str):
    """Histogram of interactions per user (or item) for both domains, log10 x axis."""
    fig = go.Figure([_log_hist(source_counts, "source", DOMAIN_COLORS["source"]),
                     _log_hist(target_counts, "target", DOMAIN_COLORS["target"])])
    fig.update_layout(barmode="overlay", xaxis_title=f"log10(interactions per {what})",
                      yaxis_title=f"{what}s", yaxis_type="log")
    return style(fig, 300, f"Interactions per {what}")


def overlap_figure(source_only: int, both: int, target_only: int):
    """Stacked bar of users only in the source, in both (linked), and only in the target."""
    fig = go.Figure()
    for label, value, color in (("source only", source_only, DOMAIN_COLORS["source"]),
                                ("both domains", both, "#54A24B"),
                                ("target only", target_only, DOMAIN_COLORS["target"])):
        fig.add_bar(y=["users"], x=[value], name=label, orientation="h", marker_color=color,
                    text=[f"{label}: {value:,}"], textposition="inside")
    fig.update_layout(barmode="stack", xaxis_title="users", yaxis_visible=False)
    return style(fig, 180, "User overlap")


def rating_figure(ratings, threshold: float | None, domain: str):
    """Rows per rating value of one domain; with a threshold, the kept bars solid, the dropped
    ones faint, and the threshold drawn as a line."""
    values = [float(v) for v in ratings.index]
    kept = [threshold is None or v >= threshold for v in values]
    color = DOMAIN_COLORS[domain]
    fig = go.Figure(go.Bar(x=values, y=ratings.to_numpy(), marker_color=color,
                           marker_opacity=[1.0 if k else 0.3 for k in kept],
                           hovertemplate="rating %{x}<br>%{y:,} rows<extra></extra>"))
    if threshold is not None:
        fig.add_vline(x=threshold - 0.5 * _step(values), line_dash="dash", line_color="#1F2933",
                      annotation_text=f"liked: rating ≥ {threshold:g}", annotation_position="top right")
    fig.update_layout(xaxis_title="rating", yaxis_title="rows", showlegend=False)
    return style(fig, 260, f"Ratings in the {domain} domain")


def _step(values: list[float]) -> float:
    gaps = np.diff(sorted(values))
    return float(gaps.min()) if gaps.size else 1.0
