"""A period's activities from the monthly rollup, and from the rows only at its ragged ends.

``activity_month`` (``shared/tier/rollups.py``, ADR 0030) holds each organisation's activity
sums per calendar month of its village. A period ``[start, end]`` is split into the whole
months it covers, read from the rollup, and the days before the first and after the last
whole month, read from ``activity`` by day: at most two partial months, so a report's cost
follows the number of organisation-months, not of activities. The rows from both sides have
the same columns (one activity counting as ``activities = 1``), so every figure is one
aggregate over their union: sums, and ``COUNT(DISTINCT org_id)`` for organisations active.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from shared.reporting.ranges import span, within

# Digits of a county's code prefix (``jurisdiction.prefix_of``): scopes this wide or wider.
COUNTY_PREFIX = 6

# The additive columns of a rollup row, as stored (hours in hundredths, money in fen).
COLUMNS = (
    "activities",
    "participants",
    "volunteers",
    "volunteer_services",
    "volunteer_hours_centi",
    "beneficiaries",
    "money_fen",
    "cases_taken",
    "cases_resolved",
)


@dataclass(frozen=True)
class Split:
    """Whole months ``first_month..last_month`` ('YYYY-MM', none if first > last) and the
    remaining day ranges, inclusive."""

    first_month: str
    last_month: str
    days: tuple[tuple[date, date], ...]


def _month_end(day: date) -> date:
    return day.replace(day=monthrange(day.year, day.month)[1])


def _next_month(day: date) -> date:
    return _month_end(day) + timedelta(days=1)


def split(start: date, end: date) -> Split:
    if start > end:
        return Split("9999-12", "0000-01", ())
    first = start if start.day == 1 else _next_month(start)  # first whole month's 1st
    last_end = end if end == _month_end(end) else end.replace(day=1) - timedelta(days=1)
    if first > last_end:  # no whole month: the period is days of one or two months
        return Split("9999-12", "0000-01", ((start, end),))
    days = []
    if start < first:
        days.append((start, first - timedelta(days=1)))
    if last_end < end:
        days.append((last_end + timedelta(days=1), end))
    return Split(first.isoformat()[:7], last_end.isoformat()[:7], tuple(days))


def activity_rows(pattern: str, start: date, end: date) -> tuple[str, tuple[Any, ...]]:
    """SQL (a derived table, columns ``village_code, org_id`` and :data:`COLUMNS`) of the
    activities recorded under ``pattern`` (a code prefix pattern) on a day in
    ``[start, end]``, with its parameters."""
    s = split(start, end)
    lo, hi = span(pattern)
    sums = ", ".join(COLUMNS)
    # The month-first covering index (``activity_month_period``) pays off for a county-wide
    # read; a township's or a village's rows are fewer by the primary key (village first).
    # SQLite chooses between them by their shape, not by statistics, and took the month index
    # for one village too: for a narrower scope the month is hidden from index selection.
    month = "month" if len(pattern.removesuffix("%")) <= COUNTY_PREFIX else "(month || '')"
    sql = (
        f"SELECT village_code, org_id, {sums} FROM activity_month"
        f" WHERE {within('village_code')} AND {month} >= %s AND {month} <= %s"
    )
    params: tuple[Any, ...] = (lo, hi, s.first_month, s.last_month)
    for d0, d1 in s.days:
        sql += (
            " UNION ALL SELECT a.village_code, a.org_id, 1, a.participants, a.volunteers,"
            " a.volunteer_services, a.volunteer_hours_centi, a.beneficiaries, a.money_fen,"
            " COALESCE(c.cases_taken, 0), COALESCE(c.cases_resolved, 0) FROM activity a"
            " LEFT JOIN activity_cases c ON c.activity_id = a.activity_id"
            f" WHERE a.occurred_on >= %s AND a.occurred_on <= %s AND {within('a.village_code')}"
        )
        params += (d0.isoformat(), d1.isoformat(), lo, hi)
    return sql, params
