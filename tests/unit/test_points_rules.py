"""The resident points rule (ADR 0027): a version that would award points no one can explain
stops the load, the shipped bonuses name known themes, and the ledger arithmetic (caps, the
version in force per activity) does not depend on the order activities were recorded in."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from shared.kernel.points import Served, earned
from shared.kernel.rules import POINTS, load_rules
from shared.kernel.themes import known_codes
from tests.helpers import rules_file


def _version(**change: Any) -> dict[str, Any]:
    return {
        "version": "resident-points/test/v9",
        "effective_from": "2030-01-01",
        "kind": "local",
        "label_zh": "测试",
        "per_activity": 2,
        "per_hour": 1,
        "theme_bonus": {"mediation": 3},
        "cap_per_activity": 10,
        "cap_per_month": 30,
        "max_adjustment": 50,
        **change,
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"per_activity": -1}, "per_activity"),
        ({"per_hour": 0.5}, "per_hour"),
        ({"cap_per_month": None}, "cap_per_month"),
        ({"theme_bonus": {"mediation": "3"}}, "theme_bonus"),
        ({"max_adjustment": 0}, "max_adjustment"),
    ],
)
def test_a_version_with_unexplainable_amounts_stops_the_load(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    path = rules_file(tmp_path / "rules.json", resident_points=[_version(**change)])
    with pytest.raises(ValueError, match=message):
        load_rules(path)


def test_every_shipped_bonus_names_a_known_theme() -> None:
    rules = load_rules()
    assert rules.families[POINTS], "the demo file ships the family"
    for version in rules.families[POINTS]:
        assert set(version.parameters["theme_bonus"]) <= known_codes(rules), version.version


def test_caps_and_versions_whatever_the_recording_order() -> None:
    rules = load_rules()

    def served(activity: str, day: date, hours: int, themes: tuple[str, ...] = ()) -> Served:
        return Served(activity, "330699001001", "V001", day, 1, hours * 100, themes)

    activities = [
        served("a1", date(2023, 12, 30), 20),  # v1: 2 + 20 → 10
        served("a2", date(2023, 12, 31), 20),  # 10
        served("a3", date(2023, 12, 31), 20, ("mediation",)),  # 10 (activity cap)
        served("a4", date(2023, 12, 31), 0),  # 2, but the month holds 30: 0
        served("a5", date(2024, 1, 2), 0, ("mediation", "elderly_care")),  # v2: 2 + 5 + 2 = 9
    ]
    forward = earned(rules, activities)
    assert earned(rules, list(reversed(activities))) == forward
    assert [(e.ref, e.points, e.rule_version[-2:]) for e in forward if e.rule_version] == [
        ("a1", 10, "v1"),
        ("a2", 10, "v1"),
        ("a3", 10, "v1"),
        ("a4", 0, "v1"),
        ("a5", 9, "v2"),
    ]
