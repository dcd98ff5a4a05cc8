"""Random inspection draws (抽查抽签, ADR 0010), the same routes on every tier: the county
draws from its registered organisations, a township from its filed groups (a village answers
403 ``wrong_tier``); every tier lists draws with their progress and reproduces them."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from shared.api.commands import CREATED, CommandIn
from shared.api.deps import CommandMeta, Operator, RequestIn, Runtime, check_reads
from shared.api.limits import check_ids
from shared.api.models import DrawOutRecord, DrawReproductionOut, DrawsOut, ReproductionOut
from shared.capabilities.sampling import application as draws
from shared.capabilities.sampling import projection as rm
from shared.capabilities.sampling.domain import reproduce
from shared.kernel.domain import Actor, InvalidInput, NotFound, OutOfJurisdiction
from shared.kernel.jurisdiction import contains, prefix_of

router = APIRouter(prefix="/api/v1", tags=["sampling 随机抽查"])
DrawId = Annotated[UUID, Path(description="抽签 / the draw")]


class DrawIn(CommandIn):
    year: int = Field(ge=2000, le=2100, description="年度 / the year inspected (this or next)")
    division_code: str | None = Field(
        None,
        pattern=r"^\d{12}$",
        description="区划 / county (county operators) or township; default: the operator's",
    )
    seed: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="随机种子 / seed (default: 32 random hex digits), recorded",
    )
    supplementary: bool = Field(
        False, description="补充抽签 / a further draw after the year's regular one"
    )
    size: int | None = Field(
        None, ge=1, description="补抽数量 / how many a supplementary draw selects (required then)"
    )


class DrawOut(BaseModel):
    """结果 / The draw recorded."""

    id: UUID = Field(description="抽签 / the draw")
    version: int = Field(description="聚合版本 / aggregate version")
    replayed: bool = Field(description="重复请求 / answered from an earlier identical request")
    selected: list[UUID] | None = Field(
        description="抽中的组织 / organisations drawn, in rank order (null on a replay)"
    )


class ReproductionIn(RequestIn):
    record: dict[str, Any] = Field(
        description="抽签记录 / a draw's record, as GET /api/v1/sample-draws/{id} gives it"
    )


@router.post("/sample-draws", status_code=CREATED)
def draw_sample(body: DrawIn, meta: CommandMeta, runtime: Runtime) -> DrawOut:
    """随机抽签 / Draw the organisations to inspect in a year: the quota of the sampling rule
    (county ≥ 3% of registered organisations), seed and population snapshot recorded; 409
    ``draw_exists`` for a second regular draw of a division and year."""
    if body.supplementary != (body.size is not None):
        raise InvalidInput(
            "size_required", "a supplementary draw needs a size, and only a supplementary one"
        )
    r = draws.draw(runtime.app, body.division_code, body.year, body.seed, body.size, meta)
    chosen = r.extra.get("selected")
    return DrawOut(id=r.id, version=r.version, replayed=r.replayed, selected=chosen)


def _readable(actor: Actor, code: str) -> None:
    """A draw is readable within its division and by the divisions below it."""
    if not (contains(actor.division, code) or contains(code, actor.division)):
        raise OutOfJurisdiction("out_of_jurisdiction", f"{actor.id} may not read draws of {code}")


def _draw(runtime: Runtime, operator: Operator, draw_id: UUID) -> dict[str, Any]:
    with runtime.db.snapshot() as tx:
        row = rm.draw(tx, str(draw_id))
    if row is None:
        raise NotFound("unknown_draw", f"no draw {draw_id} (yet) here")
    _readable(operator, row["division_code"])
    return row


@router.get("/sample-draws", response_model=DrawsOut)
def list_draws(
    runtime: Runtime,
    operator: Operator,
    division: Annotated[str | None, Query(description="区划代码 / division code")] = None,
    year: Annotated[int | None, Query(description="年度 / year")] = None,
) -> dict[str, Any]:
    """抽签列表 / Draws for a division, within it or above it, with their progress there:
    organisations drawn in the division, inspected for the draw, completion rate."""
    code = division or operator.division
    check_reads(operator, code, runtime)
    with runtime.db.snapshot() as tx:
        rows = rm.listed(tx, code, prefix_of(code) + "%", year)
    return {"division_code": code, "draws": rows}


@router.get("/sample-draws/{draw_id}", response_model=DrawOutRecord)
def get_draw(draw_id: DrawId, runtime: Runtime, operator: Operator) -> dict[str, Any]:
    """抽签记录 / One draw: its record (seed, population snapshot and hash, rate, quota,
    selection, algorithm) and rule version, as recorded."""
    return _draw(runtime, operator, draw_id)


@router.get("/sample-draws/{draw_id}/reproduction", response_model=DrawReproductionOut)
def reproduce_draw(draw_id: DrawId, runtime: Runtime, operator: Operator) -> dict[str, Any]:
    """复核抽签 / Recompute the draw from its seed and population with the rate of its rule
    version, and compare hash, quota and selection (``reproduced``)."""
    row = _draw(runtime, operator, draw_id)
    return {"draw_id": draw_id, **_reproduce(runtime, row["record"], row["rule_version"])}


@router.post("/sample-draws/reproduction", response_model=ReproductionOut)
def reproduce_record(body: ReproductionIn, runtime: Runtime, operator: Operator) -> dict[str, Any]:
    """复核抽签记录 / Reproduce a draw record an auditor holds (its own copy): a record
    altered anywhere (seed, population, hash, quota, selection) does not reproduce."""
    record = body.record.get("record", body.record)
    limit = runtime.settings.max_reproduction_ids  # the cost grows with the population
    check_ids("population", record.get("population") if isinstance(record, dict) else None, limit)
    try:
        return _reproduce(runtime, record, body.record.get("rule_version"))
    except (KeyError, TypeError, ValueError) as e:
        raise InvalidInput("invalid_record", f"not a draw record: {e}") from None


def _reproduce(runtime: Runtime, record: dict[str, Any], version: str | None) -> dict[str, Any]:
    rate = None
    if version is not None:
        rules = [v for v in runtime.app.rules.families.get("sampling", ()) if v.version == version]
        if rules:
            tier = "county" if record.get("population_kind") == "registered" else "township"
            rate = str(rules[0].parameters["quotas"][tier]["rate"])
    return {"rule_version": version, **reproduce(record, rate)}
