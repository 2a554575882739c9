"""Data commands: datasets (and `datasets fetch NAME`), inspect."""

from __future__ import annotations

from crossrec.cli.common import add_pair_args, command, emit, pair_ref
from crossrec.data.benchmarks import benchmarks
from crossrec.data.catalog import list_pairs, load_pair
from crossrec.errors import UsageError


def cmd_datasets(args) -> int:
    if args.action == "fetch":
        return _fetch(args)
    if args.action or args.name:
        raise UsageError(f"unknown datasets action {args.action!r}; use `datasets` or `datasets fetch NAME`")
    from crossrec.data.fetch import is_fetched
    rows = list_pairs()
    fetchable = [{"name": b.name, "description": b.description, "bytes": b.size(),
                  "downloaded": is_fetched(b.name)} for b in benchmarks().values()]
    human = "\n".join(f"{r['name']:<26} {r['kind']:<10} {r['description']}" for r in rows)
    human += "\n\nbenchmarks (python -m crossrec datasets fetch NAME):\n" + "\n".join(
        f"{b['name']:<26} {'downloaded' if b['downloaded'] else 'not downloaded':<15} "
        f"{b['bytes'] / 1e6:5.1f} MB  {b['description']}" for b in fetchable)
    emit(args, {"pairs": rows, "benchmarks": fetchable}, human)
    return 0


def _fetch(args) -> int:
    from tqdm import tqdm
    from crossrec.data.fetch import fetch
    if not args.name:
        raise UsageError("datasets fetch needs a benchmark NAME (see `datasets`)")
    bar = None

    def show(done: int, total: int) -> None:
        nonlocal bar
        if args.json:
            return
        bar = bar or tqdm(total=total, unit="B", unit_scale=True, desc=args.name)
        bar.update(done - bar.n)

    try:
        folder = fetch(args.name, show)
    finally:
        if bar is not None:
            bar.close()
    emit(args, {"name": args.name, "folder": str(folder)}, f"{args.name}: ready in {folder}")
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
    ] + ([f"liked           rating ≥ {stats['min_rating']:g}: kept "
          + ", ".join(f"{c['kept']:,} of {c['rows']:,} {d} rows" for d, c in stats["liked_rows"].items())]
         if stats.get("min_rating") is not None else []))


def cmd_inspect(args) -> int:
    pair = load_pair(pair_ref(args))
    stats = pair.stats()
    emit(args, stats, format_stats(stats) + "".join(f"\nnote            {n}" for n in pair.notes))
    return 0


def add_commands(sub) -> None:
    p = command(sub, "datasets", cmd_datasets, "list the catalog of domain pairs; `datasets fetch NAME` "
                                               "downloads a public benchmark pair")
    p.add_argument("action", nargs="?", help="fetch")
    p.add_argument("name", nargs="?", help="benchmark name, e.g. cdrib-sport-cloth")
    add_pair_args(command(sub, "inspect", cmd_inspect, "figures of a domain pair"))
