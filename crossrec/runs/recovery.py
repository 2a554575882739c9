"""Rebuild the store from the run home's files after the store file was damaged, deleted or lost:
every run from its folder's `run.json`, every sweep from its `sweeps/<id>.json`. Metric rows
(the curves) live only in the store and are not rebuilt."""

from __future__ import annotations

import time
from pathlib import Path

from crossrec.errors import StoreError
from crossrec.runs.artifacts import RUN_RECORD, ArtifactStore
from crossrec.runs.open_store import open_store, store_url
from crossrec.runs.store import RunStore, default_home


def orphan_runs(store: RunStore) -> list[str]:
    """Run folders with a record whose run is not in the store."""
    known = {r["id"] for r in store.list_runs()}
    return [i for i in ArtifactStore(store.home / "artifacts").run_ids() if i not in known]


def recover_runs(home: str | Path | None = None) -> dict:
    """Open the store of `home` (moving a damaged file aside first, starting a new one where it
    is gone) and restore every run and sweep that has a record and no row. Returns
    {"restored": [...], "sweeps": [...], "moved_aside": path or None}."""
    home = Path(home).resolve() if home else default_home()
    moved = None
    try:
        store = open_store(home, create=True)
    except StoreError:
        if store_url() or not (home / "crossrec.sqlite").exists():
            raise  # a PostgreSQL server is not a file to move aside: its line says what is wrong
        moved = home / f"crossrec.sqlite.damaged-{time.strftime('%Y%m%d-%H%M%S')}"
        (home / "crossrec.sqlite").rename(moved)
        for suffix in ("-wal", "-shm"):
            (home / f"crossrec.sqlite{suffix}").unlink(missing_ok=True)
        store = open_store(home, create=True)
    artifacts = ArtifactStore(home / "artifacts")
    restored = []
    for run_id in orphan_runs(store):
        try:
            record = artifacts.load_json(run_id, RUN_RECORD)
        except (OSError, ValueError):
            continue  # an unreadable record: leave the folder as it is
        if isinstance(record, dict) and record.get("id") == run_id and store.restore_run(record):
            restored.append(run_id)
    known = {s["id"] for s in store.list_sweeps()}
    sweeps = [record["id"] for record in artifacts.sweep_records()
              if record["id"] not in known and store.restore_sweep(record)]
    return {"restored": restored, "sweeps": sweeps, "moved_aside": str(moved) if moved else None}
