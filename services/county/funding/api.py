"""County funding lifecycle routes (ADR 0011): calls, applications, review, evaluation,
closure, one award as recorded, and the totals of a programme and round reconciled with the
event store."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from services.county.application import CountyApplication
from shared.api.commands import CREATED, CommandIn, CommandOut, Reason
from shared.api.deps import CommandMeta, Operator, Runtime, check_reads
from shared.api.models import AwardOut
from shared.api.text import LongText, Name, OptionalLongText, ShortText
from shared.api.versions import VERSIONED, send_version, version_before_read
from shared.capabilities.funding import projection as funding_lifecycle
from shared.kernel import purchasers
from shared.kernel.domain import InvalidInput, NotFound
from shared.kernel.integration.events import FundingProgramme


async def _app(runtime: Runtime) -> CountyApplication:
    assert isinstance(runtime.app, CountyApplication)
    return runtime.app


App = Annotated[CountyApplication, Depends(_app)]
router = APIRouter(prefix="/api/v1", tags=["county funding 资金扶持"])

Yuan = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2, description="元 / yuan")]
Round = Annotated[ShortText, Field(description="批次 / round, e.g. 2026")]
# ADR 0021: who buys a purchase of services, and the people a project is for.
Purchaser = Annotated[
    ShortText,
    Field(
        description="购买主体 / the purchasing department of a purchase of services (required "
        "for purchase_of_services, refused for other programmes): a code, Chinese name or alias "
        "of the `purchasers` list in force (rules data), e.g. civil_affairs, 民政局, 区民政局; "
        "other / 其他 with `purchaser_other`"
    ),
]
PurchaserOther = Annotated[
    ShortText,
    Field(
        description="购买主体名称（选“其他”时必填）/ the department's name when the purchaser is "
        "other (其他); refused otherwise"
    ),
]
Beneficiaries = Annotated[int, Field(ge=0, le=100_000_000, description="受益人数 / people")]


class CallIn(CommandIn):
    programme: FundingProgramme = Field(description="资助项目类别 / programme")
    round: Round
    title: Name = Field(description="征集公告标题 / title")
    budget: Yuan = Field(description="预算（元）/ budget, yuan")
    deadline: date = Field(description="申报截止日 / last day to apply")


class ApplicationIn(CommandIn):
    organisation_id: UUID = Field(description="申报组织 / applicant")
    project: Name = Field(description="项目名称 / project")
    requested: Yuan = Field(description="申请金额（元）/ amount requested")
    host_organisation_id: UUID | None = Field(
        None, description="托管组织（备案组织必填，须为登记组织）/ registered host of a filed group"
    )
    other_government_funding: bool = Field(
        description="项目是否已获其他财政资金 / the project already has government money"
    )
    purchaser: Purchaser | None = None
    purchaser_other: PurchaserOther | None = None
    beneficiaries_planned: Beneficiaries | None = Field(
        None, description="计划受益人数 / beneficiaries the project plans to reach"
    )


class ClosureIn(CommandIn):
    reason: LongText = Field(description="理由 / reason")
    beneficiaries_reached: Beneficiaries | None = Field(
        None, description="实际受益人数 / beneficiaries the project reached"
    )


class BudgetIn(CommandIn):
    year: int = Field(description="预算年度 / budget year")
    amount: Annotated[
        Decimal, Field(ge=0, max_digits=14, decimal_places=2, description="预算（元）/ yuan")
    ]


class ReviewIn(CommandIn):
    decision: Literal["approve", "reject"] = Field(description="评审结论 / decision")
    amount: Yuan | None = Field(None, description="核定金额（批准必填）/ amount awarded")
    reason: OptionalLongText = Field("", description="理由（驳回必填）/ reason")


class ReviewOut(CommandOut):
    award_id: UUID | None = Field(None, description="资助项目 / the award an approval created")


class EvaluationIn(CommandIn):
    stage: Literal["mid_term", "final"] = Field(description="中期 / 结项评估")
    score: Decimal = Field(ge=0, max_digits=5, decimal_places=2, description="得分 / score")
    comment: OptionalLongText = Field("", description="评估意见 / comment")


class ProgrammeTotalsOut(BaseModel):
    """一个项目类别一个批次的资金汇总 / Totals of a programme and round (yuan)."""

    programme: str
    round: str
    call: dict[str, Any] | None
    applications: dict[str, int] = Field(description="按状态 / by state")
    awards: int
    budget_yuan: float | None
    awarded_yuan: float = Field(description="Σ 资助金额（含直接资助）/ Σ awards")
    awarded_through_call_yuan: float
    disbursed_yuan: float = Field(description="Σ 拨付 / Σ tranches paid")
    released_yuan: float = Field(description="结项未拨付 / never paid, on closed projects")
    outstanding_yuan: float = Field(description="待拨付 / awarded − disbursed − released")
    remaining_budget_yuan: float | None = Field(description="预算余额 / budget − Σ via the call")
    tranches: int
    closed: int
    grades: dict[str, dict[str, int]] = Field(description="评估等级计数 / stage → grade → n")
    reconciliation: dict[str, Any] = Field(
        description="事件库与读模型核对 / event store (aggregates) vs read model"
    )


@router.post("/funding-calls", status_code=CREATED)
def open_call(body: CallIn, meta: CommandMeta, app: App) -> CommandOut:
    """项目征集 / Open the call of a programme and round (409 ``call_exists``)."""
    return CommandOut.of(
        app.open_call(str(body.programme), body.round, body.title, body.budget, body.deadline, meta)
    )


@router.post("/funding-calls/{call_id}/closure")
def close_call(call_id: UUID, body: Reason, meta: CommandMeta, app: App) -> CommandOut:
    """截止征集 / Close a call: no more applications (409 ``call_closed``)."""
    return CommandOut.of(app.close_call(call_id, body.reason, meta))


@router.post("/funding-calls/{call_id}/applications", status_code=CREATED)
def apply(call_id: UUID, body: ApplicationIn, meta: CommandMeta, app: App) -> CommandOut:
    """项目申报 / Apply: 409 ``double_funding``, ``already_applied_in_round``,
    ``already_funded_in_round``, ``host_not_registered``, ``call_closed``,
    ``call_deadline_passed``, ``purchaser_not_in_force``; 422 ``host_required``,
    ``purchaser_required``, ``purchaser_not_allowed``, ``unknown_purchaser``,
    ``purchaser_other_required``, ``purchaser_other_not_allowed``."""
    return CommandOut.of(
        app.apply_for_funding(
            call_id,
            body.organisation_id,
            body.project,
            body.requested,
            body.host_organisation_id,
            body.other_government_funding,
            meta,
            purchaser=body.purchaser,
            beneficiaries_planned=body.beneficiaries_planned,
            purchaser_other=body.purchaser_other,
        )
    )


@router.post("/funding-applications/{application_id}/review")
def review(application_id: UUID, body: ReviewIn, meta: CommandMeta, app: App) -> ReviewOut:
    """评审 / Approve (an award recording the organisation's status, credit and grade now;
    409 ``over_budget``, ``exceeds_requested``, ``ineligible_credit_list``) or reject."""
    if body.decision == "reject" and not body.reason.strip():
        raise InvalidInput("reason_required", "a rejection states its reason")
    result = app.review_application(
        application_id, body.decision == "approve", body.amount, body.reason, meta
    )
    return ReviewOut(**CommandOut.of(result).model_dump(), award_id=result.extra.get("award_id"))


@router.post("/funding-awards/{award_id}/evaluations", status_code=CREATED)
def evaluate(award_id: UUID, body: EvaluationIn, meta: CommandMeta, app: App) -> CommandOut:
    """中期/结项评估 / Evaluate: grade A (≥85) / B (60–84) / C (<60) by the funding rule."""
    return CommandOut.of(app.evaluate_award(award_id, body.stage, body.score, body.comment, meta))


@router.post("/funding-awards/{award_id}/closure")
def close_award(award_id: UUID, body: ClosureIn, meta: CommandMeta, app: App) -> CommandOut:
    """结项 / Close a project after its final evaluation (409 ``final_evaluation_required``),
    stating the beneficiaries it reached; no tranche after it (409 ``award_closed``)."""
    return CommandOut.of(app.close_award(award_id, body.reason, meta, body.beneficiaries_reached))


@router.post("/funding/programmes/{programme}/budgets", status_code=CREATED)
def set_budget(programme: str, body: BudgetIn, meta: CommandMeta, app: App) -> CommandOut:
    """年度预算 / A programme's budget for a year (county-wide operators); setting it again
    revises it. 422 ``unknown_programme``, ``budget_year_out_of_range``."""
    return CommandOut.of(app.set_programme_budget(programme, body.year, body.amount, meta))


@router.get("/funding-awards/{award_id}", response_model=AwardOut, responses=VERSIONED)
def award(
    award_id: UUID, operator: Operator, runtime: Runtime, app: App, response: Response
) -> dict[str, Any]:
    """资助项目 / One award as recorded: amount, tranches, the organisation's status, credit
    and grade at the decision with the rule version, evaluations and closure; ``ETag``: the
    award's version, for ``If-Match`` (ADR 0035)."""
    tag = version_before_read(runtime, award_id)
    with app.lookup.db.transaction() as tx:
        view = funding_lifecycle.award_view(tx, str(award_id))
    if view is None:
        raise NotFound("unknown_award", f"no award {award_id}")
    check_reads(operator, view["village_code"], runtime)
    send_version(response, tag)
    return view


class FundingApplicationRow(BaseModel):
    """一项申报 / One application to a call, as the read model holds it."""

    application_id: str
    org_id: str
    name: str | None = Field(description="申报组织名称 / applicant's name")
    village_code: str
    project: str
    requested_yuan: float
    host_org_id: str | None
    applied_on: date
    state: Literal["submitted", "approved", "rejected"]
    decided_on: date | None
    award_id: str | None = Field(description="批准后的资助项目 / the award an approval made")
    amount_yuan: float | None = Field(description="核定金额 / amount awarded")
    reason: str | None = Field(description="驳回理由 / why rejected")


class FundingCallRow(BaseModel):
    """一次项目征集及其申报 / A call with its applications."""

    call_id: str
    programme: str
    round: str
    title: str
    budget_yuan: float
    deadline: date
    opened_on: date
    closed_on: date | None
    applications: list[FundingApplicationRow]


class FundingCallsOut(BaseModel):
    calls: list[FundingCallRow]


@router.get("/funding-calls", response_model=FundingCallsOut)
def list_calls(operator: Operator, app: App) -> dict[str, Any]:
    """项目征集列表 / Every call, newest round first, with its applications and their state
    (submitted, approved with the award, rejected with the reason); county-wide operators."""
    check_reads(operator, app.jurisdiction.county.code)
    with app.lookup.db.transaction() as tx:
        rows = funding_lifecycle.calls(tx)
    for row in rows:
        row["budget_yuan"] = _yuan(int(row.pop("budget_fen")))
        for a in row["applications"]:
            a["requested_yuan"] = _yuan(int(a.pop("requested_fen")))
            amount = a.pop("amount_fen")
            a["amount_yuan"] = _yuan(int(amount)) if amount is not None else None
    return {"calls": rows}


class PurchaserRow(BaseModel):
    code: str = Field(
        description="购买主体代码 / code in the purchasers list; unclassified: free text recorded"
        " before the list, or none stated"
    )
    name_zh: str = Field(description="名称 / the list's name (其他/未分类 for unclassified)")
    purchaser: str | None = Field(
        description="部门名称（按原记录）/ the department as recorded, for other and unclassified"
    )
    projects: int
    awarded_yuan: float


class PurchasersOut(BaseModel):
    from_: date = Field(alias="from")
    to: date
    rows: list[PurchaserRow]


@router.get("/funding/purchasers", response_model=PurchasersOut, response_model_by_alias=True)
def purchases_by_purchaser(
    operator: Operator,
    app: App,
    start: Annotated[date, Query(alias="from", description="起始日期 / first day")] = date(
        2000, 1, 1
    ),
    end: Annotated[date, Query(alias="to", description="截止日期 / last day")] = date(2999, 12, 31),
) -> dict[str, Any]:
    """按购买主体统计政府购买服务 / Purchase of services awarded in a period by purchasing
    department (ADR 0021 addendum): projects and yuan per code of the purchasers list; 其他
    and the free text recorded before the list (其他/未分类) per department as recorded;
    county-wide operators. 422 ``invalid_period`` if ``from`` is after ``to``."""
    check_reads(operator, app.jurisdiction.county.code)
    if start > end:
        raise InvalidInput(
            "invalid_period", f"起始日期晚于截止日期 / from {start} is after to {end}"
        )
    with app.lookup.db.transaction() as tx:
        rows = funding_lifecycle.by_purchaser(tx, start.isoformat(), end.isoformat())
    names = purchasers.names(app.rules)
    return {
        "from": start,
        "to": end,
        "rows": [
            {
                "code": r["code"] or purchasers.UNCLASSIFIED,
                "name_zh": names.get(r["code"], r["code"])
                if r["code"]
                else purchasers.UNCLASSIFIED_ZH,
                "purchaser": r["text"],
                "projects": int(r["n"]),
                "awarded_yuan": _yuan(int(r["fen"])),
            }
            for r in rows
        ],
    }


@router.get("/funding/programmes/{programme}/rounds/{round}")
def programme_totals(
    programme: FundingProgramme, round: str, operator: Operator, app: App
) -> ProgrammeTotalsOut:
    """资金汇总 / Budget, awarded, disbursed, remaining and grades of a programme and round,
    with Σ tranches of the awards (event store) reconciled with Σ disbursements (read model);
    county-wide operators."""
    check_reads(operator, app.jurisdiction.county.code)
    with app.lookup.db.transaction() as tx:
        t = funding_lifecycle.programme_totals(tx, str(programme), round)
    ledger = app.funding_ledger(str(programme), round, t["award_ids"])
    call = t["call"]
    budget = int(call["budget_fen"]) if call else None
    grades: dict[str, dict[str, int]] = {}
    for stage, grade, n in t["grades"]:
        grades.setdefault(stage, {})[grade] = n
    yuan = _yuan
    return ProgrammeTotalsOut(
        programme=str(programme),
        round=round,
        call=call,
        applications=t["applications"],
        awards=len(t["award_ids"]),
        budget_yuan=yuan(budget) if budget is not None else None,
        awarded_yuan=yuan(t["awarded_fen"]),
        awarded_through_call_yuan=yuan(t["through_call_fen"]),
        disbursed_yuan=yuan(t["disbursed_fen"]),
        released_yuan=yuan(t["released_fen"]),
        outstanding_yuan=yuan(t["awarded_fen"] - t["disbursed_fen"] - t["released_fen"]),
        remaining_budget_yuan=yuan(budget - t["through_call_fen"]) if budget is not None else None,
        tranches=t["tranches"],
        closed=t["closed"],
        grades=grades,
        reconciliation=_reconcile(t, ledger),
    )


def _yuan(fen: int) -> float:
    return fen / 100


def _reconcile(t: dict[str, Any], ledger: dict[str, Any]) -> dict[str, Any]:
    """Σ awards' tranches in the event store = Σ disbursements in the read model; Σ awards
    alike; and the call's committed budget = Σ awards made through it."""
    store_awarded, store_paid = int(ledger["awarded"] * 100), int(ledger["disbursed"] * 100)
    checks = {
        "awards": (ledger["awards"], len(t["award_ids"])),
        "awarded_fen": (store_awarded, t["awarded_fen"]),
        "disbursed_fen": (store_paid, t["disbursed_fen"]),
    }
    if ledger["committed"] is not None:
        checks["committed_fen"] = (int(ledger["committed"] * 100), t["through_call_fen"])
    return {
        "reconciled": all(a == b for a, b in checks.values()),
        "checks": {k: {"event_store": a, "read_model": b} for k, (a, b) in checks.items()},
    }
