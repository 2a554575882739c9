"""Comparisons a presenter can stand behind (experiment identity, sample statistics, paired
tests) and the one-file HTML report, from real runs of the CLI."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from conftest import run_cli
from crossrec.analysis.compare import comparison_table, compare
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
    assert cmf["cold"]["ndcg@10"]["change"] == pytest.approx(cmf["cold"]["ndcg@10"]["mean"] / pop - 1)
    p = cmf["cold"]["ndcg@10"]["p_value"]
    assert 0 < p <= 1 and cmf["cold"]["ndcg@10"]["p_raw"] <= p  # Holm never lowers a p-value
    baseline_group = by_method[("popularity", 1)]
    assert baseline_group["cold"]["ndcg@10"]["change"] is None
    assert baseline_group["cold"]["ndcg@10"]["p_value"] is None
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
    raw = stats.wilcoxon((ours - theirs.loc[ours.index]).to_numpy(), zero_method="zsplit").pvalue
    assert cmf["cold"]["ndcg@10"]["p_raw"] == pytest.approx(raw)


def test_table_and_offline_report(finished, monkeypatch):
    home, ids = finished
    monkeypatch.setenv("CROSSREC_HOME", str(home))
    store = open_store(home)
    runs = store.list_runs(statuses=("done",))
    result = compare(runs, setting_defaults(all_cards()), ArtifactStore(home / "artifacts").per_user)
    table = comparison_table(result)
    assert "±" in table[table["n"] == 3]["cold ndcg@10"].iloc[0]
    assert "(n=1)" in table[table["method"] == "popularity"]["cold ndcg@10"].iloc[0]
    html = report_html(store, ArtifactStore(home / "artifacts"), runs, result, k=10)
    assert html.count("<section") == 6 and html.count("<section class=first>") == 1
    for title in ("Domain pairs", "Settings", "Results (K = 10)", "Training curves",
                  "Embeddings before and after alignment", "Explained users"):
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
    for title in ("Domain pairs", "Settings", "Results (K = 10)", "Training curves", "Explained users"):
        firsts = [page.strip().splitlines()[0].strip() for page in pages if page.strip()]
        assert firsts.count(title) == 1, (title, firsts)  # each section opens a page
