"""Data commands: datasets, inspect."""

from __future__ import annotations

from crossrec.cli.common import add_pair_args, command, emit, pair_ref
from crossrec.data.catalog import list_pairs, load_pair


def cmd_datasets(args) -> int:
    rows = list_pairs()
    human = "\n".join(f"{r['name']:<24} {r['kind']:<10} {r['description']}" for r in rows)
    emit(args, {"pairs": rows}, human)
    return 0


def format_stats(stats: dict) -> str:
    s, t = stats["source"], stats["target"]
    return "\n".join([
        f"pair            {stats['pair']}  (split: {stats['split']})",
        f"source          {s['users']:,} users, {s['items']:,} items, {s['interactions']:,} interactions",
        f"target          {t['users']:,} users, {t['items']:,} items, {t['interactions']:,} interactions"
        f" (train {t['train']:,} / valid {t['valid']:,} / test {t['test']:,})",
        f"overlap users   {stats['overlap_users']:,}",
        f"test users      {stats['cold_test_users']:,} cold, {stats['warm_test_users']:,} warm"
        + (f", {stats['excluded_test_users']:,} excluded (no history in either domain)"
           if stats.get("excluded_test_users") else ""),
    ])


def cmd_inspect(args) -> int:
    pair = load_pair(pair_ref(args))
    stats = pair.stats()
    emit(args, stats, format_stats(stats) + "".join(f"\nnote            {n}" for n in pair.notes))
    return 0


def add_commands(sub) -> None:
    command(sub, "datasets", cmd_datasets, "list the catalog of domain pairs")
    add_pair_args(command(sub, "inspect", cmd_inspect, "figures of a domain pair"))
