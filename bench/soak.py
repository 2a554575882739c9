"""Soak: two workers on one store, 40 tiny runs, 4 readers polling every 0.2 s and two CPU-bound
hog processes on the machine. Prints runs done / failed / lost, lock errors and peak RSS.

    python bench/soak.py [--runs 40] [--json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def hog() -> None:
    while True:
        pass


def home_processes(home: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get("CROSSREC_HOME") == home:
                found.append(proc)
        except psutil.Error:
            continue
    return found


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="crossrec-soak-")
    os.environ["CROSSREC_HOME"] = home
    from crossrec.runs.open_store import open_store
    store = open_store(home)
    ids = [store.create_run({"catalog": "synthetic-tiny"}, "cmf" if k % 4 == 0 else "popularity",
                            {"epochs": 2, "dim": 8} if k % 4 == 0 else {}, seed=k) for k in range(args.runs)]
    hogs = [multiprocessing.Process(target=hog, daemon=True) for _ in range(2)]
    for h in hogs:
        h.start()
    workers = [subprocess.Popen([sys.executable, "-m", "crossrec", "worker"], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
               for _ in range(2)]
    errors, polls, peak_rss, stop = [], [0], [0.0], threading.Event()

    def reader():
        local = open_store(home)
        while not stop.is_set():
            try:
                for run in local.list_runs(limit=50):
                    local.metrics(run["id"])
                polls[0] += 1
            except Exception as err:  # noqa: BLE001 - counted: what the soak looks for
                errors.append(repr(err))
            time.sleep(0.2)

    readers = [threading.Thread(target=reader, daemon=True) for _ in range(4)]
    for r in readers:
        r.start()
    started = time.time()
    try:
        while time.time() - started < args.timeout:
            rss = sum(p.memory_info().rss for p in home_processes(home) if p.is_running())
            peak_rss[0] = max(peak_rss[0], rss / 2**20)
            if all(store.get_run(i)["status"] in ("done", "failed", "cancelled") for i in ids):
                break
            time.sleep(1.0)
    finally:
        stop.set()
        for w in workers:
            os.killpg(w.pid, signal.SIGKILL)
        for h in hogs:
            h.terminate()
    runs = [store.get_run(i) for i in ids]
    result = {"runs": len(ids), "done": sum(r["status"] == "done" for r in runs),
              "failed": sum(r["status"] == "failed" for r in runs),
              "lost": sum(r["status"] in ("queued", "running") for r in runs),
              "lock_errors": sum("locked" in e for e in errors), "other_errors": len(errors) - sum("locked" in e for e in errors),
              "reader_polls": polls[0], "peak_rss_mb": round(peak_rss[0], 1),
              "seconds": round(time.time() - started, 1),
              "failures": sorted({r["error"] for r in runs if r["status"] == "failed"})}
    print(json.dumps(result) if args.json else "\n".join(f"{k:14} {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
