"""The executor seam: how runs get launched. The app and the CLI submit only through here.

`LocalExecutor` (the embedded default) queues the run in the store; a long-lived local worker
process (`python -m crossrec worker`) claims it and trains it in a child process.

How a distributed backend plugs in (e.g. Ray, where each run asks for a GPU):

    class RayExecutor:
        def submit(self, request):             # same request dict as LocalExecutor.submit
            run_id = self.store.create_run(**request)     # a shared PostgreSQL RunStore
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

from crossrec.runs.store import RunStore
from crossrec.runs.worker import ensure_worker


class LocalExecutor:
    def __init__(self, store: RunStore, start_worker: bool = True):
        self.store, self.start_worker = store, start_worker

    def submit(self, pair: dict, method: str, settings: dict, seed: int = 0, device: str = "auto",
               eval_mode: str = "full") -> str:
        run_id = self.store.create_run(pair=pair, method=method, settings=settings, seed=seed,
                                       device=device, eval_mode=eval_mode)
        if self.start_worker:
            ensure_worker(self.store)
        return run_id

    def cancel(self, run_id: str) -> str | None:
        return self.store.request_cancel(run_id)

    def worker(self) -> dict:
        """The live worker's record (started when none is alive)."""
        return ensure_worker(self.store)
