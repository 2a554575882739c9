"""`python -m crossrec.runs.child HOME`: one training process of a local worker.

Started ahead of time as the worker's spare: it imports torch and every method while it waits,
then reads one run id from stdin, trains that run (the worker has claimed it) and exits. It dies
with its worker: the worker sets PR_SET_PDEATHSIG, and this watch covers the moment before.
"""

from __future__ import annotations

import os
import sys
import threading
import time


def _watch_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(1)
        time.sleep(1.0)


EXIT_STORE_GONE = 3  # the run ended while the store stayed away: its worker fails it with that reason


def main(home: str) -> int:
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    from crossrec.errors import StoreError
    from crossrec.methods.registry import all_methods
    from crossrec.runs.execute import execute_run  # torch and every method, while we wait
    from crossrec.runs.open_store import open_store
    all_methods()
    run_id = sys.stdin.readline().strip()
    if not run_id:
        return 0
    try:
        execute_run(open_store(home), run_id)
    except StoreError as err:
        print(f"run {run_id}: {err}", file=sys.stderr, flush=True)
        return EXIT_STORE_GONE
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
