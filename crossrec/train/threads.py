"""How many CPU threads a training process should use: the cores it may really use.

Two torch threads beside other CPU-bound work made a BPR epoch 8x slower than one thread on a
2-core machine: oversubscribed threads wait for each other at every parallel op. So each run
takes at most cores / concurrency threads, fewer when the machine is already busy (the 1-minute
load average, or the processes runnable right now when that is higher, read when each phase
starts), and CROSSREC_THREADS overrides the choice.
Torch-free: the trainer applies the number.
"""

from __future__ import annotations

import os

from crossrec.data.numbers import strict_int
from crossrec.errors import SettingError


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def runnable_now() -> int:
    """Processes running or ready to run at this instant (Linux /proc/stat), this one included."""
    try:
        with open("/proc/stat") as f:
            for line in f:
                if line.startswith("procs_running"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 1


def choose_threads(busy_with_self: float = 0.0) -> int:
    """Threads for this process. `busy_with_self`: how much of the load average is this process
    itself (a phase that starts after another phase of the same run has been computing)."""
    override = os.environ.get("CROSSREC_THREADS")
    if override:
        value = strict_int(override, "CROSSREC_THREADS")
        if value < 1:
            raise SettingError(f"CROSSREC_THREADS={value} must be at least 1")
        return value
    cores = usable_cores()
    concurrency = max(1, strict_int(os.environ.get("CROSSREC_CONCURRENCY", "1"), "CROSSREC_CONCURRENCY"))
    budget = max(1, cores // concurrency)
    try:
        others = max(0.0, os.getloadavg()[0] - busy_with_self)
    except OSError:
        others = 0.0
    others = max(others, runnable_now() - 1)  # the 1-minute average lags; minus this process
    free = max(1, int(cores - others + 0.5))
    return max(1, min(budget, free))
