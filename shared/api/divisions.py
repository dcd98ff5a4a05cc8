"""The division tree through time, the same on every tier (from the tier's read model):
the tree in force on a day, and the county's recorded division changes (ADR 0005)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from shared.api.deps import Operator, Runtime
from shared.api.models import DivisionChangesOut, DivisionsOut
from shared.capabilities.divisions.history import describe, load_changes, tree_from
from shared.kernel.domain import CHINA

router = APIRouter(prefix="/api/v1", tags=["divisions 区划"])


@router.get("/divisions", response_model=DivisionsOut)
def divisions(
    runtime: Runtime,
    operator: Operator,
    on: Annotated[date | None, Query(description="日期 / the day (default: today)")] = None,
) -> dict[str, Any]:
    """区划树 / The division tree in force on a day: every division with its name, tier,
    parent, area and populations, and the retired codes with the division that took over their
    records."""
    day = on or runtime.app.clock().astimezone(CHINA).date()
    j = tree_from(runtime.db, runtime.jurisdiction, day)
    return {
        **describe(j, "on"),
        "divisions": [
            {
                "code": d.code,
                "name": d.name,
                "tier": str(d.tier),
                "parent": d.parent,
                "area": d.area and str(d.area),
                "registered_population": d.registered_population,
                "resident_population": d.resident_population,
            }
            for d in j.divisions.values()
        ],
    }


@router.get("/divisions/changes", response_model=DivisionChangesOut)
def division_changes(runtime: Runtime, operator: Operator) -> dict[str, Any]:
    """区划调整记录 / The county's recorded division changes, in order, each with the day it
    took effect."""
    with runtime.db.snapshot() as tx:
        changes = load_changes(tx)
    return {"changes": [c.describe() for c in changes]}
