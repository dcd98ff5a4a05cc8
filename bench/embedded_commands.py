"""Embedded default: durable village commands/s against baselines measured in the same run.

Baselines: raw SQLite inserts of one ~350-byte row per transaction (the physical floor), and a
plain eventsourcing application saving one small aggregate per command on the same SQLite setup.
Sanji's figure adds validation, the jurisdiction check, the idempotency lookup and Meta.

    .venv/bin/python -m bench.embedded_commands [--n 2000] [--quick] [--json]
"""

from __future__ import annotations

import sqlite3
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from bench.measures import Measure, Output, parse, parser
from services.platform import Platform
from shared.infrastructure.settings import Settings
from shared.kernel.domain import Actor, Meta
from shared.kernel.jurisdiction import Tier


class Plain(Aggregate):
    @event("Created")
    def __init__(self, name: str) -> None:
        self.name = name


def rate(n: int, fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    for i in range(n):
        fn(i)
    return n / (time.perf_counter() - start)


def raw_sqlite(tmp: Path, n: int) -> float:
    conn = sqlite3.connect(tmp / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)")
    body = b"x" * 350
    return rate(n, lambda i: conn.execute("INSERT INTO t (body) VALUES (?)", (body,)))


def plain_app(tmp: Path, n: int) -> float:
    app: Application = Application(
        env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp / "plain.db")}
    )
    return rate(n, lambda i: app.save(Plain(name=f"group {i}")))


def sanji_village(tmp: Path, n: int) -> float:
    platform = Platform.build(Settings(persistence="sqlite", data_dir=tmp / "sanji", demo=False))
    village = platform.tiers[Tier.VILLAGE].app
    code = platform.jurisdiction.villages()[0].code
    actor = Actor("bench", Tier.VILLAGE, code)
    now = datetime.now(UTC)

    def command(i: int) -> None:
        meta = Meta(actor, now, f"bench-{i}")
        village.apply_for_filing(code, f"group {i}", "services", date(2025, 1, 1), meta)  # type: ignore[attr-defined]

    try:
        return rate(n, command)
    finally:
        platform.stop()


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--n", type=int, default=2000)
    args = parse(p, {"n": 500}, argv)
    n = args.n
    out = Output("embedded_commands", args.json)
    with out.human():
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            raw, plain, sanji = raw_sqlite(tmp, n), plain_app(tmp, n), sanji_village(tmp, n)
        print(f"commands: {n} each, one durable transaction per command, SQLite WAL")
        print(f"raw SQLite insert        {raw:9.0f}/s  1.00")
        print(f"plain eventsourcing app  {plain:9.0f}/s  {plain / raw:.2f} of raw")
        print(
            f"Sanji village command    {sanji:9.0f}/s  {sanji / raw:.2f} of raw, "
            f"{sanji / plain:.2f} of plain"
        )
    # In-process, one client: issue 15's embedded row is over HTTP with 16 clients (its own
    # measure name and goal), so this one carries no goal.
    out.add(
        Measure(
            "embedded_plain_eventsourcing@1client", plain, "commands/s", "raw SQLite insert", raw
        ),
        Measure("embedded_village_command@1client", sanji, "commands/s", "raw SQLite insert", raw),
    )
    out.emit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
