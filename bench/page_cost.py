"""What one student's pages cost the machine: for a fresh browser session, the wall time and the
CPU seconds of each kind of process (bench/cpu_by_process.py) of the first open and of each
sidebar page, visited once and then again. A class of N students whose browsers run on the
server costs about N times the first visits; that is the arithmetic behind the page times of
bench/classroom.py.

    python bench/page_cost.py --json [--rounds 2]

Prints {"rounds": [{"pages": [{"page", "visit", "seconds", "cpu_seconds": {kind: s}}],
"first_visits_cpu_s": {kind: s}}]} (first_visits_cpu_s: the open and every page's first visit,
summed). Each round is a new browser context: a new Streamlit session and a renderer with nothing
cached, as a student who just arrived; the first round also pays for the fresh server's imports
and caches, the later ones show what one more student costs. The CPU of each step is measured
until 1.5 s after the page settled (late layout and paint count).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

from browser import APP_IDLE, CHROMIUM, CHROMIUM_ARGS, running_app  # noqa: E402
from cpu_by_process import CpuByProcess  # noqa: E402

PAGES = ("Data", "Train", "Monitor", "Compare", "Home")
AFTER_S = 1.5
KINDS_SHOWN = ("browser_pages", "browser_main", "server", "playwright")


def measured(step) -> tuple[float, dict]:
    with CpuByProcess(every=0.5) as cpu:
        started = time.perf_counter()
        step()
        seconds = time.perf_counter() - started
        time.sleep(AFTER_S)
    used = cpu.seconds()
    return round(seconds, 2), {k: used.get(k, 0.0) for k in KINDS_SHOWN}


def one_student(browser, url: str) -> list[dict]:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    rows = []

    def settle():
        page.wait_for_function(APP_IDLE, polling=100, timeout=120_000)

    def open_app():
        page.goto(url, timeout=120_000)
        page.locator("[data-testid='stSidebarNav']").wait_for(timeout=120_000)
        settle()

    def visit(name):
        def step():
            page.locator("[data-testid='stSidebarNav']").get_by_text(name, exact=True).click()
            page.wait_for_timeout(200)  # the click's rerun starts
            settle()
        return step

    try:
        seconds, cpu = measured(open_app)
        rows.append({"page": "open", "visit": "first", "seconds": seconds, "cpu_seconds": cpu})
        for visit_kind in ("first", "again"):
            for name in PAGES:
                seconds, cpu = measured(visit(name))
                rows.append({"page": name, "visit": visit_kind, "seconds": seconds, "cpu_seconds": cpu})
    finally:
        context.close()
    return rows


def first_visits(rows: list[dict]) -> dict:
    first = [r for r in rows if r["visit"] == "first"]
    return {kind: round(sum(r["cpu_seconds"][kind] for r in first), 2) for kind in KINDS_SHOWN}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2, help="fresh sessions, one after another")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.rounds < 1:
        print("page_cost: --rounds must be at least 1", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory() as tmp:
        home, data = Path(tmp) / "home", Path(tmp) / "data"
        home.mkdir()
        data.mkdir()
        with running_app(home, data) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                rounds = [one_student(browser, url) for _ in range(args.rounds)]
            finally:
                browser.close()
    figures = {"rounds": [{"pages": rows, "first_visits_cpu_s": first_visits(rows)} for rows in rounds]}
    if args.json:
        print(json.dumps(figures))
    else:
        for k, one in enumerate(figures["rounds"], 1):
            for row in one["pages"]:
                print(f"round {k} {row['page']:8} {row['visit']:6} {row['seconds']:6.2f} s  {row['cpu_seconds']}")
            print(f"round {k} first visits, CPU s:", one["first_visits_cpu_s"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
