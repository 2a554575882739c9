"""The teaching sweep "transfer vs domain shift": cmf, emcdr and popularity on a synthetic pair
(the `lecture` scenario by default, sized for a live demo)
whose `shift` knob goes from 0 (same tastes in both domains) to 1 (unrelated tastes), a grid
sweep per method and seed; the curve is cold NDCG@10 against shift, mean ± std over seeds."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from crossrec.runs.store import RunStore
from crossrec.sweeps.driver import create_sweep

METHODS = ("cmf", "emcdr", "popularity")
SHIFTS = (0.0, 0.25, 0.5, 0.75, 1.0)
SEEDS = (0, 1)
DEMO_FILE = "demo_shift.json"  # the demo's sweep ids, kept in the run home


def launch_shift_demo(store: RunStore, cards: list[dict], pair: str = "lecture", methods=METHODS,
                      shifts=SHIFTS, seeds=SEEDS, fixed: dict | None = None, owner: str = "") -> list[str]:
    """One grid sweep over `shift` per method and seed; returns their ids (also kept in the home)."""
    by_name = {c["name"]: c for c in cards}
    space_shift = {"kind": "choice", "choices": list(shifts), "target": "knob"}
    ids = []
    for method in methods:
        space = {"shift": space_shift, **{k: {"kind": "fixed", "value": v, "target": "setting"}
                                          for k, v in (fixed or {}).items() if method != "popularity"}}
        for seed in seeds:
            ids.append(create_sweep(store, by_name[method], {"catalog": pair}, space, len(shifts), "grid",
                                    False, 0, seed, owner=owner))
    (store.home / DEMO_FILE).write_text(json.dumps(ids))
    return ids


def demo_sweeps(store: RunStore) -> list[str]:
    path = store.home / DEMO_FILE
    return json.loads(path.read_text()) if path.exists() else []


def shift_curve(store: RunStore, sweep_ids: list[str], metric: str = "ndcg@10") -> pd.DataFrame:
    """method, shift, mean, std (ddof=1, over seeds), n, from the demo's finished trials."""
    rows = []
    for sweep_id in sweep_ids:
        sweep = store.get_sweep(sweep_id)
        for run in store.sweep_runs(sweep_id):
            if run["status"] != "done":
                continue
            knobs = dict(p.split("=") for p in run["pair"]["catalog"].partition(":")[2].split(",") if p)
            rows.append({"method": sweep["method"], "shift": float(knobs["shift"]), "seed": run["seed"],
                         "value": run["metrics"]["cold"][metric]})
    frame = pd.DataFrame(rows, columns=["method", "shift", "seed", "value"])
    if frame.empty:
        return pd.DataFrame(columns=["method", "shift", "mean", "std", "n"])
    out = frame.groupby(["method", "shift"])["value"].agg(["mean", "std", "count"]).reset_index()
    out = out.rename(columns={"count": "n"})
    out["std"] = np.where(out["n"] > 1, out["std"], np.nan)
    return out
