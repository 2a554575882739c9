"""A classroom on one server: a name on every run (CLI and browser sessions), the per-owner cap,
the cancel rule, tags/notes/stars, and the "mine / everyone" filters (AppTest)."""

import json

from conftest import run_cli
from test_app import app, goto  # noqa: F401 (the app fixture ends the worker the app starts)
from test_faults import one_line_error
from crossrec.runs.open_store import open_store


def submit_as(owner: str, method: str = "popularity", *extra) -> str:
    proc = run_cli("submit", "synthetic-tiny", "--method", method, "--owner", owner, *extra, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])["run_id"]


def test_runs_carry_their_owner_and_the_cap_refuses_one_more(home):
    first, second = submit_as("student-1"), submit_as("student-1", "cmf")
    other = submit_as("student-2")
    rows = {r["run_id"]: r for r in json.loads(run_cli("runs", "--json").stdout)["runs"]}
    assert rows[first]["owner"] == "student-1" and rows[other]["owner"] == "student-2"
    assert rows[first]["started"] is None  # queued: not started yet
    proc = run_cli("submit", "synthetic-tiny", "--method", "cmf", "--owner", "student-1",
                   env={"CROSSREC_MAX_RUNS_PER_OWNER": "2"})
    one_line_error(proc, "student-1", "CROSSREC_MAX_RUNS_PER_OWNER")
    assert len(open_store(home).list_runs()) == 3  # nothing stored
    assert run_cli("submit", "synthetic-tiny", "--method", "cmf", "--owner", "student-3",
                   env={"CROSSREC_MAX_RUNS_PER_OWNER": "2"}).returncode == 0  # others are not held back
    one_line_error(run_cli("submit", "synthetic-tiny", "--method", "cmf", "--owner", "x" * 80), "owner name")
    default = submit_as  # no --owner: the login name
    del default
    proc = run_cli("submit", "synthetic-tiny", "--method", "popularity", "--json")
    run_id = json.loads(proc.stdout.strip().splitlines()[-1])["run_id"]
    assert open_store(home).get_run(run_id)["owner"]  # the login name
    assert second


def test_show_reports_tags_notes_and_star(home):
    run_id = submit_as("student-1")
    open_store(home).annotate(run_id, tags=["lecture"], note="look at this one", starred=True)
    shown = json.loads(run_cli("show", run_id, "--json").stdout)
    assert shown["owner"] == "student-1" and shown["tags"] == ["lecture"]
    assert shown["note"] == "look at this one" and shown["starred"] is True


def test_the_name_box_keeps_the_name_in_the_address():
    from streamlit.testing.v1 import AppTest

    def page():
        import sys
        sys.path.insert(0, ".")
        from pages.people import name_box, session_owner
        import streamlit as st
        name_box()
        st.write(f"owner: {session_owner()}")

    at = AppTest.from_function(page)
    at.run()
    at.sidebar.text_input[0].input("student-1").run()
    assert at.query_params["name"] == "student-1" and at.markdown[0].value == "owner: student-1"
    at.sidebar.text_input[0].input("no/slashes").run()
    assert at.sidebar.error and at.query_params["name"] == "student-1"  # a bad name changes nothing


def test_a_session_names_itself_and_filters_to_its_own_runs(app, home):
    mine = submit_as("student-1")
    theirs = submit_as("student-2")
    app.query_params["name"] = "student-1"  # what the name box put in the page's address
    goto(app, "pages/train.py")
    app.radio[0].set_value("baseline").run()
    app.radio[1].set_value("popularity").run()
    app.button[0].click().run()
    assert {r["owner"] for r in open_store(home).list_runs() if r["id"] not in (mine, theirs)} == {"student-1"}
    goto(app, "pages/monitor.py")
    next(r for r in app.radio if r.label == "Show").set_value("mine").run()
    options = app.multiselect[0].options
    assert any(mine in o for o in options) and not any(theirs in o for o in options)
    next(r for r in app.radio if r.label == "Show").set_value("everyone").run()
    assert any(theirs in o for o in app.multiselect[0].options)


def test_only_the_owner_or_the_teacher_may_cancel(app, home, monkeypatch):
    monkeypatch.setenv("CROSSREC_TEACHER_CODE", "chalk")
    theirs = submit_as("student-2")
    app.query_params["name"] = "student-1"
    app.session_state["monitor_runs"] = [theirs]
    goto(app, "pages/monitor.py")
    assert not [b for b in app.button if b.label == "Cancel"]  # not the owner, not the teacher
    app.session_state["_teacher"] = True  # what entering the teacher code does (tested below)
    goto(app, "pages/monitor.py")
    assert [b for b in app.button if b.label == "Cancel"]
    next(b for b in app.button if b.label == "Cancel").click().run()
    assert open_store(home).get_run(theirs)["status"] in ("cancelled", "running", "done")


def test_the_teacher_code_is_checked(monkeypatch):
    from streamlit.testing.v1 import AppTest

    def page():
        import sys
        sys.path.insert(0, ".")
        import streamlit as st
        from pages.people import is_teacher, name_box
        name_box()
        st.write(f"teacher: {is_teacher()}")

    monkeypatch.setenv("CROSSREC_TEACHER_CODE", "chalk")
    at = AppTest.from_function(page)
    at.run()
    assert at.markdown[0].value == "teacher: False"
    code = next(t for t in at.sidebar.text_input if t.label == "Teacher code")
    code.input("board").run()
    assert at.markdown[0].value == "teacher: False"
    next(t for t in at.sidebar.text_input if t.label == "Teacher code").input("chalk").run()
    assert at.markdown[0].value == "teacher: True"
    monkeypatch.delenv("CROSSREC_TEACHER_CODE")
    fresh = AppTest.from_function(page)
    fresh.run()
    assert fresh.markdown[0].value == "teacher: True"  # unset: everyone is the teacher


def test_monitor_shows_each_queued_runs_place_in_the_fair_queue(app, home):
    store = open_store(home)
    pair = {"catalog": "synthetic-tiny"}
    ann1, ann2, bob = (store.create_run(pair, "cmf", {}, owner=o) for o in ("ann", "ann", "bob"))
    app.session_state["monitor_runs"] = [ann2, bob, ann1]
    goto(app, "pages/monitor.py")
    places = {run_id: text for run_id in (ann1, ann2, bob)
              for text in [next(p.text for p in app.get("progress") if run_id in p.text)]}
    # owners take turns: ann's first, then bob, then ann's second
    assert "place 1 in the queue" in places[ann1] and "place 2 in the queue" in places[bob]
    assert "place 3 in the queue" in places[ann2]


def test_a_live_page_refreshes_seldom_while_its_run_waits_far_back():
    """Twenty Monitors rerun less while their runs wait: a sixth of the soonest estimated start,
    5 to 10 s; often (2 s) while one trains or is next; not at all when nothing is active."""
    from crossrec.runs.queue import refresh_seconds
    runs = [{"id": "a"}, {"id": "b"}]
    assert refresh_seconds("queued", runs, {"a": (9, 120.0), "b": (12, 180.0)}) == 10.0
    assert refresh_seconds("queued", runs, {"a": (4, 42.0), "b": (12, 180.0)}) == 7.0  # the sooner one counts
    assert refresh_seconds("queued", runs, {"a": (3, 12.0)}) == 5.0
    assert refresh_seconds("queued", runs, {"a": (3, None)}) == 5.0  # no finished run to time by yet
    assert refresh_seconds("running", runs, {}) == refresh_seconds("next", runs, {}) == 2.0
    assert refresh_seconds(None, runs, {}) is None


def test_the_teachers_worker_concurrency_reaches_the_worker_and_a_bad_one_is_refused(home, monkeypatch):
    from streamlit.testing.v1 import AppTest
    from processes import end_home_processes
    from test_app import APP
    from test_runs import wait_for
    from crossrec.runs.worker import CONCURRENCY_ENV, ensure_worker
    for bad in ("two", "0", "65", "²"):  # "²" passes str.isdigit()
        one_line_error(run_cli("worker", "--once", env={CONCURRENCY_ENV: bad}), CONCURRENCY_ENV, repr(bad))
    store = open_store(home)
    assert store.live_workers() == []  # a refused worker wrote nothing
    monkeypatch.setenv(CONCURRENCY_ENV, "2")
    try:
        ensure_worker(store)  # what the app calls: the started worker trains two runs at once
        worker = wait_for(lambda: next(iter(store.live_workers()), None), 300, "the worker's first beat")
        assert worker["info"]["concurrency"] == 2
    finally:
        end_home_processes(home)
    monkeypatch.setenv(CONCURRENCY_ENV, "many")
    at = AppTest.from_file(APP, default_timeout=180).run()
    assert not at.exception, [e.value for e in at.exception]
    assert [e.value for e in at.error] == [f"{CONCURRENCY_ENV}='many' is not a number of runs at once (1 to 64)"]
    assert store.live_workers() == []  # the app started no worker with a setting it refused
