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


def place_and_wait(store, run: dict, slots: int) -> tuple[int, float | None]:
    """(1-based place in the queue, rough seconds until it starts or None when no run has
    finished yet to time): recent runs' median duration times the rounds ahead of it."""
    queued = [r for r in store.list_runs(("queued",), limit=1000)
              if (r.get("executor") or "local") == (run.get("executor") or "local")]
    order = fair_order(queued, store.owner_last_started())
    place = next((k for k, r in enumerate(order, start=1) if r["id"] == run["id"]), len(order))
    done = [r["finished"] - r["started"] for r in store.list_runs(("done",), limit=20)
            if r.get("started") and r.get("finished")]
    if not done:
        return place, None
    return place, statistics.median(done) * ((place - 1) // max(1, slots) + 1)
