"""Fast AppTest flows for every page on a tiny synthetic pair (real store, real worker)."""

import json
import os
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from browser import stop_workers
from conftest import run_cli
from crossrec.runs.open_store import open_store

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def app(home):
    home.mkdir(parents=True, exist_ok=True)
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    yield at
    stop_workers(home)


def goto(at, page):
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def trained_run(method="cmf", *settings):
    proc = run_cli("train", "synthetic-tiny", "--method", method, "--set", "epochs=3", *settings, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])["run_id"]


def test_train_shows_every_method_without_a_worker(home):
    # A live worker row for this process: the app starts no worker; the cards need none.
    open_store(home).worker_beat(os.getpid(), {})
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    goto(at, "pages/train.py")
    assert any(b.label == "Launch" for b in at.button)
    families = at.radio[0].options
    assert "meta-learning" in families and "adversarial alignment" in families
    open_store(home).worker_gone(os.getpid())  # stop_workers must not kill this process


def test_pages_import_no_torch():
    """Every page module imports without torch: the UI process never loads it."""
    import subprocess
    import sys
    root = Path(APP).parent
    code = ("import sys, runpy; sys.path.insert(0, '.');"
            "import pages.state, pages.widgets, pages.train_form, pages.sweep_form, pages.sweep_view;"
            "from crossrec.methods.catalog import all_cards; all_cards();"
            "print(sorted(m for m in ('torch', 'umap', 'numba') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_every_page_has_an_empty_state(app):
    assert not app.exception
    assert any("No runs yet" in i.value for i in app.info)
    for page in ("pages/monitor.py", "pages/compare.py", "pages/embeddings.py"):
        goto(app, page)
        assert app.info, page
    goto(app, "pages/data.py")
    goto(app, "pages/train.py")


def test_data_pick_synthetic_and_use_it(app):
    goto(app, "pages/data.py")
    app.selectbox[0].select("synthetic-tiny").run()
    app.button[0].click().run()
    assert app.session_state["pair_ref"] == {"catalog": "synthetic-tiny"}
    labels = {m.label: m.value for m in app.metric}
    assert labels["source users"] and labels["overlapping users"] == "240"
    # the knobs change the pair: a different seed is another scenario
    app.slider[5].set_value(0.9).run()  # domain shift
    assert not app.exception


def test_train_shows_where_a_method_has_not_helped(app):
    goto(app, "pages/train.py")
    app.radio[0].set_value("meta-learning").run()
    app.radio[1].set_value("ptupcdr").run()
    assert any("Where it has not helped" in c.value and "Douban" in c.value for c in app.caption)
    app.radio[0].set_value("baseline").run()
    app.radio[1].set_value("popularity").run()
    assert not any("Where it has not helped" in c.value for c in app.caption)


def test_train_launch_queues_runs_for_each_seed(app):
    app.session_state["pair_ref"] = {"catalog": "synthetic-tiny"}
    goto(app, "pages/train.py")
    app.radio[0].set_value("baseline").run()
    app.radio[1].set_value("target_only").run()
    assert any("Rendle" in c.value for c in app.caption)
    app.number_input(key="setting-target_only-epochs").set_value(2)
    seeds = [n for n in app.number_input if n.label == "Seeds"][0]
    seeds.set_value(2)
    app.button[0].click().run()
    runs = open_store().list_runs()
    assert len(runs) == 2 and {r["seed"] for r in runs} == {0, 1}
    # only what differs from target_only's own defaults is stored (not cmf's, shown first)
    assert all(r["method"] == "target_only" and r["settings"] == {"epochs": 2} for r in runs), \
        [r["settings"] for r in runs]
    # the default split is stored as the seed it was drawn with (synthetic-tiny's: 0)
    assert all(r["pair"] == {"catalog": "synthetic-tiny", "split_seed": 0} for r in runs)
    # the seeds may vary the data split instead: training seed 0, split seeds 5 and 6
    goto(app, "pages/train.py")
    app.radio[0].set_value("baseline").run()
    app.radio[1].set_value("popularity").run()
    [n for n in app.number_input if n.label == "Seeds"][0].set_value(2)
    [n for n in app.number_input if n.label == "First seed"][0].set_value(5)
    [r for r in app.radio if r.label == "The seeds vary"][0].set_value("data split")
    app.button[0].click().run()
    split = [r for r in open_store().list_runs() if r["method"] == "popularity"]
    assert sorted(r["pair"]["split_seed"] for r in split) == [5, 6] and {r["seed"] for r in split} == {0}


def test_monitor_compare_embeddings_show_a_finished_run(app):
    run_id = trained_run("emcdr", "--set", "map_epochs=5")
    trained_run("target_only")
    app.session_state["run_id"] = run_id
    goto(app, "pages/monitor.py")
    assert any("done" in p.text for p in app.get("progress"))
    curves = app.get("plotly_chart")[0].proto
    figure, config = json.loads(curves.spec), json.loads(curves.config)
    assert config["toImageButtonOptions"] == {"format": "png", "scale": 2, "filename": "training-curves-losses-per-training-row"}
    assert "per training row" in figure["layout"]["title"]["text"]
    next(s for s in app.slider if s.label.startswith("Smooth")).set_value(5).run()
    assert "smoothed over 5 steps" in json.loads(app.get("plotly_chart")[0].proto.spec)["layout"]["title"]["text"]
    goto(app, "pages/compare.py")
    assert app.table and app.get("plotly_chart")
    table = app.table[0].value.reset_index()
    assert set(table["method"]) == {"emcdr", "target_only"}
    assert "cold vs popularity" not in table  # no popularity run: no cold change is made up
    assert not any("target_only" in c for c in table.columns if c.startswith("cold vs"))
    goto(app, "pages/embeddings.py")
    assert len(app.get("plotly_chart")) >= 2
    assert app.dataframe  # alignment metrics before/after


def test_sweep_page_launches_a_sweep_and_the_best_settings(app, home):
    app.session_state["pair_ref"] = {"catalog": "synthetic-tiny"}
    goto(app, "pages/sweep.py")
    [n for n in app.number_input if n.label == "Trials"][0].set_value(2)
    next(m for m in app.multiselect if m.label == "Settings to search").set_value(["lr", "dim"])
    next(b for b in app.button if b.label == "Launch sweep").click().run()
    assert not app.exception, [e.value for e in app.exception]
    store = open_store(home)
    (sweep,) = store.list_sweeps()
    assert set(sweep["space"]) == {"lr", "dim"}
    wait_until(lambda: store.get_sweep(sweep["id"])["status"] != "running", 900)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert store.get_sweep(sweep["id"])["status"] == "done"
    assert len(app.dataframe[0].value) == 2 and len(app.get("plotly_chart")) >= 3
    next(b for b in app.button if b.label == "Launch best over these seeds").click().run()
    launched = [r for r in store.list_runs() if r["sweep_id"] is None]
    assert len(launched) == 3 and {r["seed"] for r in launched} == {0, 1, 2}


def test_home_launches_the_teaching_demo(app, home):
    next(b for b in app.button if b.label == "Run the demo").click().run()
    assert not app.exception, [e.value for e in app.exception]
    sweeps = open_store(home).list_sweeps()
    assert sorted(s["method"] for s in sweeps) == sorted(["cmf", "emcdr", "popularity"] * 2)
    assert all(s["sampler"] == "grid" and s["trials"] == 5 for s in sweeps)
    assert any("runs finished" in p.text for p in app.get("progress"))


def wait_until(predicate, timeout):
    import time
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(1)
    raise AssertionError("timed out")


def test_explain_a_cold_user_side_by_side_with_popularity(app, home):
    from crossrec.runs.artifacts import HELDOUT_RANKS, ArtifactStore
    goto(app, "pages/explain.py")
    assert app.info  # no run with lists yet: the empty state
    popularity = trained_run("popularity")
    cmf = trained_run("cmf")
    goto(app, "pages/explain.py")
    assert app.multiselect[0].value == [popularity]  # popularity beside the newest run by default
    held = ArtifactStore(home / "artifacts").load_frame(cmf, HELDOUT_RANKS)
    hits = held[(held["group"] == "cold") & (held["rank"] < 10)]
    user = int(hits["user"].iloc[0])
    app.selectbox(key="explain_user").set_value(user).run()
    assert not app.exception, [e.value for e in app.exception]
    lists = app.table[0].value
    assert len(lists) == 10 and len(lists.columns) == 2 and lists.columns[0].startswith("cmf")
    marked = [cell for cell in lists.iloc[:, 0] if cell.startswith("✓")]
    ranks = sorted(int(r) + 1 for r in hits[hits["user"] == user]["rank"])
    assert len(marked) == len(ranks) and all(lists.iloc[r - 1, 0].startswith("✓") for r in ranks)
    history, heldout = app.dataframe[0].value, app.dataframe[1].value
    assert len(history) > 0 and history["title"].str.contains(" · ").all()  # named by taste cluster
    assert sorted(heldout[[c for c in heldout.columns if c.startswith("rank · cmf")][0]].dropna()
                  .astype(int))[:len(ranks)] == ranks
    figures = [json.loads(c.proto.spec) for c in app.get("plotly_chart")]
    assert len(figures) == 2 and all(any(t.get("name") == "this user" for t in f["data"]) for f in figures)
    next(r for r in app.radio if r.label == "Test users").set_value("warm").run()
    next(b for b in app.button if b.label == "A random warm user").click().run()
    assert not app.exception
    warm = set(held.loc[held["group"] == "warm", "user"])
    assert app.selectbox(key="explain_user").value in warm
