"""Compare finished runs the way a presenter can stand behind.

- **Experiment identity**: runs are grouped only when they share the pair (its knobs and rating
  threshold, without its split seed), the method, every setting (defaults filled in) and the
  eval mode. What may vary inside a group is the training seed and the split seed.
- **Honest counting**: a run named twice counts once, and runs identical in experiment, seed and
  split seed are one replicate (a note says so when their metrics differ); n is the number of
  distinct replicates. A run's default split counts as the split seed it used, so it pairs with
  an explicit `--split-seed` of the same value. The run's owner is not part of any identity.
- **Statistics** (`crossrec/analysis/effects.py`): mean, sample std and a 95% t interval over a
  group's replicates (none for one).
- **Baselines per user group and pair**: popularity for cold users; for warm users the better of
  popularity and target_only on *validation* NDCG@10; or a method (or a run's group) the user
  pins. Of several groups of that method, the one with most replicates, then the earliest.
- **Effect sizes** against it: the ratio and the difference of means, the difference with a
  paired bootstrap 95% CI over test users. **Paired tests** over the same test users: Wilcoxon
  signed-rank with zero differences split (zsplit) and with Pratt's handling, each Holm-corrected
  within its pair (per user group and metric); the verdict says "depends on the test" where
  the two disagree; the paired t-test is reported beside them, not deciding.

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
from statsmodels.stats.multitest import multipletests

from crossrec.analysis.effects import (ALPHA, ZERO_METHODS, describe, difference_ci, format_p, paired,
                                       paired_tests, verdict)
from crossrec.data.catalog import default_split_seed

USER_GROUPS = ("cold", "warm")
TESTS = ZERO_METHODS + ("ttest",)
TEST_NAME = ("Wilcoxon signed-rank over the same test users (zero differences split, zsplit; Pratt's "
             "handling beside it), Holm-corrected within the pair; paired t-test reported, not deciding")


def metric_names(k: int) -> list[str]:
    return [f"hr@{k}", f"ndcg@{k}", f"recall@{k}", "mrr"]


def split_seed_of(run: dict):
    """The split seed a run used: its stored one, or for a default split the seed the protocol
    drew it with (None for a pair with a given split)."""
    stored = run["pair"].get("split_seed")
    if stored is not None:
        return int(stored)
    if ((run.get("summary") or {}).get("pair_stats") or {}).get("split") == "given":
        return None
    return default_split_seed(run["pair"])


@dataclass
class Group:
    """Distinct replicates of one experiment (same key); seeds are what varies."""
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
        return sorted({split_seed_of(r) for r in self.runs}, key=lambda s: (s is None, s))

    @property
    def setting_key(self) -> str:
        """The experiment without its method and settings: what a baseline must share."""
        return json.dumps({"pair": self.pair, "eval": self.eval}, sort_keys=True)

    @property
    def created(self) -> float:
        return min(r.get("created") or 0.0 for r in self.runs)

    def label(self) -> str:
        return f"{self.method} · {self.pair_name}"


def _base_pair(pair: dict) -> dict:
    return {k: v for k, v in pair.items() if k != "split_seed"}


def _settings(run: dict, defaults: dict[str, dict]) -> dict:
    return {**defaults.get(run["method"], {}), **(run["settings"] or {})}


def experiment_key(run: dict, defaults: dict[str, dict]) -> str:
    return json.dumps({"pair": _base_pair(run["pair"]), "method": run["method"],
                       "settings": _settings(run, defaults), "eval": run["eval"]}, sort_keys=True, default=str)


def distinct_replicates(runs: list[dict], defaults: dict[str, dict]) -> tuple[list[dict], list[str]]:
    """Runs counted once each: a run named twice once, and of runs identical in experiment, seed
    and split seed the first; notes say where such runs disagree in their metrics."""
    kept: dict[str, dict] = {}
    notes = []
    for run in runs:
        identity = json.dumps([experiment_key(run, defaults), run["seed"], split_seed_of(run)], default=str)
        first = kept.setdefault(identity, run)
        if first is run or first["id"] == run["id"]:
            continue
        if json.dumps(first.get("metrics"), sort_keys=True) != json.dumps(run.get("metrics"), sort_keys=True):
            notes.append(f"runs {first['id']} and {run['id']} repeat one experiment with the same seeds but "
                         f"their metrics differ; counted once ({first['id']})")
    return list(kept.values()), notes


def group_runs(runs: list[dict], defaults: dict[str, dict]) -> list[Group]:
    """Runs grouped by experiment key, in the order their first run appears."""
    groups: dict[str, Group] = {}
    for run in runs:
        key = experiment_key(run, defaults)
        if key not in groups:
            name = run["pair_name"].split(" (split")[0]
            groups[key] = Group(key, run["method"], _base_pair(run["pair"]), name, _settings(run, defaults),
                                run["eval"])
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


def _valid_ndcg(group: Group, user_group: str) -> float:
    values = [((r.get("summary") or {}).get("valid_groups") or {}).get(user_group, {}).get("ndcg@10")
              for r in group.runs]
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else -math.inf


def _first_of(groups: list[Group]) -> Group | None:
    """Of several groups of one method: the one with most replicates, then the earliest."""
    return min(groups, key=lambda g: (-g.n, g.created, g.key)) if groups else None


def pick_baselines(groups: list[Group], pinned: str | None = None) -> dict[str, dict[str, Group]]:
    """{user group: {setting_key: baseline Group}} for every pair/eval setting present.
    `pinned`: a method name, or the id of a run whose group is the baseline."""
    out: dict[str, dict[str, Group]] = {g: {} for g in USER_GROUPS}
    for setting in {g.setting_key for g in groups}:
        here = [g for g in groups if g.setting_key == setting]
        of = lambda method: _first_of([g for g in here if g.method == method])  # noqa: E731
        for user_group in USER_GROUPS:
            if pinned:
                by_run = [g for g in here if any(r["id"] == pinned for r in g.runs)]
                chosen = by_run[0] if by_run else of(pinned)
            elif user_group == "cold":
                chosen = of("popularity")
            else:  # warm: the better of the two on validation data, never on test data
                found = [g for g in (of("popularity"), of("target_only")) if g is not None]
                chosen = max(found, key=lambda g: _valid_ndcg(g, "warm")) if found else None
            if chosen is not None:
                out[user_group][setting] = chosen
    return out


def _user_means(group: Group, user_group: str, metric: str, per_user: Callable) -> pd.DataFrame | None:
    """Each (split seed, user)'s metric averaged over the group's training seeds."""
    frames = []
    for run in group.runs:
        frame = per_user(run["id"])
        if frame is None:
            return None
        frame = frame[frame["group"] == user_group][["user", metric]]
        frames.append(frame.assign(split=str(split_seed_of(run))))
    if not frames:
        return None
    return pd.concat(frames).groupby(["split", "user"], as_index=False)[metric].mean()


def _mean(group: Group, user_group: str, metric: str) -> float | None:
    values = [r["metrics"].get(user_group, {}).get(metric) for r in group.runs]
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def _against(cell: dict, group: Group, base: Group, user_group: str, metric: str, per_user: Callable) -> None:
    """Ratio, difference (with its paired bootstrap CI) and the raw paired p-values."""
    base_mean = _mean(base, user_group, metric)
    if base_mean is None or cell["mean"] is None:
        return
    cell["baseline_mean"] = base_mean
    cell["ratio"] = cell["mean"] / base_mean if base_mean > 0 else None
    cell["difference"] = cell["mean"] - base_mean
    ours, theirs = _user_means(group, user_group, metric, per_user), _user_means(base, user_group, metric, per_user)
    if ours is None or theirs is None:
        return
    pairs = paired(ours, theirs, metric)
    if pairs.empty:
        return
    cell["paired_n"] = int(len(pairs))
    cell["paired_splits"] = int(pairs["split"].nunique())
    if set(ours["split"]) != set(theirs["split"]):  # only the shared splits are paired
        cell["difference"] = float((pairs["diff"] * pairs["weight"]).sum())
    cell["difference_ci95"] = difference_ci(pairs)
    cell["p_raw"] = paired_tests(pairs)


def compare(runs: list[dict], defaults: dict[str, dict], per_user: Callable[[str], pd.DataFrame | None],
            k: int = 10, baseline: str | None = None) -> dict:
    """The comparison of finished runs (the shape `python -m crossrec compare --json` prints)."""
    finished = [r for r in runs if r["status"] == "done" and r.get("metrics")]
    distinct, notes = distinct_replicates(finished, defaults)
    groups = group_runs(distinct, defaults)
    baselines = pick_baselines(groups, baseline)
    differing = differing_settings(groups)
    rows = []
    for group in groups:
        row = {"method": group.method, "pair": group.pair_name, "eval": group.eval,
               "settings": group.settings, "differing_settings": differing[group.key],
               "seeds": group.seeds, "split_seeds": group.split_seeds, "n": group.n,
               "run_ids": [r["id"] for r in group.runs], "setting": group.setting_key}
        for user_group in USER_GROUPS:
            base = baselines[user_group].get(group.setting_key)
            cells = {}
            for metric in metric_names(k):
                values = [r["metrics"].get(user_group, {}).get(metric) for r in group.runs]
                values = [v for v in values if v is not None]
                cell = describe(values) if values else {"mean": None, "std": None, "ci95": None, "n": 0}
                cell.update(baseline=base.method if base else None, is_baseline=base is group, ratio=None,
                            difference=None, difference_ci95=None, p_value=None)
                if base is not None and base is not group:
                    _against(cell, group, base, user_group, metric, per_user)
                cells[metric] = cell
            users = [r["metrics"].get(user_group, {}).get("n_users") for r in group.runs]
            cells["n_users"] = max((u for u in users if u is not None), default=0)
            row[user_group] = cells
        rows.append(row)
    _holm(rows, k)
    for row in rows:
        row["headline"] = headline(row, k)
    return {"groups": rows, "notes": notes, "test": TEST_NAME,
            "baseline": {user_group: sorted({g.method for g in baselines[user_group].values()})
                         for user_group in USER_GROUPS}}


def _holm(rows: list[dict], k: int) -> None:
    """Holm's correction per pair (and eval), user group, metric and test, across the groups
    compared there; then each cell's verdict from the adjusted p-values."""
    for setting in {row["setting"] for row in rows}:
        here = [row for row in rows if row["setting"] == setting]
        for user_group in USER_GROUPS:
            for metric in metric_names(k):
                cells = [row[user_group][metric] for row in here if row[user_group][metric].get("p_raw")]
                if not cells:
                    continue
                adjusted = {test: multipletests([c["p_raw"][test] for c in cells], alpha=ALPHA, method="holm")[1]
                            for test in TESTS}
                for i, cell in enumerate(cells):
                    cell["p_tests"] = {test: float(adjusted[test][i]) for test in TESTS}
                    cell["p_value"] = cell["p_tests"]["zsplit"]
                    cell["verdict"] = verdict(cell["difference"], cell["p_tests"], cell["paired_n"])
                    cell["test"] = (f"Wilcoxon signed-rank (zsplit; pratt {format_p(cell['p_tests']['pratt'])}; "
                                    f"paired t-test {format_p(cell['p_tests']['ttest'])}), Holm within the pair, "
                                    f"paired n = {cell['paired_n']} users over {cell['paired_splits']} split(s)")


def _num(value: float) -> str:
    return f"{value:.4f}" if abs(value) >= 1e-4 or value == 0 else f"{value:.2e}"


def _signed(value: float) -> str:
    return f"{value:+.4f}" if abs(value) >= 1e-4 or value == 0 else f"{value:+.2e}"


def ratio_text(ratio: float) -> str:
    return f"{ratio:.1f}x" if ratio >= 10 else f"{ratio:.2f}x"


def effect_text(cell: dict) -> str:
    """'23.3x (+0.1212 [0.1130, 0.1290])': the effect as a person says it."""
    if cell.get("difference") is None:
        return ""
    ratio = ratio_text(cell["ratio"]) if cell.get("ratio") is not None else "baseline is 0"
    ci = cell.get("difference_ci95")
    return f"{ratio} ({_signed(cell['difference'])}" + (f" [{_num(ci[0])}, {_num(ci[1])}])" if ci else ")")


def headline(row: dict, k: int = 10) -> str:
    """One sentence per experiment, written from the numbers (cold users where there are any)."""
    user_group = "cold" if row["cold"]["n_users"] else "warm"
    metric = f"ndcg@{k}"
    cell, users = row[user_group][metric], row[user_group]["n_users"]
    runs = f"{row['n']} run{'s' if row['n'] != 1 else ''}"
    name = f"{row['method']}"
    if cell["mean"] is None:
        return f"{name}: no {user_group} test users."
    if cell.get("is_baseline") or cell.get("difference") is None:
        role = f" (the {user_group} users' baseline)" if cell.get("is_baseline") else ""
        return f"{name}{role}: {user_group} users' NDCG@{k} is {_num(cell['mean'])} ({users} test users per run, {runs})."
    base = cell["baseline"]
    if cell.get("ratio") is not None:
        what = f"{ratio_text(cell['ratio'])} {base}'s ({_num(cell['mean'])} vs {_num(cell['baseline_mean'])}"
    else:
        what = f"{_num(cell['mean'])} where {base}'s is 0 (no ratio"
    ci = cell.get("difference_ci95")
    parts = [f"{_signed(cell['difference'])}" + (f" [{_num(ci[0])}, {_num(ci[1])}]" if ci else ""),
             f"{users} test users per run, {runs}"]
    if cell.get("verdict"):
        parts.append(cell["verdict"])
    return f"{name}: {user_group} users' NDCG@{k} is {what}; " + "; ".join(parts) + ")."
