"""Service platforms (every tier), credit lists and disbursements (county): guards, errors that
store nothing, and the integration events they publish."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID, uuid4

import pytest

from services.platform import Platform
from shared.kernel.domain import DomainError
from shared.kernel.integration.events import PlatformKind
from tests.helpers import (
    COUNTY,
    RURAL_VILLAGE,
    TOWNSHIP,
    VILLAGE,
    apps,
    county_op,
    envelopes_by_source,
    governance_work,
    meta,
    stores_nothing,
    township_op,
    usci,
    village_op,
)


def refused(p: Platform, code: str, status: int, fn: object, *args: object, **kw: object) -> None:
    with stores_nothing(p), pytest.raises(DomainError) as raised:
        fn(*args, **kw)  # type: ignore[operator]
    assert (raised.value.code, raised.value.status) == (code, status)


def test_each_tier_records_its_own_kinds_of_platform(platform: Platform) -> None:
    v, t, c = apps(platform)
    c.open_platform(PlatformKind.COUNTY_CENTRE, COUNTY, "县中心", meta(county_op()))
    t.open_platform(PlatformKind.TOWNSHIP_PLATFORM, TOWNSHIP, "街道平台", meta(township_op()))
    t.open_platform(PlatformKind.INCUBATOR, VILLAGE, "孵化园", meta(township_op()))
    v.open_platform(PlatformKind.VILLAGE_STATION, VILLAGE, "服务站", meta(village_op()))
    platform.drain()
    opened = [
        (e.type, e.division_code, e.organisation_id, e.data["kind"])
        for es in envelopes_by_source(platform).values()
        for e in es
    ]
    assert sorted(opened) == sorted(
        [
            ("sanji.county.platform.opened.v1", COUNTY, None, "county_centre"),
            ("sanji.township.platform.opened.v1", TOWNSHIP, None, "township_platform"),
            ("sanji.township.platform.opened.v1", VILLAGE, None, "incubator"),
            ("sanji.village.platform.opened.v1", VILLAGE, None, "village_station"),
        ]
    )


def test_platform_guards(platform: Platform) -> None:
    v, t, c = apps(platform)
    refused(
        platform,
        "platform_kind_not_here",
        422,
        v.open_platform,
        PlatformKind.COUNTY_CENTRE,
        VILLAGE,
        "x",
        meta(village_op()),
    )
    refused(
        platform,
        "platform_misplaced",
        422,
        t.open_platform,
        PlatformKind.TOWNSHIP_PLATFORM,
        VILLAGE,
        "x",
        meta(township_op()),
    )
    refused(
        platform,
        "unknown_division",
        422,
        c.open_platform,
        PlatformKind.COUNTY_CENTRE,
        "330699000001",
        "x",
        meta(county_op()),
    )
    refused(
        platform,
        "out_of_jurisdiction",
        403,
        v.open_platform,
        PlatformKind.VILLAGE_STATION,
        RURAL_VILLAGE,
        "x",
        meta(village_op()),
    )
    station = v.open_platform(PlatformKind.VILLAGE_STATION, VILLAGE, "站", meta(village_op())).id
    v.close_platform(station, "合并", meta(village_op()))
    refused(
        platform, "platform_closed", 409, v.close_platform, station, "again", meta(village_op())
    )
    refused(platform, "unknown_platform", 404, v.close_platform, uuid4(), "x", meta(village_op()))


def registered(platform: Platform) -> UUID:
    c = apps(platform)[2]
    org = c.register(usci(1), "社工站", "services", VILLAGE, None, meta(county_op())).id
    platform.drain()
    return org


def test_credit_lists_enter_and_leave_once(platform: Platform) -> None:
    c = apps(platform)[2]
    org = registered(platform)
    c.enter_credit_list(org, "abnormal", "未报年报", meta(county_op()))
    refused(
        platform,
        "already_on_list",
        409,
        c.enter_credit_list,
        org,
        "abnormal",
        "x",
        meta(county_op()),
    )
    c.enter_credit_list(org, "serious", "两年未移出", meta(county_op()))
    c.leave_credit_list(org, "abnormal", "已整改", meta(county_op()))
    refused(
        platform, "not_on_list", 409, c.leave_credit_list, org, "abnormal", "x", meta(county_op())
    )
    c.deregister(org, "注销", meta(county_op()))
    c.leave_credit_list(org, "serious", "期满", meta(county_op()))  # allowed after exit


def test_disbursements_never_exceed_the_award(platform: Platform) -> None:
    c = apps(platform)[2]
    org = registered(platform)
    governance_work(platform, org)  # funding needs it (ADR 0024 addendum)
    award = c.award_funding(
        org, "micro_venture", "2026", "助老", Decimal("10000"), None, meta(county_op())
    ).id
    c.disburse(award, "首期", Decimal("6000"), meta(county_op()))
    refused(
        platform,
        "tranche_already_disbursed",
        409,
        c.disburse,
        award,
        "首期",
        Decimal("1"),
        meta(county_op()),
    )
    refused(
        platform,
        "exceeds_award",
        409,
        c.disburse,
        award,
        "尾款",
        Decimal("4000.01"),
        meta(county_op()),
    )
    c.disburse(award, "尾款", Decimal("4000"), meta(county_op()))
    refused(
        platform, "unknown_award", 404, c.disburse, uuid4(), "x", Decimal("1"), meta(county_op())
    )
    platform.drain()
    (paid,) = [
        e for e in envelopes_by_source(platform)["county"] if e.type.endswith("disbursed.v1")
    ][-1:]
    assert paid.organisation_id == org and paid.data["award_id"] == str(award)
