"""Village tier application: commands of village/community station operators."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from services.village.domain import Activity, GroupRecord
from shared.application import TierApplication
from shared.domain import (
    CommandResult,
    Conflict,
    InvalidInput,
    Meta,
    NotFound,
    check_not_future,
    new_id,
)
from shared.jurisdiction import Tier
from shared.projection.lookup import OrganisationLookup


class VillageApplication(TierApplication):
    name = "village"
    tier = Tier.VILLAGE
    published: ClassVar[dict[type, str]] = {
        GroupRecord.Applied: "sanji.village.group.applied.v1",
        Activity.Reported: "sanji.village.activity.reported.v1",
    }

    lookup: OrganisationLookup

    def apply_for_filing(
        self, village_code: str, name: str, field: str, founded_on: date, meta: Meta
    ) -> CommandResult:
        """A resident group applies at its village station to be filed by the township."""
        division = self.jurisdiction.get(village_code)
        if division is None or division.tier is not Tier.VILLAGE:
            raise InvalidInput("unknown_division", f"{village_code} is not a village/community")
        self.check_jurisdiction(meta, village_code)
        check_not_future("founded_on", founded_on, self.clock())
        group_id = new_id(meta)
        existing = self.find(group_id)
        if existing is not None:
            return self.replay(existing, meta) or _reused_key()
        group = GroupRecord.apply_for_filing(group_id, village_code, name, field, founded_on, meta)
        return self.commit(group)

    def report_activity(
        self,
        organisation_id: UUID,
        occurred_on: date,
        field: str,
        participants: int,
        volunteers: int,
        volunteer_services: int,
        volunteer_hours: Decimal,
        beneficiaries: int,
        money_spent: Decimal,
        meta: Meta,
    ) -> CommandResult:
        """The station records an activity of an active organisation in its village."""
        org = self.lookup.get(organisation_id)
        if org is None:
            raise NotFound("unknown_organisation", f"no organisation {organisation_id}")
        self.check_jurisdiction(meta, org.village_code)
        check_not_future("occurred_on", occurred_on, self.clock())
        if not org.active_on(occurred_on):
            raise Conflict(
                "organisation_not_active",
                f"organisation {organisation_id} was not active (filed or registered) "
                f"on {occurred_on.isoformat()}",
            )
        activity_id = new_id(meta)
        existing = self.find(activity_id)
        if existing is not None:
            return self.replay(existing, meta, organisation_id) or _reused_key()
        activity = Activity.report(
            activity_id,
            meta,
            organisation_id=organisation_id,
            village_code=org.village_code,
            occurred_on=occurred_on,
            field=field,
            participants=participants,
            volunteers=volunteers,
            volunteer_services=volunteer_services,
            volunteer_hours=volunteer_hours,
            beneficiaries=beneficiaries,
            money_spent=money_spent,
        )
        return self.commit(activity, organisation_id)


def _reused_key() -> CommandResult:
    raise InvalidInput(
        "idempotency_key_reused", "this Idempotency-Key was used for another request"
    )
