"""Issue #28's fault suite: files that cannot exhaust memory, a store that goes away (locked,
deleted, a home that is a file) while runs train, refusals that write nothing, and secrets that
stay secret. Real processes, real files, real SQLite; memory measured on the child process."""

import gzip
import json
import os
import sqlite3
import subprocess
import sys
import time

import pytest

from conftest import ROOT, run_cli, write
from test_faults import one_line_error
from test_runs import LONG, start_worker, stop, submit, wait_for
from crossrec.runs.open_store import open_store

PASSWORD = "S3cretPassw0rd"


def peak_rss_mb(*args, env=None) -> tuple[subprocess.CompletedProcess, float]:
    """Run `python -m crossrec ARGS` and measure its peak resident memory (MB)."""
    code = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.stderr.write(p.stderr); sys.exit(p.returncode)")
    proc = subprocess.run([sys.executable, "-c", code, sys.executable, "-m", "crossrec", *map(str, args)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})})
    return proc, int(proc.stdout.strip().splitlines()[-1]) / 1024


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory):
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    folder = tmp_path_factory.mktemp("bad")
    n = 60_000_000  # 546 KB on disk, 960 MB decoded
    pq.write_table(pa.table({"user": np.zeros(n, np.int64), "item": np.zeros(n, np.int64)}),
                   folder / "bomb.parquet", compression="zstd")
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    with gzip.open(folder / "titles.csv.gz", "wb", compresslevel=9) as out:
        out.write(b"item,title\n")
        for _ in range(64):
            out.write(b"a" * (16 << 20))  # one 1 GB line
    write(folder / "ok.csv", "user,item\n" + "".join(f"u{i},i{i % 7}\n" for i in range(40)))
    return folder


def test_a_parquet_bomb_is_refused_from_its_metadata_in_bounded_memory(home, bad_files):
    proc, mb = peak_rss_mb("inspect", "--source", bad_files / "bomb.parquet", "--target", bad_files / "ok.csv")
    one_line_error(proc, "bomb.parquet", "times its size")
    assert mb < 1024, mb


def test_a_parquet_upload_preview_reads_the_metadata_first(bad_files):
    from crossrec.data.uploads import preview
    from crossrec.errors import DataError
    with pytest.raises(DataError, match="times its size"):
        preview("bomb.parquet", (bad_files / "bomb.parquet").read_bytes())


def test_a_title_file_goes_through_the_reader_limits(home, bad_files):
    folder = home.parent / "data" / "titled"
    write(folder / "s.csv", (bad_files / "ok.csv").read_text())
    write(folder / "t.csv", (bad_files / "ok.csv").read_text())
    (folder / "titles.csv.gz").write_bytes((bad_files / "titles.csv.gz").read_bytes())
    write(folder / "pair.json", json.dumps({"source": "s.csv", "target": "t.csv", "target_titles": "titles.csv.gz"}))
    code = ("import sys; from crossrec.data.titles import item_titles; from crossrec.errors import DataError\n"
            "try:\n    item_titles({'catalog': 'titled'})\nexcept DataError as err:\n    print(err); sys.exit(2)")
    wrapper = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
               "print(p.stdout.strip()); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(p.returncode)")
    proc = subprocess.run([sys.executable, "-c", wrapper, sys.executable, "-c", code], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    message, rss = proc.stdout.strip().splitlines()
    assert proc.returncode == 2 and "titles.csv.gz" in message and "times its size" in message, proc.stdout + proc.stderr
    assert int(rss) / 1024 < 1024


def test_json_nested_too_deep_is_one_line_everywhere(home, bad_files):
    from crossrec.data.uploads import preview
    from crossrec.errors import DataError
    deep, ok = bad_files / "deep.json", bad_files / "ok.csv"
    for command in ("inspect", "train", "submit"):
        extra = [] if command == "inspect" else ["--method", "popularity"]
        one_line_error(run_cli(command, "--source", deep, "--target", ok, *extra), "deep.json", "nested deeper than 64 levels")
    with pytest.raises(DataError, match="nested deeper"):
        preview("deep.json", deep.read_bytes())
    assert not (home / "crossrec.sqlite").exists() or open_store(home).list_runs() == []


def test_synthetic_settings_too_large_are_refused_before_allocating(home):
    proc, mb = peak_rss_mb("inspect", "synthetic:users=1000000,source_items=200000,target_items=200000,density=0.5")
    one_line_error(proc, "row limit", "CROSSREC_MAX_ROWS")
    assert mb < 1024


def hold_write_lock(db, seconds: float) -> subprocess.Popen:
    """Another process that holds the store's write lock for `seconds`."""
    code = (f"import sqlite3, sys, time; con = sqlite3.connect({str(db)!r}, isolation_level=None, timeout=60); "
            f"con.execute('BEGIN IMMEDIATE'); print('locked', flush=True); time.sleep({seconds}); con.execute('ROLLBACK')")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_locked_store_gives_one_line_after_waiting(home):
    submit("synthetic-tiny", "--method", "popularity")  # a store with a run in it
    locker = hold_write_lock(home / "crossrec.sqlite", 60)
    try:
        started = time.time()
        line = one_line_error(run_cli("runs", env={"CROSSREC_STORE_RETRY_S": "3"}), "locked", "CROSSREC_STORE_RETRY_S")
        assert time.time() - started < 55  # it waited its window, not the lock's 60 s
    finally:
        locker.kill()
        locker.wait()
    assert "waited" in line
    assert len(open_store(home).list_runs()) == 1  # nothing lost


def test_a_run_trains_through_a_40_second_lock_and_can_be_cancelled_after(home):
    # `synthetic`, not `synthetic-tiny`: LONG on the tiny pair trains in about 8 s, and a run that
    # ended during the lock (under two CPU hogs) was done before the cancel came
    run_id = submit("synthetic", "--method", "cmf", *LONG)
    worker = start_worker()
    store = open_store(home)
    try:
        wait_for(lambda: store.get_run(run_id)["status"] == "running" and store.count_metrics(run_id) > 20,
                 600, "the run to train")
        before = store.count_metrics(run_id)
        locker = hold_write_lock(home / "crossrec.sqlite", 40)
        try:
            locker.wait(timeout=120)
        finally:
            locker.kill()
        assert worker.poll() is None  # the worker did not die of it
        wait_for(lambda: store.count_metrics(run_id) > before + 50, 300, "the rows held back to arrive")
        run = store.get_run(run_id)
        assert run["status"] == "running", run["error"]
        steps = [m["step"] for m in store.metrics(run_id) if m["name"] == "loss"]
        assert steps == sorted(steps) and len(set(steps)) == len(steps)  # none lost, none twice
        assert run_cli("cancel", run_id).returncode == 0
        wait_for(lambda: store.get_run(run_id)["status"] == "cancelled", 300, "the cancel")
    finally:
        stop(worker)


def test_a_deleted_store_is_treated_as_damaged_and_recover_restores_runs_and_sweeps(home):
    done = json.loads(run_cli("train", "synthetic-tiny", "--method", "popularity", "--json").stdout.strip().splitlines()[-1])["run_id"]
    proc = run_cli("sweep", "synthetic-tiny", "--method", "popularity", "--trials", "1", "--space", "dim=8,16",
                   "--sampler", "grid", "--json", timeout=600)
    assert proc.returncode == 0, proc.stderr
    sweep_id = json.loads(proc.stdout)["sweep_id"]
    training = submit("synthetic-tiny", "--method", "cmf", *LONG)
    worker = start_worker()
    try:
        store = open_store(home)
        wait_for(lambda: store.get_run(training)["status"] == "running" and store.count_metrics(training) > 0,
                 600, "the run to train")
        for suffix in ("", "-wal", "-shm"):
            (home / f"crossrec.sqlite{suffix}").unlink(missing_ok=True)
        time.sleep(3)
        assert worker.poll() is None  # the worker waits for its store
        one_line_error(run_cli("runs"), "gone", "recover")
        assert not (home / "crossrec.sqlite").exists()  # nothing started an empty store in its place
        proc = run_cli("recover", "--json")
        assert proc.returncode == 0, proc.stderr
        result = json.loads(proc.stdout)
        store = open_store(home)
        assert {done, training} <= set(result["restored"]) and result["sweeps"] == [sweep_id]
        assert store.get_run(done)["status"] == "done" and store.get_sweep(sweep_id)["status"] == "done"
        assert store.get_run(training)["status"] == "failed"
    finally:
        stop(worker)


def test_a_home_that_is_a_file_is_one_line(home):
    home.parent.mkdir(parents=True, exist_ok=True)
    home.write_text("not a folder")
    one_line_error(run_cli("runs"), "is a file")
    one_line_error(run_cli("submit", "synthetic-tiny", "--method", "popularity"), "is a file")
    assert home.read_text() == "not a folder"


@pytest.mark.parametrize("args, word", [(["--concurrency", "0"], "--concurrency"),
                                        (["--trials", "100000000"], "--trials")])
def test_a_refused_sweep_writes_nothing(home, args, word):
    one_line_error(run_cli("sweep", "synthetic-tiny", "--method", "cmf", *args), word)
    assert not (home / "crossrec.sqlite").exists() or open_store(home).list_sweeps() == []
    assert not (home / "optuna.sqlite").exists()


@pytest.mark.parametrize("url", [f"postgresql+psycopg://crossrec:{PASSWORD}@127.0.0.1:1/crossrec",
                                 f"mysql://crossrec:{PASSWORD}@127.0.0.1/crossrec",
                                 f"postgresql://crossrec:{PASSWORD}@127.0.0.1:1/crossrec"])
def test_a_store_url_never_shows_its_password(home, url):
    for command in (["runs"], ["submit", "synthetic-tiny", "--method", "popularity"]):
        proc = run_cli(*command, env={"CROSSREC_STORE": url, "CROSSREC_STORE_RETRY_S": "1"})
        one_line_error(proc)
        assert PASSWORD not in proc.stdout + proc.stderr and "crossrec:***@" in proc.stderr, proc.stderr


def test_the_app_binds_to_this_machine_and_shows_browsers_no_traceback():
    import tomllib
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "localhost"
    assert config["client"]["showErrorDetails"] == "type"


def test_an_access_code_guards_every_page(home, monkeypatch):
    from streamlit.testing.v1 import AppTest
    from test_app import APP
    from browser import stop_workers
    monkeypatch.setenv("CROSSREC_ACCESS_CODE", "open sesame")
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    try:
        assert [t.label for t in at.text_input] == ["Access code"] and [b.label for b in at.button] == ["Enter"]
        assert not at.get("plotly_chart") and not (home / "crossrec.sqlite").exists()  # nothing behind the gate ran
        for _ in range(5):
            at.text_input[0].input("guess")
            at.button[0].click().run()
            assert any("not the access code" in e.value for e in at.error)
        at.text_input[0].input("open sesame")
        at.button[0].click().run()
        assert any("Too many tries" in e.value for e in at.error)  # five a minute, even for the right code
        at.session_state["_access_tries"] = []
        at.text_input[0].input("open sesame")
        at.button[0].click().run()
        assert not at.error and any(t.value == "CrossRec Studio" for t in at.title)
        assert any(b.label == "Run the demo" for b in at.button)  # the Home page, past the gate
        assert "open sesame" not in json.dumps({k: str(at.session_state[k]) for k in at.session_state})
    finally:
        stop_workers(home)


def test_a_run_outlives_a_15_second_postgresql_outage(home, monkeypatch):
    pytest.importorskip("psycopg")
    from servers import fresh_database, postgres_bin, postgres_controlled
    if postgres_bin("initdb") is None:
        pytest.skip("PostgreSQL server binaries not installed")
    with postgres_controlled() as (server, control):
        url = fresh_database(server).replace("postgres@", f"postgres:{PASSWORD}@")  # trust auth ignores it
        monkeypatch.setenv("CROSSREC_STORE", url)
        training = submit("synthetic-tiny", "--method", "cmf", *LONG[:2], "--set", "epochs=150", "--set", "patience=150")
        waiting = submit("synthetic-tiny", "--method", "popularity")
        worker = start_worker("--once")
        try:
            store = open_store(home)
            wait_for(lambda: store.get_run(training)["status"] == "running" and store.count_metrics(training) > 20,
                     600, "the run to train")
            control.stop()
            time.sleep(15)
            assert worker.poll() is None  # the worker waits for its store
            control.start()
            wait_for(lambda: worker.poll() is not None, 900, "the worker to finish both runs")
            runs = {r["id"]: r for r in store.list_runs()}
            assert runs[training]["status"] == "done" and runs[waiting]["status"] == "done", \
                [(r["status"], r["error"]) for r in runs.values()]
            steps = [m["step"] for m in store.metrics(training) if m["name"] == "loss"]
            assert len(set(steps)) == len(steps) and steps == sorted(steps)
        finally:
            stop(worker)
        logs = (home / "worker-children.log").read_text() if (home / "worker-children.log").exists() else ""
        assert PASSWORD not in logs
