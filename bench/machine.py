"""Where the machine's CPU went during a measurement: this benchmark's processes, its
PostgreSQL cluster, interrupts, and everything else (other work sharing the machine skews every
figure, so the benchmarks print it next to their results). Linux /proc only."""

from __future__ import annotations

import os
import time
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
MACHINE = "machine"  # whole machine busy (not idle, not iowait)
IRQ = "interrupts"  # irq + softirq (loopback networking, mostly)
STEAL = "steal"  # time the hypervisor gave this VM's CPUs to someone else
SYSTEM = (MACHINE, IRQ, STEAL)


def postmaster_pid(pg_dir: Path) -> int:
    return int((pg_dir / "postmaster.pid").read_text().split()[0])


def cpu_seconds(labels: dict[int, str], postmaster: int | None = None) -> dict[str, float]:
    """CPU seconds (user + system, all threads) per label: the processes in ``labels`` by pid,
    and ``postgres`` for the cluster (the postmaster and its children; backends that exited
    between two readings are lost); plus MACHINE, IRQ and STEAL from /proc/stat."""
    totals: dict[str, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        pid, parent = int(entry), int(fields[1])
        label = labels.get(pid)
        if label is None and postmaster is not None and postmaster in (pid, parent):
            label = "postgres"
        if label:
            cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            totals[label] = totals.get(label, 0.0) + cpu
    # user nice system idle iowait irq softirq steal
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    totals[MACHINE] = (sum(ticks) - ticks[3] - ticks[4] - ticks[7]) / CLOCK_TICKS
    totals[IRQ] = (ticks[5] + ticks[6]) / CLOCK_TICKS
    totals[STEAL] = ticks[7] / CLOCK_TICKS
    return totals


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


def other_work(cores: dict[str, float]) -> float:
    """Cores busy on the machine outside the labelled processes and interrupts."""
    ours = sum(v for k, v in cores.items() if k not in SYSTEM)
    return max(0.0, cores.get(MACHINE, 0.0) - ours - cores.get(IRQ, 0.0))
