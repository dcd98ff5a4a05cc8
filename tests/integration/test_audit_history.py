"""The audit history (ADR 0031): a read model as known at an instant, or at an issued report's
watermarks, read from rows versioned by recorded time, equals the one a full replay rebuilds;
a stale history is rebuilt, a tampered one is found by the check, and an instant it cannot
answer exactly (a late event) goes to the replay."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from services.platform import Platform
from shared.audit.history import AuditHistory, check
from shared.audit.issued import as_known, content_hash, known_at_report, replay
from shared.audit.rebuild import digest_tables
from shared.infrastructure.store import Database
from shared.kernel.integration.envelope import Envelope
from shared.kernel.jurisdiction import Tier
from shared.kernel.periods import resolve
from shared.kernel.rules import load_rules
from shared.tier.runtime import AppSourceReader
from tests.helpers import (
    COUNTY,
    apps,
    build_platform,
    county_op,
    meta,
    seed_history,
    source_reader,
    today_cst,
)

TODAY = today_cst()
AS_OF, PERIOD = resolve(TODAY)
RULES = load_rules().in_force(AS_OF)


def digests(db: Database) -> dict[str, str]:
    with db.snapshot() as tx:
        return {t: d.digest for t, d in digest_tables(tx).items()}


SEEDED: dict[str, Any] = {}


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    p = build_platform(tmp_path_factory.mktemp("history"))
    try:
        SEEDED["history"] = seed_history(p)
        yield p
    finally:
        p.stop()


@pytest.fixture(scope="module")
def history(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> AuditHistory:
    h = AuditHistory(tmp_path_factory.mktemp("h") / "county.db", source_reader(platform), COUNTY)
    assert h.catch_up() > 0
    return h


def recorded(reader: AppSourceReader) -> list[datetime]:
    return sorted(e.recorded_at for s in reader.names() for e in reader.read(s, 0, 100_000))


def instants(reader: AppSourceReader) -> list[datetime]:
    """Before everything, at an event, just before and after one, and after everything."""
    times = recorded(reader)
    middle = times[len(times) // 2]
    return [
        times[0] - timedelta(seconds=1),
        times[0],
        middle - timedelta(microseconds=1),
        middle,
        middle + timedelta(microseconds=1),
        times[-1] + timedelta(seconds=1),
    ]


def test_rows_as_known_at_instants_equal_the_replay(
    platform: Platform, history: AuditHistory
) -> None:
    reader = source_reader(platform)
    for at in instants(reader):
        replayed = replay(reader, COUNTY, known_at=at)
        try:
            expected = digests(replayed)
        finally:
            replayed.close()
        with history.known_at(at) as view:
            assert view is not None
            assert digests(view) == expected, at


def test_backdated_events_recorded_after_the_instant_are_not_known_at_it(
    platform: Platform, history: AuditHistory
) -> None:
    reader = source_reader(platform)
    before = recorded(reader)[-1] + timedelta(microseconds=1)
    j = platform.tiers[Tier.COUNTY].jurisdiction

    def report(at: datetime, h: AuditHistory | None) -> str:
        return content_hash(
            known_at_report(reader, j, COUNTY, AS_OF, PERIOD, RULES, "as_of", at, h)
        )

    then = report(before, None)
    # A credit listing effective weeks ago, recorded now: it changes what is known now about
    # the past, not what was known before.
    _, _, county = apps(platform)
    back = meta(county_op(), at=datetime.now(UTC) - timedelta(days=20))
    county.enter_credit_list(SEEDED["history"].registered, "abnormal", "未按时报送年报", back)
    platform.drain()
    assert history.catch_up() > 0
    now = recorded(reader)[-1] + timedelta(seconds=1)
    assert report(before, history) == then
    assert report(now, history) == report(now, None) != then


def test_an_issued_report_at_its_watermarks_equals_the_replay(
    platform: Platform, history: AuditHistory
) -> None:
    reader = source_reader(platform)
    history.catch_up()
    with sqlite3.connect(history.path) as conn:
        # Watermarks the history passed through: each source's position at some version.
        rows = conn.execute("SELECT source, position, _rf FROM h_tracking ORDER BY _rf").fetchall()
    at = rows[len(rows) // 2][2]
    with sqlite3.connect(history.path) as conn:
        marks = dict(
            conn.execute(
                "SELECT source, position FROM h_tracking WHERE _rf <= ? AND"
                " (_rt IS NULL OR _rt > ?)",
                (at, at),
            ).fetchall()
        )
    replayed = replay(reader, COUNTY, until=marks)
    try:
        expected = digests(replayed)
    finally:
        replayed.close()
    with history.at_positions(marks) as view:
        assert view is not None
        assert digests(view) == expected
    # Positions no instant had (one source ahead of where the others were then): replayed.
    ahead = {**marks, "village": reader.head("village")}
    if ahead != marks:
        with history.at_positions({**ahead, "county": 0}) as view:
            assert view is None


def test_a_stale_history_is_rebuilt_and_a_tampered_one_is_found(
    platform: Platform, tmp_path: Path
) -> None:
    reader = source_reader(platform)
    h = AuditHistory(tmp_path / "county.db", reader, COUNTY)
    total = h.catch_up()
    at = recorded(reader)[len(recorded(reader)) // 2]
    assert check(h, [at]) == []
    # Tampered: one version of an organisation's row edited in the history file.
    with sqlite3.connect(h.path) as conn:
        conn.execute("UPDATE h_org SET name = name || 'X' WHERE _rf <= ?", (at_micros(at),))
    assert any("org" in finding for finding in check(h, [at]))
    # Stale: the history says it was built from another chain (its covered link differs
    # from the store's): discarded and built again from the stores.
    with sqlite3.connect(h.path) as conn:
        conn.execute("UPDATE chain_head SET link = 'sha256:forged' WHERE source = 'village'")
    assert h.catch_up() == total
    assert check(h, [at]) == []


def at_micros(at: datetime) -> int:
    from shared.audit.history import micros

    return micros(at)


class LateReader(AppSourceReader):
    """The stores, with one event recorded (by its clock) before the events stored before it:
    the clock of another host, or a slow command."""

    def __init__(self, inner: AppSourceReader, source: str, position: int, at: datetime) -> None:
        super().__init__(inner.apps)
        self.late = (source, position, at)

    def read(self, source: str, after: int, limit: int) -> list[Envelope]:
        out = super().read(source, after, limit)
        s, p, at = self.late
        return [
            e.model_copy(update={"recorded_at": at}) if (source, e.position) == (s, p) else e
            for e in out
        ]


def test_an_instant_around_a_late_event_is_replayed(platform: Platform, tmp_path: Path) -> None:
    inner = source_reader(platform)
    times = recorded(inner)
    head = inner.head("village")
    late_at = times[len(times) // 3]
    reader = LateReader(inner, "village", head, late_at)
    h = AuditHistory(tmp_path / "county.db", reader, COUNTY)
    h.catch_up()
    inside = late_at + timedelta(microseconds=1)  # recorded by then, applied after
    with h.known_at(inside) as view:
        assert view is None
    with h.known_at(late_at - timedelta(microseconds=1)) as view:
        assert view is not None
    # The request path falls back to the replay, which knows the late event.
    with as_known(reader, COUNTY, known_at=inside, history=h) as db:
        got = digests(db)
    expected_db = replay(reader, COUNTY, known_at=inside)
    try:
        assert got == digests(expected_db)
    finally:
        expected_db.close()


def test_the_view_refuses_nothing_a_report_writes(
    platform: Platform, history: AuditHistory
) -> None:
    """A report writes its counter cache: an empty temporary table in the view."""
    reader = source_reader(platform)
    at = recorded(reader)[-1]
    j = platform.tiers[Tier.COUNTY].jurisdiction
    served = history.served
    first = known_at_report(reader, j, COUNTY, AS_OF, PERIOD, RULES, "as_of", at, history)
    assert history.served == served + 1  # from the history, not replayed
    again = known_at_report(reader, j, COUNTY, AS_OF, PERIOD, RULES, "as_of", at, None)
    assert content_hash(first) == content_hash(again)
    rows: Any = first.figures
    assert rows


def test_every_table_but_the_bookkeeping_is_versioned(history: AuditHistory) -> None:
    """A table a report reads (item 1's rollups, say) needs no listing to be versioned."""
    from shared.audit.history import BOOKKEEPING

    with sqlite3.connect(history.path) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    working = {n for n in names if not n.startswith(("h_", "_", "sqlite_"))}
    assert working >= BOOKKEEPING
    assert {n for n in working - BOOKKEEPING if f"h_{n}" not in names} == set()
    assert {f"h_{n}" for n in BOOKKEEPING} & names == set()


def test_every_table_read_key_by_key_equals_the_replay(
    platform: Platform, history: AuditHistory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seek per key (for tables of many versions per row) on every table, deleted rows
    included, gives the rows the scan gives."""
    import shared.audit.history as module

    monkeypatch.setattr(module, "SEEK_FROM", 0)
    seeking = AuditHistory(history.path, history.sources, COUNTY)  # its own view statements
    reader = source_reader(platform)
    for at in instants(reader):
        replayed = replay(reader, COUNTY, known_at=at)
        try:
            expected = digests(replayed)
        finally:
            replayed.close()
        with seeking.known_at(at) as view:
            assert view is not None
            assert digests(view) == expected, at


def test_a_deleted_row_is_there_before_and_gone_after_by_scan_and_by_seek(
    history: AuditHistory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No projection deletes rows today; the versions must still say when one went."""
    import shared.audit.history as module

    copy = tmp_path / "copy.db"
    with sqlite3.connect(history.path) as source, sqlite3.connect(copy) as target:
        source.backup(target)  # with what the write-ahead log holds
    with sqlite3.connect(copy) as conn:
        clock = conn.execute("SELECT at FROM _clock").fetchone()[0] + 1_000_000
        conn.execute("PRAGMA recursive_triggers=ON")
        conn.execute("UPDATE _clock SET at = ?", (clock,))
        gone = conn.execute("SELECT org_id FROM org ORDER BY org_id LIMIT 1").fetchone()[0]
        conn.execute("DELETE FROM org WHERE org_id = ?", (gone,))

    def orgs(h: AuditHistory, at: int) -> set[str]:
        with h._view() as conn:
            assert conn is not None
            view = module.HistoryView(conn, at, h._statements(conn))
            with view.snapshot() as tx:
                return {r["org_id"] for r in tx.all("SELECT org_id FROM org")}

    scan = AuditHistory(copy, history.sources, COUNTY)
    before, after = orgs(scan, clock - 1), orgs(scan, clock)
    assert gone in before and gone not in after and after == before - {gone}
    monkeypatch.setattr(module, "SEEK_FROM", 0)
    seek = AuditHistory(copy, history.sources, COUNTY)
    assert (orgs(seek, clock - 1), orgs(seek, clock)) == (before, after)


def test_a_damaged_history_file_is_built_again_and_the_request_answered(
    platform: Platform, tmp_path: Path
) -> None:
    reader = source_reader(platform)
    path = tmp_path / "county.db"
    path.write_bytes(b"not a database" * 100)
    h = AuditHistory(path, reader, COUNTY)
    at = recorded(reader)[-1]
    with as_known(reader, COUNTY, known_at=at, history=h) as db:
        got = digests(db)
    assert (h.served, h.replayed) == (1, 0)
    expected = replay(reader, COUNTY, known_at=at)
    try:
        assert got == digests(expected)
    finally:
        expected.close()
