"""Ledger import rows/s on PostgreSQL, against raw batch inserts measured in the same run.

Starts a throwaway PostgreSQL 15 cluster and measures:

- raw PostgreSQL: ~350-byte rows inserted 100 to a transaction (psycopg ``executemany``, one
  connection): the floor issue 14 item 7 compares with (target: the import at >= 0.6x);
- the plain eventsourcing application (no Sanji code) saving 100 one-event aggregates per
  ``save`` in the same database: what the event store alone reaches, before any command,
  hash chain, envelope or read model;
- the ledger import (``services/ledger_import``, as ``python -m services import`` runs it): a
  generated ledger of filed organisations (application, filing and charter each) and their
  activities, read from an XLSX file, every row recorded through the tier commands, the tiers
  drained (relayed and projected) between phases; rows/s = ledger rows / elapsed.

Then re-imports the same file (everything already present) and reports that rate too, and
counts the rows the two imports wrote (inserted, updated or deleted, in every table, from
``pg_stat_user_tables``): an imported row is several writes (its event, its envelope and
chain link, the rows and rollups of three read models, their tracking), so even at the raw
rate per write the import could reach at most 1 / (writes per ledger row) of the raw rate.

    .venv/bin/python -m bench.ledger_import [--orgs 100] [--activities 900] [--quick] [--json]
"""

from __future__ import annotations

import gc
import os
import secrets
import shutil
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from random import Random
from typing import Any

import psycopg
from openpyxl import load_workbook

from bench.durable_commands import Plain, PlainApp, plain_env
from bench.measures import Measure, Output, parse, parser
from services.init import initialise
from services.ledger_import.run import Import
from services.ledger_import.template import write_xlsx
from services.platform import Platform
from services.topology import LocalPostgres
from shared.infrastructure.settings import Settings

BATCH = 100
Result = tuple[int, float, float, float, float, "PeakRss", int]


def raw_rate(url: str, n: int, table: str = "bench_raw") -> float:
    """Rows/s of ``n`` ~350-byte rows inserted ``BATCH`` to a transaction."""
    body = os.urandom(350)
    with psycopg.connect(url) as conn:
        conn.execute(f"CREATE TABLE {table} (id bigserial PRIMARY KEY, body bytea NOT NULL)")
        conn.commit()
        start = time.perf_counter()
        with conn.cursor() as cur:
            for _ in range(0, n, BATCH):
                cur.executemany(f"INSERT INTO {table} (body) VALUES (%s)", [(body,)] * BATCH)
                conn.commit()
        return (n // BATCH * BATCH) / (time.perf_counter() - start)


def library_rate(settings: Settings, n: int) -> float:
    """Events/s the plain eventsourcing application stores in the same database, ``BATCH``
    new aggregates (one ~350-byte event each) per ``save``: what the event store alone costs,
    with none of Sanji's commands, chain, envelopes or read models."""
    with psycopg.connect(str(settings.postgres_url), autocommit=True) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS bench_plain")
    app = PlainApp(env=plain_env(settings))
    try:
        name = "x" * 300
        start = time.perf_counter()
        for _ in range(0, n, BATCH):
            app.save(*(Plain(name) for _ in range(BATCH)))
        return (n // BATCH * BATCH) / (time.perf_counter() - start)
    finally:
        app.close()


def table_writes(url: str) -> dict[str, int]:
    """Rows inserted, updated and deleted so far in each table but the baselines', by
    PostgreSQL's statistics. A backend reports its counts when it ends (or when idle), so this
    is read after the platform's connections closed, twice until it is steady."""
    query = (
        "SELECT schemaname || '.' || relname, n_tup_ins + n_tup_upd + n_tup_del"
        " FROM pg_stat_user_tables"
        " WHERE relname NOT LIKE 'bench_raw%' AND schemaname <> 'bench_plain'"
    )
    last: dict[str, int] | None = None
    for _ in range(20):
        with psycopg.connect(url) as conn:
            now = {name: int(n) for name, n in conn.execute(query).fetchall()}
        if now == last:
            break
        last = now
        time.sleep(0.5)
    return now


def rss_mb() -> float:
    """This process's resident memory now (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class PeakRss:
    """The highest resident memory seen while the block runs (sampled every 50 ms)."""

    def __init__(self) -> None:
        self.start = self.peak = rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, rss_mb())

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def ledger(path: Path, villages: list[str], orgs: int, activities: int, seed: int = 14) -> int:
    """A generated ledger (2019 onwards): filed organisations with charters, and activities
    (columns in the template's order: 主题 blank after 活动领域)."""
    rng = Random(seed)
    wb = load_workbook(write_xlsx(path))
    org_ws, charter_ws, activity_ws = wb["组织"], wb["章程"], wb["活动"]
    filed: dict[str, date] = {}
    for i in range(orgs):
        applied = date(2019, 1, 1) + timedelta(days=rng.randint(0, 700))
        key = f"ZZ-{i:06d}"
        filed[key] = applied + timedelta(days=7)
        org_ws.append(
            [key, f"第{i}互助队", rng.choice(villages), "邻里互助", "一般"]
            + [(applied - timedelta(days=30)).isoformat(), applied.isoformat()]
            + [filed[key].isoformat(), None, None]
        )
        charter_ws.append([key, (filed[key] + timedelta(days=10)).isoformat(), "是", "是"])
    keys = list(filed)
    for i in range(activities):
        key = rng.choice(keys)
        day = filed[key] + timedelta(days=rng.randint(0, 1500))
        activity_ws.append(
            [f"HD-{i:07d}", key, day.isoformat(), "邻里互助", None, rng.randint(5, 80), 3, 3]
            + ["6", rng.randint(0, 100), "0"]
        )
    wb.save(path)
    return orgs * 2 + activities


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--orgs", type=int, default=100, help="organisations in the ledger")
    p.add_argument("--activities", type=int, default=900, help="activities in the ledger")
    p.add_argument("--raw", type=int, default=20_000, help="rows for the raw baseline")
    args = parse(p, {"orgs": 40, "activities": 300, "raw": 10_000}, argv)
    out = Output("ledger_import", args.json)
    with out.human():
        rows, raw, library, imported, replayed, memory, writes = run(
            args.orgs, args.activities, args.raw
        )
    what = "raw 100-row batch INSERT"
    plain = "plain eventsourcing app, 100 events per save"
    out.add(
        Measure(f"ledger_import_rows@{rows}rows", imported, "rows/s", what, raw),
        Measure("ledger_import_library_rows", library, "rows/s", what, raw),  # 1 event = 1 row
        Measure(f"ledger_import_rows_vs_library@{rows}rows", imported, "rows/s", plain, library),
        Measure(f"ledger_reimport_rows@{rows}rows", replayed, "rows/s", what, raw),
        Measure("ledger_import_peak_rss_growth", memory.peak - memory.start, "MB"),
        Measure("ledger_import_table_writes_per_row", writes / rows, "writes/row"),
    )
    out.emit()
    return 0


def run(orgs: int, activities: int, raw_rows: int) -> Result:
    """(ledger rows, raw rows/s, plain application events/s, import rows/s, re-import rows/s,
    memory, table writes), after printing."""
    work = Path(tempfile.mkdtemp(prefix="sanji-bench-import-"))
    work.chmod(0o755)  # as root the cluster runs as `postgres`, which must reach work/pg
    pg = LocalPostgres(work / "pg")
    try:
        pg.start()
        url = pg.url()
        settings = Settings(
            persistence="postgres",
            postgres_url=url,
            data_dir=work / "data",
            demo=False,
            daily_checkpoint=False,
            supervision_seconds=0,
            secret=secrets.token_urlsafe(48),  # production persistence needs one (ADR 0012)
        )
        initialise(settings, say=False)
        raw = raw_rate(url, raw_rows)
        library = library_rate(settings, raw_rows)
        before = table_writes(url)
        platform: Any = Platform.build(settings)
        try:
            villages = [v.code for v in platform.jurisdiction.villages()]
            path = work / "台账.xlsx"
            rows = ledger(path, villages, orgs, activities)
            gc.collect()
            with PeakRss() as memory:
                first = Import(platform, path).run()
            again = Import(platform, path).run()
            # the baseline again after the imports (interleaved): the better of the two counts
            raw = max(raw, raw_rate(url, raw_rows, "bench_raw_after"))
            library = max(library, library_rate(settings, raw_rows))
        finally:
            platform.stop()
        after = table_writes(url)
    finally:
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)
    assert first.refused == 0 and again.refused == 0, [e.code for e in first.errors[:5]]
    imported = rows / first.seconds
    replayed = rows / again.seconds
    print(f"ledger rows: {rows} ({orgs} organisations + charters, {activities} activities)")
    print(f"raw PostgreSQL, {BATCH}-row batches: {raw:,.0f} rows/s")
    print(
        f"plain eventsourcing application, {BATCH} events per save: {library:,.0f} events/s"
        f" = {library / raw:.3f}x of raw: the event store alone, before any command or read model"
    )
    print(
        f"import:   {imported:,.1f} rows/s ({first.seconds:.1f} s), ratio {imported / raw:.4f}"
        f" ({imported / library:.4f} of the plain application's rate)"
    )
    print(f"re-import (all present): {replayed:,.1f} rows/s, ratio {replayed / raw:.4f}")
    print(
        f"memory during the import: {memory.start:,.0f} MB at the start, peak"
        f" {memory.peak:,.0f} MB (+{memory.peak - memory.start:,.0f} MB)"
    )
    print(f"target ratio 0.6: {'met' if imported / raw >= 0.6 else 'NOT met'}")
    wrote = {t: n - before.get(t, 0) for t, n in after.items() if n - before.get(t, 0)}
    writes = sum(wrote.values())
    print(
        f"rows written by the import and re-import: {writes:,} = {writes / rows:.1f} per ledger"
        f" row, so at most {rows / writes:.3f}x of the raw rate even at its cost per write:"
    )
    for table, n in sorted(wrote.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {table:<40} {n:>10,}  {n / rows:5.2f} per row")
    return rows, raw, library, imported, replayed, memory, writes


if __name__ == "__main__":
    sys.exit(main())
