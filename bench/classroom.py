"""A class on one server, with real browsers: N Chromium sessions (one browser, one context
each: separate Streamlit sessions) name themselves `student-K`, pick the lecture pair, launch two
runs, watch Monitor until both are done and open Compare.

    python bench/classroom.py --sessions 20 --json [--ray]

Prints {"sessions", "runs_submitted", "runs_done", "runs_lost", "page_p50_s", "page_p95_s",
"first_start_wait_max_s", "first_done_wait_max_s", "seconds"}, and with `--cpu` also "cpu_seconds":
the CPU seconds each kind of process took meanwhile (bench/cpu_by_process.py). A page time runs from a click in
the sidebar to the page's content drawn with Streamlit's running indicator gone; the first-start
(first-done) wait from a student's Launch click to their first run's start (end), as the store
recorded it, the largest over students; `seconds` is the whole bench. `--ray`: a local Ray
cluster and a PostgreSQL store (tests/servers.py) instead of the local worker. No access or
teacher code is set.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser import APP_IDLE, CHROMIUM, CHROMIUM_ARGS, running_app  # noqa: E402
from cpu_by_process import CpuByProcess  # noqa: E402
from crossrec.runs.open_store import open_store  # noqa: E402

TIMEOUT_MS = 900_000
# Playwright polls on every animation frame by default: twenty pages doing that while they watch
# Monitor took most of a core from the server they stand for. A student's browser does not poll.
SETTLE_POLL_MS, WATCH_POLL_MS = 100, 2000
BENCH_STARTED = time.perf_counter()


async def settle(page) -> None:
    await page.wait_for_function(APP_IDLE, timeout=TIMEOUT_MS, polling=SETTLE_POLL_MS)


async def to_page(page, name: str, loads: list[tuple[float, str, float]]) -> None:
    """Click `name` in the sidebar and wait for it to settle; records (seconds, page, when it was
    clicked in the bench) in `loads`."""
    started = time.perf_counter()
    await page.locator("[data-testid='stSidebarNav']").get_by_text(name, exact=True).click()
    await page.wait_for_timeout(200)  # the click's rerun starts
    await settle(page)
    loads.append((time.perf_counter() - started, name, round(started - BENCH_STARTED, 1)))


async def student(browser, url: str, k: int, loads: list, launched: dict) -> None:
    context = await browser.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)  # twenty sessions on two cores: nothing is quick
    page = await context.new_page()
    try:
        await page.goto(url, timeout=TIMEOUT_MS)
        await page.locator("[data-testid='stSidebarNav']").wait_for(timeout=TIMEOUT_MS)
        await settle(page)
        name = page.get_by_role("textbox", name="Your name")
        await name.fill(f"student-{k}")
        await name.press("Enter")
        await page.wait_for_function(f"() => location.search.includes('name=student-{k}')", timeout=TIMEOUT_MS,
                                     polling=SETTLE_POLL_MS)
        await settle(page)
        await to_page(page, "Data", loads)
        await page.get_by_role("combobox").first.click()
        await page.get_by_role("option", name="lecture").first.click()
        await settle(page)
        await page.get_by_role("button", name="Use this pair for training").click()
        await settle(page)
        await to_page(page, "Train", loads)
        seeds = page.get_by_role("spinbutton", name="Seeds")
        await seeds.fill("2")
        launched[k] = time.time()
        await page.get_by_role("button", name="Launch").click()
        # textContent, not innerText: innerText lays the page out again at every poll
        await page.wait_for_function("() => document.body.textContent.includes('live refresh is paused')",
                                     timeout=TIMEOUT_MS, polling=WATCH_POLL_MS)
        await to_page(page, "Compare", loads)
    finally:
        await context.close()


async def classroom(url: str, sessions: int) -> tuple[list, dict]:
    from playwright.async_api import async_playwright
    loads, launched = [], {}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            await asyncio.gather(*(student(browser, url, k, loads, launched) for k in range(1, sessions + 1)))
        finally:
            await browser.close()
    return loads, launched


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=20)
    ap.add_argument("--ray", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--cpu", action="store_true", help="also the CPU seconds of each kind of process")
    args = ap.parse_args()
    if args.sessions < 1:
        print(f"--sessions {args.sessions}: give at least 1 session", file=sys.stderr)
        return 2
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        home, data = Path(tmp) / "home", Path(tmp) / "data"
        home.mkdir()
        data.mkdir()
        os.environ["CROSSREC_HOME"] = str(home)
        if args.ray:
            from servers import fresh_database, postgres_server, ray_cluster
            os.environ["CROSSREC_STORE"] = fresh_database(stack.enter_context(postgres_server()))
            os.environ["RAY_ADDRESS"] = stack.enter_context(ray_cluster(cpus=2))
            os.environ["CROSSREC_EXECUTOR"] = "ray"
        cpu = stack.enter_context(CpuByProcess()) if args.cpu else None
        url = stack.enter_context(running_app(home, data))
        loads, launched = asyncio.run(classroom(url, args.sessions))
        runs = open_store(home).list_runs()
    times = [seconds for seconds, _, _ in loads]
    first_waits, first_done = [], []
    for k, clicked in launched.items():
        mine = [r for r in runs if r.get("owner") == f"student-{k}"]
        starts = sorted(r["started"] for r in mine if r.get("started"))
        ends = sorted(r["finished"] for r in mine if r["status"] == "done" and r.get("finished"))
        if starts:
            first_waits.append(starts[0] - clicked)
        if ends:
            first_done.append(ends[0] - clicked)
    done = sum(r["status"] == "done" for r in runs)
    figures = {"sessions": args.sessions, "runs_submitted": len(runs), "runs_done": done,
               "runs_lost": len(runs) - done,
               "page_p50_s": round(statistics.median(times), 2),
               "page_p95_s": round(statistics.quantiles(times, n=20)[18], 2) if len(times) >= 2 else None,
               "first_start_wait_max_s": round(max(first_waits), 1) if first_waits else None,
               "first_done_wait_max_s": round(max(first_done), 1) if len(first_done) == len(launched) else None,
               "seconds": round(time.perf_counter() - started, 1)}
    if cpu is not None:
        figures["cpu_seconds"] = cpu.seconds()
    print("slowest pages (s, page, clicked at s):",
          [(round(s, 2), name, at) for s, name, at in sorted(loads, reverse=True)[:8]], file=sys.stderr)
    summaries = [r.get("summary") or {} for r in runs]
    print("training threads per phase:", Counter(str(s.get("threads")) for s in summaries),
          "train seconds, median:", statistics.median([s.get("train_seconds", 0) for s in summaries] or [0]),
          file=sys.stderr)
    print(json.dumps(figures) if args.json else "\n".join(f"{k:24} {v}" for k, v in figures.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
