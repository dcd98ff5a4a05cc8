"""Figures of training courses (issue 16, ADR 0024), catalogue group ``training``.

Trainees and organisations reached count where the attending organisation is (its village),
whichever tier ran the course, so they add up: county = Σ townships = Σ villages. An
organisation belongs to one village, so its distinct count per village adds up too. Courses
held count at the code of the division that ran them (the county's own level, a township's
own level), like the service platforms: a county's figure is its own courses plus its
townships'. A course counts in the period its first day falls in, up to the as-of date;
a cancelled course never counts, and an attendance corrected to 0 reaches nobody.
"""

from __future__ import annotations

from datetime import date

from shared.infrastructure.store import Tx
from shared.kernel.periods import Period
from shared.reporting.figures import Counters, Scope
from shared.reporting.ranges import span


def _window(as_of: date, period: Period) -> tuple[str, str]:
    return period.start.isoformat(), min(period.end, as_of).isoformat()


def count_training(tx: Tx, out: dict[str, Counters], s: Scope, as_of: date, period: Period) -> None:
    start, end = _window(as_of, period)
    for r in tx.all(
        f"SELECT {s.by} AS k, SUM(trainees) AS trainees, COUNT(DISTINCT org_id) AS orgs"
        " FROM training_attendance WHERE village_code >= %s AND village_code < %s AND starts_on BETWEEN %s AND %s"
        " AND cancelled = 0 AND trainees > 0 GROUP BY 1",
        (*span(s.like), start, end),
    ):
        out[r["k"]]["training.trainees"] += int(r["trainees"] or 0)
        out[r["k"]]["training.organisations_reached"] += int(r["orgs"])
    # Commendations (评先评优): organisations commended in rounds published in the period, at
    # their village; one commended by both the county and its township counts once.
    for r in tx.all(
        f"SELECT {s.by} AS k, COUNT(DISTINCT org_id) AS n FROM commendation"
        " WHERE village_code >= %s AND village_code < %s AND published_on BETWEEN %s AND %s GROUP BY 1",
        (*span(s.like), start, end),
    ):
        out[r["k"]]["training.commended"] += int(r["n"])


def count_courses(tx: Tx, out: dict[str, Counters], s: Scope, as_of: date, period: Period) -> None:
    """Courses held, at the code of the division running them (its own level)."""
    start, end = _window(as_of, period)
    for r in tx.all(
        "SELECT division_code, COUNT(*) AS n FROM training_course WHERE division_code >= %s AND division_code < %s"
        " AND starts_on BETWEEN %s AND %s AND cancelled_on IS NULL GROUP BY 1",
        (*span(s.like), start, end),
    ):
        out[r["division_code"]]["training.courses_held"] += int(r["n"])
