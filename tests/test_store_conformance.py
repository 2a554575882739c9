"""One conformance suite for every run store: SQLite (the default) and PostgreSQL on a real
server (skipped where PostgreSQL's binaries or psycopg are missing)."""

import threading
import time

import pytest

from crossrec.runs.open_store import open_store

from crossrec.runs.store import MIGRATIONS

TINY = {"catalog": "synthetic-tiny"}


@pytest.fixture(params=["sqlite", "postgres"])
def store(request, home, monkeypatch):
    if request.param == "postgres":
        from servers import fresh_database
        monkeypatch.setenv("CROSSREC_STORE", fresh_database(request.getfixturevalue("postgres_url")))
    else:
        monkeypatch.delenv("CROSSREC_STORE", raising=False)
    opened = open_store(home)
    assert type(opened).__name__ == {"sqlite": "RunStore", "postgres": "PostgresRunStore"}[request.param]
    return opened


def test_schema_and_round_trip(store):
    assert store.schema_version == len(MIGRATIONS) and store.integrity_ok()
    run_id = store.create_run(TINY, "cmf", {"dim": 8}, seed=2**32 - 1)
    run = store.get_run(run_id)
    assert run["seed"] == 2**32 - 1 and run["settings"] == {"dim": 8} and run["pair"] == TINY
    assert run["status"] == "queued" and run["executor"] == "local"
    assert abs(run["created"] - time.time()) < 3600  # time stamps keep their precision
    store.update_summary(run_id, a=1)
    store.update_summary(run_id, b=2)
    assert store.get_run(run_id)["summary"] == {"a": 1, "b": 2}


def test_each_run_is_claimed_once_under_four_concurrent_claimers(store):
    ids = {store.create_run(TINY, "cmf", {}, seed=k) for k in range(100)}
    store.create_run(TINY, "cmf", {}, executor="ray")  # never claimed by a local worker
    claimed, errors = [[] for _ in range(4)], []

    def claimer(k):
        try:
            while (run := store.claim_next(1000 + k)) is not None:
                claimed[k].append(run["id"])
        except Exception as err:  # noqa: BLE001 (reported below)
            errors.append(err)

    threads = [threading.Thread(target=claimer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    assert not errors, errors
    every = [i for part in claimed for i in part]
    assert len(every) == len(set(every)) == 100 and set(every) == ids
    assert {r["worker_pid"] for r in store.list_runs(("running",))} <= {1000, 1001, 1002, 1003}


def test_cancel_and_fail_with_a_reason(store):
    queued = store.create_run(TINY, "cmf", {})
    assert store.request_cancel(queued) == "cancelled" and store.get_run(queued)["status"] == "cancelled"
    running = store.create_run(TINY, "cmf", {})
    store.start_run(running, 4242)
    assert store.heartbeat(running, 0.5) == 0
    assert store.request_cancel(running) == "running" and store.heartbeat(running) == 1
    store.finish(running, "cancelled")
    store.finish(running, "done")  # an ended run never changes again
    assert store.get_run(running)["status"] == "cancelled"
    lost = store.create_run(TINY, "cmf", {})
    dead_pid = 2**22 + 12345  # above the default pid_max: never a live process
    store.start_run(lost, dead_pid)
    assert store.fail_dead_runs() == [lost]
    assert f"pid {dead_pid}" in store.get_run(lost)["error"] and store.get_run(lost)["status"] == "failed"
    assert store.request_cancel("no-such-run") is None


def test_metric_rows_keep_their_order_while_a_reader_polls_two_writers(store):
    runs = [store.create_run(TINY, "cmf", {}, seed=k) for k in range(2)]
    for run_id in runs:
        store.start_run(run_id, 1)
    done, errors, seen = threading.Event(), [], {r: [] for r in runs}

    def writer(run_id):
        try:
            for step in range(1, 101):
                store.add_metrics(run_id, [("joint", 1, step, "loss", 1.0 / step, time.time())])
                store.heartbeat(run_id, step / 100)
        except Exception as err:  # noqa: BLE001
            errors.append(err)

    def reader():
        last = {r: 0 for r in runs}
        while True:
            finished = done.is_set()
            try:
                store.list_runs(limit=10)
                for run_id in runs:
                    rows = store.metrics(run_id, after_id=last[run_id])
                    if rows:
                        seen[run_id] += [r["step"] for r in rows]
                        last[run_id] = rows[-1]["id"]
            except Exception as err:  # noqa: BLE001
                errors.append(err)
                return
            if finished:
                return
            time.sleep(0.01)

    polling = threading.Thread(target=reader)
    polling.start()
    writers = [threading.Thread(target=writer, args=(r,)) for r in runs]
    for t in writers:
        t.start()
    for t in writers:
        t.join(600)
    done.set()
    polling.join(600)
    assert not errors, errors
    for run_id in runs:
        assert seen[run_id] == list(range(1, 101)), run_id  # every row once, in order
        assert store.count_metrics(run_id) == 100 and store.get_run(run_id)["progress"] == 1.0


def test_workers_and_restore(store):
    store.worker_beat(4321, {"cores": 2})
    store.worker_beat(4321)  # a beat without info keeps the info
    assert store.host and all(w["pid"] != 4321 for w in store.live_workers())  # pid 4321 is not alive here
    run_id = store.create_run(TINY, "cmf", {})
    record = store.get_run(run_id)
    assert store.restore_run(record) is False  # already there
    store.delete_run(run_id)
    assert store.restore_run(record) is True and store.get_run(run_id)["status"] == "failed"


def test_the_queue_takes_owners_in_turn(store):
    """Three owners' runs, each owner's queued together: they start one per owner in turn,
    first come first served within an owner, the owner whose oldest queued run is oldest first."""
    order = []
    for owner in ("ann", "bob", "cy"):
        order += [(owner, store.create_run(TINY, "cmf", {}, seed=k, owner=owner)) for k in range(3)]
    by_id = dict((run_id, owner) for owner, run_id in order)
    claimed = []
    while (run := store.claim_next(4242)) is not None:
        claimed.append(run["id"])
    assert [by_id[i] for i in claimed] == ["ann", "bob", "cy"] * 3
    for owner in ("ann", "bob", "cy"):  # within an owner, in order of submission
        mine = [i for o, i in order if o == owner]
        assert [i for i in claimed if by_id[i] == owner] == mine
    late = store.create_run(TINY, "cmf", {}, owner="dee")  # a newcomer goes before those who had turns
    again = store.create_run(TINY, "cmf", {}, owner="ann")
    assert store.claim_next(4242)["id"] == late and store.claim_next(4242)["id"] == again


def test_an_owner_past_the_cap_is_refused_and_nothing_is_stored(store):
    from crossrec.runs.store import OwnerCapError
    for k in range(2):
        store.create_run(TINY, "cmf", {}, seed=k, owner="ann", cap=3)
    store.create_sweep(TINY, "cmf", {}, 2, "tpe", False, 0, 0, owner="ann", cap=3)  # a sweep counts as one
    store.create_run(TINY, "cmf", {}, owner="ann", sweep_id="sweep-x", trial=0)  # its trials count as none
    with pytest.raises(OwnerCapError, match="ann already has 3"):
        store.create_run(TINY, "cmf", {}, seed=9, owner="ann", cap=3)
    with pytest.raises(OwnerCapError):
        store.create_sweep(TINY, "cmf", {}, 2, "tpe", False, 0, 0, owner="ann", cap=3)
    assert len(store.list_runs()) == 3 and len(store.list_sweeps()) == 1
    store.create_run(TINY, "cmf", {}, owner="bob", cap=3)  # others are not held back
    first = store.list_runs(("queued",))[-1]
    store.request_cancel(first["id"])
    store.create_run(TINY, "cmf", {}, seed=9, owner="ann", cap=3)  # an ended run frees a place


def test_tags_notes_and_stars_are_kept(store):
    run_id = store.create_run(TINY, "cmf", {}, owner="ann")
    store.annotate(run_id, tags=["demo", "lr-test", "demo"], note="the one to show", starred=True)
    run = store.get_run(run_id)
    assert run["tags"] == ["demo", "lr-test"] and run["note"] == "the one to show" and run["starred"] == 1
    store.annotate(run_id, starred=False)
    assert store.get_run(run_id)["starred"] == 0 and store.get_run(run_id)["tags"] == ["demo", "lr-test"]


def test_monitor_places_a_queued_run_where_the_scheduler_will_take_it(store):
    from crossrec.runs.queue import fair_order
    for owner in ("ann", "ann", "bob", "cy", "ann", "bob"):
        store.create_run(TINY, "cmf", {}, owner=owner)
    predicted = [r["id"] for r in fair_order(store.list_runs(("queued",)), store.owner_last_started())]
    taken = []
    while (run := store.claim_next(7)) is not None:
        taken.append(run["id"])
    assert predicted == taken


def test_one_read_gives_several_runs_and_every_queued_runs_place(store):
    from crossrec.runs.queue import fair_order, queue_estimates
    ids = [store.create_run(TINY, "cmf", {}, owner=owner) for owner in ("ann", "ann", "bob", "cy")]
    found = store.get_runs([ids[2], "no-such-run", ids[0], ids[2]])
    assert set(found) == {ids[0], ids[2]} and found[ids[2]]["owner"] == "bob"
    assert store.get_runs([]) == {}

    estimates = queue_estimates(store, slots=2)
    order = [r["id"] for r in fair_order(store.list_runs(("queued",)), store.owner_last_started())]
    assert [estimates[i][0] for i in order] == [1, 2, 3, 4]
    assert all(wait is None for _, wait in estimates.values())  # no run has finished to time by

    done = store.claim_next(7)
    store.finish(done["id"], "done")
    estimates = queue_estimates(store, slots=2)
    assert sorted(place for place, _ in estimates.values()) == [1, 2, 3]
    waits = [estimates[i][1] for i in sorted(estimates, key=lambda i: estimates[i][0])]
    assert waits[0] is not None and waits[0] == waits[1] and waits[2] == 2 * waits[0]  # two at a time: the third waits a round more
