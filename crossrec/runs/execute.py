"""Execute one stored run in this process: train, stream metrics, save artifacts, project.

Used by the worker's child processes and by the foreground `python -m crossrec train`.
"""

from __future__ import annotations

import contextlib
import io
import threading
import time
import traceback

import numpy as np
import pandas as pd
import torch

from crossrec.analysis.alignment import alignment_metrics
from crossrec.analysis.projection import pca_basis, place
from crossrec.data.catalog import load_pair
from crossrec.errors import ArtifactError, DataError, SettingError
from crossrec.data.pair import DomainPair
from crossrec.methods.registry import get_method
from crossrec.runs.artifacts import HELDOUT_RANKS, PER_USER, RUN_RECORD, TEST_POINTS, TOP_LISTS, ArtifactStore
from crossrec.methods.catalog import all_cards
from crossrec.runs.request import validate_request
from crossrec.runs.store import PRUNE, RunStore
from crossrec.train.trainer import Trainer, TrainingDiverged

HEARTBEAT_SECONDS = 1.0
EPOCH_SECONDS = "time_epoch_seconds"  # a metric row per epoch: how long its steps took
POINTS_PER_DOMAIN = 1500   # users per domain kept for plots and alignment metrics


class RunCancelled(Exception):
    """The user asked the run to stop (or a sweep pruned it)."""

    def __init__(self, pruned: bool = False):
        super().__init__("pruned" if pruned else "cancelled")
        self.pruned = pruned


class RunLogger:
    """Trainer callback: metric rows into the store, progress and cancel via a heartbeat thread."""

    def __init__(self, store: RunStore, run_id: str):
        self.store, self.run_id = store, run_id
        self.progress = 0.0
        self.cancelled = 0  # the store's cancel flag: CANCEL or PRUNE
        self.step = 0
        self.embeddings: dict[str, dict] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT_SECONDS):
            try:
                self.cancelled = self.store.heartbeat(self.run_id, self.progress) or self.cancelled
            except Exception:  # a locked moment must not kill the run; the next beat retries
                pass

    def __call__(self, event: str, payload: dict) -> None:
        now = time.time()
        if event == "steps":
            rows = []
            for step, losses in payload["rows"]:
                self.step = step
                rows += [(payload["phase"], payload["epoch"], step, name, value, now)
                         for name, value in losses.items()]
            self.store.add_metrics(self.run_id, rows)
        elif event == "validation":
            self.store.add_metrics(self.run_id, [
                (payload["phase"], payload["epoch"], self.step, f"valid_{k}", payload["metrics"][k], now)
                for k in ("ndcg@10", "hr@10") if k in payload["metrics"]])
        elif event == "epoch":
            self.progress = payload["progress"]
            self.store.add_metrics(self.run_id, [(payload["phase"], payload["epoch"], self.step,
                                                  EPOCH_SECONDS, payload["seconds"], now)])
        elif event == "embeddings":
            self.embeddings[payload["stage"]] = payload["vectors"]
        if self.cancelled:
            raise RunCancelled(pruned=self.cancelled == PRUNE)


def sample_points(pair: DomainPair, seed: int) -> pd.DataFrame:
    """Users shown in plots: up to POINTS_PER_DOMAIN per domain, cold users first."""
    rng = np.random.default_rng(seed)
    has_train = pair.has_target_train()
    cold = np.zeros(pair.n_users, bool)
    for split in ("test", "valid"):
        cold[pair.test_users("cold", split)] = True
    frames = []
    for domain, members in (("source", pair.in_source), ("target", has_train)):
        users = np.flatnonzero(members)
        order = np.argsort(~cold[users] + rng.random(users.size) * 0.5)  # cold first, then random
        users = np.sort(users[order[:POINTS_PER_DOMAIN]])
        frames.append(pd.DataFrame({"user": users, "domain": domain,
                                    "overlap": pair.overlap[users], "cold": cold[users]}))
    return pd.concat(frames, ignore_index=True)


def test_user_points(pair: DomainPair) -> pd.DataFrame:
    """Every test user's rows (a source row where they have source history, a target row where
    they have target training rows): the Explain page places any of them on the PCA plot."""
    users = np.union1d(pair.test_users("cold", "test"), pair.test_users("warm", "test"))
    has_train = pair.has_target_train()
    frames = [pd.DataFrame({"user": users[members[users]], "domain": domain})
              for domain, members in (("source", pair.in_source), ("target", has_train))]
    return pd.concat(frames, ignore_index=True)


def stage_vectors(points: pd.DataFrame, vectors: dict, stage: str) -> tuple[pd.DataFrame, np.ndarray] | None:
    """Rows and vectors of one stage: source points use the aligned vectors after alignment."""
    src_key = "aligned" if stage == "after" and "aligned" in vectors else "source"
    parts, rows = [], []
    for domain, key in (("source", src_key), ("target", "target")):
        if key not in vectors:
            continue
        sel = points[points["domain"] == domain]
        rows.append(sel)
        parts.append(vectors[key][sel["user"].to_numpy()])
    if not parts:
        return None
    frame = pd.concat(rows, ignore_index=True)
    frame["stage"] = stage
    return frame, np.vstack(parts).astype(np.float32)


def _on_axes(rows: pd.DataFrame, vectors: np.ndarray, basis: dict) -> pd.DataFrame:
    xy = place(vectors, basis)
    return rows.assign(x=xy[:, 0], y=xy[:, 1])


def _save_analysis(store, artifacts, run_id, pair, embeddings, seed) -> dict:
    """Per-stage vectors, PCA projections and alignment metrics; returns the summary part."""
    points, test_points = sample_points(pair, seed), test_user_points(pair)
    alignment, pca, placed = {}, [], []
    for stage, vectors in embeddings.items():
        got = stage_vectors(points, vectors, stage)
        if got is None:
            continue
        frame, x = got
        basis = pca_basis(x, seed)  # the plotted sample's axes; every test user is placed on them
        pca.append(_on_axes(frame, x, basis))
        tested = stage_vectors(test_points, vectors, stage)
        if tested is not None:
            placed.append(_on_axes(*tested, basis))
        artifacts.save_arrays(run_id, f"vectors_{stage}.npz", x=x)
        artifacts.save_frame(run_id, f"points_{stage}.parquet", frame)
        src, tgt = x[(frame["domain"] == "source").to_numpy()], x[(frame["domain"] == "target").to_numpy()]
        if len(src) > 5 and len(tgt) > 5:
            alignment[stage] = alignment_metrics(src, tgt, seed)
    if pca:
        artifacts.save_frame(run_id, "projection_pca.parquet", pd.concat(pca, ignore_index=True))
    if placed:
        artifacts.save_frame(run_id, TEST_POINTS, pd.concat(placed, ignore_index=True))
    return {"alignment": alignment, "projections": ["pca"] if pca else []}


def save_per_user(artifacts: ArtifactStore, run_id: str, per_user: dict) -> None:
    """Every test user's metrics (user, group, hr@K, ndcg@K, recall@K, mrr): what paired tests
    between runs compare, user by user."""
    frames = [pd.DataFrame({name: values.numpy() for name, values in columns.items()}).assign(group=group)
              for group, columns in per_user.items()]
    artifacts.save_frame(run_id, PER_USER, pd.concat(frames, ignore_index=True))


def save_top_lists(artifacts: ArtifactStore, run_id: str, lists: dict) -> None:
    """Each test user's top-K items and the ranks of their held-out items (the Explain page)."""
    artifacts.save_frame(run_id, TOP_LISTS, pd.DataFrame(lists["top"]))
    artifacts.save_frame(run_id, HELDOUT_RANKS, pd.DataFrame(lists["held"]))


def save_checkpoint(artifacts: ArtifactStore, run_id: str, model) -> None:
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    artifacts.write_bytes(run_id, "checkpoint.pt", buffer.getvalue())


def save_run_record(store: RunStore, artifacts: ArtifactStore, run_id: str) -> None:
    """The run's row beside its files (`python -m crossrec recover` rebuilds the store from it)."""
    artifacts.save_json(run_id, RUN_RECORD, store.get_run(run_id))


def load_checkpoint(path) -> dict:
    """A run's saved parameters (tensors only: weights_only=True refuses pickled code)."""
    return torch.load(path, map_location="cpu", weights_only=True)


def _failure_message(err: BaseException) -> str:
    if isinstance(err, torch.cuda.OutOfMemoryError):
        return "CUDA out of memory: try a smaller batch_size or dim"
    if isinstance(err, MemoryError):
        return "out of memory: try a smaller batch_size or dim"
    if isinstance(err, (TrainingDiverged, DataError, SettingError, ArtifactError)):
        return str(err)
    return f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else ''}"


def execute_run(store: RunStore, run_id: str):
    """Train a claimed (running) run to its end state. Returns the TrainResult or None.
    UMAP and t-SNE come later, from the worker's projection pool (`crossrec.runs.projections`)."""
    run = store.get_run(run_id)
    artifacts = ArtifactStore(store.home / "artifacts")
    try:
        with RunLogger(store, run_id) as logger:
            save_run_record(store, artifacts, run_id)  # an unwritable folder fails here, before training
            # the same checks as the CLI and the Train page: a stored run may predate them
            request = validate_request(all_cards(), run["pair"], run["method"], run["settings"],
                                       run["seed"], run["device"], run["eval"])
            pair = load_pair(request.pair)
            method = get_method(request.method)(request.settings)
            trainer = Trainer(method, pair, device=request.device, seed=request.seed,
                              eval_mode=request.eval_mode, callbacks=[logger])
            result = trainer.fit()
            save_checkpoint(artifacts, run_id, method.model_)
            save_per_user(artifacts, run_id, result.per_user)
            save_top_lists(artifacts, run_id, result.top_lists)
            analysis = _save_analysis(store, artifacts, run_id, pair, logger.embeddings, run["seed"])
    except RunCancelled as stop:
        store.finish(run_id, "pruned" if stop.pruned else "cancelled",
                     error="pruned by its sweep" if stop.pruned else "cancelled by the user")
        with contextlib.suppress(Exception):
            save_run_record(store, artifacts, run_id)
        return None
    except BaseException as err:  # noqa: BLE001 - every failure must end the run, with a reason
        store.finish(run_id, "failed", error=_failure_message(err))  # first: this cannot fail on disk
        with contextlib.suppress(Exception):
            artifacts.write_bytes(run_id, "error.log", traceback.format_exc().encode())
            save_run_record(store, artifacts, run_id)
        if isinstance(err, KeyboardInterrupt):
            raise
        return None
    summary = {"best_epoch": result.best_epoch, "train_seconds": result.train_seconds,
               "valid": result.valid, "valid_groups": result.valid_groups, "at_cap": result.at_cap, "threads": result.threads, "sizes": result.sizes, "notes": result.notes,
               "device": result.device, "pair_stats": pair.stats(), **analysis}
    store.finish(run_id, "done", metrics=result.metrics, summary=summary)
    with contextlib.suppress(ArtifactError):
        save_run_record(store, artifacts, run_id)
    return result
