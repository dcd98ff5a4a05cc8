"""Figures that are not applicable because a rule they depend on was not in force (issue 12).

A report dated before the first version of a rule family (``Rules.for_report``) still answers:
every figure whose catalogue entry depends on that family is ``null`` in ``figures`` and is
explained in the report's sibling map ``not_applicable`` (figure key → reason, family, day).
Figures that do apply keep their place and type, so a client that reads a figure as
"number or null" needs no change; one that wants to know *why* a figure is null reads the map.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from shared.kernel.rules import RuleNotInForce, RuleSet
from shared.reporting.catalogue import METRICS


def withheld_metrics(rules: RuleSet) -> dict[str, str]:
    """Catalogue key → the first withheld family it depends on."""
    out: dict[str, str] = {}
    for m in METRICS:
        family = next((f for f in m.rules if f in rules.withheld), None)
        if family is not None:
            out[m.key] = family
    return out


def withhold(figures: dict[str, Any], rules: RuleSet) -> dict[str, Any]:
    """``figures`` (as ``derive`` made them) with every figure depending on a withheld family
    set to ``None``; figures absent from this report (an organisation has no density) stay
    absent. Figures that came with a family the rule set does not name (a report issued before
    it existed, reproduced with its own rule versions) are left out, as they were then."""
    named = rules.versions
    for m in METRICS:
        if m.since and m.since not in named:
            node, leaf = _parent(figures, m.key)
            if isinstance(node, dict):
                node.pop(leaf, None)
    for key in withheld_metrics(rules):
        node, leaf = _parent(figures, key)
        if isinstance(node, dict) and leaf in node:
            node[leaf] = None
    return figures


def _parent(figures: dict[str, Any], key: str) -> tuple[Any, str]:
    """The dict holding a figure's key (``funding.by_programme.x.budget_yuan``), and its leaf."""
    *path, leaf = key.split(".")
    node: Any = figures
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node, leaf


def not_applicable(rules: RuleSet, on: date) -> dict[str, dict[str, str]]:
    """The report's ``not_applicable`` map: empty when every rule was in force."""
    return {
        key: RuleNotInForce(family, on, _first(rules, family)).as_reason()
        for key, family in withheld_metrics(rules).items()
    }


def _first(rules: RuleSet, family: str) -> date | None:
    # A withheld required family holds its first version as a stand-in; an optional one none.
    stand_in = getattr(rules, family, None)
    return stand_in.effective_from if stand_in is not None else None
