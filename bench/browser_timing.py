"""From a real headless Chromium: time to first render of the home page, and time from clicking
Launch to the first loss point on the Monitor page (warm worker).

    python bench/browser_timing.py
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from browser import browser_page, running_app, wait_app_idle  # noqa: E402


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        home, data = Path(tmp) / "home", Path(tmp) / "data"
        home.mkdir()
        data.mkdir()
        with running_app(home, data) as url, browser_page() as page:
            started = time.perf_counter()
            page.goto(url)
            page.get_by_text("Recent runs").wait_for(timeout=60000)
            first_render = time.perf_counter() - started
            wait_app_idle(page)
            page.goto(url + "/train")
            page.get_by_role("button", name="Launch").wait_for(timeout=120000)
            time.sleep(10)  # the worker's spare child finishes importing torch: a warm worker
            started = time.perf_counter()
            page.get_by_role("button", name="Launch").click()
            page.get_by_text(re.compile(r"[\d,]+ points")).first.wait_for(timeout=60000)
            first_point = time.perf_counter() - started
    print(json.dumps({"home_first_render_s": round(first_render, 2),
                      "launch_to_first_loss_point_s": round(first_point, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
