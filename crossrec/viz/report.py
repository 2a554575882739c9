"""A one-file, print-ready HTML report of compared runs: data statistics, each experiment's
settings, the comparison with CIs and paired tests, curves, embeddings before/after with their
alignment metrics, and a few explained users.

Plotly's JavaScript is embedded once, so the file opens offline and stays interactive. Each
<section> starts a new page when printed (the print stylesheet), charts are never split across
pages, and interactive toolbars are hidden on paper.
"""

from __future__ import annotations

import html
import time

import pandas as pd

from crossrec.analysis.compare import comparison_table
from crossrec.viz.compare import metric_bars
from crossrec.viz.curves import curves_figure
from crossrec.viz.embeddings import projection_figure

CSS = """
body{font-family:Inter,Segoe UI,sans-serif;margin:2rem auto;max-width:1200px;color:#1f2933;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #e4e7eb;padding-bottom:.3rem}
h3{font-size:1rem;margin:1rem 0 .3rem}
table{border-collapse:collapse;font-size:.8rem;margin:.5rem 0}td,th{border:1px solid #e4e7eb;padding:.25rem .45rem}
th{background:#f5f7fa;text-align:left}.note{background:#fff8e1;border-left:4px solid #f0b429;padding:.5rem 1rem}
.muted{color:#7b8794;font-size:.85rem}.row{display:flex;gap:1rem;flex-wrap:wrap}.row>div{flex:1 1 30%;min-width:0}
.chart{break-inside:avoid;page-break-inside:avoid}
@page{size:A4 landscape;margin:12mm}
@media print{
  body{max-width:none;margin:0;padding:0;font-size:11pt}
  section{break-before:page;page-break-before:always}
  section.first{break-before:auto;page-break-before:auto}
  table,tr{break-inside:avoid;page-break-inside:avoid}
  .user+.user{break-before:page;page-break-before:always}
  .row{flex-wrap:nowrap}
  .modebar-container{display:none!important}
}
"""


def _table_html(frame: pd.DataFrame, index: bool = False) -> str:
    return frame.to_html(index=index, border=0, escape=True, na_rep="")


class _Charts:
    """Plotly figures as HTML: the JavaScript goes in with the first one only."""

    def __init__(self):
        self.first = True

    def __call__(self, fig, height: int | None = None) -> str:
        if height:
            fig.update_layout(height=height)
        out = fig.to_html(full_html=False, include_plotlyjs="inline" if self.first else False,
                          config={"displaylogo": False, "toImageButtonOptions": {"format": "png", "scale": 2}})
        self.first = False
        return f"<div class='chart'>{out}</div>"


def _section(title: str, body: list[str], first: bool = False) -> str:
    return f"<section{' class=first' if first else ''}><h2>{html.escape(title)}</h2>{''.join(body)}</section>"


def _data_section(runs: list[dict]) -> list[str]:
    pairs = {r["pair_name"]: (r.get("summary") or {}).get("pair_stats") for r in runs}
    rows = [{"pair": name, "source users": s["source"]["users"], "source items": s["source"]["items"],
             "source interactions": s["source"]["interactions"], "target users": s["target"]["users"],
             "target items": s["target"]["items"], "target interactions": s["target"]["interactions"],
             "overlap users": s["overlap_users"], "cold test users": s["cold_test_users"],
             "warm test users": s["warm_test_users"], "split": s["split"]} for name, s in pairs.items() if s]
    return [_table_html(pd.DataFrame(rows))] if rows else ["<p class='muted'>No pair statistics stored.</p>"]


def _settings_section(result: dict, runs: list[dict]) -> list[str]:
    groups = pd.DataFrame([{"method": g["method"], "pair": g["pair"], "eval": g["eval"], "runs": g["n"],
                            "settings": ", ".join(f"{k}={v}" for k, v in (g.get("settings") or {}).items())
                            or "defaults"} for g in result["groups"]])
    per_run = pd.DataFrame([
        {"run": r["id"], "method": r["method"], "pair": r["pair_name"], "seed": r["seed"],
         "device": (r.get("summary") or {}).get("device", r["device"]), "eval": r["eval"],
         "train seconds": round((r.get("summary") or {}).get("train_seconds", 0.0), 2)} for r in runs])
    return ["<h3>Each compared experiment</h3>", _table_html(groups), "<h3>Runs</h3>", _table_html(per_run)]


def _results_section(result: dict, k: int, charts: _Charts) -> list[str]:
    return [_table_html(comparison_table(result, k)),
            "<p class='muted'>One row per experiment (same pair, method, settings, evaluation); "
            "mean ± sample std [95% CI] over its runs, which differ only in their training and "
            "split seeds (listed). Changes are against each user group's baseline "
            f"({', '.join(f'{g}: {m}' for g, ms in result['baseline'].items() for m in ms)}); "
            "p-values: paired Wilcoxon over the same test users, Holm-corrected.</p>",
            "<div class='row'>", f"<div>{charts(metric_bars(result, f'ndcg@{k}'))}</div>",
            f"<div>{charts(metric_bars(result, f'hr@{k}'))}</div>", "</div>"]


def _curves_section(runs: list[dict], curves: dict[str, pd.DataFrame], charts: _Charts) -> list[str]:
    labels = {r["id"]: f"{r['method']} s{r['seed']}" for r in runs}
    body = []
    for run in runs:
        rows = curves.get(run["id"])
        if rows is not None and not rows.empty:
            fig = curves_figure(rows.assign(run_id=run["id"]), labels, height=320)
            fig.update_layout(title=f"Training curves · {labels[run['id']]} · {run['pair_name']}")
            body.append(charts(fig))
    return body or ["<p class='muted'>No curves stored.</p>"]


ALIGNMENT_NAMES = {"proxy_a_distance": "proxy A-distance (0 = indistinguishable, 2 = separable)",
                   "mmd": "MMD² (RBF)", "coral": "CORAL distance", "knn_mixing": "kNN mixing (1 = mixed, 0 = separated)"}


def _embeddings_section(embeddings: list[dict], charts: _Charts) -> list[str]:
    body = []
    for e in embeddings:
        body.append(f"<h3>{html.escape(e['label'])} ({e['projection']})</h3><div class='row'>")
        for stage, title in (("before", "Before alignment"), ("after", "After training / alignment")):
            sel = e["points"][e["points"]["stage"] == stage]
            if not sel.empty:
                body.append(f"<div>{charts(projection_figure(sel, title), height=380)}</div>")
        body.append("</div>")
        if e["alignment"]:
            table = pd.DataFrame(e["alignment"]).rename(index=ALIGNMENT_NAMES).round(3)
            body.append(_table_html(table, index=True))
    return body or ["<p class='muted'>No compared run stored embeddings.</p>"]


def _head(frame: pd.DataFrame, what: str, rows: int = 15) -> str:
    more = f"<p class='muted'>… and {len(frame) - rows} more {what}</p>" if len(frame) > rows else ""
    return _table_html(frame.head(rows)) + more


def _explained_section(explained: list[dict]) -> list[str]:
    body = ["<p class='muted'>Cold test users drawn at random (seed 0), not chosen by their results. "
            "✓ marks a held-out target item; ranks are among all candidate items (1 = first).</p>"]
    for e in explained:
        body += [f"<div class='user'><h3>User {html.escape(str(e['user']))} · {html.escape(e['pair'])}</h3>"
                 "<div class='row'>",
                 f"<div><b>Source history ({len(e['history'])} items)</b>{_head(e['history'], 'items')}</div>",
                 f"<div><b>Top 10</b>{_table_html(e['lists'], index=True)}</div>",
                 f"<div><b>Held-out target items ({len(e['heldout'])})</b>{_head(e['heldout'], 'items')}</div>",
                 "</div></div>"]
    return body


def build_report(runs: list[dict], curves: dict[str, pd.DataFrame], result: dict, k: int = 10,
                 title: str = "CrossRec Studio report", embeddings: list[dict] | None = None,
                 explained: list[dict] | None = None) -> str:
    """runs: run records of the store (done); curves: run_id -> metric rows; result: the
    comparison of the runs (`crossrec.analysis.compare.compare`); embeddings: {label, projection,
    points, alignment} per experiment; explained: `crossrec.analysis.explain.explain` of a few users."""
    charts = _Charts()
    head = [f"<h1>{html.escape(title)}</h1>",
            f"<p class='muted'>{len(runs)} runs · generated {time.strftime('%Y-%m-%d %H:%M')} · "
            f"metrics: full ranking unless noted, per-user averages over test users</p>"]
    if any(r["eval"] != "full" for r in runs):
        head.append("<p class='note'>Some runs used sampled evaluation; sampled metrics can reorder "
                    "methods compared with full ranking (Krichene &amp; Rendle, KDD 2020).</p>")
    sections = [_section("Domain pairs", head + _data_section(runs), first=True),
                _section("Settings", _settings_section(result, runs)),
                _section(f"Results (K = {k})", _results_section(result, k, charts)),
                _section("Training curves", _curves_section(runs, curves, charts)),
                _section("Embeddings before and after alignment", _embeddings_section(embeddings or [], charts))]
    if explained:
        sections.append(_section("Explained users", _explained_section(explained)))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body>{''.join(sections)}</body></html>")
