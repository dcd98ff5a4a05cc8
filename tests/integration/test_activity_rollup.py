"""The monthly activity rollup (ADR 0030) is exactly Σ of the activity rows, kept by the
projector on SQLite and PostgreSQL, and reports read from it answer exactly what they answered
from the rows, for any division, as-of date and period (whole months, ragged ends, one day).

The history: ``seed_history`` (filings, registrations, a revocation and a deregistration, a
division change) plus activities spread over five months, several in one month, one with
mediation cases, and backdated ones recorded after later-dated ones.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from services.platform import Platform
from shared.capabilities.divisions.history import tree_from
from shared.infrastructure.projector import Deferred
from shared.infrastructure.store import Database, open_database
from shared.kernel.domain import CHINA, Actor, Meta
from shared.kernel.jurisdiction import Jurisdiction, Tier
from shared.kernel.periods import Period
from shared.kernel.rules import load_rules
from shared.reporting import monthly
from shared.reporting.model import canonical
from shared.reporting.report import division_report, organisation_report
from shared.reporting.zombies import zombie_list
from shared.tier import readmodel, rollups
from shared.tier.projector import Projector
from tests.helpers import (
    COUNTY,
    HISTORY_BACKDATE_DAYS,
    RURAL_TOWNSHIP,
    RURAL_VILLAGE,
    TOWNSHIP,
    VILLAGE,
    History,
    apps,
    build_platform,
    dump,
    envelopes_by_source,
    meta,
    seed_history,
    today_cst,
    township_op,
    village_op,
)
from tests.integration.conftest import NewStore

TODAY = today_cst()


def on(actor: Actor, days_ago: int) -> Meta:
    return meta(actor, at=datetime.combine(TODAY - timedelta(days=days_ago), time(10), CHINA))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Platform, History]]:
    p = build_platform(tmp_path_factory.mktemp("rollup"), backdate_days=HISTORY_BACKDATE_DAYS)
    history = seed_history(p)
    v, t, _ = apps(p)
    groups = {}
    for village, name in ((VILLAGE, "老年合唱团"), (RURAL_VILLAGE, "青溪护河队")):
        applied = v.apply_for_filing(
            village, name, "culture_sports", date(2020, 1, 1), on(village_op(village), 200)
        )
        p.drain()
        t.decide_filing(applied.id, True, "", on(township_op(village[:9] + "000"), 199))
        groups[village] = applied.id
    p.drain()
    # Newest first, so the older (backdated) activities are recorded after later-dated ones.
    for days_ago, village, cases in (
        (2, VILLAGE, None),
        (3, VILLAGE, (3, 2)),
        (33, VILLAGE, None),
        (64, RURAL_VILLAGE, (1, 1)),
        (64, VILLAGE, None),
        (95, VILLAGE, None),
        (126, RURAL_VILLAGE, None),
        (127, RURAL_VILLAGE, None),
    ):
        v.report_activity(
            groups[village],
            TODAY - timedelta(days=days_ago),
            "culture_sports",
            10 + days_ago,
            3,
            4,
            Decimal("2.5"),
            days_ago,
            Decimal("10.01"),
            on(village_op(village), days_ago),
            cases_taken=cases and cases[0],
            cases_resolved=cases and cases[1],
        )
    p.drain()
    # An exit: the rural group's filing cancelled 20 days ago (after its activities).
    t.cancel_filing(groups[RURAL_VILLAGE], "停止活动", on(township_op(RURAL_TOWNSHIP), 20))
    p.drain()
    yield p, history
    p.stop()


def rollup(db: Database) -> list[dict[str, Any]]:
    with db.snapshot() as tx:
        return tx.all("SELECT * FROM activity_month ORDER BY village_code, month, org_id")


def from_rows(db: Database) -> list[dict[str, Any]]:
    with db.snapshot() as tx:
        rows = tx.all(f"SELECT * FROM ({rollups.FROM_ROWS}) AS r ORDER BY 1, 3, 2")
    return [
        {k: (v if k in ("village_code", "org_id", "month") else int(v)) for k, v in r.items()}
        for r in rows
    ]


def test_the_rollup_is_the_sum_of_the_rows_on_both_engines(
    seeded: tuple[Platform, History], new_store: NewStore
) -> None:
    p, history = seeded
    live = rollup(p.tiers[Tier.COUNTY].db)
    assert live == from_rows(p.tiers[Tier.COUNTY].db)
    assert len({r["month"] for r in live}) >= 5
    same_month = [r for r in live if r["activities"] > 1]
    assert same_month, "several activities of one organisation in one month add up"
    # The cases this module's groups recorded (3 + 1); the seeded history's service centre
    # records mediation cases of its own.
    ours = [r for r in live if str(r["org_id"]) != str(history.registered)]
    assert sum(r["cases_taken"] for r in ours) == 4
    # Projected again from the stores, every envelope twice (replays change nothing).
    db = new_store()
    projector = Projector(db, COUNTY)
    for envelopes in envelopes_by_source(p).values():
        for env in envelopes:
            projector.process(env)
            projector.process(env)
    assert rollup(db) == live == from_rows(db)
    # A read model from before the rollup gets it filled once, from its rows, at start.
    with db.transaction() as tx:
        tx.execute("DELETE FROM activity_month")
        rollups.backfill(tx)
        rollups.backfill(tx)  # a no-op once filled
    assert rollup(db) == live


def test_a_bulk_batch_writes_what_one_event_at_a_time_writes(
    seeded: tuple[Platform, History], new_store: NewStore
) -> None:
    """A rebuild's and the live projector's batches hold activity rows back and write them a
    kind at a time (``Deferred.bulk``, ADR 0032 addendum): same rows, same rollup as one event
    at a time, also when an activity id comes again (in the same batch and a later one: the
    first statement of an id is the one kept, and counted once)."""
    p, _ = seeded
    merged = sorted(
        (e for envelopes in envelopes_by_source(p).values() for e in envelopes),
        key=lambda e: (e.recorded_at, e.source, e.position),
    )
    reported = [e for e in merged if e.type == "sanji.village.activity.reported.v1"]
    assert len(reported) >= 8
    again = [
        e.model_copy(
            update={
                "position": e.position + 10_000 + n,
                "chain": None,
                "data": {**e.data, "participants": 999, "themes": ["x"]},
            }
        )
        for n, e in enumerate((reported[0], reported[-1]))
    ]
    events = [*merged, *again]
    half = len(merged) // 2 + 1
    batches = [events[:half], events[half:]]  # reported[-1] comes again in the same batch
    assert reported[0] in batches[0] and again[0] in batches[1]
    one_by_one, bulk = new_store(), new_store()
    for db in (one_by_one, bulk):
        with db.transaction() as tx:
            readmodel.create_schema(tx)
    for env in events:
        with one_by_one.transaction() as tx:
            readmodel.project(tx, COUNTY, env)
    for batch in batches:
        with bulk.transaction(pipelined=True) as tx:
            deferred = Deferred(bulk=True)
            for env in batch:
                readmodel.project(tx, COUNTY, env, deferred)
            readmodel.finish(tx, deferred)
    expected = dump(one_by_one)
    assert dump(bulk) == expected
    assert rollup(bulk) == from_rows(bulk)
    assert 999 not in {r["participants"] for r in rollup(bulk)}, "a repeated id adds nothing"


def reports(p: Platform, j: Jurisdiction, history: History) -> list[Any]:
    """Canonical reports (county, township, village, organisation) and zombie lists for
    several as-of dates and periods: whole months, ragged ends, one day, across a year."""
    db = p.tiers[Tier.COUNTY].db
    first = TODAY.replace(day=1)
    periods = [
        Period(TODAY.replace(month=1, day=1), TODAY),
        Period(TODAY - timedelta(days=100), TODAY - timedelta(days=1)),
        Period(first - timedelta(days=92), first - timedelta(days=1)),
        Period(TODAY - timedelta(days=3), TODAY - timedelta(days=3)),
        Period(date(TODAY.year - 1, 11, 15), TODAY),
    ]
    out = []
    for as_of in (TODAY, TODAY - timedelta(days=40)):
        rules = load_rules().in_force(as_of)
        for period in periods:
            if period.end > as_of:
                period = Period(period.start, as_of)
            for code in (COUNTY, TOWNSHIP, VILLAGE):
                with db.transaction() as tx:
                    tx.execute("DELETE FROM counter_cache")  # every figure computed afresh
                out.append(canonical(division_report(db, j, code, as_of, period, rules)))
            for org in (history.filed, history.upgraded):
                report = organisation_report(db, j, str(org), as_of, period, rules)
                out.append(canonical(report))
        with db.snapshot() as tx:
            out.append(zombie_list(tx, COUNTY, as_of, rules, j))
    return out


def test_reports_from_the_rollup_equal_reports_from_the_rows(
    seeded: tuple[Platform, History], monkeypatch: pytest.MonkeyPatch
) -> None:
    p, history = seeded
    # The tree in force today (the seeded division change applied), as the reports API uses.
    j = tree_from(p.tiers[Tier.COUNTY].db, p.tiers[Tier.COUNTY].app.jurisdiction, TODAY)
    with_rollup = reports(p, j, history)

    def rows_only(start: date, end: date) -> monthly.Split:
        # As before the rollup: every day of the period read from the activity rows.
        return monthly.Split("9999-12", "0000-01", ((start, end),) if start <= end else ())

    monkeypatch.setattr(monthly, "split", rows_only)
    assert reports(p, j, history) == with_rollup
    counted = [r["figures"]["activity"]["activities"] for r in with_rollup if "figures" in r]
    assert max(counted) >= 5 and 0 < min(c for c in counted if c) < max(counted)


@pytest.mark.parametrize(
    ("start", "end", "months", "days"),
    [
        (date(2026, 1, 1), date(2026, 9, 30), ("2026-01", "2026-09"), ()),
        (date(2026, 1, 15), date(2026, 3, 31), ("2026-02", "2026-03"), ((15, 31),)),
        (date(2025, 12, 31), date(2026, 2, 1), ("2026-01", "2026-01"), ((31, 31), (1, 1))),
        (date(2026, 2, 2), date(2026, 2, 27), None, ((2, 27),)),
        (date(2026, 1, 20), date(2026, 2, 10), None, ((20, 10),)),
        (date(2024, 2, 1), date(2024, 2, 29), ("2024-02", "2024-02"), ()),
    ],
)
def test_a_period_splits_into_whole_months_and_ragged_days(
    start: date, end: date, months: tuple[str, str] | None, days: tuple[tuple[int, int], ...]
) -> None:
    s = monthly.split(start, end)
    if months is None:
        assert s.first_month > s.last_month
    else:
        assert (s.first_month, s.last_month) == months
    assert tuple((a.day, b.day) for a, b in s.days) == days
    covered = sum((b - a).days + 1 for a, b in s.days)
    if months is not None:
        y0, m0 = map(int, months[0].split("-"))
        y1, m1 = map(int, months[1].split("-"))
        covered += (date(y1 + m1 // 12, m1 % 12 + 1, 1) - date(y0, m0, 1)).days
    assert covered == (end - start).days + 1


@pytest.mark.postgres
def test_processes_starting_together_on_a_fresh_read_model_do_not_deadlock(
    postgres_url: str,
) -> None:
    # Every role of a tier creates the schema at start; a write of the backfill in that
    # transaction deadlocked against the others' CREATE INDEX IF NOT EXISTS locks.
    schema = f"rm_{uuid4().hex[:12]}"
    dbs = [open_database(f"{postgres_url}?schema={schema}") for _ in range(4)]
    try:
        with dbs[0].transaction() as tx:
            readmodel.create_schema(tx)
        errors: list[Exception] = []
        together = threading.Barrier(len(dbs))

        def start(db: Database) -> None:
            together.wait()
            try:
                with db.transaction() as tx:
                    readmodel.create_schema(tx)
            except Exception as e:  # noqa: BLE001 — collected and asserted below
                errors.append(e)

        threads = [threading.Thread(target=start, args=(db,)) for db in dbs]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
    finally:
        for db in dbs:
            db.close()
