"""Read model of zombie-exit proceedings (ADR 0009): one row per proceeding, its state the last
step seen. Steps of one proceeding come from one store, in order, so the last one wins. The
organisation's exit itself is in the ``org`` row (``registration_ended_on`` /
``filing_ended_on``, set by the organisation's own exit events and cleared by reinstatement);
this table says which exits a proceeding made, which notices are pending, and which were
stopped or reversed and why. ``shared/tier/readmodel.py`` adds the table and handlers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.infrastructure.store import Row, Tx
from shared.kernel.domain import legal_date
from shared.kernel.integration import events as ev
from shared.kernel.integration.envelope import Envelope

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS zombie_exit (
        proceeding_id TEXT PRIMARY KEY, org_id TEXT NOT NULL, village_code TEXT NOT NULL,
        source_tier TEXT NOT NULL, outcome TEXT NOT NULL, exit_outcome TEXT NOT NULL,
        reasons TEXT NOT NULL, criteria TEXT NOT NULL, noticed_on TEXT NOT NULL,
        notice_ends_on TEXT NOT NULL, due_on TEXT NOT NULL, rule_version TEXT,
        state TEXT NOT NULL, closed_on TEXT, closed_reason TEXT, reversed_on TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS zombie_exit_org ON zombie_exit (org_id)",
    "CREATE INDEX IF NOT EXISTS zombie_exit_village ON zombie_exit (village_code, state)",
]
TABLES = {"zombie_exit": "proceeding_id"}

Handler = Callable[[Tx, Envelope, Any], None]


def _on(env: Envelope) -> str:
    return legal_date(env.effective_at).isoformat()


def noticed(tx: Tx, env: Envelope, p: ev.ZombieExitNoticedV1) -> None:
    tx.write(
        "INSERT INTO zombie_exit (proceeding_id, org_id, village_code, source_tier, outcome,"
        " exit_outcome, reasons, criteria, noticed_on, notice_ends_on, due_on, rule_version,"
        " state) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'noticed')"
        " ON CONFLICT (proceeding_id) DO NOTHING",
        (
            str(p.proceeding_id),
            str(env.organisation_id),
            env.division_code,
            str(env.source_tier),
            p.outcome,
            p.exit_outcome,
            " ".join(p.reasons),
            " ".join(p.criteria),
            _on(env),
            p.notice_ends_on.isoformat(),
            p.due_on.isoformat(),
            env.rule_version,
        ),
    )


def stopped(tx: Tx, env: Envelope, p: ev.ZombieExitStoppedV1) -> None:
    tx.write(
        "UPDATE zombie_exit SET state = 'stopped', closed_on = %s, closed_reason = %s"
        " WHERE proceeding_id = %s",
        (_on(env), p.reason, str(p.proceeding_id)),
    )


def exited(tx: Tx, env: Envelope, p: ev.ZombieExitExitedV1) -> None:
    tx.write(
        "UPDATE zombie_exit SET state = 'exited', closed_on = %s, closed_reason = %s"
        " WHERE proceeding_id = %s",
        (_on(env), p.outcome, str(p.proceeding_id)),
    )


def reversed_(tx: Tx, env: Envelope, p: ev.ZombieExitReversedV1) -> None:
    tx.write(
        "UPDATE zombie_exit SET state = 'reversed', reversed_on = %s WHERE proceeding_id = %s",
        (_on(env), str(p.proceeding_id)),
    )


HANDLERS: dict[str, Handler] = {
    f"sanji.{tier}.zombie_exit.{action}.v1": handler
    for tier in ("township", "county")
    for action, handler in (
        ("noticed", noticed),
        ("stopped", stopped),
        ("exited", exited),
        ("reversed", reversed_),
    )
}


def proceedings(tx: Tx, like: str, state: str | None = None) -> list[Row]:
    """Proceedings of organisations recorded in villages matching ``like``, oldest first."""
    sql = "SELECT * FROM zombie_exit WHERE village_code LIKE %s"
    params: tuple[Any, ...] = (like,)
    if state is not None:
        sql, params = sql + " AND state = %s", (*params, state)
    return tx.all(sql + " ORDER BY noticed_on, proceeding_id", params)


def due(tx: Tx, today: str) -> list[str]:
    """Proceedings whose notice period (or rectification deadline) is over by ``today``."""
    rows = tx.all(
        "SELECT proceeding_id FROM zombie_exit WHERE state = 'noticed' AND due_on <= %s"
        " ORDER BY due_on, proceeding_id",
        (today,),
    )
    return [r["proceeding_id"] for r in rows]
