"""Gather what the print-ready report shows from the store and the run folders, then build it
(crossrec/viz/report.py): curves, each experiment's embeddings with its alignment metrics, and a
few explained cold users. Torch-free: it reads what the runs stored."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from crossrec.analysis.explain import RunLists, explain, test_users
from crossrec.data.catalog import load_pair
from crossrec.data.titles import item_titles
from crossrec.errors import DataError
from crossrec.runs.artifacts import HELDOUT_RANKS, TOP_LISTS, ArtifactStore
from crossrec.runs.store import RunStore
from crossrec.viz.report import build_report

EXPLAINED_USERS = 3
USER_SEED = 0  # explained users are drawn at random with this seed, never picked by their results


def _curves(store: RunStore, runs: list[dict]) -> dict[str, pd.DataFrame]:
    return {r["id"]: pd.DataFrame(store.metrics(r["id"])) for r in runs}


def _embeddings(artifacts: ArtifactStore, runs: list[dict]) -> list[dict]:
    """One entry per method and pair: the first run with a projection (UMAP when computed)."""
    found, seen = [], set()
    for run in runs:
        summary = run.get("summary") or {}
        key = (run["method"], json.dumps(run["pair"], sort_keys=True))
        kinds = [k for k in ("umap", "pca") if k in (summary.get("projections") or [])]
        if key in seen or not kinds or not artifacts.exists(run["id"], f"projection_{kinds[0]}.parquet"):
            continue
        seen.add(key)
        found.append({"label": f"{run['method']} · {run['pair_name']} · seed {run['seed']}",
                      "projection": kinds[0].upper(),
                      "points": artifacts.load_frame(run["id"], f"projection_{kinds[0]}.parquet"),
                      "alignment": summary.get("alignment")})  # None: not computed yet
    return found


def _explained(artifacts: ArtifactStore, runs: list[dict]) -> list[dict]:
    """Cold users drawn at random (seed USER_SEED) on the first run's pair, with up to three runs
    of that pair side by side (popularity among them when it was compared)."""
    with_lists = [r for r in runs if artifacts.exists(r["id"], TOP_LISTS)]
    if not with_lists:
        return []
    ref = json.dumps(with_lists[0]["pair"], sort_keys=True)
    same = [r for r in with_lists if json.dumps(r["pair"], sort_keys=True) == ref]
    chosen = (same[:1] + [r for r in same[1:] if r["method"] == "popularity"][:1] +
              [r for r in same[1:] if r["method"] != "popularity" and r["method"] != same[0]["method"]])[:3]
    lists = [RunLists(f"{r['method']} · s{r['seed']}", artifacts.load_frame(r["id"], TOP_LISTS),
                      artifacts.load_frame(r["id"], HELDOUT_RANKS)) for r in chosen]
    users = test_users(lists, "cold")
    if not users.size:
        return []
    pair = load_pair(json.loads(ref))
    try:
        titles = item_titles(json.loads(ref))
    except DataError:
        titles = {}
    picked = np.sort(np.random.default_rng(USER_SEED).choice(users, min(EXPLAINED_USERS, users.size), replace=False))
    return [{"user": pair.user_source_raw[u] or str(u), "pair": same[0]["pair_name"], **explain(pair, lists, int(u), titles)}
            for u in picked]


def report_html(store: RunStore, artifacts: ArtifactStore, runs: list[dict], result: dict, k: int = 10) -> str:
    """The self-contained, print-ready HTML report of `runs` compared as `result`."""
    return build_report(runs, _curves(store, runs), result, k, embeddings=_embeddings(artifacts, runs),
                        explained=_explained(artifacts, runs))


CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-pdf-header-footer",
                  "--virtual-time-budget=15000"]  # lets plotly draw before the page is printed


def installed_chromium() -> str | None:
    """A Chromium (or Chrome) on PATH: the PDF is printed by the browser the machine already has."""
    return next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)


def print_to_pdf(report: str, timeout: float = 300) -> bytes:
    """The report printed to PDF by headless Chromium (its print stylesheet applies)."""
    browser = installed_chromium()
    if browser is None:
        raise RuntimeError("no Chromium on PATH: open the HTML report and print it to PDF")
    with tempfile.TemporaryDirectory() as tmp:
        page, pdf = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        page.write_text(report, encoding="utf-8")
        subprocess.run([browser, *CHROMIUM_FLAGS, f"--print-to-pdf={pdf}", page.as_uri()],
                       capture_output=True, timeout=timeout, check=False)
        if not pdf.is_file() or pdf.stat().st_size == 0:
            raise RuntimeError("Chromium printed no PDF; open the HTML report and print it to PDF")
        return pdf.read_bytes()
