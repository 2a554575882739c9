"""Start the real app on a free port and drive it with Debian's Chromium (Playwright)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from processes import end_home_processes

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENS = ROOT / "tests" / "artifacts" / "screens"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("streamlit did not become healthy")


def stop_workers(home: Path) -> None:
    """Kill the workers (and their training children) an app started in this home."""
    end_home_processes(home)


@contextmanager
def running_app(home: Path, data_dir: Path):
    port = free_port()
    env = {**os.environ, "CROSSREC_HOME": str(home), "CROSSREC_DATA_DIR": str(data_dir)}
    log = open(home.parent / "streamlit.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
                             "--server.port", str(port), "--server.headless", "true",
                             "--server.address", "127.0.0.1"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        stop_workers(home)
        log.close()


@contextmanager
def browser_page():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            yield page
        finally:
            browser.close()


# A page is drawn and idle: its main block is there and Streamlit's running indicator is gone
# (wait_app_idle; the benches poll it at their own pace)
APP_IDLE = ("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
            " && document.querySelector('[data-testid=\"stMain\"]')")


def wait_app_idle(page, timeout_ms: int = 60000) -> None:
    """Wait until the page has rendered its main block and the app is not running a script."""
    page.wait_for_function(APP_IDLE, timeout=timeout_ms)


def shot(page, name: str) -> Path:
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
