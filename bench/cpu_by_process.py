"""CPU seconds taken by each kind of process on this machine while a benchmark runs: what the
two cores went to (the browsers' pages and main processes, Playwright, the Streamlit server, the
worker, training, projections).

    with CpuByProcess() as cpu:
        ...  # the benchmark
    cpu.seconds()  # {"browser_pages": 612.4, "server": 95.1, ..., "machine_idle": 20.3, "machine_steal": 4.1}

A sampler thread reads /proc every `every` seconds and keeps each process's latest user+system
time (Linux); a process that starts and ends between two samples is missed, so the figures are
floors. The benchmark's own process is "bench"; processes of other kinds are summed under "other".
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

KINDS = (  # first match of a cmdline fragment wins
    ("crossrec.runs.child", "training"),
    ("crossrec.runs.projections", "projections"),
    ("crossrec worker", "worker"),
    ("streamlit", "server"),
    ("--type=renderer", "browser_pages"),
    ("chrom", "browser_main"),  # the browser process and its GPU (software compositing) process
    ("playwright", "playwright"),
)
TICKS = os.sysconf("SC_CLK_TCK")


def kind_of(cmdline: str) -> str:
    return next((kind for fragment, kind in KINDS if fragment in cmdline), "other")


def cpu_seconds(pid: str) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def machine_seconds() -> dict[str, float]:
    """The machine's idle and steal (taken by other virtual machines) seconds so far."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    return {"idle": int(fields[3]) / TICKS, "steal": int(fields[7]) / TICKS}


class CpuByProcess:
    def __init__(self, every: float = 1.0):
        self.every = every
        self._own = str(os.getpid())  # the benchmark itself (Playwright's asyncio loop)
        self._latest: dict[tuple[str, str], float] = {}  # (pid, kind) -> CPU seconds so far
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample_until_stopped, daemon=True)

    def _sample(self) -> None:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            used = cpu_seconds(entry.name)
            if used is not None and cmdline:
                key = (entry.name, "bench" if entry.name == self._own else kind_of(cmdline))
                self._latest[key] = max(used, self._latest.get(key, 0.0))

    def _sample_until_stopped(self) -> None:
        while not self._stop.wait(self.every):
            self._sample()

    def __enter__(self) -> CpuByProcess:
        self._sample()
        self._before = dict(self._latest)  # what ran before the benchmark is not its cost
        self._machine_before = machine_seconds()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self._machine_after = machine_seconds()

    def seconds(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for key, used in self._latest.items():
            totals[key[1]] = totals.get(key[1], 0.0) + used - self._before.get(key, 0.0)
        for name, before in self._machine_before.items():  # what no process here used, and why
            totals[f"machine_{name}"] = self._machine_after[name] - before
        return {kind: round(total, 1) for kind, total in sorted(totals.items(), key=lambda kv: -kv[1])}
