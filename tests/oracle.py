"""An independent oracle for report figures: the integration events replayed in memory.

``oracle_figures`` computes, for one division, as-of date and period, every figure a division
report serves (flattened ``group.metric`` keys, as ``catalogue.flatten`` gives them), from the
raw integration envelopes and the metric catalogue's definitions alone. It shares no code with
``shared/reporting`` or ``shared/projection`` beyond the catalogue's vocabulary (enums) and the
jurisdiction tree, so a report figure that agrees with it agrees for two independent reasons.

Conventions (a civil-affairs reading of the catalogue; see the test module for the list of
ambiguities):

* every date is a legal date: ``legal_date(effective_at)`` (China, UTC+8), except an activity's
  own ``occurred_on``; nothing here looks at the recording time except to break ties between
  events that take effect on the same day (the later recording wins);
* a state holds "on day d" from its first day inclusive to its end day exclusive: an
  organisation deregistered on d is no longer active on d, a platform closed on d is not open;
* "latest … on or before the as-of date" orders by effective date, then recording time;
* an organisation's field and category are those in effect on the as-of date; a category of
  ``general`` never overrides one stated before (it is the commands' default).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from shared.kernel.domain import Category, legal_date
from shared.kernel.domain import Field as OrgField
from shared.kernel.integration.envelope import Envelope
from shared.kernel.integration.events import (
    CreditList,
    FundingProgramme,
    InspectionResult,
    PlatformKind,
)
from shared.kernel.jurisdiction import Area, Jurisdiction, Tier, contains
from shared.kernel.periods import Period
from shared.kernel.rules import RuleSet, months_before
from shared.kernel.usci import LegalForm
from shared.reporting.catalogue import lookup

Figures = dict[str, float | int | None]

# A tie-break key: (legal date, recording time, source, position).
Order = tuple[date, datetime, str, int]


@dataclass
class Org:
    org_id: str
    village: str
    # (order, field, category or None): from the application, the filing and the registration.
    profiles: list[tuple[Order, str, str | None]] = field(default_factory=list)
    filed_on: date | None = None
    filing_cancelled_on: date | None = None
    registered_on: date | None = None
    registration_ended_on: date | None = None
    legal_form: str | None = None
    charters: list[tuple[Order, bool, bool]] = field(default_factory=list)
    party_organisations: list[date] = field(default_factory=list)
    annual_reports: dict[int, date] = field(default_factory=dict)
    # (order, credit, grade, grade valid until, stars)
    ratings: list[tuple[Order, str | None, int | None, date | None, int | None]] = field(
        default_factory=list
    )
    # (order, credit list, True = entered / False = left)
    listings: list[tuple[Order, str, bool]] = field(default_factory=list)

    # ------------------------------------------------------------ state on a day

    def registered_on_day(self, d: date) -> bool:
        return (
            self.registered_on is not None
            and self.registered_on <= d
            and (self.registration_ended_on is None or self.registration_ended_on > d)
        )

    def filed_on_day(self, d: date) -> bool:
        """Filed, filing not cancelled, and not (yet) registered: a registration supersedes."""
        return (
            self.filed_on is not None
            and self.filed_on <= d
            and (self.filing_cancelled_on is None or self.filing_cancelled_on > d)
            and not (self.registered_on is not None and self.registered_on <= d)
        )

    def active_on(self, d: date) -> bool:
        return self.registered_on_day(d) or self.filed_on_day(d)

    @property
    def entered_on(self) -> date | None:
        """First filed or registered, whichever came first."""
        days = [x for x in (self.filed_on, self.registered_on) if x is not None]
        return min(days) if days else None

    def profile_on(self, d: date) -> tuple[str, str]:
        """(field, category) as they stood on day ``d``: the latest profile in effect."""
        in_effect = sorted(p for p in self.profiles if p[0][0] <= d)
        field_ = in_effect[-1][1]
        # "general" is what a statement says when it says nothing in particular (the commands'
        # default): it never undoes a category stated before, e.g. on the application.
        stated = [c for _, _, c in in_effect if c not in (None, Category.GENERAL.value)]
        return field_, stated[-1] if stated else Category.GENERAL.value

    def latest_charter(self, d: date) -> tuple[bool, bool] | None:
        approved = sorted(c for c in self.charters if c[0][0] <= d)
        return (approved[-1][1], approved[-1][2]) if approved else None

    def on_list(self, credit_list: str, d: date) -> bool:
        on = False
        for _, lst, entered in sorted(x for x in self.listings if x[0][0] <= d):
            if lst == credit_list:
                on = entered
        return on

    def latest_rating(self, d: date, what: int) -> tuple[Any, ...] | None:
        """The latest rating on or before ``d`` that says something about ``what``
        (1 credit, 2 grade, 4 stars)."""
        rated = sorted((r for r in self.ratings if r[0][0] <= d and r[what] is not None), key=_key)
        return rated[-1] if rated else None


def _key(r: tuple[Any, ...]) -> Order:
    order: Order = r[0]
    return order


@dataclass
class Activity:
    org_id: str
    village: str
    occurred_on: date
    participants: int
    volunteers: int
    volunteer_services: int
    volunteer_hours: Decimal
    beneficiaries: int
    money_spent: Decimal
    cases_taken: int = 0  # disputes mediated (issue 14): not stated counts as none
    cases_resolved: int = 0
    volunteer_ids: tuple[str, ...] = ()  # register numbers of who served (ADR 0021)


@dataclass
class Inspection:
    org_id: str
    village: str
    on: date
    result: str
    rectified_on: date | None = None
    draw_id: str | None = None  # the draw it fulfils (ADR 0010)


@dataclass
class Award:
    org_id: str
    village: str
    programme: str
    amount: Decimal
    on: date
    planned: int | None = None  # beneficiaries planned (ADR 0021)
    reached: int | None = None  # beneficiaries reached, stated at closure
    closed_on: date | None = None


@dataclass
class Platform:
    division: str
    kind: str
    opened_on: date
    closed_on: date | None = None

    def open_on(self, d: date) -> bool:
        return self.opened_on <= d and (self.closed_on is None or self.closed_on > d)


@dataclass
class Course:
    """A training course (ADR 0024): who ran it, its first day (as last corrected), whether it
    was cancelled, and the latest person-count per attending organisation (with its village)."""

    division: str
    starts_on: date
    cancelled: bool = False
    attendance: dict[str, tuple[str, int]] = field(default_factory=dict)


@dataclass
class Finding:
    """A third-party evaluation finding (ADR 0026): its organisation, the village the assignment
    named for it, the day evaluated, and whether a later finding corrected it."""

    org: str
    village: str
    evaluated_on: date
    superseded: bool = False


@dataclass
class World:
    orgs: dict[str, Org] = field(default_factory=dict)
    activities: list[Activity] = field(default_factory=list)
    inspections: dict[str, Inspection] = field(default_factory=dict)
    awards: dict[str, Award] = field(default_factory=dict)
    disbursements: list[tuple[str, Decimal, date]] = field(default_factory=list)
    platforms: dict[str, Platform] = field(default_factory=dict)
    # Drawn organisations: (draw id, org id) → (village when drawn, draw date), ADR 0010.
    drawn: dict[tuple[str, str], tuple[str, date]] = field(default_factory=dict)
    # Yearly programme budgets at the county: (programme, year) → the latest amount (ADR 0021).
    budgets: dict[tuple[str, int], Decimal] = field(default_factory=dict)
    courses: dict[str, Course] = field(default_factory=dict)
    # Published commendations (ADR 0024): (organisation, its village, publication day).
    commended: list[tuple[str, str, date]] = field(default_factory=list)
    # Third-party evaluation (ADR 0026): assignments (county, day); each assignment's targets
    # (organisation → village); findings; decisions (village, day, outcome).
    assignments: list[tuple[str, date]] = field(default_factory=list)
    targets: dict[tuple[str, str], str] = field(default_factory=dict)
    findings: dict[str, Finding] = field(default_factory=dict)
    decisions: list[tuple[str, date, str]] = field(default_factory=list)


def replay(envelopes: Iterable[Envelope]) -> World:
    """The in-memory model of every organisation and platform, from the integration events."""
    unique = {e.event_id: e for e in envelopes}.values()  # at-least-once: drop re-deliveries
    w = World()

    def org(e: Envelope) -> Org:
        oid = str(e.organisation_id)
        if oid not in w.orgs:
            w.orgs[oid] = Org(oid, e.division_code)
        return w.orgs[oid]

    for e in sorted(unique, key=lambda e: (e.recorded_at, e.source, e.position)):
        day = legal_date(e.effective_at)
        order: Order = (day, e.recorded_at, e.source, e.position)
        d = e.data
        kind = e.type.split(".", 2)[2].rsplit(".", 1)[0]  # "group.applied", "platform.opened", …
        if kind == "group.applied":
            org(e).profiles.append((order, d["field"], d.get("category")))
        elif kind == "filing.filed":
            o = org(e)
            o.filed_on = day
            o.profiles.append((order, d["field"], None))
        elif kind == "filing.rejected":
            org(e)
        elif kind == "filing.cancelled":
            org(e).filing_cancelled_on = day
        elif kind == "organisation.registered":
            o = org(e)
            o.registered_on = day
            o.legal_form = d["legal_form"]
            o.profiles.append((order, d["field"], d.get("category")))
        elif kind in ("organisation.deregistered", "organisation.revoked"):
            org(e).registration_ended_on = day
        elif kind == "charter.approved":
            org(e).charters.append((order, d["party_clause"], d["integrity_clause"]))
        elif kind == "party_organisation.set_up":
            org(e).party_organisations.append(day)
        elif kind == "annual_report.filed":
            org(e).annual_reports.setdefault(int(d["year"]), day)
        elif kind == "rating.recorded":
            valid = d.get("grade_valid_until")
            org(e).ratings.append(
                (
                    order,
                    d.get("credit"),
                    d.get("grade"),
                    date.fromisoformat(valid) if valid else None,
                    d.get("stars"),
                )
            )
        elif kind == "credit_list.entered":
            org(e).listings.append((order, d["credit_list"], True))
        elif kind == "credit_list.left":
            org(e).listings.append((order, d["credit_list"], False))
        elif kind == "activity.reported":
            w.activities.append(
                Activity(
                    str(e.organisation_id),
                    e.division_code,
                    date.fromisoformat(d["occurred_on"]),
                    int(d["participants"]),
                    int(d["volunteers"]),
                    int(d["volunteer_services"]),
                    Decimal(str(d["volunteer_hours"])),
                    int(d["beneficiaries"]),
                    Decimal(str(d["money_spent"])),
                    int(d.get("cases_taken") or 0),
                    int(d.get("cases_resolved") or 0),
                    tuple(d.get("volunteer_ids") or ()),
                )
            )
        elif kind == "inspection.recorded":
            w.inspections[d["inspection_id"]] = Inspection(
                str(e.organisation_id), e.division_code, day, d["result"], None, d.get("draw_id")
            )
        elif kind == "sample.drawn":
            for s in d["selected"]:
                w.drawn[(d["draw_id"], s["organisation_id"])] = (s["village_code"], day)
        elif kind == "rectification.completed":
            w.inspections[d["inspection_id"]].rectified_on = day
        elif kind == "funding.awarded":
            w.awards[d["award_id"]] = Award(
                str(e.organisation_id),
                e.division_code,
                d["programme"],
                Decimal(str(d["amount"])),
                day,
                d.get("beneficiaries_planned"),
            )
        elif kind == "funding.disbursed":
            w.disbursements.append((d["award_id"], Decimal(str(d["amount"])), day))
        elif kind == "funding.closed":
            closed = w.awards[d["award_id"]]
            closed.closed_on, closed.reached = day, d.get("beneficiaries_reached")
        elif kind in ("programme_budget.set", "programme_budget.revised"):
            w.budgets[(d["programme"], int(d["year"]))] = Decimal(str(d["amount"]))
        elif kind == "volunteer.registered":
            pass  # the register alone is no figure: activities listing volunteers are
        elif kind.startswith(("funding_call.", "funding_application.")) or kind in (
            "funding.evaluated",
        ):
            pass  # the funding lifecycle (ADR 0011): no division figure of its own
        elif kind == "training.scheduled":
            w.courses[d["course_id"]] = Course(
                d["division_code"], date.fromisoformat(d["starts_on"])
            )
        elif kind == "training.corrected":
            w.courses[d["course_id"]].starts_on = date.fromisoformat(d["starts_on"])
        elif kind == "training.cancelled":
            w.courses[d["course_id"]].cancelled = True
        elif kind in ("training.attendance_recorded", "training.attendance_corrected"):
            w.courses[d["course_id"]].attendance[d["organisation_id"]] = (
                d["village_code"],
                int(d["trainees"]),
            )
        elif kind in ("commendation.opened", "commendation.decided"):
            pass  # only a published commendation is a figure
        elif kind == "commendation.published":
            for x in d["commended"]:
                w.commended.append((x["organisation_id"], x["village_code"], day))
        elif kind == "evaluation.assigned":
            w.assignments.append((e.division_code, day))
            for t in d["targets"]:
                w.targets[(d["assignment_id"], t["organisation_id"])] = t["village_code"]
        elif kind == "evaluation.finding_recorded":
            if d.get("corrects"):
                w.findings[d["corrects"]].superseded = True
            village = w.targets[(d["assignment_id"], d["organisation_id"])]
            w.findings[d["finding_id"]] = Finding(
                d["organisation_id"], village, date.fromisoformat(d["evaluated_on"])
            )
        elif kind == "evaluation.decided":
            w.decisions.append((w.findings[d["finding_id"]].village, day, d["outcome"]))
        elif kind.startswith(("evaluator.", "account.")) or kind == "evaluation.closed":
            pass  # evaluators, accounts and closing an assignment are no figure
        elif kind == "usci.claimed":
            pass  # the register's guard (ADR 0034); the registration carries the code
        elif kind == "platform.opened":
            w.platforms[d["platform_id"]] = Platform(e.division_code, d["kind"], day)
        elif kind == "platform.closed":
            w.platforms[d["platform_id"]].closed_on = day
        else:
            raise AssertionError(f"oracle does not know event type {e.type}")
    return w


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def oracle_figures(
    envelopes: list[Envelope],
    jurisdiction: Jurisdiction,
    division_code: str,
    as_of: date,
    period: Period,
    rules: RuleSet,
) -> Figures:
    """Every figure of ``division_code``'s report, flattened, computed from the events."""
    return figures_of(replay(envelopes), jurisdiction, division_code, as_of, period, rules)


def figures_of(
    w: World,
    j: Jurisdiction,
    code: str,
    as_of: date,
    period: Period,
    rules: RuleSet,
) -> Figures:
    def inside(village: str) -> bool:
        return contains(code, village)

    def in_period(d: date) -> bool:
        return period.start <= d <= period.end

    villages = j.villages(within=code)
    area = {v.code: v.area for v in villages}
    f: Figures = {}

    # ---------------------------------------------------------------- 1 organisations
    mine = [o for o in w.orgs.values() if inside(o.village)]
    active = [o for o in mine if o.active_on(as_of)]
    n_active = len(active)
    f["organisations.active"] = n_active
    f["organisations.registered"] = sum(o.registered_on_day(as_of) for o in active)
    f["organisations.filed"] = sum(o.filed_on_day(as_of) for o in active)
    f["organisations.urban"] = sum(area[o.village] is Area.URBAN for o in active)
    f["organisations.rural"] = sum(area[o.village] is Area.RURAL for o in active)
    fields = Counter(o.profile_on(as_of)[0] for o in active)
    for fld in OrgField:
        f[f"organisations.by_field.{fld.value}"] = fields[fld.value]
    forms = Counter(
        o.legal_form if o.registered_on_day(as_of) else LegalForm.FILED_GROUP.value for o in active
    )
    for form in LegalForm:
        f[f"organisations.by_legal_form.{form.value}"] = forms[form.value]
    f["organisations.new_in_period"] = sum(
        o.entered_on is not None and in_period(o.entered_on) for o in mine
    )
    f["organisations.exited_in_period"] = sum(
        o.registration_ended_on is not None and in_period(o.registration_ended_on) for o in mine
    ) + sum(
        o.registered_on is None
        and o.filing_cancelled_on is not None
        and in_period(o.filing_cancelled_on)
        for o in mine
    )

    # ---------------------------------------------------------------- 2 density
    per_village = Counter(o.village for o in active)
    urban = [v for v in villages if v.area is Area.URBAN]
    rural = [v for v in villages if v.area is Area.RURAL]
    f["density.villages"] = len(villages)
    f["density.urban_communities"] = len(urban)
    f["density.rural_villages"] = len(rural)
    f["density.avg_per_urban_community"] = _ratio(int(f["organisations.urban"] or 0), len(urban))
    f["density.avg_per_rural_village"] = _ratio(int(f["organisations.rural"] or 0), len(rural))
    meeting = sum(per_village[v.code] >= rules.urban_min_per_community for v in urban) + sum(
        per_village[v.code] >= rules.rural_min_per_village for v in rural
    )
    f["density.meeting_standard"] = meeting
    f["density.share_meeting_standard"] = _ratio(meeting, len(villages))
    registered_pop = sum(v.registered_population for v in villages)
    resident_pop = sum(v.resident_population for v in villages)
    f["density.registered_population"] = registered_pop
    f["density.resident_population"] = resident_pop
    f["density.per_10k_registered_population"] = _ratio(n_active * 10_000, registered_pop)
    f["density.per_10k_resident_population"] = _ratio(n_active * 10_000, resident_pop)

    # ---------------------------------------------------------------- 3 party building
    charters = [o.latest_charter(as_of) for o in active]
    party = sum(c is not None and c[0] for c in charters)
    integrity = sum(c is not None and c[1] for c in charters)
    party_org = sum(any(d <= as_of for d in o.party_organisations) for o in active)
    f["party_building.party_clause"] = party
    f["party_building.integrity_clause"] = integrity
    f["party_building.party_organisation"] = party_org
    f["party_building.party_clause_rate"] = _ratio(party, n_active)
    f["party_building.integrity_clause_rate"] = _ratio(integrity, n_active)
    f["party_building.party_organisation_coverage"] = _ratio(party_org, n_active)

    # ---------------------------------------------------------------- 4 activity
    acts = [a for a in w.activities if inside(a.village) and in_period(a.occurred_on)]
    f["activity.activities"] = len(acts)
    f["activity.active_organisations"] = len({a.org_id for a in acts})
    f["activity.participants"] = sum(a.participants for a in acts)
    f["activity.volunteers"] = sum(a.volunteers for a in acts)
    f["activity.volunteer_services"] = sum(a.volunteer_services for a in acts)
    f["activity.volunteer_hours"] = float(sum((a.volunteer_hours for a in acts), Decimal(0)))
    f["activity.beneficiaries"] = sum(a.beneficiaries for a in acts)
    f["activity.money_spent_yuan"] = float(sum((a.money_spent for a in acts), Decimal(0)))
    f["activity.cases_taken"] = sum(a.cases_taken for a in acts)
    f["activity.cases_resolved"] = sum(a.cases_resolved for a in acts)
    f["activity.cases_resolution_rate"] = _ratio(
        f["activity.cases_resolved"], f["activity.cases_taken"]
    )
    # Volunteers as people (ADR 0021): a person is a village and a register number.
    people = {(a.village, v) for a in acts for v in a.volunteer_ids}
    f["activity.distinct_volunteers"] = len(people)
    f["activity.listed_volunteer_services"] = sum(len(a.volunteer_ids) for a in acts)
    f["activity.services_per_distinct_volunteer"] = _ratio(
        f["activity.listed_volunteer_services"], len(people)
    )

    # ---------------------------------------------------------------- 5 zombies
    # The trailing window is (cutoff, as_of]; "entered before the window": on or before cutoff.
    cutoff = months_before(as_of, rules.zombie_window_months)
    assert cutoff == rules.zombie_cutoff(as_of)
    recent = {a.org_id for a in w.activities if cutoff < a.occurred_on <= as_of}
    zombies = sum(
        o.entered_on is not None and o.entered_on <= cutoff and o.org_id not in recent
        for o in active
    )
    f["zombies.count"] = zombies
    f["zombies.rate"] = _ratio(zombies, n_active)

    # ---------------------------------------------------------------- 6 supervision
    checks = [i for i in w.inspections.values() if inside(i.village)]
    done = [i for i in checks if in_period(i.on)]
    results = Counter(i.result for i in done)
    f["supervision.inspections"] = len(done)
    f["supervision.compliant"] = results[InspectionResult.COMPLIANT.value]
    f["supervision.rectification_ordered"] = results[InspectionResult.RECTIFICATION_ORDERED.value]
    f["supervision.violations"] = results[InspectionResult.VIOLATION.value]
    f["supervision.compliance_rate"] = _ratio(results[InspectionResult.COMPLIANT.value], len(done))
    f["supervision.open_rectifications"] = sum(
        i.result == InspectionResult.RECTIFICATION_ORDERED.value
        and i.on <= as_of
        and (i.rectified_on is None or i.rectified_on > as_of)
        for i in checks
    )
    report_year = as_of.year - 1
    year_end = date(report_year, 12, 31)
    due = [o for o in mine if o.registered_on_day(year_end)]
    filed = [
        o for o in due if report_year in o.annual_reports and o.annual_reports[report_year] <= as_of
    ]
    f["supervision.annual_reports_due"] = len(due)
    f["supervision.annual_reports_filed"] = len(filed)
    f["supervision.annual_report_filing_rate"] = _ratio(len(filed), len(due))
    f["supervision.abnormal_list"] = sum(o.on_list(CreditList.ABNORMAL.value, as_of) for o in mine)
    f["supervision.serious_list"] = sum(o.on_list(CreditList.SERIOUS.value, as_of) for o in mine)
    drawn = {
        key: village
        for key, (village, on) in w.drawn.items()
        if inside(village) and in_period(on) and on <= as_of
    }
    fulfilling = [
        i
        for i in w.inspections.values()
        if i.draw_id and (i.draw_id, i.org_id) in drawn and i.on <= as_of
    ]
    inspected = {(i.draw_id, i.org_id) for i in fulfilling}
    outcomes = Counter(i.result for i in fulfilling)
    f["supervision.sampled"] = len(drawn)
    f["supervision.sampled_inspected"] = len(inspected)
    f["supervision.sampling_completion_rate"] = _ratio(len(inspected), len(drawn))
    f["supervision.sampled_compliant"] = outcomes[InspectionResult.COMPLIANT.value]
    f["supervision.sampled_rectification_ordered"] = outcomes[
        InspectionResult.RECTIFICATION_ORDERED.value
    ]
    f["supervision.sampled_violations"] = outcomes[InspectionResult.VIOLATION.value]

    # ---------------------------------------------------------------- 7 funding
    awards = {k: a for k, a in w.awards.items() if inside(a.village)}
    awarded = [a for a in awards.values() if in_period(a.on)]
    paid = [(awards[k], amount) for k, amount, d in w.disbursements if k in awards and in_period(d)]
    awarded_total = sum((a.amount for a in awarded), Decimal(0))
    paid_total = sum((amount for _, amount in paid), Decimal(0))
    f["funding.projects"] = len(awarded)
    f["funding.awarded_yuan"] = float(awarded_total)
    f["funding.disbursed_yuan"] = float(paid_total)
    f["funding.disbursement_rate"] = _ratio(float(paid_total), float(awarded_total))
    for p in FundingProgramme:
        f[f"funding.by_programme.{p.value}.projects"] = sum(a.programme == p.value for a in awarded)
        f[f"funding.by_programme.{p.value}.awarded_yuan"] = float(
            sum((a.amount for a in awarded if a.programme == p.value), Decimal(0))
        )
        f[f"funding.by_programme.{p.value}.disbursed_yuan"] = float(
            sum((amount for a, amount in paid if a.programme == p.value), Decimal(0))
        )
    # Funding details (ADR 0021): beneficiaries, and yearly figures over the calendar years
    # the period touches; budgets are the county's alone.
    years = period.end.year - period.start.year + 1
    closed = [
        a
        for a in awards.values()
        if a.closed_on is not None and in_period(a.closed_on) and a.reached is not None
    ]
    reached = sum(a.reached or 0 for a in closed)
    f["funding.beneficiaries_planned"] = sum(a.planned or 0 for a in awarded)
    f["funding.beneficiaries_reached"] = reached
    f["funding.beneficiaries_reached_per_10k_yuan"] = _ratio(
        reached, float(sum((a.amount for a in closed), Decimal(0))) / 10_000
    )
    f["funding.average_yearly_awarded_yuan"] = float(awarded_total) / years
    at_county = j.divisions[code].tier is Tier.COUNTY
    budget = {
        p.value: float(
            sum(
                (amount for (q, y), amount in w.budgets.items()
                 if q == p.value and period.start.year <= y <= period.end.year),
                Decimal(0),
            )
        )
        for p in FundingProgramme
    }  # fmt: skip
    total_budget = sum(budget.values()) if at_county else None
    f["funding.budget_yuan"] = total_budget
    f["funding.average_yearly_budget_yuan"] = (
        total_budget / years if total_budget is not None else None
    )
    for p in FundingProgramme:
        key = f"funding.by_programme.{p.value}"
        f[f"{key}.average_yearly_awarded_yuan"] = f[f"{key}.awarded_yuan"] / years
        f[f"{key}.budget_yuan"] = budget[p.value] if at_county else None
        f[f"{key}.average_yearly_budget_yuan"] = budget[p.value] / years if at_county else None

    # ---------------------------------------------------------------- 8 ratings
    grades: Counter[int] = Counter()
    credits: Counter[str] = Counter()
    stars: Counter[int] = Counter()
    for o in active:
        graded = o.latest_rating(as_of, 2)
        if graded is not None and graded[3] is not None and graded[3] >= as_of:
            grades[graded[2]] += 1  # the latest grade, valid through its last day
        if (credit := o.latest_rating(as_of, 1)) is not None:
            credits[credit[1]] += 1
        if (starred := o.latest_rating(as_of, 4)) is not None:
            stars[starred[4]] += 1
    for grade in range(5, 0, -1):
        f[f"ratings.grade.{grade}"] = grades[grade]
    f["ratings.graded"] = sum(grades.values())
    f["ratings.grade_3a_plus"] = sum(n for grade, n in grades.items() if grade >= 3)
    # One figure per credit rating held (the catalogue's open-ended ``ratings.by_credit.*``).
    for value, n in sorted(credits.items()):
        f[f"ratings.by_credit.{value}"] = n
    for star in range(5, 0, -1):
        f[f"ratings.stars.{star}"] = stars[star]

    # ---------------------------------------------------------------- 9 ranking
    # The scores themselves are the ranking module's; the oracle only knows who is ranked.
    f["ranking.ranked"] = n_active

    # ---------------------------------------------------------------- 10 platforms
    open_ = [p for p in w.platforms.values() if contains(code, p.division) and p.open_on(as_of)]
    kinds = Counter(p.kind for p in open_)
    f["platforms.county_centres"] = kinds[PlatformKind.COUNTY_CENTRE.value]
    f["platforms.township_platforms"] = kinds[PlatformKind.TOWNSHIP_PLATFORM.value]
    f["platforms.village_stations"] = kinds[PlatformKind.VILLAGE_STATION.value]
    f["platforms.incubators"] = kinds[PlatformKind.INCUBATOR.value]
    # A village/community "has" an incubator that sits in it (not one at its township's level).
    incubated = {
        p.division
        for p in open_
        if p.kind == PlatformKind.INCUBATOR.value and j.divisions[p.division].tier is Tier.VILLAGE
    }
    f["platforms.villages_with_incubator"] = len(incubated)
    f["platforms.incubator_coverage"] = _ratio(len(incubated), len(villages))
    f["platforms.organisations_in_incubated_villages"] = sum(o.village in incubated for o in active)
    sages = [o for o in active if o.profile_on(as_of)[1] == Category.VILLAGE_SAGE_COUNCIL.value]
    sage_villages = {o.village for o in sages if area[o.village] is Area.RURAL}
    f["platforms.village_sage_councils"] = len(sages)
    f["platforms.villages_with_sage_council"] = len(sage_villages)
    f["platforms.sage_council_coverage"] = _ratio(len(sage_villages), len(rural))
    # ---------------------------------------------------------------- 11 training (ADR 0024)
    if rules.training is not None:
        held = [
            c
            for c in w.courses.values()
            if not c.cancelled and in_period(c.starts_on) and c.starts_on <= as_of
        ]
        f["training.courses_held"] = sum(contains(code, c.division) for c in held)
        lines = [
            (org, n) for c in held for org, (village, n) in c.attendance.items() if inside(village)
        ]
        f["training.trainees"] = sum(n for _, n in lines)
        f["training.organisations_reached"] = len({org for org, n in lines if n > 0})
        f["training.commended"] = len(
            {
                org
                for org, village, on in w.commended
                if inside(village) and in_period(on) and on <= as_of
            }
        )
        f["training.trainees_per_organisation"] = _ratio(
            int(f["training.trainees"] or 0), int(f["training.organisations_reached"] or 0)
        )
    # ------------------------------------------------ 12 third-party evaluation (ADR 0026)
    if rules.third_party_evaluation is not None:

        def counted(d: date) -> bool:
            return in_period(d) and d <= as_of

        f["evaluation.assignments"] = sum(
            contains(code, county) and counted(on) for county, on in w.assignments
        )
        current = [
            x
            for x in w.findings.values()
            if not x.superseded and inside(x.village) and counted(x.evaluated_on)
        ]
        f["evaluation.findings"] = len(current)
        f["evaluation.organisations_evaluated"] = len({x.org for x in current})
        taken = [o for village, on, o in w.decisions if inside(village) and counted(on)]
        f["evaluation.decisions"] = len(taken)
        f["evaluation.accepted"] = taken.count("accepted")
        f["evaluation.acceptance_rate"] = _ratio(taken.count("accepted"), len(taken))
    if rules.coverage is None:
        return f  # a report from before the coverage family: the former figures only
    # Coverage over each set of villages (ADR 0018), and the headline rate over the set the
    # coverage rule in force names.
    council_villages = {o.village for o in sages}
    sets = {"all": villages, "urban": urban, "rural": rural}
    covered = {"incubator_coverage": incubated, "sage_council_coverage": council_villages}
    for rate, marked in covered.items():
        for basis, among in sets.items():
            hit = sum(v.code in marked for v in among)
            f[f"platforms.{rate}_{basis}"] = _ratio(hit, len(among))
        basis = rules.coverage.parameters["denominators"][rate]
        f[f"platforms.{rate}"] = f[f"platforms.{rate}_{basis}"]
    f["platforms.urban_communities_with_incubator"] = sum(v.code in incubated for v in urban)
    f["platforms.rural_villages_with_incubator"] = sum(v.code in incubated for v in rural)
    f["platforms.urban_communities_with_sage_council"] = sum(
        v.code in council_villages for v in urban
    )
    f["platforms.villages_and_communities_with_sage_council"] = sum(
        v.code in council_villages for v in villages
    )
    return f


# ---------------------------------------------------------------------------- comparison

RATE_UNITS = ("ratio", "average", "per 10,000", "score")
ROUNDING = 0.5e-4 + 1e-9  # reports round rates, averages and per-10,000 figures to 4 places


def same(key: str, got: Any, want: Any) -> bool:
    """Equal as the catalogue's unit says: counts exactly, amounts to the fen, rates as rounded."""
    if got is None or want is None:
        return got is None and want is None
    if lookup(key).unit in RATE_UNITS:
        return bool(abs(got - want) <= ROUNDING)
    if isinstance(want, float):
        return bool(abs(got - want) < 0.005)
    return type(got) is int and got == want


def mismatches(got: dict[str, Any], want: Figures) -> list[str]:
    """Report figures (flattened) that differ from the oracle's, one line each.

    ``ranking.avg_*`` (scores) are not recomputed: only that they lie in [0, 100], or are
    None when nothing is ranked.
    """
    out = []
    for key in sorted(set(got) | set(want)):
        if key.startswith("ranking.avg_"):
            value = got[key]
            ranked = got.get("ranking.ranked")
            if not (value is None if not ranked else 0 <= value <= 100):
                out.append(f"{key}: report {value!r} with {ranked!r} ranked")
        elif key not in want:
            out.append(f"{key}: report {got[key]!r}, not a figure the oracle knows")
        elif key not in got:
            out.append(f"{key}: missing from the report, oracle {want[key]!r}")
        elif not same(key, got[key], want[key]):
            out.append(f"{key}: report {got[key]!r}, oracle {want[key]!r}")
    return out


# ------------------------------------------------------------------ resident points (ADR 0027)


def oracle_points(
    envelopes: Iterable[Envelope], parameters: list[tuple[date, dict[str, Any]]], within: str,
    start: date, end: date,
) -> dict[str, int]:  # fmt: skip
    """The catalogue's ``points.*`` figures of the villages within ``within`` for ``start`` …
    ``end``, from the raw envelopes and the rule's parameters by effective date alone: an
    activity earns for each volunteer it lists when its village's pilot was on on its date
    (turn-on day inclusive, turn-off day exclusive), per_activity + per_hour × whole hours
    (hours ÷ stated volunteers) + theme bonuses, at most cap_per_activity, then at most
    cap_per_month in the volunteer's calendar month, the month's activities in date order
    (ties by activity id); adjustments count on their legal date."""
    on: dict[str, list[list[Any]]] = {}
    served: list[tuple[date, str, str, str, dict[str, Any]]] = []
    entries: list[tuple[str, str, date, int]] = []  # village, volunteer, day, points
    for e in envelopes:
        d = e.data
        if e.type == "sanji.village.points_pilot.turned_on.v1":
            on.setdefault(d["village_code"], []).append([date.fromisoformat(d["started_on"]), None])
        elif e.type == "sanji.village.points_pilot.turned_off.v1":
            for period in on[d["village_code"]]:
                if period[0] == date.fromisoformat(d["started_on"]):
                    period[1] = date.fromisoformat(d["ended_on"])
        elif e.type == "sanji.village.points.adjusted.v1":
            day = legal_date(e.effective_at)
            entries.append((d["village_code"], d["volunteer_id"], day, int(d["points"])))
        elif e.type == "sanji.village.activity.reported.v1":
            for v in d.get("volunteer_ids") or []:
                day = date.fromisoformat(d["occurred_on"])
                served.append((day, d["activity_id"], str(e.division_code), v, d))

    def pilot(village: str, day: date) -> bool:
        return any(s <= day and (t is None or day < t) for s, t in on.get(village, []))

    month_used: Counter[tuple[str, str, int, int]] = Counter()
    for day, _, village, volunteer, d in sorted(served, key=lambda s: (s[0], s[1], s[3])):
        versions = [p for since, p in parameters if since <= day]
        if not pilot(village, day) or not versions:
            continue
        p = versions[-1]
        hours = Decimal(str(d["volunteer_hours"])) / d["volunteers"] if d["volunteers"] else 0
        points = p["per_activity"] + p["per_hour"] * int(hours)
        points += sum(p["theme_bonus"].get(t, 0) for t in d.get("themes") or [])
        points = min(points, p["cap_per_activity"])
        key = (village, volunteer, day.year, day.month)
        points = max(0, min(points, p["cap_per_month"] - month_used[key]))
        month_used[key] += points
        entries.append((village, volunteer, day, points))
    mine = [x for x in entries if contains(within, x[0]) and start <= x[2] <= end]
    return {
        "communities_piloting": sum(
            1
            for village, periods in on.items()
            if contains(within, village)
            and any(s <= end and (t is None or t > start) for s, t in periods)
        ),
        "volunteers_awarded": len({(v, n) for v, n, _, p in mine if p > 0}),
        "awarded": sum(p for *_, p in mine if p > 0),
        "deducted": -sum(p for *_, p in mine if p < 0),
    }
