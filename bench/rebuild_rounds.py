"""Rounds of a rebuild alone, on stores kept by ``bench.rebuild --keep``: to compare two
versions of the code on the same data, alternately, each in a process of its own.

Each round reads every store through the library (the baseline), then rebuilds the county
read model into a fresh schema (``shared.audit.rebuild.rebuild``), compares it with the live
one and drops it. It prints the rates, the ratio, this process's CPU time and the CPU time of
the cluster's server processes (children of ``--postmaster-pid``, read from ``/proc``).

    python -m bench.rebuild --events 40000 --known-at-runs 0 --keep   # prints the --url
    python -m bench.rebuild_rounds --url URL --townships 10 --villages 30 \\
        --postmaster-pid "$(head -1 DATA_DIR/postmaster.pid)" --rounds 3

``--townships``/``--villages`` must be those the stores were generated with (the defaults of
``bench.rebuild``: 10 × 30; ``--quick``: 4 × 10). To run another version of the code, run
this module from a copy of that version (``git archive REV | tar -x -C DIR``, then
``cd DIR && PYTHONPATH=DIR python -m bench.rebuild_rounds …``).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from bench.generate_county import Shape, write_jurisdiction
from bench.rebuild import drop, library_read
from services.init import initialise
from services.integrity import stores
from shared.audit.rebuild import compare, digest_tables, rebuild
from shared.infrastructure.settings import Settings
from shared.infrastructure.store import open_database
from shared.kernel.jurisdiction import Tier, load
from shared.reporting.report import watermarks
from shared.tier.runtime import AppSourceReader


def server_cpu(postmaster: str) -> float:
    """Seconds of CPU used so far by the postmaster and its children (the backends)."""
    ticks = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if pid == postmaster or fields[1] == postmaster:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--townships", type=int, default=10)
    parser.add_argument("--villages", type=int, default=30)
    parser.add_argument("--postmaster-pid", default="0")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="sanji-rebuild-rounds-"))
    csv = work / "county.csv"
    write_jurisdiction(Shape(townships=args.townships, villages=args.villages, seed=1), csv)
    j = load(csv)
    settings = Settings(
        persistence="postgres",
        postgres_url=args.url,
        data_dir=work / "data",
        jurisdiction_file=csv,
        demo=False,
    )
    initialise(settings, say=False)
    with stores(settings, j) as apps:
        live = open_database(settings.readmodel_url(Tier.COUNTY))
        with live.snapshot() as tx:
            marks, live_tables = watermarks(tx), digest_tables(tx)
        for r in range(args.rounds):
            t0 = time.perf_counter()
            events, _, _ = library_read(apps)
            lib = time.perf_counter() - t0
            name = f"r{r}_{int(time.time())}"
            target = open_database(settings.rebuild_readmodel_url(Tier.COUNTY, name))
            t0, c0 = time.perf_counter(), time.process_time()
            s0 = server_cpu(args.postmaster_pid)
            rebuild(target, AppSourceReader(apps), j.county.code, until=marks)
            seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
            server = server_cpu(args.postmaster_pid) - s0
            with target.snapshot() as tx:
                equal = compare(live_tables, digest_tables(tx)).equal
            drop(target)
            target.close()
            print(
                f"{args.label} round {r}: rebuild {events / seconds:,.0f} events/s "
                f"({seconds:.2f} s), library read {events / lib:,.0f} events/s, ratio "
                f"{lib / seconds:.3f}; CPU {cpu:.2f} s, server {server:.2f} s; "
                + ("EQUAL" if equal else "DIFFERENT"),
                flush=True,
            )
        live.close()


if __name__ == "__main__":
    main()
