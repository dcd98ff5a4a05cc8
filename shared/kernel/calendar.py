"""Working days of mainland China as versioned data (``shared/data/calendar.json``, ADR 0007).

A working day is Monday to Friday unless the State Council's yearly notice makes it a public
holiday, plus the weekend days the notice makes working days (调休上班). The notices are
published a year at a time, so a calendar version covers the years it lists:
``is_working_day`` refuses any other date (``CalendarNotCovered``). A deadline that runs past
the covered years (``deadline``) is counted on Monday–Friday there and marked ``provisional``
(issue 12): refusing the decision until the next notice is published stopped verified
rectifications every December. Every deadline records the version it used, and the county's
supervision timer recomputes a provisional one, as an event, once a version covering it is
loaded (ADR 0007). ``days_left`` tells /ready (and a metric) how long the data lasts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

DEFAULT_CALENDAR = Path(__file__).parents[1] / "data" / "calendar.json"
# /ready warns this many days before the calendar's last covered day (issue 12): the State
# Council publishes the next year's notice in November, so a warning from early November
# leaves the time to add a version before deadlines turn provisional.
HORIZON_WARNING_DAYS = 60


class CalendarNotCovered(LookupError):
    """A date outside the years the calendar version lists."""


@dataclass(frozen=True)
class Deadline:
    """A working-day deadline and how it was counted."""

    day: date
    calendar_version: str
    # Some day counted lies outside the version's years and was taken as a working day when
    # Monday–Friday: right unless the next notice makes it a holiday or 调休 day.
    provisional: bool


@dataclass(frozen=True)
class WorkingCalendar:
    """One version of the working-day calendar."""

    version: str
    years: frozenset[int]
    holidays: frozenset[date]
    working_weekend_days: frozenset[date]

    def check_covered(self, day: date) -> None:
        if day.year not in self.years:
            raise CalendarNotCovered(
                f"working-day calendar {self.version} does not cover {day.year}"
                f" (covers {', '.join(str(y) for y in sorted(self.years))})"
            )

    def is_working_day(self, day: date) -> bool:
        self.check_covered(day)
        if day in self.holidays:
            return False
        return day.weekday() < 5 or day in self.working_weekend_days

    @property
    def last_day(self) -> date:
        """The last day the version covers (31 December of its last year)."""
        return date(max(self.years), 12, 31)

    def covers(self, day: date) -> bool:
        return day.year in self.years

    def deadline(self, day: date, n: int) -> Deadline:
        """The ``n``-th working day after ``day``, counting Monday–Friday on days the version
        does not cover (and then ``provisional``)."""
        if n < 0:
            raise ValueError("n must not be negative")
        provisional = False
        while n > 0:
            day += timedelta(days=1)
            if self.covers(day):
                n -= self.is_working_day(day)
            else:
                provisional = True
                n -= day.weekday() < 5
        return Deadline(day, self.version, provisional)

    def add_working_days(self, day: date, n: int) -> date:
        """The ``n``-th working day after ``day`` (``day`` itself never counts)."""
        if n < 0:
            raise ValueError("n must not be negative")
        while n > 0:
            day += timedelta(days=1)
            n -= self.is_working_day(day)
        return day


def _version(raw: dict[str, Any]) -> WorkingCalendar:
    holidays: set[date] = set()
    working: set[date] = set()
    for year in raw["years"].values():
        for first, last in year["holidays"]:
            d, end = date.fromisoformat(first), date.fromisoformat(last)
            while d <= end:
                holidays.add(d)
                d += timedelta(days=1)
        working.update(date.fromisoformat(d) for d in year["working_weekend_days"])
    if bad := sorted(d for d in working if d.weekday() < 5 or d in holidays):
        raise ValueError(f"{raw['version']}: not a weekend working day: {bad[0]}")
    return WorkingCalendar(
        raw["version"],
        frozenset(int(y) for y in raw["years"]),
        frozenset(holidays),
        frozenset(working),
    )


@dataclass(frozen=True)
class Calendars:
    """Every version in the file; ``current`` (the last listed) makes new decisions."""

    versions: tuple[WorkingCalendar, ...]

    @property
    def current(self) -> WorkingCalendar:
        return self.versions[-1]

    def by_version(self, version: str) -> WorkingCalendar:
        for v in self.versions:
            if v.version == version:
                return v
        raise LookupError(f"calendar version {version!r} is not in the calendar file")


def load_calendars(path: Path = DEFAULT_CALENDAR) -> Calendars:
    raw = json.loads(path.read_text(encoding="utf-8"))
    versions = tuple(_version(v) for v in raw["versions"])
    if not versions:
        raise ValueError(f"{path}: no calendar versions")
    if len({v.version for v in versions}) != len(versions):
        raise ValueError(f"{path}: duplicate calendar versions")
    return Calendars(versions)


def days_left(today: date, calendar: WorkingCalendar | None = None) -> int:
    """Days from ``today`` to the calendar's last covered day (negative once past it): the
    calendar horizon /ready reports and a metric can export."""
    return ((calendar or load_calendar()).last_day - today).days


def horizon(today: date, calendar: WorkingCalendar) -> dict[str, Any]:
    """What /ready says about the calendar: its version and last day, the days left, and a
    warning from ``HORIZON_WARNING_DAYS`` before it runs out."""
    left = days_left(today, calendar)
    warning = None
    if left < 0:
        warning = (
            f"工作日历已于 {calendar.last_day} 用尽，期限按周一至周五临时计算"
            f" / the working-day calendar ended on {calendar.last_day}: deadlines are provisional"
        )
    elif left <= HORIZON_WARNING_DAYS:
        warning = (
            f"工作日历 {left} 天后用尽（{calendar.last_day}），请添加下一年的国务院节假日安排"
            f" / the working-day calendar ends in {left} days ({calendar.last_day}):"
            " add the next year's State Council holiday notice"
        )
    return {
        "version": calendar.version,
        "last_day": calendar.last_day.isoformat(),
        "days_left": left,
        "warning": warning,
    }


def load_calendar(path: Path = DEFAULT_CALENDAR) -> WorkingCalendar:
    """The current version of the calendar file (the one new decisions use)."""
    return load_calendars(path).current
