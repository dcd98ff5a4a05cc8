"""The division-tree cache (ADR 0029) on its own: village ``apply_for_filing`` on PostgreSQL
with the tree kept per process (``cached``) against the tree read per command (the code before
ADR 0029, which a watch that never knows reproduces), interleaved in one process and one
cluster, so that a busy machine slows both alike. Prints commands/s and the CPU each command
cost in this process (Python) and in the cluster (PostgreSQL), medians over ``--rounds``.

    .venv/bin/python -m bench.division_tree [--n 320] [--clients 1,16] [--rounds 7] [--quick] [--json]
"""

from __future__ import annotations

import os
import secrets
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench.durable_commands import Sanji, rate
from bench.machine import cpu_seconds, postmaster_pid
from bench.measures import Measure, Output, parse, parser
from services.init import initialise
from services.topology import LocalPostgres
from shared.infrastructure.settings import Settings
from shared.infrastructure.table_watch import NotifiedTable


class ReadPerCommand:
    """A watch that never knows: every call reads the changes, as before ADR 0029."""

    def token(self) -> object | None:
        return None

    def close(self) -> None:
        pass


def numbered(sanji: Sanji, first: int) -> Callable[[int], None]:
    """Commands numbered from ``first``: every filing has a name of its own."""
    return lambda i: sanji.apply_for_filing(first + i)


Result = dict[tuple[str, int], list[tuple[float, float, float]]]  # rate, Python µs, PG µs


def run(n: int, client_counts: list[int], rounds: int) -> Result:
    work = Path(tempfile.mkdtemp(prefix="sanji-bench-"))
    work.chmod(0o755)  # as root the cluster runs as `postgres`, which must reach work/pg
    pg = LocalPostgres(work / "pg")
    results: Result = {}
    try:
        pg.start()
        settings = Settings(
            persistence="postgres",
            postgres_url=pg.url(),
            data_dir=work / "data",
            demo=False,
            secret=secrets.token_urlsafe(48),
            rate_limit_per_second=0,
        )
        initialise(settings, say=False)
        sanji = Sanji(settings)
        try:
            trees = sanji.village.lookup.trees
            cached = trees.watch
            assert isinstance(cached, NotifiedTable)
            cached.token()
            if not cached.listening.wait(30):
                raise RuntimeError("the division-change listener did not connect")
            labels, postmaster = {os.getpid(): "bench"}, postmaster_pid(pg.dir)
            done = 0
            for r in range(rounds):
                for clients in client_counts:
                    for name, watch in (("per command", ReadPerCommand()), ("cached", cached)):
                        trees.watch = watch
                        before = cpu_seconds(labels, postmaster)
                        value = rate(clients, n, numbered(sanji, done))
                        after = cpu_seconds(labels, postmaster)
                        done += n
                        python, postgres = (
                            1e6 * (after[k] - before.get(k, 0.0)) / n for k in ("bench", "postgres")
                        )
                        results.setdefault((name, clients), []).append((value, python, postgres))
                print(f"[bench] round {r + 1} of {rounds} measured", flush=True)
            trees.watch = cached
        finally:
            sanji.stop()
    finally:
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--n", type=int, default=1000, help="commands per measurement")
    p.add_argument("--clients", default="1,16", help="client thread counts")
    p.add_argument("--rounds", type=int, default=7, help="rounds; medians are reported")
    args = parse(p, {"n": 320, "rounds": 5}, argv)
    client_counts = [int(c) for c in args.clients.split(",")]
    out = Output("division_tree", args.json)
    with out.human():
        print(f"[bench] load average before the run: {os.getloadavg()[0]:.2f}", flush=True)
        results = run(args.n, client_counts, args.rounds)
        print(
            f"\nvillage apply_for_filing on PostgreSQL, {args.n} commands per measurement, "
            f"medians of {args.rounds} interleaved rounds"
        )
        medians = {
            key: tuple(statistics.median(x[i] for x in runs) for i in range(3))
            for key, runs in results.items()
        }
        for (name, clients), (value, python, postgres) in sorted(
            medians.items(), key=lambda kv: (kv[0][1], kv[0][0])
        ):
            print(
                f"{clients:3d} clients  tree {name:12} {value:7.0f}/s   CPU per command: "
                f"Python {python:5.0f} µs, PostgreSQL {postgres:5.0f} µs"
            )
    for clients in client_counts:
        base = medians[("per command", clients)]
        new = medians[("cached", clients)]
        out.add(
            Measure(
                f"division_tree_cached@{clients}clients",
                new[0],
                "commands/s",
                "tree read per command",
                base[0],
            )
        )
    out.emit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
