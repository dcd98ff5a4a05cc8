"""The working-day calendar running out (issue 12 item 4), over HTTP, on 2026-12-05: /ready
warns, and a rectification verified near the end of the year gets a provisional deadline
instead of the former 409 ``calendar_not_covered``."""

from __future__ import annotations

from datetime import date

import pytest

from tests.helpers import VILLAGE, Api, MovableClock, county_op, usci


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(date(2026, 12, 5))


def test_ready_warns_sixty_days_before_the_calendar_ends(api: Api, clock: MovableClock) -> None:
    for client in (api.county, api.township, api.village):
        body = client.get("/ready").json()
        assert body["status"] == "ready"
        h = body["calendar_horizon"]
        assert (h["last_day"], h["days_left"]) == ("2026-12-31", 26)
        assert "26 天后用尽" in h["warning"] and h["version"] == "calendar/cn/2024-2026/v1"
    clock.set(date(2026, 10, 1))
    assert api.county.get("/ready").json()["calendar_horizon"]["warning"] is None


def test_a_verification_near_the_year_end_gets_a_provisional_deadline(
    api: Api, clock: MovableClock
) -> None:
    headers = api.auth(county_op())
    body = {"usci": usci(31), "name": "文昌志愿队", "field": "services", "village_code": VILLAGE}
    org = api.county.post("/api/v1/registrations", json=body, headers=headers).json()["id"]
    api.settle()
    base = f"/api/v1/organisations/{org}"
    trigger = {"trigger": "missed_annual_report", "reason": "年报未报送"}
    assert api.county.post(f"{base}/credit-triggers", json=trigger, headers=headers).is_success
    api.settle()
    clock.set(date(2026, 12, 24))
    verify = f"{base}/credit-lists/abnormal/rectification-verified"
    # Fri 25, Mon 28, Tue 29, Wed 30, Thu 31: inside the data, so final.
    last = api.county.post(verify, json={}, headers=headers)
    assert last.status_code == 200, last.text
    assert (last.json()["removal_due"], last.json()["provisional"]) == ("2026-12-31", False)
    api.settle()
    assert api.county.post(f"{base}/credit-triggers", json=trigger, headers=headers).is_success
    api.settle()
    # From Friday 25 December the 5th working day lies in 2027 (formerly 409
    # calendar_not_covered): counted Monday–Friday, provisional, with the calendar version.
    clock.set(date(2026, 12, 28))
    verified = api.county.post(verify, json={}, headers=headers)
    assert verified.status_code == 200, verified.text
    out = verified.json()
    assert (out["removal_due"], out["provisional"]) == ("2027-01-04", True)
    assert out["calendar_version"] == "calendar/cn/2024-2026/v1"
