"""The assessment rule (ADR 0025): a version that would score wrongly stops the load, every
indicator of the shipped file names a catalogue figure, and the linear scoring's edges."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shared.kernel.rules import load_rules
from shared.reporting.assessment import IndicatorDef, indicators, score
from shared.reporting.catalogue import BY_KEY
from tests.helpers import rules_file


def _version(**change: Any) -> dict[str, Any]:
    one = {
        "code": "zombie_share",
        "zh": "僵尸组织率",
        "figure": "zombies.rate",
        "direction": "lower",
        "target": 0.1,
        "zero_at": 0.3,
        "weight": 100,
    }
    return {
        "version": "assessment/test/v9",
        "effective_from": "2030-01-01",
        "kind": "local",
        "label_zh": "测试",
        "indicators": [{**one, **change}],
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"weight": 90}, "sum to 90"),
        ({"zero_at": 0.05}, "worse side"),
        ({"direction": "up"}, "direction"),
        ({"method": "curve"}, "method"),
        ({"target": "10%"}, "numbers"),
        ({"zero_at": 0.1}, "worse side"),  # lower, target == zero_at: a division by zero
        ({"direction": "higher", "zero_at": 0.1}, "worse side"),
        ({"target": float("nan")}, "finite"),
        ({"zero_at": float("inf")}, "finite"),
        ({"weight": True}, "numbers"),
    ],
)
def test_a_version_that_would_score_wrongly_stops_the_load(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        load_rules(rules_file(tmp_path / "rules.json", assessment=[_version(**change)]))


def test_every_shipped_indicator_names_a_catalogue_figure() -> None:
    for version in load_rules().families["assessment"]:
        for d in indicators(version):
            assert d.figure in BY_KEY and (d.per is None or d.per in BY_KEY), d.code


def test_linear_scoring_edges_in_both_directions() -> None:
    up = IndicatorDef(
        code="x",
        name="x",
        figure="f",
        figure_name="f",
        figure_definition="",
        unit="ratio",
        direction="higher",
        target=0.8,
        zero_at=0.4,
        weight=30,
        method="linear",
    )
    down = up.model_copy(update={"direction": "lower", "target": 0.1, "zero_at": 0.3})
    assert [score(up, v) for v in (0.9, 0.8, 0.6, 0.4, 0.0, None)] == [30, 30, 15, 0, 0, None]
    assert [score(down, v) for v in (0.0, 0.1, 0.2, 0.3, 0.9)] == [30, 30, 15, 0, 0]


def test_competition_ranks_share_ties_and_skip_missing_values() -> None:
    from shared.reporting.ranks import competition_ranks

    assert competition_ranks([3, None, 5, 3, 1]) == [2, None, 1, 2, 4]
