"""What this process may use of the machine: CPUs and per-core cache.

``os.cpu_count()`` counts the machine's CPUs, not those this process may run
on: under ``taskset``, a container's ``--cpus`` or a batch system's CPU
limit, more training threads than that only take turns and lose time to
switching. Both answers here read only files and system calls that exist
without privileges and fall back to a safe value when they are missing.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")  # cgroup v2: "<quota> <period>" or "max <period>"
CGROUP_V1_CPU = Path("/sys/fs/cgroup/cpu")  # cgroup v1: cpu.cfs_quota_us, cpu.cfs_period_us
CPU_CACHE = Path("/sys/devices/system/cpu/cpu0/cache")


def _cgroup_cpu_limit(v2: Path = CGROUP_CPU_MAX, v1: Path = CGROUP_V1_CPU) -> float | None:
    """The CPU quota of this process's cgroup in CPUs (e.g. 1.5), or None when
    there is none or it cannot be read."""
    try:
        quota, period = v2.read_text().split()[:2]
        if quota == "max":
            return None
        return int(quota) / int(period) if int(period) > 0 and int(quota) > 0 else None
    except (OSError, ValueError):
        pass
    try:
        quota = int((v1 / "cpu.cfs_quota_us").read_text())
        period = int((v1 / "cpu.cfs_period_us").read_text())
        return quota / period if quota > 0 and period > 0 else None
    except (OSError, ValueError):
        return None


def available_cpus(v2: Path = CGROUP_CPU_MAX, v1: Path = CGROUP_V1_CPU) -> int:
    """CPUs this process may run on: its affinity mask (``taskset``, cpusets),
    capped by its cgroup's CPU quota rounded up (a quota of 1.5 CPUs lets two
    threads run, each part of the time); at least 1."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        cpus = os.cpu_count() or 1
    limit = _cgroup_cpu_limit(v2, v1)
    if limit is not None:
        cpus = min(cpus, math.ceil(limit))
    return max(cpus, 1)


def _size(text: str) -> int:
    """A sysfs cache size such as "1024K" or "32M" in bytes."""
    text = text.strip().upper()
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
    return int(text.rstrip("KMG")) * scale


def l2_cache_bytes(cache: Path = CPU_CACHE) -> int | None:
    """The size of the first CPU's level-2 data (or unified) cache, or None
    when sysfs does not say (not Linux, or a container that hides it)."""
    try:
        for index in sorted(cache.glob("index*")):
            if (index / "level").read_text().strip() == "2" and \
                    (index / "type").read_text().strip() in ("Data", "Unified"):
                return _size((index / "size").read_text())
    except (OSError, ValueError):
        return None
    return None

