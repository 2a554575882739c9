"""The Sweep page's views: trials table, best-so-far curve, what mattered (Optuna importances)."""

import pandas as pd
import plotly.graph_objects as go

from crossrec.viz.theme import style


def trials_frame(report: dict) -> pd.DataFrame:
    rows = []
    for t in report["trials"]:
        rows.append({"trial": t["trial"], "status": t["status"], "valid NDCG@10": t["valid"].get("ndcg@10"),
                     **{k: v for k, v in t["settings"].items()}, "run": t["run_id"]})
    return pd.DataFrame(rows)


def best_so_far(report: dict):
    done = sorted((t for t in report["trials"] if t["status"] == "done" and t["valid"].get("ndcg@10") is not None),
                  key=lambda t: t["trial"])
    fig = go.Figure()
    if done:
        best, ys = -1.0, []
        for t in done:
            best = max(best, t["valid"]["ndcg@10"])
            ys.append(best)
        fig.add_scatter(x=[t["trial"] for t in done], y=[t["valid"]["ndcg@10"] for t in done], mode="markers",
                        name="trial")
        fig.add_scatter(x=[t["trial"] for t in done], y=ys, mode="lines", name="best so far")
    fig.update_layout(xaxis_title="trial", yaxis_title="validation NDCG@10")
    return style(fig, 320, "Best so far")


def importance_figure(store, report: dict):
    """Optuna's parameter importances (fANOVA) once two trials are done."""
    fig = go.Figure()
    done = [t for t in report["trials"] if t["status"] == "done"]
    if len(done) >= 2:
        import optuna
        from crossrec.sweeps.driver import study_storage
        try:
            study = optuna.load_study(study_name=report["sweep_id"], storage=study_storage(store))
            importances = optuna.importance.get_param_importances(study)
            fig.add_bar(x=list(importances.values()), y=list(importances.keys()), orientation="h")
        except (RuntimeError, ValueError):  # e.g. every finished trial had the same settings
            pass
    fig.update_layout(xaxis_title="importance (share of validation variance)")
    return style(fig, 320, "What mattered")
