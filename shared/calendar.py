"""Working days of mainland China as versioned data (``shared/data/calendar.json``, ADR 0007).

A working day is Monday to Friday unless the State Council's yearly notice makes it a public
holiday, plus the weekend days the notice makes working days (调休上班). The notices are
published a year at a time, so a calendar version covers the years it lists and refuses any
other date (``CalendarNotCovered``) instead of guessing: a deadline computed over a holiday
nobody entered yet would be a wrong decision. Every deadline records the version it used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

DEFAULT_CALENDAR = Path(__file__).parent / "data" / "calendar.json"


class CalendarNotCovered(LookupError):
    """A date outside the years the calendar version lists."""


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


def load_calendar(path: Path = DEFAULT_CALENDAR) -> WorkingCalendar:
    """The current version of the calendar file (the one new decisions use)."""
    return load_calendars(path).current
