"""Commands/s over HTTP to one tier's API, against raw inserts measured in the same run.

Issue 15's first and third rows: the village API alone (``services run --tier village --role
api``, uvicorn as in production; no relay or projector running), driven closed-loop by
``--clients`` HTTP client threads each sending ``POST /api/v1/filing-applications`` one after
the other, on PostgreSQL and on the embedded SQLite store. Baselines, interleaved round by
round: raw psycopg single-row ``INSERT`` + commit from as many threads (PostgreSQL), and raw
SQLite single-row inserts, one transaction each, on one connection (SQLite allows one writer).
The best round is reported: other work on a shared machine only ever slows a measurement down.

``--old-tree DIR`` also runs the village API from the source tree ``DIR`` (e.g.
``git archive <commit> | tar -x -C DIR``), against its own database, interleaved with the rest
round by round: before and after a change, measured in the same time window. Its measures are
named ``…@old_tree``. Python packages come from this environment; to measure code that ran
without one of them, put a package ``DIR/<name>/__init__.py`` that raises ImportError.

    .venv/bin/python -m bench.http_commands [--n 1600] [--clients 16] [--rounds 3] [--quick]
        [--json] [--old-tree DIR]
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from bench.durable_commands import RawInserts, rate
from bench.freshness import Client
from bench.measures import Measure, Output, parse, parser
from services.topology import LocalBroker, LocalPostgres, Topology, free_port, topology_env
from shared.capabilities.identity.passwords import hash_password
from shared.capabilities.identity.provision import ensure_account, token_for
from shared.capabilities.identity.tokens import Keyring
from shared.infrastructure.settings import Settings
from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Tier, load


def village_token(settings: Settings, actor: Actor) -> str:
    """A bearer token of ``actor``'s account, opened in the village store (ADR 0012)."""
    from services.platform import BOOTSTRAPS

    app = BOOTSTRAPS[Tier.VILLAGE].APPLICATION(
        load(settings.jurisdiction_file), env=settings.event_store_env(Tier.VILLAGE)
    )
    try:
        account = ensure_account(
            app, actor.id, actor.id, actor.division, (actor.role,), hash_password("Bench-pw-1")
        )
        return token_for(Keyring(settings.secret), account, app.clock())
    finally:
        app.close()


class VillageApi:
    """The village API process of a topology environment, with a token per village."""

    def __init__(self, env: dict[str, str], work: Path, tree: Path | None = None) -> None:
        env = {**env, "SANJI_RATE_LIMIT_PER_SECOND": "0"}  # measure commands, not the limiter
        self.topology = Topology(env, work, cwd=tree)
        self.topology.init()
        settings = Settings.from_env(env)
        villages = [v.code for v in load(settings.jurisdiction_file).villages()][:16]
        self.tokens = [
            (code, village_token(settings, Actor(f"village-{code}", Tier.VILLAGE, code)))
            for code in villages
        ]
        self.topology.start(Tier.VILLAGE, "api")
        self.client = Client(self.topology.port(Tier.VILLAGE))
        self.serial = 0
        self.lock = threading.Lock()

    def command(self) -> Callable[[int], Any]:
        with self.lock:
            self.serial += 1
            run = self.serial

        def apply(i: int) -> None:
            code, token = self.tokens[i % len(self.tokens)]
            body = {
                "village_code": code,
                "name": f"http group {run}-{i}",
                "field": "culture_sports",
                "founded_on": "2025-01-01",
            }
            status, out = self.client.post("/api/v1/filing-applications", body, token)
            if status != 201:
                raise RuntimeError(f"{status} {out}")

        return apply

    def stop(self) -> None:
        self.topology.stop_all()


class RawSqlite:
    """One ~350-byte row per transaction on one connection (WAL, as the embedded store)."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body BLOB)")
        self.body = os.urandom(350)
        self.lock = threading.Lock()

    def insert(self, i: int) -> None:
        with self.lock:
            self.conn.execute("INSERT INTO t (body) VALUES (?)", (self.body,))


def sqlite_env(pg_env: dict[str, str], data: Path) -> dict[str, str]:
    """The embedded store's environment: the same ports scheme, no PostgreSQL or broker."""
    return {
        **{k: v for k, v in pg_env.items() if not k.startswith("SANJI_")},
        **{f"SANJI_{t.upper()}_PORT": str(free_port()) for t in Tier},
        "SANJI_PERSISTENCE": "sqlite",
        "SANJI_DATA_DIR": str(data),
        "SANJI_SECRET": secrets.token_urlsafe(48),
    }


def run(args: argparse.Namespace) -> dict[str, list[float]]:
    """Commands/s per round of each row, after printing them."""
    print(f"[bench] load average before the run: {os.getloadavg()[0]:.2f}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="sanji-bench-http-"))
    work.chmod(0o755)  # as root the cluster runs as `postgres`, which must reach work/pg
    pg = LocalPostgres(work / "pg")
    broker = LocalBroker(log=work / "broker.log")
    apis: list[VillageApi] = []
    old: Path | None = args.old_tree
    results: dict[str, list[float]] = {
        "raw_pg": [],
        "http_pg": [],
        "raw_sqlite": [],
        "http_sqlite": [],
    }
    if old is not None:
        results |= {"old_http_pg": [], "old_http_sqlite": []}
    try:
        pg.start()
        broker.start()
        pg_env = topology_env(pg, broker, work / "pg-data", {t: free_port() for t in Tier})
        (work / "pg-logs").mkdir()
        postgres = VillageApi(pg_env, work / "pg-logs")
        apis.append(postgres)
        (work / "sqlite-logs").mkdir()
        embedded = VillageApi(sqlite_env(pg_env, work / "sqlite-data"), work / "sqlite-logs")
        apis.append(embedded)
        runs: dict[str, Callable[[], Callable[[int], Any]]] = {
            "http_pg": postgres.command,
            "http_sqlite": embedded.command,
        }
        if old is not None:
            with psycopg.connect(pg.url(), autocommit=True) as conn:
                conn.execute("CREATE DATABASE sanji_old")
            old_env = {
                **topology_env(pg, broker, work / "old-pg-data", {t: free_port() for t in Tier}),
                "SANJI_POSTGRES_URL": pg.url("sanji_old"),
            }
            (work / "old-logs").mkdir()
            old_pg = VillageApi(old_env, work / "old-logs", old)
            apis.append(old_pg)
            old_sqlite = VillageApi(
                sqlite_env(pg_env, work / "old-sqlite-data"), work / "old-logs", old
            )
            apis.append(old_sqlite)
            runs |= {"old_http_pg": old_pg.command, "old_http_sqlite": old_sqlite.command}
        raw_sqlite = RawSqlite(work / "raw.db")
        print(f"[bench] village APIs up: {', '.join(runs)}", flush=True)
        for warm in runs.values():
            warm()(0)  # warm-up: first request opens pools and imports lazily
        for r in range(args.rounds):
            with RawInserts(pg.url(), f"raw_{r}") as raw:
                results["raw_pg"].append(rate(args.clients, args.n, raw.insert))
            results["raw_sqlite"].append(rate(args.clients, args.n, raw_sqlite.insert))
            # Old and new alternate which goes first, so neither always gets the quieter turn.
            order = list(runs) if r % 2 == 0 else list(reversed(runs))
            for name in order:
                results[name].append(rate(args.clients, args.n, runs[name]()))
            print(
                f"[bench] round {r + 1}: "
                + ", ".join(f"{k} {v[-1]:,.0f}/s" for k, v in results.items()),
                flush=True,
            )
    finally:
        for api in apis:
            api.stop()
        broker.stop()
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--n", type=int, default=1600, help="commands per measurement")
    p.add_argument("--clients", type=int, default=16, help="HTTP client threads")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument(
        "--old-tree", type=Path, default=None, help="also run the API of this source tree"
    )
    args = parse(p, {"n": 480, "rounds": 2}, argv)
    out = Output("http_commands", args.json)
    with out.human():
        results = run(args)
    best = {k: max(v) for k, v in results.items()}
    c = args.clients
    out.add(
        Measure(
            f"http_commands_village@{c}clients",
            best["http_pg"],
            "commands/s",
            "raw psycopg INSERT+COMMIT",
            best["raw_pg"],
        ),
        Measure(
            f"embedded_http_commands_village@{c}clients",
            best["http_sqlite"],
            "commands/s",
            "raw SQLite insert, 1 connection",
            best["raw_sqlite"],
        ),
    )
    if args.old_tree is not None:
        out.add(
            Measure(
                f"http_commands_village@{c}clients@old_tree",
                best["old_http_pg"],
                "commands/s",
                "raw psycopg INSERT+COMMIT",
                best["raw_pg"],
            ),
            Measure(
                f"embedded_http_commands_village@{c}clients@old_tree",
                best["old_http_sqlite"],
                "commands/s",
                "raw SQLite insert, 1 connection",
                best["raw_sqlite"],
            ),
        )
    out.emit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
