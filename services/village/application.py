"""Village tier application: commands of village/community station operators."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import ClassVar
from uuid import UUID

from services.village.domain import (
    LEAVE_REASONS,
    Activity,
    GroupRecord,
    Volunteer,
    volunteer_key,
)
from services.village.points import PointsAdjustment, PointsPilot
from services.village.points_commands import PointsCommands
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
    NotFound,
    check_not_future,
    legal_date,
)
from shared.kernel.integration.events import PlatformKind
from shared.kernel.jurisdiction import Tier
from shared.kernel.themes import check as check_themes
from shared.kernel.volunteers import check_number
from shared.tier.application import TierApplication


class VillageApplication(PointsCommands, TierApplication):
    name = "village"
    tier = Tier.VILLAGE
    published: ClassVar[dict[type, str]] = {
        GroupRecord.Applied: "sanji.village.group.applied.v1",
        Activity.Reported: "sanji.village.activity.reported.v1",
        Volunteer.Registered: "sanji.village.volunteer.registered.v1",
        # Resident points (ADR 0027): both turn-ons publish one type.
        PointsPilot.Started: "sanji.village.points_pilot.turned_on.v1",
        PointsPilot.Resumed: "sanji.village.points_pilot.turned_on.v1",
        PointsPilot.Stopped: "sanji.village.points_pilot.turned_off.v1",
        PointsAdjustment.Recorded: "sanji.village.points.adjusted.v1",
        Volunteer.Left: "sanji.village.volunteer.left.v1",
        Volunteer.Rejoined: "sanji.village.volunteer.rejoined.v1",
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
        volunteer_ids: Sequence[str] = (),
    ) -> CommandResult:
        """The station records an activity of an active organisation in its village, with
        the themes it served (in force on its date) and, for mediation, the disputes taken and
        resolved (ADR 0019), and the volunteers of its register who served (ADR 0021)."""
        check_cases(cases_taken, cases_resolved)
        check_volunteer_count(volunteer_ids, volunteers)
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
        self.check_registered(org.village_code, volunteer_ids, occurred_on)
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
            volunteer_ids=list(volunteer_ids),
        )
        return self.commit(activity, organisation_id)

    # ------------------------------------------------------------ volunteer register

    def register_volunteer(self, village_code: str, volunteer_id: str, meta: Meta) -> CommandResult:
        """The station enters a volunteer in its register under the village's own number."""
        check_number(volunteer_id)
        if self.division_in_force(village_code, meta).tier is not Tier.VILLAGE:
            raise InvalidInput("unknown_division", f"{village_code} is not a village/community")
        self.check_jurisdiction(meta, village_code)
        key = volunteer_key(village_code, volunteer_id)
        if replayed := self.replay_create(key, meta, "volunteer_exists"):
            return replace(replayed, organisation_id=None)
        volunteer = Volunteer.register(meta, village_code, volunteer_id)
        self.save(volunteer)
        return CommandResult(volunteer.id, volunteer.version, None)

    def leave_volunteer(
        self, village_code: str, volunteer_id: str, reason: str, meta: Meta
    ) -> CommandResult:
        """A volunteer leaves the register (离开/注销) on the command's effective date, for a
        coded reason; activities after that day can no longer list them (ADR 0021 addendum)."""
        if reason not in LEAVE_REASONS:
            raise InvalidInput(
                "invalid_leave_reason",
                f"离开原因须为 {'、'.join(LEAVE_REASONS)} 之一 / reason must be one of"
                f" {', '.join(LEAVE_REASONS)}",
            )
        volunteer = self._volunteer(village_code, volunteer_id, meta)
        if (version := volunteer.replayed_version(meta)) is not None:
            return CommandResult(volunteer.id, version, None, replayed=True)
        day = legal_date(meta.effective_at)
        if volunteer.away:
            raise Conflict(
                "volunteer_already_left",
                f"志愿者 {volunteer_id} 已于 {volunteer.absences[-1][0]} 离开名册 / volunteer"
                f" {volunteer_id} left the register on {volunteer.absences[-1][0]}",
            )
        if volunteer.absences and day < (back := volunteer.absences[-1][1] or day):
            raise Conflict(
                "volunteer_left_before_rejoined",
                f"离开日期 {day} 早于重新加入日期 {back} / leaving on {day}, before re-joining"
                f" on {back}",
            )
        volunteer.leave(meta, day, reason)
        self.save(volunteer)
        return CommandResult(volunteer.id, volunteer.version, None)

    def rejoin_volunteer(self, village_code: str, volunteer_id: str, meta: Meta) -> CommandResult:
        """A volunteer who left comes back under the same number (a later event, never an
        erasure of the leaving): activities from that day on can list them again."""
        volunteer = self._volunteer(village_code, volunteer_id, meta)
        if (version := volunteer.replayed_version(meta)) is not None:
            return CommandResult(volunteer.id, version, None, replayed=True)
        day = legal_date(meta.effective_at)
        if not volunteer.away:
            raise Conflict(
                "volunteer_not_left",
                f"志愿者 {volunteer_id} 仍在名册中，无需重新加入 / volunteer {volunteer_id} has"
                " not left the register",
            )
        left_on = volunteer.absences[-1][0]
        if day <= left_on:
            raise Conflict(
                "volunteer_rejoined_before_left",
                f"重新加入日期 {day} 不晚于离开日期 {left_on} / re-joining on {day}, not after"
                f" leaving on {left_on}",
            )
        volunteer.rejoin(meta, day)
        self.save(volunteer)
        return CommandResult(volunteer.id, volunteer.version, None)

    def _volunteer(self, village_code: str, volunteer_id: str, meta: Meta) -> Volunteer:
        check_number(volunteer_id)
        if self.division_in_force(village_code, meta).tier is not Tier.VILLAGE:
            raise InvalidInput("unknown_division", f"{village_code} is not a village/community")
        self.check_jurisdiction(meta, village_code)
        check_not_future("effective_on", meta.effective_at, self.clock())
        volunteer = self.find(volunteer_key(village_code, volunteer_id))
        if not isinstance(volunteer, Volunteer):
            raise NotFound(
                "unknown_volunteer",
                f"志愿者编号 {volunteer_id} 未在本村（社区）志愿者名册登记 / volunteer number"
                f" {volunteer_id} not in the register of {village_code}",
            )
        return volunteer

    def check_registered(
        self, village_code: str, volunteer_ids: Sequence[str], occurred_on: date
    ) -> None:
        """Every volunteer an activity lists is in the register of the activity's village: a
        volunteer belongs to one village, so distinct counts add up the tree (ADR 0021); and
        was on it that day: one who had left cannot serve after leaving (a later activity is
        refused, an earlier one still counts)."""
        found = {v: self.find(volunteer_key(village_code, v)) for v in volunteer_ids}
        unknown = [v for v, entry in found.items() if not isinstance(entry, Volunteer)]
        if unknown:
            raise Conflict(
                "unknown_volunteer",
                f"志愿者编号 {'、'.join(unknown[:10])} 未在本村（社区）志愿者名册登记 / volunteer"
                f" number(s) {', '.join(unknown[:10])} not in the register of {village_code}",
            )
        away = [
            v
            for v, entry in found.items()
            if isinstance(entry, Volunteer) and entry.away_on(occurred_on) is not None
        ]
        if away:
            raise Conflict(
                "volunteer_had_left",
                f"志愿者 {'、'.join(away[:10])} 在活动日期 {occurred_on} 前已离开名册 / volunteer(s)"
                f" {', '.join(away[:10])} had left the register before {occurred_on}",
            )


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


def check_volunteer_count(volunteer_ids: Sequence[str], volunteers: int) -> None:
    """The volunteers listed are among the activity's volunteers (人数), each listed once."""
    if len(set(volunteer_ids)) != len(volunteer_ids):
        raise InvalidInput("duplicate_volunteer", "志愿者编号重复 / a volunteer is listed twice")
    if len(volunteer_ids) > volunteers:
        raise InvalidInput(
            "volunteer_ids_exceed_volunteers",
            f"列出的志愿者（{len(volunteer_ids)} 人）多于志愿者人数（{volunteers}）/ more"
            f" volunteers listed ({len(volunteer_ids)}) than the activity's volunteers ({volunteers})",
        )
