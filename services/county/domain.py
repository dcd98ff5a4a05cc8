"""County tier domain: registration by the civil-affairs bureau, charter, party organisation,
annual reports, ratings, funding awards, deregistration and revocation.

Event class paths are a storage contract (ADR 0002): never rename, version with class_version.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from services.county import credit
from shared.kernel.calendar import Deadline
from shared.kernel.domain import Conflict, Meta, legal_date
from shared.kernel.domain import SanjiAggregate as Agg


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
        listings: dict[str, dict[str, Any]]  # credit list → its clocks (services/county/credit.py)
        grade: int | None
        grade_valid_until: date | None

    began_by = ("before_registration", "登记", "registration")

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
            reg.listings = {}
            reg.grade = None
            reg.grade_valid_until = None

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

        def apply(self, reg: Any) -> None:
            if self.grade is not None:
                reg.grade, reg.grade_valid_until = self.grade, self.grade_valid_until

    class GradeExpired(Agg.Event):
        """The evaluation grade's validity ended (recorded by the timer, ADR 0007)."""

        village_code: str
        grade: int
        valid_until: date

        def apply(self, reg: Any) -> None:
            reg.grade = reg.grade_valid_until = None

    class CreditListEntered(Agg.Event):
        # Version 2 added ``trigger`` (the reason code, rules family "credit") and whether it
        # needs a verified rectification. An entry from before reason codes is treated as
        # needing one: it never leaves by the 6 months alone (ADR 0007). Version 3 added
        # ``clock_from``: set when the entry is dated back, the day it was recorded, from which
        # the list's clocks run so that backdating shortens none of them (ADR 0013); None
        # (every entry before version 3): from the effective date.
        class_version = 3

        village_code: str
        credit_list: str
        reason: str
        trigger: str | None
        rectification_required: bool
        clock_from: date | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["trigger"] = None
            state["rectification_required"] = True

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["clock_from"] = None

        def apply(self, reg: Any) -> None:
            reg.credit_lists.add(self.credit_list)
            credit.entered(
                reg,
                self.credit_list,
                self.trigger,
                self.rectification_required,
                self.meta,
                self.clock_from,
            )

    class CreditListTriggered(Agg.Event):
        """A new trigger while on the list: restarts its clock."""

        # Version 2 added ``clock_from`` (as CreditListEntered version 3, ADR 0013).
        class_version = 2

        village_code: str
        credit_list: str
        trigger: str
        reason: str
        rectification_required: bool
        clock_from: date | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["clock_from"] = None

        def apply(self, reg: Any) -> None:
            credit.triggered(
                reg,
                self.credit_list,
                self.trigger,
                self.rectification_required,
                self.meta,
                self.clock_from,
            )

    class CreditListNotified(Agg.Event):
        """Written notice (告知书) served about a listing."""

        village_code: str
        credit_list: str
        document: str

    class CreditObjectionLodged(Agg.Event):
        """The organisation objects (异议) to a listing."""

        village_code: str
        credit_list: str
        grounds: str

        def apply(self, reg: Any) -> None:
            reg.listings[self.credit_list]["objection"] = True

    class CreditObjectionDecided(Agg.Event):
        """Upheld (removal follows as CreditListLeft) or rejected (the listing stands)."""

        village_code: str
        credit_list: str
        upheld: bool
        reason: str

        def apply(self, reg: Any) -> None:
            reg.listings[self.credit_list]["objection"] = False

    class RectificationVerified(Agg.Event):
        """Rectification verified (查实): removal due by ``removal_due`` (working days)."""

        # Version 2 (issue 12) added ``provisional`` (the deadline ran past the calendar's
        # years and was counted on Monday–Friday there) and ``counted_from`` (the day the
        # working days are counted after, so the timer can recount it with a newer calendar).
        # Version 1 refused uncovered dates, so its deadlines were never provisional.
        class_version = 2

        village_code: str
        credit_list: str
        removal_due: date
        calendar_version: str
        provisional: bool
        counted_from: date | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["provisional"] = False
            state["counted_from"] = None

        def apply(self, reg: Any) -> None:
            listing = reg.listings[self.credit_list]
            listing["open"] = []
            listing["removal_due"] = self.removal_due
            listing["removal_calendar"] = self.calendar_version
            listing["removal_provisional"] = self.provisional
            listing["removal_counted_from"] = self.counted_from

    class RemovalDueRecomputed(Agg.Event):
        """A provisional removal deadline recounted with a calendar version covering it
        (issue 12, ADR 0007): ``removal_due`` replaces ``previous_due``."""

        village_code: str
        credit_list: str
        removal_due: date
        previous_due: date
        calendar_version: str
        provisional: bool

        def apply(self, reg: Any) -> None:
            listing = reg.listings[self.credit_list]
            listing["removal_due"] = self.removal_due
            listing["removal_calendar"] = self.calendar_version
            listing["removal_provisional"] = self.provisional

    class CreditListLeft(Agg.Event):
        village_code: str
        credit_list: str
        reason: str

        def apply(self, reg: Any) -> None:
            reg.credit_lists.discard(self.credit_list)
            reg.listings.pop(self.credit_list, None)

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

    class Reinstated(Agg.Event):
        """A zombie exit reversed (ADR 0009): registered again, the exit kept in history."""

        village_code: str
        reason: str

        def apply(self, reg: Any) -> None:
            reg.status = "registered"

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

    def enter_credit_list(
        self,
        credit_list: str,
        reason: str,
        meta: Meta,
        trigger: str | None = None,
        rectification_required: bool = True,
        clock_from: date | None = None,
    ) -> None:
        if credit_list in self.credit_lists:
            raise Conflict("already_on_list", f"{self.id} is already on the {credit_list} list")
        self._trigger(
            self.CreditListEntered,
            meta,
            credit_list=credit_list,
            reason=reason,
            trigger=trigger,
            rectification_required=rectification_required,
            clock_from=clock_from,
        )

    def record_trigger(
        self, trigger: str, reason: str, fix: bool, meta: Meta, clock_from: date | None = None
    ) -> None:
        """A trigger (MCA order 60): onto the abnormal list, or its clock restarts there."""
        if credit.ABNORMAL not in self.credit_lists:
            self.enter_credit_list(credit.ABNORMAL, reason, meta, trigger, fix, clock_from)
            return
        self._credit(
            self.CreditListTriggered,
            credit.ABNORMAL,
            meta,
            trigger=trigger,
            reason=reason,
            rectification_required=fix,
            clock_from=clock_from,
        )

    def _credit(self, event_class: type, credit_list: str, meta: Meta, **fields: Any) -> None:
        # Allowed after exit too: lists, notices and objections are not acts of the organisation.
        if credit_list not in self.credit_lists:
            raise Conflict("not_on_list", f"{self.id} is not on the {credit_list} list")
        self.trigger_event(
            event_class,
            village_code=self.village_code,
            credit_list=credit_list,
            meta=meta,
            **fields,
        )

    def leave_credit_list(self, credit_list: str, reason: str, meta: Meta) -> None:
        self._credit(self.CreditListLeft, credit_list, meta, reason=reason)

    def notify(self, credit_list: str, document: str, meta: Meta) -> None:
        self._credit(self.CreditListNotified, credit_list, meta, document=document)

    def lodge_objection(self, credit_list: str, grounds: str, meta: Meta) -> None:
        if self.credit_lists >= {credit_list} and self.listings[credit_list]["objection"]:
            raise Conflict("objection_pending", f"an objection to {credit_list} is undecided")
        self._credit(self.CreditObjectionLodged, credit_list, meta, grounds=grounds)

    def decide_objection(self, credit_list: str, upheld: bool, reason: str, meta: Meta) -> None:
        """Upheld: the listing was wrong and ends now; rejected: it stands."""
        if credit_list not in self.credit_lists or not self.listings[credit_list]["objection"]:
            raise Conflict("no_objection_pending", f"no undecided objection to {credit_list}")
        self._credit(self.CreditObjectionDecided, credit_list, meta, upheld=upheld, reason=reason)
        if upheld:
            self.leave_credit_list(credit_list, credit.OBJECTION_UPHELD, meta)

    def verify_rectification(self, due: Deadline, counted_from: date, meta: Meta) -> None:
        listing = self.listings.get(credit.ABNORMAL)
        if listing is not None and not listing["open"]:
            code = "removal_already_due" if listing["removal_due"] else "nothing_to_rectify"
            raise Conflict(code, f"{self.id} has no rectification to verify")
        self._credit(
            self.RectificationVerified,
            credit.ABNORMAL,
            meta,
            removal_due=due.day,
            calendar_version=due.calendar_version,
            provisional=due.provisional,
            counted_from=counted_from,
        )

    def provisional_removal(self) -> tuple[date, str, date] | None:
        """(due, calendar version, counted from) of a provisional removal deadline that can
        be recounted, or None."""
        listing = self.listings.get(credit.ABNORMAL) or {}
        if listing.get("removal_due") is None or not listing.get("removal_provisional"):
            return None
        if listing.get("removal_counted_from") is None:
            return None
        return listing["removal_due"], listing["removal_calendar"], listing["removal_counted_from"]

    def recompute_removal(self, due: Deadline, meta: Meta) -> None:
        previous = self.listings[credit.ABNORMAL]["removal_due"]
        self._credit(
            self.RemovalDueRecomputed,
            credit.ABNORMAL,
            meta,
            removal_due=due.day,
            previous_due=previous,
            calendar_version=due.calendar_version,
            provisional=due.provisional,
        )

    def escalate(self, meta: Meta) -> None:
        """2 years on the abnormal list: moved to the serious-violation list (history kept)."""
        self.leave_credit_list(credit.ABNORMAL, credit.ESCALATED, meta)
        self.trigger_event(
            self.CreditListEntered,
            village_code=self.village_code,
            credit_list=credit.SERIOUS,
            reason=credit.TWO_YEARS_ABNORMAL,
            trigger=None,
            rectification_required=False,
            clock_from=None,  # the rule's own due day: not backdating
            meta=meta,
        )

    def expire_grade(self, meta: Meta) -> None:
        assert self.grade is not None and self.grade_valid_until is not None
        self.trigger_event(
            self.GradeExpired,
            village_code=self.village_code,
            grade=self.grade,
            valid_until=self.grade_valid_until,
            meta=meta,
        )

    def deregister(self, reason: str, meta: Meta) -> None:
        self._trigger(self.Deregistered, meta, reason=reason)

    def revoke(self, reason: str, meta: Meta) -> None:
        self._trigger(self.Revoked, meta, reason=reason)

    def reinstate(self, reason: str, meta: Meta) -> None:
        if self.status not in ("revoked", "deregistered"):
            raise Conflict("illegal_transition", f"organisation {self.id} is {self.status}")
        self.trigger_event(
            self.Reinstated, village_code=self.village_code, reason=reason, meta=meta
        )


class FundingAward(Agg):
    """A project award in a funding programme; filed groups are paid through a registered host.
    Made directly, or by an approved application to a call (services/county/funding/domain.py);
    evaluated mid-term and finally (grade A/B/C by the ``funding`` rule), then closed (ADR 0011).
    """

    if TYPE_CHECKING:
        organisation_id: UUID
        village_code: str
        amount: Decimal
        disbursed: Decimal
        tranches: set[str]
        evaluations: dict[str, str]  # stage → grade
        closed: bool

    began_by = ("before_award", "资助决定", "award")

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
        # Version 2 (ADR 0011): the call and application an award came from, and what the
        # county knew of the organisation at the decision (status, credit, grade, lists).
        # Direct awards, and all awards before version 2, have none.
        # Version 3 (issue 14, ADR 0021): the purchasing department (购买主体) of a purchase
        # of services, and the beneficiaries the project plans to reach; none before it.
        # Version 4 (ADR 0021 addendum): the purchaser's code in the ``purchasers`` list;
        # ``purchaser`` was free text before it, and the code is None.
        class_version = 4
        call_id: UUID | None
        application_id: UUID | None
        snapshot: dict[str, Any] | None
        purchaser: str | None
        beneficiaries_planned: int | None
        purchaser_code: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["call_id"] = state["application_id"] = state["snapshot"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["purchaser"] = state["beneficiaries_planned"] = None

        @staticmethod
        def upcast_v3_v4(state: dict[str, Any]) -> None:
            state["purchaser_code"] = None

        def apply(self, award: Any) -> None:
            award.organisation_id = self.organisation_id
            award.village_code = self.village_code
            award.amount = self.amount
            award.disbursed = Decimal(0)
            award.tranches = set()
            award.evaluations = {}
            award.closed = False

    class Disbursed(Event):
        organisation_id: UUID
        village_code: str
        tranche: str
        amount: Decimal

        def apply(self, award: Any) -> None:
            award.disbursed += self.amount
            award.tranches.add(self.tranche)

    class Evaluated(Event):
        """Mid-term or final evaluation: the score and the grade the ``funding`` rule gives it
        (the rule version is in ``meta``)."""

        organisation_id: UUID
        village_code: str
        stage: str
        score: Decimal
        grade: str
        comment: str

        def apply(self, award: Any) -> None:
            award.evaluations[self.stage] = self.grade

    class Closed(Event):
        """The project is closed (结项): no more tranches; ``released`` is what was never paid."""

        organisation_id: UUID
        village_code: str
        final_grade: str
        released: Decimal
        reason: str
        # Version 2 (issue 14, ADR 0021): the beneficiaries the project reached, stated at
        # closure; projects closed before it state none.
        class_version = 2
        beneficiaries_reached: int | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["beneficiaries_reached"] = None

        def apply(self, award: Any) -> None:
            award.closed = True

    @classmethod
    def award(cls, id: UUID, meta: Meta, **fields: Any) -> FundingAward:
        for name in (
            "call_id",
            "application_id",
            "snapshot",
            "purchaser",
            "beneficiaries_planned",
            "purchaser_code",
        ):
            fields.setdefault(name, None)
        return cls._create(cls.Awarded, id=id, meta=meta, **fields)

    def _record(self, event_class: type, meta: Meta, **fields: Any) -> None:
        self.trigger_event(
            event_class,
            organisation_id=self.organisation_id,
            village_code=self.village_code,
            meta=meta,
            **fields,
        )

    def check_not_closed(self) -> None:
        if self.closed:
            raise Conflict("award_closed", f"award {self.id} is closed")

    def evaluate(self, stage: str, score: Decimal, grade: str, comment: str, meta: Meta) -> None:
        """Each stage once; no mid-term evaluation after the final one."""
        self.check_not_closed()
        if stage in self.evaluations:
            raise Conflict("already_evaluated", f"the {stage} evaluation is recorded")
        if stage == "mid_term" and "final" in self.evaluations:
            raise Conflict("final_already_evaluated", "the final evaluation is recorded")
        self._record(self.Evaluated, meta, stage=stage, score=score, grade=grade, comment=comment)

    def close(self, reason: str, meta: Meta, beneficiaries_reached: int | None = None) -> None:
        """Close the project: only after its final evaluation; what was not paid is released;
        the beneficiaries it reached are stated here (ADR 0021)."""
        self.check_not_closed()
        if "final" not in self.evaluations:
            raise Conflict("final_evaluation_required", "evaluate the project finally first")
        self._record(
            self.Closed,
            meta,
            final_grade=self.evaluations["final"],
            released=self.amount - self.disbursed,
            reason=reason,
            beneficiaries_reached=beneficiaries_reached,
        )

    def disburse(self, tranche: str, amount: Decimal, meta: Meta) -> None:
        """Pay a tranche; never more in total than awarded, never one tranche twice, never
        after the project is closed."""
        self.check_not_closed()
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
