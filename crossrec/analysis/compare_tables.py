"""Tables of a comparison (`crossrec.analysis.compare.compare`): the headline a presenter shows
first, every metric for the expander and the CSV, and the exports (CSV, Markdown, LaTeX)."""

from __future__ import annotations

import pandas as pd

from crossrec.analysis.compare import USER_GROUPS, effect_text, metric_names
from crossrec.analysis.effects import format_p

FORMATS = ("csv", "markdown", "latex")


def format_cell(cell: dict) -> str:
    if cell["mean"] is None:
        return ""
    if cell["std"] is None:
        return f"{cell['mean']:.4f} (one run)"
    low, high = cell["ci95"]
    return f"{cell['mean']:.4f} ± {cell['std']:.4f} [{low:.4f}, {high:.4f}]"


def mean_ci(cell: dict) -> str:
    if cell["mean"] is None:
        return "–"
    if cell["ci95"] is None:
        return f"{cell['mean']:.4f} (one run)"
    return f"{cell['mean']:.4f} [{cell['ci95'][0]:.4f}, {cell['ci95'][1]:.4f}]"


def short_verdict(cell: dict) -> str:
    """The verdict in a table cell's width: its word and the deciding p-value (the test is named
    in the caption and in the full verdict)."""
    verdict = cell.get("verdict", "")
    if not verdict or verdict.startswith("depends on the test"):
        return "depends on the test" if verdict else ""
    word = verdict.split(" (")[0].replace("no significant difference", "no significant diff.")
    return f"{word} ({format_p(cell['p_value'])})"


def _against(cell: dict, users: int, short: bool = False) -> tuple[str, str]:
    if not users or cell["mean"] is None:
        return "–", ""
    if cell.get("is_baseline"):
        return "baseline", ""
    return effect_text(cell) or "–", short_verdict(cell) if short else cell.get("verdict", "")


def headline_table(result: dict, k: int = 10, short: bool = False) -> pd.DataFrame:
    """Method, n, and for cold and warm users NDCG@K mean [CI], ratio and difference [CI]
    against the baseline, and the verdict: what a room reads first (`short`: verdicts cut to
    their word and p-value, to fit a presenter's screen)."""
    rows = []
    multi_pair = len({g["pair"] for g in result["groups"]}) > 1
    for g in result["groups"]:
        row = {"method": g["method"] + (f" · {g['pair']}" if multi_pair else ""), "n": g["n"]}
        for user_group in USER_GROUPS:
            cell, users = g[user_group][f"ndcg@{k}"], g[user_group]["n_users"]
            effect, verdict = _against(cell, users, short)
            row[f"{user_group} NDCG@{k} [CI]"] = mean_ci(cell) if users else "–"
            row[f"{user_group} vs {cell.get('baseline') or 'baseline'}"] = effect
            row[f"{user_group} verdict"] = verdict
        rows.append(row)
    return pd.DataFrame(rows)


def comparison_table(result: dict, k: int = 10) -> pd.DataFrame:
    """One row per group: n, seeds, 'mean ± std [CI]' per metric and user group, the effect and
    verdict of NDCG@K, the test and its paired n."""
    rows = []
    for g in result["groups"]:
        row = {"method": g["method"], "pair": g["pair"], "eval": g["eval"], "n": g["n"],
               "training seeds": ", ".join(map(str, g["seeds"])),
               "split seeds": ", ".join("given" if s is None else str(s) for s in g["split_seeds"]),
               "settings that differ": ", ".join(f"{n}={v}" for n, v in g["differing_settings"].items())}
        for user_group in USER_GROUPS:
            for metric in metric_names(k):
                row[f"{user_group} {metric}"] = format_cell(g[user_group][metric])
            main = g[user_group][f"ndcg@{k}"]
            effect, verdict = _against(main, g[user_group]["n_users"])
            row[f"{user_group} vs {main.get('baseline') or 'baseline'}"] = effect
            row[f"{user_group} verdict"] = verdict
            row[f"{user_group} test"] = main.get("test", "")
            row[f"{user_group} users"] = g[user_group]["n_users"]
        rows.append(row)
    return pd.DataFrame(rows)


def export(result: dict, k: int, fmt: str) -> str:
    """The headline table as CSV, Markdown (pipe table) or LaTeX (booktabs)."""
    table = headline_table(result, k)
    if fmt == "csv":
        return comparison_table(result, k).to_csv(index=False)
    if fmt == "markdown":
        return table.to_markdown(index=False) + "\n"
    if fmt == "latex":
        return table.style.hide(axis="index").format(escape="latex").format_index(escape="latex", axis=1) \
            .to_latex(hrules=True, column_format="l" + "r" * (len(table.columns) - 1))
    raise ValueError(f"unknown format {fmt!r}; use {', '.join(FORMATS)}")


def leaderboard(runs: list[dict], result: dict, k: int = 10) -> pd.DataFrame:
    """One row per owner: their best experiment by cold users' NDCG@K (its group's mean), with
    its n; experiments keep their identity (a group may hold several people's runs)."""
    owner_of = {r["id"]: r.get("owner") or "" for r in runs}
    best: dict[str, dict] = {}
    for g in result["groups"]:
        cell = g["cold"][f"ndcg@{k}"]
        if not g["cold"]["n_users"] or cell["mean"] is None:
            continue
        for owner in {owner_of.get(i, "") for i in g["run_ids"]}:
            if owner not in best or cell["mean"] > best[owner]["mean"]:
                best[owner] = {"mean": cell["mean"], "group": g}
    rows = [{"owner": owner or "(no name)", "best method": b["group"]["method"],
             "settings that differ": ", ".join(f"{n}={v}" for n, v in b["group"]["differing_settings"].items()),
             f"cold NDCG@{k}": round(b["mean"], 4), "n": b["group"]["n"],
             "runs of theirs": sum(owner_of.get(i, "") == owner for i in owner_of)}
            for owner, b in best.items()]
    return pd.DataFrame(rows).sort_values(f"cold NDCG@{k}", ascending=False).reset_index(drop=True) if rows \
        else pd.DataFrame(columns=["owner", "best method", f"cold NDCG@{k}", "n"])
