"""Four-dimension ranking of organisations (domain.md §4.9), with published, versioned weights.

Activity (活跃度), standardisation (规范化), coverage (覆盖率) and influence (影响力) are each
scored 0–100 from read-model facts over the trailing window of the ranking rule in force; the
total is their weighted sum. Every score comes with the inputs and points that produced it, so
an organisation (or a reviewer) can see why it ranks where it does.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from shared.infrastructure.store import Tx
from shared.kernel.integration.events import InspectionResult
from shared.kernel.jurisdiction import Jurisdiction, prefix_of
from shared.kernel.rules import RuleSet, months_before
from shared.reporting.figures import KIND, history_as_of, kind_params, latest_ratings
from shared.reporting.monthly import activity_rows
from shared.reporting.ranges import span, within

DIMENSIONS = ("activity", "standardisation", "coverage", "influence")


@dataclass
class Inputs:
    """What the ranking reads about one organisation."""

    org_id: str
    name: str
    village_code: str
    kind: str
    activities: int = 0
    beneficiaries: int = 0
    volunteer_hours: float = 0.0
    charter: bool = False
    party_clause: bool = False
    integrity_clause: bool = False
    party_organisation: bool = False
    annual_report_due: bool = False
    annual_report_filed: bool = False
    open_rectifications: int = 0
    on_credit_list: bool = False
    funded_projects: int = 0
    grade: int | None = None
    stars: int | None = None
    resident_population: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def gather(tx: Tx, j: Jurisdiction, like: str, as_of: date, rules: RuleSet) -> list[Inputs]:
    """Inputs for every organisation active on ``as_of`` whose village code is ``LIKE like``."""
    params = rules.ranking.parameters
    day = as_of.isoformat()
    since = months_before(as_of, int(params["window_months"])).isoformat()
    orgs: dict[str, Inputs] = {}
    history = history_as_of(tx, like, as_of)
    year_end = date(as_of.year - 1, 12, 31).isoformat()
    for r in tx.all(
        f"SELECT o.org_id, o.name, o.village_code, {KIND} AS kind, o.charter_at,"
        " o.party_clause, o.integrity_clause, o.party_org_on, o.registered_on,"
        " o.registration_ended_on FROM org o WHERE o.village_code >= %s AND o.village_code < %s",
        (*kind_params(as_of), *span(like)),
    ):
        if r["kind"] is None:
            continue
        if r["org_id"] in history:  # changed after the as-of day: its charter then
            charter = history[r["org_id"]]["charter"]
            r.update(charter_at=charter, party_clause=charter and charter[0] == "1")
            r.update(integrity_clause=charter and charter[1] == "1")
        village = j.located(r["village_code"])
        orgs[r["org_id"]] = Inputs(
            org_id=r["org_id"],
            name=r["name"] or "",
            village_code=r["village_code"],
            kind=r["kind"],
            charter=r["charter_at"] is not None,
            party_clause=bool(r["party_clause"]),
            integrity_clause=bool(r["integrity_clause"]),
            party_organisation=r["party_org_on"] is not None and r["party_org_on"] <= day,
            annual_report_due=(
                r["registered_on"] is not None
                and r["registered_on"] <= year_end
                and (r["registration_ended_on"] is None or r["registration_ended_on"] > year_end)
            ),
            resident_population=village.resident_population if village else 0,
        )
    # The window's activities: whole months from the projector's rollup, ragged ends from the
    # rows (shared/reporting/monthly.py, ADR 0030).
    rows, window = activity_rows(like, date.fromisoformat(since) + timedelta(days=1), as_of)
    for r in tx.all(
        "SELECT org_id, SUM(activities) AS n, SUM(beneficiaries) AS b,"
        f" SUM(volunteer_hours_centi) AS h FROM ({rows}) AS r GROUP BY org_id",
        window,
    ):
        if (o := orgs.get(r["org_id"])) is not None:
            o.activities, o.beneficiaries = int(r["n"]), int(r["b"] or 0)
            o.volunteer_hours = int(r["h"] or 0) / 100
    for r in tx.all(
        "SELECT DISTINCT org_id FROM annual_report WHERE village_code >= %s AND village_code < %s AND year = %s"
        " AND filed_on <= %s",
        (*span(like), as_of.year - 1, day),
    ):
        if (o := orgs.get(r["org_id"])) is not None:
            o.annual_report_filed = True
    for r in tx.all(
        "SELECT org_id, COUNT(*) AS n FROM inspection WHERE village_code >= %s AND village_code < %s AND result = %s"
        " AND inspected_on <= %s AND (rectified_on IS NULL OR rectified_on > %s) GROUP BY org_id",
        (*span(like), InspectionResult.RECTIFICATION_ORDERED.value, day, day),
    ):
        if (o := orgs.get(r["org_id"])) is not None:
            o.open_rectifications = int(r["n"])
    for r in tx.all(
        "SELECT DISTINCT org_id FROM credit_listing WHERE village_code >= %s AND village_code < %s"
        " AND entered_on <= %s AND (left_on IS NULL OR left_on > %s)",
        (*span(like), day, day),
    ):
        if (o := orgs.get(r["org_id"])) is not None:
            o.on_credit_list = True
    for r in tx.all(
        "SELECT org_id, COUNT(*) AS n FROM funding WHERE village_code >= %s AND village_code < %s"
        " AND awarded_on > %s AND awarded_on <= %s GROUP BY org_id",
        (*span(like), since, day),
    ):
        if (o := orgs.get(r["org_id"])) is not None:
            o.funded_projects = int(r["n"])
    for org_id, state in latest_ratings(tx, like, as_of).items():
        if (o := orgs.get(org_id)) is not None:
            o.grade, o.stars = state.get("grade"), state.get("stars")
    return list(orgs.values())


def _items(
    charter: bool,
    party_clause: bool,
    integrity_clause: bool,
    party_organisation: bool,
    open_rectification: bool,
    on_credit_list: bool,
    annual_report_due: bool,
    annual_report_filed: bool,
) -> dict[str, bool]:
    """The standardisation items an organisation is judged on, and whether it meets each."""
    items = {
        "charter": charter,
        "party_clause": party_clause,
        "integrity_clause": integrity_clause,
        "party_organisation": party_organisation,
        "no_open_rectification": not open_rectification,
        "not_on_credit_list": not on_credit_list,
    }
    if annual_report_due:  # only registered organisations owe an annual report
        items["annual_report"] = annual_report_filed
    return items


def _standardisation(
    items: dict[str, bool], points: dict[str, Any]
) -> tuple[dict[str, Any], float]:
    """The points earned per item and the standardisation score before rounding."""
    earned = {k: points[k] if met else 0 for k, met in items.items()}
    return earned, 100.0 * sum(earned.values()) / sum(points[k] for k in items)


Dimensions = Callable[
    [int, float, int, int, float, int, "int | None", "int | None"],
    tuple[float, float, float, float, float],
]


def _dimensions(p: dict[str, Any]) -> Dimensions:
    """The ranking's arithmetic under parameters ``p``: a function of one organisation's inputs
    (activities, standardisation before rounding, beneficiaries, residents, volunteer hours,
    funded projects, grade, stars) giving the four rounded scores (in ``DIMENSIONS`` order) and
    the total. The one place it is done, for the explained ranking and the report counters
    alike, so both give the same numbers; the parameters are looked up once, not per
    organisation (a cold county report scores every active organisation)."""
    target = p["activity_target"]
    share = p["coverage_target_share_of_residents"]
    parts = p["influence_parts"]
    hours_share, funding_share, rating_share = (
        parts["volunteer_hours"],
        parts["funding"],
        parts["rating"],
    )
    hours_target = p["influence_volunteer_hours_target"]
    weights = tuple(p["weights"][d] for d in DIMENSIONS)

    def dimensions(
        activities: int,
        standardisation: float,
        beneficiaries: int,
        resident_population: int,
        volunteer_hours: float,
        funded_projects: int,
        grade: int | None,
        stars: int | None,
    ) -> tuple[float, float, float, float, float]:
        activity = min(100.0, 100.0 * activities / target)
        reach = beneficiaries / resident_population if resident_population else 0.0
        coverage = min(100.0, 100.0 * reach / share)
        hours_part = min(1.0, volunteer_hours / hours_target)
        funding_part = 1.0 if funded_projects else 0.0
        rating_part = max(grade or 0, stars or 0) / 5
        influence = 100.0 * (
            hours_share * hours_part + funding_share * funding_part + rating_share * rating_part
        )
        scores = (
            round(activity, 2),
            round(standardisation, 2),
            round(coverage, 2),
            round(influence, 2),
        )
        # sum(), as ever: its float summation is the language's (compensated from 3.12).
        total = round(sum(w * x for w, x in zip(weights, scores, strict=True)), 2)
        return (*scores, total)

    return dimensions


def _scored(
    o: Inputs, p: dict[str, Any]
) -> tuple[dict[str, float], float, dict[str, Any], dict[str, bool]]:
    """The four scores and the total, with the standardisation points earned and the items
    they were earned on (what the explanation shows)."""
    items = _items(
        o.charter,
        o.party_clause,
        o.integrity_clause,
        o.party_organisation,
        o.open_rectifications > 0,
        o.on_credit_list,
        o.annual_report_due,
        o.annual_report_filed,
    )
    earned, standardisation = _standardisation(items, p["standardisation_points"])
    *numbers, total = _dimensions(p)(
        o.activities,
        standardisation,
        o.beneficiaries,
        o.resident_population,
        o.volunteer_hours,
        o.funded_projects,
        o.grade,
        o.stars,
    )
    scores = dict(zip(DIMENSIONS, numbers, strict=True))
    return scores, total, earned, items


def score(o: Inputs, rules: RuleSet) -> dict[str, Any]:
    """The four scores, the total and the explanation for one organisation."""
    p = rules.ranking.parameters
    scores, total, earned, items = _scored(o, p)
    points, parts, weights = p["standardisation_points"], p["influence_parts"], p["weights"]
    return {
        "scores": scores,
        "total": total,
        "explanation": {
            "activity": {
                "activities_in_window": o.activities,
                "target": p["activity_target"],
                "rule": "min(100, 100 × activities ÷ target)",
            },
            "standardisation": {
                "points": earned,
                "possible": {k: points[k] for k in items},
                "rule": "100 × points earned ÷ points possible (annual report only if due)",
            },
            "coverage": {
                "beneficiaries_in_window": o.beneficiaries,
                "village_resident_population": o.resident_population,
                "target_share": p["coverage_target_share_of_residents"],
                "rule": "min(100, 100 × beneficiaries ÷ (target share × residents))",
            },
            "influence": {
                "volunteer_hours": o.volunteer_hours,
                "hours_target": p["influence_volunteer_hours_target"],
                "funded_projects_in_window": o.funded_projects,
                "grade": o.grade,
                "stars": o.stars,
                "parts": parts,
                "rule": "100 × (hours part × min(1, hours ÷ target) + funding part × funded"
                " + rating part × max(grade, stars) ÷ 5)",
            },
            "weights": weights,
        },
    }


def _ranks(entries: list[dict[str, Any]], key: str) -> None:
    """Competition ranking (1, 2, 2, 4) by total, written to ``entry[key]``."""
    previous, rank = None, 0
    for i, e in enumerate(sorted(entries, key=lambda e: -e["total"]), 1):
        if e["total"] != previous:
            rank, previous = i, e["total"]
        e[key] = rank


def rank(tx: Tx, j: Jurisdiction, within: str, as_of: date, rules: RuleSet) -> list[dict[str, Any]]:
    """Organisations of ``within`` ranked, with their ranks within township and county.

    Ranks are always taken over the whole township and county, whatever ``within`` is, so an
    organisation's rank does not depend on which division's list one reads. Townships and
    villages are those of tree ``j``: a retired village's organisations rank in its successor's.
    """
    entries = []
    for o in gather(tx, j, prefix_of(j.county.code) + "%", as_of, rules):
        entries.append(
            {
                "org_id": o.org_id,
                "name": o.name,
                "village_code": o.village_code,  # as recorded
                "village_in_tree": j.resolve(o.village_code),
                "township_code": j.township_of(o.village_code),
                "kind": o.kind,
                **score(o, rules),
            }
        )
    _ranks(entries, "rank_in_county")
    by_township: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in entries:
        by_township[e["township_code"]].append(e)
    for group in by_township.values():
        _ranks(group, "rank_in_township")
    prefix = prefix_of(within)
    chosen = [e for e in entries if e["village_in_tree"].startswith(prefix)]
    return sorted(chosen, key=lambda e: (e["rank_in_county"], e["org_id"]))


# The counters' inputs in one statement: each active organisation's row with its window sums
# and its standardisation and influence flags joined in, each selected exactly as ``gather``
# selects them (rows recorded under the scope, matched by organisation).
_COUNTER_INPUTS = (
    "SELECT o.org_id, o.village_code, CASE WHEN o.charter_at IS NULL THEN 0 ELSE 1 END AS charter,"
    " o.party_clause, o.integrity_clause,"
    " CASE WHEN o.party_org_on <= %s THEN 1 ELSE 0 END AS po,"
    " CASE WHEN o.registered_on <= %s AND (o.registration_ended_on IS NULL"
    " OR o.registration_ended_on > %s) THEN 1 ELSE 0 END AS due,"
    " w.n, w.b, w.h, CASE WHEN ar.org_id IS NULL THEN 0 ELSE 1 END AS filed,"
    " CASE WHEN ins.org_id IS NULL THEN 0 ELSE 1 END AS rect,"
    " CASE WHEN cl.org_id IS NULL THEN 0 ELSE 1 END AS listed,"
    " CASE WHEN fu.org_id IS NULL THEN 0 ELSE 1 END AS funded FROM org o"
    # Sums as BIGINT: PostgreSQL's SUM of BIGINT is NUMERIC, decoded as a Decimal per value.
    " LEFT JOIN (SELECT org_id, CAST(SUM(activities) AS BIGINT) AS n,"
    " CAST(SUM(beneficiaries) AS BIGINT) AS b, CAST(SUM(volunteer_hours_centi) AS BIGINT) AS h"
    " FROM ({rows}) AS r GROUP BY org_id) w"
    " ON w.org_id = o.org_id"
    " LEFT JOIN (SELECT DISTINCT org_id FROM annual_report WHERE {scope} AND year = %s"
    " AND filed_on <= %s) ar ON ar.org_id = o.org_id"
    " LEFT JOIN (SELECT DISTINCT org_id FROM inspection WHERE {scope} AND result = %s"
    " AND inspected_on <= %s AND (rectified_on IS NULL OR rectified_on > %s)) ins"
    " ON ins.org_id = o.org_id"
    " LEFT JOIN (SELECT DISTINCT org_id FROM credit_listing WHERE {scope} AND entered_on <= %s"
    " AND (left_on IS NULL OR left_on > %s)) cl ON cl.org_id = o.org_id"
    " LEFT JOIN (SELECT DISTINCT org_id FROM funding WHERE {scope} AND awarded_on > %s"
    " AND awarded_on <= %s) fu ON fu.org_id = o.org_id"
    f" WHERE {{org_scope}} AND {KIND} IS NOT NULL"
)


def count_ranking(
    tx: Tx,
    out: dict[str, Counter[str]],
    j: Jurisdiction,
    like: str,
    by: str,
    as_of: date,
    rules: RuleSet,
    ratings: dict[str, dict[str, Any]] | None = None,
) -> None:
    """Additive ranking counters: organisations ranked and their score sums in hundredths
    (exact integers), so a division's mean score is derived after summing its children.

    The same inputs as :func:`gather` and the same arithmetic as :func:`score`
    (``_dimensions``), read in one statement and without building each organisation's
    inputs or explanation: a cold county report runs this once per active organisation."""
    p = rules.ranking.parameters
    points = p["standardisation_points"]
    day = as_of.isoformat()
    since = months_before(as_of, int(p["window_months"]))
    year_end = date(as_of.year - 1, 12, 31).isoformat()
    history = history_as_of(tx, like, as_of)
    if ratings is None:  # else read by the caller for the ratings figures too
        ratings = latest_ratings(tx, like, as_of)
    rows, window = activity_rows(like, since + timedelta(days=1), as_of)
    scope = span(like)
    sql = _COUNTER_INPUTS.format(
        rows=rows, scope=within("village_code"), org_scope=within("o.village_code")
    )
    params = (
        *(day, year_end, year_end),
        *window,
        *(*scope, as_of.year - 1, day),
        *(*scope, InspectionResult.RECTIFICATION_ORDERED.value, day, day),
        *(*scope, day, day),
        *(*scope, since.isoformat(), day),
        *(*scope, *kind_params(as_of)),
    )
    # Memoised: at most 2^8 item combinations, and a county's few thousand village codes.
    standardisation: dict[tuple[bool, ...], float] = {}
    population: dict[str, int] = {}
    dimensions = _dimensions(p)
    for r in tx.all(sql, params):
        if r["org_id"] in history:  # changed after the as-of day: its charter then
            charter = history[r["org_id"]]["charter"]
            clauses = (
                charter is not None,
                bool(charter and charter[0] == "1"),
                bool(charter and charter[1] == "1"),
            )
        else:
            clauses = (
                bool(r["charter"]),
                bool(r["party_clause"]),
                bool(r["integrity_clause"]),
            )
        judged = (
            *clauses,
            bool(r["po"]),
            bool(r["rect"]),
            bool(r["listed"]),
            bool(r["due"]),
            bool(r["filed"]),
        )
        if (std := standardisation.get(judged)) is None:
            items = _items(*judged)  # type: ignore[arg-type]  # eight booleans, as it takes
            std = standardisation[judged] = _standardisation(items, points)[1]
        code = r["village_code"]
        if (residents := population.get(code)) is None:
            village = j.located(code)
            residents = population[code] = village.resident_population if village else 0
        rating = ratings.get(r["org_id"], {})
        a, st, cov, inf, total = dimensions(
            int(r["n"] or 0),
            std,
            int(r["b"] or 0),
            residents,
            int(r["h"] or 0) / 100,
            r["funded"],
            rating.get("grade"),
            rating.get("stars"),
        )
        c = out[r["org_id"] if by == "org_id" else code]
        c["ranking.ranked"] += 1
        c["ranking.sum_activity_centi"] += round(a * 100)
        c["ranking.sum_standardisation_centi"] += round(st * 100)
        c["ranking.sum_coverage_centi"] += round(cov * 100)
        c["ranking.sum_influence_centi"] += round(inf * 100)
        c["ranking.sum_total_centi"] += round(total * 100)
