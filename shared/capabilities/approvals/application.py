"""Commands on periodic returns, the same code at every tier (ADR 0008).

The state machine (``shared/capabilities/approvals/domain.py``) says which tier may take which step; these
functions find where a return stands — the tier's read model, plus its own steps not yet
projected back — check the step, and record it in the tier's own store. The village's records
of a period are locked while a return covering it is submitted, approved or accepted
(:func:`check_unlocked`).
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import date
from typing import TYPE_CHECKING, Any
from uuid import UUID

from shared.capabilities.approvals import projection as rm
from shared.capabilities.approvals.domain import (
    LOCKING,
    Action,
    Position,
    ReturnKind,
    ReturnState,
    ReturnStep,
    periods_covering,
    return_id,
    return_period,
    step_id,
    transition,
)
from shared.infrastructure.store import Row
from shared.kernel.domain import CommandResult, Conflict, InvalidInput, Meta, NotFound, legal_date
from shared.kernel.jurisdiction import Tier

# How long a submission waits for this tier's read model to apply what its store holds before
# it answers 409 ``projection_behind``. Any record of the tier (another village's activity, a
# sign-in) moves the store's head; the projector follows within milliseconds, so a clerk's
# submission should wait that out rather than be told to retry.
PROJECTION_WAIT_SECONDS = 2.0

if TYPE_CHECKING:  # type only: the tier application is composed above this layer
    from shared.tier.application import TierApplication


def _ahead(app: TierApplication, rid: UUID, position: Position) -> Position:
    """``position`` moved past the steps this tier has taken but not yet projected back."""
    while (taken := app.find(step_id(rid, position.step + 1))) is not None:
        position = Position(taken.step, ReturnState(taken.state))
    return position


def _seen(row: Row | None) -> Position:
    return Position(row["step"], ReturnState(row["state"])) if row else Position()


def _row(app: TierApplication, rid: UUID) -> Row | None:
    with app.lookup.db.transaction() as tx:
        return rm.positions(tx, [str(rid)]).get(str(rid))


def _result(step: ReturnStep, version: int, replayed: bool = False) -> CommandResult:
    extra = {"return_id": step.return_id, "step": step.step, "state": step.state}
    return CommandResult(step.id, version, None, replayed, extra)


def _replayed(
    app: TierApplication, rid: UUID, position: Position, meta: Meta
) -> CommandResult | None:
    """The original result if this request (by idempotency key) took the latest step."""
    head = app.find(step_id(rid, position.step)) if position.step else None
    # Each step is a record of its own: the client's version names none of them (ADR 0035).
    replay = meta.without_precondition()
    if not isinstance(head, ReturnStep) or (version := head.replayed_version(replay)) is None:
        return None
    return _result(head, version, replayed=True)


def _projected_figures(
    app: TierApplication, division_code: str, start: date, end: date
) -> tuple[dict[str, int], dict[str, int]]:
    """The village's figures for the period and the read model's positions they were read at
    (the return's watermarks), once the read model holds every record the tier has stored
    (ADR 0008): both read in one snapshot, the position compared with the store's head, and
    read again until ``PROJECTION_WAIT_SECONDS`` have passed."""
    deadline = time.monotonic() + PROJECTION_WAIT_SECONDS
    while True:
        with app.lookup.db.snapshot() as tx:
            marks = {r["source"]: int(r["position"]) for r in tx.all("SELECT * FROM tracking")}
            figures = rm.figures(tx, division_code, start, end)
        if marks.get(app.name, 0) >= (app.recorder.max_notification_id() or 0):
            return figures, marks
        if time.monotonic() >= deadline:
            raise Conflict("projection_behind", "recent records are still being projected; retry")
        time.sleep(0.01)


def content_hash(fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def submit(
    app: TierApplication, kind: ReturnKind, division_code: str, label: str, meta: Meta
) -> CommandResult:
    """The village submits (or, after a return, resubmits) its return for a period, with its
    figures as its read model holds them now."""
    period = return_period(kind, label)
    if app.division_in_force(division_code, meta).tier is not Tier.VILLAGE:
        raise InvalidInput("unknown_division", f"{division_code} is not a village/community")
    app.check_jurisdiction(meta, division_code)
    if period.end >= legal_date(app.clock()):
        raise InvalidInput("period_not_ended", f"period {period.label} has not ended yet")
    rid = return_id(kind, division_code, period.label)
    row = _row(app, rid)
    position = _ahead(app, rid, _seen(row))
    if replayed := _replayed(app, rid, position, meta):
        return replayed
    state = transition(position.state, Action.SUBMIT, app.tier)
    figures, marks = _projected_figures(app, division_code, period.start, period.end)
    stated = {"kind": str(kind), "division_code": division_code, "period": period.label}
    step = ReturnStep.take(
        Action.SUBMIT,
        meta,
        **stated,
        return_id=rid,
        period_from=period.start,
        period_to=period.end,
        step=position.step + 1,
        state=str(state),
        reason="",
        cycle=((row or {}).get("cycle") or 0) + 1,
        figures=figures,
        content_hash=content_hash({**stated, "figures": figures}),
        watermarks=marks,
    )
    app.save(step)
    return _result(step, step.version)


def decide(
    app: TierApplication, rid: UUID, action: Action, reason: str, meta: Meta
) -> CommandResult:
    """A township or county step on a return it has seen: approve, return, accept, unapprove,
    unaccept (which tier may take which: ``shared.capabilities.approvals.domain.TRANSITIONS``)."""
    row = _row(app, rid)
    if row is None:
        raise NotFound("unknown_return", f"no return {rid} (yet) at the {app.tier}")
    app.check_jurisdiction(meta, row["division_code"])
    position = _ahead(app, rid, _seen(row))
    if replayed := _replayed(app, rid, position, meta):
        return replayed
    state = transition(position.state, action, app.tier, reason)
    if action is Action.APPROVE:
        _check_figures(app, row)
    step = ReturnStep.take(
        action,
        meta,
        return_id=rid,
        kind=row["kind"],
        division_code=row["division_code"],
        period=row["period"],
        period_from=date.fromisoformat(row["period_from"]),
        period_to=date.fromisoformat(row["period_to"]),
        step=position.step + 1,
        state=str(state),
        reason=reason.strip(),
    )
    app.save(step)
    return _result(step, step.version)


def _check_figures(app: TierApplication, row: Row) -> None:
    """The township approves only figures it can reproduce from its own read model: a record
    of the period stored after the submission, or not yet seen here, shows as a difference."""
    start, end = date.fromisoformat(row["period_from"]), date.fromisoformat(row["period_to"])
    with app.lookup.db.transaction() as tx:
        here = rm.figures(tx, row["division_code"], start, end)
    if row["figures"] is None or json.loads(row["figures"]) != here:
        raise Conflict(
            "figures_differ",
            f"the {app.tier}'s records of {row['period']} differ from the submitted figures:"
            " retry once they arrive, or return the return",
        )


def check_unlocked(app: TierApplication, village_code: str, day: date) -> None:
    """409 ``period_locked`` if a return covering ``day`` for this village is submitted,
    approved or accepted. Locks come only from the village's own submissions, which it sees
    in its own store at once; unlocking (a return) reaches it through its read model."""
    candidates = {
        return_id(k, village_code, label): (k, label) for k, label in periods_covering(day)
    }
    rows = app.return_positions(list(candidates))
    seen = {rid: _seen(rows.get(str(rid))) for rid in candidates}
    # Whether this tier took a step beyond its read model, for all five at once: usually none.
    taken = app.find_many([step_id(rid, p.step + 1) for rid, p in seen.items()])
    for rid, (kind, label) in candidates.items():
        position = seen[rid]
        if step_id(rid, position.step + 1) in taken:
            position = _ahead(app, rid, position)
        if position.state in LOCKING:
            raise Conflict(
                "period_locked",
                f"the {kind} {label} of {village_code} is {position.state}: records of"
                f" {day.isoformat()} are locked until a higher tier returns it",
            )
