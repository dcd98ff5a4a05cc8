"""Read model of periodic returns and their approval (ADR 0008): tables, handlers, queries.

``approval_return`` holds each return's current state: the step with the highest number wins,
whatever order the three tiers' steps arrive in (each step names its number), and the figures
of the latest submission likewise. ``approval_step`` keeps every step — the history, never
overwritten. ``shared/tier/readmodel.py`` adds the tables and handlers to its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, date
from typing import Any

from shared.infrastructure.store import Row, Tx
from shared.kernel.domain import legal_date
from shared.kernel.integration import events as ev
from shared.kernel.integration.envelope import Envelope

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS approval_return (
        return_id TEXT PRIMARY KEY, kind TEXT NOT NULL, division_code TEXT NOT NULL,
        period TEXT NOT NULL, period_from TEXT NOT NULL, period_to TEXT NOT NULL,
        step INTEGER NOT NULL, state TEXT NOT NULL, state_on TEXT, state_tier TEXT,
        reason TEXT, cycle INTEGER, submitted_step INTEGER, submitted_on TEXT,
        figures TEXT, content_hash TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS approval_return_division ON approval_return"
    " (division_code, period_from)",
    """CREATE TABLE IF NOT EXISTS approval_step (
        return_id TEXT NOT NULL, step INTEGER NOT NULL, action TEXT NOT NULL,
        state TEXT NOT NULL, tier TEXT NOT NULL, actor TEXT NOT NULL, reason TEXT NOT NULL,
        effective_on TEXT NOT NULL, recorded_at TEXT NOT NULL, source TEXT NOT NULL,
        position BIGINT NOT NULL, PRIMARY KEY (return_id, step)
    )""",
]
TABLES = {"approval_return": "return_id", "approval_step": "return_id, step"}

Handler = Callable[[Tx, Envelope, Any], None]


def _stamp(env: Envelope) -> str:
    return env.recorded_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # as readmodel


def step_taken(tx: Tx, env: Envelope, p: ev.ReturnStepV1) -> None:
    """Any step: the return's row (created by whichever step arrives first), its state if
    this step is the latest seen, and the step in the history."""
    rid, on = str(p.return_id), legal_date(env.effective_at).isoformat()
    tx.write(
        "INSERT INTO approval_return (return_id, kind, division_code, period, period_from,"
        " period_to, step, state) VALUES (%s, %s, %s, %s, %s, %s, 0, 'none')"
        " ON CONFLICT (return_id) DO NOTHING",
        (
            rid,
            p.kind,
            env.division_code,
            p.period,
            p.period_from.isoformat(),
            p.period_to.isoformat(),
        ),
    )
    tx.write(
        "UPDATE approval_return SET step = %s, state = %s, state_on = %s, state_tier = %s,"
        " reason = %s WHERE return_id = %s AND step < %s",
        (p.step, p.state, on, str(env.source_tier), p.reason, rid, p.step),
    )
    action = env.type.split(".")[3]
    tx.write(
        "INSERT INTO approval_step (return_id, step, action, state, tier, actor, reason,"
        " effective_on, recorded_at, source, position)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (return_id, step) DO NOTHING",
        (
            rid,
            p.step,
            action,
            p.state,
            str(env.source_tier),
            env.actor.id,
            p.reason,
            on,
            _stamp(env),
            env.source,
            env.position,
        ),
    )


def return_submitted(tx: Tx, env: Envelope, p: ev.ReturnSubmittedV1) -> None:
    step_taken(tx, env, p)
    tx.write(
        "UPDATE approval_return SET cycle = %s, submitted_step = %s, submitted_on = %s,"
        " figures = %s, content_hash = %s WHERE return_id = %s"
        " AND (submitted_step IS NULL OR submitted_step < %s)",
        (
            p.cycle,
            p.step,
            legal_date(env.effective_at).isoformat(),
            json.dumps(p.figures, sort_keys=True),
            p.content_hash,
            str(p.return_id),
            p.step,
        ),
    )


HANDLERS: dict[str, Handler] = {
    "sanji.village.return.submitted.v1": return_submitted,
    **{
        f"sanji.{tier}.return.{action}.v1": step_taken
        for tier, actions in (
            ("township", ("approved", "returned")),
            ("county", ("accepted", "returned", "unapproved", "unaccepted")),
        )
        for action in actions
    },
}


# ------------------------------------------------------------------ queries


def positions(tx: Tx, return_ids: Sequence[str]) -> dict[str, Row]:
    """The rows of these returns that this read model has seen, by id."""
    if not return_ids:
        return {}
    marks = ", ".join(["%s"] * len(return_ids))
    rows = tx.all(f"SELECT * FROM approval_return WHERE return_id IN ({marks})", return_ids)
    return {r["return_id"]: r for r in rows}


def history(tx: Tx, return_id: str) -> list[Row]:
    return tx.all(
        "SELECT step, action, state, tier, actor, reason, effective_on, recorded_at"
        " FROM approval_step WHERE return_id = %s ORDER BY step",
        (return_id,),
    )


# What a return states: the village's own records of the period (its activities).
FIGURES = (
    "activities",
    "organisations_with_activity",
    "participants",
    "volunteers",
    "volunteer_services",
    "volunteer_hours_centi",
    "beneficiaries",
    "money_fen",
)


def figures(tx: Tx, village_code: str, start: date, end: date) -> dict[str, int]:
    """The figures of a village's return for a period, from this read model."""
    row = tx.one(
        "SELECT COUNT(*) AS activities, COUNT(DISTINCT org_id) AS organisations_with_activity,"
        " COALESCE(SUM(participants), 0) AS participants,"
        " COALESCE(SUM(volunteers), 0) AS volunteers,"
        " COALESCE(SUM(volunteer_services), 0) AS volunteer_services,"
        " COALESCE(SUM(volunteer_hours_centi), 0) AS volunteer_hours_centi,"
        " COALESCE(SUM(beneficiaries), 0) AS beneficiaries,"
        " COALESCE(SUM(money_fen), 0) AS money_fen"
        " FROM activity WHERE village_code = %s AND occurred_on >= %s AND occurred_on <= %s",
        (village_code, start.isoformat(), end.isoformat()),
    )
    assert row is not None
    return {k: int(row[k]) for k in FIGURES}


def listed(
    tx: Tx,
    patterns: Sequence[str],
    start: date | None = None,
    end: date | None = None,
    state: str | None = None,
    kind: str | None = None,
) -> list[Row]:
    """Returns of the divisions matching ``patterns`` (``LIKE``) whose period lies within
    [start, end], optionally in one state or of one kind, in division and period order."""
    where = ["(" + " OR ".join(["division_code LIKE %s"] * len(patterns)) + ")"]
    params: list[Any] = list(patterns)
    for clause, value in (
        ("period_from >= %s", start.isoformat() if start else None),
        ("period_to <= %s", end.isoformat() if end else None),
        ("state = %s", state),
        ("kind = %s", kind),
    ):
        if value is not None:
            where.append(clause)
            params.append(value)
    rows = tx.all(
        f"SELECT * FROM approval_return WHERE {' AND '.join(where)}"
        " ORDER BY division_code, period_from, period_to, kind",
        params,
    )
    for r in rows:
        r["figures"] = json.loads(r["figures"]) if r["figures"] else None
    return rows
