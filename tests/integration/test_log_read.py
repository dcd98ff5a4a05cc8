"""A tier's log read as integration events in one query (``select_log``, ADR 0032 addendum):
byte for byte the envelopes of the three reads it replaced (notifications, chain links, stored
envelopes), on SQLite and PostgreSQL, for events stored with their envelopes and before them,
after a start or between bounds, and across the gaps rolled-back inserts leave in the ids."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import psycopg
import pytest

from services.platform import Platform
from shared.infrastructure.eventstore import ChainedRecorder, ChainedSQLiteApplicationRecorder
from shared.infrastructure.settings import Settings
from shared.kernel.integration.envelope import Envelope
from shared.tier.application import TierApplication
from tests.helpers import History, seed_history

PAGE = 5


def forget_odd_envelopes(app: TierApplication, settings: Settings | None) -> None:
    """The envelope rows of odd positions gone: half the log as stored before ADR 0032."""
    recorder = app.recorder
    if isinstance(recorder, ChainedSQLiteApplicationRecorder):
        with recorder.datastore.transaction(commit=True) as c:
            c.execute(f"DELETE FROM {recorder.envelope_table_name} WHERE position % 2 = 1")
        return
    assert settings is not None
    with psycopg.connect(settings.postgres_url, autocommit=True) as conn:
        conn.execute(f"DELETE FROM sanji_{app.tier}.{app.tier}_envelopes WHERE position % 2 = 1")


def old_read(app: TierApplication, after: int, limit: int) -> list[bytes]:
    """What ``AppSourceReader.read`` read before: notifications, then links and envelopes."""
    notifications = app.recorder.select_notifications(after, limit, inclusive_of_start=False)
    return app.envelopes(notifications, after)


def old_read_at(app: TierApplication, start: int, stop: int) -> list[bytes]:
    notifications = app.recorder.select_notifications(start, stop - start + 1, stop)
    return app.envelopes([n for n in notifications if start <= n.id <= stop], None)


def assert_reads_agree(p: Platform, settings: Settings | None) -> None:
    for rt in p.tiers.values():
        app = rt.app
        forget_odd_envelopes(app, settings)
        assert isinstance(app.recorder, ChainedRecorder)
        rows = app.recorder.select_log(0, 100_000, inclusive_of_start=False)
        ids = [n.id for n in app.recorder.select_notifications(0, 100_000)]
        assert [r.position for r in rows] == ids and len(ids) > 10
        # The event's own columns come only where there is no envelope to place.
        assert all((r.body is None) == (r.event is not None) for r in rows)
        assert {r.position % 2 for r in rows if r.body is None} == {1}
        assert all(r.link for r in rows)
        head = ids[-1]
        after, pages = 0, 0
        while True:
            new = app.placed_envelopes(after, PAGE, previous_position=after)
            assert [raw for _, raw in new] == old_read(app, after, PAGE)
            if not new:
                break
            after, pages = new[-1][0], pages + 1
        assert after == head and pages == -(-len(ids) // PAGE)
        for start, stop in [(1, 3), (4, 4), (2, 9), (head - 1, head + 5), (head + 1, head + 3)]:
            new = app.placed_envelopes(
                start, stop - start + 1, stop, inclusive_of_start=True, previous_position=None
            )
            assert [raw for _, raw in new] == old_read_at(app, start, stop)
            assert [pos for pos, _ in new] == [i for i in ids if start <= i <= stop]


def test_one_query_reads_what_the_three_reads_did_on_sqlite(tmp_path: Path) -> None:
    p = Platform.build(
        Settings(
            persistence="sqlite",
            data_dir=tmp_path,
            daily_checkpoint=False,
            supervision_seconds=0,
            rate_limit_per_second=0,
        )
    )
    try:
        seed_history(p)
        assert_reads_agree(p, None)
    finally:
        p.stop()


@pytest.mark.postgres
def test_one_query_reads_what_the_three_reads_did_on_postgres(
    pg_settings: Settings, pg_seeded: tuple[Platform, History]
) -> None:
    p, _ = pg_seeded
    assert_reads_agree(p, pg_settings)


@pytest.mark.postgres
def test_a_gap_in_the_ids_is_stepped_over_and_named_by_previous_position(
    pg_settings: Settings, pg_seeded: tuple[Platform, History]
) -> None:
    p, _ = pg_seeded
    app = next(iter(p.tiers.values())).app
    before = app.recorder.max_notification_id() or 0
    with psycopg.connect(pg_settings.postgres_url, autocommit=True) as conn:
        sequence = (
            f"pg_get_serial_sequence('sanji_{app.tier}.{app.tier}_events', 'notification_id')"
        )
        for _ in range(3):  # what three rolled-back inserts leave: ids never used
            conn.execute(f"SELECT nextval({sequence})")
    assert app.record_checkpoint(date(2031, 1, 1), {}) is not None
    ((position, raw),) = app.placed_envelopes(before, 1, previous_position=before)
    assert position == before + 4
    envelope = Envelope.model_validate_json(raw)
    assert (envelope.position, envelope.previous_position) == (before + 4, before)
    assert [raw] == old_read(app, before, 1)
    assert app.placed_envelopes(before + 1, 2, before + 3, previous_position=None) == []
