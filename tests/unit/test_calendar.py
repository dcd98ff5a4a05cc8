"""The working-day calendar past its data (issue 12): deadlines counted on weekdays and marked
provisional, and the horizon /ready warns about."""

from __future__ import annotations

from datetime import date

import pytest

from shared.kernel.calendar import (
    HORIZON_WARNING_DAYS,
    CalendarNotCovered,
    days_left,
    horizon,
    load_calendar,
)

CAL = load_calendar()


def test_a_deadline_inside_the_data_is_final_and_uses_the_holidays() -> None:
    due = CAL.deadline(date(2026, 2, 11), 5)  # over the Spring Festival holiday
    assert (due.day, due.provisional, due.calendar_version) == (
        date(2026, 2, 25),
        False,
        CAL.version,
    )
    assert due.day == CAL.add_working_days(date(2026, 2, 11), 5)


def test_a_deadline_past_the_data_counts_weekdays_and_is_provisional() -> None:
    due = CAL.deadline(date(2026, 12, 28), 5)  # Tue 29, Wed 30, Thu 31, Fri 1, Mon 4
    assert (due.day, due.provisional) == (date(2027, 1, 4), True)
    assert CAL.deadline(date(2026, 12, 31), 1) == CAL.deadline(date(2026, 12, 31), 1)
    assert CAL.deadline(date(2027, 1, 8), 1).day == date(2027, 1, 11)  # Fri → Mon
    # The strict lookup still refuses a day it has no data for.
    with pytest.raises(CalendarNotCovered):
        CAL.is_working_day(date(2027, 1, 4))


def test_days_left_and_the_readiness_warning() -> None:
    assert CAL.last_day == date(2026, 12, 31)
    assert days_left(date(2026, 12, 5)) == 26
    assert days_left(date(2027, 1, 2), CAL) == -2
    early = horizon(date(2026, 10, 1), CAL)
    assert early["days_left"] == 91 and early["warning"] is None
    edge = date(2026, 12, 31).toordinal() - HORIZON_WARNING_DAYS
    assert horizon(date.fromordinal(edge - 1), CAL)["warning"] is None
    warned = horizon(date.fromordinal(edge), CAL)
    assert warned["days_left"] == 60 and "60 天后用尽" in warned["warning"]
    assert "provisional" in horizon(date(2027, 1, 2), CAL)["warning"]
