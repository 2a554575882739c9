"""What every command shares: the one-line argument parser, output, and naming a pair."""

from __future__ import annotations

import argparse
import json
import os

from crossrec.data.ratings import check_min_rating
from crossrec.errors import UsageError
from crossrec.runs.request import check_seed


class Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would print the usage block; we want one line
        raise UsageError(message)


def command(sub, name: str, func, help: str, json: bool = True) -> argparse.ArgumentParser:
    """A subcommand running `func(args)`, with `--json` unless told otherwise."""
    p = sub.add_parser(name, help=help)
    if json:
        p.add_argument("--json", action="store_true")
    p.set_defaults(func=func)
    return p


def emit(args, payload: dict, human: str) -> None:
    print(json.dumps(payload, default=str) if getattr(args, "json", False) else human, flush=True)


def add_pair_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("pair", nargs="?", help="catalog name (see `datasets`), e.g. synthetic")
    p.add_argument("--source", help="source domain file or split folder")
    p.add_argument("--target", help="target domain file or split folder")
    p.add_argument("--links", help="file of (source_user, target_user) rows")
    p.add_argument("--split-seed", help="seed of the protocol split (pairs without a given test), 0..2^32-1")
    p.add_argument("--min-rating", help="with --source/--target: rows rated below this are dropped "
                                        "before anything is built (a pair folder sets min_rating in pair.json)")


def pair_ref(args) -> dict:
    """The pair reference named on the command line (catalog name, or --source/--target files),
    with its split seed when one is given."""
    ref = _files_or_name(args)
    if getattr(args, "min_rating", None) is not None:
        if "catalog" in ref:
            raise UsageError("--min-rating applies to --source/--target files; a pair folder sets "
                             "min_rating in its pair.json")
        ref["min_rating"] = check_min_rating(args.min_rating, "--min-rating")
    if getattr(args, "split_seed", None) is not None:
        ref["split_seed"] = check_seed(args.split_seed, "split seed")
    return ref


def _files_or_name(args) -> dict:
    if args.source or args.target:
        if args.pair:
            raise UsageError("give either a catalog PAIR or --source/--target, not both")
        if not (args.source and args.target):
            raise UsageError("--source and --target must be given together")
        # absolute, not resolved: a symlink loop is the reader's one-line error, not a traceback
        ref = {"source": os.path.abspath(args.source), "target": os.path.abspath(args.target)}
        if args.links:
            ref["links"] = os.path.abspath(args.links)
        return ref
    if args.links:
        raise UsageError("--links needs --source and --target")
    if not args.pair:
        raise UsageError("name a PAIR (e.g. synthetic) or give --source and --target")
    return {"catalog": args.pair}
