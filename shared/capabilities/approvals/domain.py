"""Approval of periodic returns (定期报表审核): village → township → county (ADR 0008).

A periodic return is one (kind, village, period): an activity return for a month, quarter,
half-year or year, or the annual statistics of a year. Its states are DHIS2's: the village
*submits* it, the township *approves* or *returns* it, the county *accepts* or *returns* the
approved one; only the county (the tier above the approving township) may *unapprove* an
approval or *unaccept* an acceptance, always with a reason. A returned return goes back to the
village, which may submit it again.

Each tier writes only its own store, so the return's history is a chain of **steps**, each its
own one-event aggregate in the store of the tier that took it, with an id derived from (return,
step number). Exactly one tier may act in each state, and only on a state it has seen, so the
steps form one line; two operators taking the same step collide on the step's id (409). The
state of a return is its last step: every tier's read model keeps it (shared/projection/
approvals.py), and a command looks at its own store for steps not yet projected back.

The class paths below are a storage contract in all three stores (ADR 0002).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from shared.kernel.domain import Conflict, InvalidInput, Meta, OutOfJurisdiction
from shared.kernel.domain import SanjiAggregate as Agg
from shared.kernel.jurisdiction import Tier
from shared.kernel.periods import Period, parse_period


class ReturnKind(StrEnum):
    ACTIVITY_RETURN = "activity_return"  # 活动情况报表: a month, quarter, half-year or year
    ANNUAL_STATISTICS = "annual_statistics"  # 年度统计报表: a year


class ReturnState(StrEnum):
    NONE = "none"  # never submitted
    SUBMITTED = "submitted"  # 已报送 (awaiting the township)
    APPROVED = "approved"  # 乡镇已审核 (awaiting the county)
    ACCEPTED = "accepted"  # 县级已接收
    RETURNED = "returned"  # 已退回 (back to the village)


class Action(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    RETURN = "return"
    ACCEPT = "accept"
    UNAPPROVE = "unapprove"
    UNACCEPT = "unaccept"


S = ReturnState
# (action, tier) → (states it may start from, state it leads to). One tier per state acts.
TRANSITIONS: dict[tuple[Action, Tier], tuple[frozenset[ReturnState], ReturnState]] = {
    (Action.SUBMIT, Tier.VILLAGE): (frozenset({S.NONE, S.RETURNED}), S.SUBMITTED),
    (Action.APPROVE, Tier.TOWNSHIP): (frozenset({S.SUBMITTED}), S.APPROVED),
    (Action.RETURN, Tier.TOWNSHIP): (frozenset({S.SUBMITTED}), S.RETURNED),
    (Action.ACCEPT, Tier.COUNTY): (frozenset({S.APPROVED}), S.ACCEPTED),
    (Action.RETURN, Tier.COUNTY): (frozenset({S.APPROVED}), S.RETURNED),
    (Action.UNAPPROVE, Tier.COUNTY): (frozenset({S.APPROVED}), S.SUBMITTED),
    (Action.UNACCEPT, Tier.COUNTY): (frozenset({S.ACCEPTED}), S.APPROVED),
}
# Actions that must say why (a return, and every reversal by the higher tier).
NEEDS_REASON = frozenset({Action.RETURN, Action.UNAPPROVE, Action.UNACCEPT})
# While a return is in one of these states, its village's records of its period are locked.
LOCKING = frozenset({S.SUBMITTED, S.APPROVED, S.ACCEPTED})


def transition(state: ReturnState, action: Action, tier: Tier, reason: str = "") -> ReturnState:
    """The state ``action`` by an operator of ``tier`` leads to from ``state``: 403
    ``wrong_tier`` if another tier takes that action, 409 ``illegal_transition`` if not from
    this state, 422 ``reason_required`` for a return or reversal without a reason."""
    rule = TRANSITIONS.get((action, tier))
    if rule is None:
        tiers = sorted(str(t) for a, t in TRANSITIONS if a is action)
        raise OutOfJurisdiction(
            "wrong_tier", f"a {tier} operator may not {action} a return (only: {', '.join(tiers)})"
        )
    sources, target = rule
    if state not in sources:
        raise Conflict("illegal_transition", f"cannot {action} a return that is {state}")
    if action in NEEDS_REASON and not reason.strip():
        raise InvalidInput("reason_required", f"to {action} a return needs a reason")
    return target


# ------------------------------------------------------------------ identities and periods


@lru_cache(maxsize=1 << 14)  # a pure function the lock check calls 5 times per activity
def return_id(kind: ReturnKind | str, division_code: str, period_label: str) -> UUID:
    """One return per (kind, division, period), whoever asks: the id is derived from them."""
    return uuid5(NAMESPACE_URL, f"sanji:return:{kind}:{division_code}:{period_label}")


@lru_cache(maxsize=1 << 14)  # uuid5 (SHA-1 and a new UUID) was a tenth of an import's CPU
def step_id(return_id: UUID, step: int) -> UUID:
    """Step ``step`` of a return's history: one aggregate, so a step is taken at most once."""
    return uuid5(return_id, f"step:{step}")


def return_period(kind: ReturnKind, label: str) -> Period:
    """The period a return covers: annual statistics are for a year; activity returns for a
    month, quarter, half-year or year (422 ``invalid_period`` otherwise)."""
    period = parse_period(label)
    if kind is ReturnKind.ANNUAL_STATISTICS and len(period.label) != 4:
        raise InvalidInput("invalid_period", "annual statistics are for a year (YYYY)")
    return period


def periods_covering(day: date) -> list[tuple[ReturnKind, str]]:
    """Every (kind, period label) whose return would cover ``day``: the candidates a lock
    check looks at."""
    y, m = day.year, day.month
    labels = [f"{y}-{m:02d}", f"{y}-Q{(m - 1) // 3 + 1}", f"{y}-H{(m - 1) // 6 + 1}", f"{y}"]
    return [(ReturnKind.ACTIVITY_RETURN, lb) for lb in labels] + [
        (ReturnKind.ANNUAL_STATISTICS, f"{y}")
    ]


@dataclass(frozen=True)
class Position:
    """Where a return stands: its last step and the state it left."""

    step: int = 0
    state: ReturnState = ReturnState.NONE


# ------------------------------------------------------------------ the aggregate


class ReturnStep(Agg):
    """One step of a return's history, recorded by the tier that took it."""

    if TYPE_CHECKING:
        return_id: UUID
        step: int
        state: str

    class Event(Agg.Event):
        ABOUT_ORGANISATION = False  # the envelope carries no organisation for these

    class Taken(Event, Agg.Created):
        """What every step states: which return, which step, the state it leads to."""

        return_id: UUID
        kind: str
        division_code: str
        period: str
        period_from: date
        period_to: date
        step: int
        state: str
        reason: str

        def apply(self, step: Any) -> None:
            step.return_id = self.return_id
            step.step = self.step
            step.state = self.state

    class Submitted(Taken):
        """The village submitted (or resubmitted) the return with its figures then."""

        cycle: int  # 1 for the first submission, 2 after the first return, …
        figures: dict[str, int]
        content_hash: str
        watermarks: dict[str, int]

    class Approved(Taken):
        pass

    class Returned(Taken):
        pass

    class Accepted(Taken):
        pass

    class Unapproved(Taken):
        pass

    class Unaccepted(Taken):
        pass

    @classmethod
    def take(cls, action: Action, meta: Meta, **fields: Any) -> ReturnStep:
        """Record a step: ``fields`` name the return, the step number and the state it leads to."""
        step = step_id(fields["return_id"], fields["step"])
        return cls._create(EVENTS[action], id=step, meta=meta, **fields)


EVENTS: dict[Action, type[ReturnStep.Taken]] = {
    Action.SUBMIT: ReturnStep.Submitted,
    Action.APPROVE: ReturnStep.Approved,
    Action.RETURN: ReturnStep.Returned,
    Action.ACCEPT: ReturnStep.Accepted,
    Action.UNAPPROVE: ReturnStep.Unapproved,
    Action.UNACCEPT: ReturnStep.Unaccepted,
}
PAST = {
    Action.SUBMIT: "submitted",
    Action.APPROVE: "approved",
    Action.RETURN: "returned",
    Action.ACCEPT: "accepted",
    Action.UNAPPROVE: "unapproved",
    Action.UNACCEPT: "unaccepted",
}


def approval_events(tier: Tier) -> dict[type, str]:
    """A tier application's ``published`` entries for the steps it takes: the integration
    type names the tier that took the step (``sanji.township.return.returned.v1``)."""
    return {EVENTS[a]: f"sanji.{tier}.return.{PAST[a]}.v1" for a, t in TRANSITIONS if t is tier}
