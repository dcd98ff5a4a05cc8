"""Backdating through the HTTP API (issue 11 item 6, ADR 0013): a zombie-exit notice dated two
months back, by an admin with a reason, still gives the organisation its full 30-day notice
period from the day it was recorded; without the role or without a reason it is refused and
nothing is stored."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from uuid import UUID

import pytest

from shared.kernel.domain import CHINA, SYSTEM_ROLE, Actor
from shared.kernel.jurisdiction import Tier
from tests.helpers import (
    COUNTY,
    VILLAGE,
    Api,
    MovableClock,
    apps,
    as_recorded,
    county_op,
    meta,
    stores_nothing,
    usci,
)

RECORDED = date(2025, 3, 10)  # the day the notice reaches the platform
DATED = date(2025, 1, 10)  # the date on the paper notice: two months back
DUE = date(2025, 4, 10)  # 10 March + 30 days of notice: the timer acts from 10 April
ADMIN = Actor("c-admin", Tier.COUNTY, COUNTY, role="operator", roles=("operator", "admin"))
REASON = "纸质告知书2025年1月10日已送达，系统补录"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(RECORDED)


def registered(api: Api) -> UUID:
    """A registered organisation that has done nothing since 2023: a zombie candidate."""
    county = apps(api.platform)[2]
    at = meta(county_op(), at=datetime.combine(date(2023, 6, 1), time(10), CHINA))
    org = county.register(usci(1, "2"), "沉睡协会", "services", VILLAGE, None, at).id
    api.settle()
    return UUID(str(org))


def notice(api: Api, org: UUID, actor: Actor, **extra: Any) -> Any:
    body = {"organisation_id": str(org), "effective_on": DATED.isoformat(), **extra}
    return api.county.post("/api/v1/zombie-exit/notices", json=body, headers=api.auth(actor))


def run_due(api: Api) -> list[dict[str, Any]]:
    response = api.county.post("/api/v1/zombie-exit/run-due", json={}, headers=api.auth(ADMIN))
    assert response.status_code == 200, response.text
    api.settle()
    recorded: list[dict[str, Any]] = response.json()["recorded"]
    return recorded


def test_refused_without_the_role_or_without_a_reason_changing_nothing(api: Api) -> None:
    org = registered(api)
    api.auth(ADMIN)  # the admin's account exists before nothing may be stored
    with stores_nothing(api.platform):
        clerk = notice(api, org, county_op(), backdate_reason=REASON)
        assert (clerk.status_code, clerk.json()["error"]["code"]) == (403, "backdate_forbidden")
        assert clerk.json()["error"]["message"].startswith("生效日期早于 30 天")
        bare = notice(api, org, ADMIN)
        assert (bare.status_code, bare.json()["error"]["code"]) == (
            422,
            "backdate_reason_required",
        )
        assert bare.json()["error"]["message"].startswith("生效日期早于 30 天，需要填写补录原因")
        # A blank reason is text that is not data (issue 12), refused before any rule runs.
        blank = notice(api, org, ADMIN, backdate_reason="  ")
        assert (blank.status_code, blank.json()["error"]["code"]) == (422, "invalid_text")
        assert blank.json()["error"]["details"][0]["field"] == "backdate_reason"
        api.settle()
    # within the window an ordinary operator needs neither
    recent = notice(api, org, county_op(), effective_on=date(2025, 2, 8).isoformat())
    assert recent.status_code == 201, recent.text


def test_a_backdated_notice_keeps_its_full_notice_period_from_the_recorded_date(
    api: Api, clock: MovableClock
) -> None:
    org = registered(api)
    made = notice(api, org, ADMIN, backdate_reason=REASON)
    assert made.status_code == 201, made.text
    assert made.json()["due_on"] == DUE.isoformat()  # not 10 February: that would be due at once
    api.settle()

    county = apps(api.platform)[2]
    pid = UUID(made.json()["id"])
    [noticed] = county.repository.event_store.get(pid)
    assert noticed.meta.effective_at == datetime.combine(DATED, time.min, CHINA)  # as dated
    assert noticed.meta.backdate_reason == REASON
    assert noticed.meta.actor == as_recorded(ADMIN) and noticed.meta.actor.has("admin")
    assert noticed.notice_ends_on == date(2025, 4, 9)  # type: ignore[attr-defined]
    [row] = county.exit_proceedings(COUNTY)
    assert (row["noticed_on"], row["due_on"]) == (DATED.isoformat(), DUE.isoformat())

    assert run_due(api) == []  # recorded today: not due, although dated two months back
    clock.set(date(2025, 4, 9))  # the 30th day of notice counted from the recording
    assert run_due(api) == []
    clock.set(DUE)
    [done] = run_due(api)
    assert (done["event"], done["effective_on"]) == ("exited", DUE.isoformat())
    exited = list(county.repository.event_store.get(pid))[-1]
    assert exited.meta.actor.role == SYSTEM_ROLE and exited.meta.triggered_by == as_recorded(ADMIN)
