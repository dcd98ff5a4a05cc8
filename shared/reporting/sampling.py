"""Figures of random inspection sampling (ADR 0010), part of the supervision group.

A drawn organisation counts where it was when drawn (its village in the draw's record), in the
period in which the draw was made; how far the draws got is taken on the as-of date: drawn
organisations with an inspection recorded for their draw by then, and those inspections'
results. All counters are additive; the completion rate is derived after summing.
"""

from __future__ import annotations

from datetime import date

from shared.infrastructure.store import Tx
from shared.kernel.integration.events import InspectionResult
from shared.kernel.periods import Period
from shared.reporting.figures import Counters, Scope
from shared.reporting.ranges import span

RESULT_NAMES = {
    InspectionResult.COMPLIANT: "sampled_compliant",
    InspectionResult.RECTIFICATION_ORDERED: "sampled_rectification_ordered",
    InspectionResult.VIOLATION: "sampled_violations",
}


def count_sampling(tx: Tx, out: dict[str, Counters], s: Scope, as_of: date, period: Period) -> None:
    day, start = as_of.isoformat(), period.start.isoformat()
    end = min(period.end, as_of).isoformat()
    drawn = (
        f"SELECT s.{s.by} AS k, s.draw_id, s.org_id FROM sample_selection s"
        " WHERE s.village_code >= %s AND s.village_code < %s AND s.drawn_on BETWEEN %s AND %s"
    )
    for r in tx.all(
        f"SELECT d.k, COUNT(*) AS n, SUM(CASE WHEN EXISTS (SELECT 1 FROM sample_inspection i"
        " WHERE i.draw_id = d.draw_id AND i.org_id = d.org_id AND i.inspected_on <= %s)"
        f" THEN 1 ELSE 0 END) AS done FROM ({drawn}) d GROUP BY d.k",
        (day, *span(s.like), start, end),
    ):
        out[r["k"]]["supervision.sampled"] += int(r["n"])
        out[r["k"]]["supervision.sampled_inspected"] += int(r["done"] or 0)
    for r in tx.all(
        f"SELECT s.{s.by} AS k, i.result, COUNT(*) AS n FROM sample_inspection i"
        " JOIN sample_selection s ON s.draw_id = i.draw_id AND s.org_id = i.org_id"
        " WHERE s.village_code >= %s AND s.village_code < %s AND s.drawn_on BETWEEN %s AND %s"
        " AND i.inspected_on <= %s GROUP BY 1, 2",
        (*span(s.like), start, end, day),
    ):
        name = RESULT_NAMES[InspectionResult(r["result"])]
        out[r["k"]][f"supervision.{name}"] += int(r["n"])
