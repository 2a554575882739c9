"""How much the machine itself drifts: the same warm training run (a default cmf run on `lecture`,
one thread, in one process, the same seed) again and again, its CPU seconds each time, with the
machine's steal seconds (other virtual machines) in between. Nothing in the run changes, so a
spread here is the host's (frequency, neighbours on shared caches), not the code's: the ruler
that the class bench's training CPU (bench/classroom.py --cpu) is read against.

    python bench/host_drift.py --json [--minutes 3] [--every 10]

Prints {"fits": [{"at_s", "cpu_s", "steal_s"}], "cpu_s_min", "cpu_s_max", "max_over_min"}.
Run it on an otherwise quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from cpu_by_process import machine_seconds  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=3.0)
    ap.add_argument("--every", type=float, default=10.0, help="seconds between the starts of two fits")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.minutes <= 0 or args.every <= 0:
        print("host_drift: --minutes and --every must be positive", file=sys.stderr)
        return 2
    os.environ["CROSSREC_THREADS"] = "1"
    from crossrec.data.catalog import load_pair
    from crossrec.methods.registry import get_method
    from crossrec.train.trainer import Trainer

    pair = load_pair("lecture")

    def fit() -> None:
        Trainer(get_method("cmf")({}), pair, device="cpu", seed=0, eval_mode="full").fit()

    fit()  # warm: the first fit in a process pays for lazy initialisation
    fits, started = [], time.perf_counter()
    while time.perf_counter() - started < args.minutes * 60:
        at, cpu, steal = time.perf_counter(), time.process_time(), machine_seconds()["steal"]
        fit()
        fits.append({"at_s": round(at - started, 1), "cpu_s": round(time.process_time() - cpu, 2),
                     "steal_s": round(machine_seconds()["steal"] - steal, 2)})
        time.sleep(max(0.0, args.every - (time.perf_counter() - at)))
    cpus = [f["cpu_s"] for f in fits]
    figures = {"fits": fits, "cpu_s_min": min(cpus), "cpu_s_max": max(cpus),
               "max_over_min": round(max(cpus) / min(cpus), 2)}
    print(json.dumps(figures) if args.json else "\n".join(f"{k}: {v}" for k, v in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
