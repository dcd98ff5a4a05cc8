"""Commendation rounds (评先评优, ADR 0024) for the county's and the townships' operators: the
rounds held, opening the year's round, a round's candidates with their ranking explanation and
eligibility, the decision and its publication. Every form posts to the tier's own API."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from fastapi.responses import Response

from shared.console.forms import Form, drawn_at, send
from shared.console.web import CurrentPage, Page, Posted, done
from shared.kernel.domain import CHINA

router = APIRouter()

TIERS = ("county", "township")
WORKERS = ("operator",)
REASON_ZH = {
    "not_active": "不在存续状态",
    "on_credit_list": "被列入信用名单",
    "no_governance_work": "本年度未参与基层治理工作",
}
DIMENSION_ZH = {
    "activity": "活跃度",
    "standardisation": "规范化",
    "coverage": "覆盖率",
    "influence": "影响力",
}


async def _rounds_page(page: Page, form: Form, status: int = 200) -> Response:
    answer = await page.api.get("/api/v1/commendation-rounds", division=page.me.division)
    return page.render(
        "commendations/list.html",
        status=status,
        title="评先评优",
        rounds=answer["rounds"],
        form=form,
    )


@router.get("/commendations")
async def rounds(page: CurrentPage) -> Response:
    page.require(*TIERS, roles=WORKERS)
    last = datetime.now(CHINA).year - 1
    return await _rounds_page(page, Form(values={"year": str(last)}))


@router.post("/commendations")
async def open_round(page: CurrentPage, posted: Posted) -> Response:
    page.require(*TIERS, roles=WORKERS)
    answer, form = await send(
        page.api,
        "/api/v1/commendation-rounds",
        posted,
        {"year": "评选年度"},
        fields={"round_exists": "year", "invalid_year": "year"},
    )
    if answer is not None:
        return done(
            page.request, f"/commendations/{answer['id']}", "评先评优已启动，候选名单如下。"
        )
    return await _rounds_page(page, form, status=400)


async def _round_page(page: Page, round_id: str, form: Form, status: int = 200) -> Response:
    # The decision and publication forms carry the round's version (ADR 0035): deciding on, or
    # publishing, a round someone changed meanwhile is refused rather than applied unseen.
    r, version = await page.api.versioned(f"/api/v1/commendation-rounds/{round_id}")
    decided = {d["organisation_id"] for d in r["decision"] or []}
    return page.render(
        "commendations/round.html",
        status=status,
        title=f"{r['year']} 年度评先评优",
        round=r,
        decided=decided,
        form=drawn_at(form, version),
        reason_zh=REASON_ZH,
        dimension_zh=DIMENSION_ZH,
        own=r["division_code"] == page.me.division,
    )


@router.get("/commendations/{round_id}")
async def round_page(page: CurrentPage, round_id: str) -> Response:
    page.require(*TIERS, roles=WORKERS)
    return await _round_page(page, round_id, Form())


@router.post("/commendations/{round_id}/decision")
async def decide(page: CurrentPage, round_id: str, posted: Posted) -> Response:
    """The ticked candidates (``commend_<id>`` checkboxes) gathered into the API's list."""
    page.require(*TIERS, roles=WORKERS)
    chosen = [k.removeprefix("commend_") for k, v in posted.items() if k.startswith("commend_")]
    answer, form = await send(
        page.api,
        f"/api/v1/commendation-rounds/{round_id}/decision",
        posted,
        {"note": "说明", "organisation_ids": "表彰的组织"},
        fixed={"organisation_ids": chosen},
    )
    if answer is not None:
        return done(page.request, f"/commendations/{round_id}", "评先评优决定已记录，待公布。")
    return await _round_page(page, round_id, form, status=400)


@router.post("/commendations/{round_id}/publication")
async def publish(page: CurrentPage, round_id: str, posted: Posted) -> Response:
    page.require(*TIERS, roles=WORKERS)
    answer, form = await send(
        page.api, f"/api/v1/commendation-rounds/{round_id}/publication", posted, {}
    )
    if answer is not None:
        return done(page.request, f"/commendations/{round_id}", "表彰结果已公布。")
    return await _round_page(page, round_id, form, status=400)
