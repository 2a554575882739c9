"""The lecture pair's promise, measured: every method's default run on `lecture` (wall seconds
of `python -m crossrec train lecture --method M`, one after another) with its cold NDCG@10, and
the Home page's shift demo (30 runs through a real worker) from launch to its last run done.

    python bench/lecture_speed.py --json [--no-demo]

Prints {"pair", "methods": [{"name", "seconds", "cold_ndcg@10"}], "demo_seconds"} (null with
--no-demo). Times drift with the machine's load: run it on a quiet machine to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crossrec.methods.catalog import all_cards  # noqa: E402
from crossrec.methods.registry import METHODS  # noqa: E402
from crossrec.runs.open_store import open_store  # noqa: E402
from crossrec.sweeps.demo import launch_shift_demo  # noqa: E402

PAIR = "lecture"


def default_run(method: str, env: dict) -> dict:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "crossrec", "train", PAIR, "--method", method, "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"name": method, "seconds": round(seconds, 1), "cold_ndcg@10": round(result["metrics"]["cold"]["ndcg@10"], 4)}


def demo_seconds(env: dict, home: str) -> float:
    """Launch the shift demo as the Home page does, start a worker, time until every run is done."""
    store = open_store(home)
    started = time.perf_counter()
    ids = launch_shift_demo(store, all_cards(), PAIR)
    worker = subprocess.Popen([sys.executable, "-m", "crossrec", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while True:
            sweeps = [store.get_sweep(i) for i in ids]
            if all(s["status"] != "running" for s in sweeps):
                break
            time.sleep(0.5)
        return round(time.perf_counter() - started, 1)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--no-demo", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as runs_home, tempfile.TemporaryDirectory() as demo_home:
        env = {**os.environ, "CROSSREC_HOME": runs_home}
        methods = [default_run(m, env) for m in METHODS]
        demo = None if args.no_demo else demo_seconds({**os.environ, "CROSSREC_HOME": demo_home}, demo_home)
    figures = {"pair": PAIR, "methods": methods, "demo_seconds": demo}
    print(json.dumps(figures) if args.json else "\n".join(
        [f"{m['name']:<12} {m['seconds']:>6.1f} s  cold NDCG@10 {m['cold_ndcg@10']:.4f}" for m in methods]
        + [f"demo (30 runs) {demo} s"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
