"""`python -m crossrec.runs.child HOME RUNS`: one training process of a local worker.

Started ahead of time as the worker's spare: it imports torch and every method while it waits,
then trains up to RUNS runs in turn, each id read from stdin (the worker has claimed it), and
says on stdout which run ended; after the last one (or at the end of stdin) it exits. Importing
torch costs about as much CPU as a short lecture run, so a warm process takes the next run
instead of a fresh one importing again. A crash still ends only the run in hand: the worker fails
it with the exit code and starts another process. It dies with its worker: the worker sets
PR_SET_PDEATHSIG, and this watch covers the moment before.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from collections.abc import Callable


def _watch_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(1)
        time.sleep(1.0)


EXIT_STORE_GONE = 3  # the run ended while the store stayed away: its worker fails it with that reason


def take_stdout():
    """The process's stdout pipe, kept for saying which run ended; anything printed from here on
    goes to stderr (the worker's child log). Call before importing: a library may print."""
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    report = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    return report


def serve(report, runs: int, handle: Callable[[str], None]) -> int:
    """Handle up to `runs` run ids read from stdin in turn, saying on `report` which run ended;
    0 at the last one or at the end of stdin. Shared by training children and projection
    processes (`crossrec.runs.projections`)."""
    for _ in range(runs):
        run_id = sys.stdin.readline().strip()
        if not run_id:
            return 0
        handle(run_id)
        gc.collect()  # the next run starts from what this one held, not on top of it
        report.write(run_id + "\n")
    return 0


def main(home: str, runs: int) -> int:
    report = take_stdout()
    import torch

    from crossrec.errors import StoreError
    from crossrec.methods.registry import all_methods
    from crossrec.runs.execute import execute_run  # torch and every method, while we wait
    from crossrec.runs.open_store import open_store
    all_methods()

    def train(run_id: str) -> None:
        try:
            execute_run(open_store(home), run_id)
        except StoreError as err:
            print(f"run {run_id}: {err}", file=sys.stderr, flush=True)
            sys.exit(EXIT_STORE_GONE)
        if torch.cuda.is_available():
            torch.cuda.empty_cache()

    return serve(report, runs, train)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
