"""Stored events of an older class version still load (ADR 0002): version 1 of a group's
application and of a registration had no ``category``; the upcasters make them general."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from eventsourcing.persistence import StoredEvent

from services.platform import Platform
from shared.jurisdiction import Tier
from tests.helpers import VILLAGE, apps, county_op, meta, usci, village_op


def as_version_1(stored: StoredEvent) -> StoredEvent:
    """The stored event as version 1 wrote it: no category, no class_version marker."""
    state: dict[str, Any] = json.loads(stored.state)
    assert state.pop("class_version") == 2
    del state["category"]
    return StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=json.dumps(state).encode(),
    )


def first_stored_event(platform: Platform, tier: Tier) -> tuple[Any, StoredEvent]:
    app = platform.tiers[tier].app
    (notification,) = app.recorder.select_notifications(0, 1)
    return app, notification


def test_a_version_1_filing_application_loads_as_a_general_group(platform: Platform) -> None:
    v = apps(platform)[0]
    v.apply_for_filing(
        VILLAGE,
        "乡贤参事会",
        "self_governance",
        date(2025, 1, 1),
        meta(village_op()),
        category="village_sage_council",
    )
    app, stored = first_stored_event(platform, Tier.VILLAGE)
    assert app.mapper.to_domain_event(stored).category == "village_sage_council"
    old = app.mapper.to_domain_event(as_version_1(stored))
    assert old.category == "general" and old.name == "乡贤参事会"
    envelope = app.to_envelope(stored, 0)
    assert envelope.data["category"] == "village_sage_council"


def test_a_version_1_registration_loads_as_a_general_organisation(platform: Platform) -> None:
    c = apps(platform)[2]
    c.register(usci(1), "社工站", "services", VILLAGE, None, meta(county_op()))
    app, stored = first_stored_event(platform, Tier.COUNTY)
    old = app.mapper.to_domain_event(as_version_1(stored))
    assert old.category == "general" and old.usci == usci(1)


def test_a_version_1_daily_checkpoint_loads_unsigned(platform: Platform) -> None:
    """Checkpoints recorded before issue 11 had no period start and no signature."""
    from shared.ledger import ChainCheckpoint, anchor_statement

    county = platform.tiers[Tier.COUNTY].app
    c = apps(platform)[2]
    c.register(usci(1), "社工站", "services", VILLAGE, None, meta(county_op()))
    day = date(2026, 12, 5)
    assert county.record_checkpoint(day, {}) is not None
    stored = county.recorder.select_notifications(0, 10, topics=[county.CHECKPOINT_TOPIC])[0]
    new = county.mapper.to_domain_event(stored)
    assert new.signature is not None and new.at is None
    statement = anchor_statement("county", new.originator_id, day, None, new.heads)
    assert county.signer.check_anchor(statement, new.signature)
    state: dict[str, Any] = json.loads(stored.state)
    assert state.pop("class_version") == 2
    del state["at"], state["signature"]
    old = county.mapper.to_domain_event(
        StoredEvent(
            stored.originator_id,
            stored.originator_version,
            stored.topic,
            json.dumps(state).encode(),
        )
    )
    assert isinstance(old, ChainCheckpoint.Recorded)
    assert old.at is None and old.signature is None and old.heads == new.heads
    # Exported as an anchor under its own id (what the province keeps).
    assert county.anchor_of(stored)["statement"]["checkpoint_id"] == str(new.originator_id)
