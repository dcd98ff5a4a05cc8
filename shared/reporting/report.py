"""A division's report, or one organisation's: figures, drill-down, watermarks, rules.

Everything in one report is read in one snapshot of the read model, together with the
watermarks (the upstream positions the read model reflects), so a report describes one
consistent point and says which.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from shared.domain import NotFound
from shared.jurisdiction import Jurisdiction, Tier
from shared.projection.store import Database, Tx
from shared.reporting import ranking
from shared.reporting.counters import (
    CounterCache,
    collect,
    collect_organisations,
    division_counters,
)
from shared.reporting.figures import Counters, children_of, derive, describe, fold
from shared.reporting.periods import Period
from shared.reporting.zombies import zombie_list
from shared.rules import RuleSet

API = "/api/v1"


def watermarks(tx: Tx) -> dict[str, int]:
    """Per source tier: the last position of its event store this read model has applied."""
    return {
        r["source"]: int(r["position"]) for r in tx.all("SELECT source, position FROM tracking")
    }


def _query(as_of: date, period: Period) -> str:
    return f"?as_of={as_of.isoformat()}&from={period.start.isoformat()}&to={period.end.isoformat()}"


def division_report(
    db: Database,
    j: Jurisdiction,
    code: str,
    as_of: date,
    period: Period,
    rules: RuleSet,
) -> dict[str, Any]:
    """The report for one division, with one line per child (drill-down): townships of a
    county, villages of a township, organisations of a village."""
    division = j.get(code)
    if division is None:
        raise NotFound("unknown_division", f"no division {code}")
    q = _query(as_of, period)
    with db.snapshot() as tx:
        marks = watermarks(tx)
        cache = CounterCache.load(tx, j, code, as_of, period, rules)
        total = division_counters(tx, cache, j, division, as_of, period, rules)
        if division.tier is Tier.VILLAGE:
            per_org = collect_organisations(tx, j, code, as_of, period, rules)
            names = {
                r["org_id"]: r["name"]
                for r in tx.all("SELECT org_id, name FROM org WHERE village_code = %s", (code,))
            }
            children = [
                {
                    "kind": "organisation",
                    "org_id": org_id,
                    "name": names.get(org_id),
                    "figures": derive(c, organisation=True),
                    "links": {"report": f"{API}/reports/organisations/{org_id}{q}"},
                }
                for org_id, c in sorted(
                    per_org.items(), key=lambda kv: (names.get(kv[0]) or "", kv[0])
                )
            ]
        else:
            children = [
                {
                    **describe(child),
                    "figures": derive(division_counters(tx, cache, j, child, as_of, period, rules)),
                    "links": {"report": f"{API}/reports/{child.code}{q}"},
                }
                for child in children_of(j, division)
            ]
    cache.store(db)
    return {
        "division": describe(division),
        "as_of": as_of.isoformat(),
        "period": period.describe(),
        "rules": rules.describe(),
        "rule_versions": rules.versions,
        "watermarks": marks,
        "figures": derive(total),
        "children": children,
        "links": {
            "self": f"{API}/reports/{code}{q}",
            **({"parent": f"{API}/reports/{division.parent}{q}"} if division.parent else {}),
            "zombies": f"{API}/reports/{code}/zombies?as_of={as_of.isoformat()}",
            "ranking": f"{API}/reports/{code}/ranking?as_of={as_of.isoformat()}",
            "reconciliation": f"{API}/reconciliation/{code}{q}",
            **{
                f"export_{fmt}": f"{API}/reports/{code}/export.{fmt}{q}"
                for fmt in ("csv", "xlsx", "json", "html")
            },
        },
    }


def additive_totals(
    db: Database, j: Jurisdiction, code: str, as_of: date, period: Period, rules: RuleSet
) -> Counters:
    """The raw additive counters of one division (reconciliation compares these)."""
    with db.snapshot() as tx:
        counters = collect(tx, j, code, as_of, period, rules)
    return fold(counters, j.divisions[code])


def organisation_report(
    db: Database, j: Jurisdiction, org_id: str, as_of: date, period: Period, rules: RuleSet
) -> dict[str, Any]:
    """One organisation: its profile, figures, rank with explanation, and zombie reasons."""
    with db.snapshot() as tx:
        row = tx.one("SELECT * FROM org WHERE org_id = %s", (org_id,))
        if row is None:
            raise NotFound("unknown_organisation", f"no organisation {org_id}")
        marks = watermarks(tx)
        counters = collect_organisations(tx, j, row["village_code"], as_of, period, rules)
        ranked = ranking.rank(tx, j, row["village_code"], as_of, rules)
        zombie = next(
            (
                z
                for z in zombie_list(tx, row["village_code"], as_of, rules)
                if z["org_id"] == org_id
            ),
            None,
        )
        ratings = tx.all(
            "SELECT rated_on, credit, grade, grade_valid_until, stars FROM rating"
            " WHERE org_id = %s ORDER BY rated_on, position",
            (org_id,),
        )
        listings = tx.all(
            "SELECT credit_list, entered_on, left_on, reason FROM credit_listing"
            " WHERE org_id = %s ORDER BY entered_on, position",
            (org_id,),
        )
    q = _query(as_of, period)
    return {
        "organisation": row,
        "as_of": as_of.isoformat(),
        "period": period.describe(),
        "rules": rules.describe(),
        "rule_versions": rules.versions,
        "watermarks": marks,
        "figures": derive(counters.get(org_id, Counter()), organisation=True),
        "ranking": next((e for e in ranked if e["org_id"] == org_id), None),
        "zombie": zombie,
        "ratings": ratings,
        "credit_listings": listings,
        "links": {
            "self": f"{API}/reports/organisations/{org_id}{q}",
            "village": f"{API}/reports/{row['village_code']}{q}",
        },
    }
