"""Resident points seen from a township and the county (积分制, ADR 0027): a read-only page,
reached from the navigation, listing the communities that turned the pilot on with their
ranking summary and balances; a community not piloting is not listed; not a village page."""

from __future__ import annotations

from shared.kernel.domain import Actor
from shared.kernel.jurisdiction import Tier
from tests.console.browser import person
from tests.helpers import (
    COUNTY,
    RURAL_VILLAGE,
    VILLAGE,
    Api,
    county_op,
    township_op,
    village_op,
)

LEADER = Actor("county-leader", Tier.COUNTY, COUNTY, "viewer", "县领导", ("viewer",))


def _post(api: Api, village: str, path: str, body: dict[str, str]) -> None:
    r = api.village.post(path, json=body, headers=api.auth(village_op(village)))
    assert r.status_code == 201, r.text


def test_township_and_county_see_the_piloting_communities(api: Api) -> None:
    for village, number in ((VILLAGE, "V001"), (VILLAGE, "V002"), (RURAL_VILLAGE, "Q001")):
        _post(api, village, "/api/v1/volunteers", {"village_code": village, "volunteer_id": number})
    # 文昌社区 pilots; 青溪村 (another township) does not.
    _post(api, VILLAGE, f"/api/v1/points/communities/{VILLAGE}/pilot/on", {})
    for number, points in (("V001", 5), ("V002", 8)):
        body = {
            "volunteer_id": number,
            "kind": "award",
            "points": str(points),
            "reason": "调解有功",
        }
        _post(api, VILLAGE, f"/api/v1/points/communities/{VILLAGE}/adjustments", body)
    _post(
        api,
        VILLAGE,
        f"/api/v1/points/communities/{VILLAGE}/adjustments",
        {"volunteer_id": "V001", "kind": "deduction", "points": "2", "reason": "重复计分更正"},
    )
    api.settle()

    township = person(api, township_op())
    home = township.get("/")
    assert 'href="/points"' in home.text  # in the navigation
    page = township.get("/points")
    assert page.status_code == 200, page.text
    row = page.text[page.text.index("文昌社区") :].split("</tr>")[0]
    assert "已开启" in row
    # Two volunteers ranked; 13 awarded, 2 deducted, 11 in the period and as balances.
    cells = [c.split("</td>")[0] for c in row.split('<td class="num">')[1:]]
    assert cells == ["2", "13", "2", "11", "11"]
    assert "第1名 V002（8 分）；第2名 V001（3 分）" in row
    assert "青溪村" not in page.text and "南门社区" not in page.text

    county = person(api, LEADER)
    page = county.get("/points?period=not-a-period")
    assert page.status_code == 200 and "无法识别" in page.text
    assert "城关街道 · 文昌社区" in page.text and "青溪村" not in page.text
    assert 'href="/points"' in page.text
    assert "<dd>1 个</dd>" in page.text and "<dd>13 分</dd>" in page.text

    assert person(api, village_op()).get("/points").status_code == 403
    assert person(api, county_op()).get("/points?period=1999").status_code == 200
