"""The report counter cache is exact: a report served partly from cached division counters
equals one computed from the rows, after any later events, and only what changed is
recomputed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shared.infrastructure.store import Database
from shared.kernel.jurisdiction import load
from shared.kernel.periods import resolve
from shared.kernel.rules import load_rules
from shared.reporting import counters
from shared.reporting.counters import CounterCache, collect, division_counters
from shared.reporting.figures import add_yearly_funding, derive, fold
from shared.reporting.model import DivisionLine
from shared.reporting.report import county_budgets, division_report
from shared.tier.projector import Projector
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
    source_reader,
    today_cst,
    township_op,
    village_op,
)
from tests.integration.conftest import NewStore

J = load()
AS_OF, PERIOD = resolve(today_cst())
RULES = load_rules().in_force(AS_OF)


def exact(db: Database, code: str) -> dict[str, Any]:
    """Figures for a division and its children straight from the rows (no cache)."""
    with db.snapshot() as tx:
        counters = collect(tx, J, code, AS_OF, PERIOD, RULES)
        # Budgets are no counters: the county's own, read beside them (ADR 0021).
        budgets = county_budgets(tx, PERIOD) if code == COUNTY else None
    children = [J.divisions[c] for c in J.children[code]]

    def figures(c: Any, own: dict[str, int] | None = None) -> dict[str, Any]:
        return add_yearly_funding(derive(c, rules=RULES), PERIOD, own)

    return {
        "figures": figures(fold(counters, J.divisions[code]), budgets),
        "children": {c.code: figures(fold(counters, c)) for c in children},
    }


def served(db: Database, code: str) -> dict[str, Any]:
    report = division_report(db, J, code, AS_OF, PERIOD, RULES)
    return {
        "figures": report.figures,
        "children": {c.code: c.figures for c in report.children if isinstance(c, DivisionLine)},
    }


def recomputed(db: Database) -> set[str]:
    """Which divisions a county report would recompute now."""
    with db.snapshot() as tx:
        cache = CounterCache.load(tx, J, COUNTY, AS_OF, PERIOD, RULES)
        division_counters(tx, cache, J, J.divisions[COUNTY], AS_OF, PERIOD, RULES)
    return set(cache.computed)


@pytest.mark.parametrize("whole_tables", [False, True], ids=["code lists", "whole tables"])
def test_cached_reports_equal_reports_from_the_rows(
    tmp_path: Path, new_store: NewStore, monkeypatch: pytest.MonkeyPatch, whole_tables: bool
) -> None:
    if whole_tables:  # as for a county of thousands of villages: no code list in the lookup
        monkeypatch.setattr(counters, "LIST_UP_TO", 0)
    p = build_platform(tmp_path)
    seed_history(p)
    db = new_store()
    projector = Projector(db, COUNTY, source_reader(p), name="cache-test")

    def project() -> None:
        for rt in p.tiers.values():
            projector.catch_up(rt.app.name)

    project()
    assert recomputed(db) == set(J.divisions)  # cold: everything
    for code in (COUNTY, TOWNSHIP):
        assert served(db, code) == exact(db, code)
    assert recomputed(db) == set()  # warm: nothing
    assert served(db, COUNTY) == exact(db, COUNTY)

    # One village changes: only it and its ancestors are recomputed, and the result is exact.
    v, t, c = apps(p)
    with db.snapshot() as tx:
        row = tx.one("SELECT org_id FROM org WHERE name = %s", ("文昌舞蹈队",))
    assert row is not None
    org = row["org_id"]
    v.report_activity(
        org, AS_OF, "culture_sports", 7, 1, 2, Decimal("3.5"), 9, Decimal(0), meta(village_op())
    )
    project()
    assert recomputed(db) == {VILLAGE, TOWNSHIP, COUNTY}
    assert served(db, COUNTY) == exact(db, COUNTY)

    # A platform at township level and a county-level act elsewhere.
    t_op = township_op(RURAL_TOWNSHIP)
    t.open_platform("township_platform", RURAL_TOWNSHIP, "青溪镇平台", meta(t_op))
    c.open_platform("county_centre", COUNTY, "第二中心", meta(county_op()))
    project()
    assert recomputed(db) == {RURAL_TOWNSHIP, COUNTY}
    assert served(db, COUNTY) == exact(db, COUNTY)
    assert served(db, RURAL_TOWNSHIP) == exact(db, RURAL_TOWNSHIP)
    assert (
        served(db, RURAL_TOWNSHIP)["children"][RURAL_VILLAGE]
        == exact(db, RURAL_TOWNSHIP)["children"][RURAL_VILLAGE]
    )


def test_an_entry_computed_before_a_change_is_never_used(
    tmp_path: Path, new_store: NewStore
) -> None:
    p = build_platform(tmp_path)
    seed_history(p)
    db = new_store()
    projector = Projector(db, COUNTY, source_reader(p), name="cache-race")
    for rt in p.tiers.values():
        projector.catch_up(rt.app.name)
    # A report reads its snapshot and computes counters …
    with db.snapshot() as tx:
        cache = CounterCache.load(tx, J, COUNTY, AS_OF, PERIOD, RULES)
        division_counters(tx, cache, J, J.divisions[COUNTY], AS_OF, PERIOD, RULES)
    # … the projector applies an event meanwhile …
    v = apps(p)[0]
    v.apply_for_filing(VILLAGE, "新读书会", "culture_sports", date(2025, 1, 1), meta(village_op()))
    for rt in p.tiers.values():
        projector.catch_up(rt.app.name)
    # … and only then the report stores its (now stale) entries: they must not be used.
    cache.store(db)
    assert {VILLAGE, TOWNSHIP, COUNTY} <= recomputed(db)
    assert served(db, COUNTY) == exact(db, COUNTY)


def test_the_projector_keeps_todays_county_report_warm(tmp_path: Path) -> None:
    import time

    from services.platform import Platform
    from shared.infrastructure.settings import Settings
    from shared.kernel.jurisdiction import Tier

    p = Platform.build(Settings(persistence="memory", data_dir=tmp_path, report_warm_seconds=0.1))
    p.start()
    try:
        v = apps(p)[0]
        v.apply_for_filing(
            VILLAGE, "读书会", "culture_sports", date(2025, 1, 1), meta(village_op())
        )
        db = p.tiers[Tier.COUNTY].db
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            p.wait_until_projected()
            if recomputed(db) == set():  # the warm loop computed the current version
                break
            time.sleep(0.1)
        assert recomputed(db) == set(), "today's county report was not kept warm"
    finally:
        p.stop()
