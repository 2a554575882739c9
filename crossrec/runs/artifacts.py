"""ArtifactStore: the files of a run (embeddings, projections, checkpoint, logs).

A local folder per run now; object storage later would implement the same methods.
No torch here: the UI reads artifacts too.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from crossrec.errors import ArtifactError

RUN_RECORD = "run.json"  # the run's row, kept beside its files so the store can be rebuilt
PER_USER = "per_user.parquet"  # every test user's metrics (paired comparisons between runs)
TOP_LISTS = "top_lists.parquet"  # each test user's top-K target items (user, group, position, item)
HELDOUT_RANKS = "heldout_ranks.parquet"  # rank of each held-out test item (user, group, item, rank)
TEST_POINTS = "test_points_pca.parquet"  # every test user on the PCA axes of each stage's plot
CHECKPOINT = "checkpoint.pt"  # the fitted parameters (torch's format, written by the training process)
ERROR_LOG = "error.log"  # the traceback of a failed run


SWEEPS = "sweeps"  # beside the run folders: one <sweep id>.json per sweep, for `recover`


class ArtifactStore:
    def __init__(self, root: str | Path):
        self.root = Path(root)

    def save_sweep_record(self, sweep: dict) -> None:
        """A sweep's row beside the runs (written atomically), so `recover` can restore it."""
        self.write_bytes(SWEEPS, f"{sweep['id']}.json", json.dumps(sweep).encode())

    def sweep_records(self) -> list[dict]:
        folder = self.root / SWEEPS
        records = []
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            try:
                record = json.loads(path.read_text())
            except (OSError, ValueError, RecursionError):
                continue
            if isinstance(record, dict) and record.get("id") == path.stem:
                records.append(record)
        return records

    def path(self, run_id: str, name: str) -> Path:
        folder = self.root / run_id
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ArtifactError(err.strerror or err, folder) from None
        return folder / name

    def run_ids(self) -> list[str]:
        """Run folders that hold a run record (`run.json`)."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.name != SWEEPS and (p / RUN_RECORD).is_file())

    def exists(self, run_id: str, name: str) -> bool:
        return (self.root / run_id / name).exists()

    def names(self, run_id: str) -> list[str]:
        folder = self.root / run_id
        return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []

    def write_bytes(self, run_id: str, name: str, data: bytes) -> Path:
        """Write atomically (temp file + rename) so readers never see half a file."""
        final = self.path(run_id, name)
        tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, final)
        except OSError as err:
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)  # never leave half a file behind
            raise ArtifactError(err.strerror or err, final) from None
        return final

    def read_bytes(self, run_id: str, name: str) -> bytes:
        return (self.root / run_id / name).read_bytes()

    def save_json(self, run_id: str, name: str, obj) -> Path:
        return self.write_bytes(run_id, name, json.dumps(obj, default=float).encode())

    def load_json(self, run_id: str, name: str):
        return json.loads(self.read_bytes(run_id, name))

    def save_arrays(self, run_id: str, name: str, **arrays) -> Path:
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        return self.write_bytes(run_id, name, buf.getvalue())

    def load_arrays(self, run_id: str, name: str) -> dict[str, np.ndarray]:
        with np.load(io.BytesIO(self.read_bytes(run_id, name)), allow_pickle=False) as data:
            return {k: data[k] for k in data.files}

    def per_user(self, run_id: str) -> pd.DataFrame | None:
        """A run's per-user test metrics, or None for a run saved before they were kept."""
        return self.load_frame(run_id, PER_USER) if self.exists(run_id, PER_USER) else None

    def save_frame(self, run_id: str, name: str, frame: pd.DataFrame) -> Path:
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        return self.write_bytes(run_id, name, buf.getvalue())

    def load_frame(self, run_id: str, name: str) -> pd.DataFrame:
        return pd.read_parquet(io.BytesIO(self.read_bytes(run_id, name)))

    # --- what a finished run writes (execute_run calls these in order) --------------------
    def save_run_record(self, run: dict) -> Path:
        """The run's row beside its files (`python -m crossrec recover` rebuilds the store from it)."""
        return self.save_json(run["id"], RUN_RECORD, run)

    def save_per_user(self, run_id: str, per_user: dict) -> Path:
        """Every test user's metrics (user, group, hr@K, ndcg@K, recall@K, mrr): what paired tests
        between runs compare, user by user. `per_user`: group -> {column: array-like}."""
        frames = [pd.DataFrame({name: np.asarray(values) for name, values in columns.items()}).assign(group=group)
                  for group, columns in per_user.items()]
        return self.save_frame(run_id, PER_USER, pd.concat(frames, ignore_index=True))

    def save_top_lists(self, run_id: str, lists: dict) -> None:
        """Each test user's top-K items and the ranks of their held-out items (the Explain page)."""
        self.save_frame(run_id, TOP_LISTS, pd.DataFrame(lists["top"]))
        self.save_frame(run_id, HELDOUT_RANKS, pd.DataFrame(lists["held"]))

    def save_embedding_views(self, run_id: str, views) -> None:
        """A run's `crossrec.analysis.points.EmbeddingViews`: per-stage vectors and points, the
        PCA projection and every test user on its axes."""
        for stage, (frame, x) in views.stages.items():
            self.save_arrays(run_id, f"vectors_{stage}.npz", x=x)
            self.save_frame(run_id, f"points_{stage}.parquet", frame)
        if views.pca:
            self.save_frame(run_id, "projection_pca.parquet", pd.concat(views.pca, ignore_index=True))
        if views.test_points:
            self.save_frame(run_id, TEST_POINTS, pd.concat(views.test_points, ignore_index=True))
