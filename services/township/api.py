"""Township operator API (乡镇/街道): filing decisions, charters of filed groups, inspections."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import Field

from services.township.application import TownshipApplication
from shared.api.commands import CREATED, Charter, CommandIn, CommandOut, Reason
from shared.api.deps import CommandMeta, Runtime
from shared.api.text import OptionalLongText, ShortText
from shared.kernel.integration.events import InspectionResult


async def _app(runtime: Runtime) -> TownshipApplication:
    assert isinstance(runtime.app, TownshipApplication)
    return runtime.app


App = Annotated[TownshipApplication, Depends(_app)]
router = APIRouter(prefix="/api/v1", tags=["township 乡镇（街道）"])


class FilingDecision(CommandIn):
    decision: Literal["filed", "rejected"] = Field(description="备案 / file, or 不予备案 / reject")
    reason: OptionalLongText = Field("", description="理由（驳回必填）/ reason (for rejection)")


class InspectionIn(CommandIn):
    result: InspectionResult = Field(
        description="检查结果 / compliant, rectification ordered, violation"
    )
    findings: OptionalLongText = Field("", max_length=5000, description="检查发现 / findings")
    inspectors: list[ShortText] = Field(
        min_length=1,
        description="检查人员 / inspectors on site: at least the sampling rule's minimum (2)"
        " distinct names, else 422 too_few_inspectors",
    )
    draw_id: UUID | None = Field(
        None,
        description="抽查抽签 / the draw this inspection fulfils (the organisation drawn in it)",
    )


@router.post("/organisations/{organisation_id}/filing-decision", status_code=CREATED)
def decide_filing(
    organisation_id: UUID, body: FilingDecision, meta: CommandMeta, app: App
) -> CommandOut:
    """备案决定 / File or reject a group's filing application."""
    return CommandOut.of(
        app.decide_filing(organisation_id, body.decision == "filed", body.reason, meta)
    )


@router.post("/organisations/{organisation_id}/charter")
def approve_charter(
    organisation_id: UUID, body: Charter, meta: CommandMeta, app: App
) -> CommandOut:
    """章程核准（备案组织）/ Approve the charter of a filed group."""
    return CommandOut.of(
        app.approve_charter(organisation_id, body.party_clause, body.integrity_clause, meta)
    )


@router.post("/organisations/{organisation_id}/filing-cancellation")
def cancel_filing(organisation_id: UUID, body: Reason, meta: CommandMeta, app: App) -> CommandOut:
    """注销备案 / Exit of a filed group."""
    return CommandOut.of(app.cancel_filing(organisation_id, body.reason, meta))


@router.post("/organisations/{organisation_id}/inspections", status_code=CREATED)
def record_inspection(
    organisation_id: UUID, body: InspectionIn, meta: CommandMeta, app: App
) -> CommandOut:
    """检查记录 / Record a spot check of an organisation."""
    return CommandOut.of(
        app.record_inspection(
            organisation_id, str(body.result), body.findings, body.inspectors, meta, body.draw_id
        )
    )


@router.post("/inspections/{inspection_id}/rectification-completed")
def complete_rectification(
    inspection_id: UUID, body: CommandIn, meta: CommandMeta, app: App
) -> CommandOut:
    """整改完成 / The ordered rectification is complete."""
    return CommandOut.of(app.complete_rectification(inspection_id, meta))
