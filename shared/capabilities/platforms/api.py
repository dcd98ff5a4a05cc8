"""Service-platform routes, the same on every tier (each tier records its own kinds)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter
from pydantic import Field

from shared.api.commands import CREATED, CommandIn, CommandOut, Reason
from shared.api.deps import CommandMeta, Runtime
from shared.api.text import Name
from shared.kernel.integration.events import PlatformKind

router = APIRouter(prefix="/api/v1", tags=["platforms 服务平台"])


class PlatformIn(CommandIn):
    kind: PlatformKind = Field(
        description="county_centre 县级中心 (county) / township_platform 乡镇平台, incubator 孵化园"
        " (township) / village_station 村级服务站 (village)"
    )
    division_code: str = Field(pattern=r"^\d{12}$", description="所在区划 / division it sits in")
    name: Name = Field(description="名称 / name")


@router.post("/platforms", status_code=CREATED)
def open_platform(body: PlatformIn, meta: CommandMeta, runtime: Runtime) -> CommandOut:
    """服务平台建立 / Record a service platform opening in a division."""
    return CommandOut.of(runtime.app.open_platform(body.kind, body.division_code, body.name, meta))


@router.post("/platforms/{platform_id}/closure")
def close_platform(
    platform_id: UUID, body: Reason, meta: CommandMeta, runtime: Runtime
) -> CommandOut:
    """服务平台撤销 / Record a service platform closing."""
    return CommandOut.of(runtime.app.close_platform(platform_id, body.reason, meta))
