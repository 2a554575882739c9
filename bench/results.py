"""docs/RESULTS.md: every method on the real pairs of ../shared/data, from incremental rows.

    python bench/results.py run --pairs douban --methods cmf emcdr   # run, add/replace their rows
    python bench/results.py render                                   # write docs/RESULTS.md

Pairs: CDRIB Sport->Cloth (a given cold-start split, so 3 *training* seeds) and Douban
Book->Music (no given split: the protocol split, so 3 *split* seeds, training seed 0). Full
ranking, every method with its defaults (chosen on validation data only). Each run appends one
row to docs/results-data/<pair>.jsonl (replacing an earlier row of the same method and seeds)
and keeps its per-user test metrics in docs/results-data/per_user/, which the paired tests read.
Rendering uses the same comparison code as the dashboard (`crossrec.analysis.compare`).
"""

from __future__ import annotations

import argparse
import dataclasses
import fcntl
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crossrec.analysis.compare import compare  # noqa: E402
from crossrec.data.catalog import load_from_files  # noqa: E402
from crossrec.methods.registry import METHODS  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
DATA = ROOT / "docs" / "results-data"
NOTES = ROOT / "docs" / "results-notes.md"  # hand-written: why a method loses, what was tried


def cdrib_pair(tmp: Path, split_seed: int):
    links = tmp / "links.tsv"
    links.write_text("".join(f"{u}\t{u}\n" for u in range(9828)))
    base = SHARED / "amazon_cdrib_coldstart"
    return load_from_files(base / "sport_cloth", base / "cloth_sport", links, name="CDRIB Sport→Cloth")


def douban_pair(tmp: Path, split_seed: int):
    base = SHARED / "douban_book_music"
    return load_from_files(base / "douban_book" / "ratings.dat.gz", base / "douban_music" / "ratings.dat.gz",
                           name="Douban Book→Music", seed=split_seed)


def douban_liked_pair(tmp: Path, split_seed: int):
    """Douban with only the rows rated 4 or 5 counted as liked (`min_rating` 4)."""
    base = SHARED / "douban_book_music"
    return load_from_files(base / "douban_book" / "ratings.dat.gz", base / "douban_music" / "ratings.dat.gz",
                           name="Douban Book→Music", seed=split_seed, min_rating=4)


# key: (loader, what the three seeds vary)
PAIRS = {"cdrib": (cdrib_pair, "training"), "douban": (douban_pair, "split"),
         "douban-liked4": (douban_liked_pair, "split")}


def code_commit() -> str:
    """The commit the rows run with ("+dirty" when the tree has changes)."""
    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    commit = git("rev-parse", "HEAD")
    return commit + ("+dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def run_one(key: str, method: str, seed: int, tmp: Path) -> dict:
    from crossrec.methods.registry import get_method
    from crossrec.train.trainer import Trainer
    loader, vary = PAIRS[key]
    train_seed, split_seed = (seed, None) if vary == "training" else (0, seed)
    pair = loader(tmp, split_seed or 0)
    started = time.perf_counter()
    model = get_method(method)()
    result = Trainer(model, pair, device="auto", seed=train_seed).fit()
    per_user = DATA / "per_user" / key / f"{method}-t{train_seed}-s{split_seed}.parquet"
    per_user.parent.mkdir(parents=True, exist_ok=True)
    frames = [pd.DataFrame({n: v.numpy() for n, v in cols.items()}).assign(group=g)
              for g, cols in result.per_user.items()]
    pd.concat(frames, ignore_index=True).to_parquet(per_user, index=False)
    return {"pair": key, "pair_name": pair.name, "method": method, "seed": train_seed,
            "split_seed": split_seed, "seconds": round(time.perf_counter() - started, 1),
            "metrics": result.metrics, "valid_groups": result.valid_groups,
            "best_epoch": result.best_epoch, "at_cap": result.at_cap,
            "per_user": str(per_user.relative_to(ROOT)), "date": time.strftime("%Y-%m-%d"),
            "commit": code_commit(), "settings": dataclasses.asdict(model.settings),
            "min_rating": pair.min_rating}


def store_row(row: dict) -> None:
    """Add a row to its pair's file, replacing one of the same method and seeds."""
    path = DATA / f"{row['pair']}.jsonl"
    same = lambda r: (r["method"], r["seed"], r.get("split_seed")) == (row["method"], row["seed"], row["split_seed"])  # noqa: E731
    # Two `run` commands may finish at once (one per core): serialise the read-modify-write.
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        rows = [r for r in read_rows(path) if not same(r)] + [row]
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def read_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")] \
        if path.exists() else []


def as_run(row: dict) -> dict:
    """A result row in the shape of a stored run, for the comparison code."""
    return {"id": f"{row['pair']}:{row['method']}:t{row['seed']}:s{row.get('split_seed')}",
            "method": row["method"], "seed": row["seed"], "status": "done", "eval": "full",
            "pair": {"catalog": row["pair"], "split_seed": row.get("split_seed")},
            "pair_name": row["pair_name"], "settings": {}, "metrics": row["metrics"],
            "summary": {"valid_groups": row.get("valid_groups") or {},
                        "pair_stats": {"split": "given" if row.get("split_seed") is None else "protocol"}}}


def cap_of(row: dict) -> int:
    """The epoch cap of the phase that chose the row's best epoch: its recorded settings, or for
    rows that did not record them, today's default (`--epochs`; dann's adversarial phase and
    distill's student phase read the same setting)."""
    from crossrec.methods.catalog import read_card
    settings = row.get("settings") or {r["name"]: r["default"] for r in read_card(row["method"])["settings"]}
    return int(settings.get("map_epochs") if row["method"] in ("emcdr", "ptupcdr") else settings["epochs"])


def render(out: Path) -> None:
    from crossrec.analysis.compare_tables import mean_ci
    from crossrec.analysis.compare import effect_text
    from crossrec.train.trainer import at_cap
    lines = ["# Results on real cross-domain pairs", "",
             f"Rendered by `python bench/results.py render` ({time.strftime('%Y-%m-%d')}) from the "
             "rows in `docs/results-data/`, each added by `python bench/results.py run` on a 2-core CPU "
             "(the row's date, and for rows since 2026-12-05 its commit and full settings, are in the file). "
             "Every method runs with its defaults. **Every figure here is measured on the test split** "
             "(validation figures, where the notes quote them, say so). Full ranking of all target items; "
             "a user's training and validation items are masked; ties count against the held-out item "
             "(pessimistic ranks); per-user metrics averaged over test users. **Cold** users have no target "
             "training row but a source history (the users transfer exists for); **warm** users have "
             "target training rows.", "",
             "Cells: mean [95% t confidence interval] over three runs. *vs baseline*: the ratio of the "
             "means and their difference with a paired bootstrap 95% CI over test users, against the user "
             "group's baseline (popularity for cold users; for warm users the better of popularity and "
             "target_only on validation). *verdict*: Wilcoxon signed-rank test of the per-user differences "
             "(per split, each user's metric averaged over training seeds), zero differences split "
             "(zsplit), Holm-corrected across the methods of the table; where Pratt's zero handling "
             "disagrees at 0.05 the verdict says \"depends on the test\" with both p-values; n is the "
             "number of paired users (over all splits). "
             "*at cap*: runs whose best validation epoch was in the last 10% of their epoch cap (likely "
             "still improving). `time`: wall seconds per run, often beside other work. *commit*: the "
             "code the rows ran with (\"not recorded\": rows from before commits were kept; they ran "
             "with the defaults of their date).", ""]
    for key, (loader, vary) in PAIRS.items():
        rows = read_rows(DATA / f"{key}.jsonl")
        if not rows:
            continue
        result = compare([as_run(r) for r in rows], {}, per_user_loader(rows))
        name = rows[0]["pair_name"]
        seeds = sorted({r["split_seed"] if vary == "split" else r["seed"] for r in rows})
        lines += [f"## {name}", "",
                  f"Seeds varied: the {'data split (training seed 0)' if vary == 'split' else 'training seed (the split is given)'}"
                  f", {', '.join(map(str, seeds))}.", "",
                  "| method | n | cold NDCG@10 | cold HR@10 | cold vs baseline (NDCG@10) | cold verdict | warm NDCG@10 | warm vs baseline (NDCG@10) | warm verdict | at cap | time (s) | commit |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        by_method = {g["method"]: g for g in result["groups"]}
        for method in METHODS:
            group = by_method.get(method)
            if group is None:
                lines.append(f"| {method} | not run yet | | | | | | | | | | |")
                continue
            mine = [r for r in rows if r["method"] == method]
            capped = sum(at_cap(int(r["best_epoch"]), cap_of(r)) for r in mine if r.get("best_epoch"))
            commits = sorted({r["commit"][:10] if r.get("commit") else "not recorded" for r in mine})
            lines.append(
                f"| {method} | {group['n']} | {cell(group, 'cold', 'ndcg@10', mean_ci)} | {cell(group, 'cold', 'hr@10', mean_ci)} "
                f"| {against(group, 'cold', effect_text)} | {group['cold']['ndcg@10'].get('verdict', '')} "
                f"| {cell(group, 'warm', 'ndcg@10', mean_ci)} | {against(group, 'warm', effect_text)} "
                f"| {group['warm']['ndcg@10'].get('verdict', '')} "
                f"| {f'{capped} of {len(mine)}' if capped else ''} "
                f"| {sum(r['seconds'] for r in mine) / len(mine):.1f} | {', '.join(commits)} |")
        first = rows[0]["metrics"]
        lines += ["", f"Test users: {first['cold']['n_users']} cold, {first['warm']['n_users']} warm"
                  f" (split seed {rows[0].get('split_seed')})." if vary == "split" else
                  f"Test users: {first['cold']['n_users']} cold, {first['warm']['n_users']} warm."
                  + (" The given split tests cold users only." if not first["warm"]["n_users"] else ""), ""]
        lines += [f"- {g['headline']}" for g in result["groups"]] + [""]
    if NOTES.exists():
        lines += [NOTES.read_text().rstrip(), ""]
    out.write_text("\n".join(lines) + "\n")


def per_user_loader(rows: list[dict]):
    paths = {as_run(r)["id"]: ROOT / r["per_user"] for r in rows if r.get("per_user")}
    return lambda run_id: pd.read_parquet(paths[run_id]) if run_id in paths and paths[run_id].exists() else None


def cell(group: dict, user_group: str, metric: str, fmt) -> str:
    values = group[user_group][metric]
    if not group[user_group]["n_users"] or values["mean"] is None:
        return "–"
    return fmt(values)


def against(group: dict, user_group: str, effect_text) -> str:
    values = group[user_group]["ndcg@10"]
    if not group[user_group]["n_users"]:
        return "–"
    if values.get("is_baseline"):
        return "baseline"
    text = effect_text(values)
    return f"{text} vs {values['baseline']}" if text else "–"


def main() -> int:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run methods and add their rows")
    run.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    run.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    run.add_argument("--pairs", nargs="+", default=list(PAIRS), choices=list(PAIRS))
    out = sub.add_parser("render", help="write docs/RESULTS.md from the rows")
    out.add_argument("--out", default=str(ROOT / "docs" / "RESULTS.md"))
    args = ap.parse_args()
    if args.command == "render":
        render(Path(args.out))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        for key in args.pairs:
            for method in args.methods:
                for seed in args.seeds:
                    row = run_one(key, method, seed, Path(tmp))
                    store_row(row)
                    print(json.dumps({k: row[k] for k in ("pair", "method", "seed", "split_seed", "seconds")}),
                          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
