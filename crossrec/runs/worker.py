"""The long-lived worker: claims queued runs and trains each in its own child process.

- A child per run: a crash or an out-of-memory kills that run only; the worker marks it failed.
- A spare child is started ahead of time and imports torch while idle, so a new run starts
  training within about a second of its submission.
- Children die with the worker (PR_SET_PDEATHSIG on Linux, plus a parent watch), so a killed
  worker leaves no orphan holding a GPU or writing to a run nobody owns; the next worker (or
  the app) fails such runs with the reason.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from functools import partial

from crossrec.runs.projections import attempt, needs_projections
from crossrec.runs.open_store import open_store
from crossrec.runs.store import RunStore, pid_alive
from crossrec.train.threads import usable_cores

POLL_SECONDS = 0.2
SCAN_SECONDS = 2.0  # how often the worker looks for done runs that lack projections
BEAT_SECONDS = 1.0


def _die_with_parent(parent: int) -> None:  # runs in the child between fork and exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass  # not Linux: the child's parent watch still stops it
    # A parent killed between fork and prctl sends no signal: the child was re-parented already.
    if os.getppid() != parent:
        os._exit(1)


def _watch_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(1)
        time.sleep(1.0)


def child_main(home: str) -> int:
    """Entry of a child: warm up, read one run id from stdin, execute it, exit."""
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    from crossrec.runs import execute  # imports torch and every method while we wait
    from crossrec.methods.registry import all_methods
    all_methods()
    line = sys.stdin.readline().strip()
    if not line:
        return 0
    # Test hook: a child that starts late (a busy machine) must not lose its run.
    time.sleep(float(os.environ.get("CROSSREC_TEST_CHILD_DELAY", "0")))
    execute.execute_run(open_store(home), line)
    return 0


@dataclass
class Child:
    process: subprocess.Popen
    run_id: str | None = None


class Worker:
    def __init__(self, store: RunStore, concurrency: int = 1, once: bool = False, projections: int = 1,
                 tick=None, more_to_come=None):
        """`tick()`: called about once a second (the sweep driver, from the layer above);
        `more_to_come()`: whether runs may still be queued (with `once`, keeps the worker up);
        `projections=0`: compute no UMAP/t-SNE (a later worker's scan finds the runs that lack them)."""
        self.store, self.concurrency, self.once = store, max(1, concurrency), once
        self.tick, self.more_to_come = tick, more_to_come or (lambda: False)
        self.projection_slots = max(0, projections)
        self.pid = os.getpid()
        self.active: list[Child] = []
        self.spare: Child | None = None
        self.projecting: dict[str, subprocess.Popen] = {}  # run id -> projection process
        self._last_scan = 0.0
        self._tried: set[tuple[str, int]] = set()
        self._stopping = False

    def _spawn(self) -> Child:
        log = open(self.store.home / "worker-children.log", "ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "crossrec", "_child", str(self.store.home)],
            stdin=subprocess.PIPE, stdout=log, stderr=log, preexec_fn=partial(_die_with_parent, os.getpid()),
            env={**os.environ, "PYTHONUNBUFFERED": "1", "CROSSREC_CONCURRENCY": str(self.concurrency)})
        log.close()
        return Child(process)

    def _device_info(self) -> dict:
        """Devices, from the probe process (torch is imported there, not here)."""
        try:
            out = subprocess.run([sys.executable, "-m", "crossrec.runs.probe"],
                                 capture_output=True, text=True, timeout=300,
                                 preexec_fn=partial(_die_with_parent, os.getpid())).stdout.strip().splitlines()
            return {"devices": json.loads(out[-1])} if out else {}
        except (subprocess.TimeoutExpired, ValueError, OSError):
            return {}

    def _start(self, run: dict) -> None:
        child = self.spare if self.spare and self.spare.process.poll() is None else self._spawn()
        self.spare = None
        child.run_id = run["id"]
        child.process.stdin.write((run["id"] + "\n").encode())
        child.process.stdin.flush()
        self.active.append(child)

    def _reap(self) -> None:
        for child in list(self.active):
            code = child.process.poll()
            if code is None:
                continue
            self.active.remove(child)
            run = self.store.get_run(child.run_id)
            if run and run["status"] == "running":
                how = f"signal {-code}" if code < 0 else f"exit code {code}"
                hint = " (killed: out of memory?)" if code == -signal.SIGKILL else ""
                self.store.finish(child.run_id, "failed",
                                  error=f"the training process died ({how}){hint}")

    def _training(self) -> int:
        """Children still training (a child exits when its run ends)."""
        return len(self.active)

    def _project(self) -> None:
        """Keep the projection pool busy with done runs that lack UMAP/t-SNE: those this worker
        just finished, and those a killed worker never got to (scanned every few seconds)."""
        for run_id, process in list(self.projecting.items()):
            if process.poll() is not None:
                del self.projecting[run_id]
        if len(self.projecting) >= self.projection_slots or time.time() - self._last_scan < SCAN_SECONDS:
            return  # (with no slots, never)
        self._last_scan = time.time()
        for run in self.store.list_runs(("done",), limit=200):
            if len(self.projecting) >= self.projection_slots:
                break
            if run["id"] not in self.projecting and attempt(run) not in self._tried and needs_projections(run):
                self._tried.add(attempt(run))  # a crashing projection is not retried until asked again
                log = open(self.store.home / "worker-children.log", "ab")
                # one thread: projections must not slow the runs that train beside them
                self.projecting[run["id"]] = subprocess.Popen(
                    [sys.executable, "-m", "crossrec.runs.projections", str(self.store.home), run["id"]],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=log, preexec_fn=partial(_die_with_parent, os.getpid()),
                    env={**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1",
                         "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"})
                log.close()

    def _idle(self) -> bool:
        """Nothing training, queued, projecting, or about to be queued (a running sweep)."""
        return not (self.active or self._queued() or self.projecting or self.more_to_come())

    def _queued(self) -> bool:
        return bool(self.store.list_runs(("queued",), limit=1))

    def stop(self, *_):
        self._stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.stop)
        info = {"concurrency": self.concurrency, "cores": usable_cores(),
                "threads_override": os.environ.get("CROSSREC_THREADS")}
        self.store.worker_beat(self.pid, info)
        self.store.fail_dead_runs()
        threading.Thread(target=lambda: self.store.worker_beat(self.pid, {**info, **self._device_info()}),
                         daemon=True).start()
        last_beat = 0.0
        try:
            while not self._stopping:
                now = time.time()
                if now - last_beat > BEAT_SECONDS:
                    self.store.worker_beat(self.pid)
                    self.store.beat_owned_runs(self.pid)
                    self.store.fail_dead_runs()
                    if self.tick is not None:
                        self.tick()
                    last_beat = now
                self._reap()
                while self._training() < self.concurrency:
                    run = self.store.claim_next(self.pid)
                    if run is None:
                        break
                    self._start(run)
                if self.spare is None and not (self.once and not self._queued()):
                    self.spare = self._spawn()
                self._project()
                if self.once and self._idle():
                    self._last_scan = 0.0  # one last look before leaving
                    self._project()
                if self.once and self._idle():
                    break
                time.sleep(POLL_SECONDS)
        finally:
            for child in self.active + ([self.spare] if self.spare else []):
                if child.process.poll() is None:
                    child.process.kill()
            for process in self.projecting.values():
                if process.poll() is None:
                    process.kill()
            self._reap()
            self.store.worker_gone(self.pid)
        return 0


def start_background_worker(store: RunStore) -> int:
    """Start a detached worker process (used by the app when none is alive); returns its pid."""
    log = open(store.home / "worker.log", "ab")
    process = subprocess.Popen([sys.executable, "-m", "crossrec", "worker"],
                               stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                               start_new_session=True,
                               env={**os.environ, "CROSSREC_HOME": str(store.home)})
    log.close()
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
