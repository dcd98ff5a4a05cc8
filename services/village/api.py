"""Village/community operator API (村/社区): filing applications and activity reports."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends

from services.village.application import VillageApplication
from shared.api.commands import CREATED, CommandOut
from shared.api.deps import CommandMeta, Runtime
from shared.api.village_models import ActivityReport, FilingApplication


async def _app(runtime: Runtime) -> VillageApplication:
    assert isinstance(runtime.app, VillageApplication)
    return runtime.app


App = Annotated[VillageApplication, Depends(_app)]
router = APIRouter(prefix="/api/v1", tags=["village 村（社区）"])


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
    return CommandOut.of(app.report_activity(organisation_id, meta=meta, **figures))
