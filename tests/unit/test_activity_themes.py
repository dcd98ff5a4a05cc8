"""The vocabulary of activity themes (rules family ``activity_themes``, ADR 0019): which themes
an activity may carry on a day, and which rows a report by theme has."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.village.application import check_cases
from shared.kernel.domain import Conflict, InvalidInput
from shared.kernel.rules import load_rules
from shared.kernel.themes import FAMILY, check, for_period, in_force, retired_of, themes_of

RULES = load_rules()


def test_each_version_names_exactly_the_themes_retired_before_it() -> None:
    """A version's ``retired`` list is what earlier versions listed and it no longer does,
    each with the first day of the version that dropped it: a report needs one version only."""
    versions = sorted(RULES.families[FAMILY], key=lambda v: v.effective_from)
    dropped: dict[str, date] = {}
    listed: set[str] = set()
    for v in versions:
        current = {t.code for t in themes_of(v)}
        for code in listed - current:
            dropped.setdefault(code, v.effective_from)
        for code in current:
            dropped.pop(code, None)  # a theme brought back is in force again
        listed |= current
        assert {t.code: on for t, on in retired_of(v)} == dropped, v.version
        assert len(current) == len(themes_of(v)), f"{v.version}: a theme listed twice"


def test_a_retired_theme_is_valid_before_its_retirement_and_refused_after() -> None:
    retired = date(2023, 1, 8)
    assert check(RULES, ["epidemic_prevention"], retired - timedelta(days=1)) == (
        "activity-themes/local/v3"
    )
    with pytest.raises(Conflict) as refused:
        check(RULES, ["epidemic_prevention", "mediation"], retired)
    assert refused.value.code == "theme_not_in_force"
    assert "epidemic_prevention" in refused.value.message
    assert "mediation" not in refused.value.message.split(" / ")[0]
    # Not yet introduced (疫情防控 from 2020-01-24), and before the vocabulary's first version.
    with pytest.raises(Conflict, match="theme_not_in_force|2020-01-23"):
        check(RULES, ["epidemic_prevention"], date(2020, 1, 23))
    with pytest.raises(Conflict) as early:
        check(RULES, ["mediation"], date(2015, 12, 31))
    assert early.value.code == "theme_not_in_force"


def test_no_themes_need_no_vocabulary_and_bad_lists_are_refused() -> None:
    assert check(RULES, [], date(2010, 1, 1)) is None  # nothing to check, even before v1
    for themes, code in (
        (["no_such_theme"], "unknown_theme"),
        (["mediation", "mediation"], "duplicate_theme"),
        (["mediation"] * 21, "too_many_themes"),
    ):
        with pytest.raises(InvalidInput) as refused:
            check(RULES, themes, date(2024, 1, 1))
        assert refused.value.code == code


def test_a_report_has_a_row_for_every_theme_in_force_on_a_day_of_its_period() -> None:
    v4, _ = in_force(RULES, date(2024, 12, 31))
    year_2023 = [t.code for t in for_period(v4, date(2023, 1, 1))]
    assert "epidemic_prevention" in year_2023  # in force 1–7 January 2023
    assert "poverty_alleviation" not in year_2023  # retired in 2021
    assert year_2023[-1] == "epidemic_prevention"  # retired themes after those in force
    assert "epidemic_prevention" not in [t.code for t in for_period(v4, date(2024, 1, 1))]
    names = {t.code: t.zh for t in for_period(v4, date(2021, 1, 1))}
    assert (
        names["poverty_alleviation"] == "脱贫攻坚" and names["rural_revitalisation"] == "乡村振兴"
    )


def test_resolved_cases_never_exceed_those_taken() -> None:
    check_cases(None, None)
    check_cases(3, 3)
    check_cases(3, None)
    for taken, resolved in ((2, 3), (None, 1)):
        with pytest.raises(InvalidInput) as refused:
            check_cases(taken, resolved)
        assert refused.value.code == "cases_resolved_exceed_taken"
