"""Commands/s over HTTP to one tier's API, against raw inserts measured in the same run.

Issue 15's first and third rows: the village API alone (``services run --tier village --role
api``, uvicorn as in production; no relay or projector running), driven closed-loop by
``--clients`` HTTP client threads each sending ``POST /api/v1/filing-applications`` one after
the other, on PostgreSQL and on the embedded SQLite store. Baselines, interleaved round by
round: raw psycopg single-row ``INSERT`` + commit from as many threads (PostgreSQL), and raw
SQLite single-row inserts, one transaction each, on one connection (SQLite allows one writer).
The best round is reported: other work on a shared machine only ever slows a measurement down.

    .venv/bin/python -m bench.http_commands [--n 1600] [--clients 16] [--rounds 3] [--quick] [--json]
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

    def __init__(self, env: dict[str, str], work: Path) -> None:
        env = {**env, "SANJI_RATE_LIMIT_PER_SECOND": "0"}  # measure commands, not the limiter
        self.topology = Topology(env, work)
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


def run(args: argparse.Namespace) -> dict[str, list[float]]:
    """Commands/s per round of each row, after printing them."""
    print(f"[bench] load average before the run: {os.getloadavg()[0]:.2f}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="sanji-bench-http-"))
    work.chmod(0o755)  # as root the cluster runs as `postgres`, which must reach work/pg
    pg = LocalPostgres(work / "pg")
    broker = LocalBroker(log=work / "broker.log")
    apis: list[VillageApi] = []
    results: dict[str, list[float]] = {
        "raw_pg": [],
        "http_pg": [],
        "raw_sqlite": [],
        "http_sqlite": [],
    }
    try:
        pg.start()
        broker.start()
        pg_env = topology_env(pg, broker, work / "pg-data", {t: free_port() for t in Tier})
        (work / "pg-logs").mkdir()
        postgres = VillageApi(pg_env, work / "pg-logs")
        apis.append(postgres)
        sqlite_env = {
            **{k: v for k, v in pg_env.items() if not k.startswith("SANJI_")},
            **{f"SANJI_{t.upper()}_PORT": str(free_port()) for t in Tier},
            "SANJI_PERSISTENCE": "sqlite",
            "SANJI_DATA_DIR": str(work / "sqlite-data"),
            "SANJI_SECRET": secrets.token_urlsafe(48),
        }
        (work / "sqlite-logs").mkdir()
        embedded = VillageApi(sqlite_env, work / "sqlite-logs")
        apis.append(embedded)
        raw_sqlite = RawSqlite(work / "raw.db")
        print("[bench] PostgreSQL and SQLite village APIs up", flush=True)
        postgres.command()(0)  # warm-up: first request opens pools and imports lazily
        embedded.command()(0)
        for r in range(args.rounds):
            with RawInserts(pg.url(), f"raw_{r}") as raw:
                results["raw_pg"].append(rate(args.clients, args.n, raw.insert))
            results["http_pg"].append(rate(args.clients, args.n, postgres.command()))
            results["raw_sqlite"].append(rate(args.clients, args.n, raw_sqlite.insert))
            results["http_sqlite"].append(rate(args.clients, args.n, embedded.command()))
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
    out.emit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
