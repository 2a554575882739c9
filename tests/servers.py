"""Real servers for the cluster tests: a PostgreSQL server from Debian's binaries (run as the
`postgres` system user when the tests run as root), one per test session, and a local Ray cluster."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager

from browser import free_port

RAY = [sys.executable, "-m", "ray.scripts.scripts"]  # the `ray` command of this interpreter's Ray


def postgres_bin(name: str) -> str | None:
    found = shutil.which(name) or sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found if isinstance(found, str) else (found[-1] if found else None)


def server_env() -> dict:
    """The environment of a session-long server: no test's CROSSREC_* (a test's home owns only
    the processes it started, and ends them)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CROSSREC_")}


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class PostgresControl:
    """Stop and start a test's own PostgreSQL server (an outage, as `pg_ctl -m fast stop`)."""

    def __init__(self, data: str, folder: str, port: int):
        self.data, self.folder, self.port = data, folder, port

    def _ctl(self, *args) -> None:
        subprocess.run(_as_server_user([postgres_bin("pg_ctl"), "-D", self.data, *args]),
                       check=True, capture_output=True, env=server_env())

    def stop(self) -> None:
        self._ctl("-m", "fast", "-w", "stop")

    def start(self) -> None:
        self._ctl("-l", os.path.join(self.folder, "log"), "-w", "-t", "120",
                  "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                        "-c fsync=off -c max_connections=200", "start")


@contextmanager
def postgres_controlled():
    """Yields (address, PostgresControl) of a fresh PostgreSQL server on 127.0.0.1 (trust auth,
    user postgres); the server and its files are gone afterwards."""
    initdb = postgres_bin("initdb")
    folder = tempfile.mkdtemp(prefix="crossrec-pg-")
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    data, port = os.path.join(folder, "data"), free_port()
    control = PostgresControl(data, folder, port)
    try:
        subprocess.run(_as_server_user([initdb, "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]),
                       check=True, capture_output=True, env=server_env())
        control.start()
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres", control
    finally:
        if os.path.exists(os.path.join(data, "postmaster.pid")):
            subprocess.run(_as_server_user([postgres_bin("pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"]),
                           capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def postgres_server():
    """Yields the address of a fresh PostgreSQL server (see `postgres_controlled`)."""
    with postgres_controlled() as (url, _):
        yield url


def fresh_database(server_url: str) -> str:
    """A new empty database on the server; its address."""
    import psycopg
    name = f"t{time.time_ns()}"
    with psycopg.connect(server_url, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    return server_url.rsplit("/", 1)[0] + f"/{name}"


@contextmanager
def ray_cluster(cpus: int = 2):
    """A local Ray cluster (`ray start --head`); yields its address. Stopped afterwards."""
    port = free_port()
    # Ray starts its workers at nice 15 by default: beside other CPU work (the tests run with two
    # CPU hogs) they would crawl; here they compete like any process.
    env = {**server_env(), "RAY_worker_niceness": "0"}
    started = subprocess.run([*RAY, "start", "--head", f"--num-cpus={cpus}", "--num-gpus=0", f"--port={port}",
                              "--include-dashboard=false", "--disable-usage-stats"],
                             env=env, capture_output=True, text=True, timeout=300)
    try:
        if started.returncode != 0:
            raise RuntimeError(f"ray start failed: {started.stderr[-2000:]}")
        yield f"127.0.0.1:{port}"
    finally:
        if "ray" in sys.modules and sys.modules["ray"].is_initialized():
            sys.modules["ray"].shutdown()  # this process's driver first: a quiet stop
        subprocess.run([*RAY, "stop", "--force"], env=env, capture_output=True, timeout=300)
