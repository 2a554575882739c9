"""RayExecutor: runs trained as Ray tasks on a cluster, through the same `execute_run` code.

Chosen by CROSSREC_EXECUTOR=ray (Ray finds the cluster through RAY_ADDRESS, as it always does).
`submit` records the run in the shared store (executor 'ray', so no local worker claims it) and
launches one task per run: one GPU when the run's device is cuda (or auto on a cluster with
GPUs), otherwise one CPU, with the torch threads set to match. No silent retry (max_retries=0).

In the task, the run is taken (queued -> running, with the task's host and pid) and a heartbeat
starts before torch is imported; after a run is done, the same task computes its UMAP and t-SNE. A watcher thread in the submitting process (the app, a CLI
call) waits on the tasks: a task that dies (node lost, worker killed) leaves its run failed with
Ray's reason; it steps running sweeps (their trials launch as tasks); a run whose cancel the task did not honour within CANCEL_GRACE_SECONDS is
cancelled with `ray.cancel` as a backstop; and it fails runs whose owner is gone (the reaper the
local worker runs elsewhere). Pages see only the store and the artifacts.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from crossrec.runs import projections
from crossrec.runs.projections import needs_projections
from crossrec.runs.request import RunRequest
from crossrec.runs.open_store import open_store
from crossrec.runs.store import STORE_ENV, RunStore

CANCEL_GRACE_SECONDS = 30.0
WATCH_SECONDS = 1.0
REPO = Path(__file__).resolve().parents[2]


def train_task(run_id: str, home: str) -> str:
    """The body of one Ray task: take the run, beat, then train it (imports torch only now)."""
    store = open_store(home)
    if not store.take_run(run_id, os.getpid()):
        return "not queued"
    stop = threading.Event()

    def beat():
        while not stop.wait(1.0):
            try:
                store.heartbeat(run_id)
            except Exception:  # noqa: BLE001 - a busy moment; the next beat retries
                pass

    threading.Thread(target=beat, daemon=True).start()
    try:
        from crossrec.runs.execute import execute_run
        execute_run(store, run_id)
    finally:
        stop.set()
    run = store.get_run(run_id)
    if needs_projections(run):  # UMAP and t-SNE, after the run is done (no local worker does them)
        projections.main(home, run_id)
    return run["status"]


class RayExecutor:
    def __init__(self, store: RunStore, sweep_driver=None):
        """`sweep_driver(store, slots, launch)`: steps the running sweeps (from the layer above,
        `crossrec.sweeps.driver.drive`); the watcher calls it each round, so trials run on Ray."""
        self.store, self.sweep_driver = store, sweep_driver
        self._tasks: dict = {}  # Ray ObjectRef -> run id
        self._cancel_asked: dict[str, float] = {}
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    # --- Ray ---------------------------------------------------------------------------
    def _ray(self):
        import ray
        if not ray.is_initialized():
            ray.init(address=os.environ.get("RAY_ADDRESS", "auto"), log_to_driver=False,
                     configure_logging=False)
        return ray

    def _env(self, cpus: int) -> dict:
        """What a task needs to find the code, the store and the data, on any node."""
        keep = ("CROSSREC_HOME", "CROSSREC_DATA_DIR", STORE_ENV, "CROSSREC_HEARTBEAT_LIMIT")
        env = {k: os.environ[k] for k in keep if k in os.environ}
        env["CROSSREC_HOME"] = str(self.store.home)
        env["CROSSREC_THREADS"] = str(cpus)
        env["NUMBA_NUM_THREADS"] = env["OMP_NUM_THREADS"] = str(cpus)  # the projections too
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))
        return env

    def _wants_gpu(self, device: str) -> bool:
        if device == "cuda":
            return True
        return device == "auto" and self._ray().cluster_resources().get("GPU", 0) > 0

    # --- the executor interface --------------------------------------------------------
    def ensure_running(self) -> dict:
        self._ray()
        self._watch()
        return self.status()

    def submit(self, request: RunRequest) -> str:
        return self.create_and_launch(**request.as_dict())

    def create_and_launch(self, *args, **fields) -> str:
        """Create a run (executor 'ray') with `store.create_run`'s arguments and launch its task."""
        ray = self._ray()
        run_id = self.store.create_run(*args, **fields, executor="ray")
        gpu = self._wants_gpu(fields.get("device", "auto"))
        task = ray.remote(train_task).options(
            num_gpus=1 if gpu else 0, num_cpus=1, max_retries=0, name=f"crossrec-{run_id}",
            runtime_env={"env_vars": self._env(1)})
        with self._lock:
            self._tasks[task.remote(run_id, str(self.store.home))] = run_id
        self._watch()
        return run_id

    def cancel(self, run_id: str) -> str | None:
        status = self.store.request_cancel(run_id)  # the task's heartbeat sees the flag
        if status == "running":
            self._cancel_asked.setdefault(run_id, time.time())
        return status

    def status(self) -> dict | None:
        """The cluster as the sidebar shows a worker: the driver's pid, Ray's resources."""
        ray = self._ray()
        resources = ray.cluster_resources()
        gpus = int(resources.get("GPU", 0))
        devices = [{"name": "cpu", "label": "CPU"}] + ([{"name": "cuda", "label": f"Ray cluster: {gpus} GPU(s)"}]
                                                      if gpus else [])
        return {"pid": os.getpid(), "info": {"executor": "ray", "cores": int(resources.get("CPU", 1)),
                                             "concurrency": int(resources.get("CPU", 1)), "devices": devices}}

    # --- watching the tasks ------------------------------------------------------------
    def _watch(self) -> None:
        with self._lock:
            if self._watcher is None or not self._watcher.is_alive():
                self._watcher = threading.Thread(target=self._watch_loop, daemon=True, name="crossrec-ray-watch")
                self._watcher.start()

    def _watch_loop(self) -> None:
        ray = self._ray()
        while True:
            with self._lock:
                refs = list(self._tasks)
            if refs:
                ended, _ = ray.wait(refs, num_returns=len(refs), timeout=WATCH_SECONDS)
                for ref in ended:
                    self._ended(ray, ref)
                self._backstop(ray)
            else:
                time.sleep(WATCH_SECONDS)
            try:
                self.store.fail_dead_runs()
                if self.sweep_driver is not None:
                    slots = max(1, int(ray.cluster_resources().get("CPU", 1)))
                    self.sweep_driver(self.store, slots, self.create_and_launch)
            except Exception:  # noqa: BLE001 - a store hiccup; the next round retries
                pass

    def _ended(self, ray, ref) -> None:
        with self._lock:
            run_id = self._tasks.pop(ref)
        try:
            ray.get(ref)
        except Exception as err:  # noqa: BLE001 - Ray's reason becomes the run's
            cancelled = run_id in self._cancel_asked
            reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            self.store.finish(run_id, "cancelled" if cancelled else "failed",
                              error="cancelled by the user" if cancelled else f"Ray task failed: {type(err).__name__}: {reason}")
        self._cancel_asked.pop(run_id, None)

    def _backstop(self, ray) -> None:
        """Force-cancel tasks that did not honour a cancel within the grace period."""
        now = time.time()
        with self._lock:
            by_run = {run_id: ref for ref, run_id in self._tasks.items()}
        for run_id, asked in list(self._cancel_asked.items()):
            if now - asked > CANCEL_GRACE_SECONDS and run_id in by_run:
                ray.cancel(by_run[run_id], force=True)
