"""Compare finished runs: mean ± std over seeds per (pair, method), and change vs a baseline.

Pure pandas over the run records of the store; the Compare page and the HTML report use it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

GROUPS = ("cold", "warm")
BASELINES = ("target_only", "popularity")  # preferred first


def metric_names(k: int) -> list[str]:
    return [f"hr@{k}", f"ndcg@{k}", f"recall@{k}", "mrr"]


def long_metrics(runs: list[dict]) -> pd.DataFrame:
    """One row per (run, group, metric): run_id, pair, method, seed, eval, group, metric, value."""
    rows = []
    for run in runs:
        for group, values in (run.get("metrics") or {}).items():
            for metric, value in values.items():
                rows.append({"run_id": run["id"], "pair": run["pair_name"], "method": run["method"],
                             "seed": run["seed"], "eval": run["eval"], "group": group,
                             "metric": metric, "value": value})
    return pd.DataFrame(rows, columns=["run_id", "pair", "method", "seed", "eval", "group", "metric", "value"])


def summary_table(runs: list[dict], k: int = 10) -> pd.DataFrame:
    """Rows (pair, method, eval) with n_runs and, per group and metric, mean and std over seeds,
    plus `Δ ndcg@k vs <baseline>` (relative change of the mean) per group."""
    data = long_metrics(runs)
    if data.empty:
        return pd.DataFrame()
    wanted = metric_names(k) + ["n_users"]
    data = data[data["metric"].isin(wanted)]
    keys = ["pair", "method", "eval"]
    stats = data.groupby(keys + ["group", "metric"])["value"].agg(["mean", "std"]).reset_index()
    stats["std"] = stats["std"].fillna(0.0)
    wide = stats.pivot_table(index=keys, columns=["group", "metric"], values=["mean", "std"])
    out = pd.DataFrame(index=wide.index)
    out["runs"] = data.groupby(keys)["run_id"].nunique()
    for group in GROUPS:
        for metric in wanted:
            if ("mean", group, metric) in wide.columns:
                out[f"{group} {metric}"] = wide[("mean", group, metric)]
                if metric != "n_users":
                    out[f"{group} {metric} std"] = wide[("std", group, metric)]
    out = out.reset_index()
    ndcg = f"ndcg@{k}"
    for group in GROUPS:
        col = f"{group} {ndcg}"
        if col not in out:
            continue
        change = np.full(len(out), np.nan)
        label = np.full(len(out), "", dtype=object)
        for i, row in out.iterrows():
            same = out[(out["pair"] == row["pair"]) & (out["eval"] == row["eval"])]
            for base in BASELINES:
                hit = same[same["method"] == base]
                if len(hit) and hit[col].iloc[0] > 0 and row["method"] != base:
                    change[i] = row[col] / hit[col].iloc[0] - 1.0
                    label[i] = base
                    break
        out[f"{group} Δ{ndcg}"] = change
        out[f"{group} baseline"] = label
    return out


def format_table(table: pd.DataFrame, k: int = 10) -> pd.DataFrame:
    """Human view: 'mean ± std' strings and signed percentages."""
    if table.empty:
        return table
    view = table[["pair", "method", "eval", "runs"]].copy()
    for group in GROUPS:
        for metric in metric_names(k):
            col = f"{group} {metric}"
            if col in table:
                view[col] = [f"{m:.4f} ± {s:.4f}" for m, s in zip(table[col], table[f"{col} std"])]
        delta = f"{group} Δndcg@{k}"
        if delta in table:
            view[f"{group} vs baseline"] = [
                "" if np.isnan(d) else f"{d:+.0%} vs {b}" for d, b in zip(table[delta], table[f"{group} baseline"])]
        if f"{group} n_users" in table:
            view[f"{group} users"] = table[f"{group} n_users"].fillna(0).astype(int)
    return view
