"""Runs through the local worker vs through Ray, and how fast Ray runs end when killed or cancelled.

    python bench/cluster_speed.py [--runs 8] [--json]

Starts a PostgreSQL server and a local Ray cluster with 2 CPUs (tests/servers.py: Debian's
PostgreSQL binaries, `ray start`), then trains `--runs` cmf runs on synthetic-tiny (3 epochs,
seeds 0..N-1) twice: through the local worker with concurrency 2 (SQLite store) and through the
Ray executor (PostgreSQL store), each timed from submission until every run is done (UMAP and
t-SNE come after that on both paths). Prints wall times side by side, Ray's overhead per run, and the
latency from killing a running task's worker process to its run ending `failed`, and from a
cancel to `cancelled` (goals: 60 s and 10 s).
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
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from crossrec.methods.catalog import all_cards  # noqa: E402
from crossrec.runs.request import validate_request  # noqa: E402
from crossrec.runs.open_store import open_store
from crossrec.runs.store import ACTIVE  # noqa: E402


def wait(check, timeout=3600):
    deadline = time.time() + timeout
    while not check():
        if time.time() > deadline:
            raise TimeoutError
        time.sleep(0.2)


def request(seed, epochs=3):
    """cmf on synthetic-tiny; a long run (epochs > 3) never stops early, so it is still running."""
    settings = {"epochs": epochs} if epochs <= 3 else {"epochs": epochs, "patience": 1000}
    return validate_request(all_cards(), {"catalog": "synthetic-tiny"}, "cmf", settings, seed, "auto", "full")


def local_wall(runs: int, home: Path) -> float:
    """Queue the runs, start a local worker (concurrency 2): seconds until every run is done."""
    store = open_store(home)
    ids = [store.create_run(**request(k).as_dict()) for k in range(runs)]
    started = time.perf_counter()
    worker = subprocess.Popen([sys.executable, "-m", "crossrec", "worker", "--concurrency", "2"], cwd=ROOT,
                              env={**os.environ, "CROSSREC_HOME": str(home)}, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        wait(lambda: all(store.get_run(i)["status"] not in ACTIVE for i in ids))
        wall = time.perf_counter() - started
    finally:
        worker.kill()  # its children die with it
        worker.wait()
    assert all(store.get_run(i)["status"] == "done" for i in ids)
    return wall


def ray_figures(runs: int, home: Path, postgres_url: str, ray_address: str) -> dict:
    from servers import fresh_database
    os.environ.update(CROSSREC_STORE=fresh_database(postgres_url), CROSSREC_EXECUTOR="ray",
                      RAY_ADDRESS=ray_address, CROSSREC_HOME=str(home))
    from crossrec.scheduling.executor import make_executor
    store = open_store(home)
    executor = make_executor(store)
    executor.ensure_running()
    started = time.perf_counter()
    ids = [executor.submit(request(k)) for k in range(runs)]
    wait(lambda: all(store.get_run(i)["status"] not in ACTIVE for i in ids))
    wall = time.perf_counter() - started
    assert all(store.get_run(i)["status"] == "done" for i in ids), [store.get_run(i)["error"] for i in ids]
    doomed, stopped = executor.submit(request(100, 400)), executor.submit(request(101, 400))
    wait(lambda: all(store.get_run(i)["status"] == "running" and store.count_metrics(i) for i in (doomed, stopped)))
    killed = time.time()
    os.kill(store.get_run(doomed)["worker_pid"], signal.SIGKILL)
    wait(lambda: store.get_run(doomed)["status"] != "running")
    kill_latency = time.time() - killed
    asked = time.time()
    executor.cancel(stopped)
    wait(lambda: store.get_run(stopped)["status"] != "running")
    executor.stop()
    return {"wall_s": wall, "kill_to_failed_s": kill_latency, "failed_with": store.get_run(doomed)["error"],
            "cancel_to_cancelled_s": time.time() - asked, "cancel_status": store.get_run(stopped)["status"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from servers import postgres_server, ray_cluster
    with tempfile.TemporaryDirectory() as tmp, postgres_server() as pg, ray_cluster(cpus=2) as address:
        local = local_wall(args.runs, Path(tmp) / "local")
        ray = ray_figures(args.runs, Path(tmp) / "ray", pg, address)
    figures = {"runs": args.runs, "local_worker_concurrency2_s": round(local, 2), "ray_2cpus_s": round(ray["wall_s"], 2),
               "ray_overhead_per_run_s": round((ray["wall_s"] - local) / args.runs, 2),
               "kill_to_failed_s": round(ray["kill_to_failed_s"], 2), "failed_with": ray["failed_with"],
               "cancel_to_cancelled_s": round(ray["cancel_to_cancelled_s"], 2), "cancel_status": ray["cancel_status"]}
    print(json.dumps(figures) if args.json else "\n".join(f"{k:32} {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
