"""How many threads this process may use, and how many it should use on a machine others share.

torch's CPU kernels split each operation over all their threads and wait for the slowest: when another
process keeps a core busy, the thread the operating system parks behind it holds every operation up.
Measured on a 2-core machine with one core busy elsewhere: 2 torch threads encode 3 to 12 times slower
than 1. So the default is the number of cores that are free, not the number that exist:

    threads = clamp(round_down(cpus - foreign + 0.3), 1, cpus)

- ``cpus``: the CPUs this process may run on (its affinity mask, and a cgroup CPU quota where one is set);
- ``foreign``: the cores' worth of work that is not ours, the larger of two readings, both scaled to our
  share of the machine: the busy time of our CPUs over the last 0.1 s (``/proc/stat``, our own CPU
  time over that window taken out), and the 1-minute load average less our own recent CPU use (the load
  average lags, the short sample is noisy: together they catch a job that just started and one that
  pauses for a moment);
- a core counts as free when at least 70% of it is (the ``+ 0.3``).

``OMP_NUM_THREADS`` in the environment (set by the user, by our worker processes, by Ray) is an explicit
choice and wins over the estimate; an explicit ``threads=N`` (``--threads N``) wins over both. The
decision is made once per encoder and searcher (and reused for 10 s), not per batch.

>>> threads_for(cpus=2, foreign=1.0), threads_for(cpus=2, foreign=0.2), threads_for(cpus=8, foreign=30.0)
(1, 2, 1)
"""

from __future__ import annotations

import math
import os
import resource
import time

from .errors import check_positive_int

SAMPLE_SECONDS = 0.1
FREE_ENOUGH = 0.3  # a core at most 70% busy elsewhere counts as free
_REMEMBERED: dict[str, tuple[float, int]] = {}


def available_cpus() -> int:
    """The CPUs this process may run on: its affinity mask where the platform has one, capped by a cgroup
    v2 CPU quota (``/sys/fs/cgroup/cpu.max``) where one is set."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()[:2]
        if quota != "max":
            cpus = min(cpus, math.ceil(int(quota) / int(period)))
    except (OSError, ValueError):
        pass
    return max(1, cpus)


def threads_for(cpus: int, foreign: float) -> int:
    """The threads to run on ``cpus`` CPUs while others keep ``foreign`` cores' worth busy (at least 1)."""
    return max(1, min(cpus, math.floor(cpus - max(0.0, foreign) + FREE_ENOUGH)))


def foreign_load(sample_seconds: float = SAMPLE_SECONDS) -> float:
    """The cores' worth of work on our CPUs that is not this process's (see the module docstring)."""
    mine = _affinity()
    total = os.cpu_count() or len(mine) or 1
    share = len(mine) / total if mine else 1.0
    own_before, busy_before = _own_cpu_seconds(), _busy_jiffies(mine)
    start = time.monotonic()
    time.sleep(sample_seconds)
    elapsed = time.monotonic() - start
    sampled = 0.0
    if busy_before is not None and (busy_after := _busy_jiffies(mine)) is not None:
        busy = (busy_after - busy_before) / os.sysconf("SC_CLK_TCK") / elapsed
        sampled = busy - (_own_cpu_seconds() - own_before) / elapsed
    averaged = 0.0
    if hasattr(os, "getloadavg"):
        averaged = (os.getloadavg()[0] - _own_recent_load()) * share
    return max(0.0, sampled, averaged)


def default_threads() -> int:
    """The default thread count: ``OMP_NUM_THREADS`` when set, else the free cores (at least 1)."""
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.strip().isdigit() and int(env) >= 1:
        return int(env)
    now = time.monotonic()
    remembered = _REMEMBERED.get("default")
    if remembered and now - remembered[0] < 10.0:
        return remembered[1]
    threads = threads_for(available_cpus(), foreign_load())
    _REMEMBERED["default"] = (now, threads)
    return threads


def resolve_threads(threads: int | None) -> int:
    """``threads`` checked (a positive integer), or :func:`default_threads` for ``None``.

    >>> resolve_threads(3)
    3
    >>> resolve_threads(0)
    Traceback (most recent call last):
    splade_beir.errors.UserError: threads must be a positive integer, got 0
    """
    return default_threads() if threads is None else check_positive_int(threads, "threads")


def _affinity() -> set[int]:
    try:
        return set(os.sched_getaffinity(0))
    except AttributeError:
        return set()


def _busy_jiffies(cpus: set[int]) -> int | None:
    """Busy clock ticks (everything but idle and iowait) of ``cpus`` (all when empty) since boot."""
    try:
        with open("/proc/stat") as f:
            lines = [line.split() for line in f if line.startswith("cpu")]
    except OSError:
        return None
    busy = 0
    for fields in lines:
        name = fields[0]
        if (not cpus and name == "cpu") or (cpus and name != "cpu" and int(name[3:]) in cpus):
            values = [int(v) for v in fields[1:9]]  # user nice system idle iowait irq softirq steal
            busy += sum(values) - values[3] - values[4]
    return busy


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _own_recent_load() -> float:
    """Our own share of the 1-minute load average: our CPU time per second of life, weighted by how much
    of the average's window our life covers (a process 5 s old has added little to it)."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            age = float(f.read().split()[0]) - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0
    if age <= 0:
        return 0.0
    return _own_cpu_seconds() / age * (1.0 - math.exp(-age / 60.0))
