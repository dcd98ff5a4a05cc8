"""Coverage definitions a county chooses (issue 14 item 3, ADR 0018), through the API: with a
``coverage`` version dividing incubators by urban communities and councils by all villages and
communities, the headline rates follow it, the other variants stand beside them, and the JSON,
CSV, XLSX and printable report name the rule version and the denominator used; the metric
catalogue lists every variant."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Tier
from tests.console.browser import person
from tests.helpers import COUNTY, Api, build_platform, county_op, rules_file, seed_history

CHOICE = {
    "version": "coverage/county/v1",
    "effective_from": "2020-01-01",
    "kind": "local",
    "label_zh": "本县统计口径",
    "denominators": {"incubator_coverage": "urban", "sage_council_coverage": "all"},
}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    rules = rules_file(tmp_path / "rules.json", coverage=[CHOICE])
    p = build_platform(tmp_path / "data", rules_file=rules)
    p.start()
    seed_history(p)  # an incubator in an urban community, a council in a rural village
    yield Api.of(p)
    p.stop()


def test_a_county_s_coverage_definitions_are_used_and_named_everywhere(api: Api) -> None:
    headers = api.auth(county_op())
    report = api.county.get(f"/api/v1/reports/{COUNTY}?period=2026", headers=headers).json()
    assert report["rule_versions"]["coverage"] == "coverage/county/v1"
    assert report["rules"]["coverage"]["parameters"]["denominators"] == CHOICE["denominators"]
    assert report["rules"]["coverage"]["label_zh"] == "本县统计口径"
    p = report["figures"]["platforms"]
    d = report["figures"]["density"]
    assert p["urban_communities_with_incubator"] >= 1
    assert p["incubator_coverage"] == p["incubator_coverage_urban"]
    assert p["incubator_coverage"] == round(
        p["urban_communities_with_incubator"] / d["urban_communities"], 4
    )
    assert p["sage_council_coverage"] == p["sage_council_coverage_all"]
    assert p["sage_council_coverage"] == round(
        p["villages_and_communities_with_sage_council"] / d["villages"], 4
    )
    # The former definitions are still there, as variants.
    assert p["incubator_coverage_all"] == round(p["villages_with_incubator"] / d["villages"], 4)
    assert p["sage_council_coverage_rural"] == round(
        p["villages_with_sage_council"] / d["rural_villages"], 4
    )
    named = "孵化园覆盖率：按城市社区（coverage/county/v1）"
    base = f"/api/v1/reports/{COUNTY}/export"
    csv_text = api.county.get(f"{base}.csv?period=2026", headers=headers).content
    assert named in csv_text.decode("utf-8-sig")
    assert "乡贤参事会覆盖率：按全部村（社区）（coverage/county/v1）" in csv_text.decode(
        "utf-8-sig"
    )
    book = load_workbook(
        io.BytesIO(api.county.get(f"{base}.xlsx?period=2026", headers=headers).content)
    )
    cells = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert any(named in c for c in cells)
    assert "本县统计口径" in cells  # the rules table's 规则类别 column
    html = api.county.get(f"{base}.html?period=2026", headers=headers).text
    assert named in html and "覆盖率口径" in html
    assert "孵化园覆盖率（按城市社区）" in html  # the variants, by their Chinese names
    exported = api.county.get(f"{base}.json?period=2026", headers=headers).json()
    assert (
        exported["rules"]["coverage"]["parameters"]["denominators"]["incubator_coverage"] == "urban"
    )


def test_the_dashboard_cards_name_the_denominator(api: Api) -> None:
    viewer = Actor("county-leader", Tier.COUNTY, COUNTY, "viewer", "县领导", ("viewer",))
    page = person(api, viewer).get("/county/dashboard")
    assert page.status_code == 200, page.text
    card = page.text[page.text.index('data-metric="platforms.incubator_coverage"') :]
    assert "分母：城市社区" in card[: card.index("</div>")]
    card = page.text[page.text.index('data-metric="platforms.sage_council_coverage"') :]
    assert "分母：全部村（社区）" in card[: card.index("</div>")]


def test_the_catalogue_lists_both_variants(api: Api) -> None:
    listed = api.county.get("/api/v1/metrics", headers=api.auth(county_op())).json()
    keys = {m["key"]: m for m in listed["metrics"]}
    for rate in ("incubator_coverage", "sage_council_coverage"):
        assert keys[f"platforms.{rate}"]["rules"] == ["coverage"]
        for basis in ("all", "urban", "rural"):
            assert f"platforms.{rate}_{basis}" in keys
    assert keys["platforms.incubator_coverage_urban"]["denominator"] == "urban communities"
