"""Shared fixtures: a fresh CROSSREC_HOME / data folder per test, and the shared real data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from processes import kill_home_processes

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CROSSREC_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty run home and data folder, set in the environment (children inherit it).
    The test fails if a process of this home outlives it (after it has been killed)."""
    monkeypatch.setenv("CROSSREC_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("CROSSREC_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "data").mkdir()
    yield tmp_path / "home"
    leaked = kill_home_processes(tmp_path / "home")
    if leaked:
        pytest.fail(f"processes of the test's home outlived it: {leaked}")


def shared(*parts) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not present: {path}")
    return path


def run_cli(*args, timeout=300, env=None) -> subprocess.CompletedProcess:
    """`python -m crossrec ARGS` in a real subprocess, from the repository root."""
    return subprocess.run([sys.executable, "-m", "crossrec", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL server for the whole session (tests/servers.py); skipped without one."""
    pytest.importorskip("psycopg")
    from servers import postgres_bin, postgres_server
    if postgres_bin("initdb") is None:
        pytest.skip("PostgreSQL server binaries not installed")
    with postgres_server() as url:
        yield url
