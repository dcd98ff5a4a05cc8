"""A day's work in a real browser (issue 13): a village clerk files a group, the township
officer files it from the worklist, the clerk reports its activity, and the county dashboard
shows the changed figures and drills down to the organisation. Also: a bad form shows the error
summary, an expired session returns to the login page, another division's page is a 403 page,
and no page asks for anything outside the service."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx

from shared.kernel.jurisdiction import Tier
from tests.browser.conftest import tier_of
from tests.browser.live import Live
from tests.helpers import (
    COUNTY,
    TEST_PASSWORD,
    TOWNSHIP,
    VILLAGE,
    VILLAGE_2,
    bearer,
    county_op,
    today_cst,
    township_op,
    village_op,
)
from tests.helpers import (
    test_account as open_account,
)

GROUP = "文昌社区银龄合唱团"


def sign_in(page: Any, live: Live, tier: Tier, username: str) -> None:
    page.goto(live.url(tier, "/"))
    assert page.url.startswith(live.url(tier, "/login"))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    assert "/login" not in page.url, page.content()


def eventually(check: Callable[[], bool], what: str, seconds: float = 30) -> None:
    """Projection between tiers is asynchronous: wait for it, with a clear failure."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def card(page: Any, metric: str) -> str:
    return str(page.locator(f'[data-metric="{metric}"] .figure').first.inner_text()).strip()


def only_inside(live: Live, page: Any) -> None:
    outside = [u for u in page.requests if tier_of(live, u) is None and not u.startswith("data:")]
    assert not outside, f"the browser asked for URLs outside the service: {outside}"


def test_a_group_from_application_to_the_county_dashboard(live: Live, new_page: Any) -> None:
    clerk, officer, leader = new_page(), new_page(), new_page()

    # The county's figures before anything happens.
    sign_in(leader, live, Tier.COUNTY, county_op().id.lower())
    leader.goto(live.url(Tier.COUNTY, "/county/dashboard"))
    before = {m: card(leader, m) for m in ("organisations.filed", "activity.activities")}

    # The clerk files the group's application; a bad form first.
    sign_in(clerk, live, Tier.VILLAGE, village_op().id.lower())
    assert clerk.url.endswith("/village/groups")
    clerk.get_by_role("button", name="备案申请").click()
    clerk.get_by_role("button", name="提交备案申请").click()
    summary = clerk.locator(".error-summary")
    assert summary.is_visible() and "请填写组织名称" in summary.inner_text()
    assert clerk.evaluate("document.activeElement.classList.contains('error-summary')")
    summary.get_by_role("link", name="请填写组织名称").click()
    assert clerk.evaluate("document.activeElement.id") == "name"
    clerk.get_by_label("组织名称").fill(GROUP)
    clerk.get_by_label("服务领域").select_option(label="文体")
    clerk.get_by_label("成立日期").fill((today_cst() - timedelta(days=30)).isoformat())
    clerk.get_by_role("button", name="提交备案申请").click()
    assert GROUP in clerk.locator(".notice-success").inner_text()

    def pending() -> bool:  # the list is the read model: it shows the group once projected
        clerk.goto(live.url(Tier.VILLAGE, "/village/groups"))
        row = clerk.locator("tr", has_text=GROUP)
        return row.count() > 0 and "待备案" in row.inner_text()

    eventually(pending, "the application in the village's list")

    # The township officer files it from the worklist.
    sign_in(officer, live, Tier.TOWNSHIP, township_op().id.lower())
    assert officer.url.endswith("/township/worklist")

    def listed() -> bool:
        officer.reload()
        return officer.locator("tr", has_text=GROUP).count() > 0

    eventually(listed, "the application to reach the township's worklist")
    officer.locator("tr", has_text=GROUP).get_by_role("link", name="作出备案决定").click()
    officer.get_by_label("予以备案").check()
    officer.get_by_role("button", name="提交决定").click()
    assert GROUP in officer.locator(".notice-success").inner_text()

    # The clerk sees it filed and reports its first activity.
    def filed() -> bool:
        clerk.goto(live.url(Tier.VILLAGE, "/village/groups"))
        return "已备案" in clerk.locator("tr", has_text=GROUP).inner_text()

    eventually(filed, "the filing to reach the village")
    clerk.locator("tr", has_text=GROUP).get_by_role("link", name=re.compile("报告活动")).click()
    clerk.get_by_label("活动日期").fill(today_cst().isoformat())
    clerk.get_by_label("参与人数").fill("abc")
    clerk.get_by_role("button", name="提交活动记录").click()
    assert "参与人数须为整数" in clerk.locator(".error-summary").inner_text()
    assert clerk.get_by_label("参与人数").input_value() == "abc"  # what was typed stays
    for label, value in (
        ("参与人数", "40"),
        ("志愿者人数", "6"),
        ("志愿服务人次", "6"),
        ("志愿服务时长（小时）", "12"),
        ("受益人次", "40"),
        ("支出金额（元）", "0"),
    ):
        clerk.get_by_label(label, exact=True).fill(value)
    clerk.get_by_role("button", name="提交活动记录").click()
    assert "已记录" in clerk.locator(".notice-success").inner_text()

    # The county dashboard shows both, and drills down to the organisation.
    def counted() -> bool:
        leader.goto(live.url(Tier.COUNTY, "/county/dashboard"))
        return all(_more(card(leader, m), before[m]) for m in before)

    eventually(counted, "the county's figures to include the group and its activity")
    leader.locator("table").get_by_role("link", name="城关街道").click()
    assert f"division={TOWNSHIP}" in leader.url
    leader.locator("table").get_by_role("link", name="文昌社区").click()
    assert f"division={VILLAGE}" in leader.url
    leader.get_by_role("link", name=GROUP).first.click()
    assert "/organisations/" in leader.url
    assert GROUP in leader.locator("h1").inner_text()

    for page in (clerk, officer, leader):
        only_inside(live, page)


def _more(after: str, before: str) -> bool:
    def number(text: str) -> float:
        digits = re.sub(r"[^0-9.]", "", text)
        return float(digits) if digits else 0.0

    return number(after) > number(before)


def test_an_expired_session_returns_to_the_login_page(live: Live, new_page: Any) -> None:
    runtime = live.platform.tiers[Tier.VILLAGE]
    account = open_account(runtime.app, village_op())
    token, _ = runtime.keyring.mint(
        account_id=str(account.id),
        tier="village",
        division=VILLAGE,
        roles=tuple(account.roles),
        name=account.name,
        version=account.security_version,
        now=runtime.app.clock() - timedelta(hours=9),
    )
    page = new_page()
    base = live.url(Tier.VILLAGE)
    page.context.add_cookies([{"name": "sanji_session", "value": token, "url": base}])
    page.goto(live.url(Tier.VILLAGE, "/village/groups"))
    assert "/login" in page.url
    assert "登录已过期" in page.locator("main").inner_text()
    # Signing in again goes back where the person was.
    page.get_by_label("用户名").fill(village_op().id.lower())
    page.get_by_label("密码", exact=True).fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    assert page.url.endswith("/village/groups")
    only_inside(live, page)


def test_another_villages_organisation_is_a_403_page(live: Live, new_page: Any) -> None:
    runtime = live.platform.tiers[Tier.VILLAGE]
    neighbour = village_op(VILLAGE_2)
    answer = httpx.post(
        live.url(Tier.VILLAGE, "/api/v1/filing-applications"),
        json={
            "village_code": VILLAGE_2,
            "name": "南门社区象棋队",
            "field": "culture_sports",
            "founded_on": (today_cst() - timedelta(days=10)).isoformat(),
        },
        headers=bearer(runtime.app, runtime.keyring, neighbour),
    )
    assert answer.status_code == 201, answer.text
    other = answer.json()["id"]
    page = new_page()
    sign_in(page, live, Tier.VILLAGE, village_op().id.lower())
    response = page.goto(live.url(Tier.VILLAGE, f"/organisations/{other}"))
    assert response is not None and response.status == 403
    assert "无权访问" in page.locator("h1").inner_text()
    assert "南门社区象棋队" not in page.content()
    response = page.goto(live.url(Tier.VILLAGE, f"/village/groups/{other}/activities/new"))
    assert response is not None and response.status == 403
    # A county page on the village service is refused too.
    response = page.goto(live.url(Tier.VILLAGE, "/county/dashboard"))
    assert response is not None and response.status == 403
    assert COUNTY not in page.locator("main").inner_text()
    only_inside(live, page)
