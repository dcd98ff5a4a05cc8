"""The vocabulary of activity themes in force on a day (rules family ``activity_themes``,
ADR 0019), the same on every tier: what a village's activity form offers, and what the codes in
reports and exports mean."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from shared.api.deps import Operator, Runtime
from shared.kernel.domain import CHINA
from shared.kernel.themes import in_force, retired_of

router = APIRouter(prefix="/api/v1", tags=["rules 规则"])


class ThemeOut(BaseModel):
    code: str = Field(description="主题代码 / theme code, as activities carry it")
    name: str = Field(description="主题名称 / Chinese name")


class RetiredThemeOut(ThemeOut):
    retired_on: date = Field(description="停用日期 / from this day activities cannot carry it")


class ActivityThemesOut(BaseModel):
    """活动主题目录 / The activity themes an activity dated ``on`` may carry."""

    family: str = Field(description="activity_themes")
    version: str = Field(description="目录版本 / the vocabulary version in force on the day")
    effective_from: date
    on: date
    themes: list[ThemeOut] = Field(description="可选主题 / themes in force, in vocabulary order")
    retired: list[RetiredThemeOut] = Field(
        description="已停用主题 / themes retired before the day (valid only for earlier dates)"
    )


@router.get("/rules/activity-themes", response_model=ActivityThemesOut)
def activity_themes(
    runtime: Runtime,
    operator: Operator,
    on: Annotated[
        date | None, Query(description="活动日期 / the activity's date (default: today)")
    ] = None,
) -> ActivityThemesOut:
    """活动主题 / The activity themes in force on a day, and those retired before it; 409
    ``rule_not_in_force`` before the vocabulary's first version."""
    day = on or runtime.app.clock().astimezone(CHINA).date()
    version, themes = in_force(runtime.rules, day)
    return ActivityThemesOut(
        family="activity_themes",
        version=version.version,
        effective_from=version.effective_from,
        on=day,
        themes=[ThemeOut(code=t.code, name=t.zh) for t in themes],
        retired=[
            RetiredThemeOut(code=t.code, name=t.zh, retired_on=when)
            for t, when in retired_of(version)
        ],
    )
