"""The slow views of finished runs, computed by the worker's projection pool in their own small
niced processes (`python -m crossrec.runs.projections HOME RUN_ID`), one at a time by default,
after the run is done: first the alignment metrics of the saved vectors, then UMAP and t-SNE.
Pages never wait for them and show PCA meanwhile. A run is done when its ranking metrics are in:
in a class of short runs the alignment metrics were a fifth of a run's CPU (docs/BENCHMARKS.md),
and at nice 10 they take only what training leaves. Torch-free at import (pages import it)."""

from __future__ import annotations

import sys
import traceback

import pandas as pd

from crossrec.analysis.projection import project
from crossrec.runs.artifacts import ArtifactStore
from crossrec.runs.open_store import open_store
from crossrec.runs.store import RunStore

SLOW_PROJECTIONS = ("umap", "tsne")
STAGES = ("before", "after")


def needs_projections(run: dict) -> bool:
    """A done run with saved vectors whose alignment metrics or slow projections are missing (and
    did not fail)."""
    summary = run.get("summary") or {}
    ready = summary.get("projections") or []
    return (run["status"] == "done" and "pca" in ready and not summary.get("projection_error")
            and ("alignment" not in summary or any(m not in ready for m in SLOW_PROJECTIONS)))


def saved_stages(artifacts: ArtifactStore, run_id: str) -> list[str]:
    """The stages whose sampled vectors the run saved ("before" and/or "after")."""
    return [s for s in STAGES if artifacts.exists(run_id, f"vectors_{s}.npz")]


def measure_alignment(store: RunStore, run_id: str, seed: int = 0) -> dict:
    """The alignment metrics of each saved stage (`stage_alignment`), written to the run's summary
    ({} for a method with one set of vectors, so a page can tell "none" from "not yet")."""
    from crossrec.analysis.points import stage_alignment  # torch (MMD): pages import this module, torch-free
    artifacts = ArtifactStore(store.home / "artifacts")
    alignment = {}
    for stage in saved_stages(artifacts, run_id):
        metrics = stage_alignment(artifacts.load_frame(run_id, f"points_{stage}.parquet"),
                                  artifacts.load_arrays(run_id, f"vectors_{stage}.npz")["x"], seed)
        if metrics is not None:
            alignment[stage] = metrics
    store.update_summary(run_id, alignment=alignment)
    return alignment


def compute_slow_projections(store: RunStore, run_id: str, seed: int = 0) -> None:
    """The alignment metrics when missing, then UMAP and t-SNE of the saved stage vectors; each
    is listed in the summary once saved."""
    if "alignment" not in (store.get_run(run_id)["summary"] or {}):
        measure_alignment(store, run_id, seed)
    artifacts = ArtifactStore(store.home / "artifacts")
    stages = saved_stages(artifacts, run_id)
    if not stages:
        return
    done = ["pca"]
    for method in SLOW_PROJECTIONS:
        frames = [project(artifacts.load_frame(run_id, f"points_{s}.parquet"),
                          artifacts.load_arrays(run_id, f"vectors_{s}.npz")["x"], method, seed)
                  for s in stages]
        artifacts.save_frame(run_id, f"projection_{method}.parquet", pd.concat(frames, ignore_index=True))
        done.append(method)
        store.update_summary(run_id, projections=list(done))


def attempt(run: dict) -> tuple[str, int]:
    """Which request for projections this is: "compute again" starts a new attempt."""
    return run["id"], int((run.get("summary") or {}).get("projection_requests", 0))


def compute_again(store: RunStore, run_id: str, method: str) -> None:
    """A missing or failed projection: PCA is redone here at once (it takes a moment); UMAP and
    t-SNE go back to the worker's pool as a new attempt."""
    run = store.get_run(run_id)
    summary = run["summary"] or {}
    if method == "pca":
        artifacts = ArtifactStore(store.home / "artifacts")
        frames = [project(artifacts.load_frame(run_id, f"points_{s}.parquet"),
                          artifacts.load_arrays(run_id, f"vectors_{s}.npz")["x"], "pca", run["seed"])
                  for s in saved_stages(artifacts, run_id)]
        artifacts.save_frame(run_id, "projection_pca.parquet", pd.concat(frames, ignore_index=True))
        return
    store.update_summary(run_id, projections=[m for m in summary.get("projections", []) if m != method],
                         projection_error=None,
                         projection_requests=int(summary.get("projection_requests", 0)) + 1)


def main(home: str, run_id: str) -> int:
    store = open_store(home)
    run = store.get_run(run_id)
    try:
        compute_slow_projections(store, run_id, run["seed"])
    except Exception as err:  # the run's results stand; the page falls back to PCA
        store.update_summary(run_id, projection_error=f"{type(err).__name__}: {err}".splitlines()[0])
        ArtifactStore(store.home / "artifacts").write_bytes(run_id, "projection_error.log",
                                                            traceback.format_exc().encode())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
