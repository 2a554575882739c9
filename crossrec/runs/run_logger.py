"""The trainer callback of a stored run: metric rows into the store as training goes, progress
for the heartbeat, the stage embeddings kept for the plots, and a stop when the run is cancelled
(or pruned by its sweep)."""

from __future__ import annotations

import time

from crossrec.errors import StoreError
from crossrec.runs.heartbeat import RunHeartbeat
from crossrec.runs.store import PRUNE

EPOCH_SECONDS = "time_epoch_seconds"  # a metric row per epoch: how long its steps took
# Rows go to the store at most this often: a short run logs hundreds of events, and one store
# transaction each cost 8% of a lecture run's CPU; a live curve half a second late is not seen.
SEND_SECONDS = 0.5


class RunCancelled(Exception):
    """The user asked the run to stop (or a sweep pruned it)."""

    def __init__(self, pruned: bool = False):
        super().__init__("pruned" if pruned else "cancelled")
        self.pruned = pruned


class RunLogger:
    """Metric rows are batched and sent at most every SEND_SECONDS with one attempt each time
    (`RunStore.quick`); rows the store could not take (locked, unreachable) are kept and sent with
    the next ones, so training goes on through a store outage and loses no row. `flush()` at the
    end waits the full window; `send_kept()` is the one-attempt send of a run that stopped early.
    A cancel is still seen at every event, not only when rows are sent."""

    def __init__(self, heartbeat: RunHeartbeat):
        self.heartbeat = heartbeat
        self.store, self.run_id = heartbeat.store, heartbeat.run_id
        self._quick = self.store.quick()
        self.pending: list[tuple] = []
        self.last_sent = 0.0  # the first rows go at once: a live curve appears with the first steps
        self.step = 0
        self.embeddings: dict[str, dict] = {}

    def _send(self, rows: list[tuple], now: float) -> None:
        self.pending += rows
        if now - self.last_sent >= SEND_SECONDS:
            self.last_sent = now
            self.send_kept()

    def send_kept(self) -> None:
        """The kept rows, with one attempt; a store that cannot take them keeps them kept."""
        if not self.pending:
            return
        try:
            self._quick.add_metrics(self.run_id, self.pending)
        except StoreError:
            return  # kept; the next rows (or flush) send them
        self.pending = []

    def flush(self) -> None:
        """Every kept row, waiting through the store's retry window (raises when it stays away)."""
        if self.pending:
            self.store.add_metrics(self.run_id, self.pending)
            self.pending = []

    def __call__(self, event: str, payload: dict) -> None:
        now = time.time()
        if event == "steps":
            rows = []
            for step, losses in payload["rows"]:
                self.step = step
                rows += [(payload["phase"], payload["epoch"], step, name, value, now)
                         for name, value in losses.items()]
            self._send(rows, now)
        elif event == "validation":
            self._send([(payload["phase"], payload["epoch"], self.step, f"valid_{k}", payload["metrics"][k], now)
                        for k in ("ndcg@10", "hr@10") if k in payload["metrics"]], now)
        elif event == "epoch":
            self.heartbeat.progress = payload["progress"]
            self._send([(payload["phase"], payload["epoch"], self.step, EPOCH_SECONDS, payload["seconds"], now)], now)
        elif event == "embeddings":
            self.embeddings[payload["stage"]] = payload["vectors"]
        if self.heartbeat.cancel_flag:
            raise RunCancelled(pruned=self.heartbeat.cancel_flag == PRUNE)
