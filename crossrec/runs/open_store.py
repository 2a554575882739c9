"""Open the configured run store: SQLite under the home (the default) or, when CROSSREC_STORE is
a postgresql:// address, the shared PostgreSQL store. Every process opens its store here, so
neither store module needs to know the other."""

from __future__ import annotations

import os
from pathlib import Path

from crossrec.runs.store import STORE_ENV, RunStore


def open_store(home: str | Path | None = None) -> RunStore:
    """The run store of `home` (default: CROSSREC_HOME), of the kind CROSSREC_STORE chooses."""
    if os.environ.get(STORE_ENV):
        from crossrec.runs.postgres_store import PostgresRunStore  # psycopg only where it is used
        return PostgresRunStore(home)
    return RunStore(home)
