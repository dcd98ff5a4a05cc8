"""The metric catalogue: every figure a report serves, defined once (domain.md §4).

Reports, exports and ``docs/metrics.md`` all read this list, so a figure's name, unit,
definition, denominator and additivity cannot drift between code and documentation
(``python -m shared.reporting.catalogue --write`` regenerates the document; a test checks it is
current and that every figure a report emits is catalogued, and vice versa).

Keys are ``group.metric`` (``organisations.active``); a ``*`` stands for an open-ended value
(``ratings.by_credit.*``: one entry per credit rating in use). "Additive" means
parent = Σ children for that figure at one consistent point; rates and averages are derived
from additive counters after summing, never summed themselves.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.kernel.domain import Category
from shared.kernel.domain import Field as OrgField
from shared.kernel.integration.events import FundingProgramme
from shared.kernel.usci import LegalForm

DOC = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


@dataclass(frozen=True)
class Group:
    key: str
    number: int  # domain.md §4 numbering
    zh: str
    en: str


@dataclass(frozen=True)
class Metric:
    key: str
    zh: str
    en: str
    unit: str  # 个 / 人 / 人次 / 小时 / 元 / ratio (0–1) / score (0–100) / …
    definition: str
    additive: bool
    denominator: str = ""  # for rates, averages and per-10,000 figures
    rules: tuple[str, ...] = ()  # rule families (shared/data/rules.json) the figure depends on
    period: bool = False  # True: counts events inside the period; False: state on the as-of date
    # The report family a figure came with (issue 14): a report whose rule set does not name it
    # (one issued before the family existed, reproduced) leaves the figure out, so it
    # reproduces with its former content hash (ADR 0019).
    since: str = ""

    @property
    def group(self) -> str:
        return self.key.split(".", 1)[0]


GROUPS = [
    Group("organisations", 1, "组织数量", "Organisations"),
    Group("density", 2, "发展密度", "Density"),
    Group("party_building", 3, "党建引领", "Party building"),
    Group("activity", 4, "活动开展", "Activity"),
    Group("zombies", 5, "僵尸组织", "Zombie organisations"),
    Group("supervision", 6, "监督管理", "Supervision"),
    Group("funding", 7, "资金扶持", "Funding"),
    Group("ratings", 8, "评价评级", "Ratings"),
    Group("ranking", 9, "四维排名", "Ranking"),
    Group("platforms", 10, "服务平台", "Platforms"),
    Group("training", 11, "培训与表彰", "Training and commendations"),
    Group("evaluation", 12, "第三方评估", "Third-party evaluation"),
]

_ACTIVE = "active on the as-of date: registered and not deregistered/revoked, or filed, not cancelled and not yet registered"
_FIELD_ZH = {
    OrgField.SERVICES: "为民服务",
    OrgField.SELF_GOVERNANCE: "自治",
    OrgField.CULTURE_SPORTS: "文体活动",
    OrgField.SAFETY: "平安建设",
    OrgField.CHARITY: "公益慈善",
    OrgField.MEDIATION: "矛盾调处",
    OrgField.RURAL_REVITALISATION: "乡村振兴",
    OrgField.MUTUAL_AID: "邻里互助",
    OrgField.OTHER: "其他",
}
_FORM_ZH = {
    LegalForm.SOCIAL_GROUP: "社会团体",
    LegalForm.PRIVATE_NON_ENTERPRISE: "民办非企业单位",
    LegalForm.FOUNDATION: "基金会",
    LegalForm.OTHER: "其他登记组织",
    LegalForm.FILED_GROUP: "备案组织",
}
_PROGRAMME_ZH = {
    FundingProgramme.MICRO_VENTURE: "微公益创投",
    FundingProgramme.PURCHASE_OF_SERVICES: "政府购买服务",
    FundingProgramme.SPECIAL_FUND: "专项资金",
}


def _m(key: str, zh: str, en: str, unit: str, definition: str, **kw: object) -> Metric:
    kw.setdefault("additive", unit not in ("ratio", "score", "average", "per 10,000"))
    return Metric(key, zh, en, unit, definition, **kw)  # type: ignore[arg-type]


# Coverage rates (issue 14 item 3, ADR 0018): the headline rate follows the ``coverage`` rule in
# force; the variants divide by a fixed set of villages so a reader sees every definition.
_BY_RULE = "per the coverage rule in force (rules.coverage)"
_BASIS = {
    "all": ("全部村（社区）", "all villages and communities", "density.villages"),
    "urban": ("城市社区", "urban communities", "density.urban_communities"),
    "rural": ("农村行政村", "rural villages", "density.rural_villages"),
}


def _coverage_numerators(what: str, has_en: str, zh: str) -> list[Metric]:
    """The numerator counters a coverage rule may choose that had no figure before (the
    incubator's ``all`` and the council's ``rural`` numerators predate the family)."""
    existing = {"incubator": "all", "sage_council": "rural"}[what]
    out = []
    for basis, (basis_zh, basis_en, _) in _BASIS.items():
        if basis == existing:
            continue
        key = (
            f"platforms.villages_and_communities_with_{what}"
            if basis == "all"
            else f"platforms.{basis}_{'communities' if basis == 'urban' else 'villages'}_with_{what}"
        )
        out.append(
            _m(
                key,
                f"建有{zh}的{basis_zh}",
                f"{basis_en.capitalize()} with {'an incubator' if what == 'incubator' else 'a sage council'}",
                "个",
                f"{basis_en} with {has_en} on the as-of date",
            )
        )
    return out


# Per coverage rate and basis, the numerator counter (shared/reporting/coverage.py counts them).
COVERAGE_NUMERATORS = {
    "incubator_coverage": {
        "all": "platforms.villages_with_incubator",
        "urban": "platforms.urban_communities_with_incubator",
        "rural": "platforms.rural_villages_with_incubator",
    },
    "sage_council_coverage": {
        "all": "platforms.villages_and_communities_with_sage_council",
        "urban": "platforms.urban_communities_with_sage_council",
        "rural": "platforms.villages_with_sage_council",
    },
}


def _coverage_variants(rate: str, zh: str, en: str) -> list[Metric]:
    numerators = COVERAGE_NUMERATORS[rate]
    return [
        _m(
            f"platforms.{rate}_{basis}",
            f"{zh}（按{basis_zh}）",
            f"{en} over {basis_en}",
            "ratio",
            f"{numerators[basis]} ÷ {denominator}",
            denominator=basis_en,
        )
        for basis, (basis_zh, basis_en, denominator) in _BASIS.items()
    ]


METRICS: list[Metric] = [
    # 1 ------------------------------------------------------------ organisations
    _m("organisations.active", "组织总数", "Active organisations", "个", _ACTIVE),
    _m(
        "organisations.registered",
        "登记",
        "Registered",
        "个",
        "active and registered by the civil-affairs bureau (legal persons with a USCI)",
    ),
    _m(
        "organisations.filed",
        "备案",
        "Filed",
        "个",
        "active and filed by a township (备案), not (yet) registered",
    ),
    _m(
        "organisations.urban",
        "城市社区社会组织",
        "Urban",
        "个",
        "active organisations whose home division is an urban community",
    ),
    _m(
        "organisations.rural",
        "农村社区社会组织",
        "Rural",
        "个",
        "active organisations whose home division is a rural village",
    ),
    *[
        _m(
            f"organisations.by_field.{f.value}",
            f"领域：{_FIELD_ZH[f]}",
            f"Field: {f.value}",
            "个",
            f"active organisations whose field of work on the as-of date (latest statement in effect) is {f.value}",
        )
        for f in OrgField
    ],
    *[
        _m(
            f"organisations.by_legal_form.{f.value}",
            f"类型：{_FORM_ZH[f]}",
            f"Legal form: {f.value}",
            "个",
            f"active organisations of legal form {f.value} on the as-of date (USCI position 2; a filed group not yet registered is filed_group)",
        )
        for f in LegalForm
    ],
    _m(
        "organisations.new_in_period",
        "本期新增",
        "New in period",
        "个",
        "organisations first filed or registered (whichever came first) on a day in the period",
        period=True,
    ),
    _m(
        "organisations.exited_in_period",
        "本期退出",
        "Exited in period",
        "个",
        "registrations ended (deregistered/revoked) in the period, plus filings cancelled in the period of groups never registered",
        period=True,
    ),
    # 2 ------------------------------------------------------------ density
    _m(
        "density.villages",
        "村（社区）数",
        "Villages and communities",
        "个",
        "villages and urban communities in the division",
    ),
    _m(
        "density.urban_communities",
        "城市社区数",
        "Urban communities",
        "个",
        "urban communities in the division",
    ),
    _m(
        "density.rural_villages",
        "行政村数",
        "Rural villages",
        "个",
        "rural (administrative) villages in the division",
    ),
    _m(
        "density.avg_per_urban_community",
        "平均每个社区",
        "Average per urban community",
        "average",
        "organisations.urban ÷ density.urban_communities",
        denominator="urban communities",
    ),
    _m(
        "density.avg_per_rural_village",
        "平均每个行政村",
        "Average per rural village",
        "average",
        "organisations.rural ÷ density.rural_villages",
        denominator="rural villages",
    ),
    _m(
        "density.meeting_standard",
        "达标村（社区）数",
        "Villages meeting the standard",
        "个",
        "villages/communities whose active organisations reach the standard in force (urban: urban_min_per_community, rural: rural_min_per_village)",
        rules=("density",),
    ),
    _m(
        "density.share_meeting_standard",
        "达标率",
        "Share meeting the standard",
        "ratio",
        "density.meeting_standard ÷ density.villages",
        denominator="villages and communities",
        rules=("density",),
    ),
    _m(
        "density.registered_population",
        "户籍人口",
        "Household-registered population",
        "人",
        "Σ 户籍 population of the villages/communities (jurisdiction file)",
    ),
    _m(
        "density.resident_population",
        "常住人口",
        "Resident population",
        "人",
        "Σ 常住 population of the villages/communities (jurisdiction file)",
    ),
    _m(
        "density.per_10k_registered_population",
        "每万户籍人口组织数",
        "Per 10,000 registered residents",
        "per 10,000",
        "organisations.active × 10,000 ÷ density.registered_population",
        denominator="户籍 household-registered population",
    ),
    _m(
        "density.per_10k_resident_population",
        "每万常住人口组织数",
        "Per 10,000 resident population",
        "per 10,000",
        "organisations.active × 10,000 ÷ density.resident_population",
        denominator="常住 resident population",
    ),
    # 3 ------------------------------------------------------------ party building
    _m(
        "party_building.party_clause",
        "党建入章数",
        "Charters with the party clause",
        "个",
        "active organisations whose charter in effect on the as-of date (latest approved by then, by effective date) contains the party-building clause",
    ),
    _m(
        "party_building.integrity_clause",
        "清廉入章数",
        "Charters with the integrity clause",
        "个",
        "active organisations whose charter in effect on the as-of date contains the integrity clause",
    ),
    _m(
        "party_building.party_organisation",
        "党组织覆盖数",
        "With a party organisation",
        "个",
        "active organisations with a party organisation (own or joint branch) set up on or before the as-of date",
    ),
    _m(
        "party_building.party_clause_rate",
        "党建入章率",
        "Party-clause charter rate",
        "ratio",
        "party_building.party_clause ÷ organisations.active",
        denominator="active organisations",
    ),
    _m(
        "party_building.integrity_clause_rate",
        "清廉入章率",
        "Integrity-clause charter rate",
        "ratio",
        "party_building.integrity_clause ÷ organisations.active",
        denominator="active organisations",
    ),
    _m(
        "party_building.party_organisation_coverage",
        "党组织覆盖率",
        "Party-organisation coverage",
        "ratio",
        "party_building.party_organisation ÷ organisations.active",
        denominator="active organisations",
    ),
    # 4 ------------------------------------------------------------ activity
    _m(
        "activity.activities",
        "活动次数",
        "Activities",
        "次",
        "activities that took place on a day in the period",
        period=True,
    ),
    _m(
        "activity.active_organisations",
        "开展活动的组织数",
        "Organisations with activity",
        "个",
        "organisations with at least one activity in the period",
        period=True,
    ),
    _m(
        "activity.participants",
        "参与人次",
        "Participants",
        "人次",
        "Σ participants of activities in the period",
        period=True,
    ),
    _m(
        "activity.volunteers",
        "志愿者人次",
        "Volunteers",
        "人次",
        "Σ volunteers of activities in the period",
        period=True,
    ),
    _m(
        "activity.volunteer_services",
        "志愿服务次数",
        "Volunteer services",
        "次",
        "Σ volunteer services of activities in the period",
        period=True,
    ),
    _m(
        "activity.volunteer_hours",
        "志愿服务时长",
        "Volunteer hours",
        "小时",
        "Σ volunteer hours of activities in the period",
        period=True,
    ),
    _m(
        "activity.beneficiaries",
        "受益人次",
        "Beneficiaries",
        "人次",
        "Σ beneficiaries of activities in the period",
        period=True,
    ),
    _m(
        "activity.money_spent_yuan",
        "活动支出",
        "Money spent",
        "元",
        "Σ money spent on activities in the period",
        period=True,
    ),
    # Disputes mediated (矛盾纠纷调解, issue 14): stated on the activities that mediated them.
    _m(
        "activity.cases_taken",
        "受理矛盾纠纷",
        "Disputes taken",
        "件",
        "Σ cases taken (disputes brought to mediation) stated on activities in the period",
        period=True,
        since="activity_themes",
    ),
    _m(
        "activity.cases_resolved",
        "调解成功",
        "Disputes resolved",
        "件",
        "Σ cases resolved stated on activities in the period (never more than taken, per activity)",
        period=True,
        since="activity_themes",
    ),
    _m(
        "activity.cases_resolution_rate",
        "调解成功率",
        "Mediation success rate",
        "ratio",
        "activity.cases_resolved ÷ activity.cases_taken",
        denominator="disputes taken",
        period=True,
        since="activity_themes",
    ),
    # Volunteers as distinct people (志愿者人数（去重）, issue 14, ADR 0021): from the village
    # registers, beside the 人次 figures stated on each activity.
    _m(
        "activity.distinct_volunteers",
        "参与志愿者（去重）",
        "Volunteers mobilised (distinct people)",
        "人",
        "number of distinct registered volunteers (village register number) listed on at least"
        " one activity in the period in the division; a volunteer belongs to one village's"
        " register and is listed only on that village's activities, so the count adds up"
        " exactly (county = Σ townships = Σ villages); activities that list no volunteers add"
        " nobody",
        period=True,
        since="activity_themes",
    ),
    _m(
        "activity.listed_volunteer_services",
        "登记志愿者服务人次",
        "Services by registered volunteers",
        "人次",
        "Σ over activities in the period of the registered volunteers each lists (one per"
        " volunteer per activity)",
        period=True,
        since="activity_themes",
    ),
    _m(
        "activity.services_per_distinct_volunteer",
        "人均服务次数（登记志愿者）",
        "Services per registered volunteer",
        "average",
        "activity.listed_volunteer_services ÷ activity.distinct_volunteers",
        denominator="distinct volunteers",
        period=True,
        since="activity_themes",
    ),
    # 5 ------------------------------------------------------------ zombies
    _m(
        "zombies.count",
        "僵尸组织数",
        "Zombie organisations",
        "个",
        "active organisations that entered before the window and had no activity in the trailing window ending on the as-of date",
        rules=("zombie",),
    ),
    _m(
        "zombies.rate",
        "僵尸组织率",
        "Zombie rate",
        "ratio",
        "zombies.count ÷ organisations.active",
        denominator="active organisations",
        rules=("zombie",),
    ),
    # 6 ------------------------------------------------------------ supervision
    _m(
        "supervision.inspections",
        "抽查次数",
        "Inspections",
        "次",
        "inspections carried out on a day in the period",
        period=True,
    ),
    _m(
        "supervision.compliant",
        "抽查合规数",
        "Compliant inspections",
        "次",
        "inspections in the period with result compliant",
        period=True,
    ),
    _m(
        "supervision.rectification_ordered",
        "责令整改数",
        "Rectification ordered",
        "次",
        "inspections in the period with result rectification ordered",
        period=True,
    ),
    _m(
        "supervision.violations",
        "违规数",
        "Violations found",
        "次",
        "inspections in the period with result violation",
        period=True,
    ),
    _m(
        "supervision.compliance_rate",
        "抽查合规率",
        "Compliance rate",
        "ratio",
        "supervision.compliant ÷ supervision.inspections",
        denominator="inspections in the period",
    ),
    _m(
        "supervision.open_rectifications",
        "未完成整改",
        "Open rectifications",
        "个",
        "inspections ordering rectification on or before the as-of date and not rectified by then",
    ),
    _m(
        "supervision.annual_reports_due",
        "应报年报数",
        "Annual reports due",
        "份",
        "organisations registered on 31 December of the report year (the year before the as-of date), whatever happened to them since",
    ),
    _m(
        "supervision.annual_reports_filed",
        "已报年报数",
        "Annual reports filed",
        "份",
        "of those due, annual reports for the report year filed on or before the as-of date",
    ),
    _m(
        "supervision.annual_report_filing_rate",
        "年报报送率",
        "Annual-report filing rate",
        "ratio",
        "supervision.annual_reports_filed ÷ supervision.annual_reports_due",
        denominator="annual reports due",
    ),
    _m(
        "supervision.abnormal_list",
        "活动异常名录",
        "On the abnormal-activity list",
        "个",
        "organisations on the abnormal-activity list (活动异常名录) on the as-of date; entries and removals as recorded, the timed ones by the credit rules (ADR 0007)",
        rules=("credit",),
    ),
    _m(
        "supervision.serious_list",
        "严重违法失信名单",
        "On the serious-violation list",
        "个",
        "organisations on the serious-violation list (严重违法失信名单) on the as-of date; entries and removals as recorded, the timed ones by the credit rules (ADR 0007)",
        rules=("credit",),
    ),
    _m(
        "supervision.sampled",
        "随机抽取数",
        "Drawn for inspection",
        "个",
        "organisations drawn in random inspection draws (county: registered organisations; township: filed groups) made on a day in the period up to the as-of date, each counted in the village where it was when drawn; the quota, seed and population are recorded with each draw (ADR 0010)",
        period=True,
    ),
    _m(
        "supervision.sampled_inspected",
        "已检查抽取数",
        "Drawn and inspected",
        "个",
        "of supervision.sampled, organisations with an inspection recorded for their draw on or before the as-of date",
    ),
    _m(
        "supervision.sampling_completion_rate",
        "抽查完成率",
        "Sampling completion rate",
        "ratio",
        "supervision.sampled_inspected ÷ supervision.sampled",
        denominator="organisations drawn in the period",
    ),
    _m(
        "supervision.sampled_compliant",
        "抽查合规数（抽签）",
        "Drawn: compliant",
        "次",
        "inspections for the draws of supervision.sampled, on or before the as-of date, with result compliant",
    ),
    _m(
        "supervision.sampled_rectification_ordered",
        "责令整改数（抽签）",
        "Drawn: rectification ordered",
        "次",
        "inspections for the draws of supervision.sampled, on or before the as-of date, with result rectification ordered",
    ),
    _m(
        "supervision.sampled_violations",
        "违规数（抽签）",
        "Drawn: violations found",
        "次",
        "inspections for the draws of supervision.sampled, on or before the as-of date, with result violation",
    ),
    # 7 ------------------------------------------------------------ funding
    _m(
        "funding.projects",
        "资助项目数",
        "Funded projects",
        "个",
        "projects awarded on a day in the period",
        period=True,
    ),
    _m(
        "funding.awarded_yuan",
        "资助金额",
        "Awarded",
        "元",
        "Σ amounts awarded in the period",
        period=True,
    ),
    _m(
        "funding.disbursed_yuan",
        "拨付金额",
        "Disbursed",
        "元",
        "Σ tranches disbursed in the period (whenever the award was made)",
        period=True,
    ),
    _m(
        "funding.disbursement_rate",
        "拨付率",
        "Disbursed ÷ awarded",
        "ratio",
        "funding.disbursed_yuan ÷ funding.awarded_yuan for the period",
        denominator="amount awarded in the period",
    ),
    # Funding details (issue 14, ADR 0021).
    _m(
        "funding.beneficiaries_planned",
        "计划受益人数",
        "Beneficiaries planned",
        "人",
        "Σ beneficiaries planned stated on the awards made in the period (on the application or"
        " the direct award); awards that stated none add nothing",
        period=True,
        since="activity_themes",
    ),
    _m(
        "funding.beneficiaries_reached",
        "实际受益人数",
        "Beneficiaries reached",
        "人",
        "Σ beneficiaries reached stated at the closure (结项) of the projects closed in the"
        " period, whenever they were awarded",
        period=True,
        since="activity_themes",
    ),
    _m(
        "funding.beneficiaries_reached_per_10k_yuan",
        "每万元受益人数",
        "Beneficiaries reached per 10,000 yuan",
        "人/万元",
        "funding.beneficiaries_reached ÷ (Σ amounts awarded to those same projects, closed in"
        " the period with beneficiaries reached stated ÷ 10,000)",
        denominator="10,000 yuan awarded to the projects closed in the period that stated"
        " beneficiaries reached",
        additive=False,
        period=True,
        since="activity_themes",
    ),
    _m(
        "funding.average_yearly_awarded_yuan",
        "年均资助金额",
        "Average yearly amount awarded",
        "元/年",
        "funding.awarded_yuan ÷ the number of calendar years the period touches (a period of"
        " 2016-01-01 to 2020-12-31 has five; a quarter or a month has one, so the figure is"
        " meant for periods of whole years)",
        denominator="calendar years the period touches",
        additive=False,
        period=True,
        since="activity_themes",
    ),
    _m(
        "funding.budget_yuan",
        "年度预算合计",
        "Yearly budgets",
        "元",
        "Σ of every programme's yearly budget (年度预算, set at the county) for the calendar"
        " years the period touches, the latest revision of each; in the county's report only"
        " (null below it: budgets are the county's and are not split among its divisions)",
        additive=False,
        period=True,
        since="activity_themes",
    ),
    _m(
        "funding.average_yearly_budget_yuan",
        "年均预算投入",
        "Average yearly investment (budget)",
        "元/年",
        "funding.budget_yuan ÷ the number of calendar years the period touches; a year with no"
        " budget set counts as 0; county only",
        denominator="calendar years the period touches",
        additive=False,
        period=True,
        since="activity_themes",
    ),
    *[
        m
        for p in FundingProgramme
        for m in (
            _m(
                f"funding.by_programme.{p.value}.projects",
                f"{_PROGRAMME_ZH[p]}项目数",
                f"{p.value}: projects",
                "个",
                f"projects awarded in programme {p.value} in the period",
                period=True,
            ),
            _m(
                f"funding.by_programme.{p.value}.awarded_yuan",
                f"{_PROGRAMME_ZH[p]}资助金额",
                f"{p.value}: awarded",
                "元",
                f"Σ awarded in programme {p.value} in the period",
                period=True,
            ),
            _m(
                f"funding.by_programme.{p.value}.disbursed_yuan",
                f"{_PROGRAMME_ZH[p]}拨付金额",
                f"{p.value}: disbursed",
                "元",
                f"Σ disbursed in programme {p.value} in the period",
                period=True,
            ),
            _m(
                f"funding.by_programme.{p.value}.average_yearly_awarded_yuan",
                f"{_PROGRAMME_ZH[p]}年均资助金额",
                f"{p.value}: average yearly amount awarded",
                "元/年",
                f"funding.by_programme.{p.value}.awarded_yuan ÷ the calendar years the period"
                " touches",
                denominator="calendar years the period touches",
                additive=False,
                period=True,
                since="activity_themes",
            ),
            _m(
                f"funding.by_programme.{p.value}.budget_yuan",
                f"{_PROGRAMME_ZH[p]}年度预算",
                f"{p.value}: yearly budgets",
                "元",
                f"Σ yearly budgets of programme {p.value} for the calendar years the period"
                " touches; county only",
                additive=False,
                period=True,
                since="activity_themes",
            ),
            _m(
                f"funding.by_programme.{p.value}.average_yearly_budget_yuan",
                f"{_PROGRAMME_ZH[p]}年均预算投入",
                f"{p.value}: average yearly investment (budget)",
                "元/年",
                f"funding.by_programme.{p.value}.budget_yuan ÷ the calendar years the period"
                " touches; county only",
                denominator="calendar years the period touches",
                additive=False,
                period=True,
                since="activity_themes",
            ),
        )
    ],
    # 8 ------------------------------------------------------------ ratings
    *[
        _m(
            f"ratings.grade.{g}",
            f"{g}A级",
            f"Grade {g}A",
            "个",
            f"active organisations holding a valid grade {g}A on the as-of date (latest grade, within its validity)",
            rules=("evaluation",),
        )
        for g in range(5, 0, -1)
    ],
    _m(
        "ratings.graded",
        "有效评估等级数",
        "With a valid grade",
        "个",
        "active organisations holding a valid grade on the as-of date",
        rules=("evaluation",),
    ),
    _m(
        "ratings.grade_3a_plus",
        "3A及以上",
        "Grade 3A or above",
        "个",
        "active organisations holding a valid grade of 3A or above (priority for purchased services)",
        rules=("evaluation",),
    ),
    _m(
        "ratings.by_credit.*",
        "信用评价：*",
        "Credit rating: *",
        "个",
        "active organisations whose latest credit rating on or before the as-of date is *",
    ),
    *[
        _m(
            f"ratings.stars.{s}",
            f"{s}星",
            f"{s} stars",
            "个",
            f"active organisations whose latest star rating on or before the as-of date is {s}",
        )
        for s in range(5, 0, -1)
    ],
    # 9 ------------------------------------------------------------ ranking
    _m(
        "ranking.ranked",
        "参与排名组织数",
        "Organisations ranked",
        "个",
        "active organisations scored on the four dimensions",
        rules=("ranking",),
    ),
    _m(
        "ranking.avg_activity",
        "活跃度均分",
        "Average activity score",
        "score",
        "mean activity (活跃度) score of the organisations ranked",
        denominator="organisations ranked",
        rules=("ranking",),
    ),
    _m(
        "ranking.avg_standardisation",
        "规范化均分",
        "Average standardisation score",
        "score",
        "mean standardisation (规范化) score",
        denominator="organisations ranked",
        rules=("ranking",),
    ),
    _m(
        "ranking.avg_coverage",
        "覆盖率均分",
        "Average coverage score",
        "score",
        "mean coverage (覆盖率) score",
        denominator="organisations ranked",
        rules=("ranking",),
    ),
    _m(
        "ranking.avg_influence",
        "影响力均分",
        "Average influence score",
        "score",
        "mean influence (影响力) score",
        denominator="organisations ranked",
        rules=("ranking",),
    ),
    _m(
        "ranking.avg_total",
        "综合均分",
        "Average total score",
        "score",
        "mean weighted total score",
        denominator="organisations ranked",
        rules=("ranking",),
    ),
    # 10 ----------------------------------------------------------- platforms
    _m(
        "platforms.county_centres",
        "县级社会组织服务中心",
        "County service centres",
        "个",
        "county-level service centres open on the as-of date",
    ),
    _m(
        "platforms.township_platforms",
        "乡镇级服务平台",
        "Township platforms",
        "个",
        "township-level service platforms open on the as-of date",
    ),
    _m(
        "platforms.village_stations",
        "村级服务站",
        "Village stations",
        "个",
        "village/community service stations open on the as-of date",
    ),
    _m(
        "platforms.incubators",
        "孵化园（基地）",
        "Incubators",
        "个",
        "incubators (孵化园) open on the as-of date",
    ),
    _m(
        "platforms.villages_with_incubator",
        "建有孵化园的村（社区）",
        "Villages with an incubator",
        "个",
        "villages/communities with at least one incubator open on the as-of date",
    ),
    *_coverage_numerators("incubator", "an incubator open", "孵化园"),
    _m(
        "platforms.incubator_coverage",
        "孵化园覆盖率",
        "Incubator coverage",
        "ratio",
        "villages/communities with an incubator ÷ the villages/communities the coverage rule in"
        " force divides by (rules.coverage: all by default, or urban or rural); equals one of"
        " the three variants below",
        denominator=_BY_RULE,
        rules=("coverage",),
    ),
    *_coverage_variants("incubator_coverage", "孵化园覆盖率", "Incubator coverage"),
    _m(
        "platforms.organisations_in_incubated_villages",
        "孵化园服务组织数",
        "Organisations served by incubators",
        "个",
        "active organisations whose home village/community has an incubator",
    ),
    _m(
        "platforms.village_sage_councils",
        "乡贤参事会",
        "Village-sage councils",
        "个",
        f"active organisations of category {Category.VILLAGE_SAGE_COUNCIL.value} (乡贤参事会/社) on the as-of date",
    ),
    _m(
        "platforms.villages_with_sage_council",
        "建有乡贤参事会的行政村",
        "Rural villages with a sage council",
        "个",
        "rural villages with at least one active village-sage council",
    ),
    *_coverage_numerators("sage_council", "at least one active village-sage council", "乡贤参事会"),
    _m(
        "platforms.sage_council_coverage",
        "乡贤参事会覆盖率",
        "Sage-council coverage",
        "ratio",
        "villages/communities with a village-sage council ÷ the villages/communities the"
        " coverage rule in force divides by (rules.coverage: rural by default, or all or"
        " urban); equals one of the three variants below",
        denominator=_BY_RULE,
        rules=("coverage",),
    ),
    *_coverage_variants("sage_council_coverage", "乡贤参事会覆盖率", "Sage-council coverage"),
    # 11 ------------------------------------------------- training and commendations
    # Issue 16, ADR 0024: courses the county and the townships run, who attended, and the
    # yearly commendation rounds. They came with the ``training`` report family: a report
    # issued before it names none and is reproduced without them.
    _m(
        "training.courses_held",
        "举办培训班",
        "Training courses held",
        "期",
        "courses run by the division or by a division within it whose first day falls in the"
        " period (cancelled ones never count); a course counts at the division that ran it (the"
        " county's own level, a township's own level), like the service platforms, so a county's"
        " figure is its own courses plus its townships'",
        period=True,
        since="training",
    ),
    _m(
        "training.trainees",
        "培训人次",
        "Trainees",
        "人次",
        "Σ persons trained (latest recorded count per organisation and course) at courses whose"
        " first day falls in the period, counted at the attending organisation's village"
        " whichever tier ran the course, so county = Σ townships = Σ villages",
        period=True,
        since="training",
    ),
    _m(
        "training.organisations_reached",
        "参训组织数",
        "Organisations trained",
        "个",
        "distinct organisations with at least one trainee at a course whose first day falls in"
        " the period; an organisation belongs to one village, so the count adds up exactly",
        period=True,
        since="training",
    ),
    _m(
        "training.commended",
        "受表彰组织",
        "Organisations commended",
        "个",
        "distinct organisations commended in the commendation rounds (评先评优) of the county or"
        " a township published in the period, counted at the organisation's village; one"
        " commended by both the county and its township counts once",
        period=True,
        since="training",
    ),
    _m(
        "training.trainees_per_organisation",
        "组织平均参训人次",
        "Trainees per organisation trained",
        "average",
        "training.trainees ÷ training.organisations_reached",
        denominator="organisations trained",
        period=True,
        since="training",
    ),
    # 12 ------------------------------------------------- third-party evaluation
    # Issue 16, ADR 0026 (addendum): the bureau's assignments to outside evaluators, their
    # findings and the bureau's decisions. They came with the ``third_party_evaluation``
    # report family: a report issued before it names none and is reproduced without them.
    _m(
        "evaluation.assignments",
        "评估委托",
        "Evaluation assignments made",
        "项",
        "third-party evaluation assignments (grade or funded project) the county made in the"
        " period; an assignment belongs to the county and spans villages, so it counts at the"
        " county's own level (a township's and a village's figure is 0), like courses held",
        period=True,
        since="third_party_evaluation",
    ),
    _m(
        "evaluation.findings",
        "评估意见",
        "Evaluation findings",
        "份",
        "current findings (a corrected finding counts once, as its latest version) whose"
        " evaluation day falls in the period, counted at the evaluated organisation's village,"
        " so county = Σ townships = Σ villages",
        period=True,
        since="third_party_evaluation",
    ),
    _m(
        "evaluation.organisations_evaluated",
        "受评组织",
        "Organisations evaluated",
        "个",
        "distinct organisations with at least one current finding whose evaluation day falls"
        " in the period; an organisation belongs to one village, so the count adds up",
        period=True,
        since="third_party_evaluation",
    ),
    _m(
        "evaluation.decisions",
        "局方决定",
        "Decisions on findings",
        "项",
        "decisions the bureau took on findings in the period (accepted, amended or rejected),"
        " counted at the evaluated organisation's village",
        period=True,
        since="third_party_evaluation",
    ),
    _m(
        "evaluation.accepted",
        "采纳评估意见",
        "Findings accepted",
        "项",
        "decisions in the period that accepted the finding's grade or score as proposed",
        period=True,
        since="third_party_evaluation",
    ),
    _m(
        "evaluation.acceptance_rate",
        "评估意见采纳率",
        "Acceptance rate",
        "ratio",
        "evaluation.accepted ÷ evaluation.decisions",
        denominator="decisions on findings",
        period=True,
        since="third_party_evaluation",
    ),
]

BY_KEY = {m.key: m for m in METRICS}

# The scorecard's figures (考核, issue 16 item 4, ADR 0025). Not report figures: a scorecard
# is computed from a report's figures (shared/reporting/assessment.py) under the ``assessment``
# rule, so these are defined here, listed by ``GET /api/v1/metrics`` under ``assessment`` and in
# docs/metrics.md, and kept out of ``METRICS`` (which every report carries, and reconciles).
ASSESSMENT_METRICS = [
    _m(
        "assessment.value",
        "指标值",
        "Indicator value",
        "as the figure",
        "the catalogue figure the indicator names (``figure``), as the division's report for the"
        " year gives it (as of 31 December, or today while the year runs); for an indicator with"
        " ``per``, figure ÷ per of that report, rounded to 4 places like every catalogue rate;"
        " null (not assessable) when the report gives null (a rate over zero, a figure whose"
        " rule was not in force)",
        additive=False,
        period=True,
        rules=("assessment",),
    ),
    _m(
        "assessment.activities_per_organisation",
        "组织平均活动次数",
        "Activities per organisation",
        "average",
        "activity.activities ÷ organisations.active of the year's report (activities in the"
        " year per organisation active on the as-of date)",
        denominator="active organisations",
        period=True,
        rules=("assessment",),
    ),
    _m(
        "assessment.score",
        "指标得分",
        "Indicator score",
        "score",
        "weight × min(1, max(0, (value − zero_at) ÷ (target − zero_at))), to 2 places: the full"
        " weight at the target or better, 0 at zero_at or worse, linear between (zero_at lies on"
        " the worse side: below the target when higher is better, above it when lower is);"
        " null when the value is not assessable",
        additive=False,
        period=True,
        rules=("assessment",),
    ),
    _m(
        "assessment.total",
        "综合得分",
        "Weighted total",
        "score",
        "Σ indicator scores ÷ Σ weights of the assessable indicators × 100, to 2 places (0–100);"
        " an indicator that is not assessable neither adds nor costs; null when none is",
        denominator="weights of the assessable indicators",
        period=True,
        rules=("assessment",),
    ),
    _m(
        "assessment.rank",
        "名次",
        "Rank",
        "rank",
        "1 + the number of divisions on the scorecard (townships of a county, villages of a"
        " township) with a higher total; equal totals share a rank; no total, no rank",
        additive=False,
        period=True,
        rules=("assessment",),
    ),
]

# Resident points (积分制, issue 16 item 6, ADR 0027). Not report figures: they come from the
# points read side (shared/reporting/points.py, ``GET /api/v1/points/summary/{division}``),
# listed by ``GET /api/v1/metrics`` under ``points`` and in docs/metrics.md, and kept out of
# ``METRICS`` so that no report's content or issued hash changes with them. Each is counted
# per village and summed: county = Σ townships = Σ villages.
_POINTS_RULE = ("resident_points",)
POINTS_METRICS = [
    _m(
        "points.communities_piloting",
        "积分制试点社区数",
        "Communities piloting resident points",
        "个",
        "villages and communities whose points pilot was on on at least one day of the period"
        " (turned on on or before its last day, not turned off on or before its first day)",
        period=True,
    ),
    _m(
        "points.volunteers_awarded",
        "获得积分的志愿者",
        "Volunteers awarded points",
        "人",
        "registered volunteers (village and number, ADR 0021) with at least one positive points"
        " entry dated in the period: earned at an activity of their community on a day its pilot"
        " was on, or awarded by hand",
        period=True,
        rules=_POINTS_RULE,
    ),
    _m(
        "points.awarded",
        "发放积分",
        "Points awarded",
        "分",
        "Σ points earned at activities dated in the period (per volunteer listed: per_activity +"
        " per_hour × whole hours of the activity's volunteer hours ÷ its stated volunteers +"
        " each theme's bonus, at most cap_per_activity, and at most cap_per_month in a calendar"
        " month, under the resident_points version in force on the activity's date) + Σ points"
        " awarded by hand in the period",
        period=True,
        rules=_POINTS_RULE,
    ),
    _m(
        "points.deducted",
        "扣减积分",
        "Points deducted",
        "分",
        "Σ points deducted by hand in the period (a positive number)",
        period=True,
        rules=_POINTS_RULE,
    ),
]

# Units of amounts of money, shown to the fen: yuan, and yuan a year (ADR 0021).
MONEY_UNITS = frozenset({"元", "元/年"})

# The figures of each ``by_theme`` row (``figures.theme_figures``), named as the activity group's.
THEME_FIGURES = (
    "activities",
    "active_organisations",
    "participants",
    "volunteers",
    "volunteer_services",
    "volunteer_hours",
    "beneficiaries",
    "money_spent_yuan",
    "cases_taken",
    "cases_resolved",
    "cases_resolution_rate",
    "distinct_volunteers",  # ADR 0021: registered volunteers listed on the theme's activities
)


def lookup(key: str) -> Metric:
    """The metric for a concrete key, matching ``*`` families (``ratings.by_credit.A``)."""
    if key in BY_KEY:
        return BY_KEY[key]
    head, _, value = key.rpartition(".")
    family = BY_KEY.get(f"{head}.*")
    if family is None:
        raise KeyError(key)
    return Metric(
        key,
        family.zh.replace("*", value),
        family.en.replace("*", value),
        family.unit,
        family.definition.replace("*", value),
        family.additive,
        family.denominator,
        family.rules,
        family.period,
        family.since,
    )


def flatten(figures: dict[str, object], prefix: str = "") -> dict[str, object]:
    """``{"organisations": {"active": 3}}`` → ``{"organisations.active": 3}``."""
    out: dict[str, object] = {}
    for k, v in figures.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


def render_markdown(rules_path: Path | None = None) -> str:
    """docs/metrics.md: groups, figures, and the rule versions on file."""
    from shared.kernel.rules import DEFAULT_RULES, load_rules

    rules = load_rules(rules_path or DEFAULT_RULES)
    lines = [
        "# Metric catalogue",
        "",
        "Generated from `shared/reporting/catalogue.py` by `python -m shared.reporting.catalogue"
        " --write`; do not edit by hand (a test fails when this file is stale).",
        "",
        "Every figure is computed from the tier's read model for a division (county, township,"
        " village/community or one organisation), an as-of date (state figures) and a period"
        " (flow figures). **Additive** figures reconcile exactly: parent = Σ children at one"
        " consistent point (see `python -m services reconcile`). Rates, averages and scores are"
        " derived from additive counters after summing and are never summed.",
        "",
    ]
    for group in GROUPS:
        lines += [f"## {group.number}. {group.en} ({group.zh})", ""]
        lines += [
            "| key | 名称 | name | unit | additive | as-of / period | definition | denominator | rules |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for m in METRICS:
            if m.group != group.key:
                continue
            lines.append(
                f"| `{m.key}` | {m.zh} | {m.en} | {m.unit} | {'yes' if m.additive else 'no'} |"
                f" {'period' if m.period else 'as-of'} | {m.definition} | {m.denominator} |"
                f" {', '.join(m.rules)} |"
            )
        lines.append("")
    lines += _assessment_markdown(rules)
    lines += _points_markdown()
    lines += [
        "## Activity figures by theme (按活动主题)",
        "",
        "A division's report carries `by_theme`: one row per theme in force on some day of the"
        " period (rules family `activity_themes`), each with the activity figures above counted"
        " over the activities carrying that theme: "
        + ", ".join(f"`{k}`" for k in THEME_FIGURES)
        + ". An activity with several themes counts under each, so the rows need not sum to"
        " the activity totals; each row's counts are additive up the tree (county = Σ townships"
        " = Σ villages per theme) and reconciled like every other counter (ADR 0019).",
        "",
        "## Rule versions",
        "",
        "Rules are versioned data (`shared/data/rules.json`);"
        " a report names the version of each family it used. A `legacy` version is a county's"
        " own rule in force before the national one, so history from before it is recorded and"
        " reported (ADR 0018); the `coverage` family chooses what each coverage rate is divided"
        " by (`all` villages and communities, `urban` communities or `rural` villages).",
        "",
    ]
    for family, versions in rules.families.items():
        lines += [
            f"### {family}",
            "",
            "| version | kind | effective from | parameters | source |",
            "|---|---|---|---|---|",
        ]
        for v in versions:
            params = ", ".join(f"{k}={_param(val)}" for k, val in v.parameters.items())
            # A legacy or local version says so, in the label reports print (ADR 0018).
            kind = f"{v.kind}: {v.label_zh}" if v.kind else "national"
            lines.append(
                f"| `{v.version}` | {kind} | {v.effective_from.isoformat()} | {params} |"
                f" {v.source} |"
            )
        lines.append("")
    return "\n".join(lines)


def _assessment_markdown(rules: Any) -> list[str]:
    """The scorecard's figures and every assessment version's indicators (ADR 0025)."""
    lines = [
        "## Assessment of the tiers below (考核记分卡)",
        "",
        "A scorecard (`GET /api/v1/assessments/{year}/{division}`) scores a county's townships,"
        " or a township's villages, against the `assessment` rule version in force on 1 January"
        " of the year. Each indicator's value is a figure of the division's report for the year,"
        " read by its catalogue key; the scorecard adds only these:",
        "",
        "| key | 名称 | name | unit | definition | denominator |",
        "|---|---|---|---|---|---|",
    ]
    for m in ASSESSMENT_METRICS:
        lines.append(
            f"| `{m.key}` | {m.zh} | {m.en} | {m.unit} | {m.definition} | {m.denominator} |"
        )
    lines.append("")
    for v in rules.families.get("assessment", ()):
        lines += [
            f"### `{v.version}`: {v.label_zh}（{v.effective_from.isoformat()} 起）",
            "",
            "| code | 指标 | figure | per | direction | target | zero_at | weight | method |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for i in v.parameters["indicators"]:
            per = f"`{i['per']}`" if i.get("per") else ""
            lines.append(
                f"| `{i['code']}` | {i['zh']} | `{i['figure']}` | {per} | {i['direction']} |"
                f" {i['target']} | {i['zero_at']} | {i['weight']} | {i.get('method', 'linear')} |"
            )
        lines.append("")
    return lines


def _points_markdown() -> list[str]:
    """The resident points figures (ADR 0027); the rule's versions are listed below with
    every family's."""
    lines = [
        "## Resident points (积分制)",
        "",
        "For the communities piloting resident points (`GET /api/v1/points/summary/{division}`,"
        " any period): counted per village and summed up the tree (additive). Points earned at"
        " activities are derived from the activities under the `resident_points` rule version in"
        " force on each activity's date; adjustments by hand are recorded with a reason.",
        "",
        "| key | 名称 | name | unit | additive | definition | rules |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in POINTS_METRICS:
        lines.append(
            f"| `{m.key}` | {m.zh} | {m.en} | {m.unit} | {'yes' if m.additive else 'no'} |"
            f" {m.definition} | {', '.join(m.rules)} |"
        )
    lines.append("")
    return lines


def _param(value: object) -> object:
    # A theme list reads better as "中文 `code`" than as a list of dicts.
    if isinstance(value, list) and value and all(isinstance(t, dict) for t in value):
        return "、".join(
            f"{t.get('zh')} `{t.get('code')}`"
            + (f"（{t['retired_on']} 停用）" if t.get("retired_on") else "")
            for t in value
        )
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write or check docs/metrics.md")
    parser.add_argument("--write", action="store_true", help="rewrite docs/metrics.md")
    args = parser.parse_args(argv)
    text = render_markdown()
    if args.write:
        DOC.write_text(text, encoding="utf-8")
        print(f"wrote {DOC}")
        return 0
    if not DOC.exists() or DOC.read_text(encoding="utf-8") != text:
        print(f"{DOC} is stale: run python -m shared.reporting.catalogue --write", file=sys.stderr)
        return 1
    print(f"{DOC} is current")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
