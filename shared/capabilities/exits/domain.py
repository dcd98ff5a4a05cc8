"""Zombie exit (僵尸组织退出, ADR 0009): the rule, and the exit proceeding as an aggregate.

A proceeding is one organisation's way out, in the store of the tier that decides its exit: the
county for registered organisations, the township for filed groups (domain.md §3). It starts
with a **notice** (公告/告知), recorded with the rule version and the day the notice period ends;
only from the day after does the timer step act: it **stops** the proceeding with a recorded
reason if the organisation became guarded or active meanwhile, else records the **exit** (with
the organisation's own exit event — revocation, deregistration or cancelled filing — saved in
the same transaction). An exit is undone only by a **reversal**, a compensating event; nothing
is deleted. Ids derive from (organisation, number), so one organisation has one open proceeding
at a time and two operators starting the same one collide.

The class paths below are a storage contract in the county and township stores (ADR 0002).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from shared.kernel.domain import Conflict, Meta, legal_date
from shared.kernel.domain import SanjiAggregate as Agg
from shared.kernel.rules import RuleVersion, months_before

FAMILY = "zombie_exit"
RECTIFY = "rectify"  # 限期整改: a deadline, after which the default exit follows
GUARDS = ("open_inspection_case", "unspent_funds", "active_project", "recent_activity")


@dataclass(frozen=True)
class ExitRule:
    """The ``zombie_exit`` rule version in force: criteria, periods, guards and outcomes."""

    version: str
    criteria: dict[str, list[str]]  # 2021 criterion → the zombie list's reason codes
    notice_days: int
    rectify_days: int
    recent_activity_days: int
    active_project_months: int
    guards: tuple[str, ...]
    outcomes: dict[str, dict[str, Any]]  # kind (registered/filed) → default and allowed

    @classmethod
    def of(cls, rule: RuleVersion) -> ExitRule:
        p = rule.parameters
        return cls(
            version=rule.version,
            criteria={k: list(v) for k, v in p["criteria"].items()},
            notice_days=int(p["notice_days"]),
            rectify_days=int(p["rectify_days"]),
            recent_activity_days=int(p["recent_activity_days"]),
            active_project_months=int(p["active_project_months"]),
            guards=tuple(g for g in p["guards"] if g in GUARDS),
            outcomes=p["outcomes"],
        )

    def criteria_met(self, reason_codes: set[str]) -> list[str]:
        """The 2021 criteria the zombie list's reasons meet, in the rule's order."""
        return [c for c, codes in self.criteria.items() if reason_codes & set(codes)]

    def default_outcome(self, kind: str) -> str:
        return str(self.outcomes[kind]["default"])

    def allowed(self, kind: str) -> list[str]:
        return list(self.outcomes[kind]["allowed"])

    def period_end(self, noticed_on: date, outcome: str) -> date:
        """The last day of the notice period (or of the rectification deadline): the timer
        acts from the day after."""
        days = self.rectify_days if outcome == RECTIFY else self.notice_days
        return noticed_on + timedelta(days=days)

    def recent_since(self, today: date) -> date:
        return today - timedelta(days=self.recent_activity_days)

    def projects_since(self, today: date) -> date:
        return months_before(today, self.active_project_months)


def proceeding_id(organisation_id: UUID, number: int) -> UUID:
    """The ``number``-th exit proceeding of an organisation (1, 2, …)."""
    return uuid5(NAMESPACE_URL, f"sanji:zombie-exit:{organisation_id}:{number}")


class ExitProceeding(Agg):
    """One organisation's zombie-exit proceeding: noticed → stopped | exited (→ reversed)."""

    if TYPE_CHECKING:
        organisation_id: UUID
        village_code: str
        number: int
        outcome: str
        exit_outcome: str
        state: str
        due_on: date
        noticed_on: date

    class Event(Agg.Event):
        ID_NAME = "proceeding_id"

    class Noticed(Event, Agg.Created):
        """Notice served (公告): the rule version is on the meta; no exit before ``due_on``."""

        organisation_id: UUID
        village_code: str
        number: int
        outcome: str  # revoke / deregister / cancel_filing / rectify
        exit_outcome: str  # what follows at due_on unless stopped (rectify → the default)
        reasons: list[str]  # the zombie list's reason codes
        criteria: list[str]  # the 2021 criteria met
        notice_ends_on: date
        due_on: date

        def apply(self, p: Any) -> None:
            p.organisation_id, p.village_code = self.organisation_id, self.village_code
            p.number, p.outcome, p.exit_outcome = self.number, self.outcome, self.exit_outcome
            p.due_on, p.state = self.due_on, "noticed"
            p.noticed_on = legal_date(self.meta.effective_at)

    class Stopped(Event):
        """No exit: rectified, active or guarded meanwhile, or withdrawn (reason code)."""

        organisation_id: UUID
        village_code: str
        reason: str
        detail: str

        def apply(self, p: Any) -> None:
            p.state = "stopped"

    class Exited(Event):
        """The exit took place (the organisation's own exit event is saved with it)."""

        organisation_id: UUID
        village_code: str
        outcome: str

        def apply(self, p: Any) -> None:
            p.state = "exited"

    class Reversed(Event):
        """The exit is undone (the organisation is reinstated by its own event)."""

        organisation_id: UUID
        village_code: str
        reason: str

        def apply(self, p: Any) -> None:
            p.state = "reversed"

    @classmethod
    def notice(cls, organisation_id: UUID, number: int, meta: Meta, **fields: Any) -> Any:
        return cls._create(
            cls.Noticed,
            id=proceeding_id(organisation_id, number),
            meta=meta,
            organisation_id=organisation_id,
            number=number,
            **fields,
        )

    def _record(self, event_class: type, meta: Meta, **fields: Any) -> None:
        self.trigger_event(
            event_class,
            organisation_id=self.organisation_id,
            village_code=self.village_code,
            meta=meta,
            **fields,
        )

    def check_state(self, *states: str) -> None:
        if self.state not in states:
            raise Conflict(f"exit_{self.state}", f"exit proceeding {self.id} is {self.state}")

    def stop(self, reason: str, detail: str, meta: Meta) -> None:
        self.check_state("noticed")
        self._record(self.Stopped, meta, reason=reason, detail=detail)

    def exit(self, meta: Meta) -> None:
        self.check_state("noticed")
        self._record(self.Exited, meta, outcome=self.exit_outcome)

    def reverse(self, reason: str, meta: Meta) -> None:
        self.check_state("exited")
        self._record(self.Reversed, meta, reason=reason)


def exit_events(tier: str) -> dict[type, str]:
    """A tier application's ``published`` entries for its exit proceedings."""
    return {
        ExitProceeding.Noticed: f"sanji.{tier}.zombie_exit.noticed.v1",
        ExitProceeding.Stopped: f"sanji.{tier}.zombie_exit.stopped.v1",
        ExitProceeding.Exited: f"sanji.{tier}.zombie_exit.exited.v1",
        ExitProceeding.Reversed: f"sanji.{tier}.zombie_exit.reversed.v1",
    }
