"""Zombie-exit routes (ADR 0009), on the county (registered organisations) and the township
(filed groups): the dry run, notices (one organisation or a campaign), withdrawal, the timer
run now, and reversal. 409 ``zombie_exit_guarded`` / ``not_a_zombie_candidate`` /
``exit_pending`` / ``exit_<state>``; 422 ``outcome_not_allowed``; 404 ``unknown_proceeding``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from shared.api.commands import CREATED, CommandIn, CommandOut, Reason
from shared.api.deps import CommandMeta, Operator, Runtime, check_reads
from shared.api.models import CampaignOut, DryRunOut, ProceedingRow
from shared.capabilities.exits.application import ZombieExit
from shared.kernel.domain import legal_date


async def _app(runtime: Runtime) -> ZombieExit:
    assert isinstance(runtime.app, ZombieExit)
    return runtime.app


App = Annotated[ZombieExit, Depends(_app)]
router = APIRouter(prefix="/api/v1/zombie-exit", tags=["zombie exit 僵尸组织退出"])
Outcome = Field(
    None,
    pattern=r"^(revoke|deregister|cancel_filing|rectify)$",
    description="退出方式 / revoke 撤销, deregister 注销, cancel_filing 注销备案, rectify 限期整改"
    " (default: the rule's for this tier)",
)


class ExitNoticeIn(CommandIn):
    # Named apart from the county supervision's NoticeIn: two models of one name get
    # module-qualified OpenAPI names, which would change whenever a module moves (ADR 0016).

    organisation_id: UUID = Field(description="组织 / the organisation")
    outcome: str | None = Outcome


class CampaignIn(CommandIn):
    division_code: str = Field(pattern=r"^\d{12}$", description="区划代码 / the division")
    outcome: str | None = Outcome


class NoticeOut(CommandOut):
    due_on: date | None = Field(None, description="最早退出日 / the day after the notice period")
    rule_version: str | None = Field(None, description="规则版本 / zombie_exit rule version")


@router.get("/dry-run", response_model=DryRunOut)
def dry_run(
    runtime: Runtime, operator: Operator, app: App, division: str | None = Query(None)
) -> dict[str, Any]:
    """退出预审名单 / The dry run: candidates with reasons, the 2021 criteria met, guards, any
    pending notice and the proposed outcome; nothing is recorded."""
    code = division or operator.division
    check_reads(operator, code, runtime)
    day = legal_date(app.clock())
    rows = app.exit_review(code, day)
    return {
        "division_code": code,
        "as_of": day.isoformat(),
        "kind": app.exit_kind,
        "rule_version": app.exit_rule(day).version,
        "count": len(rows),
        "proposed": sum(r["proposal"] == "notice" for r in rows),
        "candidates": rows,
        "pending_notices": app.exit_proceedings(code, "noticed"),
    }


@router.get("/proceedings", response_model=list[ProceedingRow])
def proceedings(
    runtime: Runtime,
    operator: Operator,
    app: App,
    division: str | None = Query(None),
    state: str | None = Query(None, pattern=r"^(noticed|stopped|exited|reversed)$"),
) -> list[dict[str, Any]]:
    """退出程序 / Proceedings in a division (state: noticed, stopped, exited, reversed)."""
    code = division or operator.division
    check_reads(operator, code, runtime)
    return app.exit_proceedings(code, state)


@router.post("/notices", status_code=CREATED)
def notice(body: ExitNoticeIn, meta: CommandMeta, app: App) -> NoticeOut:
    """退出告知 / Serve notice of exit to one listed, unguarded organisation."""
    result = app.notice_exit(body.organisation_id, body.outcome, meta)
    return NoticeOut(**CommandOut.of(result).model_dump(), **result.extra)


@router.post("/campaigns", status_code=CREATED, response_model=CampaignOut)
def campaign(body: CampaignIn, meta: CommandMeta, app: App) -> dict[str, Any]:
    """集中清理 / Serve notice to every candidate the dry run proposes in a division; the
    others are listed as skipped with why."""
    return app.start_exit_campaign(body.division_code, body.outcome, meta)


@router.post("/proceedings/{proceeding_id}/withdrawal")
def withdraw(proceeding_id: UUID, body: Reason, meta: CommandMeta, app: App) -> CommandOut:
    """撤回告知 / Withdraw a pending notice (409 unless noticed)."""
    return CommandOut.of(app.withdraw_exit(proceeding_id, body.reason, meta))


@router.post("/proceedings/{proceeding_id}/reversal")
def reverse(proceeding_id: UUID, body: Reason, meta: CommandMeta, app: App) -> CommandOut:
    """撤销退出决定 / Reverse an exit: the organisation is reinstated, history kept."""
    return CommandOut.of(app.reverse_exit(proceeding_id, body.reason, meta))


class RunOut(BaseModel):
    as_of: date
    recorded: list[dict[str, Any]]


@router.post("/run-due")
def run_due(meta: CommandMeta, app: App) -> RunOut:
    """到期处理 / Decide the proceedings in the caller's division whose notice period is over
    (the relay does it periodically for the whole county); the decisions are the system's,
    recording who triggered them; running it again records nothing new."""
    now = app.clock()
    recorded = app.run_due_exits(now, triggered_by=meta.actor)
    return RunOut(as_of=legal_date(now), recorded=[r.__dict__ for r in recorded])
