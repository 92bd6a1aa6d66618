"""Timing and memory measures shared by the benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """The shortest of ``repeat`` runs of ``fn``, in seconds, and the last run's result."""
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def peak_rss_mb(pid: int | str = "self") -> float:
    """A process's peak resident memory so far (Linux VmHWM), MB; NaN without /proc. VmHWM starts afresh at
    exec, unlike ``ru_maxrss``, which Linux carries across fork and exec (a child would report its parent's)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")
