"""Domain events → integration envelopes (TierApplication.to_envelope)."""

from __future__ import annotations

from typing import cast
from uuid import NAMESPACE_OID, uuid5

from services.platform import Platform
from shared.kernel.domain import SanjiAggregate
from shared.kernel.integration.envelope import Envelope
from shared.kernel.integration.events import TYPES
from shared.kernel.jurisdiction import contains
from tests.helpers import (
    COUNTY,
    envelopes_by_source,
    seed_accounts,
    seed_evaluation,
    seed_history,
    seed_recount,
    seed_supervision,
    seed_training,
)


def test_every_published_type_maps_with_a_previous_position_chain(platform: Platform) -> None:
    history = seed_history(platform)
    seed_supervision(platform, history)
    seed_evaluation(platform, history)
    seed_accounts(platform)
    seed_recount(platform)
    seed_training(platform)
    for rt in platform.tiers.values():
        app = rt.app
        notifications = app.recorder.select_notifications(0, 1000)
        assert notifications, app.name
        previous = 0
        seen_types = set()
        for n in notifications:
            env = app.to_envelope(n, previous)
            event = cast(SanjiAggregate.Event, app.mapper.to_domain_event(n))
            assert env.type == app.published[type(event)]
            assert env.type.startswith(f"sanji.{app.tier}.") and env.type.endswith(".v1")
            assert (env.source, env.source_tier) == (app.name, app.tier)
            assert (env.position, env.previous_position) == (n.id, previous)
            expected_id = f"{app.name}:{event.originator_id}:{event.originator_version}"
            assert env.event_id == uuid5(NAMESPACE_OID, expected_id)
            assert app.to_envelope(n, previous).event_id == env.event_id  # stable on re-publish
            assert env.recorded_at == event.timestamp
            assert env.effective_at == event.meta.effective_at
            assert env.actor.id == event.meta.actor.id
            assert contains(COUNTY, env.division_code) and len(env.division_code) == 12
            assert isinstance(env.payload(), TYPES[env.type])
            assert Envelope.from_bytes(env.to_bytes()) == env
            seen_types.add(env.type)
            previous = n.id
        assert seen_types == set(app.published.values()), app.name


def test_child_aggregates_name_their_organisation(platform: Platform) -> None:
    history = seed_history(platform)
    envelopes = [e for es in envelopes_by_source(platform).values() for e in es]
    activities = [e for e in envelopes if e.type == "sanji.village.activity.reported.v1"]
    assert {e.organisation_id for e in activities} == {
        history.filed,
        history.upgraded,
        history.registered,
    }
    for e in activities:
        assert e.data["activity_id"] != str(e.organisation_id)
    (inspection,) = [e for e in envelopes if e.type == "sanji.township.inspection.recorded.v1"]
    (rectified,) = [e for e in envelopes if e.type == "sanji.township.rectification.completed.v1"]
    assert inspection.organisation_id == rectified.organisation_id == history.filed
    assert inspection.data["inspection_id"] == rectified.data["inspection_id"]
    funding = [e for e in envelopes if e.type == "sanji.county.funding.awarded.v1"]
    assert {e.organisation_id for e in funding} == {history.filed, history.registered}
    (upgrade,) = [
        e
        for e in envelopes
        if e.organisation_id == history.upgraded and e.type.endswith("registered.v1")
    ]
    assert upgrade.data["upgraded_from_filing"] is True


def test_event_ids_are_unique_across_tiers(platform: Platform) -> None:
    # An upgraded group's village record, filing and registration share one aggregate id, and
    # each starts at version 1: only the source tells their events apart.
    history = seed_history(platform)
    envelopes = [e for es in envelopes_by_source(platform).values() for e in es]
    firsts = [
        e
        for e in envelopes
        if e.organisation_id == history.upgraded
        and e.type.endswith(("applied.v1", "filed.v1", "registered.v1"))
    ]
    assert len(firsts) == 3
    assert len({e.event_id for e in firsts}) == 3
    assert len({e.event_id for e in envelopes}) == len(envelopes)
