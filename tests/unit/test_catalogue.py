"""The metric catalogue is the single definition of every figure: reports emit exactly its
keys, and docs/metrics.md is generated from it."""

from __future__ import annotations

from pathlib import Path

from services.platform import Platform
from shared.kernel.jurisdiction import Tier
from shared.kernel.periods import resolve
from shared.reporting import catalogue
from shared.reporting.report import division_report
from tests.helpers import COUNTY, VILLAGE, seed_history, today_cst


def flat_report(platform: Platform, code: str) -> dict[str, object]:
    rt = platform.tiers[Tier.COUNTY]
    as_of, period = resolve(today_cst())
    report = division_report(
        rt.db, platform.jurisdiction, code, as_of, period, rt.rules.in_force(as_of)
    )
    return catalogue.flatten(report.figures)


def test_a_report_emits_exactly_the_catalogued_figures(platform: Platform) -> None:
    seed_history(platform)
    emitted = flat_report(platform, COUNTY)
    for key in emitted:
        catalogue.lookup(key)  # raises KeyError for an uncatalogued figure
    concrete = {m.key for m in catalogue.METRICS if "*" not in m.key}
    assert concrete <= set(emitted), f"catalogued but not served: {concrete - set(emitted)}"
    assert any(k.startswith("ratings.by_credit.") for k in emitted)  # the * family, in use


def test_every_group_of_domain_md_section_4_is_served(platform: Platform) -> None:
    seed_history(platform)
    groups = {key.split(".")[0] for key in flat_report(platform, VILLAGE)}
    assert groups == {g.key for g in catalogue.GROUPS}
    assert [g.number for g in catalogue.GROUPS] == list(range(1, 13))


def test_each_metric_is_documented_consistently() -> None:
    keys = [m.key for m in catalogue.METRICS]
    assert len(keys) == len(set(keys))
    for m in catalogue.METRICS:
        assert m.group in {g.key for g in catalogue.GROUPS}, m.key
        assert m.zh and m.en and m.definition, m.key
        if m.unit in ("ratio", "average", "per 10,000"):
            assert not m.additive and m.denominator, f"{m.key}: a rate names its denominator"
    per_10k = [m for m in catalogue.METRICS if m.unit == "per 10,000"]
    assert {m.denominator for m in per_10k} == {
        "户籍 household-registered population",
        "常住 resident population",
    }


def test_a_family_key_resolves_to_a_concrete_metric() -> None:
    m = catalogue.lookup("ratings.by_credit.AA")
    assert (m.key, m.zh, m.additive) == ("ratings.by_credit.AA", "信用评价：AA", True)


def test_docs_metrics_md_is_generated_from_the_catalogue() -> None:
    text = catalogue.render_markdown()
    assert Path(catalogue.DOC).read_text(encoding="utf-8") == text, (
        "docs/metrics.md is stale: python -m shared.reporting.catalogue --write"
    )
    for m in catalogue.METRICS:
        assert f"`{m.key}`" in text
    assert "density/2017-national/v1" in text and "weights=" in text
