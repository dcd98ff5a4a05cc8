"""Resident points (积分制, issue 16 item 6, ADR 0027): the rule and the ledger arithmetic.

Seed 001 pilots points for residents taking part in community governance in some
communities. A registered volunteer (ADR 0021) earns points for each activity of a piloting
community they served at; the rule in force on the activity's date (rules family
``resident_points``) says how many. Nothing here reads storage: the read side hands in the
activities and adjustments, so the same function gives the same ledger whenever it is asked,
and every entry names the rule version that computed it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from shared.kernel.rules import POINTS, Rules, RuleVersion


@dataclass(frozen=True)
class Served:
    """One registered volunteer listed on one activity (a row of ``activity_volunteer``)."""

    activity_id: str
    village_code: str
    volunteer_id: str
    occurred_on: date
    volunteers: int  # the activity's stated volunteers (人数)
    volunteer_hours_centi: int  # the activity's volunteer hours, in hundredths
    themes: tuple[str, ...]


@dataclass(frozen=True)
class Entry:
    """A line of a volunteer's points ledger: earned at an activity, or adjusted by hand."""

    village_code: str
    volunteer_id: str
    on: date
    points: int  # signed: a deduction is negative
    kind: str  # activity / award / deduction
    ref: str  # the activity's or the adjustment's id
    rule_version: str | None
    reason: str = ""  # a manual adjustment's reason
    capped: bool = False  # the activity's points were cut by a cap


def uncapped(version: RuleVersion, served: Served) -> int:
    """Points for serving at one activity before any cap: per_activity + per_hour × whole
    hours (the activity's hours ÷ its stated volunteers, as hours are not recorded per person)
    + each theme's bonus."""
    p = version.parameters
    hours = served.volunteer_hours_centi // (served.volunteers * 100) if served.volunteers else 0
    bonus = p.get("theme_bonus", {})
    raw = int(p["per_activity"]) + int(p["per_hour"]) * hours
    return raw + sum(int(bonus.get(theme, 0)) for theme in served.themes)


def earned(rules: Rules, served: Iterable[Served]) -> list[Entry]:
    """The entries earned at activities, in date order: each under the version in force on
    the activity's date, each volunteer's month cut at that version's ``cap_per_month`` (the
    month's activities counted in date order, then by activity id, so the answer is the same
    whatever order the activities were recorded in). An activity dated before the first
    version earns nothing (no rule said it would)."""
    used: dict[tuple[str, str, int, int], int] = defaultdict(int)
    out = []
    for s in sorted(served, key=lambda s: (s.occurred_on, s.activity_id, s.volunteer_id)):
        try:
            version = rules.version_on(POINTS, s.occurred_on)
        except LookupError:
            continue
        month = (s.village_code, s.volunteer_id, s.occurred_on.year, s.occurred_on.month)
        raw = uncapped(version, s)
        before = min(raw, int(version.parameters["cap_per_activity"]))
        points = max(0, min(before, int(version.parameters["cap_per_month"]) - used[month]))
        used[month] += points
        out.append(
            Entry(
                s.village_code,
                s.volunteer_id,
                s.occurred_on,
                points,
                "activity",
                s.activity_id,
                version.version,
                capped=points < raw,
            )
        )
    return out


def pilot_on(periods: Iterable[tuple[date, date | None]], day: date) -> bool:
    """Whether a community's pilot was on on ``day``: from a turn-on's day inclusive to the
    turn-off's day exclusive (as every state in the catalogue holds)."""
    return any(start <= day and (end is None or day < end) for start, end in periods)


def overlaps(periods: Iterable[tuple[date, date | None]], start: date, end: date) -> bool:
    """Whether the pilot was on on some day of ``start`` … ``end``."""
    return any(s <= end and (e is None or e > start) for s, e in periods)
