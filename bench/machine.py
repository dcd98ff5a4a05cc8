"""Where the machine's CPU went during a measurement: this benchmark's processes, its
PostgreSQL cluster, interrupts, and everything else (other work sharing the machine skews every
figure, so the benchmarks print it next to their results). Linux /proc only."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MACHINE = "machine"  # whole machine busy (not idle, not iowait)
IRQ = "interrupts"  # irq + softirq (loopback networking, mostly)
STEAL = "steal"  # time the hypervisor gave this VM's CPUs to someone else
SYSTEM = (MACHINE, IRQ, STEAL)


def postmaster_pid(pg_dir: Path) -> int:
    return int((pg_dir / "postmaster.pid").read_text().split()[0])


def processes() -> Iterator[tuple[int, int, float]]:
    """(pid, parent pid, CPU seconds so far: user + system, all threads) of every process."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # it ended since the listing
        fields = stat[stat.rindex(")") + 2 :].split()  # the name may hold spaces and ")"
        yield int(entry), int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def system_seconds() -> dict[str, float]:
    """MACHINE, IRQ and STEAL seconds so far, over all cores, from /proc/stat."""
    # user nice system idle iowait irq softirq steal
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return {
        MACHINE: (sum(ticks) - ticks[3] - ticks[4] - ticks[7]) / CLOCK_TICKS,
        IRQ: (ticks[5] + ticks[6]) / CLOCK_TICKS,
        STEAL: ticks[7] / CLOCK_TICKS,
    }


def cpu_seconds(labels: dict[int, str], postmaster: int | None = None) -> dict[str, float]:
    """CPU seconds (user + system, all threads) per label: the processes in ``labels`` by pid,
    and ``postgres`` for the cluster (the postmaster and its children; backends that exited
    between two readings are lost); plus MACHINE, IRQ and STEAL from /proc/stat."""
    totals: dict[str, float] = {}
    for pid, parent, cpu in processes():
        label = labels.get(pid)
        if label is None and postmaster is not None and postmaster in (pid, parent):
            label = "postgres"
        if label:
            totals[label] = totals.get(label, 0.0) + cpu
    return totals | system_seconds()


class CpuMeter:
    """Cores used per label between ``start()`` and ``stop()``."""

    def __init__(self, labels: dict[int, str], postmaster: int | None = None) -> None:
        self.labels = labels
        self.postmaster = postmaster
        self._before: dict[str, float] = {}
        self._started = 0.0

    def start(self) -> CpuMeter:
        self._before = cpu_seconds(self.labels, self.postmaster)
        self._started = time.monotonic()
        return self

    def stop(self) -> dict[str, float]:
        after = cpu_seconds(self.labels, self.postmaster)
        wall = time.monotonic() - self._started
        return {k: (v - self._before.get(k, 0.0)) / wall for k, v in after.items()}


class CpuSampler:
    """Cores used between ``start()`` and ``stop()`` by this process (``benchmark``), by the
    PostgreSQL cluster (``postgres``: the postmaster, its backends and the short-lived parallel
    workers), plus MACHINE, IRQ and STEAL; and by every other process (``other_cores``).

    ``CpuMeter`` reads /proc twice: a process that exits in between (a pool closed at the end
    of a phase, a parallel query's worker) takes its whole CPU time with it, and the cluster's
    share can come out negative. This samples every process every ``every`` seconds and adds up
    per-process deltas instead, counting processes born meanwhile from zero."""

    def __init__(self, postmaster: int | None, every: float = 1.0) -> None:
        self.postmaster, self.every = postmaster, every
        self.me = os.getpid()
        self._last: dict[int, float] = {}
        self._totals: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.other_cores = 0.0

    def _label(self, pid: int, parent: int) -> str:
        if pid == self.me:
            return "benchmark"
        if self.postmaster is not None and self.postmaster in (pid, parent):
            return "postgres"
        return "other"

    def _sample(self, count: bool) -> None:
        for pid, parent, cpu in processes():
            before = self._last.get(pid, 0.0)
            self._last[pid] = cpu
            if count:
                label = self._label(pid, parent)
                self._totals[label] = self._totals.get(label, 0.0) + cpu - before

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._sample(True)

    def start(self) -> CpuSampler:
        self._last, self._totals = {}, {"benchmark": 0.0, "postgres": 0.0, "other": 0.0}
        self._sample(False)
        self._system_before = system_seconds()
        self._wall = time.monotonic()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> dict[str, float]:
        """Cores per label (``benchmark``, ``postgres`` and the SYSTEM ones); the other
        processes' share is left in ``other_cores``."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample(True)
        wall = max(time.monotonic() - self._wall, 1e-9)
        system = system_seconds()
        cores = {k: v / wall for k, v in self._totals.items()}
        self.other_cores = cores.pop("other")
        cores.update({k: (system[k] - self._system_before[k]) / wall for k in system})
        return cores


def other_work(cores: dict[str, float]) -> float:
    """Cores busy on the machine outside the labelled processes and interrupts."""
    ours = sum(v for k, v in cores.items() if k not in SYSTEM)
    return max(0.0, cores.get(MACHINE, 0.0) - ours - cores.get(IRQ, 0.0))
