"""Additive monthly rollups of activities, kept by the projector with the rows (ADR 0030).

``activity_month`` holds, per (recorded village, organisation, calendar month of the day the
activity took place), the sums of every additive activity column and of its mediation cases.
The activity handler adds an activity to its month in the same transaction as its row, so the
rollup is exactly Σ of the rows at every commit, on the live projector and on a rebuild alike
(``readmodel.project``). Activities are immutable facts — a correction is another activity, a
backdated one lands in its own (earlier) month — so the rollup only ever grows by addition.

Reports read full months of a period here and only the days at its ragged ends from
``activity`` (``shared.reporting.monthly``). Per organisation rather than per village, because
"active organisations" and the ranking inputs are per organisation: a village's figures are
sums over its organisations' rows; ``COUNT(DISTINCT org_id)`` over a period's rows gives the
organisations active in it.
"""

from __future__ import annotations

from typing import Any

from shared.infrastructure.store import Tx
from shared.reporting.monthly import COLUMNS

# Summed per month, in the order of ``activity``'s columns, then the cases (0 when none
# stated): the columns reports read (``monthly.COLUMNS``) after the count of activities.
SUMS = COLUMNS[1:]

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS activity_month (
        village_code TEXT NOT NULL, org_id TEXT NOT NULL, month TEXT NOT NULL,
        activities BIGINT NOT NULL, participants BIGINT NOT NULL, volunteers BIGINT NOT NULL,
        volunteer_services BIGINT NOT NULL, volunteer_hours_centi BIGINT NOT NULL,
        beneficiaries BIGINT NOT NULL, money_fen BIGINT NOT NULL,
        cases_taken BIGINT NOT NULL, cases_resolved BIGINT NOT NULL,
        PRIMARY KEY (village_code, month, org_id)
    )""",
    "CREATE INDEX IF NOT EXISTS activity_month_org ON activity_month (org_id, month)",
    # A period's (or the ranking window's) months over a whole county, read from the index
    # alone: every column a report sums is in it, month first. Without it each cold county
    # report scanned the whole table for ~20 % of its rows, twice (ADR 0030 addendum).
    # All columns in the key, not INCLUDE, so that SQLite (no INCLUDE) has the same index.
    "CREATE INDEX IF NOT EXISTS activity_month_period ON activity_month (month, village_code,"
    " org_id, activities, participants, volunteers, volunteer_services, volunteer_hours_centi,"
    " beneficiaries, money_fen, cases_taken, cases_resolved)",
    # The ragged ends of a period are read from ``activity`` by day, whatever the division.
    "CREATE INDEX IF NOT EXISTS activity_day ON activity (occurred_on, village_code)",
]

# Compared by rebuild-and-compare like every other read-model table.
TABLES = {"activity_month": "village_code, month, org_id"}

# From-scratch aggregation of the rows: what the rollup must equal at every commit. Used to
# fill the rollup of a read model that predates it (``FILL``) and by the tests.
FROM_ROWS = (
    "SELECT a.village_code, a.org_id, substr(a.occurred_on, 1, 7) AS month,"
    " COUNT(*) AS activities, SUM(a.participants) AS participants,"
    " SUM(a.volunteers) AS volunteers, SUM(a.volunteer_services) AS volunteer_services,"
    " SUM(a.volunteer_hours_centi) AS volunteer_hours_centi,"
    " SUM(a.beneficiaries) AS beneficiaries, SUM(a.money_fen) AS money_fen,"
    " COALESCE(SUM(c.cases_taken), 0) AS cases_taken,"
    " COALESCE(SUM(c.cases_resolved), 0) AS cases_resolved"
    " FROM activity a LEFT JOIN activity_cases c ON c.activity_id = a.activity_id"
    " GROUP BY a.village_code, a.org_id, substr(a.occurred_on, 1, 7)"
)

_COLUMNS = "village_code, org_id, month, activities, " + ", ".join(SUMS)

# Fills the rollup from the rows, for a read model whose activity rows were written before it
# existed (or by COPY, as the report benchmark does). ON CONFLICT: two processes starting at
# once on such a read model both fill it, with the same rows.
FILL = (
    f"INSERT INTO activity_month ({_COLUMNS}) SELECT * FROM ({FROM_ROWS}) AS r WHERE 1 = 1"
    " ON CONFLICT (village_code, month, org_id) DO NOTHING"
)


def backfill(tx: Tx) -> None:
    """Run after the schema on every start: fills the rollup once, from the rows; nothing to
    do as soon as it holds anything, which it does whenever ``activity`` does. Checked first:
    SQLite would aggregate every row before an SQL ``NOT EXISTS`` could stop it, and a write
    here, in the schema's transaction, would deadlock on PostgreSQL with another process
    creating the schema at the same time (each holding the SHARE lock of the
    ``CREATE INDEX IF NOT EXISTS`` on this table that the other's INSERT waits for): a fresh
    read model, like one already filled, writes nothing."""
    if tx.all("SELECT 1 FROM activity_month LIMIT 1"):
        return
    if tx.all("SELECT 1 FROM activity LIMIT 1"):
        tx.write(FILL)


_ADD = ", ".join(f"{c} = activity_month.{c} + excluded.{c}" for c in ("activities", *SUMS))


def add_activity(
    tx: Tx,
    activity_id: str,
    village_code: str,
    org_id: str,
    occurred_on: str,
    sums: tuple[int, ...],
) -> None:
    """Add one activity to its month, unless its row is already there (a replay): run before
    the row is inserted, in the same transaction, so no answer is awaited (pipelined batches)."""
    marks = ", ".join(["%s"] * (4 + len(SUMS)))
    tx.write(
        f"INSERT INTO activity_month ({_COLUMNS}) SELECT {marks}"
        " WHERE NOT EXISTS (SELECT 1 FROM activity WHERE activity_id = %s)"
        f" ON CONFLICT (village_code, month, org_id) DO UPDATE SET {_ADD}",
        (village_code, org_id, occurred_on[:7], 1, *sums, activity_id),
    )


# The key under which a bulk batch holds its activities for :func:`add_activities` (not a
# statement: a batch's activities become one upsert per month touched, see there).
ACTIVITY = "rollups.activity"
_UPSERT = (
    f"INSERT INTO activity_month ({_COLUMNS}) VALUES ({', '.join(['%s'] * (4 + len(SUMS)))})"
    f" ON CONFLICT (village_code, month, org_id) DO UPDATE SET {_ADD}"
)
_PRESENT_CHUNK = 500  # ids per lookup: well under either engine's limit on parameters


def add_activities(tx: Tx, activities: list[tuple[Any, ...]]) -> None:
    """Add a batch's activities to their months, as :func:`add_activity` would one by one:
    each ``(activity_id, village_code, org_id, occurred_on, *sums)`` counts unless its row is
    already there or an earlier one of the batch has the same id (the batch's rows are
    written after this, so the first statement of an id is the one whose row is kept). One
    upsert per month touched instead of one per activity: 5,000 activities of a batch fall
    in a few hundred (village, organisation, month) keys."""
    if not activities:
        return
    ids = list(dict.fromkeys(str(a[0]) for a in activities))
    seen: set[str] = set()
    for i in range(0, len(ids), _PRESENT_CHUNK):
        chunk = ids[i : i + _PRESENT_CHUNK]
        marks = ", ".join(["%s"] * len(chunk))
        rows = tx.all(f"SELECT activity_id FROM activity WHERE activity_id IN ({marks})", chunk)
        seen.update(r["activity_id"] for r in rows)
    totals: dict[tuple[str, str, str], list[int]] = {}
    for activity_id, village_code, org_id, occurred_on, *sums in activities:
        if activity_id in seen:
            continue
        seen.add(activity_id)
        key = (village_code, org_id, occurred_on[:7])
        total = totals.get(key)
        if total is None:
            totals[key] = [1, *sums]
        else:
            total[0] += 1
            for n, value in enumerate(sums, 1):
                total[n] += value
    tx.write_many(_UPSERT, [(*key, *total) for key, total in totals.items()])
