"""RunStore: every read and write of runs, metric rows and workers.

`RunStore(home)` is the SQLite store in WAL mode under the home; the PostgreSQL store
(crossrec/runs/postgres_store.py) subclasses it and shares its queries and migrations.
`crossrec.runs.open_store.open_store` opens whichever CROSSREC_STORE chooses. One connection per call keeps it safe across
Streamlit's script threads and worker processes; WAL lets one writer and many readers work at
once, and the busy timeout absorbs the rest.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import secrets
import socket
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from crossrec.data.numbers import strict_int
from crossrec.errors import SettingError, StoreError, StoreUnavailable

CANCEL, PRUNE = 1, 2  # values of runs.cancel_requested
ACTIVE = ("queued", "running")
BUSY_TIMEOUT_MS = 2_000  # one attempt waits this long on a lock; `retried` goes on for the window
RETRY_ENV = "CROSSREC_STORE_RETRY_S"


def retry_seconds() -> float:
    """How long a store operation keeps trying through a lock or an outage (default 120 s)."""
    text = os.environ.get(RETRY_ENV, "120")
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise StoreError(f"{RETRY_ENV}={text!r} is not a number of seconds (0 or more)")
    return value


class Transient(Exception):
    """One attempt met a locked or unreachable store; `retried` tries again."""


_nesting = threading.local()


def retried(method):
    """Run a store operation again, with backoff, while the store is locked or unreachable, for
    the store's retry window; then one line (StoreUnavailable). Only the outermost store call
    of a thread retries, so a call made inside another is not retried twice."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if getattr(_nesting, "depth", 0):
            return method(self, *args, **kwargs)
        _nesting.depth = 1
        started, pause = time.monotonic(), 0.05
        try:
            while True:
                try:
                    return method(self, *args, **kwargs)
                except Transient as err:
                    waited = time.monotonic() - started
                    if waited >= self.retry_seconds:
                        raise StoreUnavailable(f"{err} (waited {waited:.0f} s; {RETRY_ENV} sets how long)") from None
                time.sleep(min(pause, max(0.0, self.retry_seconds - waited)))
                pause = min(2.0, pause * 2)
        finally:
            _nesting.depth = 0
    return wrapper


def heartbeat_limit() -> float:
    """Seconds without a heartbeat after which a run owned on *another* host is judged lost
    (on this host the owner's pid decides). CROSSREC_HEARTBEAT_LIMIT overrides it."""
    return float(os.environ.get("CROSSREC_HEARTBEAT_LIMIT", "120"))

# Each entry upgrades the schema by one version; never edit an entry once released.
MIGRATIONS = [
    """
    CREATE TABLE runs (
        id TEXT PRIMARY KEY, name TEXT, pair TEXT NOT NULL, pair_name TEXT, method TEXT NOT NULL,
        settings TEXT NOT NULL, seed INTEGER NOT NULL, device TEXT NOT NULL, eval TEXT NOT NULL,
        status TEXT NOT NULL, created REAL NOT NULL, started REAL, finished REAL, heartbeat REAL,
        progress REAL DEFAULT 0, error TEXT, worker_pid INTEGER, worker_host TEXT,
        cancel_requested INTEGER DEFAULT 0, metrics TEXT, summary TEXT);
    CREATE INDEX runs_status ON runs(status, created);
    CREATE TABLE metrics (
        id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL, phase TEXT, epoch INTEGER,
        step INTEGER, name TEXT NOT NULL, value REAL, time REAL);
    CREATE INDEX metrics_run ON metrics(run_id, id);
    CREATE TABLE workers (
        pid INTEGER NOT NULL, host TEXT NOT NULL, started REAL, heartbeat REAL, info TEXT,
        PRIMARY KEY (host, pid));
    """,
    """
    ALTER TABLE runs ADD COLUMN sweep_id TEXT;
    ALTER TABLE runs ADD COLUMN trial INTEGER;
    CREATE INDEX runs_sweep ON runs(sweep_id);
    CREATE TABLE sweeps (
        id TEXT PRIMARY KEY, pair TEXT NOT NULL, method TEXT NOT NULL, space TEXT NOT NULL,
        trials INTEGER NOT NULL, sampler TEXT NOT NULL, prune INTEGER NOT NULL,
        sampler_seed INTEGER NOT NULL, seed INTEGER NOT NULL, device TEXT NOT NULL,
        status TEXT NOT NULL, created REAL NOT NULL, finished REAL, best_run TEXT, error TEXT);
    """,
    """
    ALTER TABLE runs ADD COLUMN executor TEXT DEFAULT 'local';
    """,
    """
    ALTER TABLE runs ADD COLUMN owner TEXT DEFAULT '';
    ALTER TABLE runs ADD COLUMN tags TEXT DEFAULT '[]';
    ALTER TABLE runs ADD COLUMN note TEXT DEFAULT '';
    ALTER TABLE runs ADD COLUMN starred INTEGER DEFAULT 0;
    ALTER TABLE sweeps ADD COLUMN owner TEXT DEFAULT '';
    CREATE INDEX runs_owner ON runs(owner, status);
    """,
]
_JSON_COLUMNS = ("pair", "settings", "metrics", "summary", "tags")
RUN_COLUMNS = ("id", "name", "pair", "pair_name", "method", "settings", "seed", "device", "eval",
               "status", "created", "started", "finished", "heartbeat", "progress", "error",
               "worker_pid", "worker_host", "cancel_requested", "metrics", "summary", "sweep_id", "trial",
               "executor", "owner", "tags", "note", "starred")
CAP_ENV = "CROSSREC_MAX_RUNS_PER_OWNER"


def owner_cap() -> int:
    """Queued plus running runs one owner may hold (a sweep counts as one), default 10."""
    text = os.environ.get(CAP_ENV, "10")
    try:
        value = strict_int(text, CAP_ENV)  # ASCII digits: str.isdigit() passes '²', which int() refuses
    except SettingError:
        value = 0
    if value < 1:
        raise StoreError(f"{CAP_ENV}={text!r} is not a whole number of runs (1 or more)")
    return value


class OwnerCapError(StoreError):
    """An owner asked for more queued and running runs than the cap allows; nothing was stored."""
SWEEP_JSON = ("pair", "space")
SWEEP_COLUMNS = ("id", "pair", "method", "space", "trials", "sampler", "prune", "sampler_seed", "seed",
                 "device", "status", "created", "finished", "best_run", "error", "owner")


def default_home() -> Path:
    return Path(os.environ.get("CROSSREC_HOME", "runs")).resolve()


def open_home(home: str | Path | None) -> Path:
    """The run home as a folder that exists, or one line saying why it cannot be."""
    path = Path(home).resolve() if home else default_home()
    if path.exists() and not path.is_dir():
        raise StoreError(f"the run home {path} (CROSSREC_HOME) is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StoreError(f"cannot create the run home {path} (CROSSREC_HOME): {err.strerror or err}") from None
    return path


def new_run_id() -> str:
    # 32 random bits: a sweep creates many runs within one second, and ids must never collide
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(4)


def new_sweep_id() -> str:
    return "sweep-" + new_run_id()


def pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child is dead for our purposes
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


STORE_ENV = "CROSSREC_STORE"  # postgresql://user@host:port/db: the shared store; unset: SQLite


# The fair queue: owners take turns. The owner whose last run started longest ago (or who has
# had none) goes next, then the owner whose oldest queued run is oldest; within an owner, first
# come first served. Stateless: the order follows from the runs table alone.
FAIR_ORDER = (" ORDER BY COALESCE(s.last, -1) ASC, (SELECT MIN(o.created) FROM runs o WHERE o.owner = q.owner "
              "AND o.status='queued') ASC, q.created ASC")


class RunStore:
    """The SQLite store, and the queries every store shares (written with ? placeholders)."""

    ROW_LOCK = ""  # appended to a SELECT whose row the transaction then updates
    CLAIM_LOCK = ""  # the same for claiming: concurrent claimers must take different rows
    INSERT_IGNORE = "INSERT OR IGNORE INTO {table} ({columns}) VALUES ({marks})"

    def __init__(self, home: str | Path | None = None, create: bool = False):
        """`create`: make a new store file even where run folders show one was lost (recover)."""
        self.home = open_home(home)
        self.path = self.home / "crossrec.sqlite"
        self.host = socket.gethostname()
        self.retry_seconds = retry_seconds()
        if not self.path.exists() and not create and any(self.home.glob("artifacts/*/run.json")):
            raise self._gone()
        self._migrate()

    def quick(self) -> "RunStore":
        """The same store, one attempt per call: for a training process that must not wait on
        the store (it keeps what it could not write and tries again later)."""
        other = copy.copy(self)
        other.retry_seconds = 0.0
        return other

    def _damaged(self, err) -> StoreError:
        return StoreError(f"{self.path}: the run store is damaged ({err}); move that file aside and "
                          f"run `python -m crossrec recover` to rebuild the runs from {self.home / 'artifacts'}")

    def _gone(self) -> StoreError:
        return StoreError(f"{self.path}: the run store is gone (deleted?) while run folders remain; "
                          f"`python -m crossrec recover` rebuilds it from {self.home / 'artifacts'}")

    def _operational(self, err: sqlite3.OperationalError) -> Exception:
        text = str(err).lower()
        if "locked" in text or "busy" in text:
            return Transient(f"{self.path}: the run store is locked by another process")
        if "readonly" in text or "read-only" in text:
            return StoreError(f"{self.path}: the run store is read-only (check the file's and its "
                              f"folder's permissions)")
        if "unable to open" in text or "disk i/o" in text:
            return StoreError(f"{self.path}: cannot open the run store ({err})")
        if "no such table" in text:
            return self._damaged(err)
        return StoreError(f"{self.path}: the run store failed ({err})")

    @contextmanager
    def _connect(self, immediate: bool = False):
        if not self.path.exists():  # never silently start an empty store in place of a lost one
            raise self._gone()
        try:
            with self._transaction(immediate) as con:
                yield con
        except sqlite3.OperationalError as err:
            raise self._operational(err) from None
        except sqlite3.DatabaseError as err:
            raise self._damaged(err) from None

    @contextmanager
    def _transaction(self, immediate: bool):
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            con.row_factory = sqlite3.Row
            con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            con.execute("PRAGMA synchronous=NORMAL")
            con.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        finally:
            con.close()

    @retried
    def _migrate(self) -> None:
        try:
            self._apply_migrations()
        except sqlite3.OperationalError as err:
            raise self._operational(err) from None
        except sqlite3.DatabaseError as err:
            raise self._damaged(err) from None

    def _apply_migrations(self) -> None:
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            con.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("BEGIN IMMEDIATE")
            version = con.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, script.split(";")):
                    con.execute(statement)
                con.execute(f"PRAGMA user_version={number}")
            con.execute("COMMIT")
        finally:
            con.close()

    @property
    def schema_version(self) -> int:
        return self._schema_version()

    @retried
    def _schema_version(self) -> int:
        with self._connect() as con:
            return con.execute("PRAGMA user_version").fetchone()[0]

    @staticmethod
    def _row(row) -> dict | None:
        if row is None:
            return None
        out = dict(row)
        for key in _JSON_COLUMNS:
            if out.get(key) is not None:
                out[key] = json.loads(out[key])
        return out

    # --- runs ----------------------------------------------------------------------------
    def _check_cap(self, con, owner: str, cap: int | None, adding: int = 1) -> None:
        """Refuse (inside the inserting transaction) when `owner` would hold more than `cap`
        queued and running runs; a running sweep counts as one run, its trials as none."""
        if cap is None:
            return
        runs = con.execute("SELECT COUNT(*) FROM runs WHERE owner=? AND status IN ('queued','running') "
                           "AND sweep_id IS NULL", (owner,)).fetchone()[0]
        sweeps = con.execute("SELECT COUNT(*) FROM sweeps WHERE owner=? AND status='running'", (owner,)).fetchone()[0]
        if runs + sweeps + adding > cap:
            raise OwnerCapError(f"{owner or 'this user'} already has {runs + sweeps} run(s) and sweep(s) queued "
                                f"or running, and the limit is {cap} ({CAP_ENV}); wait for some to end")

    @retried
    def check_cap(self, owner: str, cap: int | None) -> None:
        """Refuse now what `create_run`/`create_sweep` would refuse (before other files are written)."""
        with self._connect() as con:
            self._check_cap(con, owner, cap)

    @retried
    def create_run(self, pair: dict, method: str, settings: dict, seed: int = 0,
                   device: str = "auto", eval_mode: str = "full", name: str | None = None,
                   pair_name: str | None = None, status: str = "queued", sweep_id: str | None = None,
                   trial: int | None = None, executor: str = "local", owner: str = "",
                   cap: int | None = None) -> str:
        """A new run; `executor` says who runs it: 'local' runs are claimed by local workers only.
        `cap`: refuse (storing nothing) when its owner already holds that many active runs."""
        run_id = new_run_id()
        with self._connect(immediate=True) as con:
            self._check_cap(con, owner, cap)
            con.execute(
                "INSERT INTO runs (id, name, pair, pair_name, method, settings, seed, device, eval,"
                " status, created, sweep_id, trial, executor, owner) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (run_id, name or f"{method} s{seed}", json.dumps(pair), pair_name or pair_label(pair),
                 method, json.dumps(settings), seed, device, eval_mode, status, time.time(), sweep_id, trial,
                 executor, owner))
        return run_id

    @retried
    def annotate(self, run_id: str, tags: list[str] | None = None, note: str | None = None,
                 starred: bool | None = None) -> None:
        """A run's tags, note and star (what people keep about a run; never part of its identity)."""
        with self._connect(immediate=True) as con:
            if tags is not None:
                con.execute("UPDATE runs SET tags=? WHERE id=?", (json.dumps(sorted(set(tags))), run_id))
            if note is not None:
                con.execute("UPDATE runs SET note=? WHERE id=?", (note, run_id))
            if starred is not None:
                con.execute("UPDATE runs SET starred=? WHERE id=?", (int(starred), run_id))

    # --- sweeps --------------------------------------------------------------------------
    @retried
    def create_sweep(self, pair: dict, method: str, space: dict, trials: int, sampler: str,
                     prune: bool, sampler_seed: int, seed: int, device: str = "auto",
                     sweep_id: str | None = None, owner: str = "", cap: int | None = None) -> str:
        sweep_id = sweep_id or new_sweep_id()
        with self._connect(immediate=True) as con:
            self._check_cap(con, owner, cap)
            con.execute("INSERT INTO sweeps (id, pair, method, space, trials, sampler, prune, sampler_seed,"
                        " seed, device, status, created, owner) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        (sweep_id, json.dumps(pair), method, json.dumps(space), trials, sampler, int(prune),
                         sampler_seed, seed, device, "running", time.time(), owner))
        return sweep_id

    @retried
    def get_sweep(self, sweep_id: str) -> dict | None:
        with self._connect() as con:
            row = con.execute("SELECT * FROM sweeps WHERE id=?", (sweep_id,)).fetchone()
        if row is None:
            return None
        out = dict(row)
        for key in SWEEP_JSON:
            out[key] = json.loads(out[key])
        return out

    @retried
    def list_sweeps(self, statuses=None) -> list[dict]:
        sql, args = "SELECT id FROM sweeps", []
        if statuses:
            sql += f" WHERE status IN ({','.join('?' * len(statuses))})"
            args += list(statuses)
        with self._connect() as con:
            ids = [r[0] for r in con.execute(sql + " ORDER BY created DESC", args).fetchall()]
        return [self.get_sweep(i) for i in ids]

    @retried
    def finish_sweep(self, sweep_id: str, status: str, best_run: str | None = None,
                     error: str | None = None) -> None:
        with self._connect(immediate=True) as con:
            con.execute("UPDATE sweeps SET status=?, best_run=?, error=?, finished=? WHERE id=? "
                        "AND status='running'", (status, best_run, error, time.time(), sweep_id))

    @retried
    def sweep_runs(self, sweep_id: str) -> list[dict]:
        with self._connect() as con:
            return [self._row(r) for r in con.execute(
                "SELECT * FROM runs WHERE sweep_id=? ORDER BY trial", (sweep_id,)).fetchall()]

    @retried
    def owner_last_started(self) -> dict[str, float]:
        """Each owner's latest run start (what the fair queue orders owners by)."""
        with self._connect() as con:
            return {r[0] or "": r[1] for r in con.execute(
                "SELECT owner, MAX(started) FROM runs WHERE started IS NOT NULL GROUP BY owner").fetchall()}

    @retried
    def get_run(self, run_id: str) -> dict | None:
        with self._connect() as con:
            return self._row(con.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone())

    @retried
    def get_runs(self, run_ids) -> dict[str, dict]:
        """Several runs in one read (a live page's tick), by id; ids not stored are left out."""
        ids = list(dict.fromkeys(run_ids))
        if not ids:
            return {}
        with self._connect() as con:
            rows = con.execute(f"SELECT * FROM runs WHERE id IN ({','.join('?' * len(ids))})", ids).fetchall()
        return {run["id"]: run for run in map(self._row, rows)}

    @retried
    def list_runs(self, statuses=None, limit: int | None = None) -> list[dict]:
        sql, args = "SELECT * FROM runs", []
        if statuses:
            sql += f" WHERE status IN ({','.join('?' * len(statuses))})"
            args += list(statuses)
        sql += " ORDER BY created DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self._connect() as con:
            return [self._row(r) for r in con.execute(sql, args).fetchall()]

    @retried
    def claim_next(self, worker_pid: int, executor: str = "local", sweep_id: str | None = None,
                   run_id: str | None = None) -> dict | None:
        """Atomically move the next queued run of `executor` (of `sweep_id`, or `run_id` itself,
        when given) to running, owned by `worker_pid` on this host, and return it (None when
        there is none). The next run is the fair queue's (FAIR_ORDER)."""
        sql = ("SELECT q.id AS id FROM runs q LEFT JOIN (SELECT owner, MAX(started) AS last FROM runs "
               "WHERE started IS NOT NULL GROUP BY owner) s ON s.owner = q.owner "
               "WHERE q.status='queued' AND q.cancel_requested=0 AND COALESCE(q.executor, 'local')=?")
        args: list = [executor]
        for column, value in (("sweep_id", sweep_id), ("id", run_id)):
            if value is not None:
                sql += f" AND q.{column}=?"
                args.append(value)
        with self._connect(immediate=True) as con:
            row = con.execute(sql + FAIR_ORDER + " LIMIT 1" + self.CLAIM_LOCK, args).fetchone()
            if row is None:
                return None
            now = time.time()
            con.execute("UPDATE runs SET status='running', started=?, heartbeat=?, worker_pid=?, "
                        "worker_host=? WHERE id=?", (now, now, worker_pid, self.host, row["id"]))
        return self.get_run(row["id"])

    @retried
    def adopt_run(self, run_id: str, pid: int) -> bool:
        """The process that trains a claimed run (a cluster task) becomes its owner; False when
        the run is no longer running (cancelled or failed before the process started)."""
        now = time.time()
        with self._connect(immediate=True) as con:
            cur = con.execute("UPDATE runs SET heartbeat=?, worker_pid=?, worker_host=? "
                              "WHERE id=? AND status='running'", (now, pid, self.host, run_id))
            return cur.rowcount == 1

    @retried
    def start_run(self, run_id: str, worker_pid: int) -> None:
        """Mark a run running in this process (foreground `train`)."""
        now = time.time()
        with self._connect(immediate=True) as con:
            con.execute("UPDATE runs SET status='running', started=?, heartbeat=?, worker_pid=?, "
                        "worker_host=? WHERE id=?", (now, now, worker_pid, self.host, run_id))

    @retried
    def heartbeat(self, run_id: str, progress: float | None = None) -> bool:
        """Record liveness (and progress); returns whether a cancel was requested."""
        with self._connect(immediate=True) as con:
            if progress is None:
                con.execute("UPDATE runs SET heartbeat=? WHERE id=?", (time.time(), run_id))
            else:
                con.execute("UPDATE runs SET heartbeat=?, progress=? WHERE id=?",
                            (time.time(), progress, run_id))
            row = con.execute("SELECT cancel_requested FROM runs WHERE id=?", (run_id,)).fetchone()
        return int(row[0]) if row and row[0] else 0

    @retried
    def finish(self, run_id: str, status: str, error: str | None = None,
               metrics: dict | None = None, summary: dict | None = None) -> None:
        """End a run (done/failed/cancelled); only an active run can end, and only once."""
        assert status in ("done", "failed", "cancelled", "pruned")
        with self._connect(immediate=True) as con:
            con.execute(
                "UPDATE runs SET status=?, error=?, finished=?, metrics=COALESCE(?, metrics), "
                "summary=COALESCE(?, summary), progress=CASE WHEN ?='done' THEN 1 ELSE progress END "
                "WHERE id=? AND status IN ('queued','running')",
                (status, error, time.time(), json.dumps(metrics) if metrics is not None else None,
                 json.dumps(summary) if summary is not None else None, status, run_id))

    @retried
    def update_summary(self, run_id: str, **fields) -> None:
        """Merge keys into a run's summary (e.g. projections computed after training)."""
        with self._connect(immediate=True) as con:
            row = con.execute("SELECT summary FROM runs WHERE id=?" + self.ROW_LOCK, (run_id,)).fetchone()
            summary = json.loads(row[0]) if row and row[0] else {}
            summary.update(fields)
            con.execute("UPDATE runs SET summary=? WHERE id=?", (json.dumps(summary), run_id))

    @retried
    def request_prune(self, run_id: str) -> None:
        """Ask a running trial to stop as pruned (its curve is kept); a queued one ends at once."""
        with self._connect(immediate=True) as con:
            con.execute("UPDATE runs SET status='pruned', finished=? WHERE id=? AND status='queued'",
                        (time.time(), run_id))
            con.execute(f"UPDATE runs SET cancel_requested={PRUNE} WHERE id=? AND status='running'", (run_id,))

    @retried
    def request_cancel(self, run_id: str) -> str | None:
        """Ask a run to stop; a queued run is cancelled at once. Returns its status, None if unknown."""
        with self._connect(immediate=True) as con:
            row = con.execute("SELECT status FROM runs WHERE id=?" + self.ROW_LOCK, (run_id,)).fetchone()
            if row is None:
                return None
            if row["status"] == "queued":
                con.execute("UPDATE runs SET status='cancelled', finished=?, cancel_requested=1 "
                            "WHERE id=?", (time.time(), run_id))
                return "cancelled"
            if row["status"] == "running":
                con.execute("UPDATE runs SET cancel_requested=1 WHERE id=?", (run_id,))
            return row["status"]

    @retried
    def beat_owned_runs(self, worker_pid: int) -> None:
        """The worker's heartbeat for the runs it owns, from the claim on (its children beat
        too once they have started; a slow start must not look like a lost run elsewhere)."""
        with self._connect(immediate=True) as con:
            con.execute("UPDATE runs SET heartbeat=? WHERE status='running' AND worker_pid=? "
                        "AND worker_host=?", (time.time(), worker_pid, self.host))

    @retried
    def fail_dead_runs(self, stale_seconds: float | None = None) -> list[str]:
        """Fail running runs whose owner is really gone: on this host, its pid is dead (however
        old the heartbeat: a busy machine delays beats, it does not kill runs); on another
        host, whose heartbeat is older than `stale_seconds` (default `heartbeat_limit()`)."""
        stale_seconds = heartbeat_limit() if stale_seconds is None else stale_seconds
        now = time.time()
        failed = []
        with self._connect(immediate=True) as con:
            for row in con.execute("SELECT id, worker_pid, worker_host, heartbeat FROM runs "
                                   "WHERE status='running'").fetchall():
                if row["worker_host"] == self.host:
                    if pid_alive(row["worker_pid"]):
                        continue
                    reason = f"the worker process (pid {row['worker_pid']}) died during the run"
                elif now - (row["heartbeat"] or 0) > stale_seconds:
                    reason = (f"no heartbeat for {now - (row['heartbeat'] or 0):.0f} s from host "
                              f"{row['worker_host']} (worker lost)")
                else:
                    continue
                con.execute("UPDATE runs SET status='failed', error=?, finished=? WHERE id=? "
                            "AND status='running'", (reason, now, row["id"]))
                failed.append(row["id"])
        return failed

    @retried
    def restore_run(self, record: dict) -> bool:
        """Insert a run row saved beside its files (`run.json`) unless the run exists; a run that
        was not finished is failed with the reason. Its metric rows are not in the record."""
        row = dict(record)
        if row["status"] in ACTIVE:
            row.update(status="failed", finished=row.get("finished") or time.time(),
                       error="recovered from its folder: the run had not finished when the store was lost")
        for key in _JSON_COLUMNS:
            row[key] = json.dumps(row[key]) if row.get(key) is not None else None
        return self._insert_missing("runs", RUN_COLUMNS, row)

    def _insert_missing(self, table: str, known: tuple, row: dict) -> bool:
        """Insert a restored row unless its id is taken; whether it was inserted."""
        columns = [c for c in known if c in row]
        with self._connect(immediate=True) as con:
            cur = con.execute(self.INSERT_IGNORE.format(table=table, columns=", ".join(columns),
                                                        marks=", ".join("?" * len(columns))),
                              [row[c] for c in columns])
            return cur.rowcount == 1

    @retried
    def restore_sweep(self, record: dict) -> bool:
        """Insert a sweep row saved beside the runs unless it exists; a running one is failed."""
        row = dict(record)
        if row["status"] == "running":
            row.update(status="failed", finished=row.get("finished") or time.time(),
                       error="recovered from its record: the sweep had not finished when the store was lost")
        for key in SWEEP_JSON:
            row[key] = json.dumps(row[key])
        return self._insert_missing("sweeps", SWEEP_COLUMNS, row)

    @retried
    def delete_run(self, run_id: str) -> None:
        with self._connect(immediate=True) as con:
            con.execute("DELETE FROM metrics WHERE run_id=?", (run_id,))
            con.execute("DELETE FROM runs WHERE id=?", (run_id,))

    # --- metric rows ---------------------------------------------------------------------
    @retried
    def add_metrics(self, run_id: str, rows: list[tuple]) -> None:
        """rows: (phase, epoch, step, name, value, time)."""
        if rows:
            with self._connect(immediate=True) as con:
                con.executemany("INSERT INTO metrics (run_id, phase, epoch, step, name, value, time)"
                                " VALUES (?,?,?,?,?,?,?)", [(run_id, *r) for r in rows])

    @retried
    def metrics(self, run_id: str, after_id: int = 0) -> list[dict]:
        with self._connect() as con:
            return [dict(r) for r in con.execute(
                "SELECT id, phase, epoch, step, name, value, time FROM metrics WHERE run_id=? "
                "AND id>? ORDER BY id", (run_id, after_id)).fetchall()]

    @retried
    def count_metrics(self, run_id: str) -> int:
        with self._connect() as con:
            return con.execute("SELECT COUNT(*) FROM metrics WHERE run_id=?", (run_id,)).fetchone()[0]

    # --- workers -------------------------------------------------------------------------
    @retried
    def worker_beat(self, pid: int, info: dict | None = None) -> None:
        now = time.time()
        with self._connect(immediate=True) as con:
            con.execute("INSERT INTO workers (pid, host, started, heartbeat, info) VALUES (?,?,?,?,?)"
                        " ON CONFLICT(host, pid) DO UPDATE SET heartbeat=excluded.heartbeat, "
                        "info=COALESCE(excluded.info, workers.info)",
                        (pid, self.host, now, now, json.dumps(info) if info else None))

    @retried
    def worker_gone(self, pid: int) -> None:
        with self._connect(immediate=True) as con:
            con.execute("DELETE FROM workers WHERE host=? AND pid=?", (self.host, pid))

    @retried
    def live_workers(self, stale_seconds: float | None = None) -> list[dict]:
        """Workers that are alive: on this host, a live process; elsewhere, a fresh heartbeat."""
        stale_seconds = heartbeat_limit() if stale_seconds is None else stale_seconds
        now = time.time()
        with self._connect() as con:
            rows = [dict(r) for r in con.execute("SELECT * FROM workers").fetchall()]
        alive = []
        for row in rows:
            if row["host"] == self.host:
                if not pid_alive(row["pid"]):
                    continue
            elif now - row["heartbeat"] > stale_seconds:
                continue
            row["info"] = json.loads(row["info"]) if row["info"] else {}
            alive.append(row)
        return alive

    @retried
    def integrity_ok(self) -> bool:
        with self._connect() as con:
            return con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def pair_label(pair: dict) -> str:
    """A short human name for a pair reference (with its rating threshold and split seed)."""
    name = pair["catalog"] if "catalog" in pair else \
        f"{Path(pair['source']).name.split('.')[0]}->{Path(pair['target']).name.split('.')[0]}"
    if pair.get("min_rating") is not None:
        name += f" (rating ≥ {float(pair['min_rating']):g})"
    return name if pair.get("split_seed") is None else f"{name} (split {pair['split_seed']})"
