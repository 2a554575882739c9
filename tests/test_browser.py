"""End to end in real headless Chromium: fresh home -> pick synthetic -> launch -> live curve ->
Compare table -> Embeddings before/after. Screenshots land in tests/artifacts/screens/."""

import json
import re
import shutil

import pytest

from browser import CHROMIUM, browser_page, running_app, shot, wait_app_idle

pytestmark = pytest.mark.skipif(shutil.which(CHROMIUM) is None and not __import__("os").path.exists(CHROMIUM),
                                reason="Debian chromium not installed")

NAV = ["Home", "Data", "Train", "Monitor", "Compare", "Sweep", "Embeddings", "Explain a user"]


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
        epochs.fill("20")
        shot(page, "train")
        page.get_by_role("button", name="Launch").click()
        page.get_by_text(re.compile(r"[\d,]+ points")).first.wait_for(timeout=60000)
        first = _points(page)
        page.wait_for_function(
            f"() => {{ const m = document.body.innerText.match(/([\\d,]+) points/); "
            f"return m && parseInt(m[1].replace(/,/g, '')) > {first}; }}", timeout=60000)
        assert page.locator(".js-plotly-plot").count() >= 1
        shot(page, "monitor")
        page.get_by_text("done", exact=False).first.wait_for(timeout=300000)
        page.wait_for_function("() => document.body.innerText.includes('live refresh is paused')",
                               timeout=300000)

        _nav(page, "Compare")
        page.locator("[data-testid='stTable']").first.wait_for(timeout=30000)
        page.locator(".js-plotly-plot").first.wait_for(timeout=30000)
        shot(page, "compare")

        _nav(page, "Embeddings")
        page.get_by_text("Before alignment").first.wait_for(timeout=30000)
        page.get_by_text("After training / alignment").first.wait_for(timeout=30000)
        assert page.locator(".js-plotly-plot").count() >= 2
        shot(page, "embeddings")
        assert page.locator("[data-testid='stException']").count() == 0
        assert not errors, errors


def test_bad_uploads_show_one_sentence_and_lose_nothing(tmp_path):
    import json
    import os

    from conftest import run_cli
    from crossrec.data.uploads import save_pair
    from crossrec.runs.open_store import open_store

    home, data = tmp_path / "home", tmp_path / "data"
    home.mkdir()
    data.mkdir()
    env = {"CROSSREC_HOME": str(home), "CROSSREC_DATA_DIR": str(data)}
    os.environ.update(env)
    save_pair("kept-pair", ("s.csv", b"user,item\na,1\nb,2\n"), ("t.csv", b"user,item\na,9\nb,8\n"))
    proc = run_cli("train", "synthetic-tiny", "--method", "popularity", "--json", env=env)
    run_id = json.loads(proc.stdout.strip().splitlines()[-1])["run_id"]
    good = tmp_path / "good.tsv"
    good.write_text("u1\ti1\nu2\ti2\n")
    bad_files = {"binary.dat": (b"\x00\x01\x02\x03\x04", "binary"),
                 "onecol.txt": (b"justone\nsecond\n", "column"),
                 "rating.tsv": (b"u1\ti1\t5\nu2\ti2\tgreat\n", "rating")}
    with running_app(home, data) as url, browser_page() as page:
        page.goto(url + "/data")  # a deep link as the very first visit goes through app.py
        wait_app_idle(page)
        nav = page.locator("[data-testid='stSidebarNav']")
        nav.get_by_text("Monitor", exact=True).wait_for(timeout=30000)
        for helper in ("state", "widgets", "navigation", "train form", "data upload", "sweep form", "sweep view"):
            assert nav.get_by_text(helper, exact=True).count() == 0, helper  # app.py's menu, not pages/*.py
        # the deep link kept its page: the Data page's tabs are there
        page.get_by_role("tab", name="Upload your own").wait_for(timeout=30000)
        page.get_by_role("tab", name="Upload your own").click()
        for name, (content, word) in bad_files.items():
            path = tmp_path / name
            path.write_bytes(content)
            inputs = page.locator("[data-testid='stFileUploaderDropzoneInput']")
            inputs.nth(0).set_input_files(str(path))
            inputs.nth(1).set_input_files(str(good))
            alert = page.locator("[data-testid='stAlertContentError']", has_text=name).first
            alert.wait_for(timeout=30000)
            text = alert.inner_text().strip()
            assert text.startswith(name) and word in text and "\n" not in text, text
            assert "Traceback" not in page.content()
            shot(page, f"upload-error-{name.split('.')[0]}")
        page.goto(url)
        wait_app_idle(page)
    # nothing already stored is lost
    assert (data / "kept-pair" / "pair.json").exists()
    assert open_store(home).get_run(run_id)["status"] == "done"
    assert sorted(p.name for p in data.iterdir() if not p.name.startswith(".")) == ["kept-pair"]


def test_sweep_page_in_chromium(tmp_path):
    from crossrec.runs.open_store import open_store
    home, data = tmp_path / "home", tmp_path / "data"
    home.mkdir()
    data.mkdir()
    with running_app(home, data) as url, browser_page() as page:
        page.goto(url + "/data")
        wait_app_idle(page)
        page.get_by_role("combobox").first.click()
        page.get_by_role("option", name="synthetic-tiny").first.click()
        page.get_by_text("Use this pair for training").click()
        wait_app_idle(page)
        _nav(page, "Sweep")
        page.get_by_text("Launch sweep", exact=True).wait_for(timeout=120000)
        trials = page.get_by_label("Trials", exact=True)
        trials.fill("2")
        page.get_by_role("button", name="Launch sweep").click()
        store = open_store(home)
        page.wait_for_function("() => document.body.innerText.includes('Status: done')", timeout=600000)
        page.locator(".js-plotly-plot .parcoords").first.wait_for(timeout=60000)
        shot(page, "sweep")
        page.get_by_role("button", name="Launch best over these seeds").click()
        wait_app_idle(page)
        launched = lambda: [r for r in store.list_runs() if r["sweep_id"] is None]  # noqa: E731
        page.wait_for_function("() => true")  # let the rerun finish writing
        for _ in range(60):
            if len(launched()) == 3:
                break
            page.wait_for_timeout(1000)
        assert len(launched()) == 3
        assert page.locator("[data-testid='stException']").count() == 0


def test_dann_embeddings_show_the_domains_mixed_after_alignment(tmp_path):
    """The alignment method's one picture: UMAP before (each domain's own encoding) and after (the
    adversarial phase), screenshot for a person to look at; the kNN mixing the page shows is the
    store's number, and it says the two domains are mixed after."""
    import json
    import os
    import subprocess
    import sys

    from browser import ROOT
    from crossrec.runs.open_store import open_store
    home, data = tmp_path / "home", tmp_path / "data"
    home.mkdir()
    data.mkdir()
    env = {**os.environ, "CROSSREC_HOME": str(home), "CROSSREC_DATA_DIR": str(data)}
    out = subprocess.run([sys.executable, "-m", "crossrec", "submit", "synthetic", "--method", "dann", "--json"],
                         cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    run_id = json.loads(out.stdout.strip().splitlines()[-1])["run_id"]
    store = open_store(home)
    with running_app(home, data) as url, browser_page() as page:
        page.goto(url + "/embeddings")
        wait_app_idle(page)
        for _ in range(900):  # the app's worker trains it, then computes UMAP (numba compiles first)
            run = store.get_run(run_id)
            if run["status"] != "queued" and run["status"] != "running" and \
                    "umap" in ((run.get("summary") or {}).get("projections") or []):
                break
            assert run["status"] in ("queued", "running", "done"), run.get("error")
            page.wait_for_timeout(1000)
        page.reload()
        wait_app_idle(page)
        page.get_by_text("After training / alignment").first.wait_for(timeout=60000)
        page.get_by_text("Alignment metrics").first.wait_for(timeout=30000)
        assert page.locator(".js-plotly-plot").count() >= 2
        shot(page, "embeddings-dann")
        alignment = store.get_run(run_id)["summary"]["alignment"]
        assert alignment["after"]["knn_mixing"] >= 0.3, alignment
        assert alignment["after"]["proxy_a_distance"] < alignment["before"]["proxy_a_distance"], alignment
        assert page.locator("[data-testid='stException']").count() == 0


def test_explain_a_cold_user_in_chromium(tmp_path):
    """A class's view of one cold user: their source history, cmf's and popularity's top-10 side
    by side with cmf's hit marked, and the user's star on the embeddings."""
    import os
    import subprocess
    import sys

    from playwright.sync_api import expect

    from browser import ROOT
    from crossrec.data import load_pair
    from crossrec.runs.artifacts import HELDOUT_RANKS, ArtifactStore
    home, data = tmp_path / "home", tmp_path / "data"
    home.mkdir()
    data.mkdir()
    env = {**os.environ, "CROSSREC_HOME": str(home), "CROSSREC_DATA_DIR": str(data)}
    train = lambda *args: json.loads(subprocess.run(  # noqa: E731
        [sys.executable, "-m", "crossrec", "train", "synthetic", *args, "--json"], cwd=ROOT, env=env,
        capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])["run_id"]
    popularity = train("--method", "popularity")
    cmf = train("--method", "cmf", "--set", "epochs=20")
    held, held_popularity = (ArtifactStore(home / "artifacts").load_frame(r, HELDOUT_RANKS) for r in (cmf, popularity))
    hits = held[(held["group"] == "cold") & (held["rank"] < 10)]
    user = int(hits["user"].value_counts().index[0])  # the cold user with the most hits
    pair = load_pair("synthetic")
    raw, n_history = pair.user_source_raw[user], int((pair.source.users == user).sum())
    with running_app(home, data) as url, browser_page() as page:
        page.goto(url + "/explain")
        wait_app_idle(page)
        page.get_by_text("Top 10 recommendations").wait_for(timeout=60000)
        box = page.locator("[data-testid='stSelectbox']").filter(has_text="User (type to search)")
        box.click()
        page.keyboard.type(raw)
        page.keyboard.press("Enter")
        wait_app_idle(page)
        page.get_by_text(f"Source history ({n_history} items)").wait_for(timeout=60000)  # this user's
        table = page.locator("[data-testid='stTable']")
        # on a busy machine the table can be drawn after the history line: wait for its columns
        for method in ("cmf", "popularity"):
            expect(table.locator("th").filter(has_text=re.compile(f"^{method}"))).not_to_have_count(0, timeout=60000)
        expected = sum(int(((h["user"] == user) & (h["rank"] < 10)).sum()) for h in (held, held_popularity))
        assert expected >= 1
        # the page may still be drawing the new user's table on a busy machine: wait for it
        expect(table.get_by_text("✓")).to_have_count(expected, timeout=60000)  # cmf's hits and popularity's
        page.get_by_text("this user (source)").first.wait_for(timeout=30000)
        # on a busy machine the previous user's plot may still be on screen while the rerun draws
        expect(page.locator(".js-plotly-plot")).to_have_count(2, timeout=60000)
        assert page.locator("[data-testid='stException']").count() == 0
        shot(page, "explain-a-user")


def test_report_downloads_in_one_click_and_prints_one_section_per_page(tmp_path):
    """Compare -> one click downloads the report; Chromium prints it to PDF; every page is
    rasterised (pdftoppm): at least one page per section, none blank."""
    import os
    import subprocess
    import sys

    import numpy as np
    from PIL import Image

    from browser import ROOT
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) not installed")
    home, data = tmp_path / "home", tmp_path / "data"
    home.mkdir()
    data.mkdir()
    env = {**os.environ, "CROSSREC_HOME": str(home), "CROSSREC_DATA_DIR": str(data)}
    for method in (["popularity"], ["cmf", "--set", "epochs=5"]):
        subprocess.run([sys.executable, "-m", "crossrec", "train", "synthetic-tiny", "--method", *method, "--json"],
                       cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    with running_app(home, data) as url, browser_page() as page:
        page.set_viewport_size({"width": 1366, "height": 900})  # a presenter's laptop
        page.goto(url + "/compare")
        wait_app_idle(page)
        table = page.locator("[data-testid='stTable']").first
        table.wait_for(timeout=60000)
        fits = table.evaluate("t => [t.scrollWidth, t.clientWidth, t.getBoundingClientRect().right, window.innerWidth]")
        assert fits[0] <= fits[1] + 1 and fits[2] <= fits[3], fits  # the headline table needs no scrolling
        with page.expect_download(timeout=120000) as download:
            page.get_by_role("button", name="Download report (HTML, print-ready)").click()
        report = tmp_path / "report.html"
        download.value.save_as(report)
    text = report.read_text()
    sections = text.count("<section")
    assert sections == 8 and "<script src=" not in text
    with browser_page() as page:
        page.goto(report.as_uri())
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= 4")
        page.emulate_media(media="print")
        pdf = tmp_path / "report.pdf"
        page.pdf(path=str(pdf), format="A4", landscape=True, print_background=True)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= sections, (len(pages), sections)
    for png in pages:
        ink = (np.asarray(Image.open(png).convert("L")) < 200).mean()
        assert ink > 0.002, f"{png.name} is blank ({ink:.4%} ink)"
