"""End to end in real headless Chromium: fresh home -> pick synthetic -> launch -> live curve ->
Compare table -> Embeddings before/after. Screenshots land in tests/artifacts/screens/."""

import re
import shutil

import pytest

from browser import CHROMIUM, browser_page, running_app, shot, wait_app_idle

pytestmark = pytest.mark.skipif(shutil.which(CHROMIUM) is None and not __import__("os").path.exists(CHROMIUM),
                                reason="Debian chromium not installed")

NAV = ["Home", "Data", "Train", "Monitor", "Compare", "Embeddings"]


def _nav(page, name):
    page.locator("[data-testid='stSidebarNav']").get_by_text(name, exact=True).click()
    wait_app_idle(page)


def _points(page) -> int:
    text = page.get_by_text(re.compile(r"[\d,]+ points")).first.inner_text(timeout=1000)
    return int(re.search(r"([\d,]+) points", text).group(1).replace(",", ""))


def test_full_flow_in_chromium(tmp_path):
    home, data = tmp_path / "home", tmp_path / "data"
    home.mkdir()
    data.mkdir()
    with running_app(home, data) as url, browser_page() as page:
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url)
        wait_app_idle(page)
        nav = page.locator("[data-testid='stSidebarNav']")
        for name in NAV:
            nav.get_by_text(name, exact=True).wait_for(timeout=30000)
        # every page renders with no runs yet, with an empty state that says what to do
        for name in NAV[1:]:
            _nav(page, name)
            assert page.locator("[data-testid='stException']").count() == 0
        shot(page, "empty-embeddings")

        _nav(page, "Data")
        page.get_by_text("Use this pair for training").click()
        wait_app_idle(page)
        page.locator(".js-plotly-plot").first.wait_for(timeout=30000)
        shot(page, "data")

        _nav(page, "Train")
        page.get_by_text("Launch", exact=True).wait_for(timeout=120000)
        epochs = page.get_by_label("epochs", exact=True)
        epochs.fill("30")
        shot(page, "train")
        page.get_by_role("button", name="Launch").click()
        page.get_by_text(re.compile(r"[\d,]+ points")).first.wait_for(timeout=60000)
        first = _points(page)
        page.wait_for_function(
            f"() => {{ const m = document.body.innerText.match(/([\\d,]+) points/); "
            f"return m && parseInt(m[1].replace(/,/g, '')) > {first}; }}", timeout=60000)
        assert page.locator(".js-plotly-plot").count() >= 1
        shot(page, "monitor")
        page.get_by_text("done", exact=False).first.wait_for(timeout=120000)
        page.wait_for_function("() => document.body.innerText.includes('live refresh is paused')",
                               timeout=120000)

        _nav(page, "Compare")
        page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=30000)
        page.locator(".js-plotly-plot").first.wait_for(timeout=30000)
        shot(page, "compare")

        _nav(page, "Embeddings")
        page.get_by_text("Before alignment").first.wait_for(timeout=30000)
        page.get_by_text("After training / alignment").first.wait_for(timeout=30000)
        assert page.locator(".js-plotly-plot").count() >= 2
        shot(page, "embeddings")
        assert page.locator("[data-testid='stException']").count() == 0
        assert not errors, errors
