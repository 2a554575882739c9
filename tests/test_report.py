"""Comparisons a presenter can stand behind (experiment identity, sample statistics, paired
tests) and the one-file HTML report, from real runs of the CLI."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import run_cli
from crossrec.analysis.compare import compare
from crossrec.analysis.compare_tables import comparison_table, headline_table
from crossrec.methods.catalog import all_cards, setting_defaults
from crossrec.runs.artifacts import ArtifactStore
from crossrec.runs.open_store import open_store
from crossrec.runs.report import report_html


def train(method, *args) -> str:
    proc = run_cli("train", "synthetic-tiny", "--method", method, *args, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])["run_id"]


def compare_cli(*run_ids, baseline=None) -> dict:
    args = ["compare", *run_ids, "--json"] + (["--baseline", baseline] if baseline else [])
    proc = run_cli(*args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """popularity, target_only, cmf dim 8 over three seeds and cmf dim 16 once, in one home."""
    import os
    home = tmp_path_factory.mktemp("compare") / "home"
    old = os.environ.get("CROSSREC_HOME")
    os.environ["CROSSREC_HOME"] = str(home)
    try:
        ids = {"popularity": [train("popularity")], "target_only": [train("target_only", "--set", "epochs=3")],
               "cmf8": [train("cmf", "--set", "dim=8", "--set", "epochs=4", "--seed", s) for s in ("0", "1", "2")],
               "cmf16": [train("cmf", "--set", "dim=16", "--set", "epochs=4")]}
    finally:
        if old is None:
            os.environ.pop("CROSSREC_HOME")
        else:
            os.environ["CROSSREC_HOME"] = old
    return home, ids


def test_groups_are_experiments_with_sample_statistics(finished, monkeypatch):
    home, ids = finished
    monkeypatch.setenv("CROSSREC_HOME", str(home))
    two = compare_cli(ids["cmf8"][0], ids["cmf16"][0])
    assert [g["n"] for g in two["groups"]] == [1, 1]  # dim 8 and dim 16 are never pooled
    for g in two["groups"]:
        cell = g["cold"]["ndcg@10"]
        assert cell["std"] is None and cell["ci95"] is None
        assert set(g["differing_settings"]) == {"dim"}
    three = compare_cli(*ids["cmf8"])
    (group,) = three["groups"]
    assert group["n"] == 3 and group["seeds"] == [0, 1, 2]
    values = [open_store(home).get_run(i)["metrics"]["cold"]["ndcg@10"] for i in ids["cmf8"]]
    cell = group["cold"]["ndcg@10"]
    assert cell["std"] == pytest.approx(np.std(values, ddof=1))
    low, high = stats.t.interval(0.95, 2, loc=np.mean(values), scale=np.std(values, ddof=1) / np.sqrt(3))
    assert cell["ci95"] == pytest.approx([low, high])


def test_baselines_per_user_group_and_paired_tests(finished, monkeypatch):
    home, ids = finished
    monkeypatch.setenv("CROSSREC_HOME", str(home))
    every = [i for group in ids.values() for i in group]
    result = compare_cli(*every)
    assert result["baseline"]["cold"] == ["popularity"]  # never target_only for cold users
    by_method = {(g["method"], g["n"]): g for g in result["groups"]}
    cmf = by_method[("cmf", 3)]
    assert cmf["cold"]["ndcg@10"]["baseline"] == "popularity"
    store = open_store(home)
    pop = store.get_run(ids["popularity"][0])["metrics"]["cold"]["ndcg@10"]
    cell = cmf["cold"]["ndcg@10"]
    assert cell["ratio"] == pytest.approx(cell["mean"] / pop) and cell["difference"] == pytest.approx(cell["mean"] - pop)
    low, high = cell["difference_ci95"]
    assert low <= cell["difference"] <= high and low < high
    assert "change" not in cell  # no relative percentages
    p = cell["p_value"]
    assert 0 < p <= 1 and cell["p_raw"]["zsplit"] <= p  # Holm never lowers a p-value
    assert set(cell["p_tests"]) == {"zsplit", "pratt", "ttest"} and "paired n = " in cell["test"]
    baseline_group = by_method[("popularity", 1)]
    assert baseline_group["cold"]["ndcg@10"]["ratio"] is None and baseline_group["cold"]["ndcg@10"]["is_baseline"]
    assert baseline_group["cold"]["ndcg@10"]["p_value"] is None
    assert "x popularity's (" in cmf["headline"] and "Wilcoxon" in cmf["headline"]
    # the warm baseline is picked on validation data
    warm = result["baseline"]["warm"][0]
    valid = {m: store.get_run(ids[m][0])["summary"]["valid_groups"]["warm"]["ndcg@10"]
             for m in ("popularity", "target_only")}
    assert warm == max(valid, key=valid.get)
    # the paired test is the Wilcoxon test of the per-user differences, split by split
    artifacts = ArtifactStore(home / "artifacts")
    ours = pd.concat([artifacts.per_user(i) for i in ids["cmf8"]])
    ours = ours[ours["group"] == "cold"].groupby("user")["ndcg@10"].mean()
    theirs = artifacts.per_user(ids["popularity"][0]).query("group == 'cold'").set_index("user")["ndcg@10"]
    diff = (ours - theirs.loc[ours.index]).to_numpy()
    for zero_method in ("zsplit", "pratt"):
        raw = stats.wilcoxon(diff, zero_method=zero_method).pvalue
        assert cmf["cold"]["ndcg@10"]["p_raw"][zero_method] == pytest.approx(raw)
    assert cmf["cold"]["ndcg@10"]["p_raw"]["ttest"] == pytest.approx(stats.ttest_1samp(diff, 0).pvalue)


def test_table_and_offline_report(finished, monkeypatch):
    home, ids = finished
    monkeypatch.setenv("CROSSREC_HOME", str(home))
    store = open_store(home)
    runs = store.list_runs(statuses=("done",))
    result = compare(runs, setting_defaults(all_cards()), ArtifactStore(home / "artifacts").per_user)
    table = comparison_table(result)
    assert "±" in table[table["n"] == 3]["cold ndcg@10"].iloc[0]
    assert "(one run)" in table[table["method"] == "popularity"]["cold ndcg@10"].iloc[0]
    headline = headline_table(result)
    assert list(headline.columns[:2]) == ["method", "n"] and len(headline.columns) == 8
    assert not any("%" in str(v) for v in headline.to_numpy().ravel())  # no relative percentages
    html = report_html(store, ArtifactStore(home / "artifacts"), runs, result, k=10)
    assert html.count("<section") == 8 and html.count("<section class=first>") == 1
    assert html.index("<h2>Summary</h2>") < html.index("<h2>Domain pairs</h2>")
    for title in ("Summary", "Domain pairs", "Settings", "Results (K = 10)", "All metrics (K = 10)",
                  "Training curves", "Embeddings before and after alignment", "Explained users"):
        assert f"<h2>{title}</h2>" in html, title
    assert "break-before:page" in html and "@media print" in html
    assert html.count("<h3>User u") == 3 and "Source history" in html and "kNN mixing" in html
    assert html.count("<script") >= 3
    assert not re.search(r"<script[^>]+src=", html)  # plotly.js embedded: opens offline
    assert html.count("Plotly.newPlot") >= 3
    assert "synthetic-tiny" in html and "cmf" in html and "±" in html and "Wilcoxon" in html
    json.dumps(result)  # the comparison is plain JSON


def test_smoothing_averages_losses_but_never_validation_points():
    import numpy as np
    import pandas as pd
    from crossrec.viz.curves import curves_figure
    steps = np.arange(1, 41)
    rows = pd.concat([
        pd.DataFrame({"run_id": "r", "phase": "joint", "epoch": (steps - 1) // 10 + 1, "step": steps,
                      "name": "loss", "value": 1.0 + (steps % 2)}),  # a zigzag 1, 2, 1, 2 ...
        pd.DataFrame({"run_id": "r", "phase": "joint", "epoch": [1, 2, 3, 4], "step": [10, 20, 30, 40],
                      "name": "valid_ndcg@10", "value": [0.1, 0.3, 0.2, 0.4]})])
    raw, smoothed = (curves_figure(rows, smooth=w) for w in (1, 4))
    loss = lambda fig: np.array(fig.data[0].y, dtype=float)  # noqa: E731
    assert loss(raw).std() > 0.45 and loss(smoothed)[2:-2].std() < 0.01
    assert list(smoothed.data[1].y) == [0.1, 0.3, 0.2, 0.4]


def test_report_prints_to_pdf_with_the_machines_chromium(finished, tmp_path):
    import shutil
    import subprocess
    from crossrec.runs.report import installed_chromium, print_to_pdf
    if installed_chromium() is None or shutil.which("pdftotext") is None:
        pytest.skip("no chromium or poppler-utils")
    home, _ = finished
    store = open_store(home)
    runs = store.list_runs(statuses=("done",))
    result = compare(runs, setting_defaults(all_cards()), ArtifactStore(home / "artifacts").per_user)
    pdf = print_to_pdf(report_html(store, ArtifactStore(home / "artifacts"), runs, result))
    assert pdf.startswith(b"%PDF")
    (tmp_path / "r.pdf").write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    pages = text.split("\f")
    firsts = [page.strip().splitlines()[0].strip() for page in pages if page.strip()]
    assert firsts[0] == "Summary", firsts  # page 1 opens with its point
    assert "x popularity's" in pages[0] and "cold" in pages[0]
    for title in ("Summary", "Domain pairs", "Settings", "Results (K = 10)", "Training curves", "Explained users"):
        assert firsts.count(title) == 1, (title, firsts)  # each section opens a page


def test_every_chart_of_the_report_fits_its_printed_page(finished):
    """In print media at the printed page's width (A4 landscape, 12 mm margins), every chart's box
    lies inside the page (Chromium through Playwright)."""
    from browser import browser_page
    home, _ = finished
    store = open_store(home)
    runs = store.list_runs(statuses=("done",))
    result = compare(runs, setting_defaults(all_cards()), ArtifactStore(home / "artifacts").per_user)
    page_width = round((297 - 2 * 12) / 25.4 * 96)  # CSS pixels
    with browser_page() as page:
        page.set_viewport_size({"width": page_width, "height": 900})
        page.emulate_media(media="print")
        page.set_content(report_html(store, ArtifactStore(home / "artifacts"), runs, result))
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot .main-svg').length >= 5", timeout=60000)
        boxes = page.eval_on_selector_all(".js-plotly-plot", "els => els.map(e => e.getBoundingClientRect().toJSON())")
    assert len(boxes) >= 5
    for box in boxes:
        assert box["x"] >= 0 and box["x"] + box["width"] <= page_width + 0.5, (box, page_width)


def test_the_same_run_counts_once(finished, monkeypatch):
    home, ids = finished
    monkeypatch.setenv("CROSSREC_HOME", str(home))
    run, pop = ids["cmf16"][0], ids["popularity"][0]
    result = compare_cli(run, run, run, pop)
    cmf = next(g for g in result["groups"] if g["method"] == "cmf")
    assert cmf["n"] == 1 and cmf["cold"]["ndcg@10"]["std"] is None
    cell = cmf["cold"]["ndcg@10"]
    assert cell["difference_ci95"][0] <= cell["difference"] <= cell["difference_ci95"][1]


def test_identical_reruns_are_one_replicate(home):
    a, b = train("cmf", "--set", "epochs=2", "--set", "dim=8"), train("cmf", "--set", "epochs=2", "--set", "dim=8")
    pop = train("popularity")
    result = compare_cli(a, b, pop)
    assert next(g for g in result["groups"] if g["method"] == "cmf")["n"] == 1
    assert len([g for g in result["groups"] if g["method"] == "cmf"]) == 1


def test_the_default_split_pairs_with_an_explicit_split_seed_of_the_same_value(home):
    pop = train("popularity", "--split-seed", "0")
    cmf = train("cmf", "--set", "epochs=2", "--set", "dim=8")  # the default split of synthetic-tiny: seed 0
    result = compare_cli(pop, cmf)
    cell = next(g for g in result["groups"] if g["method"] == "cmf")["cold"]["ndcg@10"]
    assert cell["p_value"] is not None and cell["baseline"] == "popularity"
    other = train("popularity", "--split-seed", "5")
    unpaired = compare_cli(other, cmf)
    assert next(g for g in unpaired["groups"] if g["method"] == "cmf")["cold"]["ndcg@10"]["p_value"] is None


def _frames(diffs):
    """Per-user frames of a baseline (all 0.5) and a method (0.5 + diff) over the same cold users."""
    users = np.arange(len(diffs))
    base = pd.DataFrame({"user": users, "group": "cold", "ndcg@10": 0.5})
    return base, base.assign(**{"ndcg@10": 0.5 + np.asarray(diffs)})


def _run(run_id, method, frame):
    mean = float(frame["ndcg@10"].mean())
    return {"id": run_id, "method": method, "seed": 0, "status": "done", "eval": "full", "created": 0.0,
            "pair": {"catalog": "synthetic-tiny", "split_seed": 0}, "pair_name": "synthetic-tiny",
            "settings": {}, "summary": {}, "metrics": {"cold": {"ndcg@10": mean, "n_users": len(frame)},
                                                       "warm": {"n_users": 0}}}


def test_a_verdict_that_depends_on_the_zero_handling_says_so():
    # 100 users tie (difference 0), 12 gain 0.1, 3 lose 0.05: zsplit p = 0.12, pratt p = 0.016
    base, ours = _frames([0.0] * 100 + [0.1] * 12 + [-0.05] * 3)
    frames = {"p": base, "m": ours}
    result = compare([_run("p", "popularity", base), _run("m", "cmf", ours)], {}, frames.get)
    cell = next(g for g in result["groups"] if g["method"] == "cmf")["cold"]["ndcg@10"]
    assert cell["p_tests"]["zsplit"] > 0.05 > cell["p_tests"]["pratt"]
    assert cell["verdict"].startswith("depends on the test") and "zsplit" in cell["verdict"] and "pratt" in cell["verdict"]
    assert "depends on the test" in next(g for g in result["groups"] if g["method"] == "cmf")["headline"]
    # where both agree the verdict is one word with its test named
    base, ours = _frames([0.1] * 30 + [0.0] * 5)
    result = compare([_run("p", "popularity", base), _run("m", "cmf", ours)], {}, {"p": base, "m": ours}.get)
    verdict = next(g for g in result["groups"] if g["method"] == "cmf")["cold"]["ndcg@10"]["verdict"]
    assert verdict.startswith("better (Wilcoxon") and "n = 35" in verdict


def test_a_zero_baseline_gives_no_ratio_but_a_difference():
    users = np.arange(20)
    base = pd.DataFrame({"user": users, "group": "cold", "ndcg@10": 0.0})
    ours = base.assign(**{"ndcg@10": np.linspace(0.0, 0.4, 20)})
    result = compare([_run("p", "popularity", base), _run("m", "cmf", ours)], {}, {"p": base, "m": ours}.get)
    group = next(g for g in result["groups"] if g["method"] == "cmf")
    cell = group["cold"]["ndcg@10"]
    assert cell["ratio"] is None and cell["difference"] == pytest.approx(0.2)
    assert "where popularity's is 0" in group["headline"]


def test_the_baseline_is_chosen_by_replicates_then_age_not_by_order():
    base, ours = _frames([0.01] * 20)
    frames = {"p1": base, "p2": base, "p3": base, "m": ours}
    runs = [_run("m", "cmf", ours), _run("p1", "popularity", base),
            {**_run("p2", "popularity", base), "settings": {"dim": 9}, "created": 5.0},
            {**_run("p3", "popularity", base), "settings": {"dim": 9}, "seed": 1, "created": 6.0}]
    for order in (runs, runs[::-1]):
        result = compare(order, {}, frames.get)
        cmf = next(g for g in result["groups"] if g["method"] == "cmf")
        pinned = [g for g in result["groups"] if g["method"] == "popularity" and g["cold"]["ndcg@10"]["is_baseline"]]
        assert len(pinned) == 1 and pinned[0]["n"] == 2  # most replicates wins
        assert cmf["cold"]["ndcg@10"]["baseline"] == "popularity"


def test_exports_in_three_formats(finished, monkeypatch):
    home, ids = finished
    monkeypatch.setenv("CROSSREC_HOME", str(home))
    every = [i for group in ids.values() for i in group]
    for fmt, marker in (("csv", "method,pair,eval,n"), ("markdown", "| method"), ("latex", "\\toprule")):
        proc = run_cli("compare", *every, "--format", fmt)
        assert proc.returncode == 0, proc.stderr
        assert marker in proc.stdout, (fmt, proc.stdout[:300])
    latex = run_cli("compare", *every, "--format", "latex").stdout
    assert "\\midrule" in latex and "\\bottomrule" in latex and "%" not in latex.replace("\\%", "")


def test_the_report_command_writes_html(finished, monkeypatch, tmp_path):
    home, ids = finished
    monkeypatch.setenv("CROSSREC_HOME", str(home))
    out = tmp_path / "r.html"
    proc = run_cli("report", *ids["cmf8"], ids["popularity"][0], "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "<h2>Summary</h2>" in out.read_text()
    bad = run_cli("report", ids["popularity"][0], "--out", tmp_path / "missing" / "r.html")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
