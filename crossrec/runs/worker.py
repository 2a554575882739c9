"""The local launcher: process mechanics of a worker on this machine (the loop that decides
what to launch is `crossrec.scheduling.scheduler`).

- Training children (`python -m crossrec.runs.child`), one run at a time each: a crash or an
  out-of-memory kills that run only; the exit code becomes the run's reason.
- A child takes the next run when its run ends (up to RUNS_PER_CHILD, then a fresh one), and a
  spare is started ahead of time and imports torch while idle: a new run starts training within
  about a second of its submission, and a class's forty short runs do not import torch forty
  times (about as much CPU as a lecture run each).
- Children die with the worker (PR_SET_PDEATHSIG on Linux, plus the child's parent watch), so a
  killed worker leaves no orphan holding a GPU or writing to a run nobody owns.
- Projections (UMAP, t-SNE) run in their own one-thread processes, niced below training, and
  none starts while a run trains. A projection process, too, takes the next run when one ends
  (up to RUNS_PER_CHILD): a fresh one pays about 16 s of CPU for imports and numba's compile first.
- `ensure_worker` starts a detached worker process for the app when none is alive.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from functools import partial

from crossrec.data.numbers import strict_int
from crossrec.errors import SettingError, StoreError
from crossrec.runs.child import EXIT_STORE_GONE
from crossrec.runs.store import RunStore, pid_alive

CHILD_LOG = "worker-children.log"
ONE_THREAD = {"OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
              "OPENBLAS_NUM_THREADS": "1"}


PROJECTION_NICENESS = 10  # projections take the CPU that training leaves: a queued run comes first
CONCURRENCY_ENV = "CROSSREC_WORKER_CONCURRENCY"  # a teacher's server: runs its worker trains at once


def worker_concurrency() -> int:
    """Runs the worker trains at once, from CROSSREC_WORKER_CONCURRENCY (default 1); each run's
    threads are the cores divided by it (crossrec/train/threads.py)."""
    text = os.environ.get(CONCURRENCY_ENV, "1")
    try:
        value = strict_int(text, CONCURRENCY_ENV)  # ASCII digits: str.isdigit() passes '²', which int() refuses
    except SettingError:
        value = 0
    if not 1 <= value <= 64:
        raise SettingError(f"{CONCURRENCY_ENV}={text!r} is not a number of runs at once (1 to 64)")
    return value


def _prepare_child(parent: int, niceness: int = 0) -> None:  # runs in the child between fork and exec
    """Lower the child's priority by `niceness`; make it die with `parent`."""
    if niceness:
        os.nice(niceness)
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass  # not Linux: the child's parent watch still stops it
    # A parent killed between fork and prctl sends no signal: the child was re-parented already.
    if os.getppid() != parent:
        os._exit(1)


def died_reason(code: int) -> str:
    if code == EXIT_STORE_GONE:
        return "the run store stayed locked or unreachable when the run ended: its results could not be recorded"
    how = f"signal {-code}" if code < 0 else f"exit code {code}"
    hint = " (killed: out of memory?)" if code == -signal.SIGKILL else ""
    return f"the training process died ({how}){hint}"


RUNS_PER_CHILD = 20  # then a fresh process: what a long-lived one accumulates stays bounded


@dataclass
class Child:
    process: subprocess.Popen
    run_id: str | None = None  # the run it trains; None while it waits for one
    served: int = 0
    said: bytes = b""  # what it wrote of a line about an ended run so far

    def alive(self) -> bool:
        return self.process.poll() is None

    def take(self, run_id: str) -> None:
        """Hand it a run (its stdin carries the ids of the runs it is given)."""
        self.run_id = run_id
        try:
            self.process.stdin.write((run_id + "\n").encode())
            self.process.stdin.flush()
        except BrokenPipeError:  # it died while waiting: reap sees it dead with the run in hand
            pass

    def ended_runs(self) -> list[str]:
        """The runs it said ended since last asked (its stdout carries only those lines)."""
        try:
            self.said += os.read(self.process.stdout.fileno(), 4096)
        except BlockingIOError:
            return []
        *lines, self.said = self.said.split(b"\n")
        return [line.decode() for line in lines]


class LocalLauncher:
    """Trains runs in child processes of this one, `concurrency` at a time."""

    kind = "local"  # the runs it launches (the run's executor column)

    def __init__(self, store: RunStore, concurrency: int = 1, projections: int = 1):
        self.store, self.concurrency, self.projection_slots = store, max(1, concurrency), max(0, projections)
        self.active: list[Child] = []
        self.idle: list[Child] = []  # warm children waiting for a run (the spare among them)
        self.leaving: list[Child] = []  # children that served RUNS_PER_CHILD runs, exiting
        self.projectors: list[Child] = []  # projection processes, each projecting one run or waiting

    def _popen(self, args: list[str], env: dict, stdin=subprocess.DEVNULL, stdout=None,
               niceness: int = 0) -> subprocess.Popen:
        with open(self.store.home / CHILD_LOG, "ab") as log:
            return subprocess.Popen([sys.executable, "-m", *args], stdin=stdin, stdout=stdout or log, stderr=log,
                                    preexec_fn=partial(_prepare_child, os.getpid(), niceness),
                                    env={**os.environ, **env})

    @property
    def projecting(self) -> list[str]:
        """The runs being projected now."""
        return [p.run_id for p in self.projectors if p.run_id is not None]

    def _serving(self, module: str, env: dict, niceness: int = 0) -> Child:
        """A process of `module` that takes up to RUNS_PER_CHILD runs in turn (`serve` in
        crossrec/runs/child.py)."""
        process = self._popen([module, str(self.store.home), str(RUNS_PER_CHILD)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              env={"PYTHONUNBUFFERED": "1", **env}, niceness=niceness)
        os.set_blocking(process.stdout.fileno(), False)  # reap reads what it said without waiting
        return Child(process)

    def _spawn(self) -> Child:
        return self._serving("crossrec.runs.child", {"CROSSREC_CONCURRENCY": str(self.concurrency)})

    def _warm_child(self) -> Child:
        while self.idle:
            child = self.idle.pop(0)
            if child.alive():
                return child
            child.process.wait()
        return self._spawn()

    # --- the launcher seam ---------------------------------------------------------------
    def capacity(self) -> int:
        return self.concurrency

    def training(self) -> int:
        """Children training a run."""
        return len(self.active)

    def start(self, run: dict) -> None:
        child = self._warm_child()
        child.take(run["id"])  # one that died while waiting: reap fails the run with its exit code
        self.active.append(child)

    def reap(self) -> None:
        """Runs that ended: a child that said so waits for the next run (or leaves, at its
        RUNS_PER_CHILD); a child that died with its run still running fails it with the exit
        code. A child is let go only once the store has heard (it may be away: next round)."""
        for child in list(self.active):
            if child.run_id in child.ended_runs():
                self.active.remove(child)
                child.run_id, child.served = None, child.served + 1
                (self.idle if child.served < RUNS_PER_CHILD else self.leaving).append(child)
                continue
            code = child.process.poll()
            if code is None:
                continue
            run = self.store.quick().get_run(child.run_id)  # raises while the store is away
            if run and run["status"] == "running":
                self.store.quick().finish(child.run_id, "failed", error=died_reason(code))
            self.active.remove(child)
        for projector in list(self.projectors):
            if projector.run_id is not None and projector.run_id in projector.ended_runs():
                projector.run_id, projector.served = None, projector.served + 1
            if projector.served >= RUNS_PER_CHILD:  # it exits by itself after its last run
                self.projectors.remove(projector)
                self.leaving.append(projector)
            elif not projector.alive():  # died: a run in hand keeps PCA, not retried until asked again
                self.projectors.remove(projector)
                projector.process.wait()
        self.leaving = [c for c in self.leaving if c.alive()]  # it exits by itself after its last run

    def keep_spare(self, wanted: bool) -> None:
        """A warm child for the next run while work may come; none when the worker is about to leave."""
        for child in [c for c in self.idle if not c.alive()]:
            self.idle.remove(child)
            child.process.wait()
        if wanted and not self.idle:
            self.idle.append(self._spawn())
        elif not wanted:
            for child in self.idle:
                self._kill(child.process)
            self.idle = []

    def projection_room(self) -> int:
        """Projections that may start now: none while a run trains. A lecture run's UMAP and t-SNE
        take about ten times its training's CPU, and even at nice 10 they took 11-18% of a class's
        two cores, about half as much as training (docs/BENCHMARKS.md). One under way goes on: a
        stopped (SIGSTOP) one could hold the store's write lock that the training run waits for."""
        return 0 if self.active else self.projection_slots - len(self.projecting)

    def project(self, run_id: str) -> None:
        projector = next((p for p in self.projectors if p.run_id is None and p.alive()), None)
        if projector is None:
            # one thread, at a lower priority: projections must not slow the runs that train beside them
            projector = self._serving("crossrec.runs.projections", ONE_THREAD, PROJECTION_NICENESS)
            self.projectors.append(projector)
        projector.take(run_id)

    def busy(self) -> bool:
        return bool(self.active or self.projecting)

    def devices(self) -> list[dict] | None:
        """Devices, from a short-lived probe process (torch is imported there, not here)."""
        try:
            out = subprocess.run([sys.executable, "-m", "crossrec.runs.probe"], capture_output=True, text=True,
                                 timeout=300, preexec_fn=partial(_prepare_child, os.getpid()))
            lines = out.stdout.strip().splitlines()
            return json.loads(lines[-1]) if lines else None
        except (subprocess.TimeoutExpired, ValueError, OSError):
            return None

    def shutdown(self) -> None:
        for child in self.active + self.idle + self.leaving:
            self._kill(child.process)
        for projector in self.projectors:
            self._kill(projector.process)
        self.idle, self.leaving, self.projectors = [], [], []
        with contextlib.suppress(StoreError):  # a store that is away: the next worker's reaper decides
            self.reap()

    @staticmethod
    def _kill(process: subprocess.Popen) -> None:
        if process.poll() is None:
            process.kill()
        process.wait()


# --- the app's background worker -----------------------------------------------------------

def start_background_worker(store: RunStore) -> int:
    """Start a detached worker process (used by the app when none is alive); returns its pid. A bad
    CROSSREC_WORKER_CONCURRENCY is refused here, in the app, not in a worker log nobody reads."""
    concurrency = worker_concurrency()
    with open(store.home / "worker.log", "ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "crossrec", "worker", "--concurrency", str(concurrency)],
                                   stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                   start_new_session=True,
                                   env={**os.environ, "CROSSREC_HOME": str(store.home)})
    return process.pid


STARTED_PID_FILE = "worker.pid"  # the pid of the worker this home last started


def started_worker_pid(store: RunStore) -> int | None:
    try:
        return int((store.home / STARTED_PID_FILE).read_text())
    except (OSError, ValueError):
        return None


def ensure_worker(store: RunStore) -> dict:
    """A live worker's record, starting one when none is alive. Check-and-start holds a file
    lock, and a started worker counts as alive from its spawn (before it first beats), so
    concurrent callers (page reruns, several sessions) start one worker, not several."""
    with open(store.home / "worker.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        live = store.live_workers()
        if live:
            return live[0]
        pid = started_worker_pid(store)
        if pid_alive(pid):
            return {"pid": pid, "info": {}, "starting": True}
        pid = start_background_worker(store)
        (store.home / STARTED_PID_FILE).write_text(str(pid))
        return {"pid": pid, "info": {}, "starting": True}
