"""Wall time of a 16-trial cmf sweep on synthetic-tiny, by one worker at concurrency 1 and 2.

    python bench/sweep_speed.py [--trials 16] --json
    -> {"concurrency_1": {"seconds", "trials"}, "concurrency_2": {...}}
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def sweep(trials: int, concurrency: int) -> dict:
    env = {**os.environ, "CROSSREC_HOME": tempfile.mkdtemp(prefix="crossrec-sweep-")}
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "crossrec", "sweep", "synthetic-tiny", "--method", "cmf",
                          "--trials", str(trials), "--sampler", "random", "--concurrency", str(concurrency),
                          "--json"], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    return {"seconds": round(time.perf_counter() - started, 1), "trials": len(report["trials"]),
            "done": sum(t["status"] == "done" for t in report["trials"]),
            "best_valid_ndcg@10": report["best"]["valid"]["ndcg@10"]}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=16)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    result = {f"concurrency_{c}": sweep(args.trials, c) for c in (1, 2)}
    print(json.dumps(result) if args.json else "\n".join(f"{k:14} {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
