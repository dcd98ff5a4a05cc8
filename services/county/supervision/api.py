"""County supervision routes (ADR 0007): credit-list triggers, notices, objections, verified
rectification, and running the rules' timers now."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from services.county.application import CountyApplication
from shared.api.commands import CREATED, CommandIn, CommandOut
from shared.api.deps import CommandMeta, Runtime
from shared.api.text import LongText
from shared.kernel.domain import legal_date
from shared.kernel.integration.events import CreditList


async def _app(runtime: Runtime) -> CountyApplication:
    assert isinstance(runtime.app, CountyApplication)
    return runtime.app


App = Annotated[CountyApplication, Depends(_app)]
router = APIRouter(prefix="/api/v1", tags=["county supervision 监管"])

Text = LongText


class TriggerIn(CommandIn):
    trigger: str = Field(
        pattern=r"^[a-z_]{1,60}$",
        description="触发情形（规则 credit）/ reason code: missed_annual_report, "
        "no_party_organisation, unfinished_rectification, unreachable",
    )
    reason: Text = Field(description="事实 / the facts")


class NoticeIn(CommandIn):
    document: Text = Field(description="告知书文号或内容 / notice number or text")


class ObjectionIn(CommandIn):
    grounds: Text = Field(description="异议理由 / grounds of the objection")


class ObjectionDecisionIn(CommandIn):
    upheld: bool = Field(description="异议成立（移出）/ upheld: removal follows")
    reason: Text = Field(description="理由 / reason")


class VerificationOut(CommandOut):
    removal_due: date | None = Field(None, description="最迟移出日 / removal due by (working days)")
    calendar_version: str | None = Field(None, description="工作日历版本 / calendar version used")
    provisional: bool = Field(
        False,
        description="暂定：期限超出工作日历，按周一至周五计算，日历更新后重算 / counted Monday–Friday"
        " beyond the calendar's years; recomputed when a version covering it is added",
    )


class RecordedOut(BaseModel):
    organisation_id: UUID
    event: str = Field(description="leave / escalate / grade_expired / removal_due_recomputed")
    credit_list: str | None
    reason: str | None
    effective_on: date = Field(description="规则到期日 / the day it fell due")
    rule_version: str


class RunDueOut(BaseModel):
    """到期处理 / What the timers recorded."""

    as_of: date
    recorded: list[RecordedOut]


@router.post("/organisations/{organisation_id}/credit-triggers", status_code=CREATED)
def record_credit_trigger(
    organisation_id: UUID, body: TriggerIn, meta: CommandMeta, app: App
) -> CommandOut:
    """列入活动异常名录情形 / A trigger: onto the abnormal list, or its clock restarts."""
    return CommandOut.of(
        app.record_credit_trigger(organisation_id, body.trigger, body.reason, meta)
    )


@router.post(
    "/organisations/{organisation_id}/credit-lists/{credit_list}/notices", status_code=CREATED
)
def notify_listing(
    organisation_id: UUID, credit_list: CreditList, body: NoticeIn, meta: CommandMeta, app: App
) -> CommandOut:
    """书面告知 / Serve written notice about a listing."""
    return CommandOut.of(app.notify_listing(organisation_id, str(credit_list), body.document, meta))


@router.post(
    "/organisations/{organisation_id}/credit-lists/{credit_list}/objections", status_code=CREATED
)
def lodge_objection(
    organisation_id: UUID, credit_list: CreditList, body: ObjectionIn, meta: CommandMeta, app: App
) -> CommandOut:
    """提出异议 / The organisation objects to a listing (409 if one is undecided)."""
    return CommandOut.of(app.lodge_objection(organisation_id, str(credit_list), body.grounds, meta))


@router.post("/organisations/{organisation_id}/credit-lists/{credit_list}/objection-decision")
def decide_objection(
    organisation_id: UUID,
    credit_list: CreditList,
    body: ObjectionDecisionIn,
    meta: CommandMeta,
    app: App,
) -> CommandOut:
    """异议处理 / Decide the objection: upheld removes from the list, rejected keeps it."""
    return CommandOut.of(
        app.decide_objection(organisation_id, str(credit_list), body.upheld, body.reason, meta)
    )


@router.post("/organisations/{organisation_id}/credit-lists/abnormal/rectification-verified")
def verify_rectification(
    organisation_id: UUID, body: CommandIn, meta: CommandMeta, app: App
) -> VerificationOut:
    """整改查实 / Rectification verified: removal due within the rule's working days."""
    result = app.verify_rectification(organisation_id, meta)
    return VerificationOut(
        **CommandOut.of(result).model_dump(),
        removal_due=result.extra.get("removal_due"),
        calendar_version=result.extra.get("calendar_version"),
        provisional=result.extra.get("provisional", False),
    )


@router.post("/supervision/run-due")
def run_due(meta: CommandMeta, app: App) -> RunDueOut:
    """到期处理 / Run the credit-list and grade timers now for the caller's division (the relay
    does it periodically for the whole county); the events are the system's, recording who
    triggered them; running it again records nothing new."""
    now = app.clock()
    recorded = app.run_due(now, triggered_by=meta.actor)
    return RunDueOut(
        as_of=legal_date(now),
        recorded=[RecordedOut(**r.__dict__) for r in recorded],
    )
