"""Durable commands/s per tier on PostgreSQL, against baselines measured in the same run.

Starts a throwaway PostgreSQL 15 cluster and measures, with 1 and with 16 client threads, one
durable transaction per command:

- raw PostgreSQL: one ~350-byte row inserted per transaction (psycopg, autocommit, one
  connection per thread): the physical floor of this machine;
- plain eventsourcing: an ``Application`` (Postgres persistence, default pool) saving one small
  new aggregate per command;
- Sanji, each tier's application called directly (not HTTP, no relay or projector running): the
  village ``apply_for_filing``, the township ``decide_filing`` (filing applications seeded and
  projected into the township read model beforehand), the county ``register`` of new
  organisations with valid USCIs. Sanji adds validation, the jurisdiction check, the read-model
  lookups each command needs (township: facts, existence, profile; county: USCI uniqueness) and
  Meta on every event.

Each measurement is repeated (``--rounds``, interleaved) and the best is reported, with the
worst beside it: other work on a shared machine only ever slows a measurement down. The cores
used by other work during the measurements are printed too.

    .venv/bin/python -m bench.durable_commands [--n 1000] [--clients 1,16] [--rounds 3] [--quick] [--json]
"""

from __future__ import annotations

import os
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast
from uuid import UUID, uuid4

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from bench.machine import STEAL, CpuMeter, other_work, postmaster_pid
from bench.measures import Measure, Output, parse, parser
from services.county.application import CountyApplication
from services.init import initialise
from services.platform import Platform
from services.topology import LocalPostgres
from services.township.application import TownshipApplication
from services.village.application import VillageApplication
from services.village.domain import GroupRecord
from shared.infrastructure.settings import Settings
from shared.kernel.domain import Actor, Meta
from shared.kernel.jurisdiction import Tier
from shared.kernel.usci import check_character

Command = Callable[[int], Any]  # one durable command, given a number unique in its run


class Plain(Aggregate):
    @event("Created")
    def __init__(self, name: str) -> None:
        self.name = name


class PlainApp(Application[UUID]):
    name = "plain"


def rate(clients: int, n: int, command: Command) -> float:
    """Commands/s of ``n`` commands spread over ``clients`` threads started together."""
    per = n // clients
    barrier = threading.Barrier(clients + 1)
    failures: list[BaseException] = []

    def work(k: int) -> None:
        barrier.wait()
        try:
            for i in range(k * per, (k + 1) * per):
                command(i)
        except BaseException as e:  # reported after the run, never silently dropped
            failures.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if failures:
        raise RuntimeError(f"{len(failures)} client threads failed") from failures[0]
    return per * clients / elapsed


# ------------------------------------------------------------------ baselines


class RawInserts:
    """One ~350-byte row per autocommit transaction, one connection per client thread."""

    def __init__(self, url: str, table: str) -> None:
        self.url = url
        self.table = table
        self.body = os.urandom(350)
        self._local = threading.local()
        self._connections: list[psycopg.Connection[Any]] = []
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"CREATE TABLE {table} (id bigserial PRIMARY KEY, body bytea NOT NULL)")

    def insert(self, i: int) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = psycopg.connect(self.url, autocommit=True)
            self._connections.append(conn)
        conn.execute(f"INSERT INTO {self.table} (body) VALUES (%s)", (self.body,), prepare=True)

    def __enter__(self) -> RawInserts:
        return self

    def __exit__(self, *_: object) -> None:
        for conn in self._connections:
            conn.close()


def plain_env(settings: Settings) -> dict[str, str]:
    env = settings.event_store_env(Tier.VILLAGE)  # same database, same (default) pool
    return {**env, "POSTGRES_SCHEMA": "bench_plain", "CREATE_TABLE": "y"}


# ------------------------------------------------------------------ Sanji


def meta(actor: Actor) -> Meta:
    return Meta(actor, datetime.now(UTC), str(uuid4()))


def usci(serial: int) -> str:
    """A valid civil-affairs USCI (social group) for ``serial``."""
    first17 = f"51330699MJ{serial:07d}"
    return first17 + check_character(first17)


class Sanji:
    def __init__(self, settings: Settings) -> None:
        self.platform = Platform.build(settings)
        apps = {t: rt.app for t, rt in self.platform.tiers.items()}
        self.village = cast(VillageApplication, apps[Tier.VILLAGE])
        self.township = cast(TownshipApplication, apps[Tier.TOWNSHIP])
        self.county = cast(CountyApplication, apps[Tier.COUNTY])
        j = self.platform.jurisdiction
        self.villages = [v.code for v in j.villages()]
        self.village_ops = {c: Actor(f"village-{c}", Tier.VILLAGE, c) for c in self.villages}
        self.township_ops = {
            c: Actor(f"township-{j.township_of(c)}", Tier.TOWNSHIP, j.township_of(c))
            for c in self.villages
        }
        self.county_op = Actor("county-admin", Tier.COUNTY, j.county.code)
        self.applications: list[tuple[UUID, str]] = []
        self.registrations = 0

    def seed_applications(self, count: int) -> float:
        """``count`` filing applications, saved 100 per transaction (seeding is not measured)
        and projected into the township read model straight from the village store; returns
        the projector's catch-up rate (events/s, one read-model transaction per event)."""
        today = date.today()
        for first in range(0, count, 100):
            groups = []
            for i in range(first, min(count, first + 100)):
                code = self.villages[i % len(self.villages)]
                groups.append(
                    GroupRecord.apply_for_filing(
                        uuid4(),
                        meta(self.village_ops[code]),
                        village_code=code,
                        name=f"seed {i}",
                        field="services",
                        founded_on=today,
                        category="general",
                    )
                )
                self.applications.append((groups[-1].id, code))
            self.village.save(*groups)
        start = time.perf_counter()
        applied = self.platform.tiers[Tier.TOWNSHIP].projector.catch_up("village")
        return applied / (time.perf_counter() - start)

    def apply_for_filing(self, i: int) -> None:
        code = self.villages[i % len(self.villages)]
        self.village.apply_for_filing(
            code, f"group {i}", "services", date(2025, 1, 1), meta(self.village_ops[code])
        )

    def township_command(self, offset: int) -> Command:
        def decide_filing(i: int) -> None:
            org_id, code = self.applications[offset + i]
            self.township.decide_filing(org_id, True, "", meta(self.township_ops[code]))

        return decide_filing

    def county_command(self, offset: int) -> Command:
        def register(i: int) -> None:
            code = self.villages[i % len(self.villages)]
            self.county.register(
                usci(offset + i), f"org {offset + i}", "services", code, None, meta(self.county_op)
            )

        return register

    def stop(self) -> None:
        self.platform.stop()


# ------------------------------------------------------------------ run


ROWS = [
    ("raw", "raw PostgreSQL insert (350 B)"),
    ("plain", "plain eventsourcing save"),
    ("village", "Sanji village apply_for_filing"),
    ("township", "Sanji township decide_filing"),
    ("county", "Sanji county register"),
]


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--n", type=int, default=1000, help="commands per measurement")
    p.add_argument("--clients", default="1,16", help="client thread counts")
    p.add_argument("--rounds", type=int, default=3, help="rounds; the best is reported")
    args = parse(p, {"n": 320, "rounds": 2}, argv)
    client_counts = [int(c) for c in args.clients.split(",")]
    out = Output("durable_commands", args.json)
    with out.human():
        best = run(args.n, client_counts, args.rounds)
    for c in client_counts:
        raw = best[("raw", c)]
        for key, _ in ROWS[1:]:
            name = "durable_commands_plain" if key == "plain" else f"durable_commands_{key}"
            out.add(
                Measure(
                    f"{name}@{c}clients",
                    best[(key, c)],
                    "commands/s",
                    "raw psycopg INSERT+COMMIT",
                    raw,
                )
            )
    out.emit()
    return 0


def run(n: int, client_counts: list[int], rounds: int) -> dict[tuple[str, int], float]:
    """Best commands/s per (row, clients), after printing the table."""
    began = time.monotonic()
    print(f"[bench] load average before the run: {os.getloadavg()[0]:.2f}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="sanji-bench-"))
    work.chmod(0o755)  # as root the cluster runs as `postgres`, which must reach work/pg
    pg = LocalPostgres(work / "pg")
    results: dict[tuple[str, int], list[float]] = {}
    others: list[float] = []  # cores taken by other work (or the hypervisor) per measurement
    projected = 0.0
    try:
        pg.start()
        url = pg.url()
        settings = Settings(
            persistence="postgres",
            postgres_url=url,
            data_dir=work / "data",
            demo=False,
            # A production deployment must set one (ADR 0012); a run's own random one does.
            secret=secrets.token_urlsafe(48),
            rate_limit_per_second=0,
        )
        initialise(settings, say=False)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE SCHEMA bench_plain")
        plain = PlainApp(env=plain_env(settings))
        sanji = Sanji(settings)
        meter = CpuMeter({os.getpid(): "benchmark"}, postmaster_pid(pg.dir))

        def measure(key: str, clients: int, command: Command) -> None:
            meter.start()
            results.setdefault((key, clients), []).append(rate(clients, n, command))
            cores = meter.stop()
            others.append(other_work(cores) + cores.get(STEAL, 0.0))

        try:
            seeded = n * len(client_counts) * rounds
            projected = sanji.seed_applications(seeded)
            print(f"[bench] PostgreSQL up, {seeded} filing applications seeded", flush=True)
            done = 0
            for r in range(rounds):
                for c in client_counts:
                    with RawInserts(url, f"raw_{r}_{c}") as raw:
                        measure("raw", c, raw.insert)
                    measure("plain", c, lambda i: plain.save(Plain(name=f"group {i}")))
                    measure("village", c, sanji.apply_for_filing)
                    measure("township", c, sanji.township_command(done))
                    measure("county", c, sanji.county_command(done))
                    done += n
                print(f"[bench] round {r + 1} of {rounds} measured", flush=True)
        finally:
            sanji.stop()
            plain.close()
    finally:
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(
        f"durable commands/s on PostgreSQL 15, one transaction per command, {n} commands per "
        f"measurement, best of {rounds} rounds (worst in brackets), {os.cpu_count()} cores"
    )
    print(f"{'':34}" + "".join(f"{f'{c} client(s)':>38}" for c in client_counts))
    best = {k: max(v) for k, v in results.items()}
    for key, label in ROWS:
        cells = []
        for c in client_counts:
            value = best[(key, c)]
            ratio = f"{value / best[('raw', c)]:.2f} raw"
            if key not in ("raw", "plain"):
                ratio += f", {value / best[('plain', c)]:.2f} plain"
            cells.append(f"{value:5.0f}/s ({min(results[(key, c)]):5.0f}) {ratio:>20}")
        print(f"{label:34}" + "".join(f"{cell:>38}" for cell in cells))
    print(
        f"\nprojector, for reference: the township read model caught up the seeded applications "
        f"at {projected:.0f} events/s (one transaction per event)"
    )
    print(
        f"cores taken by other work on the machine (or stolen by the hypervisor) during the "
        f"measurements: mean {statistics.fmean(others):.2f}"
        f", max {max(others):.2f} cores of {os.cpu_count()}"
    )
    print(f"total wall time {time.monotonic() - began:.0f} s")
    return best


if __name__ == "__main__":
    sys.exit(main())
