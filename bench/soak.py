"""Soak: two workers on one store, 40 tiny runs, 4 readers polling every 0.2 s and two CPU-bound
hog processes on the machine. Prints runs done / failed / lost, lock errors and peak RSS.

    python bench/soak.py [--runs 40] [--json]
    python bench/soak.py --outage sqlite --runs 6 --json     # the store locked 45 s mid-way
    python bench/soak.py --outage postgres --runs 6 --json   # PostgreSQL stopped 15 s mid-way

With --outage, one worker trains six slower runs (cmf, 150 epochs) beside the hogs; once two
runs are training, the SQLite store is write-locked by another process for 45 s, or the
PostgreSQL server (tests/servers.py) is stopped for 15 s. Every run must still end done.
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
    ap.add_argument("--outage", choices=("sqlite", "postgres"))
    args = ap.parse_args()
    home = tempfile.mkdtemp(prefix="crossrec-soak-")
    os.environ["CROSSREC_HOME"] = home
    if args.outage:
        return outage_soak(args, home)
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


def outage_soak(args, home: str) -> int:
    """Six runs, two hogs, one store outage while runs train: every run done, none lost."""
    from contextlib import ExitStack
    sys.path.insert(0, str(ROOT / "tests"))
    from crossrec.runs.open_store import open_store
    with ExitStack() as stack:
        control = None
        if args.outage == "postgres":
            from servers import fresh_database, postgres_controlled
            server, control = stack.enter_context(postgres_controlled())
            os.environ["CROSSREC_STORE"] = fresh_database(server)
        store = open_store(home)
        ids = [store.create_run({"catalog": "synthetic-tiny"}, "cmf", {"epochs": 150, "patience": 150, "dim": 16},
                                seed=k) for k in range(args.runs)]
        hogs = [multiprocessing.Process(target=hog, daemon=True) for _ in range(2)]
        for h in hogs:
            h.start()
        worker = subprocess.Popen([sys.executable, "-m", "crossrec", "worker", "--concurrency", "2"], cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        started, outage = time.time(), None
        try:
            while time.time() - started < args.timeout:
                runs = [store.get_run(i) for i in ids]
                if outage is None and sum(r["status"] == "running" and r["progress"] > 0 for r in runs) >= 2:
                    outage = time.time()
                    if control is not None:
                        control.stop()
                        time.sleep(15)
                        control.start()
                    else:
                        code = (f"import sqlite3, time; con = sqlite3.connect({str(store.path)!r}, isolation_level=None, "
                                f"timeout=60); con.execute('BEGIN IMMEDIATE'); time.sleep(45); con.execute('ROLLBACK')")
                        subprocess.run([sys.executable, "-c", code], check=True)
                    outage = time.time() - outage
                if all(r["status"] in ("done", "failed", "cancelled") for r in runs):
                    break
                time.sleep(1.0)
            worker_alive = worker.poll() is None
        finally:
            os.killpg(worker.pid, signal.SIGKILL)
            for h in hogs:
                h.terminate()
        runs = [store.get_run(i) for i in ids]
    result = {"outage": args.outage, "outage_seconds": round(outage or 0, 1), "runs": len(ids),
              "done": sum(r["status"] == "done" for r in runs), "failed": sum(r["status"] == "failed" for r in runs),
              "lost": sum(r["status"] in ("queued", "running") for r in runs), "worker_alive": worker_alive,
              "seconds": round(time.time() - started, 1),
              "failures": sorted({r["error"] for r in runs if r["status"] == "failed"})}
    print(json.dumps(result) if args.json else "\n".join(f"{k:14} {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
