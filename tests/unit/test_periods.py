"""Reporting periods: named periods, custom ranges, and the as-of date they imply."""

from __future__ import annotations

from datetime import date

import pytest

from shared.kernel.domain import InvalidInput
from shared.kernel.periods import Period, parse_period, resolve

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2025", date(2025, 1, 1), date(2025, 12, 31)),
        ("2024-Q1", date(2024, 1, 1), date(2024, 3, 31)),
        ("2024-q4", date(2024, 10, 1), date(2024, 12, 31)),
        ("2024-H1", date(2024, 1, 1), date(2024, 6, 30)),
        ("2024-H2", date(2024, 7, 1), date(2024, 12, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),  # leap year
        ("2025-02", date(2025, 2, 1), date(2025, 2, 28)),
        ("2025-12", date(2025, 12, 1), date(2025, 12, 31)),
    ],
)
def test_named_periods(text: str, start: date, end: date) -> None:
    p = parse_period(text)
    assert (p.start, p.end) == (start, end)


@pytest.mark.parametrize("text", ["2025-13", "2025-Q5", "25", "2025/01", "last year", "2025-H3"])
def test_bad_periods_are_422(text: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_period(text)
    assert raised.value.code == "invalid_period"


def test_default_is_the_year_to_date() -> None:
    assert resolve(TODAY) == (TODAY, Period(date(2026, 1, 1), TODAY, "YTD"))


def test_a_past_period_is_taken_at_its_end() -> None:
    as_of, p = resolve(TODAY, period="2025-Q2")
    assert as_of == date(2025, 6, 30) and p.label == "2025-Q2"


def test_a_running_period_ends_today() -> None:
    as_of, p = resolve(TODAY, period="2026")
    assert as_of == TODAY and p == Period(date(2026, 1, 1), TODAY, "2026")


def test_custom_range_and_explicit_as_of() -> None:
    as_of, p = resolve(TODAY, as_of=date(2026, 3, 1), start=date(2025, 7, 1), end=date(2025, 9, 30))
    assert as_of == date(2026, 3, 1)
    assert p.describe() == {
        "from": "2025-07-01",
        "to": "2025-09-30",
        "label": "2025-07-01..2025-09-30",
    }


@pytest.mark.parametrize(
    "kwargs",
    [
        {"period": "2027"},  # not begun
        {"period": "2025", "start": date(2025, 1, 1)},  # both kinds
        {"start": date(2026, 5, 1), "end": date(2026, 4, 1)},  # reversed
    ],
)
def test_impossible_requests_are_422(kwargs: dict) -> None:
    with pytest.raises(InvalidInput):
        resolve(TODAY, **kwargs)
