"""County report latency on PostgreSQL at 300,000 organisations and 10 million events.

Starts a throwaway PostgreSQL 15 cluster (or uses ``--url``), writes a synthetic county (30
townships × 100 villages/communities by default) and fills the read model by COPY
(``bench/generate_county.py``: organisations and their history, then activities, inspections,
annual reports, funding, ratings, credit listings and platforms adding up to ``--events``), then
VACUUM (ANALYZE) and a checkpoint. ``division_report`` is imported at run time from where the
tree has it and called exactly as the reports API calls it: as of a fixed date, period = that
year to date. Scenarios, each run ``--runs`` times after ``--warmup`` runs, interleaved round by
round:

- **raw PostgreSQL**: one hand-written transaction with two aggregates over the same data (the
  county's active organisations; the period's activities and participants): the floor of any
  report that aggregates the base tables per request;
- **township / county, k villages changed** (``--changed``, default 10 and 100): the versions
  of k random villages moved before the run, as the projector does when it applies their
  events, so the report's counter cache must recompute them;
- **township / county, cache warm**: nothing changed since the previous report;
- **township / county, cache cold** (``--cold-runs``): the counter cache emptied first, as for
  the first report of a day or any other as-of date or period: every figure from the rows.

Then one instrumented run per cold report (and ``--profile-runs`` of the county with k changed)
times every SQL statement (caller, tables, calls, rows), cProfile shows the Python side, a check
shows what PostgreSQL's plan cache does to the shared ``LIKE`` query shape, and
``EXPLAIN (ANALYZE, BUFFERS)`` shows the cold county report's slowest statements. The project
target is county report p95 < 50 ms.

    .venv/bin/python -m bench.county_report          # 300,000 orgs, 10M events: ~80 min
    .venv/bin/python -m bench.county_report --orgs 3000 --events 100000   # smoke run, ~1 min
    .venv/bin/python -m bench.county_report --quick --json   # 2,000 orgs, 50k events

``--keep`` leaves the cluster running with the data; run again with ``--url`` (same shape
options) to measure without regenerating: the data are reused when the shape matches. With
``--url`` the benchmark drops and recreates schema ``bench_county_report`` only.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import inspect
import json
import math
import os
import pstats
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import psycopg

from bench.generate_county import Generated, Shape, create_schema, generate, write_jurisdiction
from bench.machine import MACHINE, STEAL, CpuSampler
from bench.measures import Measure, Output, parse, sized
from bench.measures import parser as measures_parser
from services.topology import LocalPostgres
from shared.infrastructure.store import open_database
from shared.kernel import jurisdiction as jurisdiction_module
from shared.kernel.rules import load_rules

SCHEMA = "bench_county_report"
TARGET_MS = 50.0
GENERATOR_VERSION = 2  # bump when generate_county.py changes what it writes


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ statistics


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (with 30 runs, p99 is the maximum)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class Timing:
    label: str
    ms: list[float]

    def p(self, q: float) -> float:
        return percentile(self.ms, q)


def row_of(t: Timing, baseline: Timing | None) -> str:
    ratio = (
        f"{t.p(95) / baseline.p(95):8.1f}x" if baseline and baseline is not t else f"{'1.0x':>9}"
    )
    return (
        f"{t.label:<38}{t.p(50):9.1f}{t.p(95):9.1f}{t.p(99):9.1f}{max(t.ms):9.1f}"
        f"{statistics.fmean(t.ms):9.1f}  {ratio}"
    )


# ------------------------------------------------------------------ the report, as the API calls it


def report_call(
    db: Any, j: Any, code: str, as_of: date, rules: Any, period: Any
) -> Callable[[], Any]:
    """``division_report`` bound to its arguments by parameter name, imported at run time so
    that parameters added to it later are noticed (a required one we cannot supply stops the
    benchmark with its name)."""
    fn = report_module().division_report
    known = {
        "db": db,
        "database": db,
        "j": j,
        "jurisdiction": j,
        "code": code,
        "division_code": code,
        "as_of": as_of,
        "period": period,
        "rules": rules,
        "watermarks": {"village": 0, "township": 0, "county": 0},
    }
    kwargs = {}
    for name, parameter in inspect.signature(fn).parameters.items():
        if name in known:
            kwargs[name] = known[name]
        elif parameter.default is inspect.Parameter.empty and parameter.kind not in (
            inspect.Parameter.VAR_POSITIONAL,
            inspect.Parameter.VAR_KEYWORD,
        ):
            raise SystemExit(
                f"division_report now needs parameter {name!r}: teach bench/county_report.py "
                "what to pass"
            )
    return lambda: fn(**kwargs)


# Where division_report lives, newest layout first.
REPORT_MODULES = ("shared.reporting.report", "shared.projection.reports")


def report_module() -> Any:
    for name in REPORT_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:
            continue
        if hasattr(module, "division_report"):
            return module
    raise SystemExit(f"no division_report in {', '.join(REPORT_MODULES)}")


def period_of(as_of: date) -> Any:
    """The year to date, as the reports API resolves a request without a period."""
    try:
        periods = importlib.import_module("shared.kernel.periods")
    except ModuleNotFoundError:
        return report_module().Period(as_of.replace(month=1, day=1), as_of)
    return periods.resolve(as_of, as_of)[1]


class SnapshotDatabase:
    """For a tree whose report code reads ``db.snapshot()`` before store.py has it: the same
    single transaction, which is what a snapshot costs on PostgreSQL besides its isolation."""

    def __init__(self, db: Any) -> None:
        self._db = db

    def snapshot(self) -> Any:
        return self._db.transaction()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


# ------------------------------------------------------------------ statement timing


@dataclass
class Statement:
    caller: str
    sql: str
    params: tuple[Any, ...]
    ms: float
    rows: int

    @property
    def key(self) -> tuple[str, str]:
        return self.caller, self.sql

    @property
    def label(self) -> str:
        tables = sorted(set(re.findall(r"\bFROM\s+([a-z_]+)", self.sql, re.I)))
        return f"{self.caller} ({', '.join(tables)})"


class TimedTx:
    """A Tx that times every statement, including fetching its rows into Python."""

    def __init__(self, tx: Any, log: list[Statement]) -> None:
        self._tx, self._log = tx, log

    def _timed(self, method: str, sql: str, params: Any) -> Any:
        frame = sys._getframe(2)
        module = str(frame.f_globals.get("__name__", "")).rsplit(".", 1)[-1]
        caller = f"{module}.{frame.f_code.co_name}"
        started = time.perf_counter()
        result = getattr(self._tx, method)(sql, params)
        ms = (time.perf_counter() - started) * 1000
        rows = len(result) if isinstance(result, list) else int(result is not None)
        self._log.append(Statement(caller, sql, tuple(params), ms, rows))
        return result

    def execute(self, sql: str, params: Any = ()) -> Any:
        return self._timed("execute", sql, params)

    def write(self, sql: str, params: Any = ()) -> Any:
        return self._timed("write", sql, params)

    def all(self, sql: str, params: Any = ()) -> Any:
        return self._timed("all", sql, params)

    def one(self, sql: str, params: Any = ()) -> Any:
        return self._timed("one", sql, params)


class TimedDatabase:
    def __init__(self, db: Any) -> None:
        self._db = db
        self.log: list[Statement] = []

    @contextmanager
    def transaction(self, pipelined: bool = False) -> Iterator[TimedTx]:
        with self._db.transaction(pipelined) as tx:
            yield TimedTx(tx, self.log)

    @contextmanager
    def snapshot(self) -> Iterator[TimedTx]:
        with self._db.snapshot() as tx:
            yield TimedTx(tx, self.log)

    def close(self) -> None:
        self._db.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


@dataclass
class Breakdown:
    label: str
    runs: int
    total_ms: float  # mean over the instrumented runs, like the per-statement figures
    fastest_ms: float
    slowest_ms: float
    # per statement: label, ms per report, calls per report, rows per report, a sample
    statements: list[tuple[str, float, float, float, Statement]]

    @property
    def sql_ms(self) -> float:
        return sum(s[1] for s in self.statements)


def breakdown(
    label: str,
    call: Callable[[], Any],
    timed: TimedDatabase,
    runs: int,
    prepare: Callable[[], None] | None = None,
) -> Breakdown:
    """Every statement of ``runs`` reports timed, summed per statement text and divided by
    ``runs``: a statement run once per township counts 30 times in a county report."""
    totals: list[float] = []
    per: dict[tuple[str, str], list[Statement]] = {}
    for _ in range(runs):
        if prepare:
            prepare()
        timed.log.clear()
        started = time.perf_counter()
        call()
        totals.append((time.perf_counter() - started) * 1000)
        for s in timed.log:
            per.setdefault(s.key, []).append(s)
    callers = [caller for caller, _ in per]
    seen: dict[str, int] = {}
    statements = []
    for (caller, _), ss in per.items():
        name = ss[0].label
        if callers.count(caller) > 1:
            seen[caller] = seen.get(caller, 0) + 1
            name = name.replace(caller, f"{caller}#{seen[caller]}", 1)
        slowest = max(ss, key=lambda s: s.ms)
        statements.append(
            (
                name,
                sum(s.ms for s in ss) / runs,
                len(ss) / runs,
                sum(s.rows for s in ss) / runs,
                slowest,
            )
        )
    statements.sort(key=lambda s: -s[1])
    return Breakdown(label, runs, statistics.fmean(totals), min(totals), max(totals), statements)


def python_profile(call: Callable[[], Any], top: int = 14) -> tuple[float, list[str]]:
    """One run under cProfile: (wall ms under the profiler, the functions with the most own
    time). cProfile slows Python code down, so read the shares, not the absolute figures."""
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.runcall(call)
    ms = (time.perf_counter() - started) * 1000
    stats = pstats.Stats(profiler)
    entries = []
    for (filename, line, name), (_cc, calls, own, cumulative, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = filename
        for marker in ("/site-packages/", "/work/main/", "/lib/python3.11/"):
            if marker in filename:
                where = filename.split(marker, 1)[1]
        entries.append((own, cumulative, calls, f"{where}:{line} {name}"))
    entries.sort(reverse=True)
    lines = [
        f"{own * 1000:9.0f} ms own {cumulative * 1000:9.0f} ms cumulative {calls:>9,} calls  {what}"
        for own, cumulative, calls, what in entries[:top]
    ]
    return ms, lines


def explain(url: str, statement: Statement) -> list[str]:
    with psycopg.connect(url, options=f"-c search_path={SCHEMA}") as conn:
        rows = conn.execute(
            "EXPLAIN (ANALYZE, BUFFERS) " + statement.sql, statement.params
        ).fetchall()
    return [r[0] for r in rows]


# ------------------------------------------------------------------ baseline


def baseline_call(
    url: str, county_prefix: str, as_of: date, period: Any
) -> tuple[Callable[[], Any], Any]:
    """Two hand-written aggregates in one transaction on one connection (no pool, no Python
    folding): what the same database answers for the headline figures."""
    conn = psycopg.connect(url, options=f"-c search_path={SCHEMA}")
    day = as_of.isoformat()
    active = (
        "SELECT count(*) FROM org WHERE village_code LIKE %s AND ("
        "(registered_on <= %s AND (registration_ended_on IS NULL OR registration_ended_on > %s))"
        " OR (filed_on <= %s AND (filing_ended_on IS NULL OR filing_ended_on > %s)"
        " AND (registered_on IS NULL OR registered_on > %s)))"
    )
    activity = (
        "SELECT count(*), sum(participants) FROM activity WHERE occurred_on BETWEEN %s AND %s"
    )

    def call() -> tuple[int, int, int]:
        with conn.transaction():
            n = conn.execute(active, (county_prefix + "%", day, day, day, day, day)).fetchone()
            a = conn.execute(
                activity, (period.start.isoformat(), period.end.isoformat())
            ).fetchone()
        assert n is not None and a is not None
        return int(n[0]), int(a[0]), int(a[1] or 0)

    return call, conn


# ------------------------------------------------------------------ database


def shape_marker(shape: Shape) -> str:
    return json.dumps(
        {**asdict(shape), "as_of": shape.as_of.isoformat(), "generator": GENERATOR_VERSION},
        sort_keys=True,
    )


def existing_data(conn: psycopg.Connection[Any], shape: Shape) -> bool:
    try:
        row = conn.execute(f'SELECT shape FROM "{SCHEMA}".bench_shape').fetchone()
    except psycopg.errors.UndefinedTable:
        return False
    return row is not None and row[0] == shape_marker(shape)


def sizes(conn: psycopg.Connection[Any]) -> list[tuple[str, int, int, int]]:
    """(table, rows, heap bytes, index bytes) for the read-model tables in the schema."""
    out = []
    for (table,) in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s"
        " AND table_name <> 'bench_shape' ORDER BY table_name",
        (SCHEMA,),
    ).fetchall():
        qualified = f'"{SCHEMA}"."{table}"'
        n = conn.execute(f"SELECT count(*) FROM {qualified}").fetchone()
        heap, index = conn.execute(
            "SELECT pg_table_size(%s::regclass), pg_indexes_size(%s::regclass)",
            (qualified, qualified),
        ).fetchone() or (0, 0)
        out.append((table, int(n[0]) if n else 0, int(heap), int(index)))
    return out


def warm_interval() -> float:
    """The projector's report warm interval (shared.infrastructure.settings), 30 s if the tree has none."""
    try:
        from shared.infrastructure.settings import Settings

        return float(getattr(Settings, "report_warm_seconds", 30.0))
    except ImportError:
        return 30.0


def code_version() -> str:
    """The commit measured, and whether shared/ or services/ differ from it (read-only git)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "shared", "services"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    return head + (" with uncommitted changes in shared/ or services/" if dirty else " (clean)")


def settings_line(conn: psycopg.Connection[Any]) -> str:
    names = (
        "shared_buffers",
        "work_mem",
        "effective_cache_size",
        "max_parallel_workers_per_gather",
        "jit",
        "max_wal_size",
        "lc_collate",
    )
    values = [
        f"{n}={conn.execute(f'SHOW {n}').fetchone()[0]}"  # type: ignore[index]
        for n in names
    ]
    return ", ".join(values)


# ------------------------------------------------------------------ run


def cores_used(meter: CpuSampler) -> dict[str, float]:
    """The sampler's cores as this benchmark prints them."""
    cores = meter.stop()
    return {
        "machine": cores[MACHINE],
        "this benchmark and its PostgreSQL": cores["benchmark"] + cores["postgres"],
        "other work": meter.other_cores,
        "steal": cores[STEAL],
    }


def postmaster_of(conn: psycopg.Connection[Any]) -> int | None:
    """The postmaster of a local cluster, from its data directory (None if not readable)."""
    try:
        row = conn.execute("SHOW data_directory").fetchone()
        return int((Path(row[0]) / "postmaster.pid").read_text().split()[0]) if row else None
    except (OSError, ValueError, psycopg.Error):
        return None


def plan_cache_check(url: str, township: str, village: str, as_of: date, period: Any) -> str:
    """The report SQL selects by ``village_code LIKE %s`` for a township prefix and for one
    village alike. psycopg prepares a statement after 5 executions on a connection, and
    PostgreSQL may then switch to a generic plan, which cannot use the index for either."""
    text = (
        "SELECT village_code AS k, COUNT(*) AS activities, COUNT(DISTINCT org_id) AS orgs,"
        " SUM(participants) AS participants FROM activity WHERE village_code LIKE %s"
        " AND occurred_on BETWEEN %s AND %s GROUP BY 1"
    )
    dates = (period.start.isoformat(), period.end.isoformat())
    with psycopg.connect(url, options=f"-c search_path={SCHEMA}") as conn:

        def run(pattern: str) -> float:
            started = time.perf_counter()
            conn.execute(text, (pattern, *dates)).fetchall()
            return (time.perf_counter() - started) * 1000

        fresh = statistics.median(run(village) for _ in range(3))
        townships = [run(jurisdiction_module.prefix_of(township) + "%") for _ in range(10)]
        after = statistics.median(run(village) for _ in range(3))
    return (
        f"one village's activity query (the count_activity shape) on one connection: "
        f"{fresh:,.0f} ms fresh; after 10 executions for a township prefix "
        f"({statistics.median(townships):,.0f} ms each) {after:,.0f} ms"
        + (" -- generic plan: full scan" if after > 10 * fresh else "")
    )


class CounterCache:
    """The report counter cache of the tree under test (``division_version`` and
    ``counter_cache`` tables, ``readmodel.touch``), driven from outside: emptied for a cold
    report, or some villages' versions moved as the projector does when it applies events."""

    def __init__(self, db: Any, url: str, villages: list[str], seed: int) -> None:
        from shared.tier import readmodel

        self.db = db
        self.touch_one = getattr(readmodel, "touch", None)
        self.conn = psycopg.connect(url, autocommit=True, options=f"-c search_path={SCHEMA}")
        tables = {
            r[0]
            for r in self.conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (SCHEMA,),
            )
        }
        self.present = self.touch_one is not None and {"division_version", "counter_cache"} <= (
            tables
        )
        self.villages = villages
        self.rng = random.Random(f"{seed}-touch")

    def clear(self) -> None:
        if self.present:
            self.conn.execute("DELETE FROM counter_cache")

    def touch(self, k: int, among: list[str] | None = None) -> None:
        """Move the versions of ``k`` random villages (and their township and county)."""
        if not self.present or k <= 0:
            return
        pool = among or self.villages
        picked = self.rng.sample(pool, min(k, len(pool)))
        with self.db.transaction() as tx:
            for code in sorted(picked):
                self.touch_one(tx, code)

    def entries(self) -> int:
        if not self.present:
            return 0
        row = self.conn.execute("SELECT count(*) FROM counter_cache").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self.conn.close()


@dataclass
class Scenario:
    key: str
    label: str
    run: Callable[[], Any]
    prepare: Callable[[], None] | None = None  # untimed, before every run
    ms: list[float] = field(default_factory=list)

    def once(self) -> None:
        if self.prepare:
            self.prepare()
        started = time.perf_counter()
        self.run()
        self.ms.append((time.perf_counter() - started) * 1000)


QUICK = {
    "orgs": 2000,
    "events": 50_000,
    "runs": 5,
    "warmup": 1,
    "cold_runs": 3,
    "changed": "10",
    "profile_runs": 1,
    "townships": 10,
    "villages": 20,
}


def main(argv: list[str] | None = None) -> int:
    parser = cli()
    args = parse(parser, QUICK, argv)
    out = Output("county_report", args.json)
    collected: dict[str, list[float]] = {}
    with out.human():
        status = run(args, collected)
    out.add(*measures(collected, args.events))
    out.emit()
    return status


def measures(ms: dict[str, list[float]], events: int) -> list[Measure]:
    """p95 of each report scenario against the raw 2-aggregate baseline's p95."""
    base = percentile(ms["baseline"], 95) if ms.get("baseline") else None
    what = "raw 2-aggregate SQL p95"
    names = {
        "county-cold": "county_report_cold_p95",
        "township-cold": "township_report_cold_p95",
        "county-warm": "county_report_warm_p95",
        "township-warm": "township_report_warm_p95",
    }
    out = []
    for key, values in ms.items():
        if key == "baseline" or not values:
            continue
        name = names.get(key) or key.replace("-", "_report_") + "_changed_p95"
        out.append(Measure(sized(name, events), percentile(values, 95), "ms", what, base, events))
    return out


def cli() -> argparse.ArgumentParser:
    parser = parser_with_flags()
    parser.add_argument("--orgs", type=int, default=300_000, help="organisations")
    parser.add_argument("--events", type=int, default=10_000_000, help="event rows in total")
    parser.add_argument("--runs", type=int, default=30, help="measured runs per scenario")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up runs per scenario")
    parser.add_argument(
        "--cold-runs", type=int, default=5, help="measured runs with the counter cache emptied"
    )
    parser.add_argument(
        "--changed",
        default="10,100",
        help="villages whose counters are invalidated before a run (comma-separated levels)",
    )
    parser.add_argument("--profile-runs", type=int, default=3, help="instrumented runs")
    parser.add_argument("--townships", type=int, default=30)
    parser.add_argument("--villages", type=int, default=100, help="villages per township")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 9, 30))
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--url", help="use this PostgreSQL database instead of starting one")
    parser.add_argument(
        "--keep", action="store_true", help="leave the cluster running with the data"
    )
    return parser


def parser_with_flags() -> argparse.ArgumentParser:
    return measures_parser(__doc__)


def run(args: argparse.Namespace, collected: dict[str, list[float]]) -> int:
    """The exit status, after printing; ``collected`` gets each scenario's times (ms)."""
    command = "python -m bench.county_report " + shlex.join(sys.argv[1:])
    levels = [int(k) for k in args.changed.split(",") if k.strip()]
    shape = Shape(
        orgs=args.orgs,
        events=args.events,
        townships=args.townships,
        villages=args.villages,
        as_of=args.as_of,
        seed=args.seed,
    )

    began = time.monotonic()
    version = code_version()
    say(f"load average before the run: {os.getloadavg()[0]:.2f}")
    work = Path(tempfile.mkdtemp(prefix="sanji-bench-county-"))
    work.chmod(0o755)  # as root the cluster runs as `postgres`, which must reach work/pg
    pg: LocalPostgres | None = None
    keep_cluster = False
    try:
        if args.url:
            url = args.url
        else:
            pg = LocalPostgres(work / "pg").start()
            url = pg.url()
            with psycopg.connect(url, autocommit=True) as conn:
                # only the bulk load needs it: fewer checkpoints while COPY writes ~5 GB of WAL
                conn.execute("ALTER SYSTEM SET max_wal_size = '8GB'")
                conn.execute("SELECT pg_reload_conf()")
        csv = work / "county.csv"
        villages = write_jurisdiction(shape, csv)
        j = jurisdiction_module.load(csv)
        county = j.county.code
        township = j.townships()[0].code

        generated: Generated | None = None
        with psycopg.connect(url, autocommit=True) as conn:
            if existing_data(conn, shape):
                say(f"schema {SCHEMA} already holds this shape: reusing it, no generation")
                create_schema(conn, SCHEMA)  # adds tables/indexes that appeared since
                # (and fills the activity rollup from the rows: rollups.backfill, ADR 0030);
                # statistics for what was just added, as a generated schema has them
                conn.execute("ANALYZE")
            else:
                generated = generate(conn, SCHEMA, shape, villages)
                conn.execute(f'CREATE TABLE "{SCHEMA}".bench_shape (shape TEXT NOT NULL)')
                conn.execute(
                    f'INSERT INTO "{SCHEMA}".bench_shape VALUES (%s)', (shape_marker(shape),)
                )
            table_sizes = sizes(conn)
            server = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
            postmaster = postmaster_of(conn)
            pg_settings = settings_line(conn)

        as_of = shape.as_of
        period = period_of(as_of)
        rules = load_rules().in_force(as_of)
        db: Any = open_database(f"{url}?schema={SCHEMA}")
        notes = [f"division_report from {report_module().__name__}"]
        if not hasattr(db, "snapshot"):
            db = SnapshotDatabase(db)
            notes.append("store.Database has no snapshot() yet: mapped to transaction()")
        cache = CounterCache(db, url, [v.code for v in villages], shape.seed)
        notes.append(
            "report counter cache present (division_version, counter_cache, readmodel.touch)"
            if cache.present
            else "no report counter cache in this tree: every report computes from base tables"
        )
        timed = TimedDatabase(db)
        county_report = report_call(db, j, county, as_of, rules, period)
        township_report = report_call(db, j, township, as_of, rules, period)
        base, base_conn = baseline_call(url, county[:6], as_of, period)

        # consistency (and the first, cold report): the baseline computes figures it serves
        cache.clear()
        started = time.perf_counter()
        top = county_report()
        first_ms = (time.perf_counter() - started) * 1000
        if hasattr(top, "model_dump"):  # a typed report (issue 12): read it as the API's JSON
            top = top.model_dump(mode="json", by_alias=True, exclude_unset=True)
        active, activities, participants = base()
        figures = top["figures"]
        served = (
            figures["organisations"]["active"],
            figures["activity"]["activities"],
            figures["activity"]["participants"],
        )
        consistent = served == (active, activities, participants)
        size_kib = len(json.dumps(top, default=str)) / 1024
        headline = (
            f"county figures: active organisations {served[0]:,}, activities in period "
            f"{served[1]:,}, participants {served[2]:,}, zombies {figures['zombies']['count']:,},"
            f" children {len(top['children'])}, report JSON {size_kib:.0f} KiB; baseline "
            + ("agrees" if consistent else f"DISAGREES ({active}, {activities}, {participants})")
            + f"; first (cold) county report {first_ms / 1000:.1f} s"
        )
        say(headline)

        def touching(k: int) -> Callable[[], None]:
            return lambda: cache.touch(k)

        # Round order matters: every scenario leaves no stale village behind but its own
        # division's entry, so "k changed" means k villages recomputed, not more.
        scenarios = [Scenario("baseline", "raw PostgreSQL: 2 aggregates", base)]
        if cache.present:
            in_township = [v.code for v in j.villages(township)]
            for k in levels:
                k_t = min(k, len(in_township))
                scenarios.append(
                    Scenario(
                        f"township-{k_t}",
                        f"township, {k_t} of its villages changed",
                        township_report,
                        lambda k_t=k_t: cache.touch(k_t, in_township),
                    )
                )
            scenarios.append(Scenario("township-warm", "township, cache warm", township_report))
            for k in levels:
                scenarios.append(
                    Scenario(
                        f"county-{k}",
                        f"county, {k} villages changed",
                        county_report,
                        touching(k),
                    )
                )
            scenarios.append(Scenario("county-warm", "county, cache warm", county_report))
        else:
            scenarios += [
                Scenario("county", "county report", county_report),
                Scenario("township", "township report", township_report),
            ]
        cold = [
            Scenario("county-cold", "county, cache cold", county_report, cache.clear),
            Scenario("township-cold", "township, cache cold", township_report, cache.clear),
        ]

        say(f"warm-up: {args.warmup} runs of each scenario")
        for _ in range(args.warmup):
            for sc in scenarios:
                sc.once()
            for sc in scenarios:
                sc.ms.clear()
        meter = CpuSampler(postmaster, every=0.5).start()  # parallel workers live briefly
        measured_at = time.monotonic()
        for r in range(args.runs):
            for sc in scenarios:
                sc.once()
            if (r + 1) % 5 == 0 or r + 1 == args.runs:
                progress = ", ".join(
                    f"{sc.key} {statistics.median(sc.ms):.0f}" for sc in scenarios[1:]
                )
                say(f"run {r + 1} of {args.runs}, p50 so far (ms): {progress}")
        if cache.present:
            for r in range(args.cold_runs):
                for sc in cold:
                    sc.once()
                say(
                    f"cold run {r + 1} of {args.cold_runs}: county {cold[0].ms[-1] / 1000:.1f} s,"
                    f" township {cold[1].ms[-1] / 1000:.1f} s"
                )
            scenarios += cold
        cores = cores_used(meter)
        measured_for = time.monotonic() - measured_at
        base_conn.close()

        say("statement breakdowns")
        county_timed = report_call(timed, j, county, as_of, rules, period)
        township_timed = report_call(timed, j, township, as_of, rules, period)
        k0 = levels[0] if levels and cache.present else 0
        profiles = [
            breakdown(
                "county report, cache cold" if cache.present else "county report",
                county_timed,
                timed,
                1 if cache.present else args.profile_runs,
                cache.clear,
            )
        ]
        if k0:
            profiles.append(
                breakdown(
                    f"county report, {k0} villages changed",
                    county_timed,
                    timed,
                    args.profile_runs,
                    touching(k0),
                )
            )
        profiles.append(
            breakdown(
                "township report, cache cold" if cache.present else "township report",
                township_timed,
                timed,
                1 if cache.present else args.profile_runs,
                cache.clear,
            )
        )
        say("Python profile (cProfile)")
        cache.clear()
        python = [("township report, cache cold", *python_profile(township_report))]
        if k0:
            county_report()  # fill the cache again, then invalidate k0 villages
            cache.touch(k0)
            python.append((f"county report, {k0} villages changed", *python_profile(county_report)))
        say("plan cache check")
        some_village = j.villages(township)[len(j.villages(township)) // 2].code
        plan_cache = plan_cache_check(url, township, some_village, as_of, period)
        say("EXPLAIN (ANALYZE, BUFFERS) of the slowest statements of the cold county report")
        selects = [
            s for s in profiles[0].statements if s[4].sql.lstrip().upper().startswith("SELECT")
        ]
        plans = [(s[0], s[4], explain(url, s[4])) for s in selects[:3]]
        cache_entries = cache.entries()
        cache.close()
        db.close()
    except BaseException:
        keep_cluster = False
        raise
    else:
        keep_cluster = args.keep
    finally:
        if pg is not None and not keep_cluster:
            pg.stop()
            shutil.rmtree(work, ignore_errors=True)

    collected.update({sc.key: sc.ms for sc in scenarios})
    # ------------------------------------------------------------------ summary
    out = print
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    out()
    out("=" * 100)
    out("county report on PostgreSQL")
    out("=" * 100)
    out(f"command: {command}")
    out(f"code: {version}")
    out(
        f"machine: {os.cpu_count()} cores, {ram:.0f} GiB, Python {sys.version.split()[0]}, "
        f"PostgreSQL {server} " + ("(throwaway cluster)" if pg else "(--url)")
    )
    out(f"server settings: {pg_settings}")
    out("notes: " + "; ".join(notes))
    out(
        f"county: {len(j.townships())} townships, {len(villages):,} villages/communities "
        f"({sum(v.urban for v in villages):,} urban); as of {as_of}, period "
        f"{period.start}..{period.end}; rules {rules.version}"
    )
    out()
    out(f"{'table':<18}{'rows':>12}{'heap MB':>10}{'index MB':>10}")
    for table, n, heap, index in table_sizes:
        note = "" if n else "  (empty)"
        out(f"{table:<18}{n:>12,}{heap / 2**20:>10.0f}{index / 2**20:>10.0f}{note}")
    if generated is not None:
        split = " + ".join(
            f"{t} {n:,} ({100 * n / generated.events:.1f} %)" for t, n in generated.split.items()
        )
        out(f"\nevents: {generated.events:,} = {split}")
        if generated.org_history:
            out(
                f"org_history: {generated.org_history:,} field/category/charter statements of "
                f"the {generated.orgs:,} organisations' lifecycle events (not counted above)"
            )
        parts = ", ".join(f"{k} {v:.0f} s" for k, v in generated.seconds.items())
        out(f"generation: {generated.total_seconds:.0f} s ({parts})")
        if generated.unfilled:
            out(f"left empty by the generator: {', '.join(generated.unfilled)}")
    else:
        out("\ngeneration: skipped (data reused from an earlier run with the same shape)")
    out(f"\n{headline}")
    out()
    out(
        f"latency, ms: {args.runs} runs of each scenario after {args.warmup} warm-up, "
        f"interleaved round by round ({len(scenarios) - len(cold) if cache.present else len(scenarios)}"
        f" scenarios per round); cold: {args.cold_runs} runs each, counter cache emptied "
        "before each; 'N villages changed': N random villages' versions moved before the run, "
        "as the projector does when it applies their events"
    )
    out(f"{'':38}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}{'mean':>9}  p95/baseline")
    baseline = Timing(scenarios[0].label, scenarios[0].ms)
    for sc in scenarios:
        if sc.ms:
            out(row_of(Timing(sc.label, sc.ms), baseline))
    out(f"(percentiles by nearest rank: of {args.runs} runs, p99 is the maximum)")
    for sc in scenarios:
        if sc.ms and max(sc.ms) > 3 * statistics.median(sc.ms) and max(sc.ms) > 1000:
            runs = " ".join(f"{ms / 1000:.1f}" for ms in sorted(sc.ms))
            out(f"{sc.label}, every run (s): {runs}")
    if cache.present and levels:
        interval = warm_interval()
        n = len(villages)
        rates = ", ".join(
            f"{k} villages ~ {-(n / interval) * math.log(1 - min(k, n - 1) / n):.1f} events/s"
            for k in levels
        )
        out(
            f"for scale: spread evenly over {n:,} villages, the write rate that leaves k villages "
            f"changed within one {interval:g} s warm interval (SANJI_REPORT_WARM_SECONDS): {rates}"
        )
    for sc in scenarios:
        if sc.key.startswith("county") and sc.ms:
            p95 = percentile(sc.ms, 95)
            verdict = "met" if p95 < TARGET_MS else f"MISSED, {p95 / TARGET_MS:,.0f}x over"
            out(
                f"target county p95 < {TARGET_MS:.0f} ms, {sc.label}: {verdict} (p95 {p95:,.0f} ms)"
            )
    if cache.present:
        out(f"counter cache entries at the end: {cache_entries:,}")
    busy = "; ".join(f"{k} {v:.2f}" for k, v in cores.items())
    out(f"cores during the {measured_for:.0f} s of measurement (of {os.cpu_count()}): {busy}")
    out(f"plan cache: {plan_cache}")
    for b in profiles:
        out()
        out(
            f"where the time goes: {b.label} ({'mean of ' if b.runs > 1 else ''}{b.runs} "
            f"instrumented run{'s' if b.runs > 1 else ''}: {b.total_ms:,.0f} ms"
            + (f" (runs {b.fastest_ms:,.0f}..{b.slowest_ms:,.0f} ms)" if b.runs > 1 else "")
            + f"; SQL incl. fetching rows {b.sql_ms:,.0f} ms, Python outside SQL "
            f"{b.total_ms - b.sql_ms:,.0f} ms)"
        )
        out(f"  {'ms/report':>10} {'share':>6} {'calls':>6} {'rows':>9}  statement")
        for name, ms, calls, rows, _ in b.statements:
            if ms >= 0.05 * b.sql_ms / max(1, len(b.statements)) or ms > 1:
                out(
                    f"  {ms:10,.1f} {100 * ms / b.total_ms:5.1f}% {calls:6.0f} {rows:9,.0f}  {name}"
                )
    for label, profiled_ms, lines in python:
        out()
        out(
            f"Python own time, {label}, under cProfile ({profiled_ms:,.0f} ms with the "
            "profiler's overhead; read the shares):"
        )
        for line in lines:
            out("  " + line)
    for label, statement, plan in plans:
        out()
        out(f"EXPLAIN (ANALYZE, BUFFERS), slowest call of {label} in the cold county report")
        text = " ".join(statement.sql.split())
        out("  " + text[:300] + (" ..." if len(text) > 300 else ""))
        out(f"  params: {statement.params}")
        for line in plan:
            out("  | " + line)
    out(f"\ntotal wall time {time.monotonic() - began:.0f} s")
    if keep_cluster and pg is not None:
        out(
            f"cluster left running: --url {url}  (data dir {pg.dir}; stop it with "
            f"runuser -u postgres -- /usr/lib/postgresql/15/bin/pg_ctl -D {pg.dir} stop)"
        )
    return 0 if consistent else 1


if __name__ == "__main__":
    sys.exit(main())
