"""Figures of third-party evaluation (issue 16, ADR 0026 addendum), catalogue group ``evaluation``.

Findings and decisions count at the evaluated organisation's village (the event names it), so
they add up: county = Σ townships = Σ villages. An assignment belongs to the county alone and
spans villages, so assignments made count at the county's own level, like the courses a
county runs (``shared/reporting/training.py``): a township's figure is 0 and the county's is
its own. A finding counts in the period its evaluation day (``evaluated_on``, the day the
evaluator says it evaluated) falls in, up to the as-of date; a corrected finding counts once,
as its current version. A decision counts in the period it was taken.
"""

from __future__ import annotations

from datetime import date

from shared.infrastructure.store import Tx
from shared.kernel.periods import Period
from shared.reporting.figures import Counters, Scope


def _window(as_of: date, period: Period) -> tuple[str, str]:
    return period.start.isoformat(), min(period.end, as_of).isoformat()


def count_evaluation(
    tx: Tx, out: dict[str, Counters], s: Scope, as_of: date, period: Period
) -> None:
    start, end = _window(as_of, period)
    for r in tx.all(
        f"SELECT {s.by} AS k, COUNT(*) AS n, COUNT(DISTINCT org_id) AS orgs"
        " FROM evaluation_finding WHERE village_code LIKE %s AND superseded_by IS NULL"
        " AND evaluated_on BETWEEN %s AND %s GROUP BY 1",
        (s.like, start, end),
    ):
        out[r["k"]]["evaluation.findings"] += int(r["n"])
        out[r["k"]]["evaluation.organisations_evaluated"] += int(r["orgs"])
    # A decision's village is its finding's (the organisation's village when it was assigned);
    # the subquery keeps ``org_id`` unambiguous when counting per organisation.
    for r in tx.all(
        f"SELECT {s.by} AS k, COUNT(*) AS n,"
        " SUM(CASE WHEN outcome = 'accepted' THEN 1 ELSE 0 END) AS accepted FROM"
        " (SELECT f.village_code, d.org_id, d.outcome, d.decided_on FROM evaluation_decision d"
        "  JOIN evaluation_finding f ON f.finding_id = d.finding_id) x"
        " WHERE village_code LIKE %s AND decided_on BETWEEN %s AND %s GROUP BY 1",
        (s.like, start, end),
    ):
        out[r["k"]]["evaluation.decisions"] += int(r["n"])
        out[r["k"]]["evaluation.accepted"] += int(r["accepted"] or 0)


def count_assignments(
    tx: Tx, out: dict[str, Counters], s: Scope, as_of: date, period: Period
) -> None:
    """Assignments made, at the code of the county that made them (its own level)."""
    start, end = _window(as_of, period)
    for r in tx.all(
        "SELECT county_code, COUNT(*) AS n FROM evaluation_assignment WHERE county_code LIKE %s"
        " AND assigned_on BETWEEN %s AND %s GROUP BY 1",
        (s.like, start, end),
    ):
        out[r["county_code"]]["evaluation.assignments"] += int(r["n"])
