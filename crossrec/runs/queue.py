"""Where a queued run stands in the fair queue, and about when it starts. The order is the one
`RunStore.claim_next` follows (FAIR_ORDER): owners take turns, the owner whose last run started
longest ago first, first come first served within an owner."""

from __future__ import annotations

import statistics


def fair_order(queued: list[dict], last_started: dict[str, float]) -> list[dict]:
    """The queued runs in the order the scheduler will start them."""
    last = dict(last_started)
    pending = sorted(queued, key=lambda r: r["created"])
    order, turn = [], max(last.values(), default=0.0)
    while pending:
        oldest = {}
        for run in pending:
            oldest.setdefault(run.get("owner") or "", run["created"])
        owner = min(oldest, key=lambda o: (last.get(o, -1.0), oldest[o]))
        run = next(r for r in pending if (r.get("owner") or "") == owner)
        pending.remove(run)
        order.append(run)
        turn += 1.0
        last[owner] = turn  # started now: after every start so far
    return order


def queue_estimates(store, slots: int) -> dict[str, tuple[int, float | None]]:
    """Every queued run's (1-based place in its executor's queue, rough seconds until it starts,
    None while no run has finished to time it by): recent runs' median duration times the rounds
    of `slots` runs ahead of it. Three reads of the store for all of them: a live page asks this
    every tick, for every session."""
    queued = store.list_runs(("queued",), limit=1000)
    if not queued:
        return {}
    last_started = store.owner_last_started()
    durations = [r["finished"] - r["started"] for r in store.list_runs(("done",), limit=20)
                 if r.get("started") and r.get("finished")]
    typical = statistics.median(durations) if durations else None
    estimates = {}
    for kind in {r.get("executor") or "local" for r in queued}:
        mine = [r for r in queued if (r.get("executor") or "local") == kind]
        for place, run in enumerate(fair_order(mine, last_started), start=1):
            rounds = (place - 1) // max(1, slots) + 1
            estimates[run["id"]] = (place, typical * rounds if typical is not None else None)
    return estimates


# How often a live Monitor reruns. Each tick is a script run on the server and a redraw in the
# browser, for every session watching (docs/BENCHMARKS.md, "A class on one server"): often while a
# run trains or is next in line, seldom while it waits further back: a sixth of its estimated
# wait, 5 to 10 s, so a page notices a start within about a sixth of the time it waited for it.
REFRESH_S = {"running": 2.0, "next": 2.0, "queued": 5.0}
QUEUED_REFRESH_MAX_S = 10.0


def refresh_seconds(state: str | None, runs: list[dict], estimates: dict) -> float | None:
    """Seconds between a live page's reruns in `state` ("running", "next", "queued"; None: it
    does not rerun), from the soonest estimated start among `runs` (`queue_estimates`)."""
    if state != "queued":
        return REFRESH_S.get(state) if state else None
    waits = [estimates[r["id"]][1] for r in runs if r["id"] in estimates and estimates[r["id"]][1]]
    return min(QUEUED_REFRESH_MAX_S, max(REFRESH_S["queued"], min(waits) / 6)) if waits else REFRESH_S["queued"]
