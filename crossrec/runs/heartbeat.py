"""The one heartbeat mechanism: a daemon thread that calls `beat()` about once a second.

Used by the scheduler (its worker row, and the runs it claimed before their process starts
beating) and by every process that trains a run (a local child, a Ray task, the foreground
`train`): liveness, progress and the store's cancel flag travel on the same beat. A beat that
meets a busy store is skipped; the next one retries. Torch-free, so a run process starts beating
before it imports torch.
"""

from __future__ import annotations

import threading

BEAT_SECONDS = 1.0


class Heartbeat:
    def __init__(self, beat, every: float = BEAT_SECONDS):
        self.beat, self.every = beat, every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "Heartbeat":
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, daemon=True, name="crossrec-heartbeat")
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.beat()
            except Exception:  # noqa: BLE001 - a locked or unreachable moment; the next beat retries
                pass


class RunHeartbeat(Heartbeat):
    """The heartbeat of one run from the process that trains it: it records liveness and
    `progress`, and reads back the cancel flag (CANCEL or PRUNE) into `cancel_flag`."""

    def __init__(self, store, run_id: str):
        self.store, self.run_id = store, run_id
        self._quick = store.quick()  # one attempt per beat: a missed beat is retried by the next
        self.progress = 0.0
        self.cancel_flag = 0
        super().__init__(self._beat_run)

    def _beat_run(self) -> None:
        self.cancel_flag = self._quick.heartbeat(self.run_id, self.progress) or self.cancel_flag
