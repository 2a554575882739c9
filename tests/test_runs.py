"""Run store and worker with real processes: crash recovery, cancel, concurrency, NaN, restart."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT, run_cli
from crossrec.runs.open_store import open_store
from crossrec.runs.store import CANCEL, MIGRATIONS

LONG = ["--set", "epochs=400", "--set", "patience=400", "--set", "batch_size=512"]


def submit(*args) -> str:
    proc = run_cli("submit", *args, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])["run_id"]


def start_worker(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "crossrec", "worker", *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def stop(proc: subprocess.Popen) -> None:
    """Kill a worker's process group and wait until every member is gone (a killed child that
    imported torch takes a moment to exit on a busy machine)."""
    import psutil
    group = []
    for p in psutil.process_iter(["pid"]):
        try:
            if os.getpgid(p.pid) == proc.pid:
                group.append(p)
        except (ProcessLookupError, PermissionError):
            continue
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(10)
    psutil.wait_procs(group, timeout=60)


def wait_for(predicate, timeout: float, what: str):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split(")")[-1].split()[0] != "Z"


def test_store_schema_wal_and_atomic_claims(home):
    store = open_store()
    assert store.schema_version == len(MIGRATIONS)
    import sqlite3
    assert sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    ids = [store.create_run({"catalog": "synthetic-tiny"}, "cmf", {}, seed=s) for s in range(20)]
    claimed: list[str] = []

    def claimer():
        mine = open_store()
        while (run := mine.claim_next(os.getpid())) is not None:
            claimed.append(run["id"])

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(claimed) == sorted(ids)  # every run claimed exactly once
    # reopening (an app or worker restart) sees the same runs
    assert {r["id"] for r in open_store().list_runs()} == set(ids)


def test_sigkilled_worker_run_fails_next_run_completes(home):
    doomed = submit("synthetic", "--method", "cmf", *LONG)
    worker = start_worker()
    store = open_store()
    try:
        wait_for(lambda: store.count_metrics(doomed) > 0, 120, "the first metric rows")
        child_pids = children(worker.pid)
        assert child_pids
        os.kill(worker.pid, signal.SIGKILL)  # the worker only; its children must follow
        worker.wait(10)
        # the training child dies with its worker (no orphan keeps writing)
        wait_for(lambda: not any(alive(p) for p in child_pids), 10, "the children to die")
        rows_after_kill = store.count_metrics(doomed)
        nxt = submit("synthetic-tiny", "--method", "popularity")
        worker = start_worker()
        run = wait_for(lambda: (r := store.get_run(doomed))["status"] == "failed" and r, 10, "the failed mark")
        assert "died" in run["error"] or "heartbeat" in run["error"]
        wait_for(lambda: store.get_run(nxt)["status"] == "done", 120, "the next run")
        assert store.count_metrics(doomed) == rows_after_kill  # nothing else changed
        assert store.integrity_ok()
    finally:
        stop(worker)


def test_cancel_running_run_keeps_its_rows(home):
    run_id = submit("synthetic", "--method", "target_only", *LONG)
    worker = start_worker()
    store = open_store()
    try:
        wait_for(lambda: store.count_metrics(run_id) > 0, 120, "the first metric rows")
        asked = time.time()
        assert run_cli("cancel", run_id).returncode == 0
        wait_for(lambda: store.get_run(run_id)["status"] == "cancelled", 5, "cancelled within 5 s")
        assert time.time() - asked < 5
        kept = store.count_metrics(run_id)
        assert kept > 0
        time.sleep(1.5)
        assert store.count_metrics(run_id) == kept
        shown = json.loads(run_cli("show", run_id, "--json").stdout.strip().splitlines()[-1])
        assert shown["status"] == "cancelled" and shown["n_metric_rows"] == kept
    finally:
        stop(worker)


def test_two_runs_at_once_with_a_polling_reader(home):
    a = submit("synthetic-tiny", "--method", "cmf", "--set", "epochs=40", "--set", "batch_size=128")
    b = submit("synthetic-tiny", "--method", "target_only", "--set", "epochs=40", "--set", "batch_size=128")
    worker = start_worker("--concurrency", "2")
    store = open_store()
    errors, polls = [], 0
    try:
        deadline = time.time() + 300
        while time.time() < deadline:
            try:
                runs = {r["id"]: r for r in store.list_runs()}
                store.metrics(a)
                store.metrics(b)
                polls += 1
            except Exception as err:  # noqa: BLE001 - any error here is the failure we test for
                errors.append(repr(err))
            if all(runs[i]["status"] == "done" for i in (a, b)):
                break
            time.sleep(0.2)
        assert not errors
        assert polls > 10
        for run_id in (a, b):
            run = store.get_run(run_id)
            assert run["status"] == "done", run["error"]
            rows = store.metrics(run_id)
            steps = {}
            for r in rows:
                if not r["name"].startswith(("valid_", "time_")):  # per-step losses only
                    steps.setdefault(r["name"], []).append(r["step"])
            for name, logged in steps.items():  # no lost row: steps 1..N each exactly once
                assert sorted(logged) == list(range(1, max(logged) + 1)), name
            epochs = [r["epoch"] for r in rows if r["name"] == "time_epoch_seconds"]
            assert epochs == list(range(1, len(epochs) + 1)) and epochs  # one timing per epoch
        starts = [store.get_run(i)["started"] for i in (a, b)]
        ends = [store.get_run(i)["finished"] for i in (a, b)]
        assert max(starts) < min(ends)  # they ran at the same time
    finally:
        stop(worker)


def test_the_run_logger_batches_rows_and_loses_none(home):
    """Hundreds of quick step events make a few store writes, the first at once (a live curve
    starts with the first steps); flush sends the rest, each row once; a cancel is seen at the
    very next event even when no rows go out with it."""
    from crossrec.runs.heartbeat import RunHeartbeat
    from crossrec.runs.run_logger import RunCancelled, RunLogger
    store = open_store()
    run_id = store.create_run({"catalog": "synthetic-tiny"}, "cmf", {}, seed=0)
    logger = RunLogger(RunHeartbeat(store, run_id))
    for step in range(1, 301):
        logger("steps", {"phase": "train", "epoch": 1, "rows": [(step, {"loss": 1.0 / step})]})
    assert 1 <= store.count_metrics(run_id) < 300  # the first row went at once, most are kept
    logger.flush()
    assert sorted(r["step"] for r in store.metrics(run_id)) == list(range(1, 301))
    logger.heartbeat.cancel_flag = CANCEL
    with pytest.raises(RunCancelled):
        logger("steps", {"phase": "train", "epoch": 1, "rows": [(301, {"loss": 0.5})]})


def test_nan_fails_the_run_with_epoch_and_step(home):
    proc = run_cli("train", "synthetic-tiny", "--method", "target_only", "--set", "lr=10",
                   "--set", "weight_decay=0")
    assert proc.returncode == 1
    assert "loss became NaN at epoch" in proc.stderr and "step" in proc.stderr
    run = open_store().list_runs()[0]
    assert run["status"] == "failed" and run["error"].startswith("loss became NaN at epoch")


def test_checkpoint_loads_with_weights_only(home):
    out = json.loads(run_cli("train", "synthetic-tiny", "--method", "emcdr", "--set", "epochs=2",
                             "--set", "map_epochs=2", "--json").stdout.strip().splitlines()[-1])
    from crossrec.train.checkpoint import load_checkpoint
    state = load_checkpoint(Path(os.environ["CROSSREC_HOME"]) / "artifacts" / out["run_id"] / "checkpoint.pt")
    assert any(k.startswith("bridge.") for k in state)
