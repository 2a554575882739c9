"""Rebuild run records from the run folders (each holds its `run.json`), e.g. after the store
file was damaged or lost. Metric rows (the curves) live only in the store and are not rebuilt."""

from __future__ import annotations

import os
import time
from pathlib import Path

from crossrec.errors import StoreError
from crossrec.runs.artifacts import RUN_RECORD, ArtifactStore
from crossrec.runs.open_store import open_store
from crossrec.runs.store import STORE_ENV, RunStore, default_home


def orphan_runs(store: RunStore) -> list[str]:
    """Run folders with a record whose run is not in the store."""
    known = {r["id"] for r in store.list_runs()}
    return [i for i in ArtifactStore(store.home / "artifacts").run_ids() if i not in known]


def recover_runs(home: str | Path | None = None) -> dict:
    """Open the store of `home` (moving a damaged file aside first) and restore every run that
    has a folder and no row. Returns {"restored": [...], "moved_aside": path or None}."""
    home = Path(home).resolve() if home else default_home()
    moved = None
    try:
        store = open_store(home)
    except StoreError:
        if os.environ.get(STORE_ENV):
            raise  # a PostgreSQL server is not a file to move aside: its line says what is wrong
        moved = home / f"crossrec.sqlite.damaged-{time.strftime('%Y%m%d-%H%M%S')}"
        (home / "crossrec.sqlite").rename(moved)
        for suffix in ("-wal", "-shm"):
            (home / f"crossrec.sqlite{suffix}").unlink(missing_ok=True)
        store = open_store(home)
    artifacts = ArtifactStore(home / "artifacts")
    restored = []
    for run_id in orphan_runs(store):
        try:
            record = artifacts.load_json(run_id, RUN_RECORD)
        except (OSError, ValueError):
            continue  # an unreadable record: leave the folder as it is
        if isinstance(record, dict) and record.get("id") == run_id and store.restore_run(record):
            restored.append(run_id)
    return {"restored": restored, "moved_aside": str(moved) if moved else None}
