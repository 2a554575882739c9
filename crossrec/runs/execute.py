"""A run's life in the process that trains it, top-down: read the request back from the store,
train with a heartbeat and a logger, write what it produced, end it with its result or reason.

Used by a local worker's child (`crossrec.runs.child`), by a Ray task (`crossrec.runs.ray_launcher`)
and by the foreground `python -m crossrec train`. UMAP and t-SNE come later, from the scheduler's
projections (`crossrec.runs.projections`).
"""

from __future__ import annotations

import contextlib
import traceback

import torch

from crossrec.analysis.points import embedding_views
from crossrec.data.catalog import load_pair
from crossrec.errors import ArtifactError, DataError, SettingError
from crossrec.methods.catalog import all_cards
from crossrec.methods.registry import get_method
from crossrec.runs.artifacts import CHECKPOINT, ERROR_LOG, ArtifactStore
from crossrec.runs.heartbeat import RunHeartbeat
from crossrec.runs.request import RunRequest, validate_request
from crossrec.runs.run_logger import RunCancelled, RunLogger
from crossrec.runs.store import RunStore
from crossrec.train.checkpoint import checkpoint_bytes
from crossrec.train.trainer import Trainer, TrainingDiverged


def stored_request(run: dict) -> RunRequest:
    """The run's request as read back from the store, checked again (a stored run may predate
    today's checks)."""
    return validate_request(all_cards(), run["pair"], run["method"], run["settings"], run["seed"],
                            run["device"], run["eval"], run.get("owner") or None)


def failure_message(err: BaseException) -> str:
    if isinstance(err, torch.cuda.OutOfMemoryError):
        return "CUDA out of memory: try a smaller batch_size or dim"
    if isinstance(err, MemoryError):
        return "out of memory: try a smaller batch_size or dim"
    if isinstance(err, (TrainingDiverged, DataError, SettingError, ArtifactError)):
        return str(err)
    return f"{type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else ''}"


def execute_run(store: RunStore, run_id: str, heartbeat: RunHeartbeat | None = None):
    """Train a claimed (running) run to its end state; returns the TrainResult, or None when the
    run failed or was cancelled. `heartbeat`: one already beating (started before torch loaded)."""
    artifacts = ArtifactStore(store.home / "artifacts")
    heartbeat = heartbeat or RunHeartbeat(store, run_id)
    logger = None
    try:
        with heartbeat.start():
            artifacts.save_run_record(store.get_run(run_id))  # an unwritable folder fails here, before training
            run = store.get_run(run_id)
            request = stored_request(run)
            pair = load_pair(request.pair)
            method = get_method(request.method)(request.settings)
            logger = RunLogger(heartbeat)
            result = Trainer(method, pair, device=request.device, seed=request.seed,
                             eval_mode=request.eval_mode, callbacks=[logger]).fit()
            logger.flush()  # the last batch, and rows a store outage held back
            artifacts.write_bytes(run_id, CHECKPOINT, checkpoint_bytes(method.model_))
            artifacts.save_per_user(run_id, {group: {name: values.cpu().numpy() for name, values in columns.items()}
                                             for group, columns in result.per_user.items()})
            artifacts.save_top_lists(run_id, result.top_lists)
            views = embedding_views(pair, logger.embeddings, request.seed)
            artifacts.save_embedding_views(run_id, views)
    except RunCancelled as stop:
        logger.send_kept()  # the curve up to the stop
        store.finish(run_id, "pruned" if stop.pruned else "cancelled",
                     error="pruned by its sweep" if stop.pruned else "cancelled by the user")
        with contextlib.suppress(Exception):
            artifacts.save_run_record(store.get_run(run_id))
        return None
    except BaseException as err:  # noqa: BLE001 - every failure must end the run, with a reason
        if logger is not None:
            with contextlib.suppress(Exception):
                logger.send_kept()  # the curve up to the failure (a diverged loss is worth seeing)
        store.finish(run_id, "failed", error=failure_message(err))  # first: this cannot fail on disk
        with contextlib.suppress(Exception):
            artifacts.write_bytes(run_id, ERROR_LOG, traceback.format_exc().encode())
            artifacts.save_run_record(store.get_run(run_id))
        if isinstance(err, KeyboardInterrupt):
            raise
        return None
    summary = {"best_epoch": result.best_epoch, "train_seconds": result.train_seconds,
               "valid": result.valid, "valid_groups": result.valid_groups, "at_cap": result.at_cap,
               "threads": result.threads, "sizes": result.sizes, "notes": result.notes,
               "device": result.device, "pair_stats": pair.stats(), **views.summary()}
    store.finish(run_id, "done", metrics=result.metrics, summary=summary)
    with contextlib.suppress(ArtifactError):
        artifacts.save_run_record(store.get_run(run_id))
    return result
