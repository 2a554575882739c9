"""Compare finished runs the way a presenter can stand behind.

- **Experiment identity**: runs are grouped only when they share the pair (its knobs, without
  its split seed), the method, every setting (defaults filled in) and the eval mode. What may
  vary inside a group is the training seed and the split seed; each group lists both.
- **Statistics** from scipy: mean, sample std (ddof=1) and a 95% t confidence interval over the
  group's runs; none of them for a group of one run.
- **Baselines per user group**: popularity for cold users (a target-only model knows nothing of
  them); for warm users the better of popularity and target_only on *validation* NDCG@10; or
  the method the user names.
- **Paired tests** against the baseline over the same test users: per split seed, each user's
  metric is averaged over the training seeds of each group; the per-user differences of all
  splits go to `scipy.stats.wilcoxon`; Holm's correction (statsmodels) runs across the groups
  compared, per user group and metric.

Torch-free; per-user results come from a loader (`run_id -> DataFrame`), so the pages, the
CLI and the report share this code.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

USER_GROUPS = ("cold", "warm")
ALPHA = 0.05


def metric_names(k: int) -> list[str]:
    return [f"hr@{k}", f"ndcg@{k}", f"recall@{k}", "mrr"]


@dataclass
class Group:
    """Runs of one experiment (same key); seeds are what varies."""
    key: str
    method: str
    pair: dict            # without its split seed
    pair_name: str
    settings: dict        # every setting, defaults filled in
    eval: str
    runs: list = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.runs)

    @property
    def seeds(self) -> list[int]:
        return sorted({r["seed"] for r in self.runs})

    @property
    def split_seeds(self) -> list:
        return sorted({r["pair"].get("split_seed") for r in self.runs}, key=lambda s: (s is None, s))

    @property
    def setting_key(self) -> str:
        """The experiment without its method and settings: what a baseline must share."""
        return json.dumps({"pair": self.pair, "eval": self.eval}, sort_keys=True)

    def label(self) -> str:
        return f"{self.method} · {self.pair_name}"


def _base_pair(pair: dict) -> dict:
    return {k: v for k, v in pair.items() if k != "split_seed"}


def experiment_key(run: dict, defaults: dict[str, dict]) -> str:
    settings = {**defaults.get(run["method"], {}), **(run["settings"] or {})}
    return json.dumps({"pair": _base_pair(run["pair"]), "method": run["method"], "settings": settings,
                       "eval": run["eval"]}, sort_keys=True, default=str)


def group_runs(runs: list[dict], defaults: dict[str, dict]) -> list[Group]:
    """Finished runs grouped by experiment key, in the order their first run appears."""
    groups: dict[str, Group] = {}
    for run in runs:
        key = experiment_key(run, defaults)
        if key not in groups:
            name = run["pair_name"].split(" (split")[0]
            groups[key] = Group(key, run["method"], _base_pair(run["pair"]), name,
                                {**defaults.get(run["method"], {}), **(run["settings"] or {})}, run["eval"])
        groups[key].runs.append(run)
    return list(groups.values())


def differing_settings(groups: list[Group]) -> dict[str, dict]:
    """For each group, the settings whose values differ between groups of the same method."""
    out = {}
    for group in groups:
        peers = [g for g in groups if g.method == group.method]
        names = {n for g in peers for n in g.settings}
        out[group.key] = {n: group.settings.get(n) for n in sorted(names)
                          if len({json.dumps(g.settings.get(n)) for g in peers}) > 1}
    return out


def describe(values: list[float]) -> dict:
    """mean, sample std (ddof=1) and 95% t interval; std and ci95 are None for one value."""
    x = np.asarray(values, dtype=float)
    mean = float(x.mean()) if x.size else math.nan
    if x.size < 2:
        return {"mean": mean, "std": None, "ci95": None, "n": int(x.size)}
    std = float(x.std(ddof=1))
    if std == 0.0:
        return {"mean": mean, "std": 0.0, "ci95": [mean, mean], "n": int(x.size)}
    low, high = stats.t.interval(0.95, x.size - 1, loc=mean, scale=std / math.sqrt(x.size))
    return {"mean": mean, "std": std, "ci95": [float(low), float(high)], "n": int(x.size)}


def _valid_ndcg(group: Group, user_group: str) -> float:
    values = [((r.get("summary") or {}).get("valid_groups") or {}).get(user_group, {}).get("ndcg@10")
              for r in group.runs]
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else -math.inf


def pick_baselines(groups: list[Group], chosen: str | None = None) -> dict[str, dict[str, Group]]:
    """{user group: {setting_key: baseline Group}} for every pair/eval setting present."""
    out: dict[str, dict[str, Group]] = {g: {} for g in USER_GROUPS}
    for setting in {g.setting_key for g in groups}:
        here = [g for g in groups if g.setting_key == setting]
        by_method = {g.method: g for g in here}  # one group per method expected; the first kept
        for user_group in USER_GROUPS:
            if chosen:
                candidates = [by_method[chosen]] if chosen in by_method else []
            elif user_group == "cold":
                candidates = [by_method["popularity"]] if "popularity" in by_method else []
            else:  # warm: the better of the two on validation data, never on test data
                candidates = sorted((by_method[m] for m in ("popularity", "target_only") if m in by_method),
                                    key=lambda g: _valid_ndcg(g, "warm"), reverse=True)
            if candidates:
                out[user_group][setting] = candidates[0]
    return out


def _user_means(group: Group, user_group: str, metric: str, per_user: Callable) -> pd.DataFrame | None:
    """Each (split seed, user)'s metric averaged over the group's training seeds."""
    frames = []
    for run in group.runs:
        frame = per_user(run["id"])
        if frame is None:
            return None
        frame = frame[frame["group"] == user_group][["user", metric]]
        frames.append(frame.assign(split=str(run["pair"].get("split_seed"))))
    if not frames:
        return None
    return pd.concat(frames).groupby(["split", "user"], as_index=False)[metric].mean()


def paired_p_value(group: Group, baseline: Group, user_group: str, metric: str,
                   per_user: Callable) -> float | None:
    """Wilcoxon signed-rank p-value of the per-user differences (same splits, same users)."""
    ours = _user_means(group, user_group, metric, per_user)
    theirs = _user_means(baseline, user_group, metric, per_user)
    if ours is None or theirs is None:
        return None
    both = ours.merge(theirs, on=["split", "user"], suffixes=("", "_base"))
    diff = (both[metric] - both[f"{metric}_base"]).to_numpy()
    if diff.size == 0:
        return None
    if not np.any(diff != 0):
        return 1.0
    return float(stats.wilcoxon(diff, zero_method="zsplit").pvalue)


def verdict(change: float | None, p_value: float | None) -> str:
    if p_value is None or change is None:
        return ""
    if p_value < ALPHA:
        return f"{'better' if change > 0 else 'worse'} (p = {p_value:.3g})"
    return f"no significant difference (p = {p_value:.3g})"


def compare(runs: list[dict], defaults: dict[str, dict], per_user: Callable[[str], pd.DataFrame | None],
            k: int = 10, baseline: str | None = None) -> dict:
    """The comparison of finished runs (the shape `python -m crossrec compare --json` prints)."""
    groups = group_runs([r for r in runs if r["status"] == "done" and r.get("metrics")], defaults)
    baselines = pick_baselines(groups, baseline)
    differing = differing_settings(groups)
    rows = []
    for group in groups:
        row = {"method": group.method, "pair": group.pair_name, "eval": group.eval,
               "settings": group.settings, "differing_settings": differing[group.key],
               "seeds": group.seeds, "split_seeds": group.split_seeds, "n": group.n,
               "run_ids": [r["id"] for r in group.runs]}
        for user_group in USER_GROUPS:
            base = baselines[user_group].get(group.setting_key)
            cells = {}
            for metric in metric_names(k):
                values = [r["metrics"].get(user_group, {}).get(metric) for r in group.runs]
                values = [v for v in values if v is not None]
                cell = describe(values) if values else {"mean": None, "std": None, "ci95": None, "n": 0}
                cell.update(change=None, p_value=None, baseline=base.method if base else None)
                if base is not None and base is not group and values and cell["mean"] is not None:
                    base_values = [r["metrics"].get(user_group, {}).get(metric) for r in base.runs]
                    base_mean = float(np.mean([v for v in base_values if v is not None] or [math.nan]))
                    if base_mean > 0:
                        cell["change"] = cell["mean"] / base_mean - 1.0
                    cell["p_value"] = paired_p_value(group, base, user_group, metric, per_user)
                cells[metric] = cell
            users = [r["metrics"].get(user_group, {}).get("n_users") for r in group.runs]
            cells["n_users"] = max((u for u in users if u is not None), default=0)
            row[user_group] = cells
        rows.append(row)
    _holm(rows, k)
    return {"groups": rows,
            "baseline": {user_group: sorted({g.method for g in baselines[user_group].values()})
                         for user_group in USER_GROUPS}}


def _holm(rows: list[dict], k: int) -> None:
    """Holm's correction across the groups compared, per user group, metric and setting."""
    for user_group in USER_GROUPS:
        for metric in metric_names(k):
            cells = [row[user_group][metric] for row in rows if row[user_group][metric]["p_value"] is not None]
            if not cells:
                continue
            adjusted = multipletests([c["p_value"] for c in cells], alpha=ALPHA, method="holm")[1]
            for cell, p in zip(cells, adjusted):
                cell["p_raw"], cell["p_value"] = cell["p_value"], float(p)
            for cell in cells:
                cell["verdict"] = verdict(cell["change"], cell["p_value"])


def comparison_table(result: dict, k: int = 10) -> pd.DataFrame:
    """One row per group: n, seeds, 'mean ± std [CI]' per metric and user group, change and verdict."""
    rows = []
    for g in result["groups"]:
        row = {"method": g["method"], "pair": g["pair"], "eval": g["eval"], "n": g["n"],
               "training seeds": ", ".join(map(str, g["seeds"])),
               "split seeds": ", ".join("default" if s is None else str(s) for s in g["split_seeds"]),
               "settings that differ": ", ".join(f"{n}={v}" for n, v in g["differing_settings"].items())}
        for user_group in USER_GROUPS:
            for metric in metric_names(k):
                row[f"{user_group} {metric}"] = format_cell(g[user_group][metric])
            main = g[user_group][f"ndcg@{k}"]
            row[f"{user_group} vs {main.get('baseline') or 'baseline'}"] = (
                f"{main['change']:+.1%} · {main.get('verdict', '')}" if main["change"] is not None else "")
            row[f"{user_group} users"] = g[user_group]["n_users"]
        rows.append(row)
    return pd.DataFrame(rows)


def format_cell(cell: dict) -> str:
    if cell["mean"] is None:
        return ""
    if cell["std"] is None:
        return f"{cell['mean']:.4f} (n=1)"
    low, high = cell["ci95"]
    return f"{cell['mean']:.4f} ± {cell['std']:.4f} [{low:.4f}, {high:.4f}]"
