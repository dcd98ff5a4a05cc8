"""Village application on POPO stores: filing applications and activity reports."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.platform import Platform
from shared.kernel.domain import Conflict, InvalidInput, NotFound, OutOfJurisdiction
from tests.helpers import (
    RURAL_VILLAGE,
    TOWNSHIP,
    VILLAGE,
    VILLAGE_2,
    apps,
    heads,
    meta,
    stores_nothing,
    today_cst,
    township_op,
    village_op,
)


def figures(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "occurred_on": today_cst(),
        "field": "culture_sports",
        "participants": 30,
        "volunteers": 5,
        "volunteer_services": 5,
        "volunteer_hours": Decimal("10.5"),
        "beneficiaries": 40,
        "money_spent": Decimal("200"),
    }
    return base | overrides


def applied(p: Platform, village: str = VILLAGE) -> UUID:
    v, _, _ = apps(p)
    org = v.apply_for_filing(
        village, "舞蹈队", "culture_sports", date(2025, 1, 1), meta(village_op(village))
    ).id
    p.drain()
    return org


def filed(p: Platform, village: str = VILLAGE) -> UUID:
    org = applied(p, village)
    apps(p)[1].decide_filing(org, True, "", meta(township_op(village[:9] + "000")))
    p.drain()
    return org


def test_application_is_stored_and_projected_in_every_tier(platform: Platform) -> None:
    v, _, _ = apps(platform)
    result = v.apply_for_filing(
        VILLAGE, "舞蹈队", "culture_sports", date(2025, 1, 1), meta(village_op())
    )
    assert result.version == 1 and not result.replayed
    assert result.organisation_id == result.id
    platform.drain()
    for rt in platform.tiers.values():
        facts = rt.app.lookup.get(result.id)
        assert facts is not None
        assert facts.village_code == VILLAGE
        assert facts.applied_on == today_cst().isoformat()
        assert not facts.active_on(today_cst())


@pytest.mark.parametrize("code", ["330699009001", TOWNSHIP, "330699000000"])
def test_unknown_division(platform: Platform, code: str) -> None:
    v, _, _ = apps(platform)
    with stores_nothing(platform), pytest.raises(InvalidInput) as raised:
        v.apply_for_filing(code, "x", "other", date(2025, 1, 1), meta(village_op(code)))
    assert raised.value.code == "unknown_division"
    assert raised.value.status == 422


@pytest.mark.parametrize(
    "actor", [village_op(VILLAGE_2), village_op(RURAL_VILLAGE), township_op(TOWNSHIP)]
)
def test_application_out_of_jurisdiction(platform: Platform, actor: object) -> None:
    v, _, _ = apps(platform)
    with stores_nothing(platform), pytest.raises(OutOfJurisdiction) as raised:
        v.apply_for_filing(VILLAGE, "x", "other", date(2025, 1, 1), meta(actor))  # type: ignore[arg-type]
    assert raised.value.code == "out_of_jurisdiction"
    assert raised.value.status == 403


def test_founding_date_in_future(platform: Platform) -> None:
    v, _, _ = apps(platform)
    with stores_nothing(platform), pytest.raises(InvalidInput) as raised:
        v.apply_for_filing(
            VILLAGE, "x", "other", today_cst() + timedelta(days=2), meta(village_op())
        )
    assert raised.value.code == "date_in_future"


def test_activity_of_filed_group(platform: Platform) -> None:
    org = filed(platform)
    v, _, _ = apps(platform)
    before = heads(platform)
    result = v.report_activity(org, meta=meta(village_op()), **figures())
    assert result.organisation_id == org and result.id != org
    assert heads(platform)[v.tier] == before[v.tier] + 1


def test_activity_needs_an_active_organisation(platform: Platform) -> None:
    org = applied(platform)  # applied, not yet filed
    v, _, _ = apps(platform)
    with stores_nothing(platform), pytest.raises(Conflict) as raised:
        v.report_activity(org, meta=meta(village_op()), **figures())
    assert raised.value.code == "organisation_not_active"
    assert raised.value.status == 409


def test_activity_before_the_group_was_filed(platform: Platform) -> None:
    org = filed(platform)
    v, _, _ = apps(platform)
    with stores_nothing(platform), pytest.raises(Conflict) as raised:
        v.report_activity(org, meta=meta(village_op()), **figures(occurred_on=date(2024, 1, 1)))
    assert raised.value.code == "organisation_not_active"


def test_activity_of_unknown_organisation(platform: Platform) -> None:
    v, _, _ = apps(platform)
    with stores_nothing(platform), pytest.raises(NotFound) as raised:
        v.report_activity(uuid4(), meta=meta(village_op()), **figures())
    assert raised.value.code == "unknown_organisation"
    assert raised.value.status == 404


def test_activity_in_another_village(platform: Platform) -> None:
    org = filed(platform, VILLAGE_2)
    v, _, _ = apps(platform)
    with stores_nothing(platform), pytest.raises(OutOfJurisdiction) as raised:
        v.report_activity(org, meta=meta(village_op(VILLAGE)), **figures())
    assert raised.value.code == "out_of_jurisdiction"


def test_activity_in_future(platform: Platform) -> None:
    org = filed(platform)
    v, _, _ = apps(platform)
    with stores_nothing(platform), pytest.raises(InvalidInput) as raised:
        v.report_activity(
            org, meta=meta(village_op()), **figures(occurred_on=today_cst() + timedelta(days=2))
        )
    assert raised.value.code == "date_in_future"
