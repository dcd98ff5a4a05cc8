"""Report figures from the read model: additive counters per division, folded up the tree.

SQL returns additive counters per village/community (or per organisation, for a village's
drill-down, or per township/county for the platforms that sit there); Python folds them into
each division's counters with the jurisdiction tree. Only additive counters are ever summed;
rates, averages and scores are derived after summing (``derive``), so parent = Σ children holds
for every additive figure by construction of the fold — and across tiers, because each tier's
read model is built from the same events (``shared.reporting.reconcile`` checks both).

State figures are taken on the as-of date; flow figures (``period=True`` in the catalogue)
count what happened on a day inside the period. Dates are China legal dates throughout.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from shared.infrastructure.store import Tx
from shared.kernel.domain import Category, Field
from shared.kernel.integration.events import CreditList, FundingProgramme, InspectionResult
from shared.kernel.jurisdiction import Area, Division, Jurisdiction, Tier, prefix_of
from shared.kernel.periods import Period
from shared.kernel.rules import RuleSet
from shared.kernel.usci import LegalForm
from shared.reporting import monthly
from shared.reporting.coverage import coverage_figures, village_coverage
from shared.reporting.monthly import activity_rows
from shared.reporting.ranges import span, within

Counters = Counter[str]

# Kind of an organisation on a day: registered while its registration runs; filed while its
# filing runs and it is not (yet) registered, since registration supersedes the filed identity.
KIND = (
    "CASE WHEN o.registered_on <= %s AND (o.registration_ended_on IS NULL"
    " OR o.registration_ended_on > %s) THEN 'registered' WHEN o.filed_on <= %s"
    " AND (o.filing_ended_on IS NULL OR o.filing_ended_on > %s)"
    " AND (o.registered_on IS NULL OR o.registered_on > %s) THEN 'filed' END"
)
ENTERED = (
    "CASE WHEN o.filed_on IS NULL THEN o.registered_on WHEN o.registered_on IS NULL"
    " THEN o.filed_on WHEN o.filed_on < o.registered_on THEN o.filed_on ELSE o.registered_on END"
)


def kind_params(as_of: date) -> tuple[str, ...]:
    return (as_of.isoformat(),) * 5


@dataclass(frozen=True)
class Scope:
    """What to count: rows under ``like`` (a division-code prefix pattern), keyed by ``by``
    (``village_code``, or ``org_id`` for one village's organisations)."""

    like: str
    by: str = "village_code"


# ------------------------------------------------------------------ counters


# Organisations with a statement (field, category, charter) that took effect after the as-of
# day: for them the org row's latest values are not yet true, and the history says what was.
CHANGED_AFTER = "SELECT org_id FROM org_history WHERE village_code >= %s AND village_code < %s AND effective_on > %s"
HISTORY_FACTS = ("field", "category", "charter")


def history_as_of(tx: Tx, like: str, as_of: date) -> dict[str, dict[str, str | None]]:
    """For organisations changed after ``as_of``: each fact's value on that day (None if not
    yet stated), by the latest statement by effective date then recording time."""
    day = as_of.isoformat()
    out: dict[str, dict[str, str | None]] = {}
    for r in tx.all(
        "SELECT org_id, fact, effective_on, value FROM org_history WHERE org_id IN"
        f" ({CHANGED_AFTER}) ORDER BY org_id, fact, stamp",
        (*span(like), day),
    ):
        facts = out.setdefault(r["org_id"], dict.fromkeys(HISTORY_FACTS))
        if r["effective_on"] <= day:
            facts[r["fact"]] = r["value"]
    return out


def count_organisations(
    tx: Tx, out: dict[str, Counters], s: Scope, as_of: date, j: Jurisdiction
) -> None:
    day = as_of.isoformat()
    columns = (
        f"o.{s.by} AS k, o.village_code, {KIND} AS kind, o.field, o.legal_form, o.category,"
        " COALESCE(o.party_clause, 0) AS pc, COALESCE(o.integrity_clause, 0) AS ic,"
        " CASE WHEN o.party_org_on <= %s THEN 1 ELSE 0 END AS po"
    )
    params = (*kind_params(as_of), day, *span(s.like), *span(s.like), day)
    rows = tx.all(
        f"SELECT {columns}, COUNT(*) AS n FROM org o WHERE o.village_code >= %s AND o.village_code < %s"
        f" AND o.org_id NOT IN ({CHANGED_AFTER}) GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9",
        params,
    )
    changed = tx.all(
        f"SELECT o.org_id, {columns}, 1 AS n FROM org o WHERE o.village_code >= %s AND o.village_code < %s"
        f" AND o.org_id IN ({CHANGED_AFTER})",
        params,
    )
    if changed:
        history = history_as_of(tx, s.like, as_of)
        for r in changed:
            facts = history.get(r["org_id"], dict.fromkeys(HISTORY_FACTS))
            charter = facts["charter"] or "00"
            r.update(field=facts["field"], category=facts["category"])
            r.update(pc=int(charter[0]), ic=int(charter[1]))
        rows += changed
    for r in rows:
        if r["kind"] is None:
            continue  # not active on the as-of date
        c, n = out[r["k"]], int(r["n"])
        c["organisations.active"] += n
        c[f"organisations.{r['kind']}"] += n
        village = j.located(r["village_code"])  # a retired village: its successor's area
        if village is not None and village.area is not None:
            c[f"organisations.{village.area}"] += n
        c[f"organisations.by_field.{r['field'] or Field.OTHER}"] += n
        # A filed group has no legal form of its own until (and unless) it registers.
        form = LegalForm.FILED_GROUP if r["kind"] == "filed" else r["legal_form"]
        c[f"organisations.by_legal_form.{form or LegalForm.OTHER}"] += n
        c["party_building.party_clause"] += n * int(r["pc"])
        c["party_building.integrity_clause"] += n * int(r["ic"])
        c["party_building.party_organisation"] += n * int(r["po"])
        if r["category"] == Category.VILLAGE_SAGE_COUNCIL:
            c["platforms.village_sage_councils"] += n


def count_flows(tx: Tx, out: dict[str, Counters], s: Scope, period: Period) -> None:
    start, end = period.start.isoformat(), period.end.isoformat()
    for r in tx.all(
        f"SELECT o.{s.by} AS k, SUM(CASE WHEN {ENTERED} BETWEEN %s AND %s THEN 1 ELSE 0 END)"
        " AS new, SUM(CASE WHEN o.registration_ended_on BETWEEN %s AND %s"
        "  OR (o.registered_on IS NULL AND o.filing_ended_on BETWEEN %s AND %s) THEN 1 ELSE 0 END)"
        " AS exited FROM org o WHERE o.village_code >= %s AND o.village_code < %s GROUP BY 1",
        (start, end, start, end, start, end, *span(s.like)),
    ):
        if r["new"]:
            out[r["k"]]["organisations.new_in_period"] += int(r["new"])
        if r["exited"]:
            out[r["k"]]["organisations.exited_in_period"] += int(r["exited"])


# Activity columns summed as they are stored (hours in hundredths, money in fen).
ACTIVITY_SUMS = (
    "participants",
    "volunteers",
    "volunteer_services",
    "volunteer_hours_centi",
    "beneficiaries",
    "money_fen",
)


def count_activity(tx: Tx, out: dict[str, Counters], s: Scope, period: Period) -> None:
    # Whole months from the rollup kept by the projector, the ragged ends from the rows
    # (shared/reporting/monthly.py, ADR 0030): never a pass over the period's activities.
    rows, params = activity_rows(s.like, period.start, period.end)
    sums = ", ".join(f"SUM({col}) AS {col}" for col in ACTIVITY_SUMS)
    for r in tx.all(
        f"SELECT {s.by} AS k, SUM(activities) AS activities, COUNT(DISTINCT org_id) AS orgs,"
        f" {sums}, SUM(cases_taken) AS taken, SUM(cases_resolved) AS resolved"
        f" FROM ({rows}) AS r GROUP BY 1",
        params,
    ):
        c = out[r["k"]]
        c["activity.activities"] += int(r["activities"])
        c["activity.active_organisations"] += int(r["orgs"])
        for col in ACTIVITY_SUMS:
            c[f"activity.{col}"] += int(r[col] or 0)
        # Disputes mediated (issue 14): counted only where some activity stated cases.
        if r["taken"] or r["resolved"]:
            c["activity.cases_taken"] += int(r["taken"] or 0)
            c["activity.cases_resolved"] += int(r["resolved"] or 0)
    # Volunteers as distinct people (ADR 0021): a volunteer is (village, register number), and
    # an activity lists only volunteers of its own village's register, so a village's distinct
    # count is its own and villages' counts add up exactly to the township's and county's.
    for r in tx.all(
        f"SELECT a.{s.by} AS k,"
        " COUNT(DISTINCT v.village_code || ':' || v.volunteer_id) AS people, COUNT(*) AS services"
        " FROM activity_volunteer v JOIN activity a ON a.activity_id = v.activity_id"
        " WHERE a.village_code >= %s AND a.village_code < %s AND a.occurred_on BETWEEN %s AND %s GROUP BY 1",
        (*span(s.like), period.start.isoformat(), period.end.isoformat()),
    ):
        out[r["k"]]["activity.distinct_volunteers"] += int(r["people"])
        out[r["k"]]["activity.listed_volunteer_services"] += int(r["services"])


# Every additive activity counter, by theme: ``theme.<code>.<counter>`` (ADR 0019). An activity
# with several themes counts once under each; the rows by theme therefore do not sum to the
# activity totals, but each theme's row is additive up the tree like any other counter.
THEME_COUNTERS = (
    "activities",
    "active_organisations",
    *ACTIVITY_SUMS,
    "cases_taken",
    "cases_resolved",
)


def count_activity_themes(tx: Tx, out: dict[str, Counters], s: Scope, period: Period) -> None:
    sums = ", ".join(f"SUM(a.{col}) AS {col}" for col in ACTIVITY_SUMS)
    for r in tx.all(
        f"SELECT a.{s.by} AS k, t.theme, COUNT(*) AS activities,"
        f" COUNT(DISTINCT a.org_id) AS active_organisations, {sums},"
        " SUM(m.cases_taken) AS cases_taken, SUM(m.cases_resolved) AS cases_resolved"
        " FROM activity_theme t JOIN activity a ON a.activity_id = t.activity_id"
        " LEFT JOIN activity_cases m ON m.activity_id = a.activity_id"
        " WHERE a.village_code >= %s AND a.village_code < %s AND a.occurred_on BETWEEN %s AND %s GROUP BY 1, 2",
        (*span(s.like), period.start.isoformat(), period.end.isoformat()),
    ):
        c = out[r["k"]]
        for col in THEME_COUNTERS:
            if r[col]:
                c[f"theme.{r['theme']}.{col}"] += int(r[col])
    # Volunteers mobilised by theme, as distinct people (ADR 0021): additive for the same reason
    # as the activity total (a volunteer belongs to one village's register).
    for r in tx.all(
        f"SELECT a.{s.by} AS k, t.theme,"
        " COUNT(DISTINCT v.village_code || ':' || v.volunteer_id) AS people"
        " FROM activity_theme t JOIN activity a ON a.activity_id = t.activity_id"
        " JOIN activity_volunteer v ON v.activity_id = a.activity_id"
        " WHERE a.village_code >= %s AND a.village_code < %s AND a.occurred_on BETWEEN %s AND %s GROUP BY 1, 2",
        (*span(s.like), period.start.isoformat(), period.end.isoformat()),
    ):
        out[r["k"]][f"theme.{r['theme']}.distinct_volunteers"] += int(r["people"])


def theme_figures(c: Counters, code: str) -> dict[str, int | float | None]:
    """One theme's figures from its counters, keyed and scaled like the activity group's."""
    t = {col: c[f"theme.{code}.{col}"] for col in THEME_COUNTERS}
    return {
        "activities": t["activities"],
        "active_organisations": t["active_organisations"],
        "participants": t["participants"],
        "volunteers": t["volunteers"],
        "volunteer_services": t["volunteer_services"],
        "volunteer_hours": t["volunteer_hours_centi"] / 100,
        "beneficiaries": t["beneficiaries"],
        "money_spent_yuan": t["money_fen"] / 100,
        "cases_taken": t["cases_taken"],
        "cases_resolved": t["cases_resolved"],
        "cases_resolution_rate": _ratio(t["cases_resolved"], t["cases_taken"]),
        "distinct_volunteers": c[f"theme.{code}.distinct_volunteers"],
    }


def _zombie_filter(like: str, as_of: date, rules: RuleSet) -> tuple[str, tuple[str, ...]]:
    """Active organisations under ``like``, entered before the window, with no activity
    inside it: the WHERE clause over ``org o`` and its parameters."""
    cutoff = rules.zombie_cutoff(as_of)
    # Any activity of the organisation (under whatever village) inside the window: the
    # window's whole months from the rollup by organisation (``activity_month_org``: a row
    # there is at least one activity), its ragged days from the rows (ADR 0030 addendum).
    window = monthly.split(cutoff + timedelta(days=1), as_of)
    active = (
        " AND NOT EXISTS (SELECT 1 FROM activity_month m WHERE m.org_id = o.org_id"
        " AND m.month >= %s AND m.month <= %s)"
    )
    params: tuple[str, ...] = (window.first_month, window.last_month)
    for d0, d1 in window.days:
        active += (
            " AND NOT EXISTS (SELECT 1 FROM activity a WHERE a.org_id = o.org_id"
            " AND a.occurred_on >= %s AND a.occurred_on <= %s)"
        )
        params += (d0.isoformat(), d1.isoformat())
    return (
        f"{within('o.village_code')} AND {KIND} IS NOT NULL AND {ENTERED} <= %s{active}",
        (*span(like), *kind_params(as_of), cutoff.isoformat(), *params),
    )


def zombie_candidates(tx: Tx, like: str, as_of: date, rules: RuleSet) -> list[dict[str, Any]]:
    """Active organisations, entered before the window, with no activity inside it."""
    where, params = _zombie_filter(like, as_of, rules)
    return tx.all(
        f"SELECT o.org_id, o.village_code, o.name, o.field, {KIND} AS kind,"
        f" {ENTERED} AS entered_on, o.registered_on,"
        " (SELECT MAX(a.occurred_on) FROM activity a WHERE a.org_id = o.org_id"
        "  AND a.occurred_on <= %s) AS last_activity_on"
        f" FROM org o WHERE {where} ORDER BY o.village_code, o.name, o.org_id",
        (*kind_params(as_of), as_of.isoformat(), *params),
    )


def count_zombies(tx: Tx, out: dict[str, Counters], s: Scope, as_of: date, r: RuleSet) -> None:
    # Counted in SQL: the list's last activity date and ordering are not needed for a count.
    where, params = _zombie_filter(s.like, as_of, r)
    for row in tx.all(
        f"SELECT o.{s.by} AS k, COUNT(*) AS n FROM org o WHERE {where} GROUP BY 1", params
    ):
        out[row["k"]]["zombies.count"] += int(row["n"])


def count_supervision(
    tx: Tx, out: dict[str, Counters], s: Scope, as_of: date, period: Period
) -> None:
    day = as_of.isoformat()
    for r in tx.all(
        f"SELECT {s.by} AS k, result, COUNT(*) AS n FROM inspection WHERE village_code >= %s AND village_code < %s"
        " AND inspected_on BETWEEN %s AND %s GROUP BY 1, 2",
        (*span(s.like), period.start.isoformat(), period.end.isoformat()),
    ):
        c, n = out[r["k"]], int(r["n"])
        c["supervision.inspections"] += n
        name = {
            InspectionResult.COMPLIANT: "compliant",
            InspectionResult.RECTIFICATION_ORDERED: "rectification_ordered",
            InspectionResult.VIOLATION: "violations",
        }[InspectionResult(r["result"])]
        c[f"supervision.{name}"] += n
    for r in tx.all(
        f"SELECT {s.by} AS k, COUNT(*) AS n FROM inspection WHERE village_code >= %s AND village_code < %s"
        " AND result = %s AND inspected_on <= %s AND (rectified_on IS NULL OR rectified_on > %s)"
        " GROUP BY 1",
        (*span(s.like), InspectionResult.RECTIFICATION_ORDERED.value, day, day),
    ):
        out[r["k"]]["supervision.open_rectifications"] += int(r["n"])
    # Annual reports for the year before the as-of date, due from everyone registered on its
    # last day (domain.md §3: registered organisations file a yearly report).
    year = as_of.year - 1
    year_end = date(year, 12, 31).isoformat()
    for r in tx.all(
        f"SELECT o.{s.by} AS k, COUNT(*) AS due, SUM(CASE WHEN EXISTS (SELECT 1 FROM"
        " annual_report a WHERE a.org_id = o.org_id AND a.year = %s AND a.filed_on <= %s)"
        " THEN 1 ELSE 0 END) AS filed FROM org o WHERE o.village_code >= %s AND o.village_code < %s"
        " AND o.registered_on <= %s AND (o.registration_ended_on IS NULL"
        " OR o.registration_ended_on > %s) GROUP BY 1",
        (year, day, *span(s.like), year_end, year_end),
    ):
        out[r["k"]]["supervision.annual_reports_due"] += int(r["due"])
        out[r["k"]]["supervision.annual_reports_filed"] += int(r["filed"] or 0)
    for r in tx.all(
        f"SELECT {s.by} AS k, credit_list, COUNT(DISTINCT org_id) AS n FROM credit_listing"
        " WHERE village_code >= %s AND village_code < %s AND entered_on <= %s AND (left_on IS NULL OR left_on > %s)"
        " GROUP BY 1, 2",
        (*span(s.like), day, day),
    ):
        name = {CreditList.ABNORMAL: "abnormal_list", CreditList.SERIOUS: "serious_list"}[
            CreditList(r["credit_list"])
        ]
        out[r["k"]][f"supervision.{name}"] += int(r["n"])


def count_funding(tx: Tx, out: dict[str, Counters], s: Scope, period: Period) -> None:
    start, end = period.start.isoformat(), period.end.isoformat()
    for r in tx.all(
        f"SELECT {s.by} AS k, programme, COUNT(*) AS n, SUM(amount_fen) AS fen FROM funding"
        " WHERE village_code >= %s AND village_code < %s AND awarded_on BETWEEN %s AND %s GROUP BY 1, 2",
        (*span(s.like), start, end),
    ):
        c = out[r["k"]]
        c[f"funding.by_programme.{r['programme']}.projects"] += int(r["n"])
        c[f"funding.by_programme.{r['programme']}.awarded_fen"] += int(r["fen"])
    for r in tx.all(
        f"SELECT {s.by} AS k, programme, SUM(amount_fen) AS fen FROM disbursement"
        " WHERE village_code >= %s AND village_code < %s AND disbursed_on BETWEEN %s AND %s GROUP BY 1, 2",
        (*span(s.like), start, end),
    ):
        out[r["k"]][f"funding.by_programme.{r['programme']}.disbursed_fen"] += int(r["fen"])
    # Beneficiaries (ADR 0021): planned by the awards made in the period, reached by the
    # projects closed in it that stated them (with what those projects were awarded).
    for r in tx.all(
        f"SELECT {s.by} AS k, SUM(beneficiaries_planned) AS n FROM funding_detail"
        " WHERE village_code >= %s AND village_code < %s AND awarded_on BETWEEN %s AND %s"
        " AND beneficiaries_planned IS NOT NULL GROUP BY 1",
        (*span(s.like), start, end),
    ):
        out[r["k"]]["funding.beneficiaries_planned"] += int(r["n"])
    for r in tx.all(
        f"SELECT {s.by} AS k, SUM(beneficiaries_reached) AS n, SUM(amount_fen) AS fen"
        " FROM funding_detail WHERE village_code >= %s AND village_code < %s AND closed_on BETWEEN %s AND %s"
        " AND beneficiaries_reached IS NOT NULL GROUP BY 1",
        (*span(s.like), start, end),
    ):
        out[r["k"]]["funding.beneficiaries_reached"] += int(r["n"])
        out[r["k"]]["funding.reached_awarded_fen"] += int(r["fen"])


def period_years(period: Period) -> int:
    """The calendar years a period touches (ADR 0021): 2016-01-01..2020-12-31 is five, a
    quarter is one. "Average yearly" figures divide by it."""
    return period.end.year - period.start.year + 1


def add_yearly_funding(
    figures: dict[str, Any], period: Period, budgets_fen: dict[str, int] | None
) -> dict[str, Any]:
    """The funding figures that need the period's years (not counters, so computed after
    ``derive``): the average yearly amount awarded at any division, and at the county the
    programmes' yearly budgets of the years the period touches and their yearly average
    (``budgets_fen``: programme → Σ budgets; None below the county, whose reports have no
    budget). Budgets are the county's, never split among its divisions (ADR 0021)."""
    funding = figures.get("funding")
    if not isinstance(funding, dict):
        return figures
    years = period_years(period)
    # Rounded to 4 places like every average here, so a sum of fen divided by the years
    # stays within the catalogue's rounding of the exact quotient.
    funding["average_yearly_awarded_yuan"] = round(funding["awarded_yuan"] / years, 4)
    for p, line in funding["by_programme"].items():
        line["average_yearly_awarded_yuan"] = round(line["awarded_yuan"] / years, 4)
        budget = None if budgets_fen is None else budgets_fen.get(p, 0) / 100
        line["budget_yuan"] = budget
        line["average_yearly_budget_yuan"] = None if budget is None else round(budget / years, 4)
    if budgets_fen is None:
        funding["budget_yuan"] = funding["average_yearly_budget_yuan"] = None
    else:
        total = sum(budgets_fen.values()) / 100
        funding["budget_yuan"] = total
        funding["average_yearly_budget_yuan"] = round(total / years, 4)
    return figures


def latest_ratings(tx: Tx, like: str, as_of: date) -> dict[str, dict[str, Any]]:
    """Per active organisation: its latest credit, stars and still-valid grade on the date."""
    day = as_of.isoformat()
    latest: dict[str, dict[str, Any]] = {}
    for r in tx.all(
        "SELECT r.org_id, r.village_code, r.rated_on, r.position, r.credit, r.grade,"
        f" r.grade_valid_until, r.stars FROM rating r JOIN org o ON o.org_id = r.org_id"
        f" WHERE r.village_code >= %s AND r.village_code < %s AND r.rated_on <= %s AND {KIND} IS NOT NULL"
        " ORDER BY r.org_id, r.rated_on, r.position",
        (*span(like), day, *kind_params(as_of)),
    ):
        state = latest.setdefault(r["org_id"], {"village_code": r["village_code"]})
        for column in ("credit", "grade", "stars"):
            if r[column] is not None:
                state[column] = r[column]
                if column == "grade":
                    state["grade_valid_until"] = r["grade_valid_until"]
    for state in latest.values():
        if state.get("grade") is not None and (state.get("grade_valid_until") or "") < day:
            state["grade"] = None  # expired: the organisation holds no grade now
    return latest


def count_ratings(
    tx: Tx,
    out: dict[str, Counters],
    s: Scope,
    as_of: date,
    latest: dict[str, dict[str, Any]] | None = None,
) -> None:
    """``latest``: :func:`latest_ratings` of the scope, when the caller already read it."""
    if latest is None:
        latest = latest_ratings(tx, s.like, as_of)
    for org_id, state in latest.items():
        c = out[org_id if s.by == "org_id" else state["village_code"]]
        if state.get("grade"):
            c[f"ratings.grade.{state['grade']}"] += 1
            c["ratings.graded"] += 1
            c["ratings.grade_3a_plus"] += int(state["grade"] >= 3)
        if state.get("credit"):
            c[f"ratings.by_credit.{state['credit']}"] += 1
        if state.get("stars"):
            c[f"ratings.stars.{state['stars']}"] += 1


_PLATFORM_KEYS = {
    "county_centre": "platforms.county_centres",
    "township_platform": "platforms.township_platforms",
    "village_station": "platforms.village_stations",
    "incubator": "platforms.incubators",
}


def count_platforms(tx: Tx, out: dict[str, Counters], s: Scope, as_of: date) -> None:
    day = as_of.isoformat()
    for r in tx.all(
        "SELECT division_code, kind, COUNT(*) AS n FROM platform WHERE division_code >= %s AND division_code < %s"
        " AND opened_on <= %s AND (closed_on IS NULL OR closed_on > %s) GROUP BY 1, 2",
        (*span(s.like), day, day),
    ):
        out[r["division_code"]][_PLATFORM_KEYS[r["kind"]]] += int(r["n"])


def village_flags(c: Counters, v: Division, rules: RuleSet) -> None:
    """Counters a village contributes as a whole: itself, its population, its standards."""
    c["density.villages"] += 1
    c[f"density.{'urban_communities' if v.area is Area.URBAN else 'rural_villages'}"] += 1
    minimum = rules.urban_min_per_community if v.area is Area.URBAN else rules.rural_min_per_village
    c["density.meeting_standard"] += int(c["organisations.active"] >= minimum)
    c["density.registered_population"] += v.registered_population
    c["density.resident_population"] += v.resident_population
    if c["platforms.incubators"]:
        c["platforms.organisations_in_incubated_villages"] += c["organisations.active"]
    village_coverage(c, v.area)  # the coverage numerators, per denominator (ADR 0018)


def fold(counters: dict[str, Counters], division: Division) -> Counters:
    prefix = prefix_of(division.code)
    total: Counters = Counter()
    for code, c in counters.items():
        if code.startswith(prefix):
            total.update(c)
    return total


# ------------------------------------------------------------------ presentation


def _ratio(a: float, b: float, scale: float = 1.0) -> float | None:
    return round(a / b * scale, 4) if b else None


def derive(c: Counters, organisation: bool = False, rules: RuleSet | None = None) -> dict[str, Any]:
    """Figures from additive counters: nested by group, rates and averages computed here.

    ``organisation``: figures for one organisation (no density or platform groups).
    ``rules``: the report's rule set, whose ``coverage`` version says what each coverage rate
    is divided by (ADR 0018); without it, Sanji's former definitions.
    """
    coverage = coverage_figures(c, rules)
    active = c["organisations.active"]
    programmes = {
        p.value: {
            "projects": c[f"funding.by_programme.{p.value}.projects"],
            "awarded_yuan": c[f"funding.by_programme.{p.value}.awarded_fen"] / 100,
            "disbursed_yuan": c[f"funding.by_programme.{p.value}.disbursed_fen"] / 100,
        }
        for p in FundingProgramme
    }
    awarded = sum(p["awarded_yuan"] for p in programmes.values())
    disbursed = sum(p["disbursed_yuan"] for p in programmes.values())
    figures: dict[str, Any] = {
        "organisations": {
            "active": active,
            "registered": c["organisations.registered"],
            "filed": c["organisations.filed"],
            "urban": c["organisations.urban"],
            "rural": c["organisations.rural"],
            "by_field": {f.value: c[f"organisations.by_field.{f.value}"] for f in Field},
            "by_legal_form": {
                f.value: c[f"organisations.by_legal_form.{f.value}"] for f in LegalForm
            },
            "new_in_period": c["organisations.new_in_period"],
            "exited_in_period": c["organisations.exited_in_period"],
        },
        "density": {
            "villages": c["density.villages"],
            "urban_communities": c["density.urban_communities"],
            "rural_villages": c["density.rural_villages"],
            "avg_per_urban_community": _ratio(
                c["organisations.urban"], c["density.urban_communities"]
            ),
            "avg_per_rural_village": _ratio(c["organisations.rural"], c["density.rural_villages"]),
            "meeting_standard": c["density.meeting_standard"],
            "share_meeting_standard": _ratio(c["density.meeting_standard"], c["density.villages"]),
            "registered_population": c["density.registered_population"],
            "resident_population": c["density.resident_population"],
            "per_10k_registered_population": _ratio(
                active, c["density.registered_population"], 10_000
            ),
            "per_10k_resident_population": _ratio(active, c["density.resident_population"], 10_000),
        },
        "party_building": {
            "party_clause": c["party_building.party_clause"],
            "integrity_clause": c["party_building.integrity_clause"],
            "party_organisation": c["party_building.party_organisation"],
            "party_clause_rate": _ratio(c["party_building.party_clause"], active),
            "integrity_clause_rate": _ratio(c["party_building.integrity_clause"], active),
            "party_organisation_coverage": _ratio(c["party_building.party_organisation"], active),
        },
        "activity": {
            "activities": c["activity.activities"],
            "active_organisations": c["activity.active_organisations"],
            "participants": c["activity.participants"],
            "volunteers": c["activity.volunteers"],
            "volunteer_services": c["activity.volunteer_services"],
            "volunteer_hours": c["activity.volunteer_hours_centi"] / 100,
            "beneficiaries": c["activity.beneficiaries"],
            "money_spent_yuan": c["activity.money_fen"] / 100,
            "cases_taken": c["activity.cases_taken"],
            "cases_resolved": c["activity.cases_resolved"],
            "cases_resolution_rate": _ratio(
                c["activity.cases_resolved"], c["activity.cases_taken"]
            ),
            "distinct_volunteers": c["activity.distinct_volunteers"],
            "listed_volunteer_services": c["activity.listed_volunteer_services"],
            "services_per_distinct_volunteer": _ratio(
                c["activity.listed_volunteer_services"], c["activity.distinct_volunteers"]
            ),
        },
        "zombies": {"count": c["zombies.count"], "rate": _ratio(c["zombies.count"], active)},
        "supervision": {
            "inspections": c["supervision.inspections"],
            "compliant": c["supervision.compliant"],
            "rectification_ordered": c["supervision.rectification_ordered"],
            "violations": c["supervision.violations"],
            "compliance_rate": _ratio(c["supervision.compliant"], c["supervision.inspections"]),
            "open_rectifications": c["supervision.open_rectifications"],
            "annual_reports_due": c["supervision.annual_reports_due"],
            "annual_reports_filed": c["supervision.annual_reports_filed"],
            "annual_report_filing_rate": _ratio(
                c["supervision.annual_reports_filed"], c["supervision.annual_reports_due"]
            ),
            "abnormal_list": c["supervision.abnormal_list"],
            "serious_list": c["supervision.serious_list"],
            # Random inspection sampling (ADR 0010; shared/reporting/sampling.py).
            "sampled": c["supervision.sampled"],
            "sampled_inspected": c["supervision.sampled_inspected"],
            "sampling_completion_rate": _ratio(
                c["supervision.sampled_inspected"], c["supervision.sampled"]
            ),
            "sampled_compliant": c["supervision.sampled_compliant"],
            "sampled_rectification_ordered": c["supervision.sampled_rectification_ordered"],
            "sampled_violations": c["supervision.sampled_violations"],
        },
        "funding": {
            "projects": sum(p["projects"] for p in programmes.values()),
            "awarded_yuan": awarded,
            "disbursed_yuan": disbursed,
            "disbursement_rate": _ratio(disbursed, awarded),
            "by_programme": programmes,
            "beneficiaries_planned": c["funding.beneficiaries_planned"],
            "beneficiaries_reached": c["funding.beneficiaries_reached"],
            "beneficiaries_reached_per_10k_yuan": _ratio(
                c["funding.beneficiaries_reached"], c["funding.reached_awarded_fen"], 1_000_000
            ),
        },
        "ratings": {
            "grade": {str(g): c[f"ratings.grade.{g}"] for g in range(5, 0, -1)},
            "graded": c["ratings.graded"],
            "grade_3a_plus": c["ratings.grade_3a_plus"],
            "by_credit": {
                k.removeprefix("ratings.by_credit."): v
                for k, v in sorted(c.items())
                if k.startswith("ratings.by_credit.") and v
            },
            "stars": {str(s): c[f"ratings.stars.{s}"] for s in range(5, 0, -1)},
        },
        "platforms": {
            "county_centres": c["platforms.county_centres"],
            "township_platforms": c["platforms.township_platforms"],
            "village_stations": c["platforms.village_stations"],
            "incubators": c["platforms.incubators"],
            "villages_with_incubator": c["platforms.villages_with_incubator"],
            "incubator_coverage": coverage.pop("incubator_coverage"),
            "organisations_in_incubated_villages": c[
                "platforms.organisations_in_incubated_villages"
            ],
            "village_sage_councils": c["platforms.village_sage_councils"],
            "villages_with_sage_council": c["platforms.villages_with_sage_council"],
            "sage_council_coverage": coverage.pop("sage_council_coverage"),
            **coverage,  # the explicit variants, when the report names a coverage rule
        },
    }
    figures["ranking"] = ranking_summary(c)
    # Training and commendations (ADR 0024; shared/reporting/training.py).
    figures["training"] = {
        "courses_held": c["training.courses_held"],
        "trainees": c["training.trainees"],
        "organisations_reached": c["training.organisations_reached"],
        "trainees_per_organisation": _ratio(
            c["training.trainees"], c["training.organisations_reached"]
        ),
        "commended": c["training.commended"],
    }
    # Third-party evaluation (ADR 0026; shared/reporting/evaluation.py).
    figures["evaluation"] = {
        "assignments": c["evaluation.assignments"],
        "findings": c["evaluation.findings"],
        "organisations_evaluated": c["evaluation.organisations_evaluated"],
        "decisions": c["evaluation.decisions"],
        "accepted": c["evaluation.accepted"],
        "acceptance_rate": _ratio(c["evaluation.accepted"], c["evaluation.decisions"]),
    }
    if organisation:
        del figures["density"], figures["platforms"]
    return figures


def ranking_summary(c: Counters) -> dict[str, Any]:
    """Organisations ranked and their mean scores, from the additive score sums."""
    n = c["ranking.ranked"]

    def mean(key: str) -> float | None:
        return round(c[f"ranking.sum_{key}_centi"] / n / 100, 2) if n else None

    keys = ("activity", "standardisation", "coverage", "influence", "total")
    return {"ranked": n, **{f"avg_{k}": mean(k) for k in keys}}


def describe(d: Division) -> dict[str, Any]:
    return {"code": d.code, "name": d.name, "tier": str(d.tier), "area": d.area and str(d.area)}


def children_of(j: Jurisdiction, division: Division) -> list[Division]:
    return (
        [] if division.tier is Tier.VILLAGE else [j.divisions[c] for c in j.children[division.code]]
    )
