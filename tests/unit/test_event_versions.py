"""Stored events of an older class version still load (ADR 0002): version 1 of a group's
application and of a registration had no ``category``; the upcasters make them general."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from eventsourcing.persistence import StoredEvent

from services.platform import Platform
from shared.kernel.domain import CHINA
from shared.kernel.jurisdiction import Tier
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


def without(stored: StoredEvent, version: int, *fields: str) -> StoredEvent:
    """``stored`` as an older class version wrote it: without ``fields``, marked ``version``
    (version 1 carried no marker)."""
    state: dict[str, Any] = json.loads(stored.state)
    for name in fields:
        del state[name]
    if version == 1:
        del state["class_version"]
    else:
        state["class_version"] = version
    return StoredEvent(
        originator_id=stored.originator_id,
        originator_version=stored.originator_version,
        topic=stored.topic,
        state=json.dumps(state).encode(),
    )


def test_credit_list_events_before_clock_from_load_with_clocks_from_their_dates(
    platform: Platform,
) -> None:
    """CreditListEntered v3 and CreditListTriggered v2 added ``clock_from`` (ADR 0013): older
    events load with None, so their clocks run from their effective dates as before."""
    c = apps(platform)[2]
    registered_at = datetime(2025, 1, 2, 10, tzinfo=CHINA)  # acts never precede it
    org = c.register(
        usci(1), "社工站", "services", VILLAGE, None, meta(county_op(), at=registered_at)
    ).id
    on = [datetime(2025, 3, 3, 10, tzinfo=CHINA), datetime(2025, 4, 1, 10, tzinfo=CHINA)]
    for reason, at in zip(("missed_annual_report", "unreachable"), on, strict=True):
        c.record_credit_trigger(org, reason, "x", meta(county_op(), at=at))
    app = platform.tiers[Tier.COUNTY].app
    registered, entered, triggered = app.recorder.select_events(org)  # not its USCI claim
    assert json.loads(entered.state)["class_version"] == 3
    assert json.loads(triggered.state)["class_version"] == 2
    assert json.loads(entered.state)["clock_from"] is not None  # dated back: recorded today
    for old in (
        [without(entered, 2, "clock_from"), without(triggered, 1, "clock_from")],
        [without(entered, 1, "clock_from", "trigger", "rectification_required")],
    ):
        events = [app.mapper.to_domain_event(s) for s in (registered, *old)]
        assert all(getattr(e, "clock_from", None) is None for e in events)
        reg = None
        for event in events:
            reg = event.mutate(reg)
        listing = reg.listings["abnormal"]  # type: ignore[union-attr]
        assert listing["since"] == date(2025, 3, 3)
        restarted = date(2025, 4, 1) if len(old) == 2 else date(2025, 3, 3)
        assert listing["clock_from"] == restarted  # the trigger's effective date, as before


def test_a_version_1_daily_checkpoint_loads_unsigned(platform: Platform) -> None:
    """Checkpoints recorded before issue 11 had no period start and no signature."""
    from shared.capabilities.ledger.domain import ChainCheckpoint, anchor_statement

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


def test_a_version_1_rectification_verified_loads_as_final(platform: Platform) -> None:
    """RectificationVerified v2 added ``provisional`` and ``counted_from`` (issue 12): a v1
    deadline was always within the calendar, so it loads as final and is never recounted."""
    c = apps(platform)[2]
    registered_at = datetime(2025, 1, 2, 10, tzinfo=CHINA)  # before the acts that follow
    org = c.register(
        usci(1), "社工站", "services", VILLAGE, None, meta(county_op(), at=registered_at)
    ).id
    at = datetime(2025, 3, 3, 10, tzinfo=CHINA)
    c.record_credit_trigger(org, "missed_annual_report", "x", meta(county_op(), at=at))
    verified_at = datetime(2025, 4, 1, 10, tzinfo=CHINA)
    c.verify_rectification(org, meta(county_op(), at=verified_at))
    app = platform.tiers[Tier.COUNTY].app
    stored = app.recorder.select_events(org)  # the registration's, not its USCI claim
    assert json.loads(stored[2].state)["class_version"] == 2
    old = without(stored[2], 1, "provisional", "counted_from")
    events = [app.mapper.to_domain_event(s) for s in (*stored[:2], old)]
    assert events[2].provisional is False and events[2].counted_from is None
    reg = None
    for event in events:
        reg = event.mutate(reg)
    assert reg.listings["abnormal"]["removal_due"] == events[2].removal_due  # type: ignore[union-attr]
    assert reg.provisional_removal() is None  # type: ignore[union-attr]


def test_a_version_1_activity_loads_without_themes_or_cases(platform: Platform) -> None:
    """Activity.Reported v2 added ``themes``, ``cases_taken`` and ``cases_resolved`` (issue 14,
    ADR 0019): an activity stored before them loads with no theme and no cases, publishes a
    payload without them, and an integration payload from before them still validates."""
    from decimal import Decimal

    from services.village.domain import Activity
    from shared.kernel.integration.events import ActivityReportedV1
    from tests.helpers import today_cst, township_op

    v, t, _ = apps(platform)
    org = v.apply_for_filing(
        VILLAGE, "调解队", "mediation", date(2025, 1, 1), meta(village_op())
    ).id
    platform.drain()
    t.decide_filing(org, True, "", meta(township_op()))
    platform.drain()
    v.report_activity(
        org,
        today_cst(),
        "mediation",
        10,
        2,
        3,
        Decimal("4.5"),
        20,
        Decimal("0"),
        meta(village_op()),
        themes=["mediation", "safety"],
        cases_taken=4,
        cases_resolved=3,
    )
    app = platform.tiers[Tier.VILLAGE].app
    stored = app.recorder.select_notifications(0, 10, topics=[f"{Activity.Reported.__module__}:"
                                                              f"{Activity.Reported.__qualname__}"])[0]  # fmt: skip
    new = app.mapper.to_domain_event(stored)
    assert (new.themes, new.cases_taken, new.cases_resolved) == (["mediation", "safety"], 4, 3)
    assert json.loads(stored.state)["class_version"] == 3  # 3: volunteer_ids (ADR 0021)
    old = app.mapper.to_domain_event(
        without(stored, 1, "themes", "cases_taken", "cases_resolved", "volunteer_ids")
    )
    assert isinstance(old, Activity.Reported)
    assert (old.themes, old.cases_taken, old.cases_resolved) == ([], None, None)
    assert old.participants == 10 and old.occurred_on == today_cst()
    # What the relay publishes for the old event, and a v1 payload written before the fields.
    from eventsourcing.persistence import Notification

    v1 = without(stored, 1, "themes", "cases_taken", "cases_resolved", "volunteer_ids")
    published = app.to_envelope(
        Notification(
            originator_id=v1.originator_id,
            originator_version=v1.originator_version,
            topic=v1.topic,
            state=v1.state,
            id=stored.id,
        ),
        0,
    )
    assert published.data["themes"] == [] and published.data["cases_taken"] is None
    payload = {k: v for k, v in published.data.items() if k not in ("themes", "cases_taken",
                                                                    "cases_resolved")}  # fmt: skip
    before = ActivityReportedV1.model_validate(payload)
    assert before.themes == [] and before.cases_taken is None and before.cases_resolved is None


def test_metadata_stored_before_imports_existed_still_loads(platform: Platform) -> None:
    """``Meta.imported`` (ADR 0020) is written only when set: an event recorded through the
    API stores no such key, and one stored before the field existed loads with None."""
    from dataclasses import replace

    from shared.kernel.domain import Imported

    v = apps(platform)[0]
    v.apply_for_filing(VILLAGE, "读书会", "culture_sports", date(2025, 1, 1), meta(village_op()))
    app, stored = first_stored_event(platform, Tier.VILLAGE)
    state = json.loads(stored.state)
    assert "imported" not in json.dumps(state["meta"])
    assert app.mapper.to_domain_event(stored).meta.imported is None

    imported = Imported("ab" * 32, "组织", 7)
    v.apply_for_filing(
        VILLAGE,
        "合唱团",
        "culture_sports",
        date(2025, 1, 1),
        replace(meta(village_op()), imported=imported),
    )
    (second,) = app.recorder.select_notifications(2, 1)
    assert app.mapper.to_domain_event(second).meta.imported == imported


def test_a_version_2_activity_loads_without_volunteers(platform: Platform) -> None:
    """Activity.Reported v3 added ``volunteer_ids`` (issue 14, ADR 0021): an activity stored at
    version 2 (themes, no volunteers) loads with none listed and keeps its themes; the relay
    publishes it with an empty list, and a payload written before the field still validates."""
    from decimal import Decimal

    from eventsourcing.persistence import Notification

    from services.village.domain import Activity
    from shared.kernel.integration.events import ActivityReportedV1
    from tests.helpers import today_cst, township_op

    v, t, _ = apps(platform)
    org = v.apply_for_filing(VILLAGE, "志愿队", "services", date(2025, 1, 1), meta(village_op())).id
    platform.drain()
    t.decide_filing(org, True, "", meta(township_op()))
    platform.drain()
    v.register_volunteer(VILLAGE, "V7", meta(village_op()))
    v.report_activity(
        org, today_cst(), "services", 10, 2, 3, Decimal("4.5"), 20, Decimal("0"),
        meta(village_op()), themes=["mediation"], volunteer_ids=["V7"],
    )  # fmt: skip
    app = platform.tiers[Tier.VILLAGE].app
    topic = f"{Activity.Reported.__module__}:{Activity.Reported.__qualname__}"
    stored = app.recorder.select_notifications(0, 10, topics=[topic])[0]
    assert app.mapper.to_domain_event(stored).volunteer_ids == ["V7"]
    v2 = without(stored, 2, "volunteer_ids")
    old = app.mapper.to_domain_event(v2)
    assert old.volunteer_ids == [] and old.themes == ["mediation"] and old.participants == 10
    published = app.to_envelope(
        Notification(
            originator_id=v2.originator_id,
            originator_version=v2.originator_version,
            topic=v2.topic,
            state=v2.state,
            id=stored.id,
        ),
        0,
    )
    assert published.data["volunteer_ids"] == [] and published.data["themes"] == ["mediation"]
    payload = {k: val for k, val in published.data.items() if k != "volunteer_ids"}
    assert ActivityReportedV1.model_validate(payload).volunteer_ids == []
