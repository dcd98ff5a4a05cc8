"""On PostgreSQL: the ledger import reads a chunk's aggregates in bulk and stores a chunk's
events in one transaction (services/ledger_import/bulk.py); pipelined read-model transactions
(the projector's batches, the rebuild) keep every guarantee of a plain one."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from services.ledger_import.run import Import
from services.ledger_import.template import write_xlsx
from services.platform import Platform
from shared.infrastructure.eventstore import ChainedPostgresApplicationRecorder
from shared.infrastructure.settings import Settings
from shared.infrastructure.store import IntegrityConflict, open_database
from shared.kernel.jurisdiction import Tier
from tests.e2e.test_ledger_import import activity, count, fill, good_ledger
from tests.helpers import heads

pytestmark = pytest.mark.postgres

ACTIVITIES = 250


def test_a_pipelined_transaction_reads_its_writes_and_rolls_back_on_a_conflict(
    fresh_database: str,
) -> None:
    db = open_database(f"{fresh_database}?schema=pipelined")
    try:
        with db.transaction() as tx:
            tx.execute("CREATE TABLE t (id integer PRIMARY KEY, v text)")
        with db.transaction(pipelined=True) as tx:
            tx.write("INSERT INTO t VALUES (%s, %s)", (1, "a"))
            assert tx.one("SELECT v FROM t WHERE id = %s", (1,)) == {"v": "a"}  # its own write
            assert tx.execute("UPDATE t SET v = 'b' WHERE id = %s", (1,)) == 1  # a row count
            assert tx.execute("UPDATE t SET v = 'c' WHERE id = %s", (2,)) == 0
        with pytest.raises(IntegrityConflict), db.transaction(pipelined=True) as tx:
            tx.write("INSERT INTO t VALUES (%s, %s)", (2, "x"))
            tx.write("INSERT INTO t VALUES (%s, %s)", (1, "duplicate"))  # answered later
            tx.write("INSERT INTO t VALUES (%s, %s)", (3, "y"))
        with db.transaction() as tx:
            assert tx.all("SELECT id, v FROM t ORDER BY id") == [{"id": 1, "v": "b"}]
    finally:
        db.close()


def test_a_pipelined_read_gets_its_own_rows_when_earlier_answers_arrive_during_it(
    fresh_database: str,
) -> None:
    """The answers to queued writes can reach the client while a read is being sent (the
    server flushes them as its buffer fills, here while the client sleeps): they must not be
    taken for the read's answer ("the last operation didn't produce records (INSERT 0 1)",
    a million-event rebuild's ``add_activities``)."""
    import time

    db = open_database(f"{fresh_database}?schema=pipelined_reads")
    try:
        with db.transaction() as tx:
            tx.execute("CREATE TABLE t (id integer PRIMARY KEY)")
        with db.transaction(pipelined=True) as tx:
            for i in range(500):  # slow on the server, so that it lags behind the client
                tx.write("INSERT INTO t SELECT %s FROM pg_sleep(0.0002)", (i,))
            time.sleep(0.4)  # the server finishes and flushes its answers meanwhile
            assert tx.all("SELECT id FROM t WHERE id IN (%s, %s) ORDER BY id", (3, 4)) == [
                {"id": 3},
                {"id": 4},
            ]
            assert tx.one("SELECT count(*) AS n FROM t") == {"n": 500}
    finally:
        db.close()


def test_the_import_reads_a_chunk_in_bulk_and_stores_it_in_one_transaction(
    pg_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = good_ledger()
    ledger["活动"] = [
        activity(f"HD-{i:04d}", "ZZ-1", f"2021-{i % 12 + 1:02d}-{i % 28 + 1:02d}", 10 + i % 50)
        for i in range(ACTIVITIES)
    ]
    path = fill(write_xlsx(tmp_path / "模板.xlsx"), ledger, tmp_path / "台账.xlsx")
    calls = {"one": 0, "bulk": 0, "insert": 0}
    one, bulk = (
        ChainedPostgresApplicationRecorder.select_events,
        (ChainedPostgresApplicationRecorder.select_events_of),
    )
    insert = ChainedPostgresApplicationRecorder.insert_events

    def counted(name: str, method: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return method(*args, **kwargs)

        return call

    platform = Platform.build(pg_settings)
    try:
        before = heads(platform)[Tier.VILLAGE]
        monkeypatch.setattr(
            ChainedPostgresApplicationRecorder, "select_events", counted("one", one)
        )
        monkeypatch.setattr(
            ChainedPostgresApplicationRecorder, "select_events_of", counted("bulk", bulk)
        )
        monkeypatch.setattr(
            ChainedPostgresApplicationRecorder, "insert_events", counted("insert", insert)
        )
        first = Import(platform, path).run()
        assert first.refused == 0, first.errors[:3]
        assert first.tallies["活动"].recorded == ACTIVITIES
        # ~5 aggregates read per activity one by one would be > 1,250 reads; in bulk, a few
        # per chunk of 100 rows (at each tier), plus what a guess missed.
        assert calls["one"] < ACTIVITIES // 10, calls
        assert calls["bulk"] < 60, calls
        # The activities' events: one insert per chunk, not one per activity.
        assert heads(platform)[Tier.VILLAGE] - before >= ACTIVITIES
        assert calls["insert"] < 40, calls
        assert count(platform, "SELECT count(*) FROM activity") == ACTIVITIES
        again = Import(platform, path).run()
        assert again.tallies["活动"].present == ACTIVITIES and again.refused == 0
    finally:
        platform.stop()


def test_another_process_s_insert_wakes_a_listening_relay(pg_settings: Settings) -> None:
    """The production relay's "listen" loop (issue 15 item 4): an insert by another
    application on the same store (the API process) wakes it through PostgreSQL NOTIFY, long
    before its idle poll would look again."""
    from services.village.application import VillageApplication
    from shared.infrastructure.eventstore import listen_for_inserts, notifies
    from tests.helpers import VILLAGE, meta, village_op

    platform = Platform.build(pg_settings)
    runtime = platform.tiers[Tier.VILLAGE]
    api_process = VillageApplication(
        platform.jurisdiction, env=pg_settings.event_store_env(Tier.VILLAGE)
    )
    woken, stopped = threading.Event(), threading.Event()
    listener = threading.Thread(
        target=listen_for_inserts, args=(runtime.app.recorder, woken.set, stopped), daemon=True
    )
    try:
        assert notifies(runtime.app.recorder)
        listener.start()
        assert woken.wait(5.0)  # LISTEN is in place: it wakes once for what came before
        woken.clear()
        api_process.apply_for_filing(
            VILLAGE, "甲队", "为民服务", date(2025, 1, 1), meta(village_op())
        )
        assert woken.wait(2.0)  # the insert's NOTIFY, not a poll: nothing else sets it
    finally:
        stopped.set()
        listener.join(timeout=2)
        api_process.close()
        platform.stop()
    assert not listener.is_alive()


def test_an_activity_s_lock_check_reads_the_five_returns_in_one_query(
    pg_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``check_unlocked`` looks for a step this tier took beyond its read model on each of the
    five returns that could lock the day (month, quarter, half, year, annual statistics): one
    ``select_events_of``, where it was five single-aggregate reads per activity (issue 15)."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from tests.helpers import VILLAGE, apps, meta, township_op, village_op

    platform = Platform.build(pg_settings)
    try:
        v, t, _ = apps(platform)
        group = v.apply_for_filing(
            VILLAGE, "文昌合唱团", "services", date(2020, 1, 1),
            meta(village_op(), at=datetime(2020, 6, 1, tzinfo=UTC)),
        )  # fmt: skip
        platform.drain()
        t.decide_filing(
            group.id, True, "", meta(township_op(), at=datetime(2021, 1, 1, tzinfo=UTC))
        )
        platform.drain()
        calls: dict[str, list[int]] = {"one": [], "bulk": []}
        one = ChainedPostgresApplicationRecorder.select_events
        bulk = ChainedPostgresApplicationRecorder.select_events_of

        def count_one(self: Any, originator_id: Any, *args: Any, **kwargs: Any) -> Any:
            calls["one"].append(1)
            return one(self, originator_id, *args, **kwargs)

        def count_bulk(self: Any, ids: Any) -> Any:
            calls["bulk"].append(len(ids))
            return bulk(self, ids)

        monkeypatch.setattr(ChainedPostgresApplicationRecorder, "select_events", count_one)
        monkeypatch.setattr(ChainedPostgresApplicationRecorder, "select_events_of", count_bulk)
        result = v.report_activity(
            group.id,
            occurred_on=date(2024, 5, 1),
            field="services",
            participants=3,
            volunteers=0,
            volunteer_services=0,
            volunteer_hours=Decimal(0),
            beneficiaries=0,
            money_spent=Decimal(0),
            meta=meta(village_op()),
        )
        assert result.version == 1
        assert calls["bulk"] == [5], calls  # the five candidates' next steps, at once
        assert len(calls["one"]) <= 2, calls  # the group, and the idempotency look-up at most
    finally:
        platform.stop()
