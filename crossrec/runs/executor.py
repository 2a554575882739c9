"""The executor seam: how runs get launched. The app and the CLI submit only through here.

`LocalExecutor` (the embedded default) queues the run in the store; a long-lived local worker
process (`python -m crossrec worker`) claims it and trains it in a child process.

`RayExecutor` (crossrec/runs/ray_executor.py, CROSSREC_EXECUTOR=ray) trains each run as a Ray
task on a cluster, with the shared PostgreSQL store (CROSSREC_STORE). `make_executor` picks one.

Pages and training code stay as they are: they only see RunStore rows and ArtifactStore files.
"""

from __future__ import annotations

import os

from crossrec.errors import SettingError
from crossrec.runs.request import RunRequest
from crossrec.runs.store import RunStore
from crossrec.runs.worker import ensure_worker

EXECUTOR_ENV = "CROSSREC_EXECUTOR"  # local (default) or ray


def make_executor(store: RunStore, sweep_driver=None):
    """The executor CROSSREC_EXECUTOR names: `local` (a local worker) or `ray` (a Ray cluster).
    `sweep_driver`: how a cluster executor steps sweeps (the local worker has its own hooks)."""
    kind = os.environ.get(EXECUTOR_ENV, "local").strip().lower() or "local"
    if kind == "local":
        return LocalExecutor(store)
    if kind == "ray":
        from crossrec.runs.ray_executor import RayExecutor
        return RayExecutor(store, sweep_driver)
    raise SettingError(f"{EXECUTOR_ENV}={kind!r} is not an executor; use local or ray")


class LocalExecutor:
    def __init__(self, store: RunStore, start_worker: bool = True):
        self.store, self.start_worker = store, start_worker

    def ensure_running(self) -> dict:
        """Make sure queued runs will be executed: a live local worker (started when none is).
        The app calls this once per server; a cluster executor would start nothing."""
        return ensure_worker(self.store)

    def submit(self, request: RunRequest) -> str:
        run_id = self.store.create_run(**request.as_dict())
        if self.start_worker:  # a worker may have died since the app started
            ensure_worker(self.store)
        return run_id

    def cancel(self, run_id: str) -> str | None:
        return self.store.request_cancel(run_id)

    def status(self) -> dict | None:
        """The live worker's record (None when none is alive); starts nothing."""
        live = self.store.live_workers()
        return live[0] if live else None
