"""Faults a user meets, each with real processes and real files: the run store, the artifact
folder and the command line must answer with one clear line and lose nothing stored before."""

import json
import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import run_cli
from processes import end_home_processes
from crossrec.runs.open_store import open_store

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def one_line_error(proc, *words):
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def finished_run() -> str:
    proc = run_cli("train", "synthetic-tiny", "--method", "popularity", "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])["run_id"]


@pytest.mark.parametrize("seed", ["-5", "4294967296", "99999999999999999999", "1_0", "١٢"])
def test_seeds_outside_0_to_2_32_are_refused(home, seed):
    one_line_error(run_cli("submit", "synthetic-tiny", "--method", "cmf", "--seed", seed), "seed")
    assert not (home / "crossrec.sqlite").exists() or open_store(home).list_runs() == []


def test_largest_seed_is_accepted(home):
    proc = run_cli("submit", "synthetic-tiny", "--method", "cmf", "--seed", "4294967295", "--json")
    assert proc.returncode == 0, proc.stderr
    assert open_store(home).list_runs()[0]["seed"] == 4294967295


def test_unwritable_artifact_folder_fails_the_run_with_one_line(home):
    home.mkdir(parents=True)
    (home / "artifacts").write_text("not a folder")  # root ignores permissions; a file in the way does not
    line = one_line_error(run_cli("train", "synthetic-tiny", "--method", "popularity"),
                          "could not write artifacts", str(home / "artifacts"))
    run = open_store(home).list_runs()[0]
    assert run["status"] == "failed" and run["error"] in line
    assert not list(home.rglob("*.tmp"))


def test_damaged_store_says_what_to_do_and_recover_rebuilds_runs(home):
    run_id = finished_run()
    db = home / "crossrec.sqlite"
    with sqlite3.connect(db) as con:  # fold the WAL in, so the file alone holds the runs
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.write_bytes(b"this is not a database" * 200)
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    one_line_error(run_cli("runs"), str(db), "damaged", "recover")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception and any("damaged" in e.value for e in at.error)
    proc = run_cli("recover", "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["restored"] == [run_id] and Path(result["moved_aside"]).exists()
    run = open_store(home).get_run(run_id)
    assert run["status"] == "done" and run["metrics"]["cold"]["n_users"] > 0


def test_emptied_store_is_noticed_and_recovered_from_the_home_page(home):
    run_id = finished_run()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{home / 'crossrec.sqlite'}{suffix}").unlink(missing_ok=True)
    (home / "crossrec.sqlite").write_bytes(b"")  # truncated to 0 bytes
    assert open_store(home).list_runs() == []
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert any("no record in the run store" in w.value for w in at.warning)
    next(b for b in at.button if b.label == "Recover these runs").click().run()
    end_home_processes(home)  # the worker the app started
    assert not at.exception
    assert open_store(home).get_run(run_id)["status"] == "done"


def test_first_cancel_of_a_queued_run_says_cancelled(home):
    proc = run_cli("submit", "synthetic-tiny", "--method", "cmf", "--json")
    run_id = json.loads(proc.stdout)["run_id"]
    first, second = run_cli("cancel", run_id), run_cli("cancel", run_id)
    assert first.stdout.strip() == f"run {run_id} cancelled"
    assert second.stdout.strip() == f"run {run_id} already cancelled"


@pytest.mark.parametrize("value", ["1_0", "١٠", "1e", "ten"])
def test_settings_take_strict_ascii_numbers(home, value):
    one_line_error(run_cli("submit", "synthetic-tiny", "--method", "cmf", "--set", f"epochs={value}"),
                   "epochs", "ASCII")
    one_line_error(run_cli("submit", "synthetic-tiny", "--method", "cmf", "--set", f"lr={value}"), "lr")


def test_a_target_without_test_users_is_refused(home, tmp_path):
    source = tmp_path / "s.csv"
    source.write_text("user,item\na,1\nb,2\n")
    target = tmp_path / "t.csv"
    target.write_text("user,item\na,9\n")  # one row: nothing to hold out
    one_line_error(run_cli("train", "--source", source, "--target", target, "--method", "popularity"),
                   "no target test users")


def test_a_deleted_projection_can_be_computed_again_from_the_page(home):
    proc = run_cli("train", "synthetic-tiny", "--method", "emcdr", "--set", "epochs=2",
                   "--set", "map_epochs=2", "--json")
    run_id = json.loads(proc.stdout.strip().splitlines()[-1])["run_id"]
    (home / "artifacts" / run_id / "projection_pca.parquet").unlink()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.session_state["run_id"] = run_id
    at.switch_page("pages/embeddings.py")
    at.run()
    assert not at.exception and any("missing" in w.value for w in at.warning)
    next(b for b in at.button if b.label == "Compute again").click().run()
    end_home_processes(home)  # the worker the app started
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.get("plotly_chart")) >= 2


def test_a_stored_run_with_a_bad_seed_fails_with_the_same_one_line_check(home):
    store = open_store(home)
    run_id = store.create_run({"catalog": "synthetic-tiny"}, "cmf", {"epochs": "1_0"}, seed=-5)
    proc = run_cli("worker", "--once", timeout=300)
    assert proc.returncode == 0, proc.stderr
    run = store.get_run(run_id)
    assert run["status"] == "failed" and "epochs" in run["error"] and "\n" not in run["error"]
