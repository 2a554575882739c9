"""The cluster path on real servers: runs as Ray tasks on a local 2-CPU Ray cluster, recorded in
a PostgreSQL run store; the dashboard's pages show them with no Ray-specific code."""

import os
import signal

import pytest

from crossrec.methods.catalog import all_cards
from crossrec.scheduling.executor import make_executor
from crossrec.runs.request import validate_request
from crossrec.runs.open_store import open_store
from crossrec.runs.store import ACTIVE
import test_app
from processes import end_home_processes, home_workers

pytest.importorskip("ray")
TINY = {"catalog": "synthetic-tiny"}
PASSWORD = "Ray0nlyS33sAFile"


@pytest.fixture(scope="module")
def ray_address():
    from servers import ray_cluster
    with ray_cluster(cpus=2) as address:
        yield address


@pytest.fixture
def cluster(home, postgres_url, ray_address, monkeypatch):
    """This test's home on the shared PostgreSQL store, runs executed by the Ray cluster."""
    from servers import fresh_database
    # a password in the address (trust auth ignores it): it must never reach a log
    monkeypatch.setenv("CROSSREC_STORE", fresh_database(postgres_url).replace("postgres@", f"postgres:{PASSWORD}@"))
    monkeypatch.setenv("CROSSREC_EXECUTOR", "ray")
    monkeypatch.setenv("RAY_ADDRESS", ray_address)
    store = open_store(home)
    executor = make_executor(store)
    yield store, executor
    executor.stop()  # its scheduler thread must not outlive the cluster
    end_home_processes(home)  # Ray keeps idle workers of this home's environment: end them


def request(seed, epochs=3, method="cmf"):
    """A long run (epochs > 3) never stops early, so it is still running when the test acts."""
    settings = {"epochs": epochs} if epochs <= 3 else {"epochs": epochs, "patience": 1000}
    return validate_request(all_cards(), TINY, method, settings, seed, "auto", "full")


def wait_until(check, timeout=900):
    return test_app.wait_until(check, timeout)


def test_six_runs_on_ray_end_done_and_the_pages_show_them(cluster, home):
    from streamlit.testing.v1 import AppTest
    from test_app import APP, goto
    store, executor = cluster
    assert type(executor).__name__ == "RayExecutor" and type(store).__name__ == "PostgresRunStore"
    ids = [executor.submit(request(seed)) for seed in range(6)]
    wait_until(lambda: all(store.get_run(i)["status"] not in ACTIVE for i in ids))
    runs = [store.get_run(i) for i in ids]
    assert [r["status"] for r in runs] == ["done"] * 6, [r["error"] for r in runs]
    assert all(r["executor"] == "ray" and r["metrics"]["cold"]["ndcg@10"] > 0 for r in runs)
    assert all(store.count_metrics(i) > 0 for i in ids)  # the curves
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not home_workers(home)  # no local worker
    at.session_state["run_id"] = ids[0]
    goto(at, "pages/monitor.py")
    assert any("done" in p.text for p in at.get("progress")) and at.get("plotly_chart")
    goto(at, "pages/compare.py")
    table = at.table[0].value.reset_index()
    assert list(table["method"]) == ["cmf"] and list(table["n"].astype(int)) == [6]


def test_a_killed_ray_worker_fails_its_run_and_a_cancel_ends_another(cluster):
    store, executor = cluster
    doomed, stopped = executor.submit(request(0, epochs=400)), executor.submit(request(1, epochs=400))
    wait_until(lambda: all(store.get_run(i)["status"] == "running" and store.count_metrics(i) > 0
                           for i in (doomed, stopped)))
    os.kill(store.get_run(doomed)["worker_pid"], signal.SIGKILL)
    assert executor.cancel(stopped) == "running"
    wait_until(lambda: store.get_run(doomed)["status"] != "running" and store.get_run(stopped)["status"] != "running")
    failed, cancelled = store.get_run(doomed), store.get_run(stopped)
    assert failed["status"] == "failed" and "died" in failed["error"], failed  # Ray's reason (or the reaper's)
    assert cancelled["status"] == "cancelled", cancelled
    after = executor.submit(request(2))  # the cluster still trains
    wait_until(lambda: store.get_run(after)["status"] not in ACTIVE)
    assert store.get_run(after)["status"] == "done"


def test_a_sweep_runs_its_trials_on_ray(cluster):
    from conftest import run_cli
    store, _ = cluster
    proc = run_cli("sweep", "synthetic-tiny", "--method", "cmf", "--trials", "2", "--space", "epochs=3",
                   "--space", "dim=8,16", "--sampler", "grid", "--json", timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (sweep,) = store.list_sweeps()
    runs = store.sweep_runs(sweep["id"])
    assert sweep["status"] == "done" and len(runs) == 2, (sweep, [(r["status"], r["error"]) for r in runs])
    assert all(r["executor"] == "ray" and r["status"] == "done" for r in runs)
    assert {r["settings"]["dim"] for r in runs} == {8, 16}


def test_the_store_password_never_reaches_rays_logs(cluster, home):
    from pathlib import Path
    store, executor = cluster
    run_id = executor.submit(request(7))
    wait_until(lambda: store.get_run(run_id)["status"] not in ACTIVE)
    assert store.get_run(run_id)["status"] == "done"
    session = Path("/tmp/ray/session_latest").resolve()
    logs = [p for p in session.rglob("*") if p.is_file() and p.stat().st_size < 200 << 20]
    assert any("runtime_env" in p.name for p in logs)  # the logs that used to hold it are there
    leaked = [str(p) for p in logs if PASSWORD.encode() in p.read_bytes()]
    assert not leaked, leaked
    address = home / ".store-address"
    assert address.stat().st_mode & 0o077 == 0  # the file the tasks read is its owner's only
