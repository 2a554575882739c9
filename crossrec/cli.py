"""`python -m crossrec ...` (DESIGN §7). Errors: exit status 2 and one line on stderr.

Heavy modules (torch) are imported inside the commands that need them, so `datasets`,
`inspect`, `runs` and `show` start fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from crossrec.data.errors import DataError, SettingError

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad command-line usage; reported as one line with exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would print the usage block; we want one line
        raise UsageError(message)


def _emit(args, payload: dict, human: str) -> None:
    print(json.dumps(payload, default=str) if getattr(args, "json", False) else human, flush=True)


def add_pair_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("pair", nargs="?", help="catalog name (see `datasets`), e.g. synthetic")
    p.add_argument("--source", help="source domain file or split folder")
    p.add_argument("--target", help="target domain file or split folder")
    p.add_argument("--links", help="file of (source_user, target_user) rows")


def pair_ref(args) -> dict:
    """The pair reference named on the command line (catalog name, or --source/--target files)."""
    if args.source or args.target:
        if args.pair:
            raise UsageError("give either a catalog PAIR or --source/--target, not both")
        if not (args.source and args.target):
            raise UsageError("--source and --target must be given together")
        ref = {"source": str(Path(args.source).resolve()), "target": str(Path(args.target).resolve())}
        if args.links:
            ref["links"] = str(Path(args.links).resolve())
        return ref
    if args.links:
        raise UsageError("--links needs --source and --target")
    if not args.pair:
        raise UsageError("name a PAIR (e.g. synthetic) or give --source and --target")
    return {"catalog": args.pair}


def cmd_datasets(args) -> int:
    from crossrec.data.catalog import list_pairs
    rows = list_pairs()
    human = "\n".join(f"{r['name']:<24} {r['kind']:<10} {r['description']}" for r in rows)
    _emit(args, {"pairs": rows}, human)
    return 0


def format_stats(stats: dict) -> str:
    s, t = stats["source"], stats["target"]
    return "\n".join([
        f"pair            {stats['pair']}  (split: {stats['split']})",
        f"source          {s['users']:,} users, {s['items']:,} items, {s['interactions']:,} interactions",
        f"target          {t['users']:,} users, {t['items']:,} items, {t['interactions']:,} interactions"
        f" (train {t['train']:,} / valid {t['valid']:,} / test {t['test']:,})",
        f"overlap users   {stats['overlap_users']:,}",
        f"test users      {stats['cold_test_users']:,} cold, {stats['warm_test_users']:,} warm",
    ])


def cmd_inspect(args) -> int:
    from crossrec.data.catalog import load_pair
    pair = load_pair(pair_ref(args))
    stats = pair.stats()
    _emit(args, stats, format_stats(stats) + "".join(f"\nnote            {n}" for n in pair.notes))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m crossrec", description="CrossRec: cross-domain recommendation")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("datasets", help="list the catalog of domain pairs")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_datasets)

    p = sub.add_parser("inspect", help="figures of a domain pair")
    add_pair_args(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_inspect)

    from crossrec import cli_runs  # train/submit/show/... live beside, to keep this file short
    cli_runs.add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except (UsageError, DataError, SettingError) as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
