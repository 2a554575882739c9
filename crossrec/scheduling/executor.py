"""The executor seam: how the app and the CLI hand runs over. Both executors queue the run in
the store; what differs is who runs the scheduler that launches it.

`LocalExecutor` (the default): a detached local worker process (`python -m crossrec worker`, a
scheduler over `LocalLauncher`), started when none is alive.
`RayExecutor` (CROSSREC_EXECUTOR=ray, with the shared PostgreSQL store, CROSSREC_STORE): a
scheduler over `RayLauncher` in a thread of this process, which is the Ray driver: its tasks live
as long as it does. Pages see only store rows and artifact files.
"""

from __future__ import annotations

import os
import threading

from crossrec.errors import SettingError
from crossrec.runs.request import RunRequest
from crossrec.runs.store import RunStore, owner_cap
from crossrec.runs.worker import ensure_worker
from crossrec.scheduling.scheduler import Scheduler, Scope

EXECUTOR_ENV = "CROSSREC_EXECUTOR"  # local (default) or ray


def executor_kind() -> str:
    kind = os.environ.get(EXECUTOR_ENV, "local").strip().lower() or "local"
    if kind not in ("local", "ray"):
        raise SettingError(f"{EXECUTOR_ENV}={kind!r} is not an executor; use local or ray")
    return kind


def make_executor(store: RunStore):
    """The executor CROSSREC_EXECUTOR names: `local` (a local worker) or `ray` (a Ray cluster)."""
    return LocalExecutor(store) if executor_kind() == "local" else RayExecutor(store)


class LocalExecutor:
    kind = "local"

    def __init__(self, store: RunStore):
        self.store = store

    def ensure_running(self) -> dict:
        """A live local worker (started when none is: it leaves after a while with nothing to do)."""
        return ensure_worker(self.store)

    def submit(self, request: RunRequest, start: bool = True) -> str:
        """Queue a run (refused, storing nothing, past its owner's cap); `start=False` (the CLI's
        `submit`) leaves starting a worker to the caller."""
        run_id = self.store.create_run(**request.as_dict(), executor=self.kind, cap=owner_cap())
        if start:
            self.ensure_running()
        return run_id

    def cancel(self, run_id: str) -> str | None:
        return self.store.request_cancel(run_id)

    def status(self) -> dict | None:
        """The live worker's record (None when none is alive); starts nothing."""
        live = self.store.live_workers()
        return live[0] if live else None

    def stop(self) -> None:
        """The worker is its own process: it leaves when idle."""


class RayExecutor:
    kind = "ray"

    def __init__(self, store: RunStore):
        from crossrec.runs.ray_launcher import RayLauncher
        self.store, self.launcher = store, RayLauncher(store)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def ensure_running(self) -> dict:
        """This process's scheduler thread over the cluster (started once)."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._scheduler = Scheduler(self.store, self.launcher, worker_row=False)
                self._thread = threading.Thread(target=self._schedule, daemon=True,
                                                name="crossrec-ray-scheduler")
                self._thread.start()
        return self.status()

    def _schedule(self) -> None:
        from crossrec.runs.ray_launcher import DriverShutDown
        try:
            self._scheduler.run()
        except DriverShutDown:  # the process ended its driver (it is leaving): nothing left to schedule
            pass

    def stop(self) -> None:
        """End the scheduler thread before the cluster goes away (Ray ends a driver process
        whose cluster vanished under a running thread)."""
        with self._lock:
            if self._thread is not None:
                self._scheduler.stop()
                self._thread.join(timeout=60)
                self._thread = None

    def submit(self, request: RunRequest, start: bool = True) -> str:
        run_id = self.store.create_run(**request.as_dict(), executor=self.kind, cap=owner_cap())
        if start:
            self.ensure_running()
        return run_id

    def cancel(self, run_id: str) -> str | None:
        status = self.store.request_cancel(run_id)  # the task's heartbeat sees the flag
        if status == "running":
            self.launcher.cancel(run_id)
        return status

    def status(self) -> dict:
        """The cluster as the sidebar shows a worker: the driver's pid, Ray's resources."""
        resources = self.launcher.resources()
        cores = int(resources.get("CPU", 1))
        return {"pid": os.getpid(), "info": {"executor": "ray", "cores": cores, "concurrency": cores,
                                             "devices": self.launcher.devices()}}


def run_until_done(store: RunStore, scope: Scope) -> None:
    """Schedule one run or one sweep on the cluster from this process until it ends (a CLI
    command under CROSSREC_EXECUTOR=ray: its tasks belong to this process)."""
    from crossrec.runs.ray_launcher import RayLauncher
    Scheduler(store, RayLauncher(store), once=True, projections=False, scope=scope, worker_row=False).run()
