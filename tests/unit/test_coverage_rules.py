"""Coverage definitions as versioned rules (issue 14 item 3, ADR 0018).

A constructed county shaped like the one in issue 14: 359 villages and communities, of which 51
are urban communities; 45 communities have an incubator and 291 rural villages a village-sage
council. Sanji's former definitions give 45/359 ≈ 12.5% and 291/308 ≈ 94.5%; a county that
divides incubators by urban communities and councils by all villages and communities gets
45/51 ≈ 88% and 291/359 ≈ 81%. Both variants are always reported beside the headline rate,
and every numerator and denominator reconciles: county = Σ townships = Σ villages."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from shared.kernel.jurisdiction import Area, Division, Tier
from shared.kernel.rules import RuleSet, load_rules
from shared.reporting.catalogue import BY_KEY, COVERAGE_NUMERATORS
from shared.reporting.coverage import DENOMINATOR
from shared.reporting.figures import Counters, derive, fold, village_flags
from tests.helpers import rules_file

DAY = date(2026, 6, 30)
COUNTY = Division("330699000000", "县", Tier.COUNTY, None)
TOWNSHIPS = [Division(f"330699{t:03d}000", f"镇{t}", Tier.TOWNSHIP, COUNTY.code) for t in (1, 2, 3)]
COUNTY_CHOICE = {
    "version": "coverage/county/v1",
    "effective_from": "2020-01-01",
    "kind": "local",
    "label_zh": "本县统计口径",
    "denominators": {"incubator_coverage": "urban", "sage_council_coverage": "all"},
}


def villages() -> list[Division]:
    """359 villages over three townships; the first 51 are urban communities."""
    out = []
    for i in range(359):
        township = TOWNSHIPS[i % 3]
        area = Area.URBAN if i < 51 else Area.RURAL
        out.append(
            Division(f"{township.code[:9]}{i:03d}", f"村{i}", Tier.VILLAGE, township.code, area)
        )
    return out


def counters(rules: RuleSet) -> dict[str, Counters]:
    out: dict[str, Counters] = {}
    for i, v in enumerate(villages()):
        c: Counters = Counter()
        if i < 45:  # 45 of the 51 urban communities have an incubator
            c["platforms.incubators"] = 1
        if 51 <= i < 51 + 291:  # 291 of the 308 rural villages have a sage council
            c["platforms.village_sage_councils"] = 1
        village_flags(c, v, rules)
        out[v.code] = c
    return out


def platforms(rules: RuleSet, division: Division = COUNTY) -> dict[str, object]:
    return derive(fold(counters(rules), division), rules=rules)["platforms"]


def test_the_default_keeps_sanjis_former_definitions() -> None:
    rules = load_rules().in_force(DAY)
    assert rules.versions["coverage"] == "coverage/sanji-default/v1"
    p = platforms(rules)
    assert p["incubator_coverage"] == round(45 / 359, 4) == p["incubator_coverage_all"]
    assert p["sage_council_coverage"] == round(291 / 308, 4) == p["sage_council_coverage_rural"]
    # The county's definitions are there too, as explicit variants.
    assert p["incubator_coverage_urban"] == round(45 / 51, 4)
    assert p["sage_council_coverage_all"] == round(291 / 359, 4)


def test_a_county_choosing_other_denominators_gets_its_own_figures(tmp_path: Path) -> None:
    rules = load_rules(rules_file(tmp_path / "rules.json", coverage=[COUNTY_CHOICE]))
    before, after = rules.in_force(date(2019, 12, 31)), rules.in_force(DAY)
    assert after.versions["coverage"] == "coverage/county/v1"
    p = platforms(after)
    assert p["incubator_coverage"] == 0.8824  # 45 / 51
    assert p["sage_council_coverage"] == 0.8106  # 291 / 359
    assert p["incubator_coverage_all"] == round(45 / 359, 4)  # the other variant, still there
    assert p["sage_council_coverage_rural"] == round(291 / 308, 4)
    assert (
        p["urban_communities_with_incubator"],
        p["villages_and_communities_with_sage_council"],
    ) == (45, 291)
    # Before the county's version took effect, the default one was in force.
    assert platforms(before)["incubator_coverage"] == round(45 / 359, 4)
    assert after.describe()["coverage"]["label_zh"] == "本县统计口径"


def test_numerators_and_denominators_reconcile_county_townships_villages(tmp_path: Path) -> None:
    rules = load_rules(rules_file(tmp_path / "rules.json", coverage=[COUNTY_CHOICE])).in_force(DAY)
    per_village = counters(rules)
    keys = [k for bases in COVERAGE_NUMERATORS.values() for k in bases.values()]
    keys += list(DENOMINATOR.values())
    county = fold(per_village, COUNTY)
    for key in keys:
        assert BY_KEY[key].additive, key
        townships = sum(fold(per_village, t)[key] for t in TOWNSHIPS)
        assert county[key] == townships == sum(c[key] for c in per_village.values()), key
    # A township's rate is derived from its own sums, never summed or averaged.
    first = fold(per_village, TOWNSHIPS[0])
    assert platforms(rules, TOWNSHIPS[0])["incubator_coverage"] == round(
        first["platforms.urban_communities_with_incubator"] / first["density.urban_communities"], 4
    )


def test_every_coverage_variant_is_catalogued_with_its_denominator() -> None:
    for rate in COVERAGE_NUMERATORS:
        assert BY_KEY[f"platforms.{rate}"].rules == ("coverage",)
        for basis in ("all", "urban", "rural"):
            variant = BY_KEY[f"platforms.{rate}_{basis}"]
            assert variant.rules == () and DENOMINATOR[basis] in variant.definition


def test_a_report_without_a_coverage_rule_has_its_former_figures_only() -> None:
    """A report issued before the family existed reproduces with the figures it had."""
    rules = load_rules()
    old = {f: v for f, v in rules.in_force(DAY).versions.items() if f != "coverage"}
    p = platforms(rules.by_versions(old))
    assert "incubator_coverage_urban" not in p and "urban_communities_with_incubator" not in p
    assert p["incubator_coverage"] == round(45 / 359, 4)
    assert p["sage_council_coverage"] == round(291 / 308, 4)


@pytest.mark.parametrize(
    ("denominators", "match"),
    [
        ({"incubator_coverage": "towns"}, "not one of"),
        ({"incubators": "urban"}, "unknown coverage rate"),
        (None, "denominators map"),
    ],
)
def test_a_coverage_version_with_a_typo_stops_the_load(
    tmp_path: Path, denominators: object, match: str
) -> None:
    bad = {**COUNTY_CHOICE, "denominators": denominators}
    with pytest.raises(ValueError, match=match):
        load_rules(rules_file(tmp_path / "rules.json", coverage=[bad]))


def test_a_legacy_version_without_its_label_stops_the_load(tmp_path: Path) -> None:
    raw = json.loads(rules_file(tmp_path / "r.json").read_text(encoding="utf-8"))
    del raw["density"][0]["label_zh"]
    (tmp_path / "r.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ValueError, match="label_zh"):
        load_rules(tmp_path / "r.json")
    raw["density"][0]["kind"] = "ancient"
    (tmp_path / "r.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ValueError, match="kind"):
        load_rules(tmp_path / "r.json")


def test_the_demo_file_has_a_labelled_legacy_version_of_every_family_from_2016() -> None:
    rules = load_rules()
    for family, versions in rules.families.items():
        first = min(versions, key=lambda v: v.effective_from)
        assert first.effective_from == date(2016, 1, 1), family
        # Local vocabularies and rules, not rules the nation set later (ADR 0019, 0021,
        # 0024, 0025, 0027): themes, training, commendations, the assessment, resident points and purchasers.
        if family in (
            "activity_themes",
            "training",
            "commendation",
            "assessment",
            "resident_points",
            "purchasers",
            "third_party_evaluation",
        ):
            assert first.kind == "local" and first.label_zh, family
            continue
        assert family == "coverage" or (first.legacy and "国家规则施行前" in first.label_zh)
    national = [v for vs in rules.families.values() for v in vs if not v.kind]
    assert national and all(v.effective_from > date(2016, 1, 1) for v in national)


def test_two_versions_starting_on_one_day_stop_the_load(tmp_path: Path) -> None:
    same_day = {**COUNTY_CHOICE, "effective_from": "2016-01-01"}  # the default's day
    with pytest.raises(ValueError, match="start on one day"):
        load_rules(rules_file(tmp_path / "rules.json", coverage=[same_day]))
