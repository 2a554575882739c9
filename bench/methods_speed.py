"""Whole default runs of every method on one pair, each in a fresh process: seconds per epoch of
each phase, the final evaluation, peak memory and the run's wall time.

    python bench/methods_speed.py synthetic [--methods cmf dann] [--device cpu] --json
    python bench/methods_speed.py --source S --target T [--links L] --json
    -> {"methods": [{"name", "sec_per_epoch": {phase: seconds}, "eval_seconds", "peak_rss_mb",
                     "run_seconds", "threads"}]}
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def one(ref: dict, method: str, device: str) -> dict:
    from crossrec.data.catalog import load_pair
    from crossrec.eval import protocol
    from crossrec.methods.registry import get_method
    from crossrec.train.trainer import Trainer
    epochs: dict[str, list[float]] = {}
    evaluated = [0.0]
    real_evaluate = protocol.evaluate_per_user

    def timed(*args, **kwargs):  # the final test pass is what we time as "eval"
        started = time.perf_counter()
        out = real_evaluate(*args, **kwargs)
        if args[2] == "test":
            evaluated[0] += time.perf_counter() - started
        return out

    import crossrec.train.trainer as trainer_module
    trainer_module.evaluate_per_user = timed
    started = time.perf_counter()
    pair = load_pair(ref)
    result = Trainer(get_method(method)(), pair, device=device, seed=0,
                     callbacks=[lambda event, p: epochs.setdefault(p["phase"], []).append(p["seconds"])
                                if event == "epoch" else None]).fit()
    return {"name": method, "sec_per_epoch": {k: round(statistics.median(v), 4) for k, v in epochs.items()},
            "epochs": {k: len(v) for k, v in epochs.items()}, "eval_seconds": round(evaluated[0], 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "run_seconds": round(time.perf_counter() - started, 1), "threads": result.threads}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("pair", nargs="?")
    ap.add_argument("--source")
    ap.add_argument("--target")
    ap.add_argument("--links")
    ap.add_argument("--methods", nargs="+")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one method in this process
    args = ap.parse_args()
    from crossrec.methods.registry import METHODS
    ref = {"catalog": args.pair} if args.pair else {"source": str(Path(args.source).resolve()),
                                                       "target": str(Path(args.target).resolve()),
                                                       **({"links": str(Path(args.links).resolve())} if args.links else {})}
    if args.one:
        print(json.dumps(one(ref, args.one, args.device)), flush=True)
        return 0
    rows = []
    for method in args.methods or METHODS:
        out = subprocess.run([sys.executable, __file__, *sys.argv[1:], "--one", method], capture_output=True,
                             text=True, cwd=ROOT)
        line = (out.stdout.strip().splitlines() or ["{}"])[-1]
        rows.append(json.loads(line) if out.returncode == 0 else {"name": method, "error": out.stderr.strip()[-300:]})
        if not args.json:
            print(json.dumps(rows[-1]), flush=True)
    if args.json:
        print(json.dumps({"methods": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
