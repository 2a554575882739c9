"""PostgresRunStore: the run store on a PostgreSQL server (psycopg 3), for runs shared by hosts.

Chosen by CROSSREC_STORE=postgresql://user@host:port/db; `open_store(home)` opens it. It runs the
SQLite store's queries and migrations, translated: `?` placeholders become `%s`, REAL becomes
DOUBLE PRECISION (time stamps need it), INTEGER becomes BIGINT (seeds reach 2^32 - 1), the metric
id a BIGSERIAL. A claim takes its row with FOR UPDATE SKIP LOCKED, so claimers on many hosts
each get a different run; read-modify-write updates lock their row. The schema version lives in
a one-row table; migrations run under an advisory lock. Artifacts stay files under the home
(CROSSREC_HOME on a filesystem every node mounts).
"""

from __future__ import annotations

import os
import socket
from contextlib import contextmanager
from pathlib import Path

import psycopg

from crossrec.errors import StoreError, mask_secrets
from crossrec.runs.store import MIGRATIONS, STORE_ENV, RunStore, Transient, open_home, retried, retry_seconds

MIGRATION_LOCK = 0x63726F73  # pg_advisory_xact_lock key: one migrating process at a time


def _postgres_sql(sql: str) -> str:
    return sql.replace("?", "%s")


def _postgres_schema(script: str) -> str:
    return (script.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY")
            .replace(" REAL", " DOUBLE PRECISION").replace("INTEGER", "BIGINT"))


class _Row(dict):
    """A row readable by column name and by position, as sqlite3.Row is."""

    def __getitem__(self, key):
        return list(self.values())[key] if isinstance(key, int) else super().__getitem__(key)


def _rows(cursor):
    names = [c.name for c in cursor.description or []]
    return lambda values: _Row(zip(names, values))


class _Connection:
    """The few calls the shared queries make, with SQLite's placeholders."""

    def __init__(self, con: psycopg.Connection):
        self.con = con

    def execute(self, sql: str, args=()):
        return self.con.execute(_postgres_sql(sql), tuple(args))

    def executemany(self, sql: str, rows):
        cursor = self.con.cursor()
        cursor.executemany(_postgres_sql(sql), rows)
        return cursor


class PostgresRunStore(RunStore):
    ROW_LOCK = " FOR UPDATE"
    CLAIM_LOCK = " FOR UPDATE OF q SKIP LOCKED"
    INSERT_IGNORE = "INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING"

    def __init__(self, home: str | Path | None = None, url: str | None = None, create: bool = False):
        self.home = open_home(home)  # artifacts, locks and logs stay files
        self.url = url or os.environ[STORE_ENV]
        self.path = None
        self.host = socket.gethostname()
        self.retry_seconds = retry_seconds()
        self._migrate()

    def _reason(self, err: Exception) -> str:
        first = str(err).strip().splitlines()[0] if str(err).strip() else err.__class__.__name__
        return mask_secrets(f"the PostgreSQL run store {self.url} ({STORE_ENV}) cannot be used: {first}")

    @contextmanager
    def _connect(self, immediate: bool = False):
        try:
            with psycopg.connect(self.url, row_factory=_rows, connect_timeout=10) as con:
                yield _Connection(con)  # committed when the block ends, rolled back on an error
        except psycopg.OperationalError as err:  # refused, reset, shutting down: may come back
            raise Transient(self._reason(err)) from None
        except psycopg.Error as err:
            raise StoreError(self._reason(err)) from None

    @retried
    def _migrate(self) -> None:
        with self._connect() as con:
            con.execute(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
            con.execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
            row = con.execute("SELECT version FROM schema_version").fetchone()
            if row is None:
                con.execute("INSERT INTO schema_version (version) VALUES (0)")
            version = row[0] if row else 0
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, _postgres_schema(script).split(";")):
                    con.execute(statement)
                con.execute("UPDATE schema_version SET version=?", (number,))

    @retried
    def _schema_version(self) -> int:
        with self._connect() as con:
            return con.execute("SELECT version FROM schema_version").fetchone()[0]

    @retried
    def integrity_ok(self) -> bool:
        with self._connect() as con:
            return con.execute("SELECT 1").fetchone()[0] == 1
