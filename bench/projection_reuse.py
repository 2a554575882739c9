"""What a long-lived projection process saves: the CPU seconds of projecting N finished lecture
runs (alignment metrics, UMAP, t-SNE) in one `python -m crossrec.runs.projections HOME N`
process, as the worker does now, against N fresh processes of one run each, as it did before.

    python bench/projection_reuse.py --runs 3 --json

Prints {"runs", "one_process_cpu_s", "fresh_processes_cpu_s", "fresh_start_cpu_s"}: CPU (user +
system) of the projection processes, read from the kernel's accounting of waited-for children;
`fresh_start_cpu_s` is what each fresh process beyond the first paid on top of the work (imports,
numba's compile of UMAP): the difference over N - 1.
Both halves project the same runs (seeds 0..N-1, each trained twice: one copy per half), so
they do the same work. Run on a quiet machine to compare; the figure drifts with the host.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crossrec.runs.worker import ONE_THREAD  # noqa: E402  the projection processes' environment


def train(env: dict, seed: int) -> str:
    proc = subprocess.run([sys.executable, "-m", "crossrec", "train", "lecture", "--method", "emcdr",
                           "--seed", str(seed), "--json"], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])["run_id"]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def project(env: dict, home: str, run_ids: list[str]) -> float:
    """CPU seconds of one projection process given `run_ids` on stdin."""
    before = children_cpu()
    subprocess.run([sys.executable, "-m", "crossrec.runs.projections", home, str(len(run_ids))], cwd=ROOT, env=env,
                   input="".join(r + "\n" for r in run_ids), text=True, capture_output=True, check=True)
    return children_cpu() - before


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.runs < 2:
        parser.error("--runs must be at least 2 (one run costs the same either way)")
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, **ONE_THREAD, "CROSSREC_THREADS": "1", "CROSSREC_HOME": home}
        together = [train(env, seed) for seed in range(args.runs)]
        apart = [train(env, seed) for seed in range(args.runs)]
        one = project(env, home, together)
        fresh = sum(project(env, home, [run_id]) for run_id in apart)
    result = {"runs": args.runs, "one_process_cpu_s": round(one, 1), "fresh_processes_cpu_s": round(fresh, 1),
              "fresh_start_cpu_s": round((fresh - one) / (args.runs - 1), 1)}
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
