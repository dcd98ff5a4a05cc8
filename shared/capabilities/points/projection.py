"""Read model of resident points (ADR 0027): each community's pilot periods and the points
awarded or deducted by hand. Points earned at activities have no table: they are derived at
read time from ``activity``, ``activity_volunteer`` and ``activity_theme`` under the rule in
force on each activity's date (shared/reporting/points.py), so a rebuild gives them back
exactly and a rule version added later never rewrites what an older one computed.
``shared/tier/readmodel.py`` adds these to its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.infrastructure.store import Tx
from shared.kernel.domain import legal_date
from shared.kernel.integration import events as ev
from shared.kernel.integration.envelope import Envelope

SCHEMA = [
    # One row per period a community ran the pilot: from started_on, until ended_on (open).
    """CREATE TABLE IF NOT EXISTS points_pilot (
        village_code TEXT NOT NULL, started_on TEXT NOT NULL, ended_on TEXT,
        PRIMARY KEY (village_code, started_on)
    )""",
    """CREATE TABLE IF NOT EXISTS points_adjustment (
        adjustment_id TEXT PRIMARY KEY, village_code TEXT NOT NULL, volunteer_id TEXT NOT NULL,
        on_date TEXT NOT NULL, points INTEGER NOT NULL, reason TEXT NOT NULL,
        rule_version TEXT, actor TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS points_adjustment_village"
    " ON points_adjustment (village_code, on_date)",
]
TABLES = {
    "points_pilot": "village_code, started_on",
    "points_adjustment": "adjustment_id",
}

Handler = Callable[[Tx, Envelope, Any], None]


def turned_on(tx: Tx, env: Envelope, p: ev.PointsPilotTurnedOnV1) -> None:
    # Turned on again on the day it was turned off on (on → off → on, all one day): the empty
    # period that day is reopened, which is what the aggregate says (its empty period counts
    # for nothing). Keeping the old row closed would leave reads "off" while it is on.
    tx.execute(
        "INSERT INTO points_pilot (village_code, started_on) VALUES (%s, %s)"
        " ON CONFLICT (village_code, started_on) DO UPDATE SET ended_on = NULL",
        (p.village_code, p.started_on.isoformat()),
    )


def turned_off(tx: Tx, env: Envelope, p: ev.PointsPilotTurnedOffV1) -> None:
    # The event names the period it ends, so the answer does not depend on what else arrived.
    tx.execute(
        "UPDATE points_pilot SET ended_on = %s WHERE village_code = %s AND started_on = %s",
        (p.ended_on.isoformat(), p.village_code, p.started_on.isoformat()),
    )


def adjusted(tx: Tx, env: Envelope, p: ev.PointsAdjustedV1) -> None:
    tx.execute(
        "INSERT INTO points_adjustment (adjustment_id, village_code, volunteer_id, on_date,"
        " points, reason, rule_version, actor) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (adjustment_id) DO NOTHING",
        (
            str(p.adjustment_id),
            p.village_code,
            p.volunteer_id,
            legal_date(env.effective_at).isoformat(),
            p.points,
            p.reason,
            env.rule_version,
            env.actor.id,
        ),
    )


HANDLERS: dict[str, Handler] = {
    "sanji.village.points_pilot.turned_on.v1": turned_on,
    "sanji.village.points_pilot.turned_off.v1": turned_off,
    "sanji.village.points.adjusted.v1": adjusted,
}
