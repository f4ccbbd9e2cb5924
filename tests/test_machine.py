"""The CPUs and cache w2v sizes its defaults by (w2v/machine.py)."""

import os
import shutil
import subprocess
import sys

import pytest

from w2v import machine


def cgroup(tmp_path, v2=None, v1=None):
    """Fake cgroup files: v2's cpu.max and/or v1's quota and period."""
    v2_path, v1_path = tmp_path / "cpu.max", tmp_path / "cpu"
    if v2 is not None:
        v2_path.write_text(v2)
    if v1 is not None:
        v1_path.mkdir()
        (v1_path / "cpu.cfs_quota_us").write_text(f"{v1[0]}\n")
        (v1_path / "cpu.cfs_period_us").write_text(f"{v1[1]}\n")
    return v2_path, v1_path


@pytest.mark.parametrize("v2, v1, limit", [
    ("150000 100000\n", None, 2),  # 1.5 CPUs: two threads, each part of the time
    ("100000 100000\n", None, 1),
    ("50000 100000\n", None, 1),
    ("max 100000\n", None, None),
    (None, (100000, 100000), 1),
    (None, (-1, 100000), None),  # v1's "no quota"
    (None, None, None),
    ("garbage\n", None, None),
])
def test_available_cpus_follows_the_cgroup_quota(tmp_path, v2, v1, limit):
    affinity = len(os.sched_getaffinity(0))
    cpus = machine.available_cpus(*cgroup(tmp_path, v2, v1))
    assert cpus == (affinity if limit is None else min(affinity, limit))
    assert cpus >= 1


@pytest.mark.skipif(not shutil.which("taskset"), reason="needs taskset")
def test_available_cpus_follows_the_affinity_mask():
    first = min(os.sched_getaffinity(0))
    done = subprocess.run(["taskset", "-c", str(first), sys.executable, "-c",
                           "from w2v.machine import available_cpus; print(available_cpus())"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"


@pytest.mark.skipif(not shutil.which("taskset"), reason="needs taskset")
def test_cli_workers_default_is_the_cpus_this_process_may_use():
    code = ("import cli.train;"
            "params = {p.name: p for p in cli.train.train.params}; print(params['workers'].default)")
    first = min(os.sched_getaffinity(0))
    done = subprocess.run(["taskset", "-c", str(first), sys.executable, "-c", code],
                          capture_output=True, text=True, timeout=60,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"


def test_l2_cache_size_read_from_sysfs(tmp_path):
    for name, level, kind, size in (("index0", 1, "Data", "32K"), ("index1", 1, "Instruction", "32K"),
                                    ("index2", 2, "Unified", "1024K"), ("index3", 3, "Unified", "32768K")):
        (tmp_path / name).mkdir()
        for field, value in (("level", level), ("type", kind), ("size", size)):
            (tmp_path / name / field).write_text(f"{value}\n")
    assert machine.l2_cache_bytes(tmp_path) == 1 << 20
    assert machine.l2_cache_bytes(tmp_path / "missing") is None
