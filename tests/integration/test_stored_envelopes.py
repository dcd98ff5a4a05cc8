"""Envelopes stored with their events (ADR 0032), on PostgreSQL: each published event's
integration envelope is written in the transaction that stores the event; the relay publishes
it as stored and a rebuild reads it without decoding the event; events stored before that
(no envelope row) are read the old way, to the same envelopes; ``verify`` names an envelope
altered behind the application's back."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from services.platform import Platform
from shared.audit.verify import verify_stores
from shared.infrastructure.settings import Settings
from shared.kernel.integration.envelope import Envelope
from shared.tier.runtime import AppSourceReader
from tests.helpers import History

pytestmark = pytest.mark.postgres


def sql(settings: Settings, statement: str, params: tuple[object, ...] = ()) -> list[Any]:
    with psycopg.connect(settings.postgres_url, autocommit=True) as conn:
        cur = conn.execute(statement, params)
        return cur.fetchall() if cur.description else []


def read_all(p: Platform) -> dict[str, list[Envelope]]:
    reader = AppSourceReader({rt.app.name: rt.app for rt in p.tiers.values()})
    return {s: reader.read(s, 0, 100_000) for s in reader.names()}


def test_every_event_is_stored_with_the_envelope_its_event_makes(
    pg_settings: Settings, pg_seeded: tuple[Platform, History]
) -> None:
    p, _ = pg_seeded
    for tier, rt in p.tiers.items():
        app = rt.app
        notifications = app.recorder.select_notifications(0, 100_000)
        (count,) = sql(pg_settings, f"SELECT count(*) FROM sanji_{tier}.{tier}_envelopes")[0]
        assert count == len(notifications) > 0  # every event this tier stores is published
        links = app.links(notifications)
        stored = [Envelope.from_bytes(raw) for raw in app.envelopes(notifications, 0)]
        previous = 0
        for n, envelope in zip(notifications, stored, strict=True):
            assert envelope == app.to_envelope(n, previous, links[n.id])
            previous = n.id


def test_the_relay_and_the_rebuild_read_stored_envelopes_without_decoding_events(
    pg_seeded: tuple[Platform, History], monkeypatch: pytest.MonkeyPatch
) -> None:
    p, _ = pg_seeded
    before = read_all(p)

    def no_decoding(*args: object) -> None:
        raise AssertionError("an event was decoded to read its envelope")

    for rt in p.tiers.values():
        monkeypatch.setattr(rt.app.mapper, "to_domain_event", no_decoding)
    assert read_all(p) == before
    reader = AppSourceReader({rt.app.name: rt.app for rt in p.tiers.values()})
    source = next(iter(before))
    positions = [e.position for e in before[source][2:7:2]]
    assert reader.read_at(source, positions) == [
        e.model_copy(update={"previous_position": e.position - 1})
        for e in before[source]
        if e.position in positions
    ]


def test_events_stored_before_envelopes_read_the_same(
    pg_settings: Settings, pg_seeded: tuple[Platform, History]
) -> None:
    """A store written before ADR 0032 has no envelope rows: its events are decoded, as before,
    to the very envelopes stored ones give."""
    p, _ = pg_seeded
    before = read_all(p)
    for tier in p.tiers:
        # Half of each log "old": the envelope rows of odd positions gone.
        sql(pg_settings, f"DELETE FROM sanji_{tier}.{tier}_envelopes WHERE position %% 2 = 1")
    assert read_all(p) == before


def test_verify_names_an_altered_envelope(
    pg_settings: Settings, pg_seeded: tuple[Platform, History]
) -> None:
    p, history = pg_seeded
    ((at,),) = sql(
        pg_settings,
        "SELECT notification_id FROM sanji_county.county_events"
        " WHERE originator_id = %s AND originator_version = 1",
        (history.registered,),
    )
    # Someone with the database's credentials moves what the county relays to another division.
    sql(
        pg_settings,
        "UPDATE sanji_county.county_envelopes SET body = convert_to(jsonb_set("
        "convert_from(body, 'UTF8')::jsonb, '{division_code}', '\"330699999999\"')::text, 'UTF8')"
        " WHERE position = %s",
        (at,),
    )
    apps = {rt.app.name: rt.app for rt in p.tiers.values()}
    findings = verify_stores(apps).findings
    assert [(f.source, f.kind, f.position) for f in findings] == [
        ("county", "envelope_altered", at)
    ]
    assert str(history.registered) in findings[0].event
