"""The Ray launcher: task mechanics of runs trained on a Ray cluster (CROSSREC_EXECUTOR=ray).

The scheduler (`crossrec.scheduling.scheduler`, in the app or a CLI process: the driver) claims a
queued run and starts it here as one task: one GPU when the run's device is cuda (or auto on a
cluster with GPUs), otherwise one CPU, with the torch threads set to match; no silent retry. The
task adopts the run (its host and pid become the run's owner) and beats with the same
`RunHeartbeat` as a local child, started before torch is imported. A task that dies (node lost,
worker killed) leaves its run failed with Ray's reason; a cancel the task did not honour within
CANCEL_GRACE_SECONDS is forced with `ray.cancel`. Projections run as tasks too. Ray finds the
cluster through RAY_ADDRESS, as it always does.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from crossrec.runs.heartbeat import RunHeartbeat
from crossrec.runs.open_store import STORE_FILE_ENV
from crossrec.runs.store import STORE_ENV, RunStore

CANCEL_GRACE_SECONDS = 30.0
REPO = Path(__file__).resolve().parents[2]


def train_task(run_id: str, home: str) -> str:
    """The body of one Ray task: adopt the run, beat, then train it (imports torch only now)."""
    from crossrec.runs.open_store import open_store
    store = open_store(home)
    if not store.adopt_run(run_id, os.getpid()):
        return "not running"  # cancelled or failed before the task started
    heartbeat = RunHeartbeat(store, run_id).start()
    from crossrec.runs.execute import execute_run
    execute_run(store, run_id, heartbeat)
    return store.get_run(run_id)["status"]


def projection_task(run_id: str, home: str) -> int:
    from crossrec.runs import projections
    return projections.project_run(home, run_id)


class DriverShutDown(RuntimeError):
    """This process ended its Ray driver: there is no cluster to schedule on any more."""


_connecting = threading.Lock()
_connected = threading.Event()  # this process has been a Ray driver


def connect():
    """This process's Ray driver (started on first use; pages and the scheduler thread may ask
    at the same moment). Once shut down it stays down: a thread that reconnected to a cluster
    being stopped would have Ray end the whole process."""
    import ray
    with _connecting:
        if not ray.is_initialized():
            if _connected.is_set():
                raise DriverShutDown("this process's Ray driver was shut down")
            ray.init(address=os.environ.get("RAY_ADDRESS", "auto"), log_to_driver=False, configure_logging=False)
            _connected.set()
    return ray


class RayLauncher:
    kind = "ray"

    def __init__(self, store: RunStore):
        self.store = store
        self.tasks: dict = {}          # Ray ObjectRef -> run id
        self.projecting: dict = {}     # Ray ObjectRef -> run id
        self.cancel_asked: dict[str, float] = {}
        self._lock = threading.Lock()  # `cancel` comes from page threads

    def _store_file(self) -> str | None:
        """Where tasks read the store's address: the node's CROSSREC_STORE_FILE, or a file of the
        run home (mode 600) that this driver writes. Never the address itself: Ray logs a task's
        runtime environment in plain text."""
        if os.environ.get(STORE_FILE_ENV):
            return os.environ[STORE_FILE_ENV]
        url = os.environ.get(STORE_ENV)
        if not url:
            return None
        path = self.store.home / ".store-address"
        if not path.exists() or path.read_text() != url:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w") as out:
                out.write(url)
        return str(path)

    def _env(self, cpus: int) -> dict:
        """What a task needs to find the code, the store and the data, on any node."""
        keep = ("CROSSREC_HOME", "CROSSREC_DATA_DIR", "CROSSREC_HEARTBEAT_LIMIT", "CROSSREC_STORE_RETRY_S")
        env = {k: os.environ[k] for k in keep if k in os.environ}
        store_file = self._store_file()
        if store_file:
            env[STORE_FILE_ENV] = store_file
        env["CROSSREC_HOME"] = str(self.store.home)
        env["CROSSREC_THREADS"] = str(cpus)
        env["NUMBA_NUM_THREADS"] = env["OMP_NUM_THREADS"] = str(cpus)  # the projections too
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        return env

    def resources(self) -> dict:
        return connect().cluster_resources()

    def _wants_gpu(self, device: str) -> bool:
        return device == "cuda" or (device == "auto" and self.resources().get("GPU", 0) > 0)

    # --- the launcher seam ---------------------------------------------------------------
    def capacity(self) -> int:
        return max(1, int(self.resources().get("CPU", 1)))

    def training(self) -> int:
        return len(self.tasks)

    def start(self, run: dict) -> None:
        ray = connect()
        task = ray.remote(train_task).options(
            num_gpus=1 if self._wants_gpu(run["device"]) else 0, num_cpus=1, max_retries=0,
            name=f"crossrec-{run['id']}", runtime_env={"env_vars": self._env(1)})
        with self._lock:
            self.tasks[task.remote(run["id"], str(self.store.home))] = run["id"]

    def cancel(self, run_id: str) -> None:
        """Remember a cancel of a running run: forced if the task has not honoured it in time."""
        with self._lock:
            self.cancel_asked.setdefault(run_id, time.time())

    def reap(self) -> None:
        ray = connect()
        with self._lock:
            refs = list(self.tasks)
        ended, _ = ray.wait(refs, num_returns=len(refs), timeout=0) if refs else ([], [])
        for ref in ended:
            self._ended(ray, ref)
        self._force_late_cancels(ray)
        done, _ = ray.wait(list(self.projecting), num_returns=len(self.projecting), timeout=0) \
            if self.projecting else ([], [])
        for ref in done:
            del self.projecting[ref]

    def _ended(self, ray, ref) -> None:
        with self._lock:
            run_id = self.tasks.pop(ref)
        try:
            ray.get(ref)
        except Exception as err:  # noqa: BLE001 - Ray's reason becomes the run's
            cancelled = run_id in self.cancel_asked
            reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            self.store.finish(run_id, "cancelled" if cancelled else "failed",
                              error="cancelled by the user" if cancelled else f"Ray task failed: {type(err).__name__}: {reason}")
        with self._lock:
            self.cancel_asked.pop(run_id, None)

    def _force_late_cancels(self, ray) -> None:
        now = time.time()
        with self._lock:
            by_run = {run_id: ref for ref, run_id in self.tasks.items()}
            late = [r for r, asked in self.cancel_asked.items() if now - asked > CANCEL_GRACE_SECONDS and r in by_run]
        for run_id in late:
            ray.cancel(by_run[run_id], force=True)

    def keep_spare(self, wanted: bool) -> None:
        """Ray keeps its own warm workers."""

    def projection_room(self) -> int:
        return 1 - len(self.projecting)

    def project(self, run_id: str) -> None:
        task = connect().remote(projection_task).options(num_cpus=1, max_retries=0,
                                                         runtime_env={"env_vars": self._env(1)})
        self.projecting[task.remote(run_id, str(self.store.home))] = run_id

    def busy(self) -> bool:
        return bool(self.tasks or self.projecting)

    def devices(self) -> list[dict]:
        gpus = int(self.resources().get("GPU", 0))
        return [{"name": "cpu", "label": "CPU"}] + ([{"name": "cuda", "label": f"Ray cluster: {gpus} GPU(s)"}]
                                                    if gpus else [])

    def shutdown(self) -> None:
        """Tasks belong to this driver and end with it."""
