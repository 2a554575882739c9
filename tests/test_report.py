"""Compare table and the one-file HTML report, from real run records."""

import json
import re

import pandas as pd

from conftest import run_cli
from crossrec.analysis.compare import format_table, summary_table
from crossrec.runs.store import RunStore
from crossrec.viz.report import build_report


def test_table_and_offline_report(home):
    for method in ("popularity", "target_only", "cmf"):
        for seed in (0, 1):
            proc = run_cli("train", "synthetic-tiny", "--method", method, "--seed", seed,
                           "--set", "epochs=3", "--json")
            assert proc.returncode == 0, proc.stderr
    store = RunStore()
    runs = store.list_runs(statuses=("done",))
    table = summary_table(runs, k=10)
    assert set(table["method"]) == {"popularity", "target_only", "cmf"}
    assert (table["runs"] == 2).all()
    cmf = table[table["method"] == "cmf"].iloc[0]
    values = [r["metrics"]["cold"]["ndcg@10"] for r in runs if r["method"] == "cmf"]
    assert abs(cmf["cold ndcg@10"] - sum(values) / 2) < 1e-12
    assert abs(cmf["cold ndcg@10 std"] - pd.Series(values).std()) < 1e-12
    base = table[table["method"] == "target_only"].iloc[0]["cold ndcg@10"]
    assert abs(cmf["cold Δndcg@10"] - (cmf["cold ndcg@10"] / base - 1)) < 1e-12
    assert "±" in format_table(table)["cold ndcg@10"].iloc[0]

    curves = {r["id"]: pd.DataFrame(store.metrics(r["id"])) for r in runs}
    html = build_report(runs, curves, k=10)
    assert html.count("<script") >= 3
    assert not re.search(r"<script[^>]+src=", html)  # plotly.js embedded: opens offline
    assert html.count("Plotly.newPlot") >= 3
    assert "synthetic-tiny" in html and "cmf" in html and "±" in html
    json.dumps(table.to_dict())  # CSV/JSON export of the table works
