"""Village tier application: commands of village/community station operators."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from services.village.domain import Activity, GroupRecord
from shared.capabilities.approvals.application import check_unlocked
from shared.capabilities.approvals.domain import approval_events
from shared.capabilities.identity.accounts import account_events
from shared.capabilities.ledger.domain import ledger_events
from shared.capabilities.platforms.domain import platform_events
from shared.kernel.domain import (
    CommandResult,
    Conflict,
    InvalidInput,
    Meta,
    check_not_future,
    legal_date,
)
from shared.kernel.integration.events import PlatformKind
from shared.kernel.jurisdiction import Tier
from shared.kernel.themes import check as check_themes
from shared.tier.application import TierApplication


class VillageApplication(TierApplication):
    name = "village"
    tier = Tier.VILLAGE
    published: ClassVar[dict[type, str]] = {
        GroupRecord.Applied: "sanji.village.group.applied.v1",
        Activity.Reported: "sanji.village.activity.reported.v1",
        **platform_events("village"),
        **ledger_events("village"),
        **account_events("village"),
        **approval_events(Tier.VILLAGE),
    }
    platform_kinds = frozenset({PlatformKind.VILLAGE_STATION})

    def apply_for_filing(
        self,
        village_code: str,
        name: str,
        field: str,
        founded_on: date,
        meta: Meta,
        category: str = "general",
    ) -> CommandResult:
        """A resident group applies at its village station to be filed by the township."""
        if self.division_in_force(village_code, meta).tier is not Tier.VILLAGE:
            raise InvalidInput("unknown_division", f"{village_code} is not a village/community")
        self.check_jurisdiction(meta, village_code)
        check_not_future("founded_on", founded_on, self.clock())
        if founded_on > legal_date(meta.effective_at):
            raise InvalidInput(
                "founded_after_application",
                f"成立日期 {founded_on} 晚于申请日期 {legal_date(meta.effective_at)} / founded on "
                f"{founded_on}, after the application",
            )
        group_id, replayed = self.create_id(meta)
        if replayed:
            return replayed
        group = GroupRecord.apply_for_filing(
            group_id,
            meta,
            village_code=village_code,
            name=name,
            field=field,
            founded_on=founded_on,
            category=category,
        )
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
        themes: Sequence[str] = (),
        cases_taken: int | None = None,
        cases_resolved: int | None = None,
    ) -> CommandResult:
        """The station records an activity of an active organisation in its village, with
        the themes it served (in force on its date) and, for mediation, the disputes taken and
        resolved (ADR 0019)."""
        check_cases(cases_taken, cases_resolved)
        org = self.facts(organisation_id, meta)
        check_not_future("occurred_on", occurred_on, self.clock())
        # The vocabulary version that allowed the themes is recorded like any rule version.
        vocabulary = check_themes(self.rules, themes, occurred_on)
        if vocabulary is not None:
            meta = replace(meta, rule_version=vocabulary)
        # An approved period's figures must not change under it (ADR 0008).
        check_unlocked(self, org.village_code, occurred_on)
        if not org.active_on(occurred_on):
            raise Conflict(
                "organisation_not_active",
                f"organisation {organisation_id} was not active (filed or registered) "
                f"on {occurred_on.isoformat()}",
            )
        # Filing follows the application, which follows the founding; records applied before
        # that order was enforced can still have a group founded after it was filed.
        group = self.find(organisation_id)
        if isinstance(group, GroupRecord) and occurred_on < group.founded_on:
            raise Conflict(
                "activity_before_founding",
                f"活动日期 {occurred_on} 早于成立日期 {group.founded_on} / the activity on "
                f"{occurred_on} is before the group was founded ({group.founded_on})",
            )
        activity_id, replayed = self.create_id(meta, organisation_id)
        if replayed:
            return replayed
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
            themes=list(themes),
            cases_taken=cases_taken,
            cases_resolved=cases_resolved,
        )
        return self.commit(activity, organisation_id)


def check_cases(taken: int | None, resolved: int | None) -> None:
    """Disputes resolved are among those taken: resolved needs taken, and never exceeds it."""
    if resolved is None:
        return
    if taken is None or resolved > taken:
        raise InvalidInput(
            "cases_resolved_exceed_taken",
            f"调解成功件数（{resolved}）不能多于受理件数（{taken if taken is not None else '未填'}）"
            f" / cases resolved ({resolved}) exceed cases taken ({taken})",
        )
