"""Township application on POPO stores: filing decisions, charters of filed groups, inspections."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest

from services.platform import Platform
from shared.kernel.domain import Conflict, InvalidInput, NotFound, OutOfJurisdiction
from shared.kernel.jurisdiction import Tier
from tests.helpers import (
    RURAL_TOWNSHIP,
    VILLAGE,
    apps,
    county_op,
    facts,
    heads,
    meta,
    stores_nothing,
    today_cst,
    township_op,
    usci,
    village_op,
)


def applied(p: Platform) -> UUID:
    org = (
        apps(p)[0]
        .apply_for_filing(VILLAGE, "调解室", "mediation", date(2025, 1, 1), meta(village_op()))
        .id
    )
    p.drain()
    return org


def filed(p: Platform) -> UUID:
    org = applied(p)
    apps(p)[1].decide_filing(org, True, "", meta(township_op()))
    p.drain()
    return org


def test_filing_issues_a_number_and_projects(platform: Platform) -> None:
    org = applied(platform)
    _, t, _ = apps(platform)
    result = t.decide_filing(org, True, "", meta(township_op()))
    assert (result.id, result.version, result.replayed) == (org, 1, False)
    platform.drain()
    for rt in platform.tiers.values():
        known = rt.app.lookup.get(org)
        assert known is not None and known.filed_on_day(today_cst())
    with platform.tiers[t.tier].db.transaction() as tx:
        row = tx.one(
            "SELECT filing_number, legal_form, name FROM org WHERE org_id = %s", (str(org),)
        )
    assert row == {
        "filing_number": f"BA{VILLAGE}{org.hex[:6].upper()}",
        "legal_form": "filed_group",
        "name": "调解室",
    }


@pytest.mark.parametrize("second_decision", [True, False])
def test_already_decided(platform: Platform, second_decision: bool) -> None:
    org = applied(platform)
    _, t, _ = apps(platform)
    t.decide_filing(org, True, "", meta(township_op()))
    with stores_nothing(platform), pytest.raises(Conflict) as raised:
        t.decide_filing(org, second_decision, "理由", meta(township_op(id="another-operator")))
    assert raised.value.code == "already_decided"
    assert raised.value.status == 409


def test_rejection_needs_a_reason(platform: Platform) -> None:
    org = applied(platform)
    with stores_nothing(platform), pytest.raises(InvalidInput) as raised:
        apps(platform)[1].decide_filing(org, False, "  ", meta(township_op()))
    assert raised.value.code == "reason_required"


def test_decision_out_of_jurisdiction(platform: Platform) -> None:
    org = applied(platform)
    with stores_nothing(platform), pytest.raises(OutOfJurisdiction) as raised:
        apps(platform)[1].decide_filing(org, True, "", meta(township_op(RURAL_TOWNSHIP)))
    assert raised.value.code == "out_of_jurisdiction"
    assert raised.value.status == 403


def test_decision_on_unknown_or_unapplied_organisation(platform: Platform) -> None:
    _, t, c = apps(platform)
    with stores_nothing(platform), pytest.raises(NotFound) as unknown:
        t.decide_filing(uuid4(), True, "", meta(township_op()))
    assert unknown.value.code == "unknown_organisation"
    registered = c.register(usci(7), "社工站", "services", VILLAGE, None, meta(county_op())).id
    platform.drain()
    with stores_nothing(platform), pytest.raises(Conflict) as unapplied:
        t.decide_filing(registered, True, "", meta(township_op()))
    assert unapplied.value.code == "no_application"


def test_cancelled_filing_is_an_illegal_transition_for_charter_and_cancel(
    platform: Platform,
) -> None:
    org = filed(platform)
    _, t, _ = apps(platform)
    t.cancel_filing(org, "停止活动", meta(township_op()))
    platform.drain()
    assert not facts(platform, org, Tier.TOWNSHIP).active_on(today_cst())
    for act in (
        lambda: t.approve_charter(org, True, True, meta(township_op())),
        lambda: t.cancel_filing(org, "again", meta(township_op())),
    ):
        with stores_nothing(platform), pytest.raises(Conflict) as raised:
            act()
        assert raised.value.code == "illegal_transition"
        assert raised.value.status == 409


def test_registered_organisations_belong_to_the_county(platform: Platform) -> None:
    org = filed(platform)
    _, t, c = apps(platform)
    c.register(usci(8), "调解室", "mediation", None, org, meta(county_op()))
    platform.drain()
    for act in (
        lambda: t.approve_charter(org, True, True, meta(township_op())),
        lambda: t.cancel_filing(org, "x", meta(township_op())),
    ):
        with stores_nothing(platform), pytest.raises(Conflict) as raised:
            act()
        assert raised.value.code == "registered_by_county"


def test_inspection_and_rectification(platform: Platform) -> None:
    org = filed(platform)
    _, t, _ = apps(platform)
    ordered = t.record_inspection(
        org, "rectification_ordered", "台账不全", ["张", "李"], meta(township_op())
    )
    assert ordered.organisation_id == org
    done = t.complete_rectification(ordered.id, meta(township_op()))
    assert (done.id, done.version) == (ordered.id, 2)
    with stores_nothing(platform), pytest.raises(Conflict) as raised:
        t.complete_rectification(ordered.id, meta(township_op()))
    assert raised.value.code == "illegal_transition"
    with stores_nothing(platform), pytest.raises(OutOfJurisdiction):
        t.complete_rectification(ordered.id, meta(township_op(RURAL_TOWNSHIP)))


def test_inspection_of_inactive_organisation(platform: Platform) -> None:
    org = applied(platform)
    before = heads(platform)
    with pytest.raises(Conflict) as raised:
        apps(platform)[1].record_inspection(org, "compliant", "", ["张", "李"], meta(township_op()))
    assert raised.value.code == "organisation_not_active"
    assert heads(platform) == before
