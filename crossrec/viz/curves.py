"""Training curves: one panel per named loss (per training row, optionally smoothed), validation
NDCG@10 by epoch, phases shaded."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from crossrec.viz.theme import PALETTE, PHASE_FILLS, style

VALID_PREFIX = "valid_"
TIME_PREFIX = "time_"  # timings (seconds per epoch), not curves


def phase_spans(rows: pd.DataFrame) -> list[tuple[str, float, float]]:
    """(phase, first step, last step) in training order."""
    spans = rows.groupby("phase", sort=False)["step"].agg(["min", "max"]).reset_index()
    return [(r.phase, float(r["min"]), float(r["max"])) for _, r in spans.iterrows()]


def curves_figure(rows: pd.DataFrame, run_labels: dict[str, str] | None = None, height: int = 420,
                  smooth: int = 1):
    """rows: run_id, phase, epoch, step, name, value (metric rows of one or more runs).
    `smooth`: a centred moving average over that many steps of each loss (validation points as they are)."""
    if rows.empty:
        return style(go.Figure(), 200, "No points yet")
    rows = rows.sort_values(["run_id", "step"])
    losses = [n for n in rows["name"].unique() if not n.startswith((VALID_PREFIX, TIME_PREFIX))]
    panels = losses + ([f"{VALID_PREFIX}ndcg@10"] if (rows["name"] == f"{VALID_PREFIX}ndcg@10").any() else [])
    cols = min(3, len(panels))
    nrows = -(-len(panels) // cols)
    fig = make_subplots(rows=nrows, cols=cols, subplot_titles=[p.replace(VALID_PREFIX, "validation ") for p in panels],
                        horizontal_spacing=0.07, vertical_spacing=0.16)
    runs = list(rows["run_id"].unique())
    for p, name in enumerate(panels):
        r, c = p // cols + 1, p % cols + 1
        for k, run in enumerate(runs):
            sel = rows[(rows["run_id"] == run) & (rows["name"] == name)]
            if sel.empty:
                continue
            label = (run_labels or {}).get(run, run)
            values = sel["value"]
            if smooth > 1 and not name.startswith(VALID_PREFIX):
                values = values.rolling(smooth, center=True, min_periods=1).mean()
            fig.add_scatter(x=sel["step"], y=values, mode="lines+markers" if len(sel) < 30 else "lines",
                            name=label, legendgroup=run, showlegend=p == 0, customdata=sel["epoch"],
                            hovertemplate="step %{x}, epoch %{customdata}: %{y:.4g}",
                            line=dict(color=PALETTE[k % len(PALETTE)], width=1.6), row=r, col=c)
        if len(runs) == 1:
            for q, (phase, lo, hi) in enumerate(phase_spans(rows)):
                label = dict(annotation_text=phase, annotation_position="top left") if p == 0 else {}
                fig.add_vrect(x0=lo, x1=hi, fillcolor=PHASE_FILLS[q % len(PHASE_FILLS)], line_width=0,
                              row=r, col=c, **label)
    fig.update_xaxes(title_text="training step", row=nrows)
    fig.update_yaxes(title_text="per row", col=1)
    title = "Training curves: losses per training row" + (f", smoothed over {smooth} steps" if smooth > 1 else "")
    return style(fig, max(height, 260 * nrows), title)
