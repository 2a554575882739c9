"""The executor seam: how runs get launched. The app and the CLI submit only through here.

`LocalExecutor` (the embedded default) queues the run in the store; a long-lived local worker
process (`python -m crossrec worker`) claims it and trains it in a child process.

How a distributed backend plugs in (e.g. Ray, where each run asks for a GPU):

    class RayExecutor:
        def submit(self, request):             # the same RunRequest as LocalExecutor.submit
            run_id = self.store.create_run(**request.as_dict())   # a shared PostgreSQL RunStore
            train_task.options(num_gpus=1).remote(self.store_url, run_id)
            return run_id

        def cancel(self, run_id):             # the task's heartbeat sees the flag, as here
            return self.store.request_cancel(run_id)

    @ray.remote
    def train_task(store_url, run_id):
        store = PostgresRunStore(store_url)
        store.start_run(run_id, os.getpid())
        execute_run(store, run_id)            # crossrec.runs.execute: unchanged

Pages and training code stay as they are: they only see RunStore rows and ArtifactStore files.
"""

from __future__ import annotations

from crossrec.runs.request import RunRequest
from crossrec.runs.store import RunStore
from crossrec.runs.worker import ensure_worker


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
