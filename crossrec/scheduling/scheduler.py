"""The scheduler: the one loop that runs the runs of a home, whichever launcher trains them.

Each round (about five a second) it reaps what its launcher saw end, launches queued runs up to
the launcher's capacity, and about once a second beats (its worker row and the runs it claimed),
fails runs whose owner is gone, steps the running sweeps (their trials are queued runs like any
other) and queues UMAP/t-SNE projections of done runs that lack them. A local worker
(`python -m crossrec worker`) is this loop over `LocalLauncher`; the app under CROSSREC_EXECUTOR=ray
runs it in a thread over `RayLauncher`.

It ends when told to (SIGTERM), with `once` when its work is done, and otherwise after
`idle_seconds` with nothing queued, training, sweeping or projecting (CROSSREC_WORKER_IDLE_S,
default 600): the app starts a worker again at its next launch.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass

from crossrec.errors import SettingError, StoreError
from crossrec.runs.heartbeat import BEAT_SECONDS, Heartbeat
from crossrec.runs.projections import attempt, needs_projections
from crossrec.runs.store import ACTIVE, RunStore
from crossrec.sweeps.driver import drive
from crossrec.train.threads import usable_cores

POLL_SECONDS = 0.2
SCAN_SECONDS = 2.0  # how often done runs that lack projections are looked for
IDLE_ENV = "CROSSREC_WORKER_IDLE_S"
DEFAULT_IDLE_SECONDS = 600.0


def idle_seconds_from_env() -> float:
    text = os.environ.get(IDLE_ENV, str(DEFAULT_IDLE_SECONDS))
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:  # also NaN
        raise SettingError(f"{IDLE_ENV}={text!r} is not a number of seconds (0 or more)")
    return value


@dataclass
class Scope:
    """What a scheduler looks after: everything of its launcher's kind (the default), or one
    sweep (a CLI `sweep` on a cluster) or one run (a CLI `submit` on a cluster)."""
    sweep_id: str | None = None
    run_id: str | None = None


class Scheduler:
    def __init__(self, store: RunStore, launcher, once: bool = False, idle_seconds: float | None = None,
                 projections: bool = True, scope: Scope | None = None, worker_row: bool = True):
        """`once`: leave when the work in scope is done. `projections=False`: compute no UMAP/t-SNE
        (a later scheduler's scan finds the runs that lack them). `worker_row`: record this
        process in the store's workers table (what `ensure_worker` and the sidebar look for)."""
        self.store, self.launcher, self.once = store, launcher, once
        self.idle_seconds = idle_seconds
        self.projections, self.scope, self.worker_row = projections, scope or Scope(), worker_row
        self.pid = os.getpid()
        self._tried: set[tuple[str, int]] = set()
        self._last_scan = 0.0
        self._due: list[dict] = []  # the last scan's done runs still waiting for projections
        self._stop = threading.Event()

    def stop(self, *_) -> None:
        self._stop.set()

    # --- one round -----------------------------------------------------------------------
    def _beat(self) -> None:
        if self.worker_row:
            self.store.worker_beat(self.pid)
        self.store.beat_owned_runs(self.pid)

    def _launch(self) -> None:
        while self.launcher.training() < self.launcher.capacity():
            run = self.store.claim_next(self.pid, self.launcher.kind, sweep_id=self.scope.sweep_id,
                                        run_id=self.scope.run_id)
            if run is None:
                break
            self.launcher.start(run)

    def _step_sweeps(self) -> None:
        kind = self.launcher.kind

        def queue_trial(*args, **fields):
            return self.store.create_run(*args, **fields, executor=kind)

        drive(self.store, self.launcher.capacity(), queue_trial,
              sweep_ids=None if self.scope.sweep_id is None else [self.scope.sweep_id])

    def _projection_candidates(self) -> list[dict]:
        if not self.projections or self.scope.run_id or self.scope.sweep_id:
            return []
        return [r for r in self.store.list_runs(("done",), limit=200)
                if attempt(r) not in self._tried and needs_projections(r)
                and (r.get("executor") or "local") == self.launcher.kind]

    def _project(self, force: bool = False) -> None:
        """Keep the projection slots busy with done runs that lack UMAP/t-SNE (scanned every few
        seconds); a projection that crashed is not retried until the user asks again."""
        if not self.projections or self.launcher.projection_room() <= 0:
            return
        if not force and time.time() - self._last_scan < SCAN_SECONDS:
            return
        self._last_scan = time.time()
        self._due = self._projection_candidates()
        for run in list(self._due):
            if self.launcher.projection_room() <= 0:
                break
            self._tried.add(attempt(run))
            self._due.remove(run)
            self.launcher.project(run["id"])

    def _work_left(self) -> bool:
        """Runs queued or training in scope, a running sweep, or a projection going or due (as
        the last scan of `_project` found: listing the done runs again each second cost an idle
        worker most of its CPU)."""
        if self.launcher.busy():
            return True
        if self.scope.run_id is not None:
            run = self.store.get_run(self.scope.run_id)
            return run is not None and run["status"] in ACTIVE
        queued = [r for r in self.store.list_runs(("queued",), limit=1000)
                  if (r.get("executor") or "local") == self.launcher.kind
                  and (self.scope.sweep_id is None or r["sweep_id"] == self.scope.sweep_id)]
        sweeps = [s for s in self.store.list_sweeps(("running",))
                  if self.scope.sweep_id is None or s["id"] == self.scope.sweep_id]
        return bool(queued or sweeps or (self.projections and self._due))

    # --- the loop ------------------------------------------------------------------------
    def _announce(self) -> None:
        info = {"concurrency": self.launcher.capacity(), "cores": usable_cores(),
                "threads_override": os.environ.get("CROSSREC_THREADS"), "executor": self.launcher.kind}
        self.store.worker_beat(self.pid, info)
        # devices come from a probe that imports torch: not on the loop's time
        threading.Thread(target=lambda: self.store.worker_beat(
            self.pid, {**info, "devices": self.launcher.devices() or []}), daemon=True).start()

    def _round(self, state: dict) -> bool:
        """One round of the loop; False when the scheduler should leave."""
        self.launcher.reap()
        self._launch()
        if time.time() - state["last"] < BEAT_SECONDS:
            return True
        state["last"] = time.time()
        self.store.fail_dead_runs()
        self._step_sweeps()
        self._launch()
        self._project()
        if self._work_left():
            state["idle_since"] = time.time()
            self.launcher.keep_spare(True)
        elif self.once:
            self._project(force=True)  # one last look before leaving
            return self._work_left()
        elif self.idle_seconds is not None and time.time() - state["idle_since"] >= self.idle_seconds:
            return False
        else:
            self.launcher.keep_spare(True)  # idle, not for long enough: stay warm
        return True

    def run(self) -> int:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.stop)
        beat = Heartbeat(self._beat).start()  # also while a round waits on a busy store
        state = {"last": 0.0, "idle_since": time.time()}
        announced, outage = not self.worker_row, None
        try:
            while not self._stop.is_set():
                try:
                    if not announced:
                        self._announce()
                        announced = True
                    if not self._round(state):
                        break
                    if outage:
                        print(f"the run store answers again after {time.time() - outage:.0f} s", file=sys.stderr, flush=True)
                        outage = None
                except StoreError as err:  # locked, unreachable, gone: wait for it, never die of it
                    if outage is None:
                        outage = time.time()
                        print(f"waiting for the run store: {err}", file=sys.stderr, flush=True)
                    state["idle_since"] = time.time()  # an outage is not idleness
                    self._stop.wait(BEAT_SECONDS)
                self._stop.wait(POLL_SECONDS)
        finally:
            beat.stop()
            self.launcher.shutdown()
            if self.worker_row:
                with contextlib.suppress(StoreError):
                    self.store.worker_gone(self.pid)
        return 0
