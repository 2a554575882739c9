"""The processes a test started for a run home (workers, their children, probes), found by the
CROSSREC_HOME in their environment, so that every test can end them and prove it did."""

from __future__ import annotations

import os
import time
from pathlib import Path

import psutil


def home_processes(home: Path) -> list[psutil.Process]:
    """Live (non-zombie) processes whose CROSSREC_HOME is `home`, other than this one."""
    home = Path(home).resolve()
    found = []
    for proc in psutil.process_iter(["pid"]):
        if proc.pid == os.getpid():
            continue
        try:
            value = proc.environ().get("CROSSREC_HOME")
            if value and Path(value).resolve() == home and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)
        except (psutil.Error, OSError):
            continue
    return found


def command_line(pid: int) -> str:
    """A process's command line, "" once it has ended (or for pid 0)."""
    try:
        return " ".join(psutil.Process(pid).cmdline())
    except psutil.Error:
        return ""


def home_cmdlines(home: Path) -> list[str]:
    """Command lines of the home's live processes (one that exits meanwhile is skipped)."""
    return [line for line in (command_line(proc.pid) for proc in home_processes(home)) if line]


WORKER_COMMAND = "-m crossrec worker"  # anywhere in the command line: it carries --concurrency


def home_workers(home: Path) -> list[psutil.Process]:
    """The home's worker processes. A child a worker forks shows the worker's own command line
    until it execs (seen under two CPU hogs: a spare child counted as a second worker), so a
    process whose parent is a worker is that worker's child, not another worker."""
    workers = []
    for proc in home_processes(home):
        try:
            parent = proc.ppid()
        except psutil.Error:  # it ended meanwhile
            continue
        if WORKER_COMMAND in command_line(proc.pid) and WORKER_COMMAND not in command_line(parent):
            workers.append(proc)
    return workers


def kill_home_processes(home: Path) -> list[str]:
    """SIGKILL every process of `home`; returns what was running ("pid cmdline")."""
    procs = home_processes(home)
    described = []
    for proc in procs:
        try:
            described.append(f"{proc.pid} {' '.join(proc.cmdline()[1:4])}")
            proc.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(procs, timeout=10)
    return described


def end_home_processes(home: Path, timeout: float = 60) -> None:
    """Kill the home's processes until none is left: a worker may start a child between the
    listing and its kill (that child then dies by its parent-death signal, a moment later)."""
    deadline = time.time() + timeout
    while kill_home_processes(home) and time.time() < deadline:
        time.sleep(0.2)
