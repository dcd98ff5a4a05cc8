"""Funding lifecycle domain (issue 6, ADR 0011): a call for a programme and round (征集/立项)
and the applications to it (申报). The award, its tranches, evaluations and closure are the
``FundingAward`` of ``services/county/domain.py``, created by an approved application.

Event class paths are a storage contract (ADR 0002): never rename, version with class_version.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from shared.kernel.domain import Conflict, Meta
from shared.kernel.domain import SanjiAggregate as Agg
from shared.kernel.rules import RuleVersion

SUBMITTED, APPROVED, REJECTED = "submitted", "approved", "rejected"
MID_TERM, FINAL = "mid_term", "final"


def call_id_for(programme: str, round: str) -> UUID:
    """One call per programme and round: a second one collides (409 ``call_exists``)."""
    return uuid5(NAMESPACE_URL, f"sanji:funding-call:{programme}:{round}")


def application_id_for(call_id: UUID, organisation_id: UUID) -> UUID:
    """One application per organisation and call (= round): a second one collides."""
    return uuid5(NAMESPACE_URL, f"sanji:funding-application:{call_id}:{organisation_id}")


def award_id_for(application_id: UUID) -> UUID:
    """The award an approved application creates (a retried approval finds the same one)."""
    return uuid5(NAMESPACE_URL, f"sanji:funding-award:{application_id}")


def grade_for(score: Decimal, rule: RuleVersion) -> str:
    """The evaluation grade of a score by the ``funding`` rule: the first band whose
    ``min_score`` the score reaches (A ≥ 85, B 60–84, C < 60 in the first version)."""
    bands = sorted(rule.parameters["grades"], key=lambda b: -Decimal(str(b["min_score"])))
    for band in bands:
        if score >= Decimal(str(band["min_score"])):
            return str(band["grade"])
    raise AssertionError(f"{rule.version}: no band for {score}")  # the lowest band starts at 0


class FundingCall(Agg):
    """A call for projects in one programme and round, with a budget and a deadline. Each
    approved award commits part of the budget (``Committed``), so two approvals racing for
    the last of it collide on the call's version."""

    if TYPE_CHECKING:
        county: str
        programme: str
        round: str
        budget: Decimal
        deadline: date
        committed: Decimal
        awards: list[UUID]
        closed: bool

    began_by = ("before_call", "征集公告发布", "call opening")

    class Event(Agg.Event):
        ID_NAME = "call_id"
        ABOUT_ORGANISATION = False

    class Opened(Event, Agg.Created):
        division_code: str  # the county
        programme: str
        round: str
        title: str
        budget: Decimal
        deadline: date

        def apply(self, call: Any) -> None:
            call.county = self.division_code
            call.programme, call.round = self.programme, self.round
            call.budget, call.deadline = self.budget, self.deadline
            call.committed = Decimal(0)
            call.awards = []
            call.closed = False

    class Committed(Event):
        """Part of the budget committed to an approved application's award."""

        division_code: str
        application_id: UUID
        award_id: UUID
        amount: Decimal

        def apply(self, call: Any) -> None:
            call.committed += self.amount
            call.awards.append(self.award_id)

    class Closed(Event):
        """No more applications; review, awards and tranches go on."""

        division_code: str
        reason: str

        def apply(self, call: Any) -> None:
            call.closed = True

    @classmethod
    def open(cls, meta: Meta, **fields: Any) -> FundingCall:
        call_id = call_id_for(fields["programme"], fields["round"])
        return cls._create(cls.Opened, id=call_id, meta=meta, **fields)

    @property
    def remaining(self) -> Decimal:
        return self.budget - self.committed

    def check_open(self, day: date) -> None:
        if self.closed:
            raise Conflict("call_closed", f"call {self.id} is closed")
        if day > self.deadline:
            raise Conflict("call_deadline_passed", f"the deadline was {self.deadline}")
        if day < self.began_on:
            raise Conflict(
                "application_before_call",
                f"申报日期 {day} 早于征集公告发布日期 {self.began_on} / applied on {day}, before "
                f"the call opened on {self.began_on}",
            )

    def commit(self, application_id: UUID, award_id: UUID, amount: Decimal, meta: Meta) -> None:
        if amount > self.remaining:
            raise Conflict(
                "over_budget", f"{amount} exceeds the call's remaining budget {self.remaining}"
            )
        self.trigger_event(
            self.Committed,
            division_code=self.county,
            application_id=application_id,
            award_id=award_id,
            amount=amount,
            meta=meta,
        )

    def close(self, reason: str, meta: Meta) -> None:
        if self.closed:
            raise Conflict("call_closed", f"call {self.id} is already closed")
        self.trigger_event(self.Closed, division_code=self.county, reason=reason, meta=meta)


class FundingApplication(Agg):
    """An organisation's application to a call (申报): a registered organisation, or a filed
    group through a registered host organisation; decided once (approved or rejected)."""

    if TYPE_CHECKING:
        call_id: UUID
        organisation_id: UUID
        village_code: str
        project: str
        requested: Decimal
        host_organisation_id: UUID | None
        purchaser: str | None
        purchaser_code: str | None
        beneficiaries_planned: int | None
        state: str

    began_by = ("before_funding_application", "申报", "application")

    class Event(Agg.Event):
        ID_NAME = "application_id"

    class Submitted(Event, Agg.Created):
        call_id: UUID
        organisation_id: UUID
        village_code: str
        programme: str
        round: str
        project: str
        requested: Decimal
        host_organisation_id: UUID | None
        # The applicant's declaration that the project has no other government money (a
        # project that has is refused, so a recorded application always declares False).
        other_government_funding: bool
        # Version 2 (issue 14, ADR 0021): the purchasing department (购买主体) of a purchase
        # of services and the beneficiaries planned; applications before it state neither.
        # Version 3 (ADR 0021 addendum): the purchaser's code in the ``purchasers`` list
        # (``purchaser`` then holds its name, or the department's own for 其他); before it,
        # ``purchaser`` was free text and the code is None.
        class_version = 3
        purchaser: str | None
        beneficiaries_planned: int | None
        purchaser_code: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["purchaser"] = state["beneficiaries_planned"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["purchaser_code"] = None

        def apply(self, application: Any) -> None:
            application.call_id = self.call_id
            application.organisation_id = self.organisation_id
            application.village_code = self.village_code
            application.project = self.project
            application.requested = self.requested
            application.host_organisation_id = self.host_organisation_id
            application.purchaser = self.purchaser
            application.purchaser_code = self.purchaser_code
            application.beneficiaries_planned = self.beneficiaries_planned
            application.state = SUBMITTED

    class Approved(Event):
        organisation_id: UUID
        village_code: str
        call_id: UUID
        award_id: UUID
        amount: Decimal

        def apply(self, application: Any) -> None:
            application.state = APPROVED

    class Rejected(Event):
        organisation_id: UUID
        village_code: str
        call_id: UUID
        reason: str

        def apply(self, application: Any) -> None:
            application.state = REJECTED

    @classmethod
    def submit(cls, call_id: UUID, organisation_id: UUID, meta: Meta, **fields: Any) -> Any:
        return cls._create(
            cls.Submitted,
            id=application_id_for(call_id, organisation_id),
            meta=meta,
            call_id=call_id,
            organisation_id=organisation_id,
            **fields,
        )

    def check_undecided(self) -> None:
        if self.state != SUBMITTED:
            raise Conflict("already_decided", f"application {self.id} was {self.state}")

    def _decide(self, event_class: type, meta: Meta, **fields: Any) -> None:
        self.check_undecided()
        self.trigger_event(
            event_class,
            organisation_id=self.organisation_id,
            village_code=self.village_code,
            call_id=self.call_id,
            meta=meta,
            **fields,
        )

    def approve(self, amount: Decimal, meta: Meta) -> UUID:
        if amount > self.requested:
            raise Conflict(
                "exceeds_requested", f"{amount} is more than the {self.requested} requested"
            )
        award_id = award_id_for(self.id)
        self._decide(self.Approved, meta, award_id=award_id, amount=amount)
        return award_id

    def reject(self, reason: str, meta: Meta) -> None:
        self._decide(self.Rejected, meta, reason=reason)


PURCHASE_OF_SERVICES = "purchase_of_services"
