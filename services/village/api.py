"""Village/community operator API (村/社区): filing applications and activity reports."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Path
from pydantic import Field

from services.village.application import VillageApplication
from shared.api.commands import CREATED, CommandIn, CommandOut, OrgField
from shared.api.deps import CommandMeta, RequestIn, Runtime
from shared.api.text import LongText, Name
from shared.kernel.domain import Category
from shared.kernel.themes import MAX_THEMES
from shared.kernel.volunteers import check_pseudonym


async def _app(runtime: Runtime) -> VillageApplication:
    assert isinstance(runtime.app, VillageApplication)
    return runtime.app


App = Annotated[VillageApplication, Depends(_app)]
router = APIRouter(prefix="/api/v1", tags=["village 村（社区）"])


class FilingApplication(CommandIn):
    village_code: str = Field(pattern=r"^\d{12}$", description="村/社区区划代码 / 12-digit code")
    name: Name = Field(description="组织名称 / group name")
    field: OrgField = Field(description="服务领域 / field of work")
    founded_on: date = Field(description="成立日期 / founding date")
    category: Category = Field(Category.GENERAL, description="类别 / e.g. 乡贤参事会")


# A theme's code as the rules file spells them (lower-case words joined by underscores).
ThemeCode = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]

# A volunteer's number in its village's register (ADR 0021): letters, digits and hyphens, at
# most 16. A run of 11 or more digits is refused (``shared.kernel.volunteers``): it would be a
# phone or ID-card number, which the register must not hold.
VolunteerNumber = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,15}$")]
# More volunteers than any one activity lists; bounds the register look-ups of one request.
MAX_VOLUNTEER_IDS = 500

# Far above any one activity; keeps sums inside the read model's integer columns.
MAX_COUNT = 10_000_000


class ActivityReport(RequestIn):
    occurred_on: date = Field(description="活动日期 / date of the activity (its effective date)")
    field: OrgField = Field(description="活动领域 / field")
    participants: int = Field(ge=0, le=MAX_COUNT, description="参与人数 / participants")
    volunteers: int = Field(ge=0, le=MAX_COUNT, description="志愿者人数 / volunteers")
    volunteer_services: int = Field(
        ge=0, le=MAX_COUNT, description="志愿服务人次 / volunteer services"
    )
    volunteer_hours: Decimal = Field(
        ge=0, max_digits=10, decimal_places=2, description="志愿服务时长 / hours"
    )
    beneficiaries: int = Field(ge=0, le=MAX_COUNT, description="受益人次 / beneficiaries")
    money_spent: Decimal = Field(
        ge=0, max_digits=14, decimal_places=2, description="支出金额（元）/ money spent (yuan)"
    )
    themes: list[ThemeCode] = Field(
        default_factory=list,
        max_length=MAX_THEMES,
        description="活动主题 / theme codes in force on occurred_on "
        "(GET /api/v1/rules/activity-themes); several allowed, none by default",
    )
    cases_taken: int | None = Field(
        None, ge=0, le=MAX_COUNT, description="受理矛盾纠纷件数 / disputes taken (mediation)"
    )
    cases_resolved: int | None = Field(
        None,
        ge=0,
        le=MAX_COUNT,
        description="调解成功件数 / disputes resolved (≤ cases_taken)",
    )
    volunteer_ids: list[VolunteerNumber] = Field(
        default_factory=list,
        max_length=MAX_VOLUNTEER_IDS,
        description="参与志愿者编号 / numbers, in the village's volunteer register, of the "
        "volunteers who served (each registered, at most `volunteers` of them); none by default",
    )


class VolunteerRegistration(CommandIn):
    village_code: str = Field(pattern=r"^\d{12}$", description="村/社区区划代码 / 12-digit code")
    volunteer_id: VolunteerNumber = Field(
        description="志愿者编号 / the village's own volunteer number (a pseudonym: no name, "
        "ID-card or phone number)"
    )


class VolunteerLeaving(CommandIn):
    """The day of leaving is the command's ``effective_on`` (default today)."""

    reason: Literal["moved_away", "withdrew", "other"] = Field(
        description="离开原因 / moved_away 迁出本村（社区）, withdrew 本人退出, other 其他"
        " (a code: the register holds no personal data)"
    )


class VolunteerRejoining(CommandIn):
    """The day of re-joining is the command's ``effective_on`` (default today)."""


VillagePath = Annotated[str, Path(pattern=r"^\d{12}$", description="村/社区区划代码")]
NumberPath = Annotated[
    str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,15}$", description="志愿者编号")
]


@router.post("/filing-applications", status_code=CREATED)
def apply_for_filing(body: FilingApplication, meta: CommandMeta, app: App) -> CommandOut:
    """备案申请 / A resident group applies at its village station to be filed."""
    return CommandOut.of(
        app.apply_for_filing(
            body.village_code,
            body.name,
            str(body.field),
            body.founded_on,
            meta,
            category=str(body.category),
        )
    )


@router.post("/organisations/{organisation_id}/activities", status_code=CREATED)
def report_activity(
    organisation_id: UUID, body: ActivityReport, meta: CommandMeta, app: App
) -> CommandOut:
    """活动记录 / Report an activity of an active organisation in the village."""
    figures = body.model_dump()
    figures["field"] = str(body.field)
    for number in body.volunteer_ids:
        check_pseudonym(number)
    return CommandOut.of(app.report_activity(organisation_id, meta=meta, **figures))


@router.post("/volunteers", status_code=CREATED)
def register_volunteer(body: VolunteerRegistration, meta: CommandMeta, app: App) -> CommandOut:
    """志愿者登记 / The station enters a volunteer in the village's register (ADR 0021)."""
    check_pseudonym(body.volunteer_id)
    return CommandOut.of(app.register_volunteer(body.village_code, body.volunteer_id, meta))


# ------------------------------------------------------------------ resident points (ADR 0027)

Community = Annotated[
    str, Path(pattern=r"^\d{12}$", description="村/社区区划代码 / the community's 12-digit code")
]
# Far above any rule's largest adjustment; the rule in force says the real bound (422).
MAX_ADJUSTMENT = 100_000


class PointsAdjustmentIn(CommandIn):
    volunteer_id: VolunteerNumber = Field(description="志愿者编号 / in the community's register")
    kind: Literal["award", "deduction"] = Field(description="award 奖励 / deduction 扣减")
    points: int = Field(
        le=MAX_ADJUSTMENT,
        description="积分（正整数）/ points, a whole number from 1 to the rule's max_adjustment",
    )
    reason: LongText = Field(description="调整理由 / why (required)")


@router.post("/points/communities/{village_code}/pilot/on", status_code=CREATED)
def turn_points_on(
    village_code: Community, body: CommandIn, meta: CommandMeta, app: App
) -> CommandOut:
    """开启积分制试点 / The community turns the resident points pilot on from ``effective_on``
    (default today): registered volunteers earn points for activities from that day under the
    rule in force on each activity's date. 409 ``points_pilot_already_on``,
    ``points_pilot_overlap`` (before the last turn-off), ``rule_not_in_force``."""
    return CommandOut.of(app.turn_points_on(village_code, meta))


@router.post("/points/communities/{village_code}/pilot/off", status_code=CREATED)
def turn_points_off(
    village_code: Community, body: CommandIn, meta: CommandMeta, app: App
) -> CommandOut:
    """关闭积分制试点 / The community turns its pilot off from ``effective_on``: activities on
    or after it earn nothing; points earned before stay. 409 ``points_pilot_off`` when it is
    not on, ``points_pilot_off_before_on`` before the day it was turned on."""
    return CommandOut.of(app.turn_points_off(village_code, meta))


@router.post("/points/communities/{village_code}/adjustments", status_code=CREATED)
def adjust_points(
    village_code: Community, body: PointsAdjustmentIn, meta: CommandMeta, app: App
) -> CommandOut:
    """积分调整 / Award or deduct points by hand, with the reason, on ``effective_on``; a
    correction is another adjustment (nothing is deleted). 409 ``points_pilot_off`` (the pilot
    was not on that day), ``unknown_volunteer``; 422 ``invalid_points`` (not 1 … the rule's
    max_adjustment), ``reason_required``."""
    check_pseudonym(body.volunteer_id)
    return CommandOut.of(
        app.adjust_points(
            village_code, body.volunteer_id, body.kind, body.points, body.reason, meta
        )
    )


@router.post("/volunteers/{village_code}/{volunteer_id}/leaving", status_code=CREATED)
def leave_volunteer(
    village_code: VillagePath,
    volunteer_id: NumberPath,
    body: VolunteerLeaving,
    meta: CommandMeta,
    app: App,
) -> CommandOut:
    """志愿者离开名册（注销）/ A volunteer leaves the village's register on ``effective_on``
    for a coded reason; activities after that day can no longer list them, earlier ones still
    count (ADR 0021 addendum). 409 ``volunteer_already_left`` if already away."""
    check_pseudonym(volunteer_id)
    return CommandOut.of(app.leave_volunteer(village_code, volunteer_id, body.reason, meta))


@router.post("/volunteers/{village_code}/{volunteer_id}/rejoining", status_code=CREATED)
def rejoin_volunteer(
    village_code: VillagePath,
    volunteer_id: NumberPath,
    body: VolunteerRejoining,
    meta: CommandMeta,
    app: App,
) -> CommandOut:
    """志愿者重新加入名册 / A volunteer who left comes back under the same number on
    ``effective_on`` (a later event; the leaving stays recorded). 409 ``volunteer_not_left``
    if they never left."""
    check_pseudonym(volunteer_id)
    return CommandOut.of(app.rejoin_volunteer(village_code, volunteer_id, meta))
