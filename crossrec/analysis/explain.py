"""One test user explained: their source history, held-out target items, and what each run
recommends them, read from the runs' stored top-K lists and held-out ranks (crossrec/eval/explain.py
computed them with the metrics' candidates and tie policy). Torch-free, for the Explain page and
the report."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crossrec.data.pair import DomainPair

HIT = "✓ "


@dataclass
class RunLists:
    """A run's stored lists: `top` (user, group, position, item), `held` (user, group, item, rank)."""
    label: str
    top: pd.DataFrame
    held: pd.DataFrame


def test_users(runs: list[RunLists], group: str) -> np.ndarray:
    """Users of `group` that every run has lists for (sorted indices)."""
    sets = [set(r.top.loc[r.top["group"] == group, "user"]) for r in runs]
    return np.array(sorted(set.intersection(*sets)) if sets else [], dtype=np.int64)


def _name(raw: str, titles: dict[str, str]) -> str:
    return titles.get(raw, str(raw))


def source_history(pair: DomainPair, user: int, titles: dict[str, str]) -> pd.DataFrame:
    items = pair.source.items[pair.source.users == user]
    raw = pair.source_item_raw[items]
    return pd.DataFrame({"item": raw, "title": [_name(r, titles) for r in raw]})


def explain(pair: DomainPair, runs: list[RunLists], user: int, titles: dict[str, dict[str, str]],
            k: int = 10) -> dict:
    """{"history": items in the source, "heldout": held-out target items with each run's rank
    (1-based), "lists": top-k of each run side by side (hits marked), "hits": hits per run}."""
    target_titles = titles.get("target", {})
    held_items = pair.target_test.items[pair.target_test.users == user]
    heldout = pd.DataFrame({"item": pair.target_item_raw[held_items],
                            "title": [_name(r, target_titles) for r in pair.target_item_raw[held_items]]})
    lists, hits = {}, {}
    for run in runs:
        ranks = run.held[run.held["user"] == user].set_index("item")["rank"]
        heldout[f"rank · {run.label}"] = [int(ranks[i]) + 1 if i in ranks.index else None for i in held_items]
        top = run.top[run.top["user"] == user].sort_values("position")["item"].to_numpy()[:k]
        held_set = set(ranks[ranks < k].index)
        lists[run.label] = [(HIT if i in held_set else "") + _name(pair.target_item_raw[i], target_titles)
                            for i in top]
        hits[run.label] = len(held_set)
    width = max((len(v) for v in lists.values()), default=0)
    table = pd.DataFrame({label: v + [""] * (width - len(v)) for label, v in lists.items()},
                         index=pd.RangeIndex(1, width + 1, name="rank"))
    return {"history": source_history(pair, user, titles.get("source", {})), "heldout": heldout,
            "lists": table, "hits": hits}
