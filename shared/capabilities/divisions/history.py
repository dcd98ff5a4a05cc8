"""The division tree through time: the jurisdiction file plus the recorded division changes.

The jurisdiction file is the tree before any recorded change. The county records each change
(rename, reclassify, create, merge, split, repopulate) as an event with an effective date
(services/county, ADR 0005); every read model keeps them (table ``division_change``).
:func:`tree_on` replays the changes in force on a day over the file's tree and gives that
day's tree as a :class:`~shared.kernel.jurisdiction.Jurisdiction` whose ``aliases`` map each retired
code to the division that took over its records. Rows are never rewritten: they keep the
code they were recorded under, and reports map them through the aliases of the tree they use.

Codes nest by prefix (a village's township is its first nine digits), so a division never
moves: a village that changes township gets a new code, and the old one is merged or split.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from typing import Any

from shared.infrastructure.store import Database, Tx
from shared.kernel.domain import Conflict, InvalidInput, NotFound
from shared.kernel.integration.events import DivisionChangeKind as Kind
from shared.kernel.jurisdiction import Area, Division, Jurisdiction, Tier, contains, tier_of


@dataclass(frozen=True)
class NewDivision:
    """A division that a change creates (``create``, or each part of a ``split``)."""

    code: str
    name: str
    area: str | None = None
    registered_population: int | None = None
    resident_population: int | None = None


@dataclass(frozen=True)
class Change:
    """One recorded change of the tree; which fields matter depends on ``kind``."""

    kind: Kind
    code: str
    effective_on: date
    sequence: int = 0
    name: str | None = None
    parent: str | None = None
    area: str | None = None
    registered_population: int | None = None
    resident_population: int | None = None
    merged: tuple[str, ...] = ()
    created: tuple[NewDivision, ...] = ()
    successor: str | None = None
    retired: bool = False

    def fields(self) -> dict[str, Any]:
        """The change as plain data (event fields, read-model JSON), without date and order."""
        d = asdict(self)
        del d["effective_on"], d["sequence"]
        d["kind"] = str(self.kind)
        d["merged"] = list(self.merged)
        d["created"] = [asdict(n) for n in self.created]
        return d

    @classmethod
    def of(cls, data: dict[str, Any], effective_on: date, sequence: int) -> Change:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(
            **{
                **known,
                "kind": Kind(data["kind"]),
                "effective_on": effective_on,
                "sequence": sequence,
                "merged": tuple(data.get("merged") or ()),
                "created": tuple(NewDivision(**n) for n in data.get("created") or ()),
            }
        )

    def describe(self) -> dict[str, Any]:
        return {"sequence": self.sequence, "effective_on": self.effective_on.isoformat()} | {
            k: v for k, v in self.fields().items() if v not in (None, [], False)
        }


def parent_of(code: str) -> str | None:
    """The parent a code implies (codes nest by prefix)."""
    return {Tier.COUNTY: None, Tier.TOWNSHIP: code[:6] + "000000", Tier.VILLAGE: code[:9] + "000"}[
        tier_of(code)
    ]


# ------------------------------------------------------------------ applying changes


@dataclass
class _Tree:
    """A tree being built: divisions in force and retired code → successor."""

    divisions: dict[str, Division]
    aliases: dict[str, str] = field(default_factory=dict)

    def existing(self, code: str) -> Division:
        if code in self.divisions:
            return self.divisions[code]
        if code in self.aliases:
            raise Conflict(
                "division_retired",
                f"division {code} was retired; its records count under {self.aliases[code]}",
            )
        raise InvalidInput("unknown_division", f"no division {code}")

    def village(self, code: str) -> Division:
        division = self.existing(code)
        if division.tier is not Tier.VILLAGE:
            raise InvalidInput("not_a_village", f"{code} is a {division.tier}, not a village")
        return division

    def retire(self, code: str, successor: str) -> None:
        if any(c for c in self.divisions if self.divisions[c].parent == code):
            raise Conflict(
                "division_not_empty",
                f"{code} still has divisions in force; merge or split them first",
            )
        del self.divisions[code]
        for old, new in self.aliases.items():
            if new == code:
                self.aliases[old] = successor  # chains resolve to a division in force
        self.aliases[code] = successor

    def create(self, new: NewDivision, tier: Tier | None = None, parent: str | None = None) -> None:
        self.divisions[new.code] = _new_division(self, new, tier, parent)


def _new_division(tree: _Tree, new: NewDivision, tier: Tier | None, parent: str | None) -> Division:
    try:
        new_tier = tier_of(new.code)
    except ValueError as e:
        raise InvalidInput("invalid_input", str(e)) from None
    if new.code in tree.divisions or new.code in tree.aliases:
        raise Conflict("division_exists", f"division code {new.code} is or was already in use")
    if new_tier is Tier.COUNTY:
        raise InvalidInput("division_tier_not_allowed", "a county cannot be created or split")
    if tier is not None and new_tier is not tier:
        raise InvalidInput(
            "division_tier_mismatch", f"{new.code} is a {new_tier}, expected a {tier}"
        )
    if new_tier is Tier.VILLAGE and new.code[6:9] == "000":
        raise InvalidInput("invalid_input", f"village {new.code} has no township (digits 7-9)")
    implied = parent_of(new.code)
    if parent is not None and parent != implied:
        raise InvalidInput(
            "parent_mismatch", f"the parent of {new.code} is {implied} (codes nest by prefix)"
        )
    if implied not in tree.divisions:
        raise InvalidInput("unknown_parent", f"parent {implied} of {new.code} is not in force")
    if not new.name.strip():
        raise InvalidInput("invalid_input", f"division {new.code} needs a name")
    if new_tier is not Tier.VILLAGE:
        if new.area is not None or new.registered_population is not None:
            raise InvalidInput("not_a_village", "only villages have an area and populations")
        return Division(new.code, new.name, new_tier, implied)
    if new.area is None or new.registered_population is None or new.resident_population is None:
        raise InvalidInput(
            "village_needs_area", f"village {new.code} needs area and both populations"
        )
    return Division(
        new.code,
        new.name,
        new_tier,
        implied,
        Area(new.area),
        new.registered_population,
        new.resident_population,
    )


def _unchanged(code: str, what: str) -> Conflict:
    return Conflict("division_unchanged", f"{code} already has this {what}")


def _rename(tree: _Tree, c: Change) -> None:
    division = tree.existing(c.code)
    if not (c.name or "").strip():
        raise InvalidInput("invalid_input", "a rename needs a name")
    if division.name == c.name:
        raise _unchanged(c.code, "name")
    tree.divisions[c.code] = replace(division, name=c.name or "")


def _reclassify(tree: _Tree, c: Change) -> None:
    division = tree.village(c.code)
    if c.area is None:
        raise InvalidInput("invalid_input", "a reclassification needs an area")
    if division.area == c.area:
        raise _unchanged(c.code, "area")
    tree.divisions[c.code] = replace(division, area=Area(c.area))


def _repopulate(tree: _Tree, c: Change) -> None:
    division = tree.village(c.code)
    if c.registered_population is None or c.resident_population is None:
        raise InvalidInput("invalid_input", "a repopulation needs both populations")
    new = replace(
        division,
        registered_population=c.registered_population,
        resident_population=c.resident_population,
    )
    if new == division:
        raise _unchanged(c.code, "population")
    tree.divisions[c.code] = new


def _create(tree: _Tree, c: Change) -> None:
    new = NewDivision(c.code, c.name or "", c.area, c.registered_population, c.resident_population)
    tree.create(new, parent=c.parent)


def _distinct(codes: Iterable[str]) -> list[str]:
    listed = list(codes)
    if not listed:
        raise InvalidInput("invalid_input", "name at least one division")
    if len(set(listed)) != len(listed):
        raise InvalidInput("duplicate_division_code", "a division is named twice")
    return listed


def _merge(tree: _Tree, c: Change) -> None:
    """Retire ``merged`` into ``code``; a merged village's populations are added to it."""
    into = tree.existing(c.code)
    if into.tier is Tier.COUNTY:
        raise InvalidInput("division_tier_not_allowed", "counties are not merged here")
    for code in _distinct(c.merged):
        if code == c.code:
            raise InvalidInput("merge_into_itself", f"{code} cannot be merged into itself")
        old = tree.existing(code)
        if old.tier is not into.tier:
            raise InvalidInput(
                "division_tier_mismatch", f"{code} is a {old.tier}, {c.code} a {into.tier}"
            )
        tree.retire(code, c.code)
        into = replace(
            into,
            registered_population=into.registered_population + old.registered_population,
            resident_population=into.resident_population + old.resident_population,
        )
    tree.divisions[c.code] = into


def _split(tree: _Tree, c: Change) -> None:
    """Create ``created`` from ``code``; if ``retired``, ``successor`` takes its records."""
    old = tree.existing(c.code)
    if old.tier is Tier.COUNTY:
        raise InvalidInput("division_tier_not_allowed", "a county cannot be split here")
    _distinct(n.code for n in c.created)
    for new in c.created:
        tree.create(new, tier=old.tier)
    if not c.retired:
        if c.successor not in (None, c.code):
            raise InvalidInput("invalid_successor", f"{c.code} is kept: its records stay with it")
        return
    if c.successor not in {n.code for n in c.created}:
        raise InvalidInput(
            "invalid_successor", "a retired division's successor must be one of the new ones"
        )
    tree.retire(c.code, c.successor)


_APPLY = {
    Kind.RENAME: _rename,
    Kind.RECLASSIFY: _reclassify,
    Kind.REPOPULATE: _repopulate,
    Kind.CREATE: _create,
    Kind.MERGE: _merge,
    Kind.SPLIT: _split,
}


def ordered(changes: Iterable[Change]) -> list[Change]:
    return sorted(changes, key=lambda c: (c.effective_on, c.sequence))


def tree_on(base: Jurisdiction, changes: Iterable[Change], day: date) -> Jurisdiction:
    """The tree in force on ``day``: ``base`` (the jurisdiction file) and every change
    effective on or before ``day``, in order; raises a DomainError for an impossible change."""
    tree = _Tree(dict(base.divisions))
    applied = [c for c in ordered(changes) if c.effective_on <= day]
    for c in applied:
        _APPLY[c.kind](tree, c)
    # The file's order is kept (report lines follow it); created divisions come last.
    return Jurisdiction(
        tree.divisions, aliases=tree.aliases, in_force_on=day, changes_applied=len(applied)
    )


def check_next(base: Jurisdiction, changes: list[Change], change: Change) -> None:
    """Refuse ``change`` unless it can follow the recorded ``changes``: on or after the last
    one's effective date (history is appended, never inserted into), and valid on the tree
    that will then be in force."""
    last = max((c.effective_on for c in changes), default=None)
    if last is not None and change.effective_on < last:
        raise Conflict(
            "effective_before_last_change",
            f"the last recorded division change takes effect on {last.isoformat()};"
            " a new one cannot take effect before it",
        )
    tree_on(base, [*changes, replace(change, sequence=len(changes) + 1)], change.effective_on)


# ------------------------------------------------------------------ read model


def load_changes(tx: Tx) -> list[Change]:
    """The division changes this read model has seen, in order."""
    return [
        Change.of(json.loads(r["data"]), date.fromisoformat(r["effective_on"]), int(r["sequence"]))
        for r in tx.all(
            "SELECT sequence, effective_on, data FROM division_change"
            " ORDER BY effective_on, sequence"
        )
    ]


def describe(j: Jurisdiction, basis: str) -> dict[str, Any]:
    """What a report says about the tree it used."""
    return {
        "basis": basis,
        "on": j.in_force_on.isoformat() if j.in_force_on else None,
        "changes_applied": j.changes_applied,
        "retired": dict(sorted(j.aliases.items())),
    }


def check_division(j: Jurisdiction, code: str) -> None:
    """404 unless ``code`` is a division of tree ``j``; a retired one names its successor."""
    if j.get(code) is not None:
        return
    if code in j.aliases:
        raise NotFound(
            "unknown_division",
            f"division {code} is retired on the tree of {j.in_force_on}; its records count"
            f" under {j.aliases[code]}",
        )
    raise NotFound("unknown_division", f"no division {code}")


def tree_from(db: Database, base: Jurisdiction, day: date) -> Jurisdiction:
    """The tree in force on ``day``, from the changes in read model ``db``."""
    with db.snapshot() as tx:
        changes = load_changes(tx)
    return tree_on(base, changes, day)


def moved_out(j: Jurisdiction, code: str) -> list[str]:
    """Retired codes under ``code``'s prefix whose records count outside it in tree ``j``."""
    return sorted(
        old for old, new in j.aliases.items() if contains(code, old) and not contains(code, new)
    )
