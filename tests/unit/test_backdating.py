"""The backdating policy (ADR 0013) as a pure function: the window's edge, who may go beyond it,
that a reason is required and kept, the refusals' codes and messages, the setting's parsing,
and where a period an act starts runs from."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from shared.infrastructure.settings import Settings
from shared.kernel import backdating
from shared.kernel.backdating import BackdateForbidden, check, parse_window, period_start
from shared.kernel.domain import Actor, InvalidInput
from shared.kernel.jurisdiction import Tier
from tests.helpers import TOWNSHIP

TODAY = date(2026, 12, 5)
EDGE = TODAY - timedelta(days=30)  # the earliest date an ordinary operator may give
BEYOND = EDGE - timedelta(days=1)

clerk = Actor("t-clerk", Tier.TOWNSHIP, TOWNSHIP)
admin = Actor("t-admin", Tier.TOWNSHIP, TOWNSHIP, role="operator", roles=("operator", "admin"))
backdater = Actor("t-bd", Tier.TOWNSHIP, TOWNSHIP, role="operator", roles=("operator", "backdate"))
viewer_admin = Actor("t-va", Tier.TOWNSHIP, TOWNSHIP, role="viewer", roles=("viewer", "admin"))


@pytest.mark.parametrize("effective_on", [None, TODAY, TODAY - timedelta(days=1), EDGE])
def test_within_the_window_anyone_may_and_no_reason_is_needed(effective_on: date | None) -> None:
    assert check(effective_on, None, clerk, TODAY) is None
    assert check(effective_on, "  ", clerk, TODAY) is None  # blank is no reason


def test_a_reason_given_within_the_window_is_kept() -> None:
    assert check(EDGE, " 纸质档案补录 ", clerk, TODAY) == "纸质档案补录"


@pytest.mark.parametrize("effective_on", [BEYOND, TODAY - timedelta(days=61), date(2000, 1, 1)])
def test_beyond_the_window_an_account_without_the_role_is_refused(effective_on: date) -> None:
    for reason in (None, "纸质档案补录"):  # a reason does not help: the account may not
        with pytest.raises(BackdateForbidden) as e:
            check(effective_on, reason, clerk, TODAY)
        assert (e.value.status, e.value.code) == (403, "backdate_forbidden")
        assert e.value.message.startswith("生效日期早于 30 天，需要管理员或补录权限 / ")
        assert "admin or backdate" in e.value.message


@pytest.mark.parametrize("actor", [admin, backdater, viewer_admin])
def test_beyond_the_window_admin_or_backdate_role_needs_a_reason(actor: Actor) -> None:
    # (a viewer cannot change records at all: command_meta refuses it before this policy)
    for reason in (None, "", "   "):
        with pytest.raises(InvalidInput) as e:
            check(BEYOND, reason, actor, TODAY)
        assert (e.value.status, e.value.code) == (422, "backdate_reason_required")
        assert e.value.message.startswith("生效日期早于 30 天，需要填写补录原因 / ")
    assert check(BEYOND, "2026年9月纸质告知书补录", actor, TODAY) == "2026年9月纸质告知书补录"


def test_the_window_is_configurable() -> None:
    assert check(TODAY - timedelta(days=7), None, clerk, TODAY, window_days=7) is None
    with pytest.raises(BackdateForbidden):
        check(TODAY - timedelta(days=8), None, clerk, TODAY, window_days=7)
    # 0: only today needs nothing; yesterday is already backdating beyond the window
    assert check(TODAY, None, clerk, TODAY, window_days=0) is None
    with pytest.raises(BackdateForbidden) as e:
        check(TODAY - timedelta(days=1), None, clerk, TODAY, window_days=0)
    assert e.value.message.startswith("生效日期早于 0 天")


def test_the_setting() -> None:
    assert Settings().backdate_days == backdating.DEFAULT_WINDOW_DAYS == 30
    assert Settings.from_env({}).backdate_days == 30
    assert Settings.from_env({"SANJI_BACKDATE_DAYS": "90"}).backdate_days == 90
    assert parse_window("0") == 0
    for bad in ("-1", "thirty", "1.5", ""):
        with pytest.raises(ValueError, match="SANJI_BACKDATE_DAYS"):
            parse_window(bad)


def test_a_period_runs_from_the_recorded_date_when_that_is_later() -> None:
    assert period_start(date(2026, 10, 5), TODAY) == TODAY  # backdated: from the recording
    assert period_start(TODAY, TODAY) == TODAY
    # (an effective date after the recording cannot come from a command: future is refused)
    assert period_start(date(2026, 12, 6), TODAY) == date(2026, 12, 6)
