"""Request/response models shared by the tiers' command routes."""

from __future__ import annotations

from uuid import UUID

from fastapi import status
from pydantic import BaseModel, Field

from shared.api.deps import CommandIn
from shared.api.text import LongText
from shared.kernel.domain import CommandResult
from shared.kernel.domain import Field as OrgField

CREATED = status.HTTP_201_CREATED


class CommandOut(BaseModel):
    """结果 / Result of a command."""

    id: UUID = Field(description="受影响的聚合 / the aggregate touched")
    organisation_id: UUID | None = Field(description="组织 / the organisation concerned")
    version: int = Field(description="聚合版本 / aggregate version after the command")
    replayed: bool = Field(
        description="重复请求 / true if answered from an earlier identical request"
    )

    @classmethod
    def of(cls, result: CommandResult) -> CommandOut:
        return cls(
            id=result.id,
            organisation_id=result.organisation_id,
            version=result.version,
            replayed=result.replayed,
        )


class Reason(CommandIn):
    reason: LongText = Field(description="理由 / reason")


class Charter(CommandIn):
    party_clause: bool = Field(description="党建入章 / party-building clause in the charter")
    integrity_clause: bool = Field(description="清廉入章 / integrity clause in the charter")


__all__ = ["CREATED", "CommandOut", "Reason", "Charter", "OrgField", "CommandIn"]
