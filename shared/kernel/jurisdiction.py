"""Jurisdictions: county → township → village/community, by 12-digit statistical division code.

A code's level follows from its trailing zeros: a county code ends in nine zeros after its
6-digit prefix (``330699000000``), a township code in three zeros after its 9-digit prefix
(``330699001000``), a village or community code has all 12 digits (``330699001001``).
The file is validated as a whole at start so that a bad line stops the service with a message
naming it, instead of surfacing later as a wrong report.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path

DEMO_COUNTY = Path(__file__).parents[1] / "data" / "demo_county.csv"


class Tier(StrEnum):
    COUNTY = "county"
    TOWNSHIP = "township"
    VILLAGE = "village"


class Area(StrEnum):
    URBAN = "urban"
    RURAL = "rural"


class JurisdictionError(ValueError):
    """The jurisdiction file is invalid; the message names the file and line."""


def tier_of(code: str) -> Tier:
    """The tier a 12-digit division code belongs to; raises ValueError for a malformed code."""
    if len(code) != 12 or not code.isdigit():
        raise ValueError(f"division code must be 12 digits, got {code!r}")
    if code[6:] == "000000":
        return Tier.COUNTY
    if code[9:] == "000":
        return Tier.TOWNSHIP
    return Tier.VILLAGE


def prefix_of(code: str) -> str:
    """The significant prefix of a division code: 6 digits (county), 9 (township) or 12."""
    return {Tier.COUNTY: code[:6], Tier.TOWNSHIP: code[:9], Tier.VILLAGE: code}[tier_of(code)]


def contains(ancestor: str, code: str) -> bool:
    """True if division ``code`` lies within (or is) division ``ancestor``."""
    return code.startswith(prefix_of(ancestor))


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    tier: Tier
    parent: str | None
    area: Area | None = None  # villages/communities only
    registered_population: int = 0  # 户籍人口
    resident_population: int = 0  # 常住人口


@dataclass
class Jurisdiction:
    """One county's division tree, indexed by code.

    A tree taken on a date after recorded division changes (``shared/capabilities/divisions/history.py``) also
    carries ``aliases``: each retired code → the division of this tree that took over its
    records. Rows keep the code they were recorded under; reports map them with ``resolve``.
    """

    divisions: dict[str, Division]
    children: dict[str, list[str]] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    # The day this tree was in force, and how many recorded changes it reflects; None and 0
    # for the tree of the jurisdiction file (before any recorded change).
    in_force_on: date | None = None
    changes_applied: int = 0

    def __post_init__(self) -> None:
        for d in self.divisions.values():
            self.children.setdefault(d.code, [])
            if d.parent:
                self.children.setdefault(d.parent, []).append(d.code)

    @property
    def county(self) -> Division:
        return next(d for d in self.divisions.values() if d.tier is Tier.COUNTY)

    def get(self, code: str) -> Division | None:
        return self.divisions.get(code)

    def townships(self) -> list[Division]:
        return [self.divisions[c] for c in self.children[self.county.code]]

    def villages(self, within: str | None = None) -> list[Division]:
        """All villages/communities, or those within division ``within``."""
        return [
            d
            for d in self.divisions.values()
            if d.tier is Tier.VILLAGE and (within is None or contains(within, d.code))
        ]

    def township_of(self, village_code: str) -> str:
        return self.resolve(village_code)[:9] + "000"

    def resolve(self, code: str) -> str:
        """The code of this tree that rows recorded under ``code`` count in."""
        return self.aliases.get(code, code)

    def located(self, code: str) -> Division | None:
        """The division of this tree where rows recorded under ``code`` count."""
        return self.divisions.get(self.resolve(code))

    def aliased_into(self, code: str) -> list[str]:
        """Retired codes whose rows count within division ``code`` of this tree, although
        their own code lies outside its prefix (a ``LIKE`` on the prefix misses them)."""
        return sorted(
            old
            for old, new in self.aliases.items()
            if contains(code, new) and not contains(code, old)
        )

    def patterns(self, code: str) -> list[str]:
        """``LIKE`` patterns that find every row counting within ``code`` in this tree (and
        maybe rows of retired codes that moved out: filter those with ``resolve``)."""
        return [prefix_of(code) + "%", *self.aliased_into(code)]


def load(path: Path = DEMO_COUNTY) -> Jurisdiction:
    """Load and validate a jurisdiction CSV (code,name,area,registered_population,resident_population)."""
    divisions: dict[str, Division] = {}
    for lineno, row in _rows(path):
        division = _parse(path, lineno, row, divisions)
        divisions[division.code] = division
    counties = [d for d in divisions.values() if d.tier is Tier.COUNTY]
    if len(counties) != 1:
        raise JurisdictionError(f"{path}: expected exactly one county, found {len(counties)}")
    return Jurisdiction(divisions)


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8") as f:
        lines = [(n, line) for n, line in enumerate(f, 1) if line.strip() and line[0] != "#"]
    if not lines:
        raise JurisdictionError(f"{path}: empty")
    reader = csv.DictReader(line for _, line in lines)
    for (lineno, _), row in zip(lines[1:], reader, strict=True):
        yield lineno, row


def _parse(path: Path, lineno: int, row: dict[str, str], seen: dict[str, Division]) -> Division:
    def fail(message: str) -> JurisdictionError:
        return JurisdictionError(f"{path.name} line {lineno}: {message}")

    code = (row.get("code") or "").strip()
    try:
        tier = tier_of(code)
    except ValueError as e:
        raise fail(str(e)) from None
    if code in seen:
        raise fail(f"duplicate division code {code}")
    name = (row.get("name") or "").strip()
    if not name:
        raise fail(f"division {code} has no name")
    parent = {
        Tier.COUNTY: None,
        Tier.TOWNSHIP: code[:6] + "000000",
        Tier.VILLAGE: code[:9] + "000",
    }[tier]
    if tier is Tier.VILLAGE and code[6:9] == "000":
        # Otherwise its parent would be the county and townships() would list a village.
        raise fail(f"village {code} has no township (digits 7-9 are 000)")
    if parent is not None and parent not in seen:
        raise fail(f"parent {parent} of {code} is not defined above it (codes must nest)")
    if tier is not Tier.VILLAGE:
        return Division(code, name, tier, parent)
    try:
        area = Area((row.get("area") or "").strip())
    except ValueError:
        raise fail(f"village {code} needs area 'urban' or 'rural'") from None
    populations = []
    for column in ("registered_population", "resident_population"):
        value = (row.get(column) or "").strip()
        if not value.isdigit():
            raise fail(f"{column} of {code} must be a non-negative integer, got {value!r}")
        populations.append(int(value))
    return Division(code, name, tier, parent, area, populations[0], populations[1])
