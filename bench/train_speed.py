"""Training and evaluation speed of one method on a pair, beside a plain PyTorch BPR loop.

    python bench/train_speed.py --source S --target T --method target_only --epochs 5 \
        [--set dim=64 --set batch_size=4096] [--device cpu] [--peer] [--cornac PYTHON] --json

Prints {"sec_per_epoch", "interactions_per_sec", "eval_seconds", "reference_eval_seconds",
"peak_rss_mb", ...}: epochs are timed without evaluation; eval_seconds is one full-ranking pass
over all test users; reference_eval_seconds is the bare matrix product plus top-k over the same
users (what the evaluator adds on top of that is its masking and metrics). --peer also times
the plain vectorised PyTorch BPR loop of ../shared/peers on the same machine in the same run;
--cornac PYTHON times Cornac's Cython BPR (one thread) with that interpreter (an environment that
has cornac, never this project's requirements), and both print our epoch as a ratio of theirs.
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

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crossrec.data.catalog import load_from_files, load_pair  # noqa: E402
from crossrec.eval.protocol import evaluate  # noqa: E402
from crossrec.methods.registry import get_method  # noqa: E402
from crossrec.methods.settings import check_values, parse_assignments, settings_schema  # noqa: E402
from crossrec.train.device import pick_device  # noqa: E402
from crossrec.train.seeding import seed_everything  # noqa: E402
from crossrec.tensors.pair_tensors import PairTensors  # noqa: E402
from crossrec.train.threads import choose_threads  # noqa: E402
from crossrec.train.trainer import train_step  # noqa: E402

PEERS = ROOT.parent / "shared" / "peers"


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def reference_eval(method, data, users, chunk=1024):
    """Matrix product + top-k only, same chunks: the floor any full-ranking evaluator pays."""
    started = time.perf_counter()
    with torch.no_grad():
        for start in range(0, users.numel(), chunk):
            torch.topk(method.score(users[start:start + chunk]), 20, dim=1)
    sync(data.device)
    return time.perf_counter() - started


def peer_seconds(epochs: int, python: str = sys.executable, script: str = "bench_torch.py",
                 key: str = "sec_per_epoch_median", extra: tuple[str, ...] = ()) -> float | None:
    """Seconds per epoch that a peer script of ../shared/peers prints on its RESULT line."""
    path = PEERS / script
    if not path.exists():
        return None
    out = subprocess.run([python, str(path), "--epochs", str(epochs), *extra], capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])[key]
    return None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--source")
    ap.add_argument("--target")
    ap.add_argument("--pair", default=None, help="catalog name instead of --source/--target")
    ap.add_argument("--method", default="target_only")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--device", default="auto")
    ap.add_argument("--peer", action="store_true")
    ap.add_argument("--cornac", metavar="PYTHON", help="an interpreter that can import cornac")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--threads", type=int, help="torch threads (default: the trainer's choice)")
    args = ap.parse_args()
    threads = args.threads or choose_threads()
    torch.set_num_threads(threads)
    pair = load_pair(args.pair) if args.pair else load_from_files(args.source, args.target)
    device = pick_device(args.device)
    data = PairTensors(pair, device)
    cls = get_method(args.method)
    method = cls(check_values(settings_schema(cls.Settings), parse_assignments(args.set), args.method))
    generator = seed_everything(0, device)
    method.setup(data, generator)
    epoch_times, rows = [], 0
    plan = method.plan()
    for phase in plan:
        if phase.on_start:
            phase.on_start()
        optimizers = phase.optimizers() if phase.optimizers else []
        for _ in range(args.epochs):
            sync(device)
            started = time.perf_counter()
            for batch in phase.batches(generator):
                train_step(phase, batch, optimizers)
            sync(device)
            epoch_times.append(time.perf_counter() - started)
        if phase.on_end:
            phase.on_end()
    names = [phase.name for phase in plan]
    rows = len(pair.target_train) if names == ["target"] else len(pair.target_train) + len(pair.source)
    method.model_.eval()
    users = data.users_of("test", "all")
    evaluate(method.score, data, "test")  # warm-up (allocations, kernels)
    sync(device)
    started = time.perf_counter()
    evaluate(method.score, data, "test")
    sync(device)
    eval_seconds = time.perf_counter() - started
    result = {"method": args.method, "device": str(device), "threads": threads, "epochs_timed": len(epoch_times),
              "sec_per_epoch": round(statistics.median(epoch_times), 4) if epoch_times else 0.0,
              "interactions_per_sec": round(rows / statistics.median(epoch_times)) if epoch_times else 0,
              "eval_seconds": round(eval_seconds, 3),
              "reference_eval_seconds": round(reference_eval(method, data, users), 3),
              "eval_users": int(users.numel()), "items": data.n_target_items,
              "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    if args.peer:
        peer = result["peer_plain_torch_sec_per_epoch"] = peer_seconds(args.epochs)
        result["ours_vs_plain_torch"] = round(result["sec_per_epoch"] / peer, 2) if peer else None
    if args.cornac:
        cornac = result["cornac_sec_per_epoch"] = peer_seconds(
            args.epochs, args.cornac, "bench_cornac.py", "sec_per_epoch_mean", ("--threads", "1", "--no-bias"))
        result["ours_vs_cornac"] = round(result["sec_per_epoch"] / cornac, 2) if cornac else None
    print(json.dumps(result) if args.json else "\n".join(f"{k:28} {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
