"""Rules as versioned data: month arithmetic and the version in force on a date."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from shared.kernel.domain import Conflict
from shared.kernel.rules import (
    DEFAULT_RULES,
    REQUIRED,
    RuleNotInForce,
    Rules,
    RuleVersion,
    load_rules,
    months_before,
)
from shared.reporting.applicability import not_applicable, withhold
from tests.helpers import rules_file


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


def version(family: str, name: str, start: date, **parameters: object) -> RuleVersion:
    return RuleVersion(family, name, start, dict(parameters))


def rules_with(*zombie: RuleVersion) -> Rules:
    density = version(
        "density", "d1", date(2017, 1, 1), urban_min_per_community=10, rural_min_per_village=5
    )
    ranking = version("ranking", "r1", date(2017, 1, 1))
    return Rules({"density": (density,), "zombie": zombie, "ranking": (ranking,)})


def test_in_force_picks_the_latest_version_started_on_or_before_the_day() -> None:
    rules = rules_with(
        version("zombie", "b", date(2021, 1, 1), window_months=24),
        version("zombie", "a", date(2017, 12, 27), window_months=12),
    )
    assert rules.in_force(date(2017, 12, 27)).zombie.version == "a"
    assert rules.in_force(date(2020, 12, 31)).zombie.version == "a"
    assert rules.in_force(date(2021, 1, 1)).zombie.version == "b"
    assert rules.in_force(date(2030, 1, 1)).zombie_window_months == 24
    assert rules.in_force(date(2030, 1, 1)).versions == {
        "density": "d1",
        "zombie": "b",
        "ranking": "r1",
    }
    with pytest.raises(LookupError):
        rules.in_force(date(2017, 12, 26))


def test_zombie_cutoff_uses_the_window_of_the_version() -> None:
    a = rules_with(version("zombie", "a", date(2017, 1, 1), window_months=12)).in_force(
        date(2026, 3, 31)
    )
    b = rules_with(version("zombie", "b", date(2017, 1, 1), window_months=1)).in_force(
        date(2026, 3, 31)
    )
    assert a.zombie_cutoff(date(2026, 3, 31)) == date(2025, 3, 31)
    assert b.zombie_cutoff(date(2026, 3, 31)) == date(2026, 2, 28)


def test_default_rules_file() -> None:
    current = load_rules().in_force(date(2026, 1, 1))
    assert current.versions == {
        "density": "density/2017-national/v1",
        "zombie": "zombie/12-months/v1",
        "ranking": "ranking/four-dimensions/v1",
        "credit": "credit/mca-60-2018/v1",
        "evaluation": "evaluation/grades-5y/v1",
        "activity_themes": "activity-themes/local/v4",
        "coverage": "coverage/sanji-default/v1",
        "training": "training/local/v1",
        "third_party_evaluation": "third-party-evaluation/local/v1",
    }
    assert (current.urban_min_per_community, current.rural_min_per_village) == (10, 5)
    assert current.zombie_window_months == 12
    weights = current.ranking.parameters["weights"]
    assert sum(weights.values()) == pytest.approx(1.0)


def test_each_family_changes_on_its_own_date(tmp_path: Path) -> None:
    raw = json.loads(DEFAULT_RULES.read_text(encoding="utf-8"))
    raw["density"].append(
        {
            **raw["density"][0],
            "version": "density/v2",
            "effective_from": "2025-07-01",
            "rural_min_per_village": 8,
        }
    )
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    rules = load_rules(path)
    assert rules.in_force(date(2025, 6, 30)).rural_min_per_village == 5
    july = rules.in_force(date(2025, 7, 1))
    assert july.rural_min_per_village == 8
    assert july.versions["density"] == "density/v2"
    assert july.versions["zombie"] == "zombie/12-months/v1"


def test_a_family_without_versions_is_refused(tmp_path: Path) -> None:
    raw = json.loads(DEFAULT_RULES.read_text(encoding="utf-8"))
    del raw["ranking"]
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(ValueError, match="ranking"):
        load_rules(path)


def test_families_added_later_are_named_once_in_force_and_optional_when_reproducing(
    tmp_path: Path,
) -> None:
    rules = load_rules(rules_file(tmp_path / "national.json", legacy=False))
    # The credit rule (MCA order 60) came into force on 2018-03-01: a report before names none.
    assert "credit" not in rules.in_force(date(2018, 2, 28)).versions
    assert rules.in_force(date(2018, 3, 1)).versions["credit"] == "credit/mca-60-2018/v1"
    # A report issued before the families existed named three: it reproduces with three.
    old = {f: v for f, v in rules.in_force(date(2026, 1, 1)).versions.items() if f in REQUIRED}
    assert rules.by_versions(old).versions == old


def test_a_rules_file_from_before_the_later_families_still_loads(tmp_path: Path) -> None:
    raw = json.loads(DEFAULT_RULES.read_text(encoding="utf-8"))
    del raw["credit"], raw["evaluation"], raw["activity_themes"], raw["coverage"]
    del raw["training"], raw["commendation"], raw["third_party_evaluation"]
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert set(load_rules(path).in_force(date(2026, 1, 1)).versions) == set(REQUIRED)


# ------------------------------------------------------------ before a family's first version


def test_a_day_before_a_family_is_refused_with_one_code_naming_family_and_day() -> None:
    with pytest.raises(RuleNotInForce) as refused:
        load_rules().version_on("funding", date(2015, 6, 30))
    e = refused.value
    assert isinstance(e, Conflict) and isinstance(e, LookupError)  # 409, and old callers work
    assert e.code == "rule_not_in_force" and e.status == 409
    assert e.message.startswith("2015-06-30 没有生效的 funding 规则版本")  # Chinese first
    # The demo file's first funding version is its legacy one (ADR 0018).
    assert "2016-01-01" in e.message and "no funding rule version in force" in e.message


def test_a_report_before_every_family_withholds_them_all() -> None:
    rules = load_rules().for_report(date(2015, 6, 30))
    assert rules.withheld == (
        "density",
        "zombie",
        "ranking",
        "credit",
        "evaluation",
        "activity_themes",
        "coverage",
        "training",
        "third_party_evaluation",
    )
    assert rules.describe() == {}
    assert set(rules.versions.values()) == {"rule_not_in_force"}
    figures = withhold(
        {"zombies": {"count": 3}, "organisations": {"active": 7}, "ratings": {"grade": {"5": 1}}},
        rules,
    )
    assert figures == {
        "zombies": {"count": None},
        "organisations": {"active": 7},
        "ratings": {"grade": {"5": None}},
    }
    na = not_applicable(rules, date(2015, 6, 30))
    assert na["zombies.count"]["family"] == "zombie" and "organisations.active" not in na


def test_a_report_with_every_family_in_force_is_unchanged() -> None:
    rules = load_rules()
    assert rules.for_report(date(2026, 1, 1)) == rules.in_force(date(2026, 1, 1))


def test_an_optional_family_not_yet_in_force_is_withheld_and_reproduced(tmp_path: Path) -> None:
    rules = load_rules(rules_file(tmp_path / "national.json", legacy=False))
    early = rules.for_report(date(2018, 2, 28))
    assert early.withheld == ("credit",)
    assert early.versions["credit"] == "rule_not_in_force"
    assert rules.by_versions(early.versions) == early
    old = rules.for_report(date(2015, 1, 1))
    assert rules.by_versions(old.versions) == old
    # A report issued before the credit family existed names no credit: nothing withheld.
    before = {f: v for f, v in early.versions.items() if f != "credit"}
    assert rules.by_versions(before).withheld == ()


def test_a_rule_version_missing_from_the_file_is_a_409_not_a_500() -> None:
    from shared.kernel.domain import Conflict
    from shared.kernel.rules import RuleVersionUnknown, load_rules

    with pytest.raises(RuleVersionUnknown) as caught:
        load_rules().by_versions({"density": "density/removed/v9"})
    assert isinstance(caught.value, Conflict) and caught.value.status == 409
    assert (
        caught.value.code == "rule_version_unknown" and "density/removed/v9" in caught.value.message
    )
