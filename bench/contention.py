"""Speed of a training epoch on a busy machine: the target-only BPR epoch of the DisenCDR
Sport->Cloth target alone, beside one CPU-bound hog, and as two runs at once through the worker,
each at the default thread choice (crossrec/train/threads.py).

    python bench/contention.py [--epochs 3] --json
    -> {"alone": {"sec_per_epoch", "threads"}, "beside_hog": {...}, "two_runs": {"sec_per_epoch", "threads"}}
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data" / "amazon_disencdr"
SETTINGS = ["--set", "dim=64", "--set", "batch_size=4096"]


def hog() -> None:
    while True:
        pass


def epoch_alone(epochs: int) -> dict:
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "train_speed.py"), "--source",
                          str(DATA / "sport_cloth"), "--target", str(DATA / "cloth_sport"),
                          "--method", "target_only", "--epochs", str(epochs), "--device", "cpu",
                          *SETTINGS, "--json"], capture_output=True, text=True, check=True, cwd=ROOT)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return {"sec_per_epoch": result["sec_per_epoch"], "threads": result["threads"]}


def two_runs(epochs: int) -> dict:
    from crossrec.runs.open_store import open_store
    home = tempfile.mkdtemp(prefix="crossrec-contention-")
    env = {**os.environ, "CROSSREC_HOME": home}
    ids = []
    for seed in (0, 1):
        out = subprocess.run([sys.executable, "-m", "crossrec", "submit", "--source", str(DATA / "sport_cloth"),
                              "--target", str(DATA / "cloth_sport"), "--method", "target_only", *SETTINGS,
                              "--set", f"epochs={epochs}", "--set", f"patience={epochs}", "--seed", str(seed),
                              "--json"], capture_output=True, text=True, check=True, cwd=ROOT, env=env)
        ids.append(json.loads(out.stdout)["run_id"])
    worker = subprocess.Popen([sys.executable, "-m", "crossrec", "worker", "--concurrency", "2"], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    store = open_store(home)
    try:
        while any(store.get_run(i)["status"] in ("queued", "running") for i in ids):
            time.sleep(1.0)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
    seconds = [row["value"] for i in ids for row in store.metrics(i) if row["name"] == "time_epoch_seconds"]
    threads = [t for i in ids for t in (store.get_run(i)["summary"] or {}).get("threads", [])]
    return {"sec_per_epoch": round(sorted(seconds)[len(seconds) // 2], 4) if seconds else None,
            "threads": threads, "status": [store.get_run(i)["status"] for i in ids]}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if not DATA.exists():
        print(f"shared data not found: {DATA}", file=sys.stderr)
        return 2
    result = {"alone": epoch_alone(args.epochs)}
    process = multiprocessing.Process(target=hog, daemon=True)
    process.start()
    try:
        time.sleep(5)  # let the load average see the hog
        result["beside_hog"] = epoch_alone(args.epochs)
    finally:
        process.terminate()
    result["two_runs"] = two_runs(args.epochs)
    print(json.dumps(result) if args.json else "\n".join(f"{k:12} {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
