"""One palette and layout for every figure, so pages and reports look alike."""

DOMAIN_COLORS = {"source": "#4C78A8", "target": "#F58518"}
PALETTE = ["#4C78A8", "#F58518", "#54A24B", "#E45756", "#72B7B2", "#B279A2", "#FF9DA6",
           "#9D755D", "#BAB0AC", "#EECA3B"]
PHASE_FILLS = ["rgba(76,120,168,0.07)", "rgba(245,133,24,0.07)", "rgba(84,162,75,0.07)",
               "rgba(178,121,162,0.07)"]


def style(fig, height: int = 360, title: str | None = None):
    fig.update_layout(template="plotly_white", height=height, margin=dict(l=40, r=20, t=60 if title else 30, b=40),
                      title=dict(text=title, y=0.97, yanchor="top") if title else None,
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, x=1.0, xanchor="right"),
                      font=dict(family="Inter, Segoe UI, sans-serif", size=13))
    return fig
