"""County tier domain: registration by the civil-affairs bureau, charter, party organisation,
annual reports, ratings, funding awards, deregistration and revocation.

Event class paths are a storage contract (ADR 0002): never rename, version with class_version.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from shared.domain import Conflict, Meta, legal_date
from shared.domain import SanjiAggregate as Agg


class Registration(Agg):
    """A registered organisation (legal person with a USCI); id = the organisation id, which for
    an upgraded filed group is the id it had as a filed group (the two identities linked)."""

    if TYPE_CHECKING:
        # State set by the events' apply() methods, declared for mypy only: annotations in the
        # class body itself would make eventsourcing treat the aggregate as a dataclass.
        village_code: str
        usci: str
        status: str
        annual_reports: set[int]
        credit_lists: set[str]

    class Registered(Agg.Created):
        # Version 2 added ``category``; organisations registered before it are general.
        class_version = 2

        village_code: str
        usci: str
        name: str
        legal_form: str
        field: str
        upgraded_from_filing: bool
        category: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["category"] = "general"

        def apply(self, reg: Any) -> None:
            reg.village_code = self.village_code
            reg.usci = self.usci
            reg.status = "registered"
            reg.annual_reports = set()
            reg.credit_lists = set()

    class CharterApproved(Agg.Event):
        village_code: str
        party_clause: bool
        integrity_clause: bool

    class PartyOrganisationSetUp(Agg.Event):
        village_code: str
        kind: str

    class AnnualReportFiled(Agg.Event):
        village_code: str
        year: int

        def apply(self, reg: Any) -> None:
            reg.annual_reports.add(self.year)

    class Rated(Agg.Event):
        village_code: str
        credit: str | None
        grade: int | None
        grade_valid_until: date | None
        stars: int | None

    class CreditListEntered(Agg.Event):
        village_code: str
        credit_list: str
        reason: str

        def apply(self, reg: Any) -> None:
            reg.credit_lists.add(self.credit_list)

    class CreditListLeft(Agg.Event):
        village_code: str
        credit_list: str
        reason: str

        def apply(self, reg: Any) -> None:
            reg.credit_lists.discard(self.credit_list)

    class Deregistered(Agg.Event):
        village_code: str
        reason: str

        def apply(self, reg: Any) -> None:
            reg.status = "deregistered"

    class Revoked(Agg.Event):
        village_code: str
        reason: str

        def apply(self, reg: Any) -> None:
            reg.status = "revoked"

    @classmethod
    def register(cls, id: UUID, meta: Meta, **fields: Any) -> Registration:
        return cls._create(cls.Registered, id=id, meta=meta, **fields)

    def check_active(self) -> None:
        if self.status != "registered":
            raise Conflict("illegal_transition", f"organisation {self.id} is {self.status}")

    def _trigger(self, event_class: type, meta: Meta, **fields: Any) -> None:
        self.check_active()
        self.trigger_event(event_class, village_code=self.village_code, meta=meta, **fields)

    def approve_charter(self, party_clause: bool, integrity_clause: bool, meta: Meta) -> None:
        self._trigger(
            self.CharterApproved, meta, party_clause=party_clause, integrity_clause=integrity_clause
        )

    def set_up_party_organisation(self, kind: str, meta: Meta) -> None:
        self._trigger(self.PartyOrganisationSetUp, meta, kind=kind)

    def file_annual_report(self, year: int, meta: Meta) -> None:
        if year in self.annual_reports:
            raise Conflict("annual_report_already_filed", f"{self.id} already filed {year}")
        self._trigger(self.AnnualReportFiled, meta, year=year)

    def rate(self, meta: Meta, **rating: Any) -> None:
        self._trigger(self.Rated, meta, **rating)

    def enter_credit_list(self, credit_list: str, reason: str, meta: Meta) -> None:
        if credit_list in self.credit_lists:
            raise Conflict("already_on_list", f"{self.id} is already on the {credit_list} list")
        self._trigger(self.CreditListEntered, meta, credit_list=credit_list, reason=reason)

    def leave_credit_list(self, credit_list: str, reason: str, meta: Meta) -> None:
        # Allowed after exit too: removal from a list is not an act of the organisation.
        if credit_list not in self.credit_lists:
            raise Conflict("not_on_list", f"{self.id} is not on the {credit_list} list")
        self.trigger_event(
            self.CreditListLeft,
            village_code=self.village_code,
            credit_list=credit_list,
            reason=reason,
            meta=meta,
        )

    def deregister(self, reason: str, meta: Meta) -> None:
        self._trigger(self.Deregistered, meta, reason=reason)

    def revoke(self, reason: str, meta: Meta) -> None:
        self._trigger(self.Revoked, meta, reason=reason)


class FundingAward(Agg):
    """A project award in a funding programme; filed groups are paid through a registered host."""

    if TYPE_CHECKING:
        organisation_id: UUID
        village_code: str
        amount: Decimal
        disbursed: Decimal
        tranches: set[str]

    class Event(Agg.Event):
        ID_NAME = "award_id"

    class Awarded(Event, Agg.Created):
        organisation_id: UUID
        village_code: str
        programme: str
        round: str
        project: str
        amount: Decimal
        host_organisation_id: UUID | None

        def apply(self, award: Any) -> None:
            award.organisation_id = self.organisation_id
            award.village_code = self.village_code
            award.amount = self.amount
            award.disbursed = Decimal(0)
            award.tranches = set()

    class Disbursed(Event):
        organisation_id: UUID
        village_code: str
        tranche: str
        amount: Decimal

        def apply(self, award: Any) -> None:
            award.disbursed += self.amount
            award.tranches.add(self.tranche)

    @classmethod
    def award(cls, id: UUID, meta: Meta, **fields: Any) -> FundingAward:
        return cls._create(cls.Awarded, id=id, meta=meta, **fields)

    def disburse(self, tranche: str, amount: Decimal, meta: Meta) -> None:
        """Pay a tranche; never more in total than awarded, never one tranche twice."""
        if tranche in self.tranches:
            raise Conflict("tranche_already_disbursed", f"tranche {tranche!r} was already paid")
        if self.disbursed + amount > self.amount:
            raise Conflict(
                "exceeds_award",
                f"disbursing {amount} would exceed the award ({self.disbursed} of {self.amount} paid)",
            )
        self.trigger_event(
            self.Disbursed,
            organisation_id=self.organisation_id,
            village_code=self.village_code,
            tranche=tranche,
            amount=amount,
            meta=meta,
        )


class DivisionHistory(Agg):
    """The county's division changes (区划调整), one event per change, in the order recorded;
    id derived from the county code (one history per county). ADR 0005."""

    if TYPE_CHECKING:
        changes: list[dict[str, Any]]

    class Event(Agg.Event):
        ABOUT_ORGANISATION = False  # the envelope carries no organisation for these

    class Changed(Event):
        """One change, in force from ``meta.effective_at``; fields as hierarchy.Change."""

        division_code: str  # the county: the envelope's division
        sequence: int
        kind: str
        code: str
        name: str | None
        parent: str | None
        area: str | None
        registered_population: int | None
        resident_population: int | None
        merged: list[str]
        created: list[dict[str, Any]]
        successor: str | None
        retired: bool

        def apply(self, history: Any) -> None:
            fields = {k: v for k, v in self.__dict__.items() if k not in _NOT_CHANGE_FIELDS}
            fields["effective_on"] = legal_date(self.meta.effective_at).isoformat()
            history.changes.append(fields)

    class Started(Changed, Agg.Created):
        """The county's first recorded change, which starts its history."""

        def apply(self, history: Any) -> None:
            history.changes = []
            super().apply(history)

    @classmethod
    def start(cls, id: UUID, meta: Meta, **change: Any) -> DivisionHistory:
        return cls._create(cls.Started, id=id, meta=meta, sequence=1, **change)

    def record(self, meta: Meta, **change: Any) -> None:
        self.trigger_event(self.Changed, meta=meta, sequence=len(self.changes) + 1, **change)


_NOT_CHANGE_FIELDS = {
    "originator_id",
    "originator_version",
    "timestamp",
    "originator_topic",
    "meta",
    "division_code",
}
