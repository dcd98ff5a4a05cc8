"""A division's report, or one organisation's: figures, drill-down, watermarks, rules.

Everything in one report is read in one snapshot of the read model, together with the
watermarks (the upstream positions the read model reflects), so a report describes one
consistent point and says which. It also says which division tree it used (ADR 0005): the
tree in force on its as-of date, or the current one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel

from shared.capabilities.divisions.history import check_division
from shared.capabilities.divisions.history import describe as describe_tree
from shared.capabilities.funding.projection import budgets as funding_budgets
from shared.infrastructure.store import Database, Tx
from shared.kernel.domain import NotFound
from shared.kernel.jurisdiction import Jurisdiction, Tier
from shared.kernel.periods import Period
from shared.kernel.rules import RuleSet
from shared.kernel.themes import for_period, retired_of
from shared.reporting import ranking
from shared.reporting.applicability import not_applicable, withhold
from shared.reporting.counters import (
    CounterCache,
    collect,
    collect_organisations,
    division_counters,
)
from shared.reporting.figures import (
    Counters,
    add_yearly_funding,
    children_of,
    derive,
    describe,
    fold,
    theme_figures,
)
from shared.reporting.model import (
    ApprovalsSummary,
    DivisionLine,
    DivisionOut,
    DivisionReport,
    NotApplicable,
    OrganisationLine,
    OrganisationReport,
    PeriodOut,
    RankedRow,
    Row,
    RuleOut,
    ThemeRow,
    TreeOut,
    ZombieRow,
)
from shared.reporting.returns import approvals
from shared.reporting.zombies import zombie_list

M = TypeVar("M", bound=BaseModel)

API = "/api/v1"


def watermarks(tx: Tx) -> dict[str, int]:
    """Per source tier: the last position of its event store this read model has applied."""
    return {
        r["source"]: int(r["position"]) for r in tx.all("SELECT source, position FROM tracking")
    }


def _query(as_of: date, period: Period, tree: str = "as_of") -> str:
    q = f"?as_of={as_of.isoformat()}&from={period.start.isoformat()}&to={period.end.isoformat()}"
    return q + _tree_param(tree, "&")


def _tree_param(tree: str, sep: str) -> str:
    return "" if tree == "as_of" else f"{sep}tree={tree}"


def division_report(
    db: Database,
    j: Jurisdiction,
    code: str,
    as_of: date,
    period: Period,
    rules: RuleSet,
    tree: str = "as_of",
) -> DivisionReport:
    """The report for one division, with one line per child (drill-down): townships of a
    county, villages of a township, organisations of a village. ``j`` is the division tree
    used, taken on the basis ``tree`` names (``as_of`` or ``current``)."""
    check_division(j, code)
    division = j.divisions[code]
    q = _query(as_of, period, tree)
    on = f"?as_of={as_of.isoformat()}{_tree_param(tree, '&')}"
    with db.snapshot() as tx:
        marks = watermarks(tx)
        cache = CounterCache.load(tx, j, code, as_of, period, rules)
        total = division_counters(tx, cache, j, division, as_of, period, rules)
        if division.tier is Tier.VILLAGE:
            per_org = collect_organisations(tx, j, code, as_of, period, rules)
            recorded = [code, *j.aliased_into(code)]
            marks_in = ", ".join(["%s"] * len(recorded))
            names = {
                r["org_id"]: r["name"]
                for r in tx.all(
                    f"SELECT org_id, name FROM org WHERE village_code IN ({marks_in})", recorded
                )
            }
            children = [
                {
                    "kind": "organisation",
                    "org_id": org_id,
                    "name": names.get(org_id),
                    "figures": withhold(
                        add_yearly_funding(derive(c, organisation=True, rules=rules), period, None),
                        rules,
                    ),
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
                    "figures": withhold(
                        add_yearly_funding(
                            derive(
                                division_counters(tx, cache, j, child, as_of, period, rules),
                                rules=rules,
                            ),
                            period,
                            None,
                        ),
                        rules,
                    ),
                    "links": {"report": f"{API}/reports/{child.code}{q}"},
                }
                for child in children_of(j, division)
            ]
        budgets = county_budgets(tx, period) if division.tier is Tier.COUNTY else None
        lines = {str(c["code"]): c for c in children if "code" in c}
        summary, per_child = approvals(tx, j, code, period, list(lines))
        for child_code, line in lines.items():
            line["approvals"] = per_child[child_code]
    cache.store(db)
    return DivisionReport(
        division=DivisionOut.model_validate(describe(division)),
        as_of=as_of,
        period=PeriodOut.model_validate(period.describe()),
        rules=_rules(rules),
        rule_versions=rules.versions,
        watermarks=marks,
        tree=TreeOut.model_validate(describe_tree(j, tree)),
        figures=withhold(add_yearly_funding(derive(total, rules=rules), period, budgets), rules),
        approvals=ApprovalsSummary.model_validate(summary),
        children=[_line(c) for c in children],
        links={
            "self": f"{API}/reports/{code}{q}",
            **({"parent": f"{API}/reports/{division.parent}{q}"} if division.parent else {}),
            "zombies": f"{API}/reports/{code}/zombies{on}",
            "ranking": f"{API}/reports/{code}/ranking{on}",
            "reconciliation": f"{API}/reconciliation/{code}{q}",
            **{
                f"export_{fmt}": f"{API}/reports/{code}/export.{fmt}{q}"
                for fmt in ("csv", "xlsx", "json", "html")
            },
        },
        **_not_applicable(rules, as_of),
        **_by_theme(total, rules, period),
    )


def county_budgets(tx: Tx, period: Period) -> dict[str, int]:
    """Programme → Σ yearly budgets (fen) of the calendar years the period touches."""
    out: dict[str, int] = {}
    for r in funding_budgets(tx, period.start.year, period.end.year):
        out[r["programme"]] = out.get(r["programme"], 0) + int(r["amount_fen"])
    return out


def _by_theme(total: Counters, rules: RuleSet, period: Period) -> dict[str, Any]:
    """``{"by_theme": rows}`` when the rule set names a vocabulary version in force; left out
    otherwise (unset), so a report issued before themes existed keeps its content hash."""
    version = rules.activity_themes
    if version is None:
        return {}
    retired = {t.code: on for t, on in retired_of(version)}
    return {
        "by_theme": [
            ThemeRow(
                code=t.code,
                name=t.zh,
                retired_on=retired.get(t.code),
                figures=theme_figures(total, t.code),
            )
            for t in for_period(version, period.start)
        ]
    }


def _line(line: dict[str, Any]) -> DivisionLine | OrganisationLine:
    # Chosen by shape rather than left to the union: a village's lines are organisations.
    if line.get("kind") == "organisation":
        return OrganisationLine.model_validate(line)
    return DivisionLine.model_validate(line)


def _rules(rules: RuleSet) -> dict[str, RuleOut]:
    return {family: RuleOut.model_validate(v) for family, v in rules.describe().items()}


def _not_applicable(rules: RuleSet, as_of: date) -> dict[str, Any]:
    """``{"not_applicable": …}`` only when a figure is withheld, as a keyword argument: left
    out, the field stays unset, so a report with every rule in force keeps exactly its former
    content (and so its content hash, ADR 0004; ``model.canonical``)."""
    na = not_applicable(rules, as_of)
    return (
        {"not_applicable": {k: NotApplicable.model_validate(v) for k, v in na.items()}}
        if na
        else {}
    )


def additive_totals(
    db: Database, j: Jurisdiction, code: str, as_of: date, period: Period, rules: RuleSet
) -> Counters:
    """The raw additive counters of one division (reconciliation compares these)."""
    with db.snapshot() as tx:
        counters = collect(tx, j, code, as_of, period, rules)
    return fold(counters, j.divisions[code])


def organisation_report(
    db: Database,
    j: Jurisdiction,
    org_id: str,
    as_of: date,
    period: Period,
    rules: RuleSet,
    tree: str = "as_of",
) -> OrganisationReport:
    """One organisation: its profile, figures, rank with explanation, and zombie reasons; its
    village is the one of tree ``j`` its records count in."""
    with db.snapshot() as tx:
        row = tx.one("SELECT * FROM org WHERE org_id = %s", (org_id,))
        if row is None:
            raise NotFound("unknown_organisation", f"no organisation {org_id}")
        marks = watermarks(tx)
        village = j.resolve(row["village_code"])
        counters = collect_organisations(tx, j, row["village_code"], as_of, period, rules)
        ranked = ranking.rank(tx, j, village, as_of, rules)
        zombie = next(
            (z for z in zombie_list(tx, village, as_of, rules, j) if z["org_id"] == org_id),
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
    q = _query(as_of, period, tree)
    mine = next((e for e in ranked if e["org_id"] == org_id), None)
    return OrganisationReport(
        organisation=Row.model_validate(row),
        village_in_tree=village,
        tree=TreeOut.model_validate(describe_tree(j, tree)),
        as_of=as_of,
        period=PeriodOut.model_validate(period.describe()),
        rules=_rules(rules),
        rule_versions=rules.versions,
        watermarks=marks,
        figures=withhold(
            add_yearly_funding(
                derive(counters.get(org_id, Counter()), organisation=True, rules=rules),
                period,
                None,
            ),
            rules,
        ),
        # Without a ranking or zombie rule in force there is no rank and no zombie finding.
        ranking=None if "ranking" in rules.withheld else _typed(RankedRow, mine),
        zombie=None if "zombie" in rules.withheld else _typed(ZombieRow, zombie),
        ratings=[Row.model_validate(r) for r in ratings],
        credit_listings=[Row.model_validate(r) for r in listings],
        links={
            "self": f"{API}/reports/organisations/{org_id}{q}",
            "village": f"{API}/reports/{village}{q}",
        },
        **_not_applicable(rules, as_of),
    )


def _typed(model: type[M], row: Mapping[str, Any] | None) -> M | None:
    return None if row is None else model.model_validate(dict(row))
