"""Rules as versioned data (domain.md: "treat exact numbers in rules as configurable data").

Each version has an effective date; a report asks for the version in force on its as-of date
and names it, so a figure can be explained and reproduced later.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

DEFAULT_RULES = Path(__file__).parent / "data" / "rules.json"


@dataclass(frozen=True)
class RuleSet:
    version: str
    effective_from: date
    urban_min_per_community: int
    rural_min_per_village: int
    zombie_window_months: int
    source: str = ""

    def zombie_cutoff(self, as_of: date) -> date:
        """The day before the trailing window starts: activity after it counts as recent."""
        return months_before(as_of, self.zombie_window_months)


@dataclass(frozen=True)
class Rules:
    versions: tuple[RuleSet, ...]

    def in_force(self, on: date) -> RuleSet:
        candidates = [v for v in self.versions if v.effective_from <= on]
        if not candidates:
            raise LookupError(f"no rule version in force on {on.isoformat()}")
        return max(candidates, key=lambda v: v.effective_from)


def load_rules(path: Path = DEFAULT_RULES) -> Rules:
    raw = json.loads(path.read_text(encoding="utf-8"))
    versions = []
    for v in raw["versions"]:
        fields = {k: v[k] for k in v if k in RuleSet.__dataclass_fields__}
        fields["effective_from"] = date.fromisoformat(v["effective_from"])
        versions.append(RuleSet(**fields))
    return Rules(tuple(versions))


def months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for d in (day.day, 30, 29, 28):  # clamp 31 March - 1 month to 28/29 February
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")
