"""A one-file HTML report of selected runs: pairs, settings, tables, curves and bar charts.

Plotly's JavaScript is embedded once, so the file opens offline and stays interactive.
"""

from __future__ import annotations

import html
import time

import pandas as pd

from crossrec.analysis.compare import comparison_table
from crossrec.viz.compare import metric_bars
from crossrec.viz.curves import curves_figure

CSS = """
body{font-family:Inter,Segoe UI,sans-serif;margin:2rem auto;max-width:1200px;color:#1f2933;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #e4e7eb;padding-bottom:.3rem}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}td,th{border:1px solid #e4e7eb;padding:.3rem .5rem}
th{background:#f5f7fa;text-align:left}.note{background:#fff8e1;border-left:4px solid #f0b429;padding:.5rem 1rem}
.muted{color:#7b8794;font-size:.85rem}
"""


def _table_html(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, border=0, escape=True, na_rep="")


def build_report(runs: list[dict], curves: dict[str, pd.DataFrame], result: dict, k: int = 10,
                 title: str = "CrossRec Studio report") -> str:
    """runs: run records of the store (done); curves: run_id -> metric rows; result: the
    comparison of the runs (`crossrec.analysis.compare.compare`)."""
    parts = [f"<h1>{html.escape(title)}</h1>",
             f"<p class='muted'>{len(runs)} runs · generated {time.strftime('%Y-%m-%d %H:%M')} · "
             f"metrics: full ranking unless noted, per-user averages over test users</p>"]
    if any(r["eval"] != "full" for r in runs):
        parts.append("<p class='note'>Some runs used sampled evaluation; sampled metrics can reorder "
                     "methods compared with full ranking (Krichene &amp; Rendle, KDD 2020).</p>")
    pairs = {}
    for run in runs:
        stats = (run.get("summary") or {}).get("pair_stats")
        if stats:
            pairs[run["pair_name"]] = stats
    if pairs:
        parts.append("<h2>Domain pairs</h2>")
        rows = [{"pair": name, "source users": s["source"]["users"], "source items": s["source"]["items"],
                 "source interactions": s["source"]["interactions"], "target users": s["target"]["users"],
                 "target items": s["target"]["items"], "target interactions": s["target"]["interactions"],
                 "overlap users": s["overlap_users"], "cold test users": s["cold_test_users"],
                 "warm test users": s["warm_test_users"], "split": s["split"]} for name, s in pairs.items()]
        parts.append(_table_html(pd.DataFrame(rows)))
    parts.append(f"<h2>Results (K = {k})</h2>")
    parts.append(_table_html(comparison_table(result, k)))
    parts.append("<p class='muted'>One row per experiment (same pair, method, settings, evaluation); "
                 "mean ± sample std [95% CI] over its runs, which differ only in their training and "
                 "split seeds (listed). Changes are against each user group's baseline "
                 f"({', '.join(f'{g}: {m}' for g, ms in result['baseline'].items() for m in ms)}); "
                 "p-values: paired Wilcoxon over the same test users, Holm-corrected.</p>")
    figures = [metric_bars(result, f"ndcg@{k}"), metric_bars(result, f"hr@{k}")]
    labels = {r["id"]: f"{r['method']} s{r['seed']}" for r in runs}
    for run in runs:
        rows = curves.get(run["id"])
        if rows is not None and not rows.empty:
            fig = curves_figure(rows.assign(run_id=run["id"]), labels, height=320)
            fig.update_layout(title=f"Training curves · {labels[run['id']]} · {run['pair_name']}")
            figures.append(fig)
    parts.append("<h2>Charts</h2>")
    for n, fig in enumerate(figures):
        parts.append(fig.to_html(full_html=False, include_plotlyjs="inline" if n == 0 else False))
    parts.append("<h2>Settings</h2>")
    parts.append(_table_html(pd.DataFrame([
        {"run": r["id"], "method": r["method"], "pair": r["pair_name"], "seed": r["seed"],
         "device": (r.get("summary") or {}).get("device", r["device"]), "eval": r["eval"],
         "settings": ", ".join(f"{k}={v}" for k, v in (r["settings"] or {}).items()) or "defaults",
         "train seconds": round((r.get("summary") or {}).get("train_seconds", 0.0), 2)} for r in runs])))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body>{''.join(parts)}</body></html>")
