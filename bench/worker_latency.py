"""Time from `submit` to the first metric row with a warm worker, and the worker's idle memory.

    python bench/worker_latency.py [--runs 3]
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

from crossrec.runs.open_store import open_store


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "CROSSREC_HOME": home}
        worker = subprocess.Popen([sys.executable, "-m", "crossrec", "worker"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        store = open_store(home)
        try:
            time.sleep(8)  # let the worker start and its spare child import torch
            idle = {"worker_rss_mb": round(rss_mb(worker.pid), 1)}
            latencies = []
            for k in range(args.runs):
                submitted = time.time()
                run_id = store.create_run({"catalog": "synthetic"}, "cmf", {"epochs": 3}, seed=k)
                while store.count_metrics(run_id) == 0:
                    time.sleep(0.02)
                latencies.append(time.time() - submitted)
                while store.get_run(run_id)["status"] in ("queued", "running"):
                    time.sleep(0.1)
                time.sleep(5)  # the next spare child warms up
            print(json.dumps({"submit_to_first_metric_row_s": [round(x, 2) for x in latencies], **idle}))
        finally:
            os.killpg(worker.pid, signal.SIGKILL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
