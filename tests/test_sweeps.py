"""Sweeps: Optuna searches on validation data, trials are runs, a killed worker loses nothing."""

import json
import os
import signal
import subprocess
import sys

import pytest

from conftest import ROOT, run_cli
from crossrec.runs.open_store import open_store
from test_faults import one_line_error
from test_runs import wait_for

QUICK = ["--space", "epochs=15", "--space", "lr=0.01:0.2:log", "--space", "dim=8,16,32"]


def test_a_sweep_runs_its_trials_and_keeps_the_best_on_validation(home):
    proc = run_cli("sweep", "synthetic-tiny", "--method", "cmf", "--trials", "8", *QUICK,
                   "--concurrency", "2", "--json", timeout=1200)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    trials = report["trials"]
    assert len(trials) == 8 and all(t["status"] in ("done", "pruned") for t in trials)
    first = next(t for t in trials if t["trial"] == 0)
    assert first["settings"]["lr"] == 0.05 and first["settings"]["dim"] == 8  # the defaults (dim clamped to the list)
    assert len({json.dumps(t["settings"], sort_keys=True) for t in trials}) > 1  # it searched
    best = report["best"]
    assert best["valid"]["ndcg@10"] == max(t["valid"]["ndcg@10"] for t in trials if t["status"] == "done")
    assert best["valid"]["ndcg@10"] >= first["valid"]["ndcg@10"] and best["test"]["cold"]["n_users"] > 0
    runs = open_store(home).list_runs()
    assert len(runs) == 8 and {r["sweep_id"] for r in runs} == {report["sweep_id"]}
    shown = json.loads(run_cli("show", report["sweep_id"], "--json").stdout)
    assert [t["run_id"] for t in shown["trials"]] == [t["run_id"] for t in trials]


@pytest.mark.parametrize("space, words", [
    (["--space", "nope=1:2"], ["unknown sweep key"]),
    (["--space", "lr=0.0:20"], ["inside"]),
    (["--space", "dim=,"], ["empty"]),
    (["--space", "lr=0.01:0.1", "--sampler", "grid"], ["grid"]),
    (["--space", "shift=0.1:0.9"], ["unknown sweep key"]),  # knobs are for synthetic pairs only
])
def test_bad_spaces_exit_2_with_one_line(home, tmp_path, space, words):
    if "shift" in space[1]:
        source, target = tmp_path / "s.csv", tmp_path / "t.csv"
        source.write_text("user,item\n" + "".join(f"u{k},{k % 7}\n" for k in range(60)))
        target.write_text("user,item\n" + "".join(f"u{k},{k % 5}\nu{k},{k % 3 + 5}\n" for k in range(60)))
        args = ["--source", source, "--target", target]
    else:
        args = ["synthetic-tiny"]
    one_line_error(run_cli("sweep", *args, "--method", "cmf", *space), *words)


def test_a_sweep_whose_worker_is_killed_finishes_under_a_new_worker(home):
    sweep = subprocess.Popen([sys.executable, "-m", "crossrec", "sweep", "synthetic-tiny", "--method", "cmf",
                              "--trials", "4", "--space", "epochs=400", "--space", "patience=400",
                              "--space", "lr=0.01:0.2:log", "--json"], cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    store = open_store(home)
    try:
        victim = wait_for(lambda: next((r for r in store.list_runs(("running",)) if store.count_metrics(r["id"])), None),
                          300, "a trial to train")
        os.kill(sweep.pid, signal.SIGKILL)  # the worker only: its training child dies with it
        sweep.wait(10)
    finally:
        if sweep.poll() is None:
            os.killpg(sweep.pid, signal.SIGKILL)
    # a new worker drives the sweep on; the remaining trials are quick
    with store._connect(immediate=True) as con:  # shorten what is left (the space is the sweep's own)
        row = con.execute("SELECT space FROM sweeps").fetchone()
        space = json.loads(row[0])
        space["epochs"]["value"] = space["patience"]["value"] = 5
        con.execute("UPDATE sweeps SET space=?", (json.dumps(space),))
    # train only: projections run niced and would keep `--once` waiting on a busy machine
    proc = run_cli("worker", "--once", "--no-projections", timeout=900)
    assert proc.returncode == 0, proc.stderr
    (sweep_row,) = store.list_sweeps()
    assert sweep_row["status"] == "done"
    trials = store.sweep_runs(sweep_row["id"])
    assert len(trials) == 4
    killed = store.get_run(victim["id"])
    assert killed["status"] == "failed" and "died" in killed["error"]
    assert sum(t["status"] == "done" for t in trials) == 3


def test_the_teaching_sweep_draws_transfer_against_shift(home):
    from crossrec.methods.catalog import all_cards
    from crossrec.sweeps.demo import launch_shift_demo, shift_curve
    from crossrec.viz.compare import shift_figure
    store = open_store(home)
    ids = launch_shift_demo(store, all_cards(), "synthetic-tiny", shifts=(0.0, 1.0), fixed={"epochs": 5})
    proc = run_cli("worker", "--once", "--no-projections", "--concurrency", "2", timeout=1200)
    assert proc.returncode == 0, proc.stderr
    curve = shift_curve(store, ids)
    assert len(curve) == 6 and (curve["n"] == 2).all() and curve["std"].notna().all()
    cmf = curve[curve["method"] == "cmf"].set_index("shift")["mean"]
    values = [r["metrics"]["cold"]["ndcg@10"] for i in ids if store.get_sweep(i)["method"] == "cmf"
              for r in store.sweep_runs(i) if r["pair"]["catalog"].endswith("shift=0.0")]
    assert cmf[0.0] == pytest.approx(sum(values) / len(values))
    figure = shift_figure(curve)
    assert len(figure.data) == 3 and figure.layout.xaxis.title.text.startswith("domain shift")


def test_the_page_form_is_checked_like_the_cli(home):
    from crossrec.errors import SettingError
    from crossrec.methods.catalog import all_cards
    from crossrec.sweeps.driver import create_sweep
    cmf = next(c for c in all_cards() if c["name"] == "cmf")
    bad = {"lr": {"kind": "float", "low": 0.5, "high": 20.0, "log": True, "target": "setting"}}
    with pytest.raises(SettingError, match="must lie inside"):
        create_sweep(open_store(home), cmf, {"catalog": "synthetic-tiny"}, bad, 2, "tpe", False, 0, 0)
    assert open_store(home).list_sweeps() == []


def test_a_lagging_trial_is_pruned_and_keeps_its_curve(home):
    import optuna
    from crossrec.methods.catalog import all_cards
    from crossrec.sweeps.driver import create_sweep, study_storage
    store = open_store(home)
    cmf = next(c for c in all_cards() if c["name"] == "cmf")
    # The lagging trial gets far more epochs than the others (1,000 at least, where patience stops
    # a flat curve; the driver ticks about once a second), so the test never depends on the driver
    # seeing a short run in time.
    space = {"lr": {"kind": "choice", "choices": [0.05, 1e-6], "target": "setting"},
             "epochs": {"kind": "choice", "choices": [150, 10_000], "target": "setting"},
             "patience": {"kind": "fixed", "value": 1000, "target": "setting"}}
    sweep_id = create_sweep(store, cmf, {"catalog": "synthetic-tiny"}, space, 4, "random", True, 0, 0)
    study = optuna.load_study(study_name=sweep_id, storage=study_storage(store))
    # after the defaults (lr 0.05, 150 epochs): two good trials, then one that cannot learn
    for lr, epochs in ((0.05, 150), (0.05, 150), (1e-6, 10_000)):
        study.enqueue_trial({"lr": lr, "epochs": epochs})
    proc = run_cli("worker", "--once", "--no-projections", timeout=1200)
    assert proc.returncode == 0, proc.stderr
    trials = store.sweep_runs(sweep_id)
    assert [t["status"] for t in trials] == ["done", "done", "done", "pruned"]
    pruned = trials[-1]
    curve = [m for m in store.metrics(pruned["id"]) if m["name"] == "valid_ndcg@10"]
    assert len(curve) >= 3 and pruned["error"] == "pruned by its sweep"
    assert store.get_sweep(sweep_id)["status"] == "done"


def test_a_grid_sweep_visits_each_point_once_and_ends_done(home):
    proc = run_cli("sweep", "synthetic-tiny", "--method", "cmf", "--trials", "3", "--space", "epochs=2",
                   "--space", "dim=8,16,32", "--sampler", "grid", "--json", timeout=900)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["status"] == "done", report["error"]
    assert sorted(t["settings"]["dim"] for t in report["trials"]) == [8, 16, 32]
