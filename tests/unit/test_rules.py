"""Rules as versioned data: month arithmetic and the version in force on a date."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from shared.rules import Rules, RuleSet, load_rules, months_before


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 3, 31), 1, date(2026, 2, 28)),  # clamped to the end of February
        (date(2024, 3, 31), 1, date(2024, 2, 29)),  # leap year
        (date(2026, 5, 31), 1, date(2026, 4, 30)),
        (date(2026, 1, 31), 2, date(2025, 11, 30)),  # across a year boundary
        (date(2026, 1, 15), 12, date(2025, 1, 15)),
        (date(2024, 2, 29), 12, date(2023, 2, 28)),
        (date(2026, 11, 22), 0, date(2026, 11, 22)),
        (date(2026, 12, 31), 24, date(2024, 12, 31)),
    ],
)
def test_months_before(day: date, months: int, expected: date) -> None:
    assert months_before(day, months) == expected


def version(name: str, start: date, window: int = 12) -> RuleSet:
    return RuleSet(name, start, 10, 5, window)


def test_in_force_picks_the_latest_version_started_on_or_before_the_day() -> None:
    rules = Rules((version("b", date(2021, 1, 1), 24), version("a", date(2017, 12, 27))))
    assert rules.in_force(date(2017, 12, 27)).version == "a"
    assert rules.in_force(date(2020, 12, 31)).version == "a"
    assert rules.in_force(date(2021, 1, 1)).version == "b"
    assert rules.in_force(date(2030, 1, 1)).zombie_window_months == 24
    with pytest.raises(LookupError):
        rules.in_force(date(2017, 12, 26))


def test_zombie_cutoff_uses_the_window_of_the_version() -> None:
    assert version("a", date(2017, 1, 1)).zombie_cutoff(date(2026, 3, 31)) == date(2025, 3, 31)
    assert version("b", date(2017, 1, 1), 1).zombie_cutoff(date(2026, 3, 31)) == date(2026, 2, 28)


def test_default_rules_file() -> None:
    rules = load_rules()
    current = rules.in_force(date(2026, 1, 1))
    assert current.version == "density-2017-national/zombie-12m/v1"
    assert (current.urban_min_per_community, current.rural_min_per_village) == (10, 5)
    assert current.zombie_window_months == 12


def test_rules_file_with_two_versions(tmp_path: Path) -> None:
    base = {"urban_min_per_community": 10, "rural_min_per_village": 5, "zombie_window_months": 12}
    raw = {
        "versions": [
            {"version": "v1", "effective_from": "2017-12-27", **base, "ignored_note": "x"},
            {"version": "v2", "effective_from": "2025-07-01", **base, "rural_min_per_village": 8},
        ]
    }
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    rules = load_rules(path)
    assert rules.in_force(date(2025, 6, 30)).rural_min_per_village == 5
    assert rules.in_force(date(2025, 7, 1)).rural_min_per_village == 8
