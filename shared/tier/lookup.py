"""Facts about organisations that commands need from other tiers, read from the tier's own
read model (ADR 0001: a tier never calls another tier synchronously)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from shared.capabilities.divisions.trees import DivisionTrees
from shared.infrastructure.store import Database


@dataclass(frozen=True)
class OrgFacts:
    org_id: str
    village_code: str
    applied_on: str | None
    filed_on: str | None
    rejected_on: str | None
    filing_ended_on: str | None
    usci: str | None
    registered_on: str | None
    registration_ended_on: str | None

    def _within(self, start: str | None, end: str | None, day: str) -> bool:
        return start is not None and start <= day and (end is None or end > day)

    def registered_on_day(self, day: date) -> bool:
        return self._within(self.registered_on, self.registration_ended_on, day.isoformat())

    def filed_on_day(self, day: date) -> bool:
        """Filed and not superseded by a registration on that day (see reports._KIND)."""
        superseded = self.registered_on is not None and self.registered_on <= day.isoformat()
        return not superseded and self._within(self.filed_on, self.filing_ended_on, day.isoformat())

    def active_on(self, day: date) -> bool:
        return self.registered_on_day(day) or self.filed_on_day(day)

    @property
    def decided(self) -> bool:
        return self.filed_on is not None or self.rejected_on is not None

    @property
    def ever_registered(self) -> bool:
        return self.registered_on is not None


FACTS = (
    "SELECT org_id, village_code, applied_on, filed_on, rejected_on, filing_ended_on, usci,"
    " registered_on, registration_ended_on FROM org"
)


class OrganisationLookup:
    def __init__(self, db: Database) -> None:
        self.db = db
        # The division trees commands use, kept until a division change is projected (ADR 0029).
        self.trees = DivisionTrees(db)

    def close(self) -> None:
        self.trees.close()

    def get(self, org_id: UUID | str) -> OrgFacts | None:
        with self.db.transaction() as tx:
            row = tx.one(f"{FACTS} WHERE org_id = %s", (str(org_id),))
        return OrgFacts(**row) if row else None

    def get_many(self, org_ids: Sequence[UUID | str]) -> dict[str, OrgFacts]:
        """The facts of these organisations in one query (a bulk reader's prefetch)."""
        if not org_ids:
            return {}
        marks = ",".join(["%s"] * len(org_ids))
        with self.db.transaction() as tx:
            rows = tx.all(f"{FACTS} WHERE org_id IN ({marks})", [str(i) for i in org_ids])
        return {r["org_id"]: OrgFacts(**r) for r in rows}

    def usci_holder(self, usci: str) -> str | None:
        with self.db.transaction() as tx:
            row = tx.one("SELECT org_id FROM org WHERE usci = %s", (usci,))
        return row["org_id"] if row else None

    def funded_in_round(self, org_id: UUID | str, programme: str, round: str) -> bool:
        with self.db.transaction() as tx:
            row = tx.one(
                "SELECT 1 AS x FROM funding WHERE org_id = %s AND programme = %s AND round = %s",
                (str(org_id), programme, round),
            )
        return row is not None

    def annual_report_filed(self, org_id: UUID | str, year: int) -> bool:
        with self.db.transaction() as tx:
            row = tx.one(
                "SELECT 1 AS x FROM annual_report WHERE org_id = %s AND year = %s",
                (str(org_id), year),
            )
        return row is not None
