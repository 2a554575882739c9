"""Open the configured run store: SQLite under the home (the default) or, when CROSSREC_STORE is
a postgresql:// address, the shared PostgreSQL store. Every process opens its store here, so
neither store module needs to know the other."""

from __future__ import annotations

import os
from pathlib import Path

from crossrec.errors import StoreError, mask_secrets
from crossrec.runs.store import STORE_ENV, RunStore


STORE_FILE_ENV = "CROSSREC_STORE_FILE"  # a file holding the store address (a node's secret, mode 600)
SCHEMES = ("postgresql://", "postgres://")


def store_url() -> str | None:
    """The shared store's address: CROSSREC_STORE, or the file CROSSREC_STORE_FILE names."""
    url = os.environ.get(STORE_ENV, "").strip()
    if not url and os.environ.get(STORE_FILE_ENV):
        path = Path(os.environ[STORE_FILE_ENV])
        try:
            url = path.read_text().strip()
        except OSError as err:
            raise StoreError(f"{STORE_FILE_ENV}={path}: cannot read the store address ({err.strerror or err})") from None
    if url and not url.startswith(SCHEMES):
        raise StoreError(f"{STORE_ENV} must be a postgresql:// address, got {mask_secrets(url)}")
    return url or None


def open_store(home: str | Path | None = None, create: bool = False) -> RunStore:
    """The run store of `home` (default: CROSSREC_HOME), of the kind CROSSREC_STORE chooses.
    `create`: start a new SQLite file even where run folders show one was lost (recover)."""
    url = store_url()
    if url:
        from crossrec.runs.postgres_store import PostgresRunStore  # psycopg only where it is used
        return PostgresRunStore(home, url=url)
    return RunStore(home, create=create)
