"""Coverage rates and the denominator a county chose for each (issue 14 item 3, ADR 0018).

A coverage rate is "villages and communities with X ÷ villages and communities", and counties
differ in which ones they divide by: incubators over urban communities or over all, village-sage
councils over all villages and communities or over rural villages only. The choice is rule data
(family ``coverage``, ``shared/data/rules.json``); the report's headline rate
(``platforms.incubator_coverage``) follows the version in force, and the three explicit variants
(``…_all``, ``…_urban``, ``…_rural``) stand beside it so a reader sees every definition and
which one the headline used (the report's ``rules.coverage``).

Each variant divides an additive counter by an additive counter of the same set of villages, so
numerator and denominator both reconcile (county = Σ townships = Σ villages) and the rate is
derived after summing, like every rate.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from shared.kernel.jurisdiction import Area
from shared.kernel.rules import COVERAGE_BASES, COVERAGE_DEFAULTS, RuleSet
from shared.reporting.catalogue import COVERAGE_NUMERATORS as NUMERATOR

# The villages and communities a basis divides by (density counters, one per village).
DENOMINATOR = {
    "all": "density.villages",
    "urban": "density.urban_communities",
    "rural": "density.rural_villages",
}
DENOMINATOR_ZH = {"all": "全部村（社区）", "urban": "城市社区", "rural": "农村行政村"}
DENOMINATOR_EN = {
    "all": "villages and communities",
    "urban": "urban communities",
    "rural": "rural villages",
}

# Per coverage rate: the platform counter that marks a village as covered. The numerator
# counter per basis is the catalogue's; two predate the family and keep their names and meaning
# (``villages_with_incubator`` counts all, ``villages_with_sage_council`` rural villages only).
MARK = {
    "incubator_coverage": "platforms.incubators",
    "sage_council_coverage": "platforms.village_sage_councils",
}
assert set(MARK) == set(NUMERATOR) == set(COVERAGE_DEFAULTS)


def village_coverage(c: Counter[str], area: Area | None) -> None:
    """The coverage numerators one village contributes (called once per village)."""
    for rate, mark in MARK.items():
        if not c[mark]:
            continue
        for basis, key in NUMERATOR[rate].items():
            if basis == "all" or (basis == "urban") == (area is Area.URBAN):
                c[key] += 1


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def coverage_figures(c: Counter[str], rules: RuleSet | None) -> dict[str, Any]:
    """The numerators and rates of the ``platforms`` group. Without a ``coverage`` family in
    the report (one issued before it existed, reproduced with its own rule versions) only the
    figures it had are given, with Sanji's former definitions, so it reproduces exactly."""
    named = rules is not None and "coverage" in rules.versions
    out: dict[str, Any] = {}
    for rate in MARK:
        basis = rules.coverage_basis(rate) if rules is not None else COVERAGE_DEFAULTS[rate]
        out[rate] = _ratio(c[NUMERATOR[rate][basis]], c[DENOMINATOR[basis]])
        if named:
            for b in COVERAGE_BASES:
                out[f"{rate}_{b}"] = _ratio(c[NUMERATOR[rate][b]], c[DENOMINATOR[b]])
    if named:
        for rate in MARK:
            for b in ("urban", "rural") if rate == "incubator_coverage" else ("all", "urban"):
                key = NUMERATOR[rate][b]
                out[key.removeprefix("platforms.")] = c[key]
    return out


def basis_text_zh(rules: RuleSet, rate: str) -> str:
    """``孵化园覆盖率按城市社区计`` style: what a report says its headline rate divided by."""
    return DENOMINATOR_ZH[rules.coverage_basis(rate)]
