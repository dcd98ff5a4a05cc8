"""Periodic returns and their approval (ADR 0008), the same routes on every tier: the village
submits, the township approves or returns, the county accepts, returns, unapproves or
unaccepts. A step taken at the wrong tier answers 403 ``wrong_tier``; from the wrong state 409
``illegal_transition``; returns and reversals without a reason 422."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from shared.api.commands import CREATED, CommandIn, Reason
from shared.api.deps import CommandMeta, Operator, Runtime, check_reads
from shared.api.models import ReturnDetailOut, ReturnsOut
from shared.capabilities.approvals import application as returns
from shared.capabilities.approvals import projection as rm
from shared.capabilities.approvals.domain import Action, ReturnKind, ReturnState
from shared.kernel.domain import CommandResult, NotFound
from shared.kernel.jurisdiction import prefix_of
from shared.kernel.periods import parse_period

router = APIRouter(prefix="/api/v1", tags=["returns 定期报表审核"])


class ReturnIn(CommandIn):
    kind: ReturnKind = Field(
        description="activity_return 活动情况报表 (month, quarter, half-year or year) /"
        " annual_statistics 年度统计报表 (year)"
    )
    division_code: str = Field(pattern=r"^\d{12}$", description="村/社区区划代码 / village code")
    period: str = Field(description="报表期间 / period: YYYY, YYYY-Qn, YYYY-Hn or YYYY-MM (ended)")


class StepOut(BaseModel):
    """结果 / The step recorded."""

    return_id: UUID = Field(description="报表 / the return")
    step: int = Field(description="步骤序号 / number of this step in the return's history")
    state: str = Field(description="状态 / submitted, approved, accepted or returned")
    replayed: bool = Field(description="重复请求 / answered from an earlier identical request")

    @classmethod
    def of(cls, result: CommandResult) -> StepOut:
        x = result.extra
        return cls(
            return_id=x["return_id"], step=x["step"], state=x["state"], replayed=result.replayed
        )


@router.post("/returns", status_code=CREATED)
def submit_return(body: ReturnIn, meta: CommandMeta, runtime: Runtime) -> StepOut:
    """报表报送（村/社区）/ The village submits (or resubmits) its return for an ended period;
    its activities in the period are locked while it is submitted, approved or accepted."""
    return StepOut.of(returns.submit(runtime.app, body.kind, body.division_code, body.period, meta))


def _decide(runtime: Runtime, rid: UUID, action: Action, reason: str, meta: Any) -> StepOut:
    return StepOut.of(returns.decide(runtime.app, rid, action, reason, meta))


@router.post("/returns/{return_id}/approval", status_code=CREATED)
def approve_return(
    return_id: UUID, body: CommandIn, meta: CommandMeta, runtime: Runtime
) -> StepOut:
    """审核通过（乡镇）/ The township approves a submitted return whose figures it can
    reproduce from its own records (409 ``figures_differ`` otherwise)."""
    return _decide(runtime, return_id, Action.APPROVE, "", meta)


@router.post("/returns/{return_id}/return", status_code=CREATED)
def return_return(return_id: UUID, body: Reason, meta: CommandMeta, runtime: Runtime) -> StepOut:
    """退回 / Return it to the village with a reason: the township a submitted return, the
    county an approved one. The period is unlocked."""
    return _decide(runtime, return_id, Action.RETURN, body.reason, meta)


@router.post("/returns/{return_id}/acceptance", status_code=CREATED)
def accept_return(return_id: UUID, body: CommandIn, meta: CommandMeta, runtime: Runtime) -> StepOut:
    """接收（县级）/ The county accepts a return the township approved."""
    return _decide(runtime, return_id, Action.ACCEPT, "", meta)


@router.post("/returns/{return_id}/unapproval", status_code=CREATED)
def unapprove_return(return_id: UUID, body: Reason, meta: CommandMeta, runtime: Runtime) -> StepOut:
    """撤销审核（县级）/ The county withdraws the township's approval, with a reason: the
    return is submitted again, awaiting the township."""
    return _decide(runtime, return_id, Action.UNAPPROVE, body.reason, meta)


@router.post("/returns/{return_id}/unacceptance", status_code=CREATED)
def unaccept_return(return_id: UUID, body: Reason, meta: CommandMeta, runtime: Runtime) -> StepOut:
    """撤销接收（县级）/ The county withdraws its acceptance, with a reason: the return is
    approved again, awaiting the county."""
    return _decide(runtime, return_id, Action.UNACCEPT, body.reason, meta)


@router.get("/returns", response_model=ReturnsOut)
def list_returns(
    runtime: Runtime,
    operator: Operator,
    division: Annotated[str | None, Query(description="区划代码 / division code")] = None,
    period: Annotated[
        str | None, Query(description="期间 / returns whose period lies within this one")
    ] = None,
    start: Annotated[date | None, Query(alias="from", description="期间起 / from")] = None,
    end: Annotated[date | None, Query(alias="to", description="期间止 / to")] = None,
    state: Annotated[ReturnState | None, Query(description="状态 / state")] = None,
    kind: Annotated[ReturnKind | None, Query(description="类别 / kind")] = None,
) -> dict[str, Any]:
    """报表列表 / Returns of the villages in a division, with their state, figures as
    submitted and content hash, by period and state, as this tier's read model knows them."""
    code = division or operator.division
    check_reads(operator, code, runtime)
    if period:
        p = parse_period(period)
        start, end = p.start, p.end
    with runtime.db.snapshot() as tx:
        rows = rm.listed(tx, [prefix_of(code) + "%"], start, end, state, kind)
    counts = {str(s): 0 for s in ReturnState if s is not ReturnState.NONE}
    for r in rows:
        counts[r["state"]] += 1
    return {"division_code": code, "counts": counts, "returns": rows}


@router.get("/returns/{return_id}", response_model=ReturnDetailOut)
def get_return(return_id: UUID, runtime: Runtime, operator: Operator) -> dict[str, Any]:
    """报表详情 / One return: its state and every step of its history (who, which tier,
    when, why)."""
    with runtime.db.snapshot() as tx:
        row = rm.positions(tx, [str(return_id)]).get(str(return_id))
    if row is None:
        raise NotFound("unknown_return", f"no return {return_id}")
    # Outside the read: for a retired division the check reads the division tree in a
    # transaction of its own, which SQLite cannot nest (ADR 0005).
    check_reads(operator, row["division_code"], runtime)
    with runtime.db.snapshot() as tx:
        steps = rm.history(tx, str(return_id))
    return {
        **row,
        "figures": json.loads(row["figures"]) if row["figures"] else None,
        "history": steps,
    }
