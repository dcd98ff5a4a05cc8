"""Township tier domain: filing decisions (备案), charters of filed groups, inspections.

Event class paths are a storage contract (ADR 0002): never rename, version with class_version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from shared.kernel.domain import Conflict, Meta
from shared.kernel.domain import SanjiAggregate as Agg


class Filing(Agg):
    """The township's decision on a group's filing application; id = the organisation id."""

    if TYPE_CHECKING:
        # State set by the events' apply() methods, declared for mypy only: annotations in the
        # class body itself would make eventsourcing treat the aggregate as a dataclass.
        village_code: str
        status: str

    began_by = ("before_filing", "备案决定", "filing decision")

    class Filed(Agg.Created):
        village_code: str
        filing_number: str
        name: str
        field: str

        def apply(self, filing: Any) -> None:
            filing.village_code = self.village_code
            filing.status = "filed"

    class Rejected(Agg.Created):
        village_code: str
        reason: str

        def apply(self, filing: Any) -> None:
            filing.village_code = self.village_code
            filing.status = "rejected"

    class CharterApproved(Agg.Event):
        village_code: str
        party_clause: bool
        integrity_clause: bool

    class Cancelled(Agg.Event):
        village_code: str
        reason: str

        def apply(self, filing: Any) -> None:
            filing.status = "cancelled"

    class Reinstated(Agg.Event):
        """A zombie exit reversed (ADR 0009): filed again, the cancellation kept in history."""

        village_code: str
        reason: str

        def apply(self, filing: Any) -> None:
            filing.status = "filed"

    @classmethod
    def file(
        cls, id: UUID, village_code: str, number: str, name: str, field: str, meta: Meta
    ) -> Filing:
        return cls._create(
            cls.Filed,
            id=id,
            village_code=village_code,
            filing_number=number,
            name=name,
            field=field,
            meta=meta,
        )

    @classmethod
    def reject(cls, id: UUID, village_code: str, reason: str, meta: Meta) -> Filing:
        return cls._create(cls.Rejected, id=id, village_code=village_code, reason=reason, meta=meta)

    def check_filed(self) -> None:
        if self.status != "filed":
            raise Conflict("illegal_transition", f"filing {self.id} is {self.status}, not filed")

    def approve_charter(self, party_clause: bool, integrity_clause: bool, meta: Meta) -> None:
        self.check_filed()
        self.trigger_event(
            self.CharterApproved,
            village_code=self.village_code,
            party_clause=party_clause,
            integrity_clause=integrity_clause,
            meta=meta,
        )

    def cancel(self, reason: str, meta: Meta) -> None:
        self.check_filed()
        self.trigger_event(self.Cancelled, village_code=self.village_code, reason=reason, meta=meta)

    def reinstate(self, reason: str, meta: Meta) -> None:
        if self.status != "cancelled":
            raise Conflict("illegal_transition", f"filing {self.id} is {self.status}")
        self.trigger_event(
            self.Reinstated, village_code=self.village_code, reason=reason, meta=meta
        )


class Inspection(Agg):
    """A spot check (抽查) of an organisation, and the rectification it may order."""

    if TYPE_CHECKING:
        # State set by the events' apply() methods, declared for mypy only: annotations in the
        # class body itself would make eventsourcing treat the aggregate as a dataclass.
        organisation_id: UUID
        village_code: str
        result: str
        rectified: bool

    began_by = ("before_inspection", "检查", "inspection")

    class Event(Agg.Event):
        ID_NAME = "inspection_id"

    class Recorded(Event, Agg.Created):
        # Version 2 added ``draw_id``, the draw it fulfils (ADR 0010); earlier ones had none.
        class_version = 2

        organisation_id: UUID
        village_code: str
        result: str
        findings: str
        inspectors: list[str]
        draw_id: UUID | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["draw_id"] = None

        def apply(self, inspection: Any) -> None:
            inspection.organisation_id = self.organisation_id
            inspection.village_code = self.village_code
            inspection.result = self.result
            inspection.rectified = False

    class RectificationCompleted(Event):
        organisation_id: UUID
        village_code: str

        def apply(self, inspection: Any) -> None:
            inspection.rectified = True

    @classmethod
    def record(cls, id: UUID, meta: Meta, **fields: Any) -> Inspection:
        fields.setdefault("draw_id", None)
        return cls._create(cls.Recorded, id=id, meta=meta, **fields)

    def complete_rectification(self, meta: Meta) -> None:
        if self.result != "rectification_ordered":
            raise Conflict("illegal_transition", f"inspection {self.id} ordered no rectification")
        if self.rectified:
            raise Conflict("illegal_transition", f"inspection {self.id} is already rectified")
        self.trigger_event(
            self.RectificationCompleted,
            organisation_id=self.organisation_id,
            village_code=self.village_code,
            meta=meta,
        )
