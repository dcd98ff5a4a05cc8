"""Reporting periods: a year, a quarter, a month, a half-year or a custom range of days."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from shared.kernel.domain import InvalidInput

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
_HALF = re.compile(r"^(\d{4})-H([12])$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    label: str = ""

    def describe(self) -> dict[str, str]:
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "label": self.label or f"{self.start.isoformat()}..{self.end.isoformat()}",
        }


def _month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def parse_period(text: str) -> Period:
    """``2025``, ``2025-Q2``, ``2025-H1``, ``2025-03``; 422 ``invalid_period`` otherwise."""
    text = text.strip().upper()
    if m := _YEAR.match(text):
        y = int(m[1])
        return Period(date(y, 1, 1), date(y, 12, 31), text)
    if m := _QUARTER.match(text):
        y, q = int(m[1]), int(m[2])
        return Period(date(y, 3 * q - 2, 1), _month_end(y, 3 * q), text)
    if m := _HALF.match(text):
        y, h = int(m[1]), int(m[2])
        return Period(date(y, 6 * h - 5, 1), _month_end(y, 6 * h), text)
    if (m := _MONTH.match(text)) and 1 <= int(m[2]) <= 12:
        y, mo = int(m[1]), int(m[2])
        return Period(date(y, mo, 1), _month_end(y, mo), text)
    raise InvalidInput(
        "invalid_period", f"period {text!r}: use YYYY, YYYY-Qn, YYYY-Hn or YYYY-MM, or from/to"
    )


def resolve(
    today: date,
    as_of: date | None = None,
    period: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> tuple[date, Period]:
    """The as-of date and period a report request means.

    A named period ends on its last day, or today if it is still running; state figures are
    then taken on that end unless ``as_of`` says otherwise. Without a period: the year to date.
    """
    if period and (start or end):
        raise InvalidInput("invalid_period", "give either period or from/to, not both")
    if period:
        p = parse_period(period)
        if p.start > today:
            raise InvalidInput("invalid_period", f"period {p.label} has not begun")
        p = Period(p.start, min(p.end, today), p.label)
    else:
        day = as_of or today
        p = Period(start or day.replace(month=1, day=1), end or day, "" if start or end else "YTD")
    if p.start > p.end:
        raise InvalidInput("invalid_period", "period 'from' is after 'to'")
    return as_of or p.end, p
