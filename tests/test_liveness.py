"""A run is failed as lost only when its owner is really gone; one worker per home."""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from processes import command_line, home_cmdlines, home_processes, home_workers, kill_home_processes
from test_runs import start_worker, stop, submit, wait_for
from crossrec.runs.open_store import open_store
from crossrec.runs.worker import ensure_worker


# A short emcdr run on the tiny pair: enough to train, finish and be projected, in seconds.
QUICK_EMCDR = ("--method", "emcdr", "--set", "epochs=2", "--set", "map_epochs=2", "--set", "dim=8")


def foreground_run() -> str:
    """A run trained to done by the foreground `train` (no worker): its UMAP/t-SNE are not computed."""
    from conftest import run_cli
    proc = run_cli("train", "synthetic-tiny", *QUICK_EMCDR, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])["run_id"]


def _set_owner(store, run_id, pid, host, heartbeat):
    with store._connect(immediate=True) as con:
        con.execute("UPDATE runs SET status='running', worker_pid=?, worker_host=?, heartbeat=? "
                    "WHERE id=?", (pid, host, heartbeat, run_id))


def test_the_reaper_judges_by_the_owner_not_by_a_late_heartbeat(home):
    store = open_store()
    ids = [store.create_run({"catalog": "synthetic-tiny"}, "cmf", {}, seed=k) for k in range(4)]
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    _set_owner(store, ids[0], os.getpid(), store.host, 0.0)         # alive here, silent for ages
    _set_owner(store, ids[1], int(dead), store.host, 9e12)          # dead here, fresh beat
    _set_owner(store, ids[2], 1, "elsewhere", 0.0)                  # another host, silent
    _set_owner(store, ids[3], 1, "elsewhere", 9e12)                 # another host, beating
    failed = store.fail_dead_runs(stale_seconds=30)
    assert sorted(failed) == sorted([ids[1], ids[2]])
    assert "died" in store.get_run(ids[1])["error"] and "elsewhere" in store.get_run(ids[2])["error"]
    assert store.get_run(ids[0])["status"] == "running" and store.get_run(ids[3])["status"] == "running"
    store.finish(ids[1], "done", metrics={"cold": {}})  # a failed run never turns done
    assert store.get_run(ids[1])["status"] == "failed"


def test_a_child_that_starts_late_still_ends_done(home, monkeypatch, tmp_path):
    # The child process stalls 8 s at its start while the heartbeat limit is 2 s: a busy machine.
    # (A sitecustomize on PYTHONPATH, run by every Python process at start, stalls only the child.)
    slow = tmp_path / "slow_child"
    slow.mkdir()
    (slow / "sitecustomize.py").write_text(
        "import sys, time\n"
        "if sys.orig_argv[1:3] == ['-m', 'crossrec.runs.child']:\n"
        "    time.sleep(8)\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(slow), os.environ.get("PYTHONPATH")])))
    monkeypatch.setenv("CROSSREC_HEARTBEAT_LIMIT", "2")
    run_id = submit("synthetic-tiny", "--method", "popularity")
    worker = start_worker("--once")
    try:
        store = open_store()
        run = wait_for(lambda: (r := store.get_run(run_id))["status"] not in ("queued", "running") and r,
                       600, "the run to end")
        assert run["status"] == "done", run["error"]
        assert run["metrics"]["cold"]["n_users"] > 0
    finally:
        stop(worker)


def test_concurrent_callers_start_one_worker(home):
    store = open_store()
    records = []
    threads = [threading.Thread(target=lambda: records.append(ensure_worker(open_store()))) for _ in range(8)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len({r["pid"] for r in records}) == 1
        wait_for(lambda: store.live_workers(), 300, "the worker to beat")
        assert len(home_workers(home)) == 1
        assert ensure_worker(store)["pid"] == records[0]["pid"]
    finally:
        kill_home_processes(home)


def test_projections_run_in_a_bounded_pool_and_survive_a_killed_worker(home, monkeypatch):
    """...and the alignment metrics a worker measures after a run (with its projections) are the
    ones the foreground `train` measures at once, for the same run."""
    monkeypatch.setenv("CROSSREC_THREADS", "1")  # one thread in both: the same seed, the same sums
    done_early = foreground_run()
    store = open_store()
    assert store.get_run(done_early)["summary"]["projections"] == ["pca"]
    queued = [submit("synthetic-tiny", *QUICK_EMCDR, "--seed", str(k)) for k in range(3)]
    worker = start_worker("--once", "--concurrency", "1")
    most = {"projection": 0, "child": 0}
    projectors = set()  # every projection process seen, by pid
    try:
        def finished():
            procs = home_cmdlines(home)
            most["projection"] = max(most["projection"], sum("crossrec.runs.projections" in c for c in procs))
            most["child"] = max(most["child"], sum("crossrec.runs.child" in c for c in procs))
            projectors.update(p.pid for p in home_processes(home) if "crossrec.runs.projections" in command_line(p.pid))
            return worker.poll() is not None
        wait_for(finished, 900, "the worker to finish runs and projections")
    finally:
        stop(worker)
    for run_id in [done_early] + queued:
        run = store.get_run(run_id)
        assert run["status"] == "done", run["error"]
        assert set(run["summary"]["projections"]) == {"pca", "umap", "tsne"}, run_id
        assert set(run["summary"]["alignment"]) == {"before", "after"}, run_id
    # the first queued run repeats the foreground one (seed 0): measured later, the same numbers
    assert store.get_run(queued[0])["summary"]["alignment"] == store.get_run(done_early)["summary"]["alignment"]
    assert most["projection"] == 1  # one at a time, by default
    assert len(projectors) == 1     # and one process projected all four: numba compiled UMAP once
    assert most["child"] <= 2       # the run training and the spare warming up, no more


def test_a_warm_child_takes_the_next_run_and_a_crash_ends_only_the_run_in_hand(home, monkeypatch):
    """The launcher with real children: the child that trained a run trains the next one (no
    second torch import) and a run repeated there gives the same numbers (nothing of the first
    leaks into the second); a child killed mid-run fails that run with its signal, and the run
    after it trains in a fresh child."""
    import signal
    from test_runs import wait_for
    from crossrec.runs.worker import LocalLauncher
    monkeypatch.setenv("CROSSREC_THREADS", "1")  # one thread: the same seed, the same sums
    store = open_store(home)
    quick, long = {"epochs": 3}, {"epochs": 400, "patience": 400}
    ids = [store.create_run({"catalog": "synthetic-tiny"}, "cmf", settings, seed=seed)
           for seed, settings in [(0, quick), (0, quick), (1, long), (1, quick)]]
    launcher = LocalLauncher(store)

    def train(run_id: str) -> int:
        launcher.start(store.claim_next(os.getpid(), "local", run_id=run_id))
        return launcher.active[0].process.pid

    def until_idle() -> None:
        wait_for(lambda: (launcher.reap(), launcher.training() == 0)[1], 600, "the run to end")

    try:
        first = train(ids[0])
        until_idle()
        assert train(ids[1]) == first
        until_idle()
        repeated = [store.get_run(i) for i in ids[:2]]
        assert [r["status"] for r in repeated] == ["done", "done"]
        assert repeated[0]["metrics"] == repeated[1]["metrics"]
        assert train(ids[2]) == first
        os.kill(first, signal.SIGKILL)
        until_idle()
        crashed = store.get_run(ids[2])
        assert crashed["status"] == "failed" and "signal 9" in crashed["error"], crashed["error"]
        assert train(ids[3]) != first
        until_idle()
        last = store.get_run(ids[3])
        assert last["status"] == "done", last["error"]
    finally:
        launcher.shutdown()
    assert home_cmdlines(home) == []


def test_a_child_whose_parent_died_before_it_could_watch_exits_at_once():
    # A worker killed between fork and PR_SET_PDEATHSIG sends no signal; the child must see that
    # its parent is no longer the one that started it, not live on (here: instead of sleeping).
    from functools import partial
    from crossrec.runs.worker import _prepare_child
    not_the_parent = subprocess.Popen([sys.executable, "-c", "pass"])
    not_the_parent.wait()
    child = subprocess.Popen(["sleep", "600"], preexec_fn=partial(_prepare_child, not_the_parent.pid))
    try:
        assert child.wait(timeout=120) == 1
    finally:
        child.kill()
    watched = subprocess.Popen(["sleep", "600"], preexec_fn=partial(_prepare_child, os.getpid()))
    try:
        assert watched.poll() is None  # its real parent is alive: it runs
    finally:
        watched.kill()
        watched.wait()


def test_a_worker_without_projections_trains_and_leaves_them_to_the_next(home):
    from conftest import run_cli
    from crossrec.runs.projections import needs_projections
    run_id = submit("synthetic-tiny", *QUICK_EMCDR)
    proc = run_cli("worker", "--once", "--no-projections", timeout=600)
    assert proc.returncode == 0, proc.stderr
    run = open_store().get_run(run_id)
    assert run["status"] == "done" and run["summary"]["projections"] == ["pca"]
    assert "alignment" not in run["summary"]  # measured with the projections, not on the run's time
    assert needs_projections(run)  # a later worker's scan picks it up
    assert "crossrec.runs.projections" not in " ".join(home_cmdlines(home))
    # the Embeddings page says the metrics are coming, not that the method has none
    from streamlit.testing.v1 import AppTest
    from test_app import APP, goto
    open_store(home).worker_beat(os.getpid(), {})  # a live worker row: the app starts none
    try:
        at = AppTest.from_file(APP, default_timeout=180)
        at.run()
        goto(at, "pages/embeddings.py")
        assert any("computes this run's alignment metrics" in i.value for i in at.info), [i.value for i in at.info]
        assert not at.dataframe
    finally:
        open_store(home).worker_gone(os.getpid())


def test_projections_run_below_training_in_priority(home):
    """A projection process gets the worker's niceness plus PROJECTION_NICENESS; a training child
    keeps the worker's, so a queued run is not slowed by the UMAP of a finished one."""
    from crossrec.runs.worker import PROJECTION_NICENESS, LocalLauncher

    def niceness(pid: int) -> int:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])

    launcher = LocalLauncher(open_store(home))
    try:
        launcher.project("no-such-run")  # the process starts niced whatever it then finds
        launcher.keep_spare(True)
        projection, spare = launcher.projectors[0].process.pid, launcher.idle[0].process.pid
        # read before anyone waits on it: even an ended process keeps its /proc entry until then
        assert niceness(projection) - niceness(os.getpid()) == PROJECTION_NICENESS
        assert niceness(spare) == niceness(os.getpid())
    finally:
        launcher.shutdown()


def test_no_projection_starts_while_a_run_trains(home):
    """Training comes first: while a run trains the launcher has no room for a projection, and
    once it ends the scheduler's pass starts the one that is due, which finishes."""
    from crossrec.runs.worker import LocalLauncher
    from crossrec.scheduling.scheduler import Scheduler

    done = foreground_run()
    queued = submit("synthetic-tiny", *QUICK_EMCDR, "--seed", "1")
    store = open_store(home)
    launcher = LocalLauncher(store)
    scheduler = Scheduler(store, launcher, worker_row=False)
    try:
        launcher.start(store.claim_next(os.getpid()))
        assert launcher.projection_room() == 0
        scheduler._project(force=True)  # the scan finds the done run that lacks them...
        assert launcher.projecting == []  # ...and starts nothing beside training
        wait_for(lambda: launcher.reap() or launcher.training() == 0, 600, "the run to end")
        assert launcher.projection_room() == 1
        scheduler._project(force=True)
        (started,) = launcher.projecting  # one slot: one of the two done runs
        assert started in {done, queued}
        wait_for(lambda: launcher.reap() or not launcher.projecting, 900, "the projection to end")
    finally:
        launcher.shutdown()
    assert store.get_run(queued)["status"] == "done"
    assert {"umap", "tsne"} <= set(store.get_run(started)["summary"]["projections"])


def test_a_worker_with_nothing_to_do_ends_by_itself(home):
    """A worker with no queued or running run, no running sweep and no projection due exits 0
    after CROSSREC_WORKER_IDLE_S seconds and leaves no process (the bound is a hang guard)."""
    from conftest import run_cli
    proc = run_cli("worker", timeout=600, env={"CROSSREC_WORKER_IDLE_S": "5"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert home_cmdlines(home) == []  # no spare child, no projection left behind
    assert open_store().live_workers() == []


def test_a_bad_idle_setting_is_refused_in_one_line(home):
    from conftest import run_cli
    bad = run_cli("worker", timeout=300, env={"CROSSREC_WORKER_IDLE_S": "soon"})
    assert bad.returncode == 2 and "CROSSREC_WORKER_IDLE_S" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_methods_json_imports_no_torch():
    code = ("import contextlib, io, sys; from crossrec.cli import main; out = io.StringIO();\n"
            "with contextlib.redirect_stdout(out): rc = main(['methods', '--json'])\n"
            "import json; assert rc == 0 and len(json.loads(out.getvalue())['methods']) == 10\n"
            "print('torch' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"
