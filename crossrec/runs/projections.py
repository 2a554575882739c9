"""The slow views of finished runs, computed by the worker's projection pool in their own small
niced processes (`python -m crossrec.runs.projections HOME RUNS`, run ids on stdin, one at a time
by default), after the run is done: first the alignment metrics of the saved vectors, then UMAP
and t-SNE. A process projects up to RUNS runs in turn: a fresh one pays about 16 s of CPU for
its imports and numba's compile of UMAP, more than a lecture run's training
(bench/projection_reuse.py, docs/BENCHMARKS.md).
Pages never wait for them and show PCA meanwhile. A run is done when its ranking metrics are in:
in a class of short runs the alignment metrics were a fifth of a run's CPU (docs/BENCHMARKS.md),
and at nice 10 they take only what training leaves. Torch-free at import (pages import it)."""

from __future__ import annotations

import sys
import traceback
from functools import partial

import numpy as np
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


def load_stages(artifacts: ArtifactStore, run_id: str) -> dict[str, tuple[pd.DataFrame, np.ndarray]]:
    """Each saved stage's sampled points and their vectors, read once for all that uses them."""
    return {s: (artifacts.load_frame(run_id, f"points_{s}.parquet"), artifacts.load_arrays(run_id, f"vectors_{s}.npz")["x"])
            for s in saved_stages(artifacts, run_id)}


def measure_alignment(store: RunStore, run_id: str, seed: int = 0, stages: dict | None = None) -> dict:
    """The alignment metrics of each saved stage (`stage_alignment`), written to the run's summary
    ({} for a method with one set of vectors, so a page can tell "none" from "not yet").
    `stages`: what `load_stages` read, when the caller has it."""
    from crossrec.analysis.points import stage_alignment  # torch (MMD): pages import this module, torch-free
    if stages is None:
        stages = load_stages(ArtifactStore(store.home / "artifacts"), run_id)
    alignment = {}
    for stage, (points, vectors) in stages.items():
        metrics = stage_alignment(points, vectors, seed)
        if metrics is not None:
            alignment[stage] = metrics
    store.update_summary(run_id, alignment=alignment)
    return alignment


def compute_slow_projections(store: RunStore, run: dict) -> None:
    """The alignment metrics when missing, then UMAP and t-SNE of the saved stage vectors of
    `run` (its store row); each is listed in the summary once saved."""
    run_id, seed = run["id"], run["seed"]
    artifacts = ArtifactStore(store.home / "artifacts")
    stages = load_stages(artifacts, run_id)
    if "alignment" not in (run["summary"] or {}):
        measure_alignment(store, run_id, seed, stages)
    if not stages:
        return
    done = ["pca"]
    for method in SLOW_PROJECTIONS:
        frames = [project(points, vectors, method, seed) for points, vectors in stages.values()]
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
        frames = [project(points, vectors, "pca", run["seed"])
                  for points, vectors in load_stages(artifacts, run_id).values()]
        artifacts.save_frame(run_id, "projection_pca.parquet", pd.concat(frames, ignore_index=True))
        return
    store.update_summary(run_id, projections=[m for m in summary.get("projections", []) if m != method],
                         projection_error=None,
                         projection_requests=int(summary.get("projection_requests", 0)) + 1)


def project_run(home: str, run_id: str) -> int:
    """A run's alignment metrics and slow projections; a failure is recorded in its summary (and
    the traceback in its artifacts) and returns 1. A run deleted meanwhile is skipped."""
    store = open_store(home)
    run = store.get_run(run_id)
    if run is None:
        return 1
    try:
        compute_slow_projections(store, run)
    except Exception as err:  # the run's results stand; the page falls back to PCA
        store.update_summary(run_id, projection_error=f"{type(err).__name__}: {err}".splitlines()[0])
        ArtifactStore(store.home / "artifacts").write_bytes(run_id, "projection_error.log",
                                                            traceback.format_exc().encode())
        return 1
    return 0


def main(home: str, runs: int) -> int:
    from crossrec.runs.child import serve, take_stdout
    return serve(take_stdout(), runs, partial(project_run, home))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
