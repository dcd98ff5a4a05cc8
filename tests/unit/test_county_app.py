"""County application on POPO stores: registration and everything after it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import pytest

from services.platform import Platform
from shared.kernel.domain import CommandResult, Conflict, InvalidInput, OutOfJurisdiction
from shared.kernel.usci import LegalForm
from tests.helpers import (
    RURAL_VILLAGE,
    TOWNSHIP,
    VILLAGE,
    apps,
    county_op,
    facts,
    governance_work,
    meta,
    stores_nothing,
    today_cst,
    township_op,
    village_op,
)
from tests.helpers import usci as make_usci


def registered(p: Platform, serial: int = 1, form: str = "1") -> UUID:
    org = (
        apps(p)[2]
        .register(make_usci(serial, form), "社工站", "services", VILLAGE, None, meta(county_op()))
        .id
    )
    p.drain()
    return org


def filed_group(p: Platform) -> UUID:
    v, t, _ = apps(p)
    org = v.apply_for_filing(
        VILLAGE, "舞蹈队", "culture_sports", date(2025, 1, 1), meta(village_op())
    ).id
    p.drain()
    t.decide_filing(org, True, "", meta(township_op()))
    p.drain()
    return org


@pytest.mark.parametrize(
    ("form", "legal_form"),
    [
        ("1", LegalForm.SOCIAL_GROUP),
        ("2", LegalForm.PRIVATE_NON_ENTERPRISE),
        ("3", LegalForm.FOUNDATION),
        ("9", LegalForm.OTHER),
    ],
)
def test_registration_records_the_legal_form(
    platform: Platform, form: str, legal_form: LegalForm
) -> None:
    org = registered(platform, form=form)
    for rt in platform.tiers.values():
        with rt.db.transaction() as tx:
            row = tx.one(
                "SELECT usci, legal_form, registered_on FROM org WHERE org_id = %s", (str(org),)
            )
        assert row == {
            "usci": make_usci(1, form),
            "legal_form": str(legal_form),
            "registered_on": today_cst().isoformat(),
        }


@pytest.mark.parametrize(
    ("code", "reason"),
    [("51330699MJ0000001C", "usci_invalid"), ("91110000600037341L", "usci_not_civil_affairs")],
)
def test_registration_with_bad_usci(platform: Platform, code: str, reason: str) -> None:
    with stores_nothing(platform), pytest.raises(InvalidInput) as raised:
        apps(platform)[2].register(code, "x", "services", VILLAGE, None, meta(county_op()))
    assert raised.value.code == reason
    assert raised.value.status == 422


def test_usci_already_registered(platform: Platform) -> None:
    registered(platform, serial=5)
    with stores_nothing(platform), pytest.raises(Conflict) as raised:
        apps(platform)[2].register(
            make_usci(5), "另一个", "services", RURAL_VILLAGE, None, meta(county_op())
        )
    assert raised.value.code == "usci_already_registered"
    assert raised.value.status == 409


@pytest.mark.parametrize("village", [None, TOWNSHIP, "330699009001"])
def test_new_registration_needs_a_known_village(platform: Platform, village: str | None) -> None:
    with stores_nothing(platform), pytest.raises(InvalidInput) as raised:
        apps(platform)[2].register(make_usci(1), "x", "services", village, None, meta(county_op()))
    assert raised.value.code == "unknown_division"


def test_upgrade_links_the_filed_identity(platform: Platform) -> None:
    org = filed_group(platform)
    result = apps(platform)[2].register(
        make_usci(2), "舞蹈协会", "culture_sports", None, org, meta(county_op())
    )
    assert result.id == org
    platform.drain()
    known = facts(platform, org)
    assert known.registered_on_day(today_cst())
    # The filed identity stays on record but is superseded by the registration.
    assert known.filed_on == today_cst().isoformat() and not known.filed_on_day(today_cst())
    with pytest.raises(Conflict) as again:
        apps(platform)[2].register(
            make_usci(3), "x", "culture_sports", None, org, meta(county_op())
        )
    assert again.value.code == "already_registered"


def test_upgrade_needs_a_filed_group(platform: Platform) -> None:
    v, _, c = apps(platform)
    org = v.apply_for_filing(VILLAGE, "读书会", "other", date(2025, 1, 1), meta(village_op())).id
    platform.drain()
    with stores_nothing(platform), pytest.raises(Conflict) as raised:
        c.register(make_usci(3), "读书会", "other", None, org, meta(county_op()))
    assert raised.value.code == "not_filed"


def test_annual_report_once_per_year(platform: Platform) -> None:
    org = registered(platform)
    c = apps(platform)[2]
    year = today_cst().year - 1
    assert c.file_annual_report(org, year, meta(county_op())).version == 2
    with stores_nothing(platform), pytest.raises(Conflict) as raised:
        c.file_annual_report(org, year, meta(county_op()))
    assert raised.value.code == "annual_report_already_filed"
    assert raised.value.status == 409
    with stores_nothing(platform), pytest.raises(InvalidInput) as future:
        c.file_annual_report(org, today_cst().year + 1, meta(county_op()))
    assert future.value.code == "date_in_future"


@pytest.mark.parametrize("exit_method", ["deregister", "revoke"])
def test_exit_is_final(platform: Platform, exit_method: str) -> None:
    org = registered(platform)
    c = apps(platform)[2]
    getattr(c, exit_method)(org, "自愿注销", meta(county_op()))
    platform.drain()
    assert not facts(platform, org).active_on(today_cst())
    with stores_nothing(platform), pytest.raises(Conflict) as raised:
        c.rate(org, "A", None, None, None, meta(county_op()))
    assert raised.value.code == "illegal_transition"


def test_grade_is_valid_five_years_by_default(platform: Platform) -> None:
    org = registered(platform)
    governance_work(platform, org)  # a grade needs it (ADR 0024 addendum)
    apps(platform)[2].rate(org, None, 4, None, None, meta(county_op()))
    platform.drain()
    with platform.tiers[apps(platform)[2].tier].db.transaction() as tx:
        row = tx.one("SELECT grade, grade_valid_until FROM org WHERE org_id = %s", (str(org),))
    today = today_cst()
    assert row == {"grade": 4, "grade_valid_until": today.replace(year=today.year + 5).isoformat()}


def test_funding_rules(platform: Platform) -> None:
    host = registered(platform)
    group = filed_group(platform)
    c = apps(platform)[2]
    for org in (host, group):
        governance_work(platform, org)  # funding needs it (ADR 0024 addendum)

    def award(org: UUID, host_id: UUID | None = None) -> CommandResult:
        m = meta(county_op())
        return c.award_funding(org, "micro_venture", "2026", "项目", Decimal("1000"), host_id, m)

    with stores_nothing(platform), pytest.raises(InvalidInput) as no_host:
        award(group)
    assert no_host.value.code == "host_required"
    assert award(group, host).organisation_id == group
    assert award(host).organisation_id == host
    platform.drain()
    with stores_nothing(platform), pytest.raises(Conflict) as twice:
        award(host)
    assert twice.value.code == "already_funded_in_round"


def test_county_commands_need_a_county_operator(platform: Platform) -> None:
    org = registered(platform)
    with stores_nothing(platform), pytest.raises(OutOfJurisdiction) as raised:
        apps(platform)[2].file_annual_report(org, 2025, meta(township_op()))
    assert raised.value.code == "out_of_jurisdiction"
    with stores_nothing(platform), pytest.raises(OutOfJurisdiction):
        apps(platform)[2].register(
            make_usci(9), "x", "services", VILLAGE, None, meta(township_op())
        )
