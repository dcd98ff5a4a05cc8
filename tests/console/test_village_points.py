"""The village clerk's resident points page (积分制, ADR 0027): turning the pilot on, a refused
adjustment shown on the form with the person's input kept and nothing recorded, an adjustment
recorded and shown in the ranking; not a page of the township's service."""

from __future__ import annotations

from tests.console.browser import person
from tests.helpers import VILLAGE, Api, township_op, village_op


def test_the_clerk_turns_points_on_adjusts_and_sees_the_ranking(api: Api) -> None:
    r = api.village.post(
        "/api/v1/volunteers",
        json={"village_code": VILLAGE, "volunteer_id": "V001"},
        headers=api.auth(village_op()),
    )
    assert r.status_code == 201, r.text
    clerk = person(api, village_op())
    page = clerk.get("/village/points")
    assert page.status_code == 200 and "未开启" in page.text and "开启积分制试点" in page.text
    assert "每次活动 2 分" in page.text and "矛盾调解另加" in page.text  # the rule in force

    # Off: the API refuses the adjustment; the form shows why and keeps what was typed.
    heads = api.heads()
    adjustment = {"volunteer_id": "V001", "kind": "award", "points": "5", "reason": "调解有功"}
    off = clerk.submit("/village/points/adjustments", adjustment)
    assert off.status_code == 400 and 'class="error-summary"' in off.text
    assert "未开启积分制试点" in off.text and 'value="V001"' in off.text
    bad = clerk.submit("/village/points/adjustments", {**adjustment, "points": "abc", "reason": ""})
    assert bad.status_code == 400
    assert "积分须为整数" in bad.text and "请填写调整理由" in bad.text
    assert api.heads() == heads

    on = clerk.submit("/village/points/pilot", {"state": "on"})
    assert on.status_code == 303, on.text
    assert "已开启" in clerk.get(on.headers["location"]).text
    sent = clerk.submit("/village/points/adjustments", adjustment)
    assert sent.status_code == 303, sent.text
    api.settle()
    page = clerk.get("/village/points")
    assert "已为志愿者 V001 奖励 5 分" in clerk.get(sent.headers["location"]).text
    row = page.text[page.text.index("<td>V001</td>") :].split("</tr>")[0]
    assert row.count(">5</td>") == 3  # awarded, points in the period, balance
    assert "关闭积分制试点" in page.text

    township = person(api, township_op())
    assert township.get("/village/points").status_code == 403
