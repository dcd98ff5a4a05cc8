"""Every report figure, for every division level and several (as-of, period) pairs, equals the
value an independent oracle (``tests/oracle.py``) computes from the raw integration events.

A scripted history spread over 2024–2026 drives the three tier applications through every
command a figure depends on: apply / file / reject / cancel, new and upgraded registrations,
charters at both tiers, party organisations, activities, inspections and rectification,
annual reports for two years, ratings (one grade expired, one on its last valid day),
credit-list entries and removals, funding awards and tranches in three programmes, platforms
of every kind at every tier (some closed), village-sage councils, and a few back-dated entries.

Readings of the catalogue the oracle takes where the words allow more than one (a
civil-affairs official's reading):

* states hold from their first day inclusive to their end day exclusive (an organisation
  deregistered on d is not active on d; a platform closed on d is not open on d; a credit
  listing left on d is off the list on d);
* "latest" (charter, credit / grade / stars) orders by effective date, ties by recording time,
  across tiers (a township charter and a county charter approved the same day: the later
  recorded wins) — a back-dated charter or rating does not supersede a later-dated one;
* an organisation's field of work and category are those in effect on the as-of date (a filed
  group upgraded with another field or category keeps its filed profile before the upgrade);
  a category of ``general`` (the commands' default) never overrides one stated before;
* "entered before the window" (zombies): entered on or before ``rules.zombie_cutoff(as_of)``;
  an activity on the cutoff day itself is outside the trailing window;
* a grade is valid through its ``grade_valid_until`` day inclusive;
* open rectifications and the two credit lists count organisations whatever their status
  (the definitions do not say "active"): a revoked organisation stays on the serious list;
* "villages with an incubator": an incubator sitting in the village/community itself; a
  township-level incubator counts under ``platforms.incubators`` but covers no village;
* "filings cancelled of groups never registered": a group that was upgraded, deregistered,
  and then had its filing cancelled exits once (the deregistration), not twice.

Known disagreements, left failing on purpose (the report is wrong, not the oracle): the read
model keeps one current value per organisation, without the date it took effect, for the legal
form, field, category, latest charter and party organisation, and the report counts those
whatever the as-of date. So a report as of a past date counts an upgraded group under its
later legal form (``by_legal_form`` then disagrees with ``organisations.filed``), field and
category, and counts charters and party organisations approved or set up after the as-of date;
and the latest charter is the latest *recorded*, so a back-dated approval overrides a
later-dated one (ratings, by contrast, order by effective date).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from services.platform import Platform
from shared.capabilities.commendations import application as commendations
from shared.capabilities.sampling.application import draw
from shared.capabilities.training import application as training
from shared.kernel.domain import Actor, legal_date
from shared.kernel.integration.envelope import Envelope
from shared.kernel.jurisdiction import Jurisdiction, Tier, load
from shared.kernel.periods import Period, parse_period
from shared.kernel.rules import load_rules
from shared.reporting.catalogue import flatten, lookup
from shared.reporting.model import canonical
from shared.reporting.report import division_report
from tests.helpers import (
    COUNTY,
    CST,
    apps,
    as_recorded,
    build_platform,
    county_op,
    envelopes_by_source,
    meta,
    township_op,
    usci,
    village_op,
)
from tests.helpers import test_account as open_account
from tests.oracle import World, figures_of, mismatches, replay, same

JURISDICTION: Jurisdiction = load()
RULES = load_rules()
NOW = datetime(2026, 6, 30, 4, 0, tzinfo=UTC)  # noon in China on 30 June 2026

# Villages and communities used by the script (demo county).
WENCHANG = "330699001001"  # urban, 城关街道
NANMEN = "330699001002"  # urban
BEIYUAN = "330699001003"  # urban
DONGSHAN = "330699002001"  # urban, 东山街道
QINGXI = "330699101001"  # rural, 青溪镇
SHANGTANG = "330699101002"  # rural
BAISHI = "330699102001"  # rural, 白石镇
FENGLIN = "330699102002"  # rural
ZHUYUAN = "330699102003"  # rural: reaches the density standard for a while
YUNLING = "330699201001"  # rural, 云岭乡
GAOSHAN = "330699201002"  # rural
BINJIANG = "330699002005"  # urban, nothing happens here

TOWNSHIPS = [t.code for t in JURISDICTION.townships()]
VILLAGES = [
    WENCHANG,
    NANMEN,
    BEIYUAN,
    DONGSHAN,
    QINGXI,
    SHANGTANG,
    BAISHI,
    FENGLIN,
    ZHUYUAN,
    YUNLING,
    GAOSHAN,
    BINJIANG,
]
DIVISIONS = [COUNTY, *TOWNSHIPS, *VILLAGES]

# (as-of date, period): whole past years, a quarter, a month, a custom range, as-of dates in
# the past (before many events), as-of inside the period, and on the days things happen.
CASES: dict[str, tuple[date, Period]] = {
    "2024": (date(2024, 12, 31), parse_period("2024")),
    "2025": (date(2025, 12, 31), parse_period("2025")),
    "2024-Q1": (date(2024, 3, 31), parse_period("2024-Q1")),
    "2025-Q2": (date(2025, 6, 30), parse_period("2025-Q2")),
    "2026-03": (date(2026, 3, 31), parse_period("2026-03")),
    "custom": (date(2026, 6, 30), Period(date(2025, 7, 15), date(2026, 2, 10))),
    "upgrade-day": (date(2025, 3, 1), Period(date(2025, 1, 1), date(2025, 3, 1))),
    "mid-2025": (date(2025, 6, 1), parse_period("2025")),
    "ytd-2026": (date(2026, 6, 30), Period(date(2026, 1, 1), date(2026, 6, 30))),
}


def at(y: int, m: int, d: int) -> datetime:
    return datetime.combine(date(y, m, d), time(12), CST)


# ---------------------------------------------------------------------------- the history


@dataclass
class History:
    platform: Platform
    ids: dict[str, UUID]
    envelopes: list[Envelope]
    world: World


def script(p: Platform) -> dict[str, UUID]:
    """Drive the three applications; every step is projected before the next."""
    v, t, c = apps(p)
    ids: dict[str, UUID] = {}
    serial = iter(range(1, 1000))

    def run(fn: Any, *args: Any, **kwargs: Any) -> Any:
        result = fn(*args, **kwargs)
        p.drain()
        return result

    def township_of(village: str) -> str:
        return village[:9] + "000"

    def apply(name: str, village: str, fld: str, day: datetime, category: str = "general") -> UUID:
        r = run(
            v.apply_for_filing,
            village,
            name,
            fld,
            day.date(),
            meta(village_op(village), at=day),
            category=category,
        )
        ids[name] = r.id
        return r.id

    def decide(name: str, filed: bool, day: datetime) -> None:
        village = p.tiers[Tier.TOWNSHIP].app.lookup.get(ids[name]).village_code  # type: ignore[union-attr]
        run(
            t.decide_filing,
            ids[name],
            filed,
            "" if filed else "重复申请",
            meta(township_op(township_of(village)), at=day),
        )

    def register(
        name: str,
        form: str,
        fld: str,
        day: datetime,
        village: str | None = None,
        category: str = "general",
    ) -> UUID:
        upgraded = ids.get(name) if village is None else None
        r = run(
            c.register,
            usci(next(serial), form),
            name,
            fld,
            village,
            upgraded,
            meta(county_op(), at=day),
            category=category,
        )
        ids[name] = r.id
        return r.id

    def township_charter(name: str, party: bool, integrity: bool, day: datetime) -> None:
        village = p.tiers[Tier.TOWNSHIP].app.lookup.get(ids[name]).village_code  # type: ignore[union-attr]
        run(
            t.approve_charter,
            ids[name],
            party,
            integrity,
            meta(township_op(township_of(village)), at=day),
        )

    def county(method: str, name: str, *args: Any, day: datetime, **kw: Any) -> Any:
        return run(getattr(c, method), ids[name], *args, meta(county_op(), at=day), **kw)

    def activity(
        name: str,
        on: date,
        people: int,
        volunteers: int,
        hours: str,
        money: str,
        cases: tuple[int, int] | None = None,  # disputes taken, resolved (ADR 0019)
        served: tuple[str, ...] = (),  # volunteer numbers of the village's register (ADR 0021)
        themes: tuple[str, ...] = (),  # activity themes (ADR 0019): governance work, ADR 0024
    ) -> None:
        village = p.tiers[Tier.VILLAGE].app.lookup.get(ids[name]).village_code  # type: ignore[union-attr]
        run(
            v.report_activity,
            ids[name],
            on,
            "services",
            people,
            volunteers,
            volunteers * 2,
            Decimal(hours),
            people * 3,
            Decimal(money),
            meta(village_op(village), at=datetime.combine(on, time(12), CST)),
            cases_taken=cases[0] if cases else None,
            cases_resolved=cases[1] if cases else None,
            volunteer_ids=served,
            themes=list(themes),
        )

    def volunteers(name: str, *numbers: str, day: datetime) -> None:
        """Enter volunteers in the register of the village ``name`` counts in (ADR 0021)."""
        village = p.tiers[Tier.VILLAGE].app.lookup.get(ids[name]).village_code  # type: ignore[union-attr]
        for number in numbers:
            run(v.register_volunteer, village, number, meta(village_op(village), at=day))

    def budget(programme: str, year: int, amount: str, day: datetime) -> None:
        run(c.set_programme_budget, programme, year, Decimal(amount), meta(county_op(), at=day))

    def inspect(name: str, result: str, day: datetime) -> UUID:
        village = p.tiers[Tier.TOWNSHIP].app.lookup.get(ids[name]).village_code  # type: ignore[union-attr]
        r = run(
            t.record_inspection,
            ids[name],
            result,
            "台账",
            ["张", "李"],
            meta(township_op(township_of(village)), at=day),
        )
        return r.id

    def platform(app: Any, op: Any, kind: str, code: str, day: datetime) -> UUID:
        return run(app.open_platform, kind, code, f"{kind}@{code}", meta(op, at=day)).id

    def close(app: Any, op: Any, platform_id: UUID, day: datetime) -> None:
        run(app.close_platform, platform_id, "合并", meta(op, at=day))

    # ------------------------------------------------------------------ 2024
    # The township opens its officers' accounts first (no figure counts them): its store
    # stays ahead of the county's, which keeps a USCI claim with each registration (ADR 0034),
    # so the upgrade day's two charters still sit in the positions the probe needs.
    for n in range(4):
        open_account(t, township_op(id=f"officer-{n}"))
    platform(c, county_op(), "county_centre", COUNTY, at(2024, 1, 5))
    apply("青溪乡贤参事会", QINGXI, "services", at(2024, 1, 20), "village_sage_council")
    platform(v, village_op(WENCHANG), "village_station", WENCHANG, at(2024, 2, 1))
    decide("青溪乡贤参事会", True, at(2024, 2, 1))
    apply("文昌舞蹈队", WENCHANG, "culture_sports", at(2024, 2, 10))
    apply("重复的舞蹈队", WENCHANG, "culture_sports", at(2024, 2, 15))
    decide("文昌舞蹈队", True, at(2024, 3, 1))
    platform(t, township_op(), "township_platform", "330699001000", at(2024, 3, 1))
    apply("南门巡逻队", NANMEN, "safety", at(2024, 3, 1))
    apply("云岭互助会", YUNLING, "mutual_aid", at(2024, 3, 1))
    decide("重复的舞蹈队", False, at(2024, 3, 5))
    decide("云岭互助会", True, at(2024, 3, 10))
    decide("南门巡逻队", True, at(2024, 3, 20))
    township_charter("文昌舞蹈队", True, False, at(2024, 4, 1))
    register("慈善基金会", "3", "charity", at(2024, 4, 1), QINGXI)
    apply("东山服务社", DONGSHAN, "services", at(2024, 4, 1))
    decide("东山服务社", True, at(2024, 4, 10))
    platform(t, township_op(), "incubator", WENCHANG, at(2024, 5, 1))
    apply("高山议事会", GAOSHAN, "self_governance", at(2024, 5, 1))
    decide("高山议事会", True, at(2024, 5, 10))
    register("示范社工服务中心", "2", "services", at(2024, 5, 10), NANMEN)
    volunteers("文昌舞蹈队", "W1", "W2", "W3", day=at(2024, 5, 15))
    activity("文昌舞蹈队", date(2024, 5, 20), 30, 5, "12.5", "200.00", served=("W1", "W2"))
    budget("special_fund", 2024, "30000", at(2024, 5, 15))
    apply("枫林调解室", FENGLIN, "mediation", at(2024, 5, 25))
    township_charter("青溪乡贤参事会", False, False, at(2024, 6, 1))
    county("approve_charter", "示范社工服务中心", True, True, day=at(2024, 6, 1))
    # Governance work before each grade and award (the shipped commendation rule, ADR 0024
    # addendum): a flood-relief drive of the foundation three weeks before its grade.
    activity("慈善基金会", date(2024, 5, 10), 20, 4, "8", "5000.00", themes=("flood_relief",))
    county("rate", "慈善基金会", "C", 2, date(2025, 6, 1), None, day=at(2024, 6, 1))
    centre_2 = platform(c, county_op(), "county_centre", COUNTY, at(2024, 6, 1))
    platform(v, village_op(QINGXI), "village_station", QINGXI, at(2024, 6, 1))
    decide("枫林调解室", True, at(2024, 6, 1))
    activity("云岭互助会", date(2024, 6, 1), 12, 2, "4", "0")
    activity("南门巡逻队", date(2024, 6, 15), 8, 8, "16.25", "35.50")
    county("set_up_party_organisation", "示范社工服务中心", "joint", day=at(2024, 7, 1))
    station_nanmen = platform(v, village_op(NANMEN), "village_station", NANMEN, at(2024, 7, 1))
    register("老年协会", "9", "mutual_aid", at(2024, 8, 1), WENCHANG)
    apply("北苑乡贤会", BEIYUAN, "culture_sports", at(2024, 8, 20), "village_sage_council")
    activity("示范社工服务中心", date(2024, 8, 15), 10, 3, "6", "0", themes=("mediation",))
    activity("老年协会", date(2024, 8, 20), 6, 2, "4", "0", cases=(1, 1), themes=("mediation",))
    county("rate", "示范社工服务中心", "A", 4, None, 3, day=at(2024, 9, 1))
    county("rate", "老年协会", None, 2, None, 2, day=at(2024, 9, 1))
    decide("北苑乡贤会", True, at(2024, 9, 1))
    for n, fld in enumerate(["other", "mediation", "charity", "culture_sports", "services"], 1):
        apply(f"竹园{n}队", ZHUYUAN, fld, at(2024, 9, 20))
    for n in (1, 2, 3):
        decide(f"竹园{n}队", True, at(2024, 10, 15))
    register("东山服务社", "2", "services", at(2024, 10, 1))  # upgrade of a filed group
    county("enter_credit_list", "慈善基金会", "abnormal", "未报年报", day=at(2024, 11, 1))
    activity("竹园1队", date(2024, 11, 20), 40, 6, "9.75", "120.00")
    register("白石平安队", "1", "safety", at(2024, 12, 31), BAISHI)
    # A patrol on its first day, the zombie cutoff of the 2025 report (outside that window).
    activity("白石平安队", date(2024, 12, 31), 8, 8, "16", "0", themes=("safety",))
    activity(
        "枫林调解室", date(2024, 12, 31), 6, 1, "2", "0", cases=(5, 4)
    )  # on the 2025-12-31 cutoff

    # ------------------------------------------------------------------ 2025
    county("rate", "白石平安队", None, 3, date(2025, 12, 31), None, day=at(2025, 1, 10))
    platform(t, township_op("330699101000"), "township_platform", "330699101000", at(2025, 1, 15))
    platform(t, township_op("330699101000"), "incubator", "330699101000", at(2025, 2, 1))
    # Random inspection sampling (ADR 0010): the county's 2025 draw, a supplementary draw, and
    # an inspection for three of the drawn organisations, one of each result.
    regular = run(draw, c, None, 2025, "oracle-2025", None, meta(county_op(), at=at(2025, 1, 20)))
    extra = run(draw, c, None, 2025, "oracle-2025b", 3, meta(county_op(), at=at(2025, 1, 21)))
    drawn = [(d.id, UUID(o)) for d in (regular, extra) for o in d.extra["selected"]]
    results = ("compliant", "rectification_ordered", "violation")
    for (draw_id, org), result in zip(drawn, results, strict=False):
        village = p.tiers[Tier.TOWNSHIP].app.lookup.get(org).village_code  # type: ignore[union-attr]
        op = township_op(township_of(village))
        run(
            t.record_inspection,
            org,
            result,
            "抽查",
            ["张", "李"],
            meta(op, at=at(2025, 4, 10)),
            draw_id,
        )
    inspect("慈善基金会", "rectification_ordered", at(2025, 2, 1))  # never rectified
    decide("竹园4队", True, at(2025, 2, 1))
    activity(
        "文昌舞蹈队", date(2025, 2, 14), 50, 10, "30.5", "880.80", cases=(2, 2), served=("W1", "W3"),
        themes=("mediation",),
    )  # fmt: skip
    budget("micro_venture", 2025, "100000", at(2025, 2, 14))
    # Upgrade day: the township approves the filed group's charter, the county registers it
    # (new field, same category) and approves a new charter, all taking effect on 1 March.
    township_charter("青溪乡贤参事会", False, True, at(2025, 3, 1))
    register(
        "青溪乡贤参事会",
        "1",
        "rural_revitalisation",
        at(2025, 3, 1),
        category="village_sage_council",
    )
    county("approve_charter", "青溪乡贤参事会", True, True, day=at(2025, 3, 1))
    zhuyuan_incubator = platform(
        t, township_op("330699102000"), "incubator", ZHUYUAN, at(2025, 3, 1)
    )
    award_1 = county(
        "award_funding",
        "示范社工服务中心",
        "micro_venture",
        "2025",
        "助老",
        Decimal("20000"),
        None,
        day=at(2025, 3, 1),
        beneficiaries_planned=200,
    )
    inspect("白石平安队", "compliant", at(2025, 3, 1))
    county("file_annual_report", "慈善基金会", 2024, day=at(2025, 3, 15))
    county("set_up_party_organisation", "青溪乡贤参事会", "own", day=at(2025, 4, 1))
    run(c.disburse, award_1.id, "首期", Decimal("12000"), meta(county_op(), at=at(2025, 4, 1)))
    county("file_annual_report", "青溪乡贤参事会", 2024, day=at(2025, 4, 1))  # not due for 2024
    activity(
        "青溪乡贤参事会",
        date(2025, 4, 5),
        100,
        20,
        "60",
        "1500.00",
        themes=("rural_revitalisation",),
    )
    run(t.cancel_filing, ids["南门巡逻队"], "停止活动", meta(township_op(), at=at(2025, 4, 15)))
    county("file_annual_report", "示范社工服务中心", 2024, day=at(2025, 4, 20))
    county("file_annual_report", "老年协会", 2024, day=at(2025, 5, 1))
    county("rate", "青溪乡贤参事会", "A", 5, None, 5, day=at(2025, 5, 1))
    decide("竹园5队", True, at(2025, 5, 1))
    activity("竹园4队", date(2025, 5, 5), 15, 3, "4.5", "60.00")
    rectification = inspect("文昌舞蹈队", "rectification_ordered", at(2025, 5, 10))
    award_2 = county(
        "award_funding",
        "文昌舞蹈队",
        "special_fund",
        "2025",
        "舞蹈",
        Decimal("5000.50"),
        ids["示范社工服务中心"],
        day=at(2025, 6, 1),
    )
    county("deregister", "东山服务社", "自愿注销", day=at(2025, 6, 1))
    close(c, county_op(), centre_2, at(2025, 6, 30))
    run(t.complete_rectification, rectification, meta(township_op(), at=at(2025, 7, 1)))
    run(c.disburse, award_2.id, "全额", Decimal("2500.25"), meta(county_op(), at=at(2025, 7, 1)))
    volunteers("示范社工服务中心", "W1", "S2", day=at(2025, 7, 1))  # W1 of another village
    activity("示范社工服务中心", date(2025, 7, 20), 70, 12, "48", "2100.00", served=("W1", "S2"))
    budget("micro_venture", 2025, "120000", at(2025, 7, 20))  # revised: the latest counts
    # An upgrade that makes a filed group a village-sage council.
    register("高山议事会", "1", "self_governance", at(2025, 8, 1), category="village_sage_council")
    # The filing of a group that was upgraded and has since been deregistered.
    run(
        t.cancel_filing,
        ids["东山服务社"],
        "已注销登记",
        meta(township_op("330699002000"), at=at(2025, 8, 1)),
    )
    county("approve_charter", "示范社工服务中心", True, False, day=at(2025, 9, 1))
    county("enter_credit_list", "青溪乡贤参事会", "abnormal", "无法取得联系", day=at(2025, 9, 1))
    activity("高山议事会", date(2025, 8, 20), 12, 2, "3", "0", themes=("mediation",))
    county("rate", "高山议事会", None, 1, None, 1, day=at(2025, 9, 1))
    county("rate", "示范社工服务中心", "AA", None, None, 4, day=at(2025, 10, 1))
    close(v, village_op(NANMEN), station_nanmen, at(2025, 10, 1))
    # Back-dated entries, recorded after later-dated ones.
    county("approve_charter", "示范社工服务中心", False, False, day=at(2025, 7, 1))
    county("rate", "示范社工服务中心", "B", None, None, None, day=at(2025, 8, 1))
    activity("竹园3队", date(2025, 10, 10), 22, 4, "6", "90.00", cases=(3, 1))
    # A sage council upgraded without a category (the default, general): still a sage council.
    register("北苑乡贤会", "1", "culture_sports", at(2025, 10, 20))
    inspect("示范社工服务中心", "violation", at(2025, 11, 1))
    county("enter_credit_list", "慈善基金会", "serious", "两年未改", day=at(2025, 11, 5))
    county("leave_credit_list", "慈善基金会", "abnormal", "转入严重名单", day=at(2025, 11, 5))
    county("deregister", "老年协会", "自愿注销", day=at(2025, 12, 20))
    activity("高山议事会", date(2025, 12, 30), 18, 2, "3", "45.00")
    # 17:00 UTC on 31 December is 01:00 on 1 January in China: a 2026 inspection.
    inspect("白石平安队", "violation", datetime(2025, 12, 31, 17, 0, tzinfo=UTC))

    # ------------------------------------------------------------------ 2026
    run(c.disburse, award_1.id, "二期", Decimal("8000"), meta(county_op(), at=at(2026, 1, 10)))
    run(
        t.cancel_filing,
        ids["竹园2队"],
        "解散",
        meta(township_op("330699102000"), at=at(2026, 1, 10)),
    )
    county("leave_credit_list", "青溪乡贤参事会", "abnormal", "已联系", day=at(2026, 1, 15))
    close(t, township_op("330699102000"), zhuyuan_incubator, at(2026, 1, 31))
    county("revoke", "慈善基金会", "僵尸组织", day=at(2026, 2, 1))
    county("rate", "白石平安队", "B", None, None, None, day=at(2026, 2, 1))
    # Its Spring Festival patrols, governance work before the purchase of its services.
    activity("白石平安队", date(2026, 1, 20), 10, 10, "20", "0", themes=("safety",))
    inspect("文昌舞蹈队", "compliant", at(2026, 2, 1))
    award_3 = county(
        "award_funding",
        "白石平安队",
        "purchase_of_services",
        "2026",
        "巡逻",
        Decimal("30000"),
        None,
        day=at(2026, 2, 1),
        purchaser="其他",  # a purchase of services names its department (ADR 0021)
        purchaser_other="区公安分局",
        beneficiaries_planned=80,
    )
    budget("purchase_of_services", 2026, "50000", at(2026, 2, 1))
    run(c.disburse, award_3.id, "首期", Decimal("10000"), meta(county_op(), at=at(2026, 3, 1)))
    activity("枫林调解室", date(2026, 3, 1), 9, 2, "3.5", "12.30")
    county("file_annual_report", "示范社工服务中心", 2025, day=at(2026, 3, 10))
    county("file_annual_report", "青溪乡贤参事会", 2025, day=at(2026, 4, 1))
    apply("上塘读书会", SHANGTANG, "culture_sports", at(2026, 5, 1))  # undecided
    activity("文昌舞蹈队", date(2026, 6, 28), 45, 9, "27", "640.00", served=("W2",))
    activity("示范社工服务中心", date(2026, 6, 30), 60, 15, "40.25", "1800.00")
    run(
        c.evaluate_award,
        award_1.id,
        "final",
        Decimal(90),
        "",
        meta(county_op(), at=at(2026, 6, 1)),
    )
    run(
        c.close_award,
        award_1.id,
        "结项",
        meta(county_op(), at=at(2026, 6, 15)),
        beneficiaries_reached=150,
    )

    # Training courses (ADR 0024): the county's and two townships' courses, attendance across
    # townships, counts corrected (one to 0), a course moved to other days, one cancelled.
    def course(op: Any, code: str, kind: str, starts: date, ends: date, day: datetime) -> UUID:
        app = c if code == COUNTY else t
        args = (code, f"{kind}班", kind, starts, ends, "县社会组织服务中心", None, meta(op, at=day))
        return run(training.schedule, app, *args).id  # type: ignore[no-any-return]

    def attend(op: Any, course_id: UUID, name: str, n: int, day: datetime, why: Any = None) -> None:
        app = c if op.tier is Tier.COUNTY else t
        run(training.attend, app, course_id, ids[name], n, ["负责人"], meta(op, at=day), why)

    k1 = course(
        county_op(), COUNTY, "leaders", date(2024, 6, 10), date(2024, 6, 12), at(2024, 6, 1)
    )
    for name, n in (
        ("文昌舞蹈队", 2),
        ("青溪乡贤参事会", 3),
        ("云岭互助会", 1),
        ("示范社工服务中心", 4),
    ):
        attend(county_op(), k1, name, n, at(2024, 6, 12))
    attend(county_op(), k1, "云岭互助会", 0, at(2024, 7, 1), "未实际参加")
    attend(county_op(), k1, "文昌舞蹈队", 5, at(2024, 7, 1), "漏记三人")
    k2 = course(
        township_op(),
        "330699001000",
        "core_staff",
        date(2025, 3, 5),
        date(2025, 3, 5),
        at(2025, 3, 1),
    )
    attend(township_op(), k2, "文昌舞蹈队", 6, at(2025, 3, 5))
    attend(township_op(), k2, "示范社工服务中心", 2, at(2025, 3, 6))
    k3 = course(
        county_op(), COUNTY, "finance", date(2025, 7, 10), date(2025, 7, 11), at(2025, 7, 1)
    )
    attend(county_op(), k3, "高山议事会", 2, at(2025, 7, 11))
    attend(county_op(), k3, "竹园1队", 1, at(2025, 7, 11))
    run(
        training.correct,
        c,
        k3,
        "财务班",
        "finance",
        date(2025, 8, 3),
        date(2025, 8, 4),
        "县财政局",
        None,
        "改期",
        meta(county_op(), at=at(2025, 8, 5)),
    )
    baishi_op = township_op("330699102000")
    k4 = course(
        baishi_op, "330699102000", "other", date(2026, 2, 10), date(2026, 2, 10), at(2026, 2, 1)
    )
    attend(baishi_op, k4, "竹园3队", 3, at(2026, 2, 10))
    run(training.cancel, t, k4, "录入错误", meta(baishi_op, at=at(2026, 2, 20)))
    k5 = course(
        county_op(), COUNTY, "leaders", date(2026, 3, 15), date(2026, 3, 16), at(2026, 3, 1)
    )
    for name, n in (("白石平安队", 2), ("北苑乡贤会", 3), ("青溪乡贤参事会", 1)):
        attend(county_op(), k5, name, n, at(2026, 3, 16))
    course(county_op(), COUNTY, "leaders", date(2026, 9, 1), date(2026, 9, 2), at(2026, 6, 20))
    # A commendation round (ADR 0024): the county's for 2025, opened, decided and published
    # in January 2026; 枫林调解室 took part in governance work (a mediation activity) in 2025.
    activity("枫林调解室", date(2025, 9, 1), 7, 1, "2", "0", themes=("mediation",))
    rid = run(commendations.open_round, c, None, 2025, meta(county_op(), at=at(2026, 1, 15))).id
    run(
        commendations.decide, c, rid, [ids["枫林调解室"]], "", meta(county_op(), at=at(2026, 1, 16))
    )
    run(commendations.publish, c, rid, meta(county_op(), at=at(2026, 1, 20)))
    evaluation(run, c, ids)
    return ids


def evaluation(run: Any, c: Any, ids: dict[str, UUID]) -> None:
    """Third-party evaluation (ADR 0026): two assignments in two years, a finding corrected,
    decisions accepted (which rates 高山议事会) and rejected, one finding awaiting a decision."""
    bureau = county_op()
    person = Actor("oracle-evaluator", Tier.COUNTY, COUNTY, "evaluator", "评估员", ("evaluator",))
    account = open_account(c, person)
    evaluator = run(
        c.register_evaluator,
        "明鉴评估中心",
        "ORACLE-EVAL-1",
        "主任",
        meta(bureau, at=at(2025, 5, 1)),
    )
    run(c.bind_evaluator_account, evaluator.id, account.id, meta(bureau, at=at(2025, 5, 1)))
    acting = as_recorded(person)

    def assign(names: tuple[str, ...], day: datetime) -> UUID:
        orgs = [ids[n] for n in names]
        due = date(day.year, 12, 31)
        r = run(
            c.assign_evaluation,
            evaluator.id,
            "grade",
            "等级评估",
            orgs,
            [],
            due,
            meta(bureau, at=day),
        )
        return r.id  # type: ignore[no-any-return]

    def find(a: UUID, name: str, grade: int, on: date, corrects: UUID | None = None) -> UUID:
        args = (a, ids[name], None, None, grade, None, "评估意见", on, corrects)
        day = meta(acting, at=at(on.year, on.month, on.day))
        return run(c.record_finding, *args, day).id  # type: ignore[no-any-return]

    def decide(a: UUID, finding: UUID, outcome: str, day: datetime) -> None:
        run(c.decide_finding, a, finding, outcome, None, None, "局方决定", meta(bureau, at=day))

    a1 = assign(("示范社工服务中心", "白石平安队"), at(2025, 5, 20))
    first = find(a1, "示范社工服务中心", 4, date(2025, 6, 1))
    hub = find(a1, "示范社工服务中心", 3, date(2025, 7, 20), corrects=first)
    a2 = assign(("高山议事会",), at(2025, 8, 15))
    decide(a2, find(a2, "高山议事会", 1, date(2025, 9, 10)), "accepted", at(2025, 9, 20))
    decide(a1, find(a1, "白石平安队", 2, date(2025, 12, 1)), "rejected", at(2026, 1, 10))
    decide(a1, hub, "rejected", at(2026, 3, 5))
    a3 = assign(("北苑乡贤会",), at(2026, 2, 1))
    find(a3, "北苑乡贤会", 3, date(2026, 3, 1))  # awaiting the bureau's decision


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    p = build_platform(Path(tmp_path_factory.mktemp("oracle")), clock=lambda: NOW)
    try:
        ids = script(p)
        envelopes = [e for es in envelopes_by_source(p).values() for e in es]
        yield History(p, ids, envelopes, replay(envelopes))
    finally:
        p.stop()


def report(h: History, code: str, case: str, tier: Tier = Tier.COUNTY) -> dict[str, Any]:
    as_of, period = CASES[case]
    # The JSON the API serves: the oracle compares plain values.
    return canonical(
        division_report(
            h.platform.tiers[tier].db, JURISDICTION, code, as_of, period, RULES.in_force(as_of)
        )
    )


def oracle(h: History, code: str, case: str) -> dict[str, Any]:
    as_of, period = CASES[case]
    return figures_of(h.world, JURISDICTION, code, as_of, period, RULES.in_force(as_of))


# ---------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("code", DIVISIONS)
def test_report_figures_equal_the_oracle(history: History, code: str, case: str) -> None:
    got = flatten(report(history, code, case)["figures"])
    want = oracle(history, code, case)
    problems = mismatches(got, want)
    assert not problems, f"{code} {case}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("case", list(CASES))
def test_every_tier_read_model_serves_the_same_county_report(history: History, case: str) -> None:
    figures = [flatten(report(history, COUNTY, case, tier)["figures"]) for tier in Tier]
    assert figures[0] == figures[1] == figures[2]


def additive(key: str) -> bool:
    return lookup(key).additive


def assert_sums(parent: dict[str, Any], children: list[dict[str, Any]], keys: set[str]) -> None:
    problems = []
    for key in sorted(keys):
        total = sum(c.get(key, 0) for c in children)
        if not same(key, total, parent[key]):
            problems.append(f"{key}: parent {parent[key]!r}, Σ children {total!r}")
    assert not problems, "\n  ".join(problems)


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("code", VILLAGES)
def test_village_is_the_sum_of_its_organisations(history: History, code: str, case: str) -> None:
    r = report(history, code, case)
    village: dict[str, Any] = flatten(r["figures"])
    orgs = [flatten(c["figures"]) for c in r["children"]]
    assert all(c["kind"] == "organisation" for c in r["children"])
    # Every additive figure but the village's own (density, platforms) is per organisation.
    keys = {k for k in village if additive(k) and k.split(".")[0] not in ("density", "platforms")}
    assert all(k in village for o in orgs for k in o)
    assert_sums(village, orgs, keys)
    assert len(orgs) >= village["organisations.active"]


@pytest.mark.parametrize("case", list(CASES))
def test_county_is_the_sum_of_its_townships(history: History, case: str) -> None:
    r = report(history, COUNTY, case)
    county = flatten(r["figures"])
    townships = [flatten(c["figures"]) for c in r["children"]]
    assert [c["code"] for c in r["children"]] == TOWNSHIPS
    own_level = {"platforms.county_centres", "training.courses_held", "evaluation.assignments"}
    keys = {k for k in county if additive(k)} - own_level
    assert_sums(county, townships, keys)
    assert all(t["platforms.county_centres"] == 0 for t in townships)
    # Evaluation assignments are the county's alone (ADR 0026).
    assert all(t["evaluation.assignments"] == 0 for t in townships)
    # Courses count where they were run (ADR 0024): the county's own, plus its townships'.
    as_of, period = CASES[case]
    own = sum(
        k.division == COUNTY
        and not k.cancelled
        and period.start <= k.starts_on <= min(period.end, as_of)
        for k in history.world.courses.values()
    )
    held = sum(t["training.courses_held"] for t in townships)
    assert county["training.courses_held"] == held + own


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("code", TOWNSHIPS)
def test_township_is_the_sum_of_its_villages_and_own_level(
    history: History, code: str, case: str
) -> None:
    r = report(history, code, case)
    township = flatten(r["figures"])
    villages: list[dict[str, Any]] = [flatten(c["figures"]) for c in r["children"]]
    own_level = {"platforms.township_platforms", "platforms.incubators", "training.courses_held"}
    assert_sums(township, villages, {k for k in township if additive(k)} - own_level)
    assert all(v["training.courses_held"] == 0 for v in villages)
    assert township["evaluation.assignments"] == 0
    as_of, _ = CASES[case]
    at_township = [
        p for p in history.world.platforms.values() if p.division == code and p.open_on(as_of)
    ]
    for key, kind in (
        ("platforms.township_platforms", "township_platform"),
        ("platforms.incubators", "incubator"),
    ):
        in_villages = sum(v[key] for v in villages)
        assert township[key] == in_villages + sum(p.kind == kind for p in at_township), key


def test_the_history_exercises_every_figure(history: History) -> None:
    """Across the county reports, every counter is non-zero somewhere, every rate defined."""
    seen: dict[str, list[Any]] = {}
    for case in CASES:
        for key, value in flatten(report(history, COUNTY, case)["figures"]).items():
            seen.setdefault(key, []).append(value)
    never = sorted(k for k, values in seen.items() if not any(values))
    assert never == [], never
    credits = {k.rsplit(".", 1)[1] for k in seen if k.startswith("ratings.by_credit.")}
    assert {"A", "AA", "B"} <= credits


def test_the_history_has_the_cases_it_means_to_probe(history: History) -> None:
    """Preconditions that make some comparisons meaningful, checked rather than assumed."""
    by_type: dict[str, list[Envelope]] = {}
    for e in history.envelopes:
        by_type.setdefault(e.type, []).append(e)
    sage = str(history.ids["青溪乡贤参事会"])
    township_charter = next(
        e
        for e in by_type["sanji.township.charter.approved.v1"]
        if str(e.organisation_id) == sage and e.effective_at.date() == date(2025, 3, 1)
    )
    county_charter = next(
        e for e in by_type["sanji.county.charter.approved.v1"] if str(e.organisation_id) == sage
    )
    # Same legal day, the county's recorded later but at a lower position of its own store:
    # only the recording time (not the source position) orders them.
    assert township_charter.recorded_at < county_charter.recorded_at
    assert township_charter.position > county_charter.position
    # A back-dated charter and rating (recorded after a later-dated one).
    hub = str(history.ids["示范社工服务中心"])
    charters = [
        e for e in by_type["sanji.county.charter.approved.v1"] if str(e.organisation_id) == hub
    ]
    assert charters[-1].effective_at < charters[-2].effective_at
    # Boundaries on the 2025 report's as-of date: a grade on its last valid day; an
    # organisation entered on the zombie cutoff day; an activity on that very day.
    as_of = CASES["2025"][0]
    cutoff = RULES.in_force(as_of).zombie_cutoff(as_of)
    baishi = history.world.orgs[str(history.ids["白石平安队"])]
    assert any(r[2] is not None and r[3] == as_of for r in baishi.ratings)
    assert baishi.registered_on == cutoff
    fenglin = str(history.ids["枫林调解室"])
    assert any(a.org_id == fenglin and a.occurred_on == cutoff for a in history.world.activities)
    # An act whose legal (China) date is not its UTC date.
    assert any(
        e.effective_at.astimezone(UTC).date() != legal_date(e.effective_at)
        for e in history.envelopes
    )
