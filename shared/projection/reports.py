"""Reports from the read model: additive counters per village, folded up the division tree.

SQL returns one row per village (and kind/field/…); Python folds those rows into each
division's counters with the jurisdiction tree. Only additive counters are ever summed; rates
and averages are derived from summed counters afterwards, so county = Σ townships = Σ villages
holds for every additive figure by construction of the fold — and across tiers, because each
tier's read model is built from the same events (checked by the property test).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

from shared.domain import Field
from shared.jurisdiction import Area, Division, Jurisdiction, Tier, prefix_of
from shared.projection.store import Database, Tx
from shared.rules import RuleSet

Counters = Counter[str]


@dataclass(frozen=True)
class Period:
    start: date
    end: date


# Kind of an organisation on a day: registered while its registration runs; filed while its
# filing runs and it is not (yet) registered, since registration supersedes the filed identity.
_KIND = (
    "CASE WHEN registered_on <= %s AND (registration_ended_on IS NULL OR registration_ended_on > %s)"
    " THEN 'registered' WHEN filed_on <= %s AND (filing_ended_on IS NULL OR filing_ended_on > %s)"
    " AND (registered_on IS NULL OR registered_on > %s) THEN 'filed' END"
)
_ENTERED = (
    "CASE WHEN filed_on IS NULL THEN registered_on WHEN registered_on IS NULL THEN filed_on"
    " WHEN filed_on < registered_on THEN filed_on ELSE registered_on END"
)


def _kind_params(as_of: date) -> tuple[str, ...]:
    return (as_of.isoformat(),) * 5


def village_counters(
    tx: Tx, j: Jurisdiction, within: str, as_of: date, period: Period, rules: RuleSet
) -> dict[str, Counters]:
    """Additive counters for every village/community in division ``within``."""
    villages = {v.code: v for v in j.villages(within)}
    out: dict[str, Counters] = {code: Counter() for code in villages}
    like = prefix_of(within) + "%"
    for r in tx.all(
        f"SELECT village_code, {_KIND} AS kind, field, legal_form,"
        " COALESCE(party_clause, 0) AS pc, COALESCE(integrity_clause, 0) AS ic,"
        " CASE WHEN party_org IS NULL THEN 0 ELSE 1 END AS po, COUNT(*) AS n"
        " FROM org WHERE village_code LIKE %s GROUP BY 1, 2, 3, 4, 5, 6, 7",
        (*_kind_params(as_of), like),
    ):
        c = out.get(r["village_code"])
        if c is None or r["kind"] is None:
            continue  # not active on the as-of date, or a village outside the tree
        n = int(r["n"])
        c["organisations.active"] += n
        c[f"organisations.{r['kind']}"] += n
        c[f"organisations.{villages[r['village_code']].area}"] += n
        c[f"organisations.field.{r['field'] or 'other'}"] += n
        c[f"organisations.legal_form.{r['legal_form'] or 'filed_group'}"] += n
        c["party_building.party_clause"] += n * int(r["pc"])
        c["party_building.integrity_clause"] += n * int(r["ic"])
        c["party_building.party_organisation"] += n * int(r["po"])
    _period_flows(tx, out, like, period)
    _activity(tx, out, like, period)
    _zombies(tx, out, like, as_of, rules)
    for code, c in out.items():
        v = villages[code]
        c["density.villages"] += 1
        c[f"density.{v.area}_villages"] += 1
        minimum = (
            rules.urban_min_per_community if v.area is Area.URBAN else rules.rural_min_per_village
        )
        c["density.meeting_standard"] += int(c["organisations.active"] >= minimum)
        c["population.registered"] += v.registered_population
        c["population.resident"] += v.resident_population
    return out


def _period_flows(tx: Tx, out: dict[str, Counters], like: str, period: Period) -> None:
    start, end = period.start.isoformat(), period.end.isoformat()
    for r in tx.all(
        f"SELECT village_code, SUM(CASE WHEN {_ENTERED} BETWEEN %s AND %s THEN 1 ELSE 0 END) AS new,"
        " SUM(CASE WHEN registration_ended_on BETWEEN %s AND %s"
        "  OR (registered_on IS NULL AND filing_ended_on BETWEEN %s AND %s) THEN 1 ELSE 0 END)"
        " AS exited FROM org WHERE village_code LIKE %s GROUP BY village_code",
        (start, end, start, end, start, end, like),
    ):
        if r["village_code"] in out:
            out[r["village_code"]]["organisations.new"] += int(r["new"] or 0)
            out[r["village_code"]]["organisations.exited"] += int(r["exited"] or 0)


_ACTIVITY_SUMS = {
    "participants": "participants",
    "volunteers": "volunteers",
    "volunteer_services": "volunteer_services",
    "volunteer_hours_centi": "volunteer_hours_centi",
    "beneficiaries": "beneficiaries",
    "money_fen": "money_fen",
}


def _activity(tx: Tx, out: dict[str, Counters], like: str, period: Period) -> None:
    sums = ", ".join(f"SUM({col}) AS {name}" for name, col in _ACTIVITY_SUMS.items())
    for r in tx.all(
        f"SELECT village_code, COUNT(*) AS activities, {sums} FROM activity"
        " WHERE village_code LIKE %s AND occurred_on BETWEEN %s AND %s GROUP BY village_code",
        (like, period.start.isoformat(), period.end.isoformat()),
    ):
        c = out.get(r["village_code"])
        if c is None:
            continue
        c["activity.activities"] += int(r["activities"])
        for name in _ACTIVITY_SUMS:
            c[f"activity.{name}"] += int(r[name] or 0)


def zombie_rows(tx: Tx, like: str, as_of: date, rules: RuleSet) -> list[dict[str, Any]]:
    """Active organisations, established before the window, with no activity inside it."""
    day, cutoff = as_of.isoformat(), rules.zombie_cutoff(as_of).isoformat()
    return tx.all(
        f"SELECT o.org_id, o.village_code, o.name, {_ENTERED} AS entered_on,"
        " (SELECT MAX(a.occurred_on) FROM activity a WHERE a.org_id = o.org_id"
        "  AND a.occurred_on <= %s) AS last_activity_on"
        f" FROM org o WHERE o.village_code LIKE %s AND {_KIND} IS NOT NULL"
        f" AND {_ENTERED} <= %s AND NOT EXISTS (SELECT 1 FROM activity a WHERE"
        " a.org_id = o.org_id AND a.occurred_on > %s AND a.occurred_on <= %s)"
        " ORDER BY o.village_code, o.name",
        (day, like, *_kind_params(as_of), cutoff, cutoff, day),
    )


def _zombies(tx: Tx, out: dict[str, Counters], like: str, as_of: date, rules: RuleSet) -> None:
    for r in zombie_rows(tx, like, as_of, rules):
        if r["village_code"] in out:
            out[r["village_code"]]["zombies.count"] += 1


# ------------------------------------------------------------------ presentation


def derive(c: Counters, rules: RuleSet) -> dict[str, Any]:
    """Figures for one division from its additive counters: nested, with rates and averages."""

    def ratio(a: float, b: float, scale: float = 1.0) -> float | None:
        return round(a / b * scale, 4) if b else None

    active = c["organisations.active"]
    return {
        "organisations": {
            "active": active,
            "registered": c["organisations.registered"],
            "filed": c["organisations.filed"],
            "urban": c["organisations.urban"],
            "rural": c["organisations.rural"],
            "by_field": {f.value: c[f"organisations.field.{f.value}"] for f in Field},
            "by_legal_form": {
                k.removeprefix("organisations.legal_form."): v
                for k, v in sorted(c.items())
                if k.startswith("organisations.legal_form.")
            },
            "new_in_period": c["organisations.new"],
            "exited_in_period": c["organisations.exited"],
        },
        "activity": {
            "activities": c["activity.activities"],
            "participants": c["activity.participants"],
            "volunteers": c["activity.volunteers"],
            "volunteer_services": c["activity.volunteer_services"],
            "volunteer_hours": c["activity.volunteer_hours_centi"] / 100,
            "beneficiaries": c["activity.beneficiaries"],
            "money_spent_yuan": c["activity.money_fen"] / 100,
        },
        "zombies": {
            "count": c["zombies.count"],
            "rate": ratio(c["zombies.count"], active),
            "window_months": rules.zombie_window_months,
        },
        "party_building": {
            "party_clause": c["party_building.party_clause"],
            "integrity_clause": c["party_building.integrity_clause"],
            "party_organisation": c["party_building.party_organisation"],
            "party_clause_rate": ratio(c["party_building.party_clause"], active),
            "integrity_clause_rate": ratio(c["party_building.integrity_clause"], active),
            "party_organisation_coverage": ratio(c["party_building.party_organisation"], active),
        },
        "density": {
            "villages": c["density.villages"],
            "urban_communities": c["density.urban_villages"],
            "rural_villages": c["density.rural_villages"],
            "avg_per_urban_community": ratio(c["organisations.urban"], c["density.urban_villages"]),
            "avg_per_rural_village": ratio(c["organisations.rural"], c["density.rural_villages"]),
            "meeting_standard": c["density.meeting_standard"],
            "share_meeting_standard": ratio(c["density.meeting_standard"], c["density.villages"]),
            "standard": {
                "urban_min": rules.urban_min_per_community,
                "rural_min": rules.rural_min_per_village,
            },
            "registered_population": c["population.registered"],
            "resident_population": c["population.resident"],
            "per_10k_registered_population": ratio(active, c["population.registered"], 10_000),
            "per_10k_resident_population": ratio(active, c["population.resident"], 10_000),
        },
    }


def fold(per_village: dict[str, Counters], division: Division) -> Counters:
    prefix = prefix_of(division.code)
    total: Counters = Counter()
    for code, c in per_village.items():
        if code.startswith(prefix):
            total.update(c)
    return total


def division_report(
    db: Database,
    j: Jurisdiction,
    code: str,
    as_of: date,
    period: Period,
    rules: RuleSet,
    watermarks: dict[str, int],
) -> dict[str, Any]:
    """The report for one division, with one line per child division (drill-down)."""
    division = j.get(code)
    if division is None:
        raise KeyError(code)
    with db.transaction() as tx:
        per_village = village_counters(tx, j, code, as_of, period, rules)
    children = [] if division.tier is Tier.VILLAGE else [j.divisions[c] for c in j.children[code]]
    return {
        "division": _describe(division),
        "as_of": as_of.isoformat(),
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
        "rule_version": rules.version,
        "watermarks": watermarks,
        "figures": derive(fold(per_village, division), rules),
        "children": [
            {**_describe(child), "figures": derive(fold(per_village, child), rules)}
            for child in children
        ],
    }


def additive_totals(
    db: Database, j: Jurisdiction, code: str, as_of: date, period: Period, rules: RuleSet
) -> Counters:
    """The raw additive counters of one division (reconciliation compares these)."""
    with db.transaction() as tx:
        per_village = village_counters(tx, j, code, as_of, period, rules)
    return fold(per_village, j.divisions[code])


def _describe(d: Division) -> dict[str, Any]:
    return {"code": d.code, "name": d.name, "tier": str(d.tier), "area": d.area and str(d.area)}
