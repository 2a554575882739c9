"""Regenerate docs/RESULTS.md: every method on the real pairs of ../shared/data, 3 seeds each.

    python bench/results.py [--seeds 0 1 2] [--methods cmf emcdr ...] [--pairs cdrib douban]

Pairs: CDRIB Sport->Cloth (given cold-start split, link file for users 0..9827) and Douban
Book->Music (no split: the protocol of docs/ARCHITECTURE.md, "Evaluation"). Full ranking, every method with its defaults.
Prints one JSON line per run and writes the markdown table (mean ± std, time per run).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crossrec.data.catalog import load_from_files  # noqa: E402
from crossrec.methods.registry import MODULES, get_method  # noqa: E402
from crossrec.train.trainer import Trainer  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
NOTES = ROOT / "docs" / "results-notes.md"  # hand-written: why a method loses, what was tried


def cdrib_pair(tmp: Path):
    links = tmp / "links.tsv"
    links.write_text("".join(f"{u}\t{u}\n" for u in range(9828)))
    base = SHARED / "amazon_cdrib_coldstart"
    return load_from_files(base / "sport_cloth", base / "cloth_sport", links, name="CDRIB Sport→Cloth")


def douban_pair(tmp: Path):
    base = SHARED / "douban_book_music"
    return load_from_files(base / "douban_book" / "ratings.dat.gz", base / "douban_music" / "ratings.dat.gz",
                           name="Douban Book→Music")


PAIRS = {"cdrib": cdrib_pair, "douban": douban_pair}


def fmt(values: list[float]) -> str:
    return f"{np.mean(values):.4f} ± {np.std(values):.4f}"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--methods", nargs="+", default=list(MODULES))
    ap.add_argument("--pairs", nargs="+", default=list(PAIRS))
    ap.add_argument("--out", default=str(ROOT / "docs" / "RESULTS.md"))
    ap.add_argument("--render", nargs="+", metavar="JSONL",
                    help="only write the markdown from rows printed by earlier runs of this script")
    args = ap.parse_args()
    command = " ".join(["python bench/results.py", *sys.argv[1:]])
    if args.render:
        rows = [json.loads(line) for path in args.render for line in open(path) if line.startswith("{")]
        seeds = " ".join(map(str, sorted({r["seed"] for r in rows})))
        write_markdown(rows, Path(args.out),
                       f"Rendered by `{command}` from the rows that "
                       f"`python bench/results.py --seeds {seeds}` printed (pairs and methods ran as "
                       "separate processes)")
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for key in args.pairs:
            pair = PAIRS[key](Path(tmp))
            for method in args.methods:
                for seed in args.seeds:
                    started = time.perf_counter()
                    result = Trainer(get_method(method)(), pair, device="auto", seed=seed).fit()
                    row = {"pair": pair.name, "method": method, "seed": seed,
                           "seconds": time.perf_counter() - started, "metrics": result.metrics,
                           "best_epoch": result.best_epoch}
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    write_markdown(rows, Path(args.out), f"Produced by `{command}`")
    return 0


def write_markdown(rows: list[dict], out: Path, provenance: str) -> None:
    lines = ["# Results on real cross-domain pairs", "",
             f"{provenance} on a 2-core CPU "
             f"({time.strftime('%Y-%m-%d')}). Every method runs with its default settings; full "
             "ranking of all target items, the user's target training items masked; per-user metrics "
             "averaged over test users; mean ± std over seeds. **Cold** users have no target training "
             "interaction (the users cross-domain transfer exists for), **warm** users have some. "
             "`time` is wall seconds per run (training, validation and test), often with another "
             "benchmark sharing the CPU. Rows marked *not run yet* are missing, not hidden.", ""]
    for pair in dict.fromkeys(r["pair"] for r in rows):
        sel = [r for r in rows if r["pair"] == pair]
        pop = [r["metrics"]["cold"].get("ndcg@10", 0) for r in sel if r["method"] == "popularity"]
        lines += [f"## {pair}", "",
                  "| method | cold NDCG@10 | cold HR@10 | cold MRR | warm NDCG@10 | warm HR@10 | beats popularity (cold NDCG@10) | time (s) |",
                  "|---|---|---|---|---|---|---|---|"]
        for method in MODULES:
            mr = [r for r in sel if r["method"] == method]
            if not mr:
                lines.append(f"| {method} | not run yet | | | | | | |")
                continue
            seeds = f" ({len(mr)} seed{'s' if len(mr) > 1 else ''})" if len(mr) < 3 else ""

            def col(group, metric):
                vals = [r["metrics"][group].get(metric) for r in mr if r["metrics"][group].get("n_users")]
                return fmt(vals) if vals else "–"
            cold = [r["metrics"]["cold"].get("ndcg@10", 0) for r in mr]
            verdict = "–" if method == "popularity" or not pop or not mr[0]["metrics"]["cold"].get("n_users") \
                else ("yes" if np.mean(cold) > np.mean(pop) else "**no**")
            lines.append(f"| {method}{seeds} | {col('cold', 'ndcg@10')} | {col('cold', 'hr@10')} | {col('cold', 'mrr')} "
                         f"| {col('warm', 'ndcg@10')} | {col('warm', 'hr@10')} | {verdict} "
                         f"| {np.mean([r['seconds'] for r in mr]):.1f} |")
        users = sel[0]["metrics"]
        lines += ["", f"Test users: {users['cold']['n_users']} cold, {users['warm']['n_users']} warm."
                  + (" The given split tests cold users only, so the warm columns are empty."
                     if not users["warm"]["n_users"] else ""), ""]
    if NOTES.exists():
        lines += [NOTES.read_text().rstrip(), ""]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
