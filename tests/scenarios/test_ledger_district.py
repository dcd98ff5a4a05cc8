"""A district's ledger in, its reports out (issue 14 item 8).

A generated district ledger (``ledger_district.py``: ~3,600 organisations over 2016–2021 in seed
001's 124 villages, activities with themes and mediation cases, five micro-venture rounds) is
written as an XLSX through the import template and imported through the import path
(``services/ledger_import``) into a SQLite platform. The district's reports — the function the
reports API calls, on the county's and each township's read model — must then equal figures
computed here independently, in plain Python over the generated rows: organisations
filed/registered at the report date; activities, participants and mediation cases in the period,
in total and by theme; funding projects, amounts awarded and disbursed.

Scale: ``SANJI_LEDGER_SCENARIO_ORGS`` (default 3,600). Measured on the 2-core machine: the
ledger generated and written in ~1.5 s, imported in ~20 s (~11,000 rows on SQLite), the 42
reports in a few seconds.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from services.ledger_import.run import ERROR, Import, Result
from services.platform import Platform
from shared.capabilities.divisions.history import tree_from
from shared.infrastructure.settings import Settings
from shared.kernel.jurisdiction import Tier
from shared.kernel.periods import Period
from shared.reporting.report import division_report
from tests.scenarios.ledger_district import Act, Award, District, Org, generate, write_ledger
from tests.scenarios.seed001 import COUNTY, JURISDICTION_FILE

ORGS = int(os.environ.get("SANJI_LEDGER_SCENARIO_ORGS", "3600"))
# (as of, period): legacy rules and the first vocabulary; a year with 疫情防控; the whole history,
# with 脱贫攻坚 retired inside it.
MOMENTS = (
    (date(2017, 12, 31), Period(date(2016, 1, 1), date(2017, 12, 31))),
    (date(2020, 12, 31), Period(date(2020, 1, 1), date(2020, 12, 31))),
    (date(2021, 6, 30), Period(date(2016, 1, 1), date(2021, 6, 30))),
)


@dataclass
class Imported:
    platform: Platform
    district: District
    result: Result
    seconds: float


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Imported]:
    work = tmp_path_factory.mktemp("ledger-district")
    platform = Platform.build(
        Settings(
            persistence="sqlite",
            data_dir=work / "data",
            jurisdiction_file=JURISDICTION_FILE,
            demo=False,
            daily_checkpoint=False,
            supervision_seconds=0,
            rate_limit_per_second=0,
        )
    )
    try:
        district = generate(platform.jurisdiction, ORGS)
        path = write_ledger(district, work / "台账.xlsx")
        start = time.perf_counter()
        result = Import(platform, path).run()
        seconds = time.perf_counter() - start
        rows = sum(t.read for t in result.tallies.values())
        print(f"\nledger district: {rows} rows imported in {seconds:.1f} s")
        yield Imported(platform, district, result, seconds)
    finally:
        platform.stop()


def in_division(code: str) -> Callable[[Org], bool]:
    """The organisations of a county (all) or a township (its villages' codes share its
    first nine digits)."""
    if code == COUNTY:
        return lambda o: True
    return lambda o: o.village[:9] == code[:9]


def expected(d: District, code: str, as_of: date, period: Period) -> dict[str, Any]:
    """The report's figures for a division, from the ledger's rows alone."""
    inside = in_division(code)
    orgs = [o for o in d.orgs if inside(o) and o.entered <= as_of]
    registered = sum(1 for o in orgs if o.registered is not None and o.registered <= as_of)

    def during(day: date) -> bool:
        return period.start <= day <= period.end

    acts: list[Act] = [a for a in d.acts if inside(a.org) and during(a.day)]
    awards: list[Award] = [
        w for w in d.awards if inside(w.org) and w.amount is not None and during(w.reviewed)
    ]
    by_theme: dict[str, tuple[int, int]] = {}
    for a in acts:
        for theme in a.themes:
            n, people = by_theme.get(theme, (0, 0))
            by_theme[theme] = (n + 1, people + a.participants)
    return {
        "organisations.active": len(orgs),
        "organisations.registered": registered,
        "organisations.filed": len(orgs) - registered,
        "activity.activities": len(acts),
        "activity.participants": sum(a.participants for a in acts),
        "activity.cases_taken": sum(a.cases_taken or 0 for a in acts),
        "activity.cases_resolved": sum(a.cases_resolved or 0 for a in acts),
        "funding.projects": len(awards),
        "funding.awarded_yuan": sum(w.amount or 0 for w in awards),
        "funding.disbursed_yuan": sum(w.disbursed for w in awards if during(date(w.round, 6, 20))),
        "by_theme": by_theme,
    }


def actual(figures: dict[str, Any], by_theme: list[Any] | None) -> dict[str, Any]:
    got: dict[str, Any] = {}
    for key in (
        "organisations.active",
        "organisations.registered",
        "organisations.filed",
        "activity.activities",
        "activity.participants",
        "activity.cases_taken",
        "activity.cases_resolved",
        "funding.projects",
        "funding.awarded_yuan",
        "funding.disbursed_yuan",
    ):
        group, name = key.split(".")
        got[key] = figures[group][name]
    got["by_theme"] = {
        r.code: (r.figures["activities"], r.figures["participants"])
        for r in by_theme or []
        if r.figures["activities"]
    }
    return got


def report(p: Platform, tier: Tier, code: str, as_of: date, period: Period) -> Any:
    """The division's report as the reports API makes it on ``tier``'s read model."""
    runtime = p.tiers[tier]
    j = tree_from(runtime.db, runtime.jurisdiction, as_of)
    return division_report(runtime.db, j, code, as_of, period, runtime.rules.for_report(as_of))


def test_the_ledger_imports_without_refusals(imported: Imported) -> None:
    result, d = imported.result, imported.district
    assert [e for e in result.errors if e.severity == ERROR] == []
    assert result.tallies["组织"].recorded == len(d.orgs)
    assert result.tallies["活动"].recorded == len(d.acts)
    assert result.tallies["资助项目"].recorded == len(d.awards)
    # The history spans the legacy rules, three theme vocabularies and some mediation.
    assert min(o.entered for o in d.orgs) < date(2017, 1, 1)
    assert {t for a in d.acts for t in a.themes} >= {"poverty_alleviation", "epidemic_prevention"}
    assert sum(a.cases_taken or 0 for a in d.acts) > 0
    assert any(o.registered and o.filed for o in d.orgs)


@pytest.mark.parametrize(("as_of", "period"), MOMENTS, ids=lambda m: str(m))
def test_county_and_township_reports_equal_the_ledger(
    imported: Imported, as_of: date, period: Period
) -> None:
    p, d = imported.platform, imported.district
    county = report(p, Tier.COUNTY, COUNTY, as_of, period)
    want = expected(d, COUNTY, as_of, period)
    assert actual(county.figures, county.by_theme) == want
    assert want["organisations.active"] > 0 and want["activity.activities"] > 0
    townships = [t.code for t in p.jurisdiction.townships()]
    assert len(townships) == 12
    # The county's drill-down lines (county read model) and each township's own report
    # (township read model) both equal the township's rows.
    lines = {line.code: line for line in county.children}
    for code in townships:
        want = expected(d, code, as_of, period)
        line = lines[code].figures
        assert actual(line, None) | {"by_theme": want["by_theme"]} == want, code
        own = report(p, Tier.TOWNSHIP, code, as_of, period)
        assert actual(own.figures, own.by_theme) == want, code


def test_every_theme_row_is_in_the_vocabulary_of_the_period(imported: Imported) -> None:
    """The whole history's report has a row for 脱贫攻坚 (retired inside it) and 疫情防控."""
    as_of, period = MOMENTS[2]
    county = report(imported.platform, Tier.COUNTY, COUNTY, as_of, period)
    rows = {r.code: r for r in county.by_theme or []}
    assert rows["poverty_alleviation"].retired_on == date(2021, 2, 25)
    assert rows["epidemic_prevention"].figures["activities"] > 0
