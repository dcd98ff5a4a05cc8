"""The approvals lock check on an activity report (ADR 0008), on PostgreSQL: the village's
``report_activity`` with the five returns that could lock the day read in one query
(``TierApplication.find_many``, ``after``) against the same check reading them one by one (the
code before, reproduced here, ``before``), alternated round by round in one process and one
cluster, so that a busy machine slows both alike. Prints the CPU time (this process) and the
wall time per command, medians over ``--rounds``; no projector or relay runs meanwhile.

    .venv/bin/python -m bench.lock_check [--n 300] [--rounds 6] [--quick] [--json]
"""

from __future__ import annotations

import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import services.village.application as village_module
from bench.measures import Measure, Output, parse, parser
from services.init import initialise
from services.platform import Platform
from services.topology import LocalPostgres
from shared.capabilities.approvals import application as approvals
from shared.infrastructure.settings import Settings
from shared.kernel.domain import Actor, Conflict, Meta
from shared.kernel.jurisdiction import Tier

VILLAGE, TOWNSHIP = "330699001001", "330699001000"  # of the demo county's tree
FIGURES: dict[str, Any] = {
    "field": "services",
    "participants": 3,
    "volunteers": 0,
    "volunteer_services": 0,
    "volunteer_hours": Decimal(0),
    "beneficiaries": 0,
    "money_spent": Decimal(0),
}


def one_by_one(app: Any, village_code: str, day: date) -> None:
    """The lock check as it was: each candidate return's next step read on its own."""
    candidates = {
        approvals.return_id(k, village_code, label): (k, label)
        for k, label in approvals.periods_covering(day)
    }
    rows = app.return_positions(list(candidates))
    for rid, (kind, label) in candidates.items():
        position = approvals._ahead(app, rid, approvals._seen(rows.get(str(rid))))
        if position.state in approvals.LOCKING:
            raise Conflict("period_locked", f"the {kind} {label} is {position.state}")


def meta(actor: Actor, at: datetime | None = None) -> Meta:
    return Meta(actor=actor, effective_at=at or datetime.now(UTC), correlation_id=str(uuid4()))


def run(n: int, rounds: int) -> dict[str, list[tuple[float, float]]]:
    """Per variant, (CPU µs, wall µs) per command of each round."""
    checks: dict[str, Callable[..., None]] = {
        "before": one_by_one,
        "after": approvals.check_unlocked,
    }
    work = Path(tempfile.mkdtemp(prefix="sanji-bench-"))
    work.chmod(0o755)  # as root the cluster runs as `postgres`, which must reach work/pg
    pg = LocalPostgres(work / "pg")
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in checks}
    try:
        pg.start()
        settings = Settings(
            persistence="postgres",
            postgres_url=pg.url(),
            data_dir=work / "data",
            demo=False,
            daily_checkpoint=False,
            supervision_seconds=0,
            secret=secrets.token_urlsafe(48),
        )
        initialise(settings, say=False)
        platform = Platform.build(settings)
        try:
            village: Any = platform.tiers[Tier.VILLAGE].app
            township: Any = platform.tiers[Tier.TOWNSHIP].app
            clerk, officer = (
                Actor("v-bench", Tier.VILLAGE, VILLAGE),
                Actor("t-bench", Tier.TOWNSHIP, TOWNSHIP),
            )
            group = village.apply_for_filing(
                VILLAGE, "测试队", "services", date(2020, 1, 1),
                meta(clerk, datetime(2020, 6, 1, tzinfo=UTC)),
            )  # fmt: skip
            platform.drain()
            township.decide_filing(
                group.id, True, "", meta(officer, datetime(2021, 1, 1, tzinfo=UTC))
            )
            platform.drain()
            for _ in range(rounds):
                for name, check in checks.items():
                    village_module.check_unlocked = check  # type: ignore[assignment]
                    cpu, wall = time.process_time(), time.perf_counter()
                    for i in range(n):
                        day = date(2024, 1 + i % 12, 1 + i % 28)
                        village.report_activity(group.id, day, meta=meta(clerk), **FIGURES)
                    results[name].append(
                        (
                            (time.process_time() - cpu) / n * 1e6,
                            (time.perf_counter() - wall) / n * 1e6,
                        )
                    )
        finally:
            village_module.check_unlocked = approvals.check_unlocked
            platform.stop()
    finally:
        pg.stop()
        shutil.rmtree(work, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> int:
    p = parser(__doc__)
    p.add_argument("--n", type=int, default=300, help="activity reports per round and variant")
    p.add_argument("--rounds", type=int, default=6)
    args = parse(p, {"n": 150, "rounds": 3}, argv)
    out = Output("lock_check", args.json)
    with out.human():
        results = run(args.n, args.rounds)
        cpu = {k: statistics.median(r[0] for r in v) for k, v in results.items()}
        wall = {k: statistics.median(r[1] for r in v) for k, v in results.items()}
        for name in results:
            print(f"{name:>7}: CPU {cpu[name]:,.0f} µs, wall {wall[name]:,.0f} µs per command")
    what = "the lock check reading the five returns one by one"
    out.add(
        Measure("activity_report_cpu_lock_check_in_one_query", cpu["after"], "µs", what, cpu["before"]),
        Measure("activity_report_wall_lock_check_in_one_query", wall["after"], "µs", what, wall["before"]),
    )  # fmt: skip
    out.emit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
