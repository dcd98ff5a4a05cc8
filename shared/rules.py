"""Rules as versioned data (domain.md: "treat exact numbers in rules as configurable data").

Rules come in families (density standard, zombie window, ranking weights, credit lists,
evaluation grades), each with its own versions and effective dates. A report asks for the rules in force on its as-of date and names
the version of every family it used, so a figure can be explained and reproduced later.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

DEFAULT_RULES = Path(__file__).parent / "data" / "rules.json"
FAMILIES = ("density", "zombie", "ranking", "credit", "evaluation")
# Families every rules file has had since the start; the others were added later (issue 6) and
# are optional in a ``Rules``, so a report issued before them names, and reproduces with, only
# the families it used (ADR 0006).
REQUIRED = ("density", "zombie", "ranking")
# Families only decisions use (each decision records its version, ADR 0009); reports name none.
DECISION_FAMILIES = ("zombie_exit", "sampling", "funding")


@dataclass(frozen=True)
class RuleVersion:
    family: str
    version: str
    effective_from: date
    parameters: dict[str, Any]
    source: str = ""


@dataclass(frozen=True)
class RuleSet:
    """The version of every family in force on one day."""

    density: RuleVersion
    zombie: RuleVersion
    ranking: RuleVersion
    credit: RuleVersion | None = None  # credit lists (MCA order 60, 2018), ADR 0007
    evaluation: RuleVersion | None = None  # grades 1A–5A and local stars, ADR 0007

    def present(self) -> list[RuleVersion]:
        return [v for f in FAMILIES if (v := getattr(self, f)) is not None]

    @property
    def versions(self) -> dict[str, str]:
        return {v.family: v.version for v in self.present()}

    @property
    def version(self) -> str:
        return " + ".join(self.versions.values())

    @property
    def urban_min_per_community(self) -> int:
        return int(self.density.parameters["urban_min_per_community"])

    @property
    def rural_min_per_village(self) -> int:
        return int(self.density.parameters["rural_min_per_village"])

    @property
    def zombie_window_months(self) -> int:
        return int(self.zombie.parameters["window_months"])

    def zombie_cutoff(self, as_of: date) -> date:
        """The day before the trailing window starts: activity after it counts as recent."""
        return months_before(as_of, self.zombie_window_months)

    def describe(self) -> dict[str, dict[str, Any]]:
        """What a report prints about its rules: version, start and parameters per family."""
        return {
            v.family: {
                "version": v.version,
                "effective_from": v.effective_from.isoformat(),
                "parameters": v.parameters,
            }
            for v in self.present()
        }


@dataclass(frozen=True)
class Rules:
    families: dict[str, tuple[RuleVersion, ...]] = field(default_factory=dict)

    def in_force(self, on: date) -> RuleSet:
        chosen = {f: self.version_on(f, on) for f in REQUIRED}
        for f in FAMILIES:
            if f not in REQUIRED and any(v.effective_from <= on for v in self.families.get(f, ())):
                chosen[f] = self.version_on(f, on)  # a later family, once in force
        return RuleSet(**chosen)

    def by_versions(self, versions: dict[str, str]) -> RuleSet:
        """The rule set a report named (``rule_versions``): to reproduce it exactly later,
        even after newer versions came into force."""
        chosen = {}
        for f in FAMILIES:
            if f not in REQUIRED and f not in versions:
                continue  # a family added after the report was issued
            match = [v for v in self.families.get(f, ()) if v.version == versions.get(f)]
            if not match:
                raise LookupError(
                    f"rule version {versions.get(f)!r} of {f} is not in the rules file"
                )
            chosen[f] = match[0]
        return RuleSet(**chosen)

    def version_on(self, family: str, on: date) -> RuleVersion:
        candidates = [v for v in self.families.get(family, ()) if v.effective_from <= on]
        if not candidates:
            raise LookupError(f"no {family} rule version in force on {on.isoformat()}")
        return max(candidates, key=lambda v: v.effective_from)


def load_rules(path: Path = DEFAULT_RULES) -> Rules:
    raw = json.loads(path.read_text(encoding="utf-8"))
    families: dict[str, tuple[RuleVersion, ...]] = {}
    for family in (*FAMILIES, *DECISION_FAMILIES):
        versions = []
        for v in raw.get(family, []):
            params = {
                k: val for k, val in v.items() if k not in ("version", "effective_from", "source")
            }
            versions.append(
                RuleVersion(
                    family,
                    v["version"],
                    date.fromisoformat(v["effective_from"]),
                    params,
                    v.get("source", ""),
                )
            )
        if not versions and family not in REQUIRED:
            continue  # a rules file from before the family existed
        if not versions:
            raise ValueError(f"{path}: no versions for rule family {family!r}")
        if len({v.version for v in versions}) != len(versions):
            raise ValueError(f"{path}: duplicate version names in rule family {family!r}")
        families[family] = tuple(versions)
    return Rules(families)


def months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    for d in (day.day, 30, 29, 28):  # clamp 31 March - 1 month to 28/29 February
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")
