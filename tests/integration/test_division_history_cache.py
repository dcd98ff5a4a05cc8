"""The counter cache stays exact on trees with retired codes (ADR 0004, ADR 0005): a report
served from the cache equals one counted from the rows, on the tree as it was and on the
current tree, also after new events recorded under a retired code."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from shared.capabilities.divisions.history import Change, tree_from
from shared.infrastructure.store import Database
from shared.kernel.domain import CHINA
from shared.kernel.integration.events import DivisionChangeKind
from shared.kernel.jurisdiction import Jurisdiction, Tier
from shared.kernel.periods import resolve
from shared.kernel.rules import load_rules
from shared.reporting.counters import CounterCache, collect, division_counters, volatile
from shared.reporting.figures import add_yearly_funding, derive, fold
from shared.reporting.model import DivisionLine
from shared.reporting.report import county_budgets, division_report
from tests.helpers import (
    COUNTY,
    RURAL_TOWNSHIP,
    RURAL_VILLAGE,
    TOWNSHIP,
    VILLAGE,
    apps,
    build_platform,
    county_op,
    meta,
    seed_history,
    today_cst,
    village_op,
)

TODAY = today_cst()
AS_OF, PERIOD = resolve(TODAY)
RULES = load_rules().in_force(AS_OF)
MERGED_ON = TODAY  # seed_history records a rename today; changes are appended


def exact(db: Database, j: Jurisdiction, code: str, as_of: date) -> dict[str, Any]:
    with db.snapshot() as tx:
        counters = collect(tx, j, code, as_of, PERIOD, RULES)
        # Budgets are no counters: the county's own, read beside them (ADR 0021).
        budgets = county_budgets(tx, PERIOD) if j.divisions[code].tier is Tier.COUNTY else None

    def figures(c: Any, own: dict[str, int] | None = None) -> dict[str, Any]:
        return add_yearly_funding(derive(c, rules=RULES), PERIOD, own)

    return {
        "figures": figures(fold(counters, j.divisions[code]), budgets),
        "children": {c: figures(fold(counters, j.divisions[c])) for c in j.children[code]},
    }


def served(db: Database, j: Jurisdiction, code: str, as_of: date) -> dict[str, Any]:
    body = division_report(db, j, code, as_of, PERIOD, RULES)
    return {
        "figures": body.figures,
        "children": {c.code: c.figures for c in body.children if isinstance(c, DivisionLine)},
    }


def test_cached_and_uncached_reports_agree_on_both_trees_after_a_merge(tmp_path: Path) -> None:
    p = build_platform(tmp_path)
    try:
        seed_history(p)
        v, _, c = apps(p)
        db = p.tiers[Tier.COUNTY].db
        base = p.tiers[Tier.COUNTY].jurisdiction
        as_was_day = MERGED_ON - timedelta(days=1)
        # Warm the cache on the tree before any change.
        for code in (COUNTY, TOWNSHIP, RURAL_TOWNSHIP):
            served(db, base, code, AS_OF)
        merge = Change(DivisionChangeKind.MERGE, RURAL_VILLAGE, AS_OF, merged=(VILLAGE,))
        c.change_division(merge, meta(county_op()))
        p.drain()
        current = tree_from(db, base, TODAY)
        as_was = tree_from(db, base, as_was_day)
        assert current.aliases == {VILLAGE: RURAL_VILLAGE} and as_was.aliases == {}
        assert volatile(current) == {RURAL_VILLAGE, RURAL_TOWNSHIP}

        def agree() -> None:
            for j, day in ((current, AS_OF), (as_was, as_was_day), (current, as_was_day)):
                for code in (COUNTY, TOWNSHIP, RURAL_TOWNSHIP):
                    for _ in range(2):  # computed, then served from the cache
                        assert served(db, j, code, day) == exact(db, j, code, day), (code, day)

        agree()
        # New facts recorded under the retired code (its version moves, not the successor's)
        # and in the successor: no stale entry may be served.
        # (a backdated application: from the merge on, the retired code takes no new records)
        late = meta(village_op(), at=datetime.combine(as_was_day, time(0), CHINA))
        org = v.apply_for_filing(VILLAGE, "迟到的合唱团", "services", as_was_day, late)
        v.report_activity(
            _active(p, db),
            meta=meta(village_op(VILLAGE)),
            occurred_on=TODAY,
            field="services",
            participants=7,
            volunteers=1,
            volunteer_services=1,
            volunteer_hours=Decimal("1"),
            beneficiaries=9,
            money_spent=Decimal("0"),
        )
        p.drain()
        assert org.id
        agree()
        # The successor and its township are recomputed every time, never stored; the county
        # (whose version the retired code's events move) and 城关街道 are served from the cache.
        with db.snapshot() as tx:
            cache = CounterCache.load(tx, current, RURAL_TOWNSHIP, AS_OF, PERIOD, RULES)
            township = current.divisions[RURAL_TOWNSHIP]
            division_counters(tx, cache, current, township, AS_OF, PERIOD, RULES)
            assert set(cache.computed) == set() and RURAL_VILLAGE in cache.entries
            division_counters(tx, cache, current, current.divisions[TOWNSHIP], AS_OF, PERIOD, RULES)
            assert cache.computed == {} and TOWNSHIP in cache.entries
    finally:
        p.stop()


def _active(p: Any, db: Database) -> Any:
    """An organisation of the retired village that can report an activity."""
    from uuid import UUID

    with db.snapshot() as tx:
        row = tx.one(
            "SELECT org_id FROM org WHERE village_code = %s AND filed_on IS NOT NULL"
            " AND filing_ended_on IS NULL AND registration_ended_on IS NULL",
            (VILLAGE,),
        )
    assert row is not None
    return UUID(row["org_id"])
