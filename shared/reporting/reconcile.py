"""Reconciliation: parent = Σ children for every additive figure, at one consistent point.

Two checks, both over the raw additive counters (never over rates):

* **within a read model** — a division's total equals the sum of its children plus what sits
  at its own level (a township's platform, the county centre). A difference means rows whose
  division is not in the tree, and the report names those division codes;
* **across tiers** — the county, township and village services each project the same events
  into their own read models; at equal watermarks every village's counters must be identical
  in all of them. The check waits (briefly) for the watermarks to meet, and says so if they
  do not, rather than comparing two different points in time.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping
from datetime import date
from typing import Any

from shared.capabilities.divisions.history import describe as describe_tree
from shared.infrastructure.store import Database
from shared.kernel.jurisdiction import Jurisdiction, Tier, prefix_of
from shared.kernel.periods import Period
from shared.kernel.rules import RuleSet
from shared.reporting.counters import collect
from shared.reporting.figures import Counters, children_of, fold
from shared.reporting.report import watermarks


def _diff(expected: Counters, actual: Counters) -> dict[str, dict[str, int]]:
    keys = sorted(k for k in set(expected) | set(actual) if expected[k] != actual[k])
    return {k: {"expected": expected[k], "actual": actual[k]} for k in keys}


def check_tree(counters: dict[str, Counters], j: Jurisdiction, code: str) -> list[dict[str, Any]]:
    """Every division under ``code`` (itself included): total vs Σ children + own level."""
    mismatches = []
    stack = [j.divisions[code]]
    while stack:
        division = stack.pop()
        children = children_of(j, division)
        if not children:
            continue
        total = fold(counters, division)
        parts: Counters = Counter(counters.get(division.code, Counter()))
        for child in children:
            parts.update(fold(counters, child))
        if total != parts:
            known = {c.code for c in children} | {division.code}
            strays = sorted(
                c
                for c in counters
                if c.startswith(prefix_of(division.code))
                and not any(c == k or c.startswith(prefix_of(k)) for k in known)
            )
            mismatches.append(
                {
                    "division": division.code,
                    "children": [c.code for c in children],
                    "divisions_outside_tree": strays,
                    "figures": _diff(parts, total),
                }
            )
        stack.extend(children)
    return mismatches


def reconcile_division(
    db: Database,
    j: Jurisdiction,
    code: str,
    as_of: date,
    period: Period,
    rules: RuleSet,
    tree: str = "as_of",
) -> dict[str, Any]:
    """The within-read-model check for one tier's service (the API endpoint), on tree ``j``
    (retired codes' rows count under their successors)."""
    with db.snapshot() as tx:
        marks = watermarks(tx)
        counters = collect(tx, j, code, as_of, period, rules)
    mismatches = check_tree(counters, j, code)
    total = fold(counters, j.divisions[code])
    return {
        "division": code,
        "as_of": as_of.isoformat(),
        "period": period.describe(),
        "rule_versions": rules.versions,
        "watermarks": marks,
        "tree": describe_tree(j, tree),
        "additive_figures_checked": len([k for k in total if total[k]]),
        "divisions_checked": 1 + sum(1 for _ in _descendants(j, code)),
        "ok": not mismatches,
        "mismatches": mismatches,
    }


def _descendants(j: Jurisdiction, code: str) -> list[str]:
    out = []
    for child in j.children.get(code, []):
        out.append(child)
        out.extend(_descendants(j, child))
    return out


def reconcile_tiers(
    dbs: Mapping[Tier, Database],
    j: Jurisdiction,
    code: str,
    as_of: date,
    period: Period,
    rules: RuleSet,
    wait_seconds: float = 10.0,
    tree: str = "as_of",
) -> dict[str, Any]:
    """Both checks over every tier's read model, at one point (equal watermarks), on tree
    ``j`` (taken on the basis ``tree`` names)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        snapshots: dict[Tier, tuple[dict[str, int], dict[str, Counters]]] = {}
        for tier, db in dbs.items():
            with db.snapshot() as tx:
                snapshots[tier] = (watermarks(tx), collect(tx, j, code, as_of, period, rules))
        marks = {str(t): m for t, (m, _) in snapshots.items()}
        same_point = len({tuple(sorted(m.items())) for m in marks.values()}) == 1
        if same_point or time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    tiers: dict[str, Any] = {}
    for tier, (_, counters) in snapshots.items():
        tiers[str(tier)] = {"tree_mismatches": check_tree(counters, j, code)}
    reference_tier, (_, reference) = next(iter(snapshots.items()))
    across = []
    if same_point:
        for tier, (_, counters) in snapshots.items():
            for division in sorted(set(reference) | set(counters)):
                if not division.startswith(prefix_of(code)):
                    continue
                mine, theirs = counters.get(division, Counter()), reference.get(division, Counter())
                if mine != theirs:
                    across.append(
                        {
                            "division": division,
                            "tiers": [str(reference_tier), str(tier)],
                            "figures": _diff(theirs, mine),
                        }
                    )
    top = {
        str(t): dict(sorted(fold(c, j.divisions[code]).items())) for t, (_, c) in snapshots.items()
    }
    ok = same_point and not across and all(not t["tree_mismatches"] for t in tiers.values())
    return {
        "division": code,
        "as_of": as_of.isoformat(),
        "period": period.describe(),
        "rule_versions": rules.versions,
        "watermarks": marks,
        "tree": describe_tree(j, tree),
        "consistent_point": same_point,
        "ok": ok,
        "tiers": tiers,
        "across_tiers": across,
        "totals": top,
    }
