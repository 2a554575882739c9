"""A one-file, print-ready HTML report of compared runs. Page 1 is its point: a summary with
the headline sentences, cold NDCG@10 by method with CIs, the pair in one line and what a cold
user is. Then data statistics, each experiment's settings, the comparison with effect sizes and
paired tests, every metric, curves, embeddings before/after with their alignment metrics, and a
few explained users.

Plotly's JavaScript is embedded once, so the file opens offline and stays interactive. Each
<section> starts a new page when printed (the print stylesheet), charts are never split across
pages, and interactive toolbars are hidden on paper. Charts have fixed widths that fit the
printed page (A4 landscape, 12 mm margins: about 1,030 CSS pixels), since plotly does not
redraw a chart for the page it is printed on.
"""

from __future__ import annotations

import html
import time

import pandas as pd

from crossrec.analysis.compare import USER_GROUPS, metric_names
from crossrec.analysis.compare_tables import comparison_table, headline_table
from crossrec.viz.compare import metric_bars
from crossrec.viz.curves import curves_figure
from crossrec.viz.embeddings import projection_figure

CSS = """
body{font-family:Inter,Segoe UI,sans-serif;margin:2rem auto;max-width:1200px;color:#1f2933;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #e4e7eb;padding-bottom:.3rem}
h3{font-size:1rem;margin:1rem 0 .3rem}
table{border-collapse:collapse;font-size:.8rem;margin:.5rem 0;max-width:100%}
.headline li{margin:.3rem 0}.small table{font-size:.68rem}td,th{border:1px solid #e4e7eb;padding:.25rem .45rem}
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


PAGE_WIDTH = 1000  # CSS pixels a chart may take on the printed page (A4 landscape, 12 mm margins)
HALF_WIDTH = 490   # two charts side by side


class _Charts:
    """Plotly figures as HTML: the JavaScript goes in with the first one only; each figure gets
    a fixed width that fits the printed page."""

    def __init__(self):
        self.first = True

    def __call__(self, fig, height: int | None = None, width: int = PAGE_WIDTH) -> str:
        fig.update_layout(width=width, autosize=False, **({"height": height} if height else {}))
        out = fig.to_html(full_html=False, include_plotlyjs="inline" if self.first else False,
                          config={"displaylogo": False, "responsive": False,
                                  "toImageButtonOptions": {"format": "png", "scale": 2}})
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


COLD_USER = ("A <b>cold</b> user has a history in the source domain and none in the target: the user "
             "a transfer method exists for; a <b>warm</b> user also has target history.")


def _pair_line(runs: list[dict]) -> str:
    parts = []
    for name, stats in {r["pair_name"].split(" (split")[0]: (r.get("summary") or {}).get("pair_stats")
                        for r in runs}.items():
        if stats:
            parts.append(f"{html.escape(name)}: {stats['source']['users']:,} source and "
                         f"{stats['target']['users']:,} target users, {stats['overlap_users']:,} in both; "
                         f"{stats['cold_test_users']:,} cold and {stats['warm_test_users']:,} warm test users")
        else:
            parts.append(html.escape(name))
    return "; ".join(parts)


def _summary_section(runs: list[dict], result: dict, k: int, charts: _Charts) -> list[str]:
    sentences = "".join(f"<li>{html.escape(g['headline'])}</li>" for g in result["groups"])
    return [f"<p><b>Pair.</b> {_pair_line(runs)}.</p>", f"<p>{COLD_USER}</p>",
            f"<ul class='headline'>{sentences}</ul>",
            charts(metric_bars(result, f"ndcg@{k}", user_groups=("cold",)), height=330),
            f"<p class='muted'>{html.escape(result['test'])}.</p>"]


def _results_section(result: dict, k: int, charts: _Charts) -> list[str]:
    return [_table_html(headline_table(result, k)),
            "<p class='muted'>One row per experiment (same pair, method, settings, evaluation); "
            "mean [95% CI] over its distinct runs, which differ only in their training and split "
            "seeds. Against each user group's baseline "
            f"({', '.join(f'{g}: {m}' for g, ms in result['baseline'].items() for m in ms)}): the ratio "
            "of the means and their difference with a paired bootstrap 95% CI over test users. "
            f"Verdicts: {html.escape(result['test'])}.</p>"
            + "".join(f"<p class='note'>{html.escape(n)}</p>" for n in result.get("notes", [])),
            "<div class='row'>", f"<div>{charts(metric_bars(result, f'ndcg@{k}'), width=HALF_WIDTH)}</div>",
            f"<div>{charts(metric_bars(result, f'hr@{k}'), width=HALF_WIDTH)}</div>", "</div>"]


def _all_metrics_section(result: dict, k: int) -> list[str]:
    table = comparison_table(result, k)
    common = ["method", "pair", "n", "training seeds", "split seeds", "settings that differ"]
    body = []
    for user_group in USER_GROUPS:
        columns = [c for c in table.columns if c.startswith(f"{user_group} ")]
        body += [f"<h3>{user_group.capitalize()} users</h3>",
                 f"<div class='small'>{_table_html(table[common + columns])}</div>"]
    return body + [f"<p class='muted'>Metrics at K = {k}: {', '.join(metric_names(k))}.</p>"]


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
                body.append(f"<div>{charts(projection_figure(sel, title), height=380, width=HALF_WIDTH)}</div>")
        body.append("</div>")
        if e["alignment"]:
            table = pd.DataFrame(e["alignment"]).rename(index=ALIGNMENT_NAMES).round(3)
            body.append(_table_html(table, index=True))
        elif e["alignment"] is None:  # the worker measures it after the run, with UMAP
            body.append("<p class='muted'>Alignment metrics: not computed yet when this report was made.</p>")
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
    head = [f"<p class='muted'>{html.escape(title)} · {len(runs)} runs · generated "
            f"{time.strftime('%Y-%m-%d %H:%M')} · metrics: full ranking unless noted, per-user averages "
            "over test users</p>"]
    if any(r["eval"] != "full" for r in runs):
        head.append("<p class='note'>Some runs used sampled evaluation; sampled metrics can reorder "
                    "methods compared with full ranking (Krichene &amp; Rendle, KDD 2020).</p>")
    sections = [_section("Summary", head + _summary_section(runs, result, k, charts), first=True),
                _section("Domain pairs", _data_section(runs)),
                _section("Settings", _settings_section(result, runs)),
                _section(f"Results (K = {k})", _results_section(result, k, charts)),
                _section(f"All metrics (K = {k})", _all_metrics_section(result, k)),
                _section("Training curves", _curves_section(runs, curves, charts)),
                _section("Embeddings before and after alignment", _embeddings_section(embeddings or [], charts))]
    if explained:
        sections.append(_section("Explained users", _explained_section(explained)))
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body>{''.join(sections)}</body></html>")
