"""Approval states of periodic returns in a division report (ADR 0008).

Not figures of the catalogue: they describe the reporting process, not the organisations, so
they sit beside ``figures`` (``approvals`` on the report and on each child line) and never
enter the counter cache or reconciliation. Returns count where their village counts in the
report's tree, and belong to a report when their period lies within the report's period.
"""

from __future__ import annotations

from typing import Any

from shared.capabilities.approvals import projection as rm
from shared.capabilities.approvals.domain import ReturnState
from shared.infrastructure.store import Row, Tx
from shared.kernel.jurisdiction import Jurisdiction, Tier, contains, tier_of
from shared.kernel.periods import Period

STATES = [str(s) for s in ReturnState if s is not ReturnState.NONE]


def _entry(row: Row) -> dict[str, Any]:
    return {
        "return_id": row["return_id"],
        "kind": row["kind"],
        "division_code": row["division_code"],
        "period": row["period"],
        "state": row["state"],
        "state_on": row["state_on"],
        "content_hash": row["content_hash"],
        "links": {"self": f"/api/v1/returns/{row['return_id']}"},
    }


def _summary(rows: list[Row], listed: bool) -> dict[str, Any]:
    counts = dict.fromkeys(STATES, 0)
    for r in rows:
        counts[r["state"]] += 1
    summary: dict[str, Any] = {"counts": counts, "total": len(rows)}
    if listed:
        summary["returns"] = [_entry(r) for r in rows]
    return summary


def approvals(
    tx: Tx, j: Jurisdiction, code: str, period: Period, children: list[str]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The division's summary (counts by state; the returns themselves for a village), and
    one per child division (``children``: codes; villages list their returns)."""
    rows = [
        r
        for r in rm.listed(tx, j.patterns(code), period.start, period.end)
        if contains(code, j.resolve(r["division_code"]))
    ]
    per_child = {
        child: _summary(
            [r for r in rows if contains(child, j.resolve(r["division_code"]))],
            listed=tier_of(child) is Tier.VILLAGE,
        )
        for child in children
    }
    return _summary(rows, listed=tier_of(code) is Tier.VILLAGE), per_child
